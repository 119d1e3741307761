"""The redemption statement of a claim (SPEC §13): GET
/api/certificate-log/claim/{claimId}/statement.pdf and the portal's "Statement (PDF)" serve
the same PDF to whoever the redemption report shows the claim to (the claimer's Buyer
organization, its api user, the super admin); anybody else gets 404. The PDF names the
certificate, the volume, the beneficiary, the claim's ledger entry and the public
verification URL, also as a QR code of that URL."""

import io
import re
from types import SimpleNamespace

import pytest
import segno
from django.test import Client
from pypdf import PdfReader

from certificates import statements
from certificates.models import LedgerEntry
from certificates.services import claim_create
from organizations.models import OrganizationType
from tests.certificates.helpers import DAY, T0, claim_request, device_reading, issue, reservation_make
from tests.factories import OrganizationFactory
from tests.organizations.helpers import assert_error, managed_create, member_create
from tests.personas import grants_give, persona_fixture, personas_make
from tests.shared import shared_data, shared_fixture

pytestmark = pytest.mark.django_db

LOGS = "CERTIFICATE_LOG_MANAGEMENT_CRUDL"
RESERVATIONS = "BUYER_RESERVATION_MANAGEMENT_CRUDL"
UNICODE_BENEFICIARY = "Société Générale Ñandú — 東京"


def api_url(claim) -> str:
    return f"/api/certificate-log/claim/{getattr(claim, 'pk', claim)}/statement.pdf"


def portal_url(claim) -> str:
    return f"/certificate/claim/{getattr(claim, 'pk', claim)}/statement.pdf"


def verify_url(certificate) -> str:
    return f"http://testserver/certificate/verify/{certificate.pk}"


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(response) -> str:
    """The text of a PDF answer, spaces collapsed (after checking it is one)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def world_make(developer, buyer, api_user):
    """Green Buyers' "Schools" of SUN-1 (500 Wh/h): one daily certificate of 12,000 Wh, of
    which its buyer claimed 4,500 Wh for a village school. Other Buyers and the api user's
    Tenant Buyer have a certificate with a claim each."""
    reservation = reservation_make(
        buyer, [device_reading(developer, "SUN-1", count=24, value=500)], frequency="daily", name="Schools"
    )
    assert issue(reservation, T0 + DAY) == [12000]
    certificate = reservation.certificates.get()
    request = claim_request(4500, beneficiary="Village school", location="Pune, India", purpose="Scope 2 claim")
    claim = claim_create(acting_user=buyer, certificate=certificate, request=request)

    other_developer = OrganizationFactory(name="Other Developers", organization_type=OrganizationType.DEVELOPER)
    other_buyer = member_create(
        OrganizationFactory(name="Other Buyers", organization_type=OrganizationType.BUYER), email="ob@example.com"
    )
    other = reservation_make(
        other_buyer, [device_reading(other_developer, "MOON-2", count=24, value=125)], frequency="daily"
    )
    assert issue(other, T0 + DAY) == [3000]
    other_claim = claim_create(
        acting_user=other_buyer, certificate=other.certificates.get(), request=claim_request(1000)
    )

    grants_give(api_user, ((LOGS, "Read"), (RESERVATIONS, "Read", "Write")))
    tenant_developer, _ = managed_create(api_user, name="Tenant Developer", email="td@example.com")
    _tenant_buyer, tenant_member = managed_create(
        api_user, name="Tenant Buyer", organization_type=OrganizationType.BUYER, email="tb@example.com"
    )
    tenant = reservation_make(
        tenant_member, [device_reading(tenant_developer, "API-1", count=24, value=125)], frequency="daily"
    )
    assert issue(tenant, T0 + DAY) == [3000]
    tenant_claim = claim_create(
        acting_user=api_user, certificate=tenant.certificates.get(), request=claim_request(2000)
    )
    return SimpleNamespace(
        certificate=certificate,
        claim=claim,
        other_buyer=other_buyer,
        other_claim=other_claim,
        tenant_claim=tenant_claim,
    )


PERSONAS = ("developer_admin", "buyer", "api_user")


def _shared_build() -> dict:
    """``world``, once for the module's tests using it (tests/shared.py), with its personas."""
    personas = personas_make(PERSONAS, None)
    world = world_make(personas["developer_admin"].organization, personas["buyer"], personas["api_user"])
    return {**personas, "world": world}


_shared_data, shared_copy = shared_data(_shared_build, uses=("world",), where=__name__)
developer_org, developer_admin, buyer_org, buyer, api_user = (
    persona_fixture(name, None) for name in ("developer_org", "developer_admin", "buyer_org", "buyer", "api_user")
)
world = shared_fixture(
    "world", lambda request: world_make(*map(request.getfixturevalue, ("developer", "buyer", "api_user")))
)


# --- The API ------------------------------------------------------------------------------------


def test_the_claimer_gets_its_statement_as_a_pdf(world, buyer, client_for):
    response = client_for(buyer).get(api_url(world.claim))
    text = pdf_text(response)
    certificate, entry = world.certificate, LedgerEntry.objects.get(claim=world.claim)
    expected_name = f"redemption-statement-certificate-{certificate.pk}-claim-{world.claim.pk}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{expected_name}"'

    assert "D-REC registry" in text  # settings.DREC_ISSUER_NAME
    assert "Redemption statement" in text
    assert f"of certificate {certificate.pk} were claimed" in text
    assert re.search(rf"Certificate\s*{certificate.pk}\b", text)
    assert str(certificate.uid) in text  # certificateTransactionUID
    assert "4,500 Wh (4.5 kWh)" in text  # the claimed volume, exact and for people
    assert "12,000 Wh (12 kWh)" in text  # the certificate's
    assert "Village school" in text
    assert "Pune, India" in text
    assert "India (IND)" in text
    assert "Scope 2 claim" in text
    assert "2026-03-02T00:00:00Z to 2026-03-03T00:00:00Z" in text  # the claim's period (T0, T0 + DAY)
    assert "Green Buyers" in text
    # The devices' country and the certificate's generation period (a day in UTC).
    assert re.search(r"Devices' country\s*India", text)
    assert re.search(r"Generation period\s*2 Mar 2026", text)
    assert entry.hash in text.replace(" ", "")
    assert f"#{entry.index} (claim)" in text
    assert verify_url(certificate) in text


def test_the_qr_code_holds_the_verification_url(world, buyer, client_for, monkeypatch):
    made, make_qr = [], segno.make_qr

    def recording(content, **options):
        code = make_qr(content, **options)
        made.append((content, code))
        return code

    monkeypatch.setattr(statements.segno, "make_qr", recording)
    pdf = client_for(buyer).get(api_url(world.claim)).content
    assert [content for content, _code in made] == [verify_url(world.certificate)]
    # The code drawn is that URL's, at the error correction chosen (M), as any reader decodes it.
    _content, code = made[0]
    assert code.matrix == segno.make_qr(verify_url(world.certificate), error="m").matrix
    assert code.error == "M"
    assert not code.is_micro
    assert pdf.startswith(b"%PDF-")


def test_the_api_user_and_the_admin_get_it_the_sub_buyer_too(world, api_user, admin_user, sub_buyer, client_for):
    assert "Pune, India" in pdf_text(client_for(admin_user).get(api_url(world.claim)))
    assert verify_url(world.certificate) in pdf_text(client_for(sub_buyer).get(api_url(world.claim)))
    pdf_text(client_for(admin_user).get(api_url(world.other_claim)))
    pdf_text(client_for(api_user).get(api_url(world.tenant_claim)))


def test_anybody_elses_claim_is_404(world, buyer, developer_admin, api_user, other_api_user, grant, client_for):
    for user, claim in (
        (buyer, world.other_claim),
        (buyer, world.tenant_claim),
        (world.other_buyer, world.claim),
        (api_user, world.claim),
        # The developer whose device made the energy sees the certificate, not the statement.
        (developer_admin, world.claim),
    ):
        body = assert_error(client_for(user).get(api_url(claim)), 404)
        assert "No claim found" in body["message"]
    # Another tenant's api user: without the grant 403 (the ACL), with it 404 (not its claim).
    assert_error(client_for(other_api_user).get(api_url(world.tenant_claim)), 403)
    grant(other_api_user, LOGS, "Read")
    assert_error(client_for(other_api_user).get(api_url(world.tenant_claim)), 404)


def test_an_unknown_claim_is_404(world, buyer, admin_user, client_for):
    for claim_id in (999_999, 10**30):
        assert_error(client_for(buyer).get(api_url(claim_id)), 404)
        assert_error(client_for(admin_user).get(api_url(claim_id)), 404)


def test_the_statement_needs_a_login(world, api_client):
    assert_error(api_client.get(api_url(world.claim)), 401)


def test_a_client_asking_for_a_pdf_gets_it_and_an_error_in_json(world, buyer, client_for):
    client = client_for(buyer)
    assert client.get(api_url(world.claim), HTTP_ACCEPT="application/pdf")["Content-Type"] == "application/pdf"
    refused = client.get(api_url(world.other_claim), HTTP_ACCEPT="application/pdf")
    assert (refused.status_code, refused["Content-Type"]) == (404, "application/json")


def test_a_beneficiary_in_any_script_is_written(world, buyer, client_for):
    claim = claim_create(
        acting_user=buyer,
        certificate=world.certificate,
        request=claim_request(
            1000, beneficiary=UNICODE_BENEFICIARY, location="Zürich · Αθήνα · Київ", purpose="Ñ\tpurpose\u202e"
        ),
    )
    text = pdf_text(client_for(buyer).get(api_url(claim)))
    assert "Société Générale Ñandú —" in text
    assert "Zürich · Αθήνα · Київ" in text  # DejaVu has Greek and Cyrillic
    # No CJK glyph in the font: a visible replacement character, not a silently shorter name.
    assert "\ufffd\ufffd" in text
    assert "Ñ purpose" in text  # a tab is a space; the bidi override is gone
    assert "\u202e" not in text


def test_statement_pdf_builds_any_claim_directly(world):
    pdf = statements.statement_pdf(world.claim, "https://registry.example/certificate/verify/1")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "https://registry.example/certificate/verify/1" in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


# --- The portal ---------------------------------------------------------------------------------


def statement_links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"[^>]*data-testid="claim-statement"[^>]*>', html)


def test_the_certificate_page_has_a_statement_button_per_claim(world, buyer):
    client = browser_of(buyer)
    html = client.get(f"/certificate/{world.certificate.pk}").content.decode()
    claims_table = re.search(r'data-testid="claims".*?</table>', html, re.S).group(0)
    assert "Statement (PDF)" in claims_table
    assert statement_links(claims_table) == [portal_url(world.claim)]

    response = client.get(statement_links(claims_table)[0])
    text = pdf_text(response)
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "Village school" in text
    assert verify_url(world.certificate) in text
    # The same PDF as the API's, but for the time it was generated.
    assert "Generated on" in text


def test_the_redemption_report_links_each_claims_statement(world, buyer):
    html = browser_of(buyer).get("/redemption-report").content.decode()
    assert statement_links(html) == [portal_url(world.claim)]


def test_the_portal_statement_follows_the_same_rule(world, developer_admin, admin_user):
    # The developer sees the certificate and its claims, but no statement button and no statement.
    html = browser_of(developer_admin).get(f"/certificate/{world.certificate.pk}").content.decode()
    assert "Village school" in html
    assert statement_links(html) == []
    assert browser_of(developer_admin).get(portal_url(world.claim)).status_code == 404
    assert browser_of(world.other_buyer).get(portal_url(world.claim)).status_code == 404
    assert browser_of(world.other_buyer).get(portal_url(999_999)).status_code == 404
    pdf_text(browser_of(admin_user).get(portal_url(world.claim)))
    assert browser_of(world.other_buyer).post(portal_url(world.other_claim)).status_code == 405

    visitor = Client().get(portal_url(world.claim))
    assert visitor.status_code == 302
    assert visitor["Location"].startswith("/login")

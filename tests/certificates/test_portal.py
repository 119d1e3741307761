"""Portal screens of certificates (ui.md §3.27-3.28, §4.4) with Django's test client: All
Certificate (buyer view, the api user's type and organization choice), Certified MeterReads
(developer view with "Other Devices"), a reservation's certificates, a certificate with its
claim form (errors next to the fields), the redemption report and its CSV, the public
verification page, and the menu entries of each role."""

import csv
import io
import json
import re
from types import SimpleNamespace

import pytest
from django.test import Client

from certificates.forms import ClaimForm
from certificates.models import Certificate, Claim, LedgerEntry
from certificates.services import claim_create
from organizations.models import OrganizationType
from tests.certificates.helpers import (
    DAY,
    T0,
    certificates,
    claim_request,
    device_reading,
    issue,
    ledger_trigger,
    reservation_make,
)
from tests.factories import OrganizationFactory
from tests.organizations.helpers import managed_create, member_create
from tests.personas import persona_fixture, personas_make
from tests.shared import shared_data, shared_fixture

pytestmark = pytest.mark.django_db


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client, url: str, **query) -> str:
    response = client.get(url, query)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def cards(html: str) -> list[str]:
    """The certificate ids of the cards on a page, in order."""
    return re.findall(r'<h3 class="h6 mb-0" id="certificate-(\d+)"', html)


def field_error(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}".*?(?=<label|<legend|<button|</section>)', html, re.S)
    assert match, f"no field {name}"
    return " ".join(re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>', match.group(0), re.S))


def device_rows(html: str) -> list[str]:
    """The device names (the first column) of the per-device tables of a page, in order."""
    tables = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)
    return [
        re.sub(r"<[^>]+>", "", cells[0]).strip()
        for table in tables
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
        if len(cells := re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)) >= 4
    ]


def menu_labels(html: str) -> dict[str, str]:
    links = re.findall(r'<a class="menu-link[^"]*" href="([^"]+)"[^>]*>(?:<i[^>]*></i>)?\s*([^<]+)</a>', html)
    return {label.strip(): url for url, label in links}


def card_of(html: str, certificate) -> str:
    card = html[html.index(f'id="certificate-{certificate.pk}"') :]
    return card[: card.index("</article>")]


def text_of(html: str) -> str:
    """What a reader sees of some HTML: its text, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def claim_form(amount, **overrides) -> dict:
    form = {
        "amount": str(amount),
        "beneficiary": "Village school",
        "location": "Pune",
        "countryCode": "IND",
        "periodStartDate": "2026-03-01",
        "periodEndDate": "2026-03-31",
        "purpose": "Scope 2 reporting",
    }
    form.update(overrides)
    return form


def world_make(developer, buyer):
    """Green Buyers' "Schools" of Sunny Developers' SUN-1 (300 Wh/h) and Other Developers'
    MOON-1 (200 Wh/h): two daily certificates of 12,000 Wh; Other Buyers' "Elsewhere" of MOON-2
    (one of 3,000 Wh)."""
    other_developer = OrganizationFactory(name="Other Developers", organization_type=OrganizationType.DEVELOPER)
    sun = device_reading(developer, "SUN-1", count=48, value=300)
    moon = device_reading(other_developer, "MOON-1", count=48, value=200)
    reservation = reservation_make(buyer, [sun, moon], frequency="daily", name="Schools")
    assert issue(reservation, T0 + 2 * DAY) == [12000, 12000]
    other_buyer = member_create(
        OrganizationFactory(name="Other Buyers", organization_type=OrganizationType.BUYER), email="ob@example.com"
    )
    other = reservation_make(
        other_buyer, [device_reading(other_developer, "MOON-2", count=24, value=125)], frequency="daily", name="Far"
    )
    assert issue(other, T0 + DAY) == [3000]
    issued = certificates(reservation)
    return SimpleNamespace(
        reservation=reservation,
        first=issued[0],
        second=issued[1],
        other=other,
        other_buyer=other_buyer,
        other_certificate=other.certificates.get(),
        other_developer_admin=member_create(other_developer, email="moon@example.com"),
    )


def _shared_build() -> dict:
    """The world, once for the module's tests using it (tests/shared.py), with the personas it holds."""
    personas = personas_make(("developer_admin", "buyer"), None)
    return {**personas, "world": world_make(personas["developer_admin"].organization, personas["buyer"])}


_shared_data, shared_copy = shared_data(_shared_build, uses=("world",), where=__name__)
developer_org, developer_admin, buyer_org, buyer = (
    persona_fixture(name, None) for name in ("developer_org", "developer_admin", "buyer_org", "buyer")
)
world = shared_fixture("world", lambda request: world_make(*map(request.getfixturevalue, ("developer", "buyer"))))


# --- All Certificate and Certified MeterReads ----------------------------------------------------


def test_the_buyer_sees_its_reservations_certificates(world, buyer):
    html = page(browser_of(buyer), "/All_certificate")
    assert '<h1 class="h3 mb-1">All Certificate</h1>' in html
    assert "Certificates issued for your reservations." in html
    assert cards(html) == [str(world.second.pk), str(world.first.pk)]
    assert "12 kWh" in text_of(card_of(html, world.first))
    assert sorted(device_rows(html)) == ["MOON-1", "MOON-1", "SUN-1", "SUN-1"]
    assert "Elsewhere" not in html
    assert "MOON-2" not in html
    assert 'name="type"' not in html
    assert 'name="organizationId"' not in html
    # Other Buyers see only theirs.
    assert cards(page(browser_of(world.other_buyer), "/All_certificate")) == [str(world.other_certificate.pk)]


def test_the_buyer_sees_certified_energy_per_month_and_pages_of_ten(world, developer, buyer):
    chart = re.search(
        r'<script id="certified-per-month" type="application/json">(.*?)</script>',
        page(browser_of(buyer), "/All_certificate"),
        re.S,
    )
    assert json.loads(chart.group(1)) == {"labels": ["2026-03"], "values": [24.0]}

    device = device_reading(developer, "HOURLY", start=T0 + 3 * DAY, count=12, value=1000)
    hourly = reservation_make(buyer, [device], frequency="hourly", start=T0 + 3 * DAY)
    assert issue(hourly, T0 + 4 * DAY) == [1000] * 12
    client = browser_of(buyer)
    first, second = page(client, "/All_certificate"), page(client, "/All_certificate", pageNumber=2)
    every = [
        str(pk)
        for pk in Certificate.objects.filter(owner=buyer.organization).order_by("-id").values_list("pk", flat=True)
    ]
    assert (cards(first), cards(second)) == (every[:10], every[10:])
    assert "Total Pages: 2" in first
    assert "pageNumber=2" in first


def test_the_buyer_filters_its_certificates(world, buyer):
    client = browser_of(buyer)
    html = page(client, "/All_certificate", start_date="2026-03-03")
    assert cards(html) == [str(world.second.pk)]
    # A day's certificate ends at the next midnight: "until March 2" includes it.
    assert cards(page(client, "/All_certificate", end_date="2026-03-02")) == [str(world.first.pk)]
    one_day = page(client, "/All_certificate", start_date="2026-03-03", end_date="2026-03-03")
    assert cards(one_day) == [str(world.second.pk)]
    assert len(cards(page(client, "/All_certificate", end_date="9999-12-31"))) == 2
    html = page(client, "/All_certificate", country="KEN")
    assert (cards(html), "No Certificate" in html) == ([], True)
    bad = page(client, "/All_certificate", start_date="2026-03-05", end_date="2026-03-01")
    assert "The end date must not be before the start date." in field_error(bad, "end_date")


def test_claimed_volume_shows_on_the_card(world, buyer):
    claim_create(acting_user=buyer, certificate=world.first, request=claim_request(2000))
    html = page(browser_of(buyer), "/All_certificate")
    card = card_of(html, world.first)
    assert re.search(r'data-testid="owned">10 kWh unclaimed<', card)
    assert re.search(r'data-testid="claimed">2 kWh claimed<', card)


def test_cards_name_their_devices_owner_and_days(world, buyer):
    html = page(browser_of(buyer), "/All_certificate")
    first, second = text_of(card_of(html, world.first)), text_of(card_of(html, world.second))
    # Two devices each, on different days: the cards differ where a reader looks first.
    assert f"Certificate {world.first.pk} · 2 devices · 2 Mar 2026" in first
    assert f"Certificate {world.second.pk} · 2 devices · 3 Mar 2026" in second
    assert "Owner Green Buyers" in first
    assert "drec:org:" not in html  # the ledger's account id is for the ledger proof only
    assert "T00:00:00" not in html
    # A certificate of one device names it.
    other = page(browser_of(world.other_buyer), "/All_certificate")
    assert f"Certificate {world.other_certificate.pk} · MOON-2 · 2 Mar 2026" in text_of(other)
    assert "Owner Other Buyers" in text_of(other)


def test_the_developer_sees_certified_meter_reads_with_other_devices(world, developer_admin):
    html = page(browser_of(developer_admin), "/device/certifiedin_reservation")
    # The page says what the menu item opens (issue 16 item 11), not "All Certificate".
    assert '<h1 class="h3 mb-1">Certified MeterReads</h1>' in html
    assert "Certificates issued from your devices' meter reads" in html
    assert cards(html) == [str(world.second.pk), str(world.first.pk)]
    assert device_rows(html) == ["SUN-1", "Other Devices"] * 2
    assert "MOON-1" not in html
    assert ">4.8 kWh<" in html  # the other devices' share, summed
    other = page(browser_of(world.other_developer_admin), "/device/certifiedin_reservation")
    assert set(cards(other)) == {str(world.first.pk), str(world.second.pk), str(world.other_certificate.pk)}
    assert "SUN-1" not in other


def test_the_api_user_chooses_a_type_and_an_organization(world, api_user, grant):
    grant(api_user, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")
    tenant_developer, _ = managed_create(api_user, name="Tenant Developer", email="td@example.com")
    second_developer, _ = managed_create(api_user, name="Second Developer", email="td2@example.com")
    _tenant_buyer, member = managed_create(
        api_user, name="Tenant Buyer", organization_type=OrganizationType.BUYER, email="tb@example.com"
    )
    ours = device_reading(tenant_developer, "API-1", count=24, value=125)
    theirs = device_reading(second_developer, "API-2", count=24, value=125)
    reservation = reservation_make(member, [ours, theirs], frequency="daily", name="Tenant's")
    assert issue(reservation, T0 + DAY) == [6000]
    certificate = reservation.certificates.get()
    client = browser_of(api_user)

    html = page(client, "/All_certificate")
    assert 'name="type"' in html
    assert 'value="Developer"' in html
    assert 'value="Buyer"' in html
    options = re.search(r'<select name="organizationId".*?</select>', html, re.S).group(0)
    assert "Tenant Buyer" in options
    assert "Tenant Developer" not in options
    assert "Green Buyers" not in options
    assert cards(html) == [str(certificate.pk)]
    assert sorted(device_rows(html)) == ["API-1", "API-2"]

    developers = page(client, "/All_certificate", type="Developer")
    options = re.search(r'<select name="organizationId".*?</select>', developers, re.S).group(0)
    assert "Tenant Developer" in options
    assert "Second Developer" in options
    assert "Tenant Buyer" not in options
    as_developer = page(client, "/All_certificate", type="Developer", organizationId=tenant_developer.pk)
    assert cards(as_developer) == [str(certificate.pk)]
    assert device_rows(as_developer) == ["API-1", "Other Devices"]
    # Another tenant's organization is not among the choices, and naming it finds nothing (the
    # API answers 404 for it).
    refused = page(client, "/All_certificate", type="Developer", organizationId=world.reservation.organization_id)
    assert cards(refused) == []
    assert "No organization found" in refused

    # It claims for its buyer once it holds the reservations' Write grant.
    url = f"/certificate/{certificate.pk}"
    assert "Add Claim" not in page(client, url)
    grant(api_user, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Read", "Write")
    assert "Add Claim" in page(client, url)
    assert client.post(url, claim_form(1500)).status_code == 200  # the confirmation
    assert not Claim.objects.exists()
    assert client.post(url, claim_form(1500, confirm="1")).status_code == 302
    assert Claim.objects.get().claimed_by == api_user
    assert browser_of(api_user).get(f"/certificate/{world.first.pk}").status_code == 404


def test_the_certificate_pages_need_a_login(world):
    for url in ("/All_certificate", "/device/certifiedin_reservation", f"/certificate/{world.first.pk}"):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login"), url


# --- One reservation's certificates --------------------------------------------------------------


def test_the_reservation_page_lists_its_certificates(world, buyer):
    html = page(browser_of(buyer), f"/certificate/reservation/{world.reservation.pk}")
    assert "Reservation Name: Schools" in html
    assert cards(html) == [str(world.second.pk), str(world.first.pk)]
    # Reached from the reservation list.
    assert f'href="/certificate/reservation/{world.reservation.pk}"' in page(browser_of(buyer), "/myreservation")


def test_another_buyers_reservation_page_is_404(world, buyer):
    assert browser_of(buyer).get(f"/certificate/reservation/{world.other.pk}").status_code == 404
    assert browser_of(buyer).get("/certificate/reservation/999999").status_code == 404


def test_a_developer_sees_a_reservations_page_with_other_devices_merged(world, developer_admin):
    html = page(browser_of(developer_admin), f"/certificate/reservation/{world.reservation.pk}")
    assert device_rows(html) == ["SUN-1", "Other Devices"] * 2
    assert "MOON-1" not in html


# --- A certificate and its claim form -------------------------------------------------------------


def input_value(html: str, name: str) -> str | None:
    """The value an input of the page starts with (None: it has none)."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else None


def selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select)


def test_the_claim_form_starts_empty_with_the_certificates_country_and_days(world, buyer):
    html = page(browser_of(buyer), f"/certificate/{world.first.pk}")
    assert "Add Claim" in html
    assert input_value(html, "amount") is None  # not the whole unclaimed volume
    assert "At most 12,000 Wh (12 kWh) are unclaimed." in html
    assert selected(html, "countryCode") == ["IND"]
    # The first certificate covers 2 March (its end, the next midnight, is not one of its days).
    assert (input_value(html, "periodStartDate"), input_value(html, "periodEndDate")) == ("2026-03-02", "2026-03-02")


def test_the_buyer_claims_after_confirming(world, buyer):
    client = browser_of(buyer)
    url = f"/certificate/{world.first.pk}"
    assert "12 kWh issued · 0 Wh claimed · 12 kWh unclaimed" in page(client, url)

    # The form's POST only shows what would be claimed: nothing is stored yet.
    review = client.post(url, claim_form(4500))
    assert review.status_code == 200
    confirmation = review.content.decode()
    assert not Claim.objects.exists()
    assert not LedgerEntry.objects.filter(kind="claim").exists()
    summary = text_of(re.search(r'data-testid="claim-summary".*?</dl>', confirmation, re.S).group(0))
    assert "4.5 kWh (4500 Wh)" in summary
    assert "Village school" in summary
    assert "India" in summary
    assert "Period 1\u201331 Mar 2026" in summary
    assert "cannot be undone" in confirmation
    assert 'name="csrfmiddlewaretoken"' in confirmation
    assert re.search(r'<button[^>]*name="confirm"[^>]*>Claim</button>', confirmation)

    # "Change" goes back to the form, still filled in; still nothing stored.
    back = client.post(url, {**claim_form(4500), "edit": "1"}).content.decode()
    assert "Add Claim" in back
    assert (input_value(back, "amount"), input_value(back, "beneficiary")) == ("4500", "Village school")
    assert not Claim.objects.exists()

    # Only the confirmation's POST claims.
    response = client.post(url, {**claim_form(4500), "confirm": "1"}, follow=True)
    done = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert f"Claimed 4,500 Wh of certificate {world.first.pk} for Village school." in done
    assert "12 kWh issued · 4.5 kWh claimed · 7.5 kWh unclaimed" in done
    claims_table = re.search(r'data-testid="claims".*?</table>', done, re.S).group(0)
    assert "Village school" in claims_table
    assert "4.5 kWh" in claims_table
    claim = Claim.objects.get()
    assert (claim.certificate, claim.amount_wh, claim.claimed_by, claim.country_id) == (world.first, 4500, buyer, "IND")
    assert claim.period_start.date().isoformat() == "2026-03-01"
    assert claim.period_end.date().isoformat() == "2026-03-31"
    assert LedgerEntry.objects.filter(claim=claim, kind="claim").exists()
    ledger_table = re.search(r'data-testid="ledger-entries".*?</table>', done, re.S).group(0)
    assert ">claim<" in ledger_table


def test_claim_errors_show_next_to_their_fields_and_store_nothing(world, buyer):
    client = browser_of(buyer)
    url = f"/certificate/{world.first.pk}"
    for confirm in ({}, {"confirm": "1"}):  # the confirmation's POST is checked again
        over = client.post(url, {**claim_form(12001), **confirm})
        assert over.status_code == 200
        html = over.content.decode()
        assert "Only 12,000 Wh of this certificate are unclaimed: claim at most that." in field_error(html, "amount")
        assert 'data-testid="claim-confirmation"' not in html

    backwards = client.post(url, claim_form(100, periodStartDate="2026-03-31", periodEndDate="2026-03-01"))
    html = backwards.content.decode()
    assert "The period end must not be before its start." in field_error(html, "periodEndDate")
    assert field_error(html, "amount") == ""

    missing = client.post(url, claim_form(100, beneficiary="", countryCode="")).content.decode()
    assert "required" in field_error(missing, "beneficiary")
    assert "required" in field_error(missing, "countryCode")
    assert "Claim at least 1 Wh." in field_error(client.post(url, claim_form(0)).content.decode(), "amount")
    assert not Claim.objects.exists()
    world.first.refresh_from_db()
    assert world.first.claimed_wh == 0


def test_the_claim_form_refuses_more_than_the_unclaimed_volume_itself():
    """ClaimForm's max_value was set after the field was built, which Django never checks: the
    form passed 12,001 Wh of 12,000 on to the service."""
    data = claim_form(12001)
    form = ClaimForm(data, unclaimed_wh=12000)
    assert not form.is_valid()
    assert form.errors["amount"] == ["Only 12,000 Wh of this certificate are unclaimed: claim at most that."]
    assert ClaimForm(claim_form(12000), unclaimed_wh=12000).is_valid()
    assert ClaimForm(claim_form(1), unclaimed_wh=0).errors["amount"] == [
        "Nothing of this certificate is unclaimed any more."
    ]


def test_a_fully_claimed_certificate_has_no_claim_form(world, buyer):
    claim_create(acting_user=buyer, certificate=world.first, request=claim_request(12000))
    html = page(browser_of(buyer), f"/certificate/{world.first.pk}")
    assert "Add Claim" not in html
    refused = browser_of(buyer).post(f"/certificate/{world.first.pk}", {**claim_form(1), "confirm": "1"})
    assert refused.status_code == 200  # the API's 409, said on the page
    assert "unclaimed" in refused.content.decode().lower()
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("persona", ["sub_buyer", "developer_admin", "device_owner"])
def test_non_claimers_see_no_claim_form_and_their_post_stores_nothing(world, request, persona):
    client = browser_of(request.getfixturevalue(persona))
    url = f"/certificate/{world.first.pk}"
    html = page(client, url)
    assert f"Certificate {world.first.pk}" in html
    assert "Add Claim" not in html
    assert 'name="amount"' not in html
    for confirm in ({}, {"confirm": "1"}):
        response = client.post(url, {**claim_form(1000), **confirm})
        assert response.status_code == 403  # as POST /api/certificate-log/claim answers them
    assert not Claim.objects.exists()
    assert not LedgerEntry.objects.filter(kind="claim").exists()


def test_the_developer_sees_its_share_only_on_the_certificate_page(world, developer_admin):
    html = page(browser_of(developer_admin), f"/certificate/{world.first.pk}")
    table = re.search(r'data-testid="contributions".*?</table>', html, re.S).group(0)
    assert "SUN-1" in table
    assert "Other Devices" in table
    assert "MOON-1" not in table


def test_the_certificate_page_reads_as_people_write(world, buyer):
    html = page(browser_of(buyer), f"/certificate/{world.first.pk}")
    details = text_of(re.search(r'data-testid="certificate-details".*?</dl>', html, re.S).group(0))
    assert "Owner Green Buyers" in details
    assert "Devices 2 devices" in details
    assert "Generation period 2 Mar 2026" in details
    assert "Volume 12 kWh issued" in details
    # The per-device table: people's dates in the device's zone (India), in a scrolling wrapper.
    table = re.search(
        r'<div class="table-responsive"[^>]*>\s*<table[^>]*data-testid="contributions".*?</table>', html, re.S
    )
    assert table, "the per-device table is not inside a scrolling wrapper"
    rows = text_of(table.group(0))
    assert "SUN-1 2 Mar 2026, 05:30 IST 3 Mar 2026, 05:30 IST 24 7.2 kWh" in rows
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", html), "a raw ISO timestamp is shown"
    # The ledger's account, UIDs and hashes are behind the "Ledger proof" toggle, not up front.
    proof = re.search(r'<details[^>]*data-testid="ledger-proof".*?</details>', html, re.S).group(0)
    assert "<summary" in proof
    assert "Ledger proof" in proof
    issue = LedgerEntry.objects.get(certificate=world.first, kind="issue")
    before = html[: html.index('data-testid="ledger-proof"')]
    for secret in (issue.hash[:20], f"drec:org:{world.first.owner_id}", str(world.first.uid)):
        assert secret in proof
        assert secret not in before


def test_another_organizations_certificate_page_is_404(world, buyer, developer_admin):
    assert browser_of(buyer).get(f"/certificate/{world.other_certificate.pk}").status_code == 404
    assert browser_of(buyer).post(f"/certificate/{world.other_certificate.pk}", claim_form(1)).status_code == 404
    assert browser_of(developer_admin).get(f"/certificate/{world.other_certificate.pk}").status_code == 404
    assert not Claim.objects.exists()


# --- Redemption report ------------------------------------------------------------------------------


def test_the_redemption_report_page_and_its_csv(world, buyer, sub_buyer):
    claim_create(acting_user=buyer, certificate=world.first, request=claim_request(5000, beneficiary="Village school"))
    claim_create(acting_user=world.other_buyer, certificate=world.other_certificate, request=claim_request(1000))
    client = browser_of(buyer)
    html = page(client, "/redemption-report")
    table = re.search(r'data-testid="redemptions".*?</table>', html, re.S).group(0)
    assert f'href="/certificate/{world.first.pk}"' in table
    assert "0.005" in table
    assert "Village school" in table
    assert "I-REC" in table
    assert "India" in table
    assert table.count("<tr>") == 2  # the header and one claim: not Other Buyers'

    response = client.get("/redemption-report", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["CertificateId", "Redemption Date", "Certified Energy (MWh)"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["CertificateId"], row["Certified Energy (MWh)"], row["Beneficiary"]) == (
        str(world.first.pk),
        "0.005",
        "Village school",
    )
    assert (row["Country"], row["Claim CountryCode"], row["Compliance"]) == ("India", "IND", "I-REC")
    assert "0.005" in page(browser_of(sub_buyer), "/redemption-report")


def test_the_redemption_report_of_others_is_empty(world, buyer, developer_admin):
    claim_create(acting_user=buyer, certificate=world.first, request=claim_request(5000))
    for user in (developer_admin, world.other_buyer):
        html = page(browser_of(user), "/redemption-report")
        assert "No claim yet" in html
        assert f'href="/certificate/{world.first.pk}"' not in html


# --- Public verification ---------------------------------------------------------------------------


def test_the_verification_page_is_public(world):
    anonymous = Client()
    html = page(anonymous, f"/certificate/verify/{world.first.pk}")
    assert "Valid: signed by the D-REC issuer key" in html
    assert "12 kWh issued, of which 0 Wh claimed" in text_of(html)
    assert "BEGIN PUBLIC KEY" in html
    assert anonymous.get("/certificate/verify/999999").status_code == 404


def test_the_verification_page_says_who_issued_what(world, buyer):
    claim_create(acting_user=buyer, certificate=world.first, request=claim_request(3000))
    html = page(Client(), f"/certificate/verify/{world.first.pk}")
    facts = text_of(re.search(r'data-testid="certificate-facts".*?</dl>', html, re.S).group(0))
    assert "Issued by D-REC registry" in facts
    assert "Owner Green Buyers" in facts
    assert "Country India" in facts
    assert "Generation period 2 Mar 2026" in facts
    assert "Devices 2" in facts
    assert "Volume 12 kWh issued, of which 3 kWh claimed" in facts
    # The reservation's UUID, the ledger account and the hashes only inside "Ledger proof".
    proof = re.search(r'<details[^>]*data-testid="ledger-proof".*?</details>', html, re.S).group(0)
    before = html[: html.index('data-testid="ledger-proof"')]
    issue = LedgerEntry.objects.get(certificate=world.first, kind="issue")
    for detail in (str(world.reservation.uid), f"drec:org:{world.first.owner_id}", issue.hash):
        assert detail in proof
        assert detail not in before
    # Nothing of the buyer's people: no e-mail, no user name.
    assert buyer.email not in html


def test_the_verification_page_names_the_tampering(world):
    ledger_trigger(False)
    entry = LedgerEntry.objects.get(certificate=world.first, kind="issue")
    entry.payload["energyWh"] = 1
    entry.save(update_fields=["payload"])
    ledger_trigger(True)
    html = page(Client(), f"/certificate/verify/{world.first.pk}")
    assert "Valid: signed" not in html
    verdict = re.search(r'data-testid="verdict">(.*?)</div>', html, re.S).group(1)
    assert "Not valid" in verdict
    assert f"entry #{entry.index}" in verdict
    assert "altered" in verdict


def test_the_verification_page_names_an_unclaimed_volume_changed_behind_the_ledger(world, buyer):
    claim_create(acting_user=buyer, certificate=world.first, request=claim_request(3000))
    type(world.first).objects.filter(pk=world.first.pk).update(claimed_wh=0)
    html = page(Client(), f"/certificate/verify/{world.first.pk}")
    verdict = re.search(r'data-testid="verdict">(.*?)</div>', html, re.S).group(1)
    assert "Not valid" in verdict
    assert "claims add up to (3000 Wh)" in verdict


# --- Menus -----------------------------------------------------------------------------------------


def test_menus(buyer, sub_buyer, developer_admin, device_owner):
    for user in (buyer, sub_buyer):
        labels = menu_labels(page(browser_of(user), "/All_certificate"))
        assert labels["Certificate"] == "/All_certificate"
        assert labels["Redemption Report"] == "/redemption-report"
        assert "Certified MeterReads" not in labels
    labels = menu_labels(page(browser_of(developer_admin), "/device/certifiedin_reservation"))
    assert labels["Certified MeterReads"] == "/device/certifiedin_reservation"
    assert "Certificate" not in labels
    assert "Redemption Report" not in labels
    labels = menu_labels(page(browser_of(device_owner), "/redemption-report"))
    assert "Certified MeterReads" not in labels
    assert "Certificate" not in labels

"""Claims, the redemption report and the per-device CSV export over the API (SPEC §8): the
buyer's side (its Buyer members, its api user) retires all or part of a certificate, never
more than is unclaimed; a refused claim stores nothing; what is not yours is 404."""

import csv
import io
from types import SimpleNamespace

import pytest

from acl.models import ModulePermission
from certificates import ledger
from certificates.models import Certificate, Claim, LedgerEntry
from certificates.services import claim_create
from organizations.models import OrganizationType
from tests.certificates.helpers import DAY, T0, certificates, claim_request, device_reading, issue, reservation_make
from tests.factories import OrganizationFactory
from tests.organizations.helpers import assert_error, managed_create, member_create
from tests.personas import grants_give, persona_fixture, personas_make
from tests.shared import shared_data, shared_fixture

pytestmark = pytest.mark.django_db

CLAIM_URL = "/api/certificate-log/claim"
REPORT_URL = "/api/certificate-log/redemption-report"
LOGS = "CERTIFICATE_LOG_MANAGEMENT_CRUDL"
RESERVATIONS = "BUYER_RESERVATION_MANAGEMENT_CRUDL"
FIELDS = [
    "certificateId",
    "amount",
    "beneficiary",
    "location",
    "countryCode",
    "periodStartDate",
    "periodEndDate",
    "purpose",
]
EXPORT_HEADER = [
    "externalId",
    "reservation_name",
    "certificate_issuance_startdate",
    "certificate_issuance_enddate",
    "readvalue_watthour",
    "certificateTransactionUID",
    "blockchainCertificateId",
    "internalCertificateId",
    "ledgerIndex",
]


def export_url(uid) -> str:
    return f"/api/certificate-log/expoert_perdevice/{uid}"


def claim_body(certificate, amount, **overrides) -> dict:
    body = {
        "certificateId": certificate.pk,
        "amount": amount,
        "beneficiary": "Village school",
        "location": "Pune, India",
        "countryCode": "IND",
        "periodStartDate": "2026-03-01T00:00:00Z",
        "periodEndDate": "2026-03-31T23:59:59Z",
        "purpose": "Scope 2 reporting",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def nothing_stored(certificate, *, claimed_wh: int = 0, entries: int) -> None:
    certificate.refresh_from_db()
    assert certificate.claimed_wh == claimed_wh
    assert Claim.objects.filter(certificate=certificate).count() == (1 if claimed_wh else 0)
    assert LedgerEntry.objects.count() == entries


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def issued_make(developer, developer_admin, buyer, api_user):
    """Green Buyers' reservation "Schools" of Sunny Developers' SUN-1 (300 Wh/h) and Other
    Developers' MOON-1 (200 Wh/h): two daily certificates of 12,000 Wh. Other Buyers and the
    api user's tenant have one certificate each."""
    other_developer = OrganizationFactory(name="Other Developers", organization_type=OrganizationType.DEVELOPER)
    sun = device_reading(developer, "SUN-1", count=48, value=300)
    moon = device_reading(other_developer, "MOON-1", count=48, value=200)
    reservation = reservation_make(buyer, [sun, moon], frequency="daily", name="Schools")
    assert issue(reservation, T0 + 2 * DAY) == [12000, 12000]

    other_buyer = member_create(
        OrganizationFactory(name="Other Buyers", organization_type=OrganizationType.BUYER), email="ob@example.com"
    )
    other = reservation_make(
        other_buyer, [device_reading(other_developer, "MOON-2", count=24, value=125)], frequency="daily"
    )
    assert issue(other, T0 + DAY) == [3000]

    grants_give(api_user, ((LOGS, "Read"), (RESERVATIONS, "Read", "Write")))
    tenant_developer, _ = managed_create(api_user, name="Tenant Developer", email="td@example.com")
    _tenant_buyer, tenant_member = managed_create(
        api_user, name="Tenant Buyer", organization_type=OrganizationType.BUYER, email="tb@example.com"
    )
    tenant = reservation_make(
        tenant_member, [device_reading(tenant_developer, "API-1", count=24, value=125)], frequency="daily"
    )
    assert issue(tenant, T0 + DAY) == [3000]
    return SimpleNamespace(
        reservation=reservation,
        first=certificates(reservation)[0],
        second=certificates(reservation)[1],
        other=other,
        other_buyer=other_buyer,
        other_certificate=other.certificates.get(),
        tenant=tenant,
        tenant_certificate=tenant.certificates.get(),
        sun=sun,
        moon=moon,
    )


PERSONAS = ("developer_admin", "buyer", "api_user")


def _shared_build() -> dict:
    """``issued``, once for the module's tests using it (tests/shared.py), with the personas it holds."""
    personas = personas_make(PERSONAS, None)
    issued = issued_make(personas["developer_admin"].organization, *(personas[name] for name in PERSONAS))
    return {**personas, "issued": issued}


_shared_data, shared_copy = shared_data(_shared_build, uses=("issued",), where=__name__)
developer_org, developer_admin, buyer_org, buyer, api_user = (
    persona_fixture(name, None) for name in ("developer_org", "developer_admin", "buyer_org", "buyer", "api_user")
)
issued = shared_fixture("issued", lambda request: issued_make(*map(request.getfixturevalue, ("developer", *PERSONAS))))


# --- Claiming ---------------------------------------------------------------------------------


def test_a_buyer_claims_part_of_a_certificate_with_a_ledger_entry(issued, buyer, client_for):
    issue_entry = LedgerEntry.objects.get(certificate=issued.first, kind="issue")
    response = client_for(buyer).post(CLAIM_URL, claim_body(issued.first, 5000), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["success"], body["certificateId"], body["unclaimedWh"]) == (True, issued.first.pk, 7000)
    claim = Claim.objects.get()
    assert body["claim"]["id"] == claim.pk
    assert body["claim"]["value"] == "5000"
    assert body["claim"]["claimData"] == {
        "beneficiary": "Village school",
        "location": "Pune, India",
        "countryCode": "IND",
        "periodStartDate": "2026-03-01T00:00:00Z",
        "periodEndDate": "2026-03-31T23:59:59Z",
        "purpose": "Scope 2 reporting",
    }
    entry = LedgerEntry.objects.get(claim=claim)
    assert body["claim"]["ledgerIndex"] == entry.index
    assert body["ledgerEntry"]["index"] == entry.index == LedgerEntry.objects.count() - 1
    assert (body["ledgerEntry"]["kind"], body["ledgerEntry"]["certificateId"]) == ("claim", issued.first.pk)
    assert (body["ledgerEntry"]["hash"], body["ledgerEntry"]["signature"]) == (entry.hash, entry.signature)
    assert body["ledgerEntry"]["payload"]["amountWh"] == 5000
    assert body["ledgerEntry"]["payload"]["beneficiary"] == "Village school"
    assert entry.index > issue_entry.index

    assert (claim.certificate, claim.amount_wh, claim.claimed_by) == (issued.first, 5000, buyer)
    assert (claim.country_id, claim.location, claim.purpose) == ("IND", "Pune, India", "Scope 2 reporting")
    issued.first.refresh_from_db()
    assert (issued.first.claimed_wh, issued.first.unclaimed_wh) == (5000, 7000)
    issued.second.refresh_from_db()
    assert issued.second.claimed_wh == 0
    assert ledger.chain_verify() == (LedgerEntry.objects.count(), None)


def test_claims_add_up_to_the_whole_certificate_and_never_beyond(issued, buyer, client_for):
    client = client_for(buyer)
    assert client.post(CLAIM_URL, claim_body(issued.first, 4000), format="json").status_code == 201
    assert client.post(CLAIM_URL, claim_body(issued.first, 8000), format="json").status_code == 201
    entries = LedgerEntry.objects.count()

    body = assert_error(client.post(CLAIM_URL, claim_body(issued.first, 1), format="json"), 409, "amount")
    assert "0 Wh" in body["message"]
    issued.first.refresh_from_db()
    assert (issued.first.claimed_wh, Claim.objects.count(), LedgerEntry.objects.count()) == (12000, 2, entries)


def test_an_over_claim_is_409_and_stores_nothing(issued, buyer, client_for):
    entries = LedgerEntry.objects.count()
    response = client_for(buyer).post(CLAIM_URL, claim_body(issued.first, 12001), format="json")
    body = assert_error(response, 409, "amount")
    assert "12000" in body["message"]
    nothing_stored(issued.first, entries=entries)


def test_claiming_the_rest_after_a_partial_claim(issued, buyer, client_for):
    claim_create(acting_user=buyer, certificate=issued.first, request=claim_request(9000))
    entries = LedgerEntry.objects.count()
    client = client_for(buyer)
    assert_error(client.post(CLAIM_URL, claim_body(issued.first, 3001), format="json"), 409, "amount")
    nothing_stored(issued.first, claimed_wh=9000, entries=entries)
    response = client.post(CLAIM_URL, claim_body(issued.first, 3000), format="json")
    assert (response.status_code, response.json()["unclaimedWh"]) == (201, 0)


def test_missing_fields_are_400_naming_each_of_them(issued, buyer, client_for):
    entries = LedgerEntry.objects.count()
    client = client_for(buyer)
    body = assert_error(client.post(CLAIM_URL, {}, format="json"), 400, *FIELDS)
    assert set(body["errors"]) == set(FIELDS)
    partial = claim_body(issued.first, 100, beneficiary=None, purpose=None)
    body = assert_error(client.post(CLAIM_URL, partial, format="json"), 400, "beneficiary", "purpose")
    assert set(body["errors"]) == {"beneficiary", "purpose"}
    nothing_stored(issued.first, entries=entries)


INVALID = [
    ({"amount": 0}, "amount"),
    ({"amount": -5}, "amount"),
    ({"amount": "lots"}, "amount"),
    ({"amount": 1.5}, "amount"),
    ({"beneficiary": "   "}, "beneficiary"),
    ({"location": ""}, "location"),
    ({"purpose": 42}, "purpose"),
    ({"countryCode": "XXX"}, "countryCode"),
    ({"countryCode": "India"}, "countryCode"),
    ({"periodStartDate": "first of March"}, "periodStartDate"),
    ({"periodStartDate": "2026-04-01T00:00:00Z", "periodEndDate": "2026-03-01T00:00:00Z"}, "periodEndDate"),
    ({"certificateId": "abc"}, "certificateId"),
]


def test_invalid_claims_are_400_naming_the_field_and_store_nothing(issued, buyer, client_for):
    client = client_for(buyer)
    entries = LedgerEntry.objects.count()
    for overrides, field in INVALID:
        response = client.post(CLAIM_URL, {**claim_body(issued.first, 1000), **overrides}, format="json")
        assert_error(response, 400, field)
        nothing_stored(issued.first, entries=entries)


def test_only_the_buyer_side_may_claim(issued, request, api_client, client_for):
    entries = LedgerEntry.objects.count()
    body = claim_body(issued.first, 1000)
    for persona in ("sub_buyer", "developer_admin", "device_owner"):
        assert_error(client_for(request.getfixturevalue(persona)).post(CLAIM_URL, body, format="json"), 403)
    assert_error(api_client.post(CLAIM_URL, body, format="json"), 401)
    nothing_stored(issued.first, entries=entries)


def test_a_certificate_that_is_not_yours_is_404(issued, buyer, client_for):
    client = client_for(buyer)
    entries = LedgerEntry.objects.count()
    for certificate in (issued.other_certificate, issued.tenant_certificate):
        assert_error(client.post(CLAIM_URL, claim_body(certificate, 1000), format="json"), 404)
        nothing_stored(certificate, entries=entries)
    assert_error(client.post(CLAIM_URL, claim_body(issued.first, 1000, certificateId=999_999), format="json"), 404)


def test_the_api_user_claims_for_its_buyers_only(issued, api_user, other_api_user, grant, client_for):
    response = client_for(api_user).post(CLAIM_URL, claim_body(issued.tenant_certificate, 1000), format="json")
    assert response.status_code == 201, response.content
    assert Claim.objects.get().claimed_by == api_user
    for certificate in (issued.first, issued.other_certificate):
        assert_error(client_for(api_user).post(CLAIM_URL, claim_body(certificate, 1000), format="json"), 404)

    # Another tenant's api user: without the grant 403, with it the certificate is not found.
    body = claim_body(issued.tenant_certificate, 1000)
    assert_error(client_for(other_api_user).post(CLAIM_URL, body, format="json"), 403)
    grant(other_api_user, RESERVATIONS, "Read", "Write")
    assert_error(client_for(other_api_user).post(CLAIM_URL, body, format="json"), 404)
    assert Claim.objects.count() == 1


def test_an_api_user_with_read_only_reservations_cannot_claim(issued, api_user, client_for):
    ModulePermission.objects.filter(user=api_user, module__name=RESERVATIONS).update(permissions_value=1)
    response = client_for(api_user).post(CLAIM_URL, claim_body(issued.tenant_certificate, 1000), format="json")
    assert_error(response, 403)
    assert not Claim.objects.exists()


# --- The redemption report --------------------------------------------------------------------


def test_the_redemption_report_lists_my_claims_in_mwh(issued, buyer, sub_buyer, client_for):
    client = client_for(buyer)
    client.post(CLAIM_URL, claim_body(issued.first, 5000), format="json")
    client.post(
        CLAIM_URL,
        claim_body(issued.second, 2500, beneficiary="Clinic", location="Nairobi", countryCode="KEN", purpose="CSR"),
        format="json",
    )
    response = client.get(REPORT_URL)
    assert response.status_code == 200
    rows = response.json()
    assert [(row["certificateId"], row["certifiedEnergy"]) for row in rows] == [
        (issued.second.pk, 0.0025),
        (issued.first.pk, 0.005),
    ]
    newest = rows[0]
    assert newest["compliance"] == "I-REC"
    assert (newest["beneficiary"], newest["beneficiary_address"]) == ("Clinic", "Nairobi")
    assert (newest["claimCoiuntryCode"], newest["purpose"]) == ("KEN", "CSR")
    assert newest["country"] == ["India"]
    assert newest["fuelCode"] == ["ES100"]
    assert newest["capacityRange"] == "1.01kW - 50kW"  # two 10 kW devices
    assert newest["redemptionDate"].startswith(str(Claim.objects.get(beneficiary="Clinic").created_at.date()))
    assert newest["reservationName"] == "Schools"
    # The sub-buyer of the same organization sees the same report.
    assert client_for(sub_buyer).get(REPORT_URL).json() == rows


def test_the_redemption_report_is_scoped(issued, buyer, developer_admin, api_user, admin_user, client_for):
    claim_create(acting_user=buyer, certificate=issued.first, request=claim_request(1000))
    claim_create(acting_user=issued.other_buyer, certificate=issued.other_certificate, request=claim_request(2000))
    claim_create(acting_user=api_user, certificate=issued.tenant_certificate, request=claim_request(3000))

    def report(user) -> list[int]:
        response = client_for(user).get(REPORT_URL)
        assert response.status_code == 200
        return sorted(row["certifiedEnergy"] for row in response.json())

    assert report(buyer) == [0.001]
    assert report(issued.other_buyer) == [0.002]
    assert report(api_user) == [0.003]
    assert report(developer_admin) == []
    assert report(admin_user) == [0.001, 0.002, 0.003]


def test_the_redemption_report_needs_a_login(api_client):
    assert_error(api_client.get(REPORT_URL), 401)


# --- The per-device export --------------------------------------------------------------------


def test_the_export_has_a_row_per_device_contribution(issued, buyer, client_for):
    response = client_for(buyer).get(export_url(issued.reservation.uid))
    rows = csv_rows(response)
    assert 'filename="Schools ' in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.csv"')
    assert rows[0] == EXPORT_HEADER
    entries = {entry.certificate_id: entry.index for entry in LedgerEntry.objects.filter(kind="issue")}
    expected = []
    for certificate in (issued.first, issued.second):
        for contribution in certificate.contributions.order_by("device__external_id"):
            expected.append(
                [
                    contribution.device.external_id,
                    "Schools",
                    ledger.moment(contribution.start),
                    ledger.moment(contribution.end),
                    str(contribution.energy_wh),
                    str(certificate.uid),
                    "",
                    str(certificate.pk),
                    str(entries[certificate.pk]),
                ]
            )
    assert rows[1:] == expected
    assert [(row[0], row[4]) for row in rows[1:]] == [("MOON-1", "4800"), ("SUN-1", "7200")] * 2
    assert rows[1][2] == "2026-03-02T00:00:00Z"


def test_the_export_is_scoped(issued, buyer, api_user, other_api_user, grant, api_client, client_for):
    assert_error(client_for(buyer).get(export_url(issued.other.uid)), 404)
    assert_error(client_for(buyer).get(export_url(issued.tenant.uid)), 404)
    assert_error(client_for(buyer).get(export_url("not-a-uuid")), 400, "groupUid")
    assert_error(api_client.get(export_url(issued.reservation.uid)), 401)
    assert [row[0] for row in csv_rows(client_for(api_user).get(export_url(issued.tenant.uid)))] == [
        "externalId",
        "API-1",
    ]
    assert_error(client_for(api_user).get(export_url(issued.reservation.uid)), 404)
    grant(other_api_user, LOGS, "Read")
    assert_error(client_for(other_api_user).get(export_url(issued.tenant.uid)), 404)


def test_a_developers_export_holds_its_own_devices_only(issued, developer_admin, client_for):
    rows = csv_rows(client_for(developer_admin).get(export_url(issued.reservation.uid)))
    assert rows[0] == EXPORT_HEADER
    assert [(row[0], row[4]) for row in rows[1:]] == [("SUN-1", "7200")] * 2


def test_an_export_without_certificates_is_the_header_only(developer, buyer, client_for):
    device = device_reading(developer, "QUIET", count=0, value=0)
    reservation = reservation_make(buyer, [device], frequency="daily", name="Quiet")
    assert csv_rows(client_for(buyer).get(export_url(reservation.uid))) == [EXPORT_HEADER]
    assert not Certificate.objects.exists()

"""Certificate logs over the API (SPEC §8, backend.md §10.7, seed #98/#100): the original's
item shape plus the ledger proof, who sees which certificates (buyers their reservations',
developers those their devices contributed to with other organizations' shares merged into
"Other Devices", api users their tenant's), 404 for what is not yours, the filters and the
paging of both lists."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from certificates.models import Certificate, LedgerEntry
from certificates.services import claim_create
from devices.models import Device, FuelType
from organizations.models import OrganizationType
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    certificates,
    claim_request,
    device_reading,
    issue,
    reservation_make,
)
from tests.factories import OrganizationFactory
from tests.organizations.helpers import assert_error, managed_create, member_create
from tests.personas import grants_give, persona_fixture, personas_make
from tests.shared import shared_data, shared_fixture

pytestmark = pytest.mark.django_db

LOGS_URL = "/api/certificate-log/issuer/certifiedlogOfdevices"
LOGS = "CERTIFICATE_LOG_MANAGEMENT_CRUDL"
CLAIMS = "BUYER_RESERVATION_MANAGEMENT_CRUDL"
ITEM_KEYS = {  # seed #98 / #100
    "createdAt", "internalCertificateId", "blockchainCertificateId", "deviceId", "generationStartTime",
    "generationEndTime", "creationTime", "owners", "claimers", "claims", "creationBlockHash", "metadata", "isSynced",
    "transactions", "updatedAt", "perDeviceCertificateLog",
}  # fmt: skip
METADATA_KEYS = {
    "version", "buyerReservationId", "isStandardIssuanceRequested", "type", "deviceIds", "groupId",
    "certificateTransactionUID",
}  # fmt: skip
PER_DEVICE_KEYS = {
    "certificate_issuance_startdate", "certificate_issuance_enddate", "readvalue_watthour", "status", "externalId",
    "groupId", "certificateTransactionUID", "ongoing_start_date", "ongoing_end_date", "timezone",
}  # fmt: skip


def group_url(uid) -> str:
    return f"/api/certificate-log/issuer/certified/new/{uid}"


def logs(client, **query) -> dict:
    response = client.get(LOGS_URL, query)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def ids(body: dict) -> list[int]:
    return [item["internalCertificateId"] for item in body["certificatelog"]]


def rows_by_name(item: dict) -> dict[str, dict]:
    return {row["externalId"]: row for row in item["perDeviceCertificateLog"]}


def pks(*groups) -> list[int]:
    """Certificate ids, newest first (the lists' order)."""
    return sorted((c.pk for group in groups for c in group), reverse=True)


def account(organization) -> str:
    return f"drec:org:{organization.pk}"


def world_make(developer, developer_admin, buyer, api_user):
    """Direct tenant: Sunny Developers' SUN-1 (300 Wh/h) and Other Developers' MOON-1
    (200 Wh/h) in Green Buyers' daily reservation: two certificates of 12,000 Wh (7,200 +
    4,800). Other Buyers reserve Other Developers' MOON-2: two of 2,000 Wh. The api user's
    tenant: its developer's API-1 in its buyer's reservation: two of 3,000 Wh."""
    other_developer = OrganizationFactory(name="Other Developers", organization_type=OrganizationType.DEVELOPER)
    other_developer_admin = member_create(other_developer, email="moon@example.com")
    other_buyer_org = OrganizationFactory(name="Other Buyers", organization_type=OrganizationType.BUYER)
    other_buyer = member_create(other_buyer_org, email="otherbuyer@example.com")

    sun = device_reading(developer, "SUN-1", count=48, value=300)
    moon = device_reading(other_developer, "MOON-1", count=48, value=200)
    moon2 = device_reading(other_developer, "MOON-2", count=48, value=2000 // 24 + 1)
    shared = reservation_make(buyer, [sun, moon], frequency="daily", name="Shared")
    other = reservation_make(other_buyer, [moon2], frequency="daily", name="Other buyer's")
    assert issue(shared, T0 + 2 * DAY) == [12000, 12000]
    assert issue(other, T0 + 2 * DAY) == [2000, 2000]

    grants_give(api_user, ((LOGS, "Read"), (CLAIMS, "Read", "Write")))
    tenant_developer, _ = managed_create(api_user, name="Tenant Developer", email="tdev@example.com")
    tenant_buyer, tenant_member = managed_create(
        api_user, name="Tenant Buyer", organization_type=OrganizationType.BUYER, email="tbuyer@example.com"
    )
    api_device = device_reading(tenant_developer, "API-1", count=48, value=125)
    tenant = reservation_make(tenant_member, [api_device], frequency="daily", name="Tenant's")
    assert issue(tenant, T0 + 2 * DAY) == [3000, 3000]
    return SimpleNamespace(
        other_developer=other_developer,
        other_developer_admin=other_developer_admin,
        other_buyer=other_buyer,
        tenant_developer=tenant_developer,
        tenant_buyer=tenant_buyer,
        tenant_member=tenant_member,
        sun=sun,
        moon=moon,
        moon2=moon2,
        api_device=api_device,
        shared=shared,
        other=other,
        tenant=tenant,
        shared_certificates=certificates(shared),
        other_certificates=certificates(other),
        tenant_certificates=certificates(tenant),
    )


PERSONAS = ("developer_admin", "buyer", "api_user")


def _shared_build() -> dict:
    """The world, once for the module's tests using it (tests/shared.py), with the personas it holds."""
    personas = personas_make(PERSONAS, None)
    world = world_make(personas["developer_admin"].organization, *(personas[name] for name in PERSONAS))
    return {**personas, "world": world}


_shared_data, shared_copy = shared_data(_shared_build, uses=("world",), where=__name__)
developer_org, developer_admin, buyer_org, buyer, api_user = (
    persona_fixture(name, None) for name in ("developer_org", "developer_admin", "buyer_org", "buyer", "api_user")
)
world = shared_fixture("world", lambda request: world_make(*map(request.getfixturevalue, ("developer", *PERSONAS))))


# --- The item shape -----------------------------------------------------------------------


def test_an_item_has_the_seed_shape_with_the_ledger_proof(world, buyer, client_for):
    body = logs(client_for(buyer), pageNumber=1)
    assert set(body) == {"certificatelog", "currentpage", "totalPages", "totalCount", "oldcertificatelog"}
    assert (body["currentpage"], body["totalPages"], body["totalCount"], body["oldcertificatelog"]) == (1, 1, 2, False)
    first = world.shared_certificates[0]
    item = next(item for item in body["certificatelog"] if item["internalCertificateId"] == first.pk)

    assert set(item) >= ITEM_KEYS
    assert item["blockchainCertificateId"] is None
    assert item["deviceId"] == str(world.shared.pk)
    assert item["generationStartTime"] == int(T0.timestamp())
    assert item["generationEndTime"] == int((T0 + DAY).timestamp())
    assert item["creationTime"] == int(first.created_at.timestamp())
    assert all(isinstance(item[key], int) for key in ("generationStartTime", "generationEndTime", "creationTime"))
    assert item["owners"] == {account(buyer.organization): "12000"}
    assert (item["claimers"], item["claims"]) == ({}, [])

    metadata = item["metadata"]
    assert set(metadata) == METADATA_KEYS
    assert metadata["version"] == "v1.0"
    assert metadata["buyerReservationId"] == str(world.shared.uid)
    assert (metadata["isStandardIssuanceRequested"], metadata["type"]) == ("I-REC", "REC")
    assert sorted(metadata["deviceIds"]) == sorted([world.sun.pk, world.moon.pk])
    assert metadata["groupId"] == item["deviceId"]
    assert metadata["certificateTransactionUID"] == str(first.uid)

    rows = rows_by_name(item)
    assert set(rows) == {"SUN-1", "MOON-1"}
    assert all(set(row) >= PER_DEVICE_KEYS for row in rows.values())
    assert (rows["SUN-1"]["readvalue_watthour"], rows["MOON-1"]["readvalue_watthour"]) == (7200, 4800)
    assert {row["certificateTransactionUID"] for row in rows.values()} == {str(first.uid)}

    entry = LedgerEntry.objects.get(certificate=first, kind="issue")
    assert (item["ledgerIndex"], item["hash"], item["signature"]) == (entry.index, entry.hash, entry.signature)


def test_a_claim_moves_volume_from_owners_to_claimers(world, buyer, client_for):
    certificate = world.shared_certificates[0]
    claim_create(acting_user=buyer, certificate=certificate, request=claim_request(5000, beneficiary="School"))
    claim_create(acting_user=buyer, certificate=certificate, request=claim_request(1000, beneficiary="Clinic"))

    item = next(i for i in logs(client_for(buyer))["certificatelog"] if i["internalCertificateId"] == certificate.pk)
    owner = account(buyer.organization)
    assert item["owners"] == {owner: "6000"}
    assert item["claimers"] == {owner: "6000"}
    claims = [(c["value"], c["claimData"]["beneficiary"], c["claimData"]["countryCode"]) for c in item["claims"]]
    assert claims == [("5000", "School", "IND"), ("1000", "Clinic", "IND")]
    claim_entries = LedgerEntry.objects.filter(certificate=certificate, kind="claim").order_by("index")
    assert [c["ledgerIndex"] for c in item["claims"]] == [e.index for e in claim_entries]
    # The other certificate is untouched.
    other = next(i for i in logs(client_for(buyer))["certificatelog"] if i["internalCertificateId"] != certificate.pk)
    assert (other["owners"], other["claimers"]) == ({owner: "12000"}, {})


def test_the_reservation_list_has_the_same_items_newest_first(world, buyer, client_for):
    response = client_for(buyer).get(group_url(world.shared.uid), {"pageNumber": 1})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"certificatelog", "totalItems", "currentPage", "totalPages"}
    assert (body["totalItems"], body["currentPage"], body["totalPages"]) == (2, 1, 1)
    assert ids(body) == pks(world.shared_certificates)
    for item in body["certificatelog"]:
        assert set(item) >= ITEM_KEYS
        assert item["metadata"]["buyerReservationId"] == str(world.shared.uid)
        assert set(rows_by_name(item)) == {"SUN-1", "MOON-1"}
    assert body["certificatelog"][0]["generationStartTime"] > body["certificatelog"][1]["generationStartTime"]


# --- Who sees what --------------------------------------------------------------------------


SEES = {
    "buyer": ["shared"],
    "sub_buyer": ["shared"],
    "developer_admin": ["shared"],
    "device_owner": ["shared"],
    "api_user": ["tenant"],
    "other_api_user": [],
    "admin_user": ["shared", "other", "tenant"],
}
EMPTY = {"certificatelog": [], "currentpage": 0, "totalPages": 0, "totalCount": 0, "oldcertificatelog": False}


def test_each_persona_sees_its_certificates_only(world, request, client_for, grant):
    grant(request.getfixturevalue("other_api_user"), LOGS, "Read")
    for persona, expected in SEES.items():
        body = logs(client_for(request.getfixturevalue(persona)))
        wanted = pks(*(getattr(world, f"{name}_certificates") for name in expected))
        assert ids(body) == wanted, persona
        assert body["totalCount"] == len(wanted), persona
        if not expected:
            assert body == EMPTY, persona


def test_the_other_developer_sees_both_reservations_its_devices_are_in(world, client_for):
    body = logs(client_for(world.other_developer_admin))
    assert ids(body) == pks(world.shared_certificates, world.other_certificates)


def test_anonymous_is_refused_and_an_api_user_needs_the_grant(world, api_client, other_api_user, client_for):
    assert_error(api_client.get(LOGS_URL), 401)
    assert_error(api_client.get(group_url(world.shared.uid)), 401)
    assert_error(client_for(other_api_user).get(LOGS_URL), 403)


def test_a_developer_sees_other_organizations_devices_as_one_other_devices_row(world, developer_admin, client_for):
    body = logs(client_for(developer_admin))
    for item in body["certificatelog"]:
        rows = item["perDeviceCertificateLog"]
        assert [row["externalId"] for row in rows] == ["SUN-1", "Other Devices"]
        own, others = rows
        assert (own["deviceId"], own["readvalue_watthour"]) == (world.sun.pk, 7200)
        assert (others["deviceId"], others["readvalue_watthour"]) == (0, 4800)
        assert "MOON-1" not in str(item)
    # And the other developer the other way round.
    mine = logs(client_for(world.other_developer_admin))
    shared = [item for item in mine["certificatelog"] if item["deviceId"] == str(world.shared.pk)]
    assert len(shared) == 2
    for item in shared:
        assert {row["externalId"]: row["readvalue_watthour"] for row in item["perDeviceCertificateLog"]} == {
            "MOON-1": 4800,
            "Other Devices": 7200,
        }
        assert "SUN-1" not in str(item)


def test_other_devices_sums_every_other_organizations_share(developer, developer_admin, buyer, client_for):
    """Two other organizations' devices in one certificate: one "Other Devices" row with their sum."""
    mine = device_reading(developer, "MINE", count=24, value=100)
    others = [
        device_reading(OrganizationFactory(organization_type=OrganizationType.DEVELOPER), name, count=24, value=value)
        for name, value in (("THEIRS-1", 150), ("THEIRS-2", 250))
    ]
    reservation = reservation_make(buyer, [mine, *others], frequency="daily")
    assert issue(reservation, T0 + DAY) == [12000]
    (item,) = logs(client_for(developer_admin))["certificatelog"]
    assert {row["externalId"]: row["readvalue_watthour"] for row in item["perDeviceCertificateLog"]} == {
        "MINE": 2400,
        "Other Devices": 9600,
    }


def test_the_buyer_sees_every_device_unmerged(world, buyer, api_user, client_for):
    for item in logs(client_for(buyer))["certificatelog"]:
        assert set(rows_by_name(item)) == {"SUN-1", "MOON-1"}
    for item in logs(client_for(api_user))["certificatelog"]:
        assert set(rows_by_name(item)) == {"API-1"}


def test_an_api_user_picks_one_of_its_organizations(world, api_user, client_for):
    client = client_for(api_user)
    as_buyer = logs(client, organizationId=world.tenant_buyer.pk)
    assert ids(as_buyer) == pks(world.tenant_certificates)
    as_developer = logs(client, organizationId=world.tenant_developer.pk)
    assert ids(as_developer) == pks(world.tenant_certificates)
    assert all(rows_by_name(item).keys() == {"API-1"} for item in as_developer["certificatelog"])
    # Another tenant's (or a direct) organization is not its own: 404, whatever its type.
    for organization in (world.other_developer, world.shared.organization):
        assert_error(client.get(LOGS_URL, {"organizationId": organization.pk}), 404)
    assert_error(client.get(LOGS_URL, {"organizationId": "abc"}), 400, "organizationId")


def test_the_api_users_developer_view_merges_other_organizations(world, api_user, client_for):
    """A second developer of the tenant shares a reservation: the first one's view merges it."""
    second, _ = managed_create(api_user, name="Tenant Developer 2", email="tdev2@example.com")
    first_device = device_reading(world.tenant_developer, "API-3", count=24, value=150)
    second_device = device_reading(second, "API-2", count=24, value=100)
    shared = reservation_make(world.tenant_member, [first_device, second_device], frequency="daily")
    assert issue(shared, T0 + DAY) == [6000]
    body = logs(client_for(api_user), organizationId=world.tenant_developer.pk)
    assert ids(body) == pks(world.tenant_certificates, certificates(shared))
    item = next(i for i in body["certificatelog"] if i["deviceId"] == str(shared.pk))
    assert {row["externalId"]: row["readvalue_watthour"] for row in item["perDeviceCertificateLog"]} == {
        "API-3": 3600,
        "Other Devices": 2400,
    }
    # As the buyer, the api user sees both devices.
    item = next(i for i in logs(client_for(api_user))["certificatelog"] if i["deviceId"] == str(shared.pk))
    assert set(rows_by_name(item)) == {"API-2", "API-3"}


def test_a_member_cannot_name_another_organization(world, buyer, developer_admin, client_for):
    assert_error(client_for(buyer).get(LOGS_URL, {"organizationId": world.other_buyer.organization_id}), 404)
    assert_error(client_for(developer_admin).get(LOGS_URL, {"organizationId": world.other_developer.pk}), 404)
    # Its own organization is fine.
    assert ids(logs(client_for(buyer), organizationId=buyer.organization_id)) == pks(world.shared_certificates)


def test_a_reservation_uid_outside_the_tenant_is_404(world, buyer, api_user, other_api_user, grant, client_for):
    grant(other_api_user, LOGS, "Read")
    assert_error(client_for(buyer).get(group_url(world.other.uid)), 404)
    assert_error(client_for(buyer).get(group_url(world.tenant.uid)), 404)
    assert_error(client_for(api_user).get(group_url(world.shared.uid)), 404)
    assert_error(client_for(other_api_user).get(group_url(world.tenant.uid)), 404)
    assert_error(client_for(buyer).get(group_url("1b4e28ba-2fa1-11d2-883f-0016d3cca427")), 404)
    assert ids(client_for(api_user).get(group_url(world.tenant.uid)).json()) == pks(world.tenant_certificates)
    assert ids(client_for(world.other_buyer).get(group_url(world.other.uid)).json()) == pks(world.other_certificates)


def test_a_bad_reservation_uid_is_400(world, buyer, client_for):
    assert_error(client_for(buyer).get(group_url("not-a-uuid")), 400, "groupUid")
    assert_error(client_for(buyer).get(group_url("42")), 400, "groupUid")


def test_a_developer_does_not_learn_other_developers_devices_from_a_reservations_list(
    world, developer_admin, client_for
):
    """It sees the reservation holding its device as in its certificate log: others' shares merged."""
    response = client_for(developer_admin).get(group_url(world.shared.uid))
    assert response.status_code == 200
    assert ids(response.json()) == pks(world.shared_certificates)
    for item in response.json()["certificatelog"]:
        assert [row["externalId"] for row in item["perDeviceCertificateLog"]] == ["SUN-1", "Other Devices"]
        assert "MOON-1" not in str(item)


# --- Filters and paging -----------------------------------------------------------------------


@pytest.fixture
def varied(developer, buyer):
    """One daily reservation over two days of an Indian device (School, SDG1, solar; 6,000 Wh a
    day) and a Kenyan one (Residential, SDG4, fuel ES200; 3,000 Wh a day): four certificates,
    one per day and country."""
    FuelType.objects.create(code="ES200", name="Wind")
    india = device_reading(developer, "IND-1", count=48, value=250)
    kenya = device_reading(developer, "KEN-1", count=48, value=125, country="KEN")
    Device.objects.filter(pk=india.pk).update(off_taker_id="School")
    Device.objects.filter(pk=kenya.pk).update(off_taker_id="Residential", fuel_code_id="ES200")
    india.sdg_benefits.set(["SDG1"])
    kenya.sdg_benefits.set(["SDG4"])
    reservation = reservation_make(buyer, [india, kenya], frequency="daily")
    assert sorted(issue(reservation, T0 + 2 * DAY)) == [3000, 3000, 6000, 6000]
    by = {}
    for certificate in certificates(reservation):
        by[(certificate.country_id, certificate.generation_start.date())] = certificate.pk
    return SimpleNamespace(
        ind=[by[("IND", T0.date())], by[("IND", (T0 + DAY).date())]],
        ken=[by[("KEN", T0.date())], by[("KEN", (T0 + DAY).date())]],
        day1=[by[("IND", T0.date())], by[("KEN", T0.date())]],
        day2=[by[("IND", (T0 + DAY).date())], by[("KEN", (T0 + DAY).date())]],
    )


def expected(*groups) -> list[int]:
    return sorted({pk for group in groups for pk in group}, reverse=True)


FILTER_CASES = [
    ({}, ("ind", "ken")),
    ({"country": "KEN"}, ("ken",)),
    ({"country": "ind"}, ("ind",)),
    ({"country": "IND,KEN"}, ("ind", "ken")),
    ({"country": "BRA"}, ()),
    ({"fuelCode": "ES200"}, ("ken",)),
    ({"fuelCode": "ES100"}, ("ind",)),
    ({"offTaker": "School"}, ("ind",)),
    ({"offTaker": "Residential,School"}, ("ind", "ken")),
    ({"SDGBenefits": "SDG4"}, ("ken",)),
    ({"start_date": (T0 + DAY).isoformat()}, ("day2",)),
    ({"end_date": (T0 + DAY).isoformat()}, ("day1",)),
    ({"start_date": "2026-03-02", "end_date": "2026-03-03"}, ("day1",)),
    ({"start_date": (T0 + 2 * DAY).isoformat()}, ()),
    ({"fromAmountread": 5000}, ("ind",)),
    ({"toAmountread": 3000}, ("ken",)),
    ({"fromAmountread": 3000, "toAmountread": 6000}, ("ind", "ken")),
    ({"fromAmountread": 3001, "toAmountread": 5999}, ()),
    # ANDed, not ORed as in the original.
    ({"country": "IND", "offTaker": "Residential"}, ()),
    ({"country": "KEN", "start_date": (T0 + DAY).isoformat()}, ("ken_day2",)),
]


def test_filters(varied, buyer, client_for):
    client = client_for(buyer)
    varied.ken_day2 = [pk for pk in varied.ken if pk in varied.day2]
    for query, groups in FILTER_CASES:
        body = logs(client, **query)
        assert ids(body) == expected(*(getattr(varied, name) for name in groups)), query
        assert body["totalCount"] == len(body["certificatelog"]), query


BAD_FILTERS = [
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-45"}, "end_date"),
    ({"start_date": "2026-03-05", "end_date": "2026-03-01"}, "end_date"),
    ({"fromAmountread": "lots"}, "fromAmountread"),
    ({"toAmountread": "-5"}, "toAmountread"),
    ({"SDGBenefits": "SDG99"}, "SDGBenefits"),
    ({"pageNumber": "0"}, "pageNumber"),
    ({"pageNumber": "x"}, "pageNumber"),
]


def test_bad_filters_are_400_naming_the_field(varied, buyer, client_for):
    client = client_for(buyer)
    for query, field in BAD_FILTERS:
        assert_error(client.get(LOGS_URL, query), 400, field)


def test_filters_keep_to_the_callers_certificates(varied, world, buyer, client_for):
    """A filter never widens the view: Other Buyers' Indian certificates stay hidden."""
    body = logs(client_for(buyer), country="IND")
    assert set(ids(body)) == set(varied.ind) | {c.pk for c in world.shared_certificates}


@pytest.fixture
def hourly(developer, buyer):
    """An hourly reservation with 22 certificates of 1,000 Wh."""
    device = device_reading(developer, "HOURLY", count=22, value=1000)
    reservation = reservation_make(buyer, [device], frequency="hourly")
    assert issue(reservation, T0 + 23 * HOUR) == [1000] * 22
    return reservation


def test_the_device_log_pages_by_ten(hourly, buyer, client_for):
    client = client_for(buyer)
    every = list(Certificate.objects.order_by("-id").values_list("pk", flat=True))
    first, third = logs(client, pageNumber=1), logs(client, pageNumber=3)
    assert (first["currentpage"], first["totalPages"], first["totalCount"]) == (1, 3, 22)
    assert ids(first) == every[:10]
    assert ids(logs(client, pageNumber=2)) == every[10:20]
    assert (ids(third), third["currentpage"]) == (every[20:], 3)
    assert logs(client, pageNumber=4)["certificatelog"] == []
    # The original's lower-case alias.
    assert ids(logs(client, pagenumber=2)) == every[10:20]


def test_the_reservation_list_pages_by_twenty_newest_first(hourly, buyer, client_for):
    client = client_for(buyer)
    first = client.get(group_url(hourly.uid), {"pageNumber": 1}).json()
    second = client.get(group_url(hourly.uid), {"pageNumber": 2}).json()
    every = list(hourly.certificates.order_by("-generation_start").values_list("pk", flat=True))
    assert (first["totalItems"], first["totalPages"], first["currentPage"]) == (22, 2, 1)
    assert ids(first) == every[:20]
    assert (ids(second), second["currentPage"]) == (every[20:], 2)
    starts = [item["generationStartTime"] for item in first["certificatelog"] + second["certificatelog"]]
    assert starts == sorted(starts, reverse=True)
    assert starts[-1] == int(T0.timestamp())
    assert starts[0] == int((T0 + timedelta(hours=21)).timestamp())


def test_a_reservation_without_certificates_is_an_empty_list(developer, buyer, client_for):
    device = device_reading(developer, "QUIET", count=0, value=0)
    reservation = reservation_make(buyer, [device], frequency="daily")
    body = client_for(buyer).get(group_url(reservation.uid)).json()
    assert (body["certificatelog"], body["totalItems"], body["totalPages"]) == ([], 0, 0)

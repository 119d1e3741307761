"""Device lists: "My devices" and the devices a buyer may reserve, their filters and paging
(SPEC §5, §9; backend.md §7.4-7.5)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Role
from devices.models import Device
from organizations.models import OrganizationType
from tests.devices.helpers import DEVICE_KEYS, MY_URL, PAGE_KEYS, UNGROUPED_URL, device_make, ids
from tests.factories import OrganizationFactory
from tests.organizations.helpers import assert_error, member_create
from tests.personas import developer_org_make, persona_fixture
from tests.shared import shared_data, shared_fixture

pytestmark = pytest.mark.django_db


def rival_org_make():
    return OrganizationFactory(name="Distant Solar", organization_type=OrganizationType.DEVELOPER)


def fleet_make(developer_org, rival_org):
    """Four devices of the direct developer, registered A, B, C, D (so D is the newest), and
    one of another direct developer that must never show up in its lists."""
    device_make(
        developer_org,
        "A-School",
        deviceTypeCode="TC110",
        countryCode="IND",
        capacity=Decimal("5"),
        commissioningDate=datetime(2020, 1, 10, tzinfo=UTC),
        gridInterconnection=True,
        offTaker="School",
        SDGBenefits=["SDG1", "SDG7"],
    )
    device_make(
        developer_org,
        "B-Home",
        deviceTypeCode="TC120",
        countryCode="KEN",
        capacity=Decimal("50"),
        commissioningDate=datetime(2021, 6, 10, tzinfo=UTC),
        gridInterconnection=False,
        offTaker="Residential",
        SDGBenefits=["SDG7"],
    )
    device_make(
        developer_org,
        "C-Float",
        deviceTypeCode="TC130",
        countryCode="IND",
        capacity=Decimal("500"),
        commissioningDate=datetime(2022, 3, 10, tzinfo=UTC),
        gridInterconnection=True,
    )
    device_make(
        developer_org,
        "D-Clinic",
        deviceTypeCode="TC120",
        countryCode="NGA",
        capacity=Decimal("1.5"),
        commissioningDate=datetime(2023, 9, 15, tzinfo=UTC),
        gridInterconnection=False,
        offTaker="Health Facility",
        SDGBenefits=["SDG3"],
    )
    device_make(rival_org, "R-Rival", deviceTypeCode="TC120", countryCode="KEN")


def _shared_build() -> dict:
    """The fleet, once for the module's tests using it (tests/shared.py), with its organizations."""
    developer_org, rival_org = developer_org_make(), rival_org_make()
    return {"developer_org": developer_org, "rival_org": rival_org, "fleet": fleet_make(developer_org, rival_org)}


# Here the fleet is what is shared (the folder's tenants are made per test).
_shared_data, shared_copy = shared_data(_shared_build, uses=("fleet",), where=__name__)
developer_org = persona_fixture("developer_org", None)
rival_org = shared_fixture("rival_org", lambda request: rival_org_make())
fleet = shared_fixture(
    "fleet", lambda request: fleet_make(*map(request.getfixturevalue, ("developer_org", "rival_org")))
)


@pytest.fixture
def developer(client_for, developer_admin, fleet):
    return client_for(developer_admin)


def my(client, **params):
    response = client.get(MY_URL, {"pagenumber": 1, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_my_devices_are_a_page_of_the_organizations_devices_newest_first(developer):
    body = my(developer)
    assert set(body) == {"devices", *PAGE_KEYS}
    assert ids(body["devices"]) == ["D-Clinic", "C-Float", "B-Home", "A-School"]
    assert (body["currentPage"], body["totalPages"], body["totalCount"]) == (1, 1, 4)
    assert set(body["devices"][0]) == DEVICE_KEYS


FILTERS = [
    pytest.param({"fuelCode": "ES100"}, ["D-Clinic", "C-Float", "B-Home", "A-School"], id="fuelCode"),
    pytest.param({"fuelCode": "ES990"}, [], id="fuelCode-none"),
    pytest.param({"deviceTypeCode": "TC120"}, ["D-Clinic", "B-Home"], id="deviceTypeCode"),
    pytest.param({"deviceTypeCode": "TC110,TC130"}, ["C-Float", "A-School"], id="deviceTypeCode-list"),
    pytest.param({"deviceTypeCode": " TC110 , TC150 "}, ["A-School"], id="deviceTypeCode-spaces"),
    pytest.param({"offTaker": "Health Facility"}, ["D-Clinic"], id="offTaker"),
    pytest.param({"offTaker": "School,Residential"}, ["B-Home", "A-School"], id="offTaker-list"),
    pytest.param({"country": "IND"}, ["C-Float", "A-School"], id="country"),
    pytest.param({"country": "nga"}, ["D-Clinic"], id="country-lower-case"),
    pytest.param({"country": "DEU"}, [], id="country-none"),
    pytest.param({"capacity": "50"}, ["D-Clinic", "B-Home", "A-School"], id="capacity-at-most"),
    pytest.param({"capacity": "4.99"}, ["D-Clinic"], id="capacity-decimal"),
    pytest.param({"capacity": "1"}, [], id="capacity-none"),
    pytest.param({"gridInterconnection": "true"}, ["C-Float", "A-School"], id="grid-true"),
    pytest.param({"gridInterconnection": "false"}, ["D-Clinic", "B-Home"], id="grid-false"),
    pytest.param({"start_date": "2021-01-01"}, ["D-Clinic", "C-Float", "B-Home"], id="start_date"),
    pytest.param({"end_date": "2021-12-31"}, ["B-Home", "A-School"], id="end_date"),
    pytest.param({"start_date": "2021-01-01T00:00:00Z", "end_date": "2022-12-31T00:00:00Z"}, ["C-Float", "B-Home"]),
    pytest.param({"SDGBenefits": "SDG7"}, ["B-Home", "A-School"], id="SDG-code"),
    pytest.param({"SDGBenefits": "No Poverty"}, ["A-School"], id="SDG-title"),
    pytest.param({"SDGBenefits": "sdg1,Good Health and Well-being"}, ["D-Clinic", "A-School"], id="SDG-list"),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_each_filter_narrows_the_list(developer, params, expected):
    body = my(developer, **params)
    assert ids(body["devices"]) == expected
    assert body["totalCount"] == len(expected)


COMBINED = [
    pytest.param({"deviceTypeCode": "TC120", "country": "KEN"}, ["B-Home"], id="type-and-country"),
    pytest.param({"deviceTypeCode": "TC120", "capacity": "10"}, ["D-Clinic"], id="type-and-capacity"),
    pytest.param({"gridInterconnection": "true", "SDGBenefits": "SDG7"}, ["A-School"], id="grid-and-sdg"),
    pytest.param({"country": "IND", "start_date": "2021-01-01"}, ["C-Float"], id="country-and-date"),
    pytest.param({"offTaker": "School,Residential", "country": "KEN", "capacity": "10"}, [], id="three-none"),
]


@pytest.mark.parametrize(("params", "expected"), COMBINED)
def test_filters_combine_with_and(developer, params, expected):
    assert ids(my(developer, **params)["devices"]) == expected


def test_paging_with_either_spelling_and_a_limit(developer):
    first = my(developer, limit=3)
    assert ids(first["devices"]) == ["D-Clinic", "C-Float", "B-Home"]
    assert (first["currentPage"], first["totalPages"], first["totalCount"]) == (1, 2, 4)
    second = developer.get(MY_URL, {"pageNumber": 2, "limit": 3}).json()
    assert ids(second["devices"]) == ["A-School"]
    assert (second["currentPage"], second["totalPages"], second["totalCount"]) == (2, 2, 4)
    past = my(developer, pagenumber=5, limit=3)
    assert past["devices"] == []
    assert past["totalCount"] == 4
    filtered = my(developer, pagenumber=2, limit=1, deviceTypeCode="TC120")
    assert ids(filtered["devices"]) == ["B-Home"]
    assert (filtered["totalPages"], filtered["totalCount"]) == (2, 2)


def test_the_default_page_is_20(developer, developer_org):
    for number in range(21):
        device_make(developer_org, f"Extra-{number:02d}")
    body = my(developer)
    assert len(body["devices"]) == 20
    assert (body["totalPages"], body["totalCount"]) == (2, 25)
    assert body["devices"][0]["externalId"] == "Extra-20"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pagenumber": "0"}, "pagenumber"),
        ({"pagenumber": "two"}, "pagenumber"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(developer, params, field):
    assert_error(developer.get(MY_URL, params), 400, field)


def test_an_api_user_lists_one_managed_organization_or_all_of_them(client_for, tenants):
    device_make(tenants.managed, "M-1")
    device_make(tenants.managed2, "M2-1")
    device_make(tenants.other_managed, "Other-1")
    device_make(tenants.developer_org, "Direct-1")
    client = client_for(tenants.api_user)
    assert ids(my(client, organizationId=tenants.managed.pk)["devices"]) == ["M-1"]
    assert ids(my(client, organizationId=tenants.managed2.pk)["devices"]) == ["M2-1"]
    assert ids(my(client)["devices"]) == ["M2-1", "M-1"]
    assert_error(client.get(MY_URL, {"organizationId": tenants.other_managed.pk}), 404)
    assert_error(client.get(MY_URL, {"organizationId": tenants.developer_org.pk}), 404)
    assert (
        "Buyer organization"
        in assert_error(client.get(MY_URL, {"organizationId": tenants.managed_buyer.pk}), 403)["message"]
    )
    assert_error(client.get(MY_URL, {"organizationId": "abc"}), 400, "organizationId")


def test_a_developer_sees_only_its_organization(client_for, fleet, developer_org, rival_org):
    rival = member_create(rival_org, email="distant@example.com", role=Role.ORGANIZATION_ADMIN)
    assert ids(my(client_for(rival))["devices"]) == ["R-Rival"]
    assert_error(client_for(rival).get(MY_URL, {"organizationId": developer_org.pk}), 404)


# --- Hostile filter values --------------------------------------------------------------------

HOSTILE = [
    "'; DROP TABLE devices_device; --",
    "%",
    "_",
    "\\",
    "' OR '1'='1",
    "TC120' OR 1=1 --",
    "%TC%",
    "TC12_",
    "TC1%",
]
TEXT_FILTERS = ["fuelCode", "deviceTypeCode", "offTaker"]
TYPED_FILTERS = ["country", "capacity", "gridInterconnection", "start_date", "end_date", "SDGBenefits"]


def _table_still_there():
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [Device._meta.db_table])
        assert cursor.fetchone()[0] is not None
    assert Device.objects.count() == 5


@pytest.mark.parametrize("name", TEXT_FILTERS)
def test_sql_metacharacters_in_a_text_filter_match_nothing(developer, name):
    for value in HOSTILE:
        body = my(developer, **{name: value})
        assert (body["devices"], body["totalCount"]) == ([], 0), value
    _table_still_there()


@pytest.mark.parametrize("name", TYPED_FILTERS)
def test_sql_metacharacters_in_a_typed_filter_are_a_400_naming_it(developer, name):
    for value in HOSTILE:
        assert_error(developer.get(MY_URL, {"pagenumber": 1, name: value}), 400, name)
    _table_still_there()


def test_sql_metacharacters_in_the_organization_or_page_are_a_400(developer):
    for value in HOSTILE:
        assert_error(developer.get(MY_URL, {"organizationId": value}), 400, "organizationId")
        assert_error(developer.get(MY_URL, {"pagenumber": value}), 400, "pagenumber")
        assert_error(developer.get(MY_URL, {"limit": value}), 400, "limit")
    _table_still_there()


def test_a_nul_character_in_a_text_filter_is_refused(developer):
    for name in TEXT_FILTERS:
        assert_error(developer.get(MY_URL, {"pagenumber": 1, name: "TC120\x00"}), 400)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999999"])
def test_a_capacity_that_is_not_a_finite_number_is_a_400(developer, value):
    assert_error(developer.get(MY_URL, {"pagenumber": 1, "capacity": value}), 400, "capacity")


@pytest.mark.parametrize(("name", "value"), [("start_date", "2021-02-30"), ("end_date", "2021-13-45T10:00:00")])
def test_an_impossible_calendar_date_is_a_400(developer, name, value):
    assert_error(developer.get(MY_URL, {"pagenumber": 1, name: value}), 400, name)


# --- Devices a buyer may reserve -------------------------------------------------------------


@pytest.fixture
def market(fleet, tenants):
    """Besides the direct fleet: devices of api_user's two developer organizations and one of
    the other tenant's."""
    device_make(tenants.managed, "M-1", countryCode="KEN")
    device_make(tenants.managed2, "M2-1", countryCode="IND", deviceTypeCode="TC150")
    device_make(tenants.other_managed, "Other-1", countryCode="KEN")
    return tenants


def ungrouped(client, **params):
    response = client.get(UNGROUPED_URL, {"pagenumber": 1, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_direct_buyer_sees_the_devices_of_the_direct_developers(client_for, market):
    body = ungrouped(client_for(market.buyer))
    assert set(body) == {"devices", *PAGE_KEYS}
    assert sorted(ids(body["devices"])) == ["A-School", "B-Home", "C-Float", "D-Clinic", "R-Rival"]
    assert body["totalCount"] == 5


def test_a_sub_buyer_sees_the_same_devices(client_for, market, sub_buyer):
    assert sorted(ids(ungrouped(client_for(sub_buyer))["devices"])) == [
        "A-School",
        "B-Home",
        "C-Float",
        "D-Clinic",
        "R-Rival",
    ]


def test_an_api_user_sees_its_tenants_devices_for_its_buyer_organization(client_for, market):
    client = client_for(market.api_user)
    body = ungrouped(client, organizationId=market.managed_buyer.pk)
    assert sorted(ids(body["devices"])) == ["M-1", "M2-1"]
    filtered = ungrouped(client, organizationId=market.managed_buyer.pk, country="IND")
    assert ids(filtered["devices"]) == ["M2-1"]


def test_the_buyer_organizations_filters_and_paging_apply(client_for, market):
    client = client_for(market.buyer)
    assert sorted(ids(ungrouped(client, deviceTypeCode="TC120")["devices"])) == ["B-Home", "D-Clinic", "R-Rival"]
    assert sorted(ids(ungrouped(client, deviceTypeCode="TC120", country="KEN")["devices"])) == ["B-Home", "R-Rival"]
    page = ungrouped(client, limit=2, pagenumber=3)
    assert len(page["devices"]) == 1
    assert (page["currentPage"], page["totalPages"], page["totalCount"]) == (3, 3, 5)


def test_a_developer_organization_is_refused_for_reservation_devices(client_for, market):
    client = client_for(market.api_user)
    body = assert_error(client.get(UNGROUPED_URL, {"organizationId": market.managed.pk}), 403)
    assert "Developer organization" in body["message"]
    assert_error(client.get(UNGROUPED_URL), 400, "organizationId")


def test_another_tenants_buyer_organization_is_404(client_for, market):
    client = client_for(market.api_user)
    assert_error(client.get(UNGROUPED_URL, {"organizationId": market.other_managed_buyer.pk}), 404)
    assert_error(client.get(UNGROUPED_URL, {"organizationId": market.buyer_org.pk}), 404)
    assert_error(client_for(market.buyer).get(UNGROUPED_URL, {"organizationId": market.managed_buyer.pk}), 404)


def test_developers_may_not_list_reservation_devices(client_for, market):
    assert_error(client_for(market.developer_admin).get(UNGROUPED_URL), 403)


def test_sql_metacharacters_in_reservation_filters_are_harmless(client_for, market):
    client = client_for(market.buyer)
    for value in HOSTILE:
        for name in TEXT_FILTERS:
            assert ungrouped(client, **{name: value})["devices"] == [], (name, value)
        for name in TYPED_FILTERS:
            assert_error(client.get(UNGROUPED_URL, {name: value}), 400, name)
    assert Device.objects.count() == 8

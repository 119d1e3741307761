"""Listing reservations: GET /api/buyer-reservation and /my (backend.md §9.2, SPEC §9):
who sees which, the filters (ANDed), paging and the order (newest first)."""

import uuid
from datetime import timedelta

import pytest

from tests.devices.helpers import device_make
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import (
    CONTINUE_TARGET,
    MY_URL,
    PAGE_KEYS,
    RESERVATIONS_URL,
    START,
    devices_make,
    end_url,
    names,
    reserve,
    stamp,
)

pytestmark = pytest.mark.django_db


def _get(client, url=RESERVATIONS_URL, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    response = client.get(f"{url}?{query}" if query else url)
    assert response.status_code == 200, response.content[:500]
    page = response.json()
    assert set(page) == {"groupedData", *PAGE_KEYS}
    return page


# --- Who sees which ---------------------------------------------------------------------------


@pytest.fixture
def everyone(client_for, tenants, admin_user):
    """Reservations of every tenant: api_user's two buyers (M1, M2 for the first, N1 for the
    second), other_api_user's buyer (F1), the direct buyer (D1); made in this order."""
    managed = devices_make(tenants.managed, "MAN", 3)
    api = client_for(tenants.api_user)
    reserve(api, [managed[0].pk], org=tenants.managed_buyer, name="M1")
    reserve(api, [managed[1].pk], org=tenants.managed_buyer, name="M2")
    reserve(api, [managed[2].pk], org=tenants.managed_buyer2, name="N1")
    far = device_make(tenants.other_managed, "FAR-1")
    reserve(client_for(tenants.other_api_user), [far.pk], org=tenants.other_managed_buyer, name="F1")
    direct = device_make(tenants.developer_org, "DIR-1")
    reserve(client_for(tenants.buyer), [direct.pk], name="D1")
    return tenants


def test_an_api_user_sees_the_reservations_of_its_buyers_only(client_for, everyone):
    page = _get(client_for(everyone.api_user))
    assert names(page) == ["N1", "M2", "M1"]
    assert page["totalCount"] == 3
    assert {item["api_user_id"] for item in page["groupedData"]} == {str(everyone.api_user.api_user.api_user_id)}
    assert page["groupedData"][0]["organization"] == {"name": "Starlight Buyers"}


def test_an_api_user_may_name_itself_but_not_another_api_user(client_for, everyone):
    client = client_for(everyone.api_user)
    own = everyone.api_user.api_user.api_user_id
    assert names(_get(client, apiuserId=own)) == ["N1", "M2", "M1"]
    assert names(_get(client, apiUserId=own)) == ["N1", "M2", "M1"]
    other = everyone.other_api_user.api_user.api_user_id
    body = assert_error(client.get(f"{RESERVATIONS_URL}?apiuserId={other}"), 403)
    assert "F1" not in repr(body)


def test_the_super_admin_sees_all_or_one_tenants(client_for, admin_user, everyone):
    admin = client_for(admin_user)
    assert names(_get(admin)) == ["D1", "F1", "N1", "M2", "M1"]
    assert names(_get(admin, apiuserId=everyone.api_user.api_user.api_user_id)) == ["N1", "M2", "M1"]
    assert names(_get(admin, apiuserId=everyone.other_api_user.api_user.api_user_id)) == ["F1"]
    assert names(_get(admin, organizationId=everyone.buyer_org.pk)) == ["D1"]


def test_a_malformed_api_user_id_is_invalid_and_an_unknown_one_not_found(client_for, admin_user, everyone):
    admin = client_for(admin_user)
    assert_error(admin.get(f"{RESERVATIONS_URL}?apiuserId=not-a-uuid"), 400, "apiuserId")
    assert_error(admin.get(f"{RESERVATIONS_URL}?apiuserId={uuid.uuid4()}"), 404)


def test_the_organization_id_narrows_to_one_buyer(client_for, everyone):
    client = client_for(everyone.api_user)
    assert names(_get(client, organizationId=everyone.managed_buyer.pk)) == ["M2", "M1"]
    assert names(_get(client, organizationId=everyone.managed_buyer2.pk)) == ["N1"]
    assert names(_get(client, orgId=everyone.managed_buyer2.pk)) == ["N1"]
    own = everyone.api_user.api_user.api_user_id
    assert names(_get(client, apiuserId=own, organizationId=everyone.managed_buyer.pk)) == ["M2", "M1"]


def test_another_tenants_organization_id_is_not_found(client_for, everyone):
    client = client_for(everyone.api_user)
    body = assert_error(client.get(f"{RESERVATIONS_URL}?organizationId={everyone.other_managed_buyer.pk}"), 404)
    assert "F1" not in repr(body)
    assert_error(client.get(f"{RESERVATIONS_URL}?organizationId={everyone.buyer_org.pk}"), 404)


def test_a_buyer_sees_its_organizations_reservations_only(client_for, everyone, sub_buyer, rival_buyer):
    for user in (everyone.buyer, sub_buyer):
        client = client_for(user)
        assert names(_get(client)) == ["D1"]
        assert names(_get(client, MY_URL)) == ["D1"]
    assert names(_get(client_for(rival_buyer))) == []
    assert names(_get(client_for(rival_buyer), MY_URL)) == []


# --- Filters ------------------------------------------------------------------------------------


@pytest.fixture
def three(client_for, buyer, developer_admin):
    """The direct buyer's reservations, made in this order:
    "Solar Village" (IND, Residential; the whole period, active),
    "Solar Town" (KEN, School; days 5 to 20, active),
    "Wind Farm" (IND and KEN, Residential and School; the whole period, ended)."""
    organization = developer_admin.organization
    client = client_for(buyer)
    ind = device_make(organization, "IND-1", countryCode="IND", offTaker="Residential")
    ken = device_make(organization, "KEN-1", countryCode="KEN", offTaker="School")
    ind2 = device_make(organization, "IND-2", countryCode="IND", offTaker="Residential")
    ken2 = device_make(organization, "KEN-2", countryCode="KEN", offTaker="School")
    reserve(client, [ind.pk], name="Solar Village")
    reserve(
        client,
        [ken.pk],
        name="Solar Town",
        reservationStartDate=stamp(START + timedelta(days=5)),
        reservationEndDate=stamp(START + timedelta(days=20)),
        **{CONTINUE_TARGET: True},
    )
    wind = reserve(client, [ind2.pk, ken2.pk], name="Wind Farm")
    assert client.delete(end_url(wind["id"])).status_code == 200
    return client


FILTER_CASES = [
    ({}, ["Wind Farm", "Solar Town", "Solar Village"]),
    ({"name": "solar"}, ["Solar Town", "Solar Village"]),
    ({"name": "VILLAGE"}, ["Solar Village"]),
    ({"name": "nothing like it"}, []),
    ({"country": "KEN"}, ["Wind Farm", "Solar Town"]),
    ({"country": "ken"}, ["Wind Farm", "Solar Town"]),
    ({"country": "IND,KEN"}, ["Wind Farm"]),  # holds devices of every country named
    ({"offTaker": "School"}, ["Wind Farm", "Solar Town"]),
    ({"offTaker": "School,Residential"}, ["Wind Farm", "Solar Town", "Solar Village"]),  # any
    ({"reservationActive": "All"}, ["Wind Farm", "Solar Town", "Solar Village"]),
    ({"reservationActive": "Active"}, ["Solar Town", "Solar Village"]),
    ({"reservationActive": "Deactive"}, ["Wind Farm"]),
    (
        {"start_date": stamp(START + timedelta(days=1)), "end_date": stamp(START + timedelta(days=30))},
        ["Solar Town"],
    ),
    (
        {"start_date": stamp(START), "end_date": stamp(START + timedelta(days=200))},
        ["Wind Farm", "Solar Town", "Solar Village"],
    ),
    # ANDed, not ORed (the original's /my ORed them).
    ({"name": "solar", "country": "KEN"}, ["Solar Town"]),
    ({"name": "wind", "reservationActive": "Active"}, []),
    ({"offTaker": "Residential", "reservationActive": "Active"}, ["Solar Village"]),
    ({"country": "IND", "start_date": stamp(START), "end_date": stamp(START + timedelta(days=30))}, []),
]


@pytest.mark.parametrize("url", [RESERVATIONS_URL, MY_URL])
def test_the_filters_narrow_the_list(three, url):
    """All cases on one set of reservations (made once: the cases only read); every mismatch is reported."""
    wrong = []
    for params, expected in FILTER_CASES:
        page = _get(three, url, **params)
        if (names(page), page["totalCount"]) != (expected, len(expected)):
            wrong.append((params, names(page), page["totalCount"], expected))
    assert wrong == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": stamp(START + timedelta(days=3)), "end_date": stamp(START)}, "end_date"),
        ({"start_date": "someday"}, "start_date"),
        ({"start_date": "2026-02-30"}, "start_date"),  # regression: an impossible day answered 500
        ({"end_date": "2026-04-31T00:00:00Z"}, "end_date"),
        ({"reservationActive": "Sometimes"}, "reservationActive"),
        ({"pageNumber": "first"}, "pageNumber"),
        ({"limit": "-1"}, "limit"),
    ],
)
def test_invalid_filters_are_refused_naming_the_field(three, params, field):
    query = "&".join(f"{key}={value.replace('+', '%2B')}" for key, value in params.items())
    assert_error(three.get(f"{RESERVATIONS_URL}?{query}"), 400, field)


# --- Paging -------------------------------------------------------------------------------------


@pytest.fixture
def five(client_for, buyer, developer_admin):
    devices = devices_make(developer_admin.organization, "PAGE", 5)
    client = client_for(buyer)
    for number, device in enumerate(devices, start=1):
        reserve(client, [device.pk], name=f"R{number}")
    return client


def test_pages_split_the_list_newest_first(five):
    pages = [_get(five, limit=2, pageNumber=number) for number in (1, 2, 3)]
    assert [names(page) for page in pages] == [["R5", "R4"], ["R3", "R2"], ["R1"]]
    assert [page["currentPage"] for page in pages] == [1, 2, 3]
    assert {page["totalPages"] for page in pages} == {3}
    assert {page["totalCount"] for page in pages} == {5}


def test_a_page_past_the_end_is_empty(five):
    page = _get(five, limit=2, pageNumber=4)
    assert page["groupedData"] == []
    assert page["totalCount"] == 5
    assert page["totalPages"] == 3


def test_the_lowercase_pagenumber_is_accepted(five):
    assert names(_get(five, MY_URL, limit=3, pagenumber=2)) == ["R2", "R1"]


def test_without_a_limit_the_whole_short_list_comes_on_one_page(five):
    page = _get(five)
    assert names(page) == ["R5", "R4", "R3", "R2", "R1"]
    assert page["currentPage"] == 1
    assert page["totalPages"] == 1

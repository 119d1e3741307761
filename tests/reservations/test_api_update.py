"""Changing a reservation: PATCH /api/buyer-reservation/{id} (backend.md §9.3, its bugs fixed:
the target, end, expiry, authority to exceed and name really change, and resubmitting the
same name is fine)."""

from datetime import timedelta

import pytest
from django.utils.dateparse import parse_datetime

from reservations.models import Reservation
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import END, START, devices_make, reservation_url, reserve, stamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client_for, buyer):
    return client_for(buyer)


@pytest.fixture
def devices(developer_admin):
    return devices_make(developer_admin.organization, "UPD", 2)


@pytest.fixture
def reservation(client, devices) -> dict:
    return reserve(
        client, [devices[0].pk], name="Village Power", targetCapacityInMegaWattHour=1, authorityToExceed=True
    )


def _patch(client, reservation_id, **changes):
    return client.patch(reservation_url(reservation_id), changes, format="json")


def _read(client, reservation_id) -> dict:
    response = client.get(reservation_url(reservation_id))
    assert response.status_code == 200, response.content
    return response.json()


def test_every_changeable_field_changes(client, reservation):
    new_end = END + timedelta(days=30)
    new_expiry = new_end + timedelta(days=5)
    response = _patch(
        client,
        reservation["id"],
        name="Village Power II",
        targetCapacityInMegaWattHour=7.25,
        reservationEndDate=stamp(new_end),
        reservationExpiryDate=stamp(new_expiry),
        authorityToExceed=False,
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Village Power II"

    body = _read(client, reservation["id"])
    assert body["name"] == "Village Power II"
    assert body["targetVolumeInMegaWattHour"] == 7.25
    assert parse_datetime(body["reservationEndDate"]) == new_end
    assert parse_datetime(body["reservationExpiryDate"]) == new_expiry
    assert body["authorityToExceed"] is False
    # What is not changeable stays.
    assert parse_datetime(body["reservationStartDate"]) == START
    assert body["deviceIds"] == reservation["deviceIds"]
    assert body["reservationActive"] is True
    assert body["frequency"] == "hourly"


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"name": "Renamed"}, "name", "Renamed"),
        ({"targetCapacityInMegaWattHour": 12}, "targetVolumeInMegaWattHour", 12),
        ({"authorityToExceed": False}, "authorityToExceed", False),
    ],
)
def test_one_field_alone_changes_and_the_others_stay(client, reservation, change, key, expected):
    response = client.patch(reservation_url(reservation["id"]), change, format="json")
    assert response.status_code == 200, response.content
    body = _read(client, reservation["id"])
    assert body[key] == expected
    for other in ("name", "targetVolumeInMegaWattHour", "authorityToExceed", "reservationEndDate"):
        if other != key:
            assert body[other] == reservation[other]


def test_moving_the_end_keeps_the_grace_period_before_expiry(client, reservation):
    new_end = END + timedelta(days=10)
    assert _patch(client, reservation["id"], reservationEndDate=stamp(new_end)).status_code == 200
    body = _read(client, reservation["id"])
    assert parse_datetime(body["reservationEndDate"]) == new_end
    assert parse_datetime(body["reservationExpiryDate"]) == new_end + timedelta(days=60)


def test_an_earlier_end_is_accepted_while_after_the_start(client, reservation):
    new_end = START + timedelta(days=1)
    assert _patch(client, reservation["id"], reservationEndDate=stamp(new_end)).status_code == 200
    assert parse_datetime(_read(client, reservation["id"])["reservationEndDate"]) == new_end


@pytest.mark.parametrize("name", ["Village Power", "village power", "  VILLAGE POWER "])
def test_resubmitting_the_same_name_is_fine(client, reservation, name):
    response = _patch(client, reservation["id"], name=name, authorityToExceed=False)
    assert response.status_code == 200, response.content
    assert _read(client, reservation["id"])["authorityToExceed"] is False


def test_a_name_taken_by_another_reservation_is_a_conflict(client, reservation, devices):
    reserve(client, [devices[1].pk], name="Town Power")
    body = assert_error(_patch(client, reservation["id"], name="TOWN power", authorityToExceed=False), 409)
    assert "already exists" in body["message"]
    stored = Reservation.objects.get(pk=reservation["id"])
    assert stored.name == "Village Power"
    assert stored.authority_to_exceed is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reservationEndDate": stamp(START - timedelta(days=1))}, "reservationEndDate"),
        ({"reservationEndDate": stamp(START)}, "reservationEndDate"),
        ({"reservationExpiryDate": stamp(END - timedelta(hours=1))}, "reservationExpiryDate"),
        (
            {
                "reservationEndDate": stamp(END + timedelta(days=5)),
                "reservationExpiryDate": stamp(END + timedelta(days=4)),
            },
            "reservationExpiryDate",
        ),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"targetCapacityInMegaWattHour": 0}, "targetCapacityInMegaWattHour"),
        ({"targetCapacityInMegaWattHour": -2}, "targetCapacityInMegaWattHour"),
        ({"reservationEndDate": "next year"}, "reservationEndDate"),
        # Regression: the expiry kept 60 days after an end near the year 9999 answered 500.
        ({"reservationEndDate": "9999-12-20T00:00:00Z"}, "reservationEndDate"),
        ({"authorityToExceed": "sometimes"}, "authorityToExceed"),
    ],
)
def test_invalid_changes_are_refused_and_nothing_changes(client, reservation, changes, field):
    # A valid change rides along and must not be applied either.
    assert_error(_patch(client, reservation["id"], **({"authorityToExceed": False} | changes)), 400, field)
    stored = Reservation.objects.get(pk=reservation["id"])
    assert stored.name == "Village Power"
    assert stored.end == END
    assert stored.expiry == END + timedelta(days=60)
    assert stored.target_wh == 1_000_000
    assert stored.authority_to_exceed is True


def test_the_api_user_changes_its_buyers_reservation(client_for, tenants):
    device = devices_make(tenants.managed, "MAN", 1)[0]
    client = client_for(tenants.api_user)
    answer = reserve(client, [device.pk], org=tenants.managed_buyer, name="Managed")
    response = client.patch(
        f"{reservation_url(answer['id'])}?organizationId={tenants.managed_buyer.pk}",
        {"targetCapacityInMegaWattHour": 4},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Reservation.objects.get(pk=answer["id"]).target_wh == 4_000_000

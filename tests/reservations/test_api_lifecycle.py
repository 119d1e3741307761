"""A reservation's life as its devices show it: reserved devices leave the reservable list and
carry the reservation's id (``groupId``); ending the reservation (DELETE
/api/buyer-reservation/endreservation/{id}) gives them back at once (backend.md §9.4, fixed)."""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from reservations.models import Reservation, ReservationDevice
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import (
    RESERVATIONS_URL,
    device_url,
    devices_make,
    end_url,
    reservation_url,
    reserve,
    ungrouped_ids,
)

pytestmark = pytest.mark.django_db


@dataclass
class Side:
    """Who reserves, for which Buyer organization (None: the caller's own), which devices."""

    client: object
    organization_id: int | None
    devices: list


@pytest.fixture(params=["direct buyer", "api user"])
def side(request, client_for, tenants) -> Side:
    if request.param == "direct buyer":
        return Side(client_for(tenants.buyer), None, devices_make(tenants.developer_org, "DIR", 3))
    return Side(client_for(tenants.api_user), tenants.managed_buyer.pk, devices_make(tenants.managed, "MAN", 3))


def _query(side: Side) -> str:
    return f"?organizationId={side.organization_id}" if side.organization_id else ""


def _group_id(side: Side, device) -> int | None:
    response = side.client.get(device_url(device.pk))
    assert response.status_code == 200, response.content[:300]
    return response.json()["groupId"]


def test_reserved_devices_leave_the_reservable_list_and_carry_the_reservation_id(side):
    first, second, spare = side.devices
    everyone = {device.pk for device in side.devices}
    assert ungrouped_ids(side.client, side.organization_id) == everyone
    assert _group_id(side, first) is None

    answer = reserve(side.client, [first.pk, second.pk], org=side.organization_id)

    assert ungrouped_ids(side.client, side.organization_id) == {spare.pk}
    assert _group_id(side, first) == answer["id"]
    assert _group_id(side, second) == answer["id"]
    assert _group_id(side, spare) is None


def test_ending_a_reservation_gives_its_devices_back_at_once(side):
    first, second, spare = side.devices
    answer = reserve(side.client, [first.pk, second.pk], org=side.organization_id, name="To end")
    before = timezone.now()

    response = side.client.delete(end_url(answer["id"]) + _query(side))  # no body needed

    assert response.status_code == 200, response.content
    ended = response.json()
    assert ended["reservationActive"] is False
    assert ended["deviceIds"] == [first.pk, second.pk]
    assert ungrouped_ids(side.client, side.organization_id) == {first.pk, second.pk, spare.pk}
    assert _group_id(side, first) is None
    assert _group_id(side, second) is None
    memberships = ReservationDevice.objects.filter(reservation_id=answer["id"])
    assert memberships.count() == 2
    assert not memberships.filter(is_active=True).exists()
    assert all(before <= membership.released_at <= timezone.now() for membership in memberships)

    # It stays on record, with the devices it held.
    again = side.client.get(reservation_url(answer["id"]) + _query(side))
    assert again.status_code == 200, again.content
    body = again.json()
    assert body["reservationActive"] is False
    assert body["deviceIds"] == [first.pk, second.pk]
    assert [device["id"] for device in body["devices"]] == [first.pk, second.pk]
    listed = side.client.get(RESERVATIONS_URL + _query(side)).json()["groupedData"]
    assert [(item["id"], item["reservationActive"]) for item in listed] == [(answer["id"], False)]


def test_released_devices_can_be_reserved_again(side):
    first, second, _ = side.devices
    old = reserve(side.client, [first.pk, second.pk], org=side.organization_id, name="Old")
    side.client.delete(end_url(old["id"]) + _query(side))

    new = reserve(side.client, [first.pk], org=side.organization_id, name="New")

    assert _group_id(side, first) == new["id"]
    assert _group_id(side, second) is None
    # The ended reservation still lists both devices it held; the new one only its own.
    assert side.client.get(reservation_url(old["id"]) + _query(side)).json()["deviceIds"] == [first.pk, second.pk]
    assert side.client.get(reservation_url(new["id"]) + _query(side)).json()["deviceIds"] == [first.pk]


def test_ending_twice_is_a_conflict(side):
    answer = reserve(side.client, [side.devices[0].pk], org=side.organization_id)
    assert side.client.delete(end_url(answer["id"]) + _query(side)).status_code == 200
    assert_error(side.client.delete(end_url(answer["id"]) + _query(side)), 409)
    assert Reservation.objects.filter(pk=answer["id"], is_active=False).exists()


def test_an_ended_reservation_cannot_be_changed(side):
    answer = reserve(side.client, [side.devices[0].pk], org=side.organization_id, name="Ended")
    side.client.delete(end_url(answer["id"]) + _query(side))
    response = side.client.patch(
        reservation_url(answer["id"]) + _query(side),
        {"name": "Revived", "targetCapacityInMegaWattHour": 3},
        format="json",
    )
    assert_error(response, 409)
    stored = Reservation.objects.get(pk=answer["id"])
    assert stored.name == "Ended"
    assert stored.target_wh == 1_000_000


def test_ending_one_reservation_leaves_the_others_devices_reserved(side):
    first, second, _ = side.devices
    keep = reserve(side.client, [first.pk], org=side.organization_id, name="Keep")
    end = reserve(side.client, [second.pk], org=side.organization_id, name="End")
    side.client.delete(end_url(end["id"]) + _query(side))
    assert _group_id(side, first) == keep["id"]
    assert side.client.get(reservation_url(keep["id"]) + _query(side)).json()["reservationActive"] is True


def test_the_detail_lists_the_member_devices(side):
    first, second, _ = side.devices
    answer = reserve(side.client, [second.pk, first.pk], org=side.organization_id)
    response = side.client.get(reservation_url(answer["id"]) + _query(side))
    assert response.status_code == 200, response.content
    devices = response.json()["devices"]
    assert sorted(device["externalId"] for device in devices) == sorted([first.external_id, second.external_id])
    assert {device["groupId"] for device in devices} == {answer["id"]}

"""Reserving devices: POST /api/buyer-reservation (SPEC §7, backend.md §9.1 minus its bugs)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reservations.models import Reservation, ReservationDevice
from tests.devices.helpers import device_make
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import (
    CONTINUE_DEVICES,
    CONTINUE_TARGET,
    END,
    HOURS,
    OMIT,
    START,
    UNAVAILABLE,
    create,
    devices_make,
    reserve,
    stamp,
    unavailable_ids,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client_for, buyer):
    """The direct buyer's API client."""
    return client_for(buyer)


@pytest.fixture
def devices(developer_admin):
    """Three free 2.5 kW devices of the direct developer."""
    return devices_make(developer_admin.organization, "SHS", 3)


def _held(device) -> int | None:
    membership = ReservationDevice.objects.filter(device=device, is_active=True).first()
    return membership.reservation_id if membership else None


# --- A valid reservation ------------------------------------------------------------------------


def test_a_buyer_reserves_free_devices_for_its_organization(client, buyer, devices):
    before = timezone.now()
    answer = reserve(client, [devices[0].pk, devices[1].pk], name="Village power", targetCapacityInMegaWattHour=2.5)

    stored = Reservation.objects.get(pk=answer["id"])
    assert stored.organization == buyer.organization
    assert stored.buyer == buyer
    assert stored.is_active
    assert stored.target_wh == 2_500_000
    assert answer["name"] == "Village power"
    assert answer["organizationId"] == buyer.organization_id
    assert answer["buyerId"] == buyer.pk
    assert answer["deviceIds"] == [devices[0].pk, devices[1].pk]
    assert answer["reservationActive"] is True
    assert answer["targetVolumeInMegaWattHour"] == 2.5
    assert answer["frequency"] == "hourly"
    assert answer[UNAVAILABLE] == ""
    assert parse_datetime(answer["reservationStartDate"]) == START
    assert parse_datetime(answer["reservationEndDate"]) == END
    assert before <= parse_datetime(answer["createdAt"]) <= timezone.now()
    assert _held(devices[0]) == answer["id"]
    assert _held(devices[1]) == answer["id"]
    assert _held(devices[2]) is None


def test_the_expiry_defaults_to_sixty_days_after_the_end(client, devices):
    answer = reserve(client, [devices[0].pk])
    assert parse_datetime(answer["reservationExpiryDate"]) == END + timedelta(days=60)


@pytest.mark.parametrize("after_end", [timedelta(0), timedelta(days=3)])
def test_an_expiry_on_or_after_the_end_is_kept(client, devices, after_end):
    answer = reserve(client, [devices[0].pk], reservationExpiryDate=stamp(END + after_end))
    assert parse_datetime(answer["reservationExpiryDate"]) == END + after_end


@pytest.mark.parametrize("frequency", ["hourly", "daily", "weekly", "monthly"])
def test_every_frequency_is_accepted(client, devices, frequency):
    answer = reserve(client, [devices[0].pk], frequency=frequency)
    assert answer["frequency"] == frequency
    assert Reservation.objects.get(pk=answer["id"]).frequency == frequency


def test_a_decimal_target_is_kept(client, devices):
    answer = reserve(client, [devices[0].pk], targetCapacityInMegaWattHour=0.125)
    assert answer["targetVolumeInMegaWattHour"] == 0.125


def test_a_start_just_under_three_years_ago_is_accepted(client, devices):
    start = timezone.now() - timedelta(days=3 * 365) + timedelta(days=1)
    answer = reserve(client, [devices[0].pk], reservationStartDate=stamp(start), reservationEndDate=stamp(END))
    assert parse_datetime(answer["reservationStartDate"]) == start


def test_a_device_requested_twice_is_reserved_once(client, devices):
    answer = reserve(client, [devices[0].pk, devices[0].pk])
    assert answer["deviceIds"] == [devices[0].pk]
    assert answer[UNAVAILABLE] == ""


# --- Invalid input: 400 naming the field, nothing stored ------------------------------------------


def _refused(response, field: str) -> dict:
    body = assert_error(response, 400, field)
    assert not Reservation.objects.exists()
    return body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("deviceIds", []),
        ("deviceIds", [0]),
        ("deviceIds", [-3]),
        ("deviceIds", [2_147_483_648]),
        ("deviceIds", ["abc"]),
        ("deviceIds", [1.5]),
        ("deviceIds", "1,2"),
        ("deviceIds", OMIT),
        ("name", ""),
        ("name", "   "),
        ("name", 42),
        ("name", OMIT),
        ("targetCapacityInMegaWattHour", 0),
        ("targetCapacityInMegaWattHour", -1),
        ("targetCapacityInMegaWattHour", "lots"),
        ("targetCapacityInMegaWattHour", OMIT),
        ("reservationStartDate", "2024-13-45T00:00:00Z"),
        ("reservationStartDate", "yesterday"),
        ("reservationStartDate", OMIT),
        ("reservationEndDate", "31/12/2026"),
        ("reservationEndDate", OMIT),
        ("reservationExpiryDate", "not a date"),
        ("frequency", "quarterly"),
        ("frequency", "yearly"),
        ("frequency", "Hourly"),
        ("frequency", OMIT),
        (CONTINUE_DEVICES, OMIT),
        (CONTINUE_TARGET, OMIT),
        ("authorityToExceed", OMIT),
        ("authorityToExceed", "perhaps"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(client, devices, field, value):
    _refused(create(client, [devices[0].pk], **{field: value}), field)
    assert _held(devices[0]) is None


def test_a_quarterly_frequency_says_which_frequencies_work(client, devices):
    body = _refused(create(client, [devices[0].pk], frequency="quarterly"), "frequency")
    assert "weekly" in str(body["errors"]["frequency"])


def test_a_target_of_zero_says_it_must_be_greater_than_zero(client, devices):
    body = _refused(create(client, [devices[0].pk], targetCapacityInMegaWattHour=0), "targetCapacityInMegaWattHour")
    assert "greater than 0" in str(body["errors"]["targetCapacityInMegaWattHour"])


@pytest.mark.parametrize("end", [START, START - timedelta(hours=1)])
def test_the_start_must_be_before_the_end(client, devices, end):
    _refused(create(client, [devices[0].pk], reservationEndDate=stamp(end)), "reservationEndDate")


def test_the_expiry_cannot_be_before_the_end(client, devices):
    expiry = END - timedelta(seconds=1)
    _refused(create(client, [devices[0].pk], reservationExpiryDate=stamp(expiry)), "reservationExpiryDate")


def test_the_start_cannot_be_more_than_three_years_ago(client, devices):
    start = timezone.now() - timedelta(days=3 * 365 + 1)
    _refused(create(client, [devices[0].pk], reservationStartDate=stamp(start)), "reservationStartDate")


def test_an_end_too_late_for_the_default_expiry_is_invalid_not_a_server_error(client, devices):
    """Regression: the default expiry (end + 60 days) past the year 9999 answered 500."""
    _refused(create(client, [devices[0].pk], reservationEndDate="9999-12-01T00:00:00Z"), "reservationEndDate")


def test_a_far_end_with_its_own_expiry_is_accepted(client, devices):
    answer = reserve(
        client,
        [devices[0].pk],
        reservationEndDate="9999-12-01T00:00:00Z",
        reservationExpiryDate="9999-12-31T00:00:00Z",
        **{CONTINUE_TARGET: True},
    )
    assert answer["reservationExpiryDate"] == "9999-12-31T00:00:00Z"


# --- Names --------------------------------------------------------------------------------------


def test_a_name_already_used_is_a_conflict_whatever_its_case(client, devices):
    reserve(client, [devices[0].pk], name="Village Power")
    response = create(client, [devices[1].pk], name="  village POWER ")
    body = assert_error(response, 409)
    assert "already exists" in body["message"]
    assert Reservation.objects.count() == 1
    assert _held(devices[1]) is None


def test_a_name_used_by_another_organization_is_free(client, client_for, rival_buyer, devices):
    """The original's names were unique across the platform, so a 409 told one tenant another's
    names; ours are unique per Buyer organization."""
    reserve(client, [devices[0].pk], name="Village Power")
    reserve(client_for(rival_buyer), [devices[1].pk], name="Village Power")
    assert Reservation.objects.filter(name="Village Power").count() == 2


def test_the_name_is_stored_trimmed(client, devices):
    answer = reserve(client, [devices[0].pk], name="  Village Power  ")
    assert answer["name"] == "Village Power"


# --- Unavailable devices ----------------------------------------------------------------------


def test_devices_all_reserved_already_are_a_conflict(client, devices):
    first = reserve(client, [devices[0].pk, devices[1].pk], name="First")
    response = create(client, [devices[0].pk, devices[1].pk], name="Second", **{CONTINUE_DEVICES: True})
    body = assert_error(response, 409, "deviceIds")
    assert f"{devices[0].pk} , {devices[1].pk}" in body["message"]
    assert "already included in buyer reservation" in body["message"]
    assert list(Reservation.objects.values_list("name", flat=True)) == ["First"]
    assert _held(devices[0]) == first["id"]


def test_unknown_device_ids_alone_are_a_conflict(client, devices):
    response = create(client, [999_999], **{CONTINUE_DEVICES: True})
    body = assert_error(response, 409)
    assert "999999" in body["message"]
    assert not Reservation.objects.exists()


def test_some_unavailable_without_continuing_is_a_conflict_and_nothing_is_stored(client, devices):
    reserve(client, [devices[0].pk], name="First")
    response = create(client, [devices[1].pk, devices[0].pk, 999_999], name="Second")
    body = assert_error(response, 409, "deviceIds")
    assert f"{devices[0].pk} , 999999" in body["message"]
    assert {int(number) for number in re.findall(r"\d+", body["message"])} == {devices[0].pk, 999_999}
    assert list(Reservation.objects.values_list("name", flat=True)) == ["First"]
    assert _held(devices[1]) is None


def test_some_unavailable_with_continuing_reserves_the_free_ones_and_lists_the_others(client, devices):
    first = reserve(client, [devices[0].pk], name="First")
    answer = reserve(
        client, [devices[1].pk, devices[0].pk, 999_999, devices[2].pk], name="Second", **{CONTINUE_DEVICES: True}
    )

    assert answer["deviceIds"] == [devices[1].pk, devices[2].pk]
    assert unavailable_ids(answer) == {devices[0].pk, 999_999}
    assert " , " in answer[UNAVAILABLE]
    assert _held(devices[0]) == first["id"]
    assert _held(devices[1]) == answer["id"]
    assert _held(devices[2]) == answer["id"]
    # The summary is of the devices reserved, not of those asked for.
    assert answer["aggregatedCapacity"] == 5


# --- Target capacity --------------------------------------------------------------------------


@pytest.fixture
def mixed(developer_admin):
    """A 2.5 kW and a 4 kW device: 6.5 kW, 15.6 MWh over the 2,400 hours of the period."""
    return [
        device_make(developer_admin.organization, "MIX-1", capacity=Decimal("2.5")),
        device_make(developer_admin.organization, "MIX-2", capacity=Decimal("4")),
    ]


def test_an_unreachable_target_without_continuing_is_a_conflict_with_the_numbers(client, mixed):
    response = create(client, [device.pk for device in mixed], targetCapacityInMegaWattHour=100)
    body = assert_error(response, 409)
    assert "Target Capacity Cannot be reached" in body["message"]
    assert body["details"] == {
        "meteredTimePeriodInHours": HOURS,
        "targetCapacityInMegaWattHour": 100,
        "probablyAchievableCapacityInMegaWattHour": pytest.approx(6.5 * HOURS / 1000),
    }
    assert not Reservation.objects.exists()
    assert not ReservationDevice.objects.exists()


def test_a_target_the_devices_reach_exactly_is_accepted(client, mixed):
    answer = reserve(client, [device.pk for device in mixed], targetCapacityInMegaWattHour=15.6)
    assert answer["targetVolumeInMegaWattHour"] == 15.6


def test_a_target_just_beyond_reach_is_refused(client, mixed):
    response = create(client, [device.pk for device in mixed], targetCapacityInMegaWattHour=15.601)
    body = assert_error(response, 409)
    assert body["details"]["probablyAchievableCapacityInMegaWattHour"] == pytest.approx(15.6)


def test_the_reachable_target_counts_only_the_devices_that_are_free(client, mixed):
    reserve(client, [mixed[1].pk], name="First")  # the 4 kW device
    response = create(
        client,
        [device.pk for device in mixed],
        name="Second",
        targetCapacityInMegaWattHour=10,
        **{CONTINUE_DEVICES: True},
    )
    body = assert_error(response, 409)
    assert body["details"]["probablyAchievableCapacityInMegaWattHour"] == pytest.approx(2.5 * HOURS / 1000)


def test_the_reachable_target_follows_the_length_of_the_period(client, mixed):
    end = START + timedelta(hours=10)
    response = create(
        client, [device.pk for device in mixed], reservationEndDate=stamp(end), targetCapacityInMegaWattHour=1
    )
    body = assert_error(response, 409)
    assert body["details"]["meteredTimePeriodInHours"] == 10
    assert body["details"]["probablyAchievableCapacityInMegaWattHour"] == pytest.approx(0.065)


def test_an_unreachable_target_with_continuing_is_accepted(client, mixed):
    answer = reserve(
        client, [device.pk for device in mixed], targetCapacityInMegaWattHour=100, **{CONTINUE_TARGET: True}
    )
    assert answer["targetVolumeInMegaWattHour"] == 100
    assert answer["deviceIds"] == [device.pk for device in mixed]

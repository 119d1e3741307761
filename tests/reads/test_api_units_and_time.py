"""Units and time stamps of reads: values become whole watt-hours (half up), local wall times
given with a time zone become the right UTC instants, and the zone is kept on the device."""

from datetime import timedelta

import pytest

from devices.models import Device
from reads.models import MeterRead
from tests.organizations.helpers import assert_error
from tests.reads.expect import assert_refused, assert_stored, at, period, rows, send, utc
from tests.reads.helpers import ONBOARDED, device_onboarded

pytestmark = pytest.mark.django_db

JUNE = utc(2023, 6, 1)


@pytest.fixture
def developer(client_for, developer_admin):
    return client_for(developer_admin)


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


@pytest.mark.parametrize(
    ("value", "unit", "wh"),
    [
        (1500, "Wh", 1500),
        (1.5, "kWh", 1500),
        ("1.5", "kWh", 1500),
        (0.0015, "MWh", 1500),
        (0.0000015, "GWh", 1500),
        (2.5, "Wh", 3),  # half up, not to even
        (3.5, "Wh", 4),
        (2.4999, "Wh", 2),
        (0.0005, "kWh", 1),
        (1.2345, "kWh", 1235),
        (12.3456, "kWh", 12346),
    ],
)
def test_values_are_stored_in_whole_watt_hours(developer, device, value, unit, wh):
    assert_stored(send(developer, device, "History", [period(JUNE, hours=24, value=value)], unit), 1)
    assert MeterRead.objects.get().value_wh == wh


def test_a_value_rounding_to_zero_watt_hours_is_refused(developer, device):
    assert_refused(send(developer, device, "History", [period(JUNE, value=0.0004)], "kWh"), (0, "value"))


def test_aggregate_counters_are_converted_before_the_difference(developer, device):
    reads = [at(ONBOARDED + timedelta(hours=1), 1234.5678), at(ONBOARDED + timedelta(hours=2), 1235.0)]
    assert_stored(send(developer, device, "Aggregate", reads, "kWh"), 2)
    assert [row[3:5] for row in rows(device)] == [(0, 1234568), (432, 1235000)]


def test_local_wall_times_with_a_time_zone_are_stored_in_utc(developer, device):
    reads = [
        {"endtimestamp": "2024-03-01 10:00:00", "value": 100},
        {"endtimestamp": "2024-03-01 11:00:00.25", "value": 200},
        {"endtimestamp": "2024-03-01 12:00:00.123", "value": 300},
    ]
    assert_stored(send(developer, device, "Delta", reads, timezone="Asia/Kolkata"), 3)
    assert [row[2] for row in rows(device)] == [
        utc(2024, 3, 1, 4, 30),
        utc(2024, 3, 1, 5, 30, 0, 250000),
        utc(2024, 3, 1, 6, 30, 0, 123000),
    ]
    device.refresh_from_db()
    assert device.timezone == "Asia/Kolkata"


def test_history_periods_in_local_time(developer, device):
    read = {"starttimestamp": "2023-06-01 00:00:00", "endtimestamp": "2023-06-02 00:00:00", "value": 10}
    assert_stored(send(developer, device, "History", [read], timezone="America/New_York"), 1)
    assert rows(device)[0][1:3] == (utc(2023, 6, 1, 4), utc(2023, 6, 2, 4))


def test_the_offset_is_the_one_in_force_on_the_day(developer, device):
    # Berlin moves from +01:00 to +02:00 on 31 March 2024.
    reads = [{"endtimestamp": "2024-03-30 12:00:00", "value": 1}, {"endtimestamp": "2024-03-31 12:00:00", "value": 1}]
    assert_stored(send(developer, device, "Delta", reads, timezone="Europe/Berlin"), 2)
    assert [row[2] for row in rows(device)] == [utc(2024, 3, 30, 11), utc(2024, 3, 31, 10)]


def test_iso_times_with_a_zone_keep_their_own_offset_when_a_time_zone_is_given(developer, device):
    reads = [
        {"endtimestamp": "2024-03-01T10:00:00Z", "value": 1},
        {"endtimestamp": "2024-03-01T12:00:00+01:00", "value": 1},
    ]
    assert_stored(send(developer, device, "Delta", reads, timezone="Asia/Kolkata"), 2)
    assert [row[2] for row in rows(device)] == [utc(2024, 3, 1, 10), utc(2024, 3, 1, 11)]


def test_the_first_time_zone_given_is_kept_on_the_device(developer, device):
    assert device.timezone == ""
    assert_stored(send(developer, device, "Delta", [at(ONBOARDED + timedelta(hours=1))]), 1)
    device.refresh_from_db()
    assert device.timezone == ""  # no zone given: none stored
    assert_stored(
        send(
            developer, device, "Delta", [{"endtimestamp": "2024-01-01 12:00:00", "value": 1}], timezone="Africa/Nairobi"
        ),
        1,
    )
    device.refresh_from_db()
    assert device.timezone == "Africa/Nairobi"
    # A later zone is used to read that batch's times but does not replace the device's.
    assert_stored(
        send(
            developer, device, "Delta", [{"endtimestamp": "2024-01-01 20:00:00", "value": 1}], timezone="Asia/Kolkata"
        ),
        1,
    )
    device.refresh_from_db()
    assert device.timezone == "Africa/Nairobi"
    assert rows(device)[-1][2] == utc(2024, 1, 1, 14, 30)


def test_a_refused_batch_does_not_set_the_time_zone(developer, device):
    response = send(
        developer, device, "Delta", [{"endtimestamp": "2023-12-31 10:00:00", "value": 1}], timezone="Asia/Tokyo"
    )
    assert_refused(response, (0, "endtimestamp"))
    device.refresh_from_db()
    assert (device.timezone, device.meter_read_type) == ("", "")


def test_time_zone_names_match_in_any_case_and_are_stored_as_iana_spells_them(developer, device):
    response = send(
        developer, device, "Delta", [{"endtimestamp": "2024-01-01 12:00:00", "value": 1}], timezone="asia/KOLKATA"
    )
    assert_stored(response, 1)
    device.refresh_from_db()
    assert device.timezone == "Asia/Kolkata"
    assert rows(device)[-1][2] == utc(2024, 1, 1, 6, 30)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "IST", "+05:30", "../../etc/passwd"])
def test_an_unknown_time_zone_is_a_400_naming_it(developer, device, zone):
    response = send(developer, device, "Delta", [{"endtimestamp": "2024-03-01 10:00:00", "value": 1}], timezone=zone)
    body = assert_error(response, 400, "timezone")
    assert "time zone" in body["message"]
    assert not MeterRead.objects.exists()
    assert Device.objects.get(pk=device.pk).timezone == ""


def test_a_local_wall_time_needs_a_time_zone(developer, device):
    response = send(developer, device, "Delta", [{"endtimestamp": "2024-03-01 10:00:00", "value": 1}])
    assert_refused(response, (0, "endtimestamp"))


@pytest.mark.parametrize("value", ["01-03-2024 10:00:00", "2024-03-01 25:00:00", "2024-02-30 10:00:00"])
def test_a_malformed_local_wall_time_is_refused(developer, device, value):
    response = send(developer, device, "Delta", [{"endtimestamp": value, "value": 1}], timezone="Asia/Kolkata")
    assert_refused(response, (0, "endtimestamp"))

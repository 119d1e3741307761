"""History reads over the API: the rules of backend.md §8.3 (History), each with its valid and
its invalid side. A refused batch is a 400 naming every bad read by index and field, and stores
nothing."""

from datetime import timedelta

import pytest

from devices.models import Device
from reads.models import MeterRead
from tests.reads.expect import (
    assert_refused,
    assert_stored,
    cap_wh,
    over_cap,
    period,
    rows,
    send,
    under_cap,
    utc,
)
from tests.reads.helpers import COMMISSIONED, ONBOARDED, device_onboarded, iso

pytestmark = pytest.mark.django_db

JUNE = utc(2023, 6, 1)  # between commissioning (2022-01-01) and onboarding (2024-01-01)


@pytest.fixture
def developer(client_for, developer_admin):
    return client_for(developer_admin)


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


def test_a_history_batch_is_stored_with_its_periods(developer, device):
    reads = [period(JUNE + timedelta(days=n), hours=24, value=5000 + n) for n in range(3)]
    assert_stored(send(developer, device, "History", reads), 3)
    assert rows(device) == [
        ("History", JUNE + timedelta(days=n), JUNE + timedelta(days=n + 1), 5000 + n, None, False) for n in range(3)
    ]
    device.refresh_from_db()
    assert device.meter_read_type == ""  # History reads do not fix the ongoing type


@pytest.mark.parametrize("missing", [None, "", "absent"])
@pytest.mark.parametrize("field", ["starttimestamp", "endtimestamp"])
def test_start_and_end_are_required(developer, device, field, missing):
    bad = period(JUNE + timedelta(days=1))
    if missing == "absent":
        del bad[field]
    else:
        bad[field] = missing
    response = send(developer, device, "History", [period(JUNE), bad])
    assert_refused(response, (1, field))
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize(
    "value",
    ["18/06/2023 10:00", "2023-06-31T10:00:00Z", "yesterday", "2023-06-01T10:00:00", "2023-06-01 10:00:00", 1685613600],
)
@pytest.mark.parametrize("field", ["starttimestamp", "endtimestamp"])
def test_dates_must_be_iso_8601_with_a_zone(developer, device, field, value):
    bad = period(JUNE + timedelta(days=1))
    bad[field] = value
    response = send(developer, device, "History", [period(JUNE), bad])
    assert_refused(response, (1, field))
    assert not MeterRead.objects.exists()


def test_dates_may_carry_an_offset(developer, device):
    read = {"starttimestamp": "2023-06-01T12:00:00+02:00", "endtimestamp": "2023-06-01T14:30:00.5+02:00", "value": 7}
    assert_stored(send(developer, device, "History", [read]), 1)
    (stored,) = rows(device)
    assert stored[1:3] == (utc(2023, 6, 1, 10), utc(2023, 6, 1, 12, 30, 0, 500000))


@pytest.mark.parametrize("start_offset", [timedelta(0), timedelta(hours=1)], ids=["equal", "after"])
def test_start_must_be_before_end(developer, device, start_offset):
    end = JUNE + timedelta(hours=5)
    bad = {"starttimestamp": iso(end + start_offset), "endtimestamp": iso(end), "value": 10}
    response = send(developer, device, "History", [period(JUNE), bad])
    assert_refused(response, (1, "starttimestamp"))
    # One minute is a valid period.
    short = {"starttimestamp": iso(end - timedelta(minutes=1)), "endtimestamp": iso(end), "value": 1}
    assert_stored(send(developer, device, "History", [short]), 1)


def test_end_may_be_the_onboarding_date_but_not_after_it(developer, device):
    late = period(ONBOARDED - timedelta(hours=1) + timedelta(seconds=1), hours=1)
    assert_refused(send(developer, device, "History", [late]), (0, "endtimestamp"))
    on_time = period(ONBOARDED - timedelta(hours=1), hours=1)
    assert_stored(send(developer, device, "History", [on_time]), 1)
    assert rows(device)[0][2] == ONBOARDED


def test_start_must_be_after_commissioning(developer, device):
    at_commissioning = period(COMMISSIONED, hours=2)
    assert_refused(send(developer, device, "History", [at_commissioning]), (0, "starttimestamp"))
    just_after = {
        "starttimestamp": iso(COMMISSIONED + timedelta(seconds=1)),
        "endtimestamp": iso(COMMISSIONED + timedelta(hours=2)),
        "value": 100,
    }
    assert_stored(send(developer, device, "History", [just_after]), 1)


def test_end_must_be_after_commissioning(developer, device):
    # A period ending at commissioning (so starting before it) is refused on both counts.
    before = period(COMMISSIONED - timedelta(hours=2), hours=2)
    assert_refused(send(developer, device, "History", [before]), (0, "starttimestamp"), (0, "endtimestamp"))
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize("value", [0, -1, -2500.5, "0"])
def test_value_must_be_greater_than_zero(developer, device, value):
    response = send(developer, device, "History", [period(JUNE), period(JUNE + timedelta(hours=1), value=value)])
    assert_refused(response, (1, "value"))
    assert not MeterRead.objects.exists()
    assert_stored(send(developer, device, "History", [period(JUNE, value=1)]), 1)


@pytest.mark.parametrize("value", ["lots", None, True, [5], {"wh": 5}, "NaN", "Infinity"])
def test_value_must_be_a_number(developer, device, value):
    read = period(JUNE)
    read["value"] = value
    assert_refused(send(developer, device, "History", [read]), (0, "value"))


# Stored: [10:00, 12:00) on 1 June 2023.
STORED_FROM, STORED_TO = JUNE + timedelta(hours=10), JUNE + timedelta(hours=12)


@pytest.mark.parametrize(
    ("start_hour", "hours"),
    [(11, 2), (9, 1.5), (10.5, 0.5), (9, 4), (10, 2)],
    ids=["overlaps-end", "overlaps-start", "inside", "encloses", "same-period"],
)
def test_a_period_overlapping_a_stored_history_read_is_refused(developer, device, start_hour, hours):
    assert_stored(send(developer, device, "History", [period(STORED_FROM, hours=2, value=300)]), 1)
    response = send(developer, device, "History", [period(JUNE + timedelta(hours=start_hour), hours=hours)])
    assert_refused(response, (0, "starttimestamp"))
    assert rows(device) == [("History", STORED_FROM, STORED_TO, 300, None, False)]


def test_periods_touching_a_stored_history_read_are_accepted(developer, device):
    assert_stored(send(developer, device, "History", [period(STORED_FROM, hours=2, value=300)]), 1)
    touching = [period(STORED_TO, hours=1), period(STORED_FROM - timedelta(hours=1), hours=1)]
    assert_stored(send(developer, device, "History", touching), 2)
    assert [row[1] for row in rows(device)] == [STORED_FROM - timedelta(hours=1), STORED_FROM, STORED_TO]


def test_history_reads_of_another_device_do_not_overlap(developer, developer_admin, device):
    other = device_onboarded(developer_admin.organization, "SHS-2")
    assert_stored(send(developer, other, "History", [period(STORED_FROM, hours=2)]), 1)
    assert_stored(send(developer, device, "History", [period(STORED_FROM, hours=2)]), 1)


def test_periods_overlapping_inside_the_batch_are_each_refused(developer, device):
    reads = [
        period(JUNE, hours=10),  # 0: [0, 10)
        period(JUNE + timedelta(hours=1), hours=1),  # 1: inside 0
        period(JUNE + timedelta(hours=3), hours=1),  # 2: inside 0 too (not inside 1)
        period(JUNE + timedelta(hours=10), hours=1),  # 3: touches 0: fine
    ]
    assert_refused(send(developer, device, "History", reads), (1, "starttimestamp"), (2, "starttimestamp"))
    assert not MeterRead.objects.exists()


def test_the_same_period_twice_in_a_batch_is_refused(developer, device):
    response = send(developer, device, "History", [period(JUNE, hours=2), period(JUNE, hours=2, value=7)])
    errors = assert_refused(response, (1, "starttimestamp"))
    assert "overlap" in errors[0]["message"]


def test_unsorted_touching_periods_of_a_batch_are_accepted(developer, device):
    reads = [period(JUNE + timedelta(hours=n), hours=1, value=n + 1) for n in (3, 0, 2, 1)]
    assert_stored(send(developer, device, "History", reads), 4)
    assert [row[3] for row in rows(device)] == [1, 2, 3, 4]


def test_start_must_be_within_three_years_before_onboarding(developer, developer_admin):
    device = device_onboarded(developer_admin.organization, "OLD-1", commissioned=utc(2019, 1, 1))
    three_years_before = utc(2021, 1, 1)
    assert_refused(send(developer, device, "History", [period(three_years_before, hours=24)]), (0, "starttimestamp"))
    assert_refused(
        send(developer, device, "History", [period(three_years_before - timedelta(days=1), hours=24)]),
        (0, "starttimestamp"),
    )
    inside = {
        "starttimestamp": iso(three_years_before + timedelta(seconds=1)),
        "endtimestamp": iso(three_years_before + timedelta(days=1)),
        "value": 100,
    }
    assert_stored(send(developer, device, "History", [inside]), 1)


def test_value_must_be_below_the_max_energy_of_its_period(developer, device):
    hours = 1000
    cap = cap_wh(device, hours)
    assert 1_300_000 < cap < 1_400_000  # 5 kW, 2000 kWh/kWp/year, ~4.9 years old
    response = send(developer, device, "History", [period(JUNE, hours=hours, value=over_cap(cap))])
    errors = assert_refused(response, (0, "value"))
    assert "more than the device's capacity could produce" in errors[0]["message"]
    # The cap is over the read's own period: the same energy over half the time is refused too.
    half = send(developer, device, "History", [period(JUNE, hours=hours / 2, value=under_cap(cap))])
    assert_refused(half, (0, "value"))
    assert_stored(send(developer, device, "History", [period(JUNE, hours=hours, value=under_cap(cap))]), 1)


def test_the_cap_is_compared_in_watt_hours_whatever_the_unit(developer, device):
    cap = cap_wh(device, 1000)
    over_in_kwh = round(over_cap(cap) / 1000 + 0.01, 2)
    assert_refused(
        send(developer, device, "History", [period(JUNE, hours=1000, value=over_in_kwh)], "kWh"), (0, "value")
    )
    under_in_kwh = round(under_cap(cap) / 1000 - 0.01, 2)
    assert_stored(send(developer, device, "History", [period(JUNE, hours=1000, value=under_in_kwh)], "kWh"), 1)


def test_the_devices_own_yield_raises_its_cap(developer, device):
    Device.objects.filter(pk=device.pk).update(yield_value=4000)
    device.refresh_from_db()
    between = int(cap_wh(device, 1000, yield_value=3000))  # above the default yield's cap, below 4000's
    assert_stored(send(developer, device, "History", [period(JUNE, hours=1000, value=between)]), 1)


def test_every_bad_read_of_a_batch_is_named(developer, device):
    reads = [period(JUNE + timedelta(hours=n)) for n in range(6)]
    reads[1]["value"] = 0
    del reads[3]["endtimestamp"]
    reads[4]["starttimestamp"] = iso(COMMISSIONED)
    response = send(developer, device, "History", reads)
    assert_refused(response, (1, "value"), (3, "endtimestamp"), (4, "starttimestamp"))
    assert response.json()["message"].startswith("3 of 6 reads are invalid")
    assert not MeterRead.objects.exists()

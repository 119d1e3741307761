"""Delta and Aggregate reads over the API: the rules of backend.md §8.3 for ongoing reads, the
baseline, the type lock and the plausibility cap since the previous read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reads.models import MeterRead, YieldConfig
from tests.organizations.helpers import assert_error
from tests.reads.expect import (
    assert_refused,
    assert_stored,
    at,
    cap_wh,
    over_cap,
    period,
    rows,
    send,
    under_cap,
    utc,
)
from tests.reads.helpers import ONBOARDED, batch, device_onboarded, iso, reads_url

pytestmark = pytest.mark.django_db

T = ONBOARDED
HOUR = timedelta(hours=1)
ONGOING = ["Delta", "Aggregate"]


@pytest.fixture
def developer(client_for, developer_admin):
    return client_for(developer_admin)


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


def test_delta_reads_chain_from_the_onboarding_date(developer, device):
    assert_stored(
        send(developer, device, "Delta", [at(T + HOUR, 500), at(T + 2 * HOUR, 700), at(T + 5 * HOUR, 900)]), 3
    )
    assert_stored(send(developer, device, "Delta", [at(T + 6 * HOUR, 100)]), 1)
    assert rows(device) == [
        ("Delta", T, T + HOUR, 500, None, True),
        ("Delta", T + HOUR, T + 2 * HOUR, 700, None, False),
        ("Delta", T + 2 * HOUR, T + 5 * HOUR, 900, None, False),
        ("Delta", T + 5 * HOUR, T + 6 * HOUR, 100, None, False),
    ]
    device.refresh_from_db()
    assert device.meter_read_type == "Delta"


def test_the_first_aggregate_read_is_a_baseline_whatever_its_counter(developer, device):
    counter = 5_000_000_000  # an old meter: far more than the device could make since onboarding
    assert counter > cap_wh(device, (timezone.now() - T).total_seconds() / 3600)
    assert_stored(send(developer, device, "Aggregate", [at(T + HOUR, counter)]), 1)
    assert_stored(
        send(developer, device, "Aggregate", [at(T + 2 * HOUR, counter + 800), at(T + 3 * HOUR, counter + 1000)]), 2
    )
    assert rows(device) == [
        ("Aggregate", T, T + HOUR, 0, counter, True),
        ("Aggregate", T + HOUR, T + 2 * HOUR, 800, counter + 800, False),
        ("Aggregate", T + 2 * HOUR, T + 3 * HOUR, 200, counter + 1000, False),
    ]
    device.refresh_from_db()
    assert device.meter_read_type == "Aggregate"


def test_a_zero_counter_is_a_valid_aggregate_baseline(developer, device):
    assert_stored(send(developer, device, "Aggregate", [at(T + HOUR, 0), at(T + 2 * HOUR, 300)]), 2)
    assert [row[3:] for row in rows(device)] == [(0, 0, True), (300, 300, False)]


@pytest.mark.parametrize("missing", [None, "", "absent"])
@pytest.mark.parametrize("read_type", ONGOING)
def test_end_is_required(developer, device, read_type, missing):
    bad = at(T + 2 * HOUR, 2000)
    if missing == "absent":
        del bad["endtimestamp"]
    else:
        bad["endtimestamp"] = missing
    assert_refused(send(developer, device, read_type, [at(T + HOUR), bad]), (1, "endtimestamp"))
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize("value", ["2024-02-30T10:00:00Z", "01/02/2024", "2024-02-01T10:00:00", 1706781600])
@pytest.mark.parametrize("read_type", ONGOING)
def test_end_must_be_a_date_time_with_a_zone(developer, device, read_type, value):
    response = send(developer, device, read_type, [at(T + HOUR), {"endtimestamp": value, "value": 2000}])
    assert_refused(response, (1, "endtimestamp"))


@pytest.mark.parametrize("read_type", ONGOING)
def test_end_must_be_after_the_onboarding_date(developer, device, read_type):
    assert_refused(send(developer, device, read_type, [at(T)]), (0, "endtimestamp"))
    assert_refused(send(developer, device, read_type, [at(T - HOUR)]), (0, "endtimestamp"))
    assert_stored(send(developer, device, read_type, [at(T + timedelta(seconds=1))]), 1)
    assert rows(device)[0][1:3] == (T, T + timedelta(seconds=1))


@pytest.mark.parametrize("read_type", ONGOING)
def test_end_must_be_after_commissioning(developer, developer_admin, read_type):
    # Registered on 1 January, commissioned on 1 March: reads ending in between are refused.
    commissioned = utc(2024, 3, 1)
    device = device_onboarded(developer_admin.organization, "LATE-1", commissioned=commissioned)
    errors = assert_refused(send(developer, device, read_type, [at(utc(2024, 2, 1))]), (0, "endtimestamp"))
    assert "commissioning" in errors[0]["message"]
    assert_refused(send(developer, device, read_type, [at(commissioned)]), (0, "endtimestamp"))
    assert_stored(send(developer, device, read_type, [at(commissioned + HOUR)]), 1)


@pytest.mark.parametrize("read_type", ONGOING)
def test_end_may_not_be_in_the_future(developer, device, read_type):
    now = timezone.now()
    errors = assert_refused(send(developer, device, read_type, [at(now + timedelta(minutes=5))]), (0, "endtimestamp"))
    assert "future" in errors[0]["message"]
    assert not MeterRead.objects.exists()
    # Up to a minute of clock skew is tolerated.
    assert_stored(send(developer, device, read_type, [at(now - HOUR), at(now + timedelta(seconds=30), 1100)]), 2)


@pytest.mark.parametrize("value", [0, -1000, "-0.5"])
@pytest.mark.parametrize("index", [0, 1], ids=["baseline", "later"])
def test_delta_value_must_be_greater_than_zero(developer, device, index, value):
    reads = [at(T + HOUR, 500), at(T + 2 * HOUR, 500)]
    reads[index]["value"] = value
    assert_refused(send(developer, device, "Delta", reads), (index, "value"))
    assert not MeterRead.objects.exists()
    assert_stored(send(developer, device, "Delta", [at(T + HOUR, 1)]), 1)


@pytest.mark.parametrize("read_type", ONGOING)
def test_ends_must_strictly_increase_across_batches(developer, device, read_type):
    assert_stored(send(developer, device, read_type, [at(T + HOUR, 100), at(T + 3 * HOUR, 300)]), 2)
    errors = assert_refused(send(developer, device, read_type, [at(T + 3 * HOUR, 400)]), (0, "endtimestamp"))
    assert "never overwritten" in errors[0]["message"]
    assert_refused(send(developer, device, read_type, [at(T + 2 * HOUR, 400)]), (0, "endtimestamp"))
    assert_stored(send(developer, device, read_type, [at(T + 4 * HOUR, 400)]), 1)
    assert [row[2] for row in rows(device)] == [T + HOUR, T + 3 * HOUR, T + 4 * HOUR]


@pytest.mark.parametrize("read_type", ONGOING)
def test_ends_must_strictly_increase_inside_a_batch(developer, device, read_type):
    duplicate = [at(T + HOUR, 100), at(T + 2 * HOUR, 200), at(T + 2 * HOUR, 300)]
    assert_refused(send(developer, device, read_type, duplicate), (2, "endtimestamp"))
    earlier = [at(T + HOUR, 100), at(T + 3 * HOUR, 200), at(T + 2 * HOUR, 300), at(T + 4 * HOUR, 400)]
    assert_refused(send(developer, device, read_type, earlier), (2, "endtimestamp"))
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize(("first", "second"), [("Delta", "Aggregate"), ("Aggregate", "Delta")])
def test_the_first_ongoing_type_locks_the_device(developer, device, first, second):
    assert_stored(send(developer, device, first, [at(T + HOUR, 100)]), 1)
    response = send(developer, device, second, [at(T + 2 * HOUR, 200)])
    body = assert_error(response, 409, "type")
    assert first in body["message"]
    assert MeterRead.objects.count() == 1
    device.refresh_from_db()
    assert device.meter_read_type == first
    # History reads are always allowed.
    assert_stored(send(developer, device, "History", [period(utc(2023, 6, 1))]), 1)


def test_history_reads_do_not_lock_the_ongoing_type(developer, device):
    assert_stored(send(developer, device, "History", [period(utc(2023, 6, 1))]), 1)
    assert_stored(send(developer, device, "Aggregate", [at(T + HOUR, 100)]), 1)
    device.refresh_from_db()
    assert device.meter_read_type == "Aggregate"


def test_an_aggregate_counter_may_repeat_but_not_go_down(developer, device):
    assert_stored(send(developer, device, "Aggregate", [at(T + HOUR, 1000)]), 1)
    assert_stored(send(developer, device, "Aggregate", [at(T + 2 * HOUR, 1000)]), 1)
    assert rows(device)[-1][3:] == (0, 1000, False)  # no energy in that hour
    assert_refused(send(developer, device, "Aggregate", [at(T + 3 * HOUR, 999)]), (0, "value"))
    inside = [at(T + 3 * HOUR, 1500), at(T + 4 * HOUR, 1400), at(T + 5 * HOUR, 1600)]
    assert_refused(send(developer, device, "Aggregate", inside), (1, "value"))
    assert MeterRead.objects.count() == 2


def test_an_aggregate_counter_may_not_be_negative(developer, device):
    assert_refused(send(developer, device, "Aggregate", [at(T + HOUR, -5)]), (0, "value"))


@pytest.mark.parametrize("read_type", ONGOING)
def test_energy_since_the_previous_read_must_be_below_the_cap(developer, device, read_type):
    aggregate = read_type == "Aggregate"
    baseline = 10**9 if aggregate else 1

    def value(energy: int) -> int:  # an Aggregate read's energy is its counter's increase
        return baseline + energy if aggregate else energy

    assert_stored(send(developer, device, read_type, [at(T + HOUR, baseline)]), 1)
    # Ten hours since the previous read (eleven since onboarding: a cap over those would be larger).
    cap = cap_wh(device, 10)
    errors = assert_refused(send(developer, device, read_type, [at(T + 11 * HOUR, value(over_cap(cap)))]), (0, "value"))
    assert "more than the device's capacity could produce" in errors[0]["message"]
    assert_stored(send(developer, device, read_type, [at(T + 11 * HOUR, value(under_cap(cap)))]), 1)
    assert rows(device)[-1][3] == under_cap(cap)


@pytest.mark.parametrize("read_type", ONGOING)
def test_the_cap_applies_between_reads_of_one_batch(developer, device, read_type):
    cap = cap_wh(device, 1)
    if read_type == "Delta":
        values = [1, under_cap(cap), over_cap(cap)]
    else:
        counter = 10**9
        values = [counter, counter + under_cap(cap), counter + under_cap(cap) + over_cap(cap)]
    reads = [at(T + n * HOUR, value) for n, value in enumerate(values, start=1)]
    assert_refused(send(developer, device, read_type, reads), (2, "value"))
    assert_stored(send(developer, device, read_type, reads[:2]), 2)
    assert rows(device)[-1][3] == under_cap(cap)


def _between_caps(device, hours: float) -> int:
    """Energy over ``hours`` refused with a yield of 1000 and accepted with the default 2000."""
    return int((cap_wh(device, hours, yield_value=1000) + cap_wh(device, hours)) / 2)


def test_an_active_yield_configuration_of_the_country_sets_the_cap(developer, device):
    config = YieldConfig.objects.create(country_id="IND", yield_value=1000, status="Y")
    assert_stored(send(developer, device, "Delta", [at(T + HOUR, 1)]), 1)
    value = _between_caps(device, 10)
    assert_refused(send(developer, device, "Delta", [at(T + 11 * HOUR, value)]), (0, "value"))
    config.status = "N"  # an inactive configuration is ignored
    config.save()
    assert_stored(send(developer, device, "Delta", [at(T + 11 * HOUR, value)]), 1)


def test_the_yield_of_another_country_does_not_apply(developer, device):
    YieldConfig.objects.create(country_id="KEN", yield_value=1000, status="Y")
    assert_stored(send(developer, device, "Delta", [at(T + HOUR, 1), at(T + 11 * HOUR, _between_caps(device, 10))]), 2)


def test_a_country_yield_above_the_default_raises_the_cap(developer, device):
    YieldConfig.objects.create(country_id="IND", yield_value=4000, status="Y")
    value = int(cap_wh(device, 10, yield_value=3000))
    assert_stored(send(developer, device, "Delta", [at(T + HOUR, 1), at(T + 11 * HOUR, value)]), 2)


@pytest.mark.parametrize(
    ("read_type", "value"),
    [
        ("Delta", "1e19"),
        ("Delta", 1e300),
        ("Aggregate", "1e30"),
        ("Aggregate", "1e9999999"),
        ("Delta", "-1e99999"),
        ("History", "1e9999999"),
    ],
)
def test_an_absurdly_large_value_is_refused_not_a_server_error(developer, device, read_type, value):
    read = period(utc(2023, 6, 1), value=value) if read_type == "History" else at(T + HOUR, value)
    errors = assert_refused(send(developer, device, read_type, [read]), (0, "value"))
    assert "too large" in errors[0]["message"]
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "Cumulative"}, "type"),
        ({"type": "delta"}, "type"),
        ({"type": None}, "type"),
        ({"unit": "kW"}, "unit"),
        ({"unit": "wh"}, "unit"),
        ({"unit": None}, "unit"),
        ({"reads": []}, "reads"),
        ({"reads": "many"}, "reads"),
        ({"reads": None}, "reads"),
        ({"timezone": 330}, "timezone"),
    ],
)
def test_a_bad_batch_field_is_a_400_naming_it(developer, device, change, field):
    body = {**batch("Delta", [at(T + HOUR)]), **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = developer.post(reads_url(device.external_id), body, format="json")
    assert_error(response, 400, field)
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize("read", [5, "2024-01-01T01:00:00Z", None, [iso(T + HOUR), 100]])
def test_each_read_must_be_an_object(developer, device, read):
    assert_refused(send(developer, device, "Delta", [at(T + HOUR), read]), (1, "read"))

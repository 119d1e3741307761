"""Aggregate reads become energy per interval: whatever the counter series and however it is
split into batches, each stored read holds the counter's increase since the previous one."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reads.expect import assert_stored, assert_valid_sequence, cap_wh, send
from tests.reads.helpers import ONBOARDED, device_onboarded, iso

pytestmark = pytest.mark.django_db

NUMBERS = itertools.count(1)  # a fresh device per example: examples share the test's transaction
MAX_STEP_WH = 50_000
CAPACITY_KW = "20000"  # large enough that no step of a minute reaches the plausibility cap

steps = st.lists(
    st.tuples(st.integers(min_value=1, max_value=600), st.integers(min_value=0, max_value=MAX_STEP_WH)),
    min_size=1,
    max_size=25,
)


@pytest.fixture
def developer(client_for, developer_admin):
    return client_for(developer_admin)


@settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written outside the test folder
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    first=st.integers(min_value=0, max_value=10**12),
    steps=steps,
    unit=st.sampled_from(["Wh", "kWh"]),
    data=st.data(),
)
def test_stored_energy_is_the_counters_increase(developer, developer_admin, first, steps, unit, data):
    device = device_onboarded(developer_admin.organization, f"AGG-{next(NUMBERS)}", capacity=CAPACITY_KW)
    assert cap_wh(device, 1 / 60) > MAX_STEP_WH
    ends, counters = [], []
    end, counter = ONBOARDED, first
    for number, (minutes, increase) in enumerate(steps):
        end += timedelta(minutes=minutes)
        counter += increase if number else 0
        ends.append(end)
        counters.append(counter)

    def value(counter_wh: int):
        return counter_wh if unit == "Wh" else str(Decimal(counter_wh).scaleb(-3))  # exact in kWh

    reads = [{"endtimestamp": iso(end), "value": value(counter)} for end, counter in zip(ends, counters, strict=True)]
    cuts = data.draw(st.lists(st.booleans(), min_size=len(reads) - 1, max_size=len(reads) - 1), label="cut after")
    batches, current = [], [reads[0]]
    for read, cut in zip(reads[1:], cuts, strict=True):
        if cut:
            batches.append(current)
            current = []
        current.append(read)
    batches.append(current)
    for chunk in batches:
        assert_stored(send(developer, device, "Aggregate", chunk, unit), len(chunk))

    stored = assert_valid_sequence(device, ONBOARDED)
    assert [read.end for read in stored] == ends
    assert [read.meter_wh for read in stored] == counters
    assert stored[0].value_wh == 0
    assert [read.value_wh for read in stored[1:]] == [after - before for before, after in itertools.pairwise(counters)]
    assert sum(read.value_wh for read in stored) == counters[-1] - counters[0]

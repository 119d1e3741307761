"""Batches as a whole: up to 10,000 reads stored all together or not at all, and a read is
never overwritten."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Max, Min, Sum

from reads.models import MeterRead
from tests.organizations.helpers import assert_error
from tests.reads.expect import assert_refused, assert_stored, assert_valid_sequence, at, send
from tests.reads.helpers import ONBOARDED, device_onboarded, hourly

pytestmark = pytest.mark.django_db

T = ONBOARDED
HOUR = timedelta(hours=1)


@pytest.fixture
def developer(client_for, developer_admin):
    return client_for(developer_admin)


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


def test_ten_thousand_reads_with_one_bad_read_store_nothing_then_all_once_it_is_fixed(developer, device):
    assert settings.DREC_MAX_READS_PER_REQUEST == 10_000
    reads = hourly(T, 10_000, value=1000)
    reads[7321]["value"] = 0
    response = send(developer, device, "Delta", reads)
    errors = assert_refused(response, (7321, "value"))
    assert "greater than 0" in errors[0]["message"]
    assert response.json()["message"].startswith("1 of 10000 reads are invalid")
    assert not MeterRead.objects.exists()
    device.refresh_from_db()
    assert device.meter_read_type == ""

    reads[7321]["value"] = 1000
    assert_stored(send(developer, device, "Delta", reads), 10_000)
    totals = MeterRead.objects.filter(device=device).aggregate(total=Sum("value_wh"), first=Min("end"), last=Max("end"))
    assert totals == {"total": 10_000_000, "first": T + HOUR, "last": T + 10_000 * HOUR}
    assert len(assert_valid_sequence(device, T)) == 10_000


def test_a_bad_read_late_in_a_large_batch_is_named_by_its_index(developer, device):
    reads = hourly(T, 10_000, value=1000)
    reads[9999]["endtimestamp"] = reads[9998]["endtimestamp"]  # a duplicate end, the very last read
    assert_refused(send(developer, device, "Delta", reads), (9999, "endtimestamp"))
    assert not MeterRead.objects.exists()


def test_more_than_ten_thousand_reads_are_refused(developer, device):
    response = send(developer, device, "Delta", hourly(T, 10_001, value=1000))
    body = assert_error(response, 400, "reads")
    assert "10000" in body["message"]
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize("read_type", ["Delta", "Aggregate"])
def test_a_duplicate_end_timestamp_is_refused_and_the_stored_read_kept(developer, device, read_type):
    assert_stored(send(developer, device, read_type, [at(T + HOUR, 500), at(T + 2 * HOUR, 700)]), 2)
    before = list(MeterRead.objects.order_by("end").values("id", "start", "end", "value_wh", "meter_wh"))
    response = send(developer, device, read_type, [at(T + 2 * HOUR, 9999)])
    assert_refused(response, (0, "endtimestamp"))
    assert list(MeterRead.objects.order_by("end").values("id", "start", "end", "value_wh", "meter_wh")) == before


def test_a_duplicate_end_with_new_reads_after_it_refuses_the_whole_batch(developer, device):
    assert_stored(send(developer, device, "Delta", [at(T + HOUR, 500), at(T + 2 * HOUR, 700)]), 2)
    response = send(developer, device, "Delta", [at(T + 2 * HOUR, 9999), at(T + 3 * HOUR, 800)])
    assert_refused(response, (0, "endtimestamp"))
    assert list(MeterRead.objects.order_by("end").values_list("value_wh", flat=True)) == [500, 700]


def test_each_device_keeps_its_own_sequence(developer, developer_admin, device):
    other = device_onboarded(developer_admin.organization, "SHS-2")
    assert_stored(send(developer, device, "Delta", hourly(T, 3)), 3)
    assert_stored(send(developer, other, "Delta", hourly(T, 2)), 2)  # same ends, another device
    assert len(assert_valid_sequence(device, T)) == 3
    assert len(assert_valid_sequence(other, T)) == 2

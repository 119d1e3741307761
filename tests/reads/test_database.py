"""What the database itself guarantees about reads (PostgreSQL), and concurrent batches for one
device against the real server: they never interleave into an invalid sequence."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from reads.models import MeterRead
from tests.reads.expect import assert_valid_sequence, period, rows, utc
from tests.reads.helpers import ONBOARDED, batch, device_onboarded, hourly, reads_url

T = ONBOARDED
HOUR = timedelta(hours=1)


def read(device, start, end, value=100, read_type="Delta", **fields) -> MeterRead:
    return MeterRead.objects.create(device=device, read_type=read_type, start=start, end=end, value_wh=value, **fields)


def refused_by_database(device, start, end, **fields) -> None:
    """Insert a read straight through the ORM: the database must refuse it, and keep what it had."""
    before = rows(device)
    with pytest.raises(IntegrityError), transaction.atomic():
        read(device, start, end, **fields)
    assert rows(device) == before


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


@pytest.fixture
def chain(device):
    """A valid ongoing series as the service stores it: a baseline [T, T+2h), then [T+2h, T+3h)."""
    read(device, T, T + 2 * HOUR, is_baseline=True)
    read(device, T + 2 * HOUR, T + 3 * HOUR)
    return device


JUNE = utc(2023, 6, 1)


@pytest.mark.django_db
class TestDatabaseGuarantees:
    """Whatever the code above it does, PostgreSQL keeps a device's reads from overlapping and
    never holds two reads of a device ending at the same moment."""

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (T + HOUR, T + 4 * HOUR),  # starts inside the baseline
            (T + 2.5 * HOUR, T + 5 * HOUR),  # starts inside the second read
            (T + 2 * HOUR, T + 4 * HOUR),  # a second successor of the baseline, enclosing the second read
            (T + HOUR, T + 1.5 * HOUR),  # inside the baseline
        ],
        ids=["overlaps-baseline", "overlaps-last", "same-start", "inside"],
    )
    def test_an_overlapping_ongoing_read_is_refused(self, chain, start, end):
        refused_by_database(chain, start, end)

    def test_a_second_baseline_overlapping_the_series_is_refused(self, chain):
        refused_by_database(chain, T - HOUR, T + 5 * HOUR, is_baseline=True)

    def test_a_second_read_with_the_same_end_is_refused(self, chain):
        refused_by_database(chain, T + 2.5 * HOUR, T + 3 * HOUR, value=999)
        refused_by_database(chain, T + 2 * HOUR, T + 3 * HOUR, value=999)

    def test_a_read_continuing_the_series_is_accepted(self, chain):
        read(chain, T + 3 * HOUR, T + 4 * HOUR)
        assert len(assert_valid_sequence(chain, T)) == 3

    @pytest.mark.parametrize(
        ("start_hour", "hours"),
        [(11, 2), (9, 1.5), (10.5, 0.5), (9, 4), (10, 2)],
        ids=["overlaps-end", "overlaps-start", "inside", "encloses", "same-period"],
    )
    def test_overlapping_history_reads_are_refused(self, device, start_hour, hours):
        read(device, JUNE + 10 * HOUR, JUNE + 12 * HOUR, read_type="History")
        refused_by_database(
            device, JUNE + timedelta(hours=start_hour), JUNE + timedelta(hours=start_hour + hours), read_type="History"
        )

    def test_touching_history_reads_and_reads_of_other_devices_are_accepted(self, developer_admin, device):
        read(device, JUNE, JUNE + HOUR, read_type="History")
        read(device, JUNE + HOUR, JUNE + 2 * HOUR, read_type="History")  # [start, end): sharing an instant is fine
        other = device_onboarded(developer_admin.organization, "SHS-2")
        read(other, JUNE, JUNE + 2 * HOUR, read_type="History")
        read(other, T, T + 2 * HOUR, is_baseline=True)
        assert MeterRead.objects.count() == 4

    def test_a_read_must_have_a_positive_duration_and_no_negative_energy(self, device):
        refused_by_database(device, JUNE + HOUR, JUNE + HOUR, read_type="History")
        refused_by_database(device, JUNE + 2 * HOUR, JUNE + HOUR, read_type="History")
        refused_by_database(device, JUNE, JUNE + HOUR, read_type="History", value=-1)
        refused_by_database(device, JUNE, JUNE + HOUR, read_type="Monthly")


# --- Concurrent batches ------------------------------------------------------------------------


def _post_together(user, device, bodies: list[dict]) -> list:
    """POST the bodies at the same moment, each from its own thread, client and connection."""
    responses: list = [None] * len(bodies)
    failures: list = []
    start = threading.Barrier(len(bodies))

    def post(number: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=user)
            start.wait(timeout=30)
            responses[number] = client.post(reads_url(device.external_id), bodies[number], format="json")
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(number,)) for number in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert all(response is not None for response in responses)
    return responses


def _problems(response) -> set[tuple[int, str]]:
    return {(error["index"], error["field"]) for error in response.json()["errors"]}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_overlapping_series_for_one_device_store_exactly_one(developer_admin):
    device = device_onboarded(developer_admin.organization)
    early = hourly(T, 600, value=1000)  # ends T+1h .. T+600h
    late = hourly(T + 300 * HOUR, 600, value=1000)  # ends T+301h .. T+900h: half of it overlaps
    responses = _post_together(developer_admin, device, [batch("Delta", early), batch("Delta", late)])

    assert sorted(response.status_code for response in responses) == [201, 400], [r.content[:300] for r in responses]
    if responses[0].status_code == 201:  # early first: late's reads up to T+600h come too late
        winner, loser, refused = early, responses[1], set(range(300))
    else:  # late first: every read of early ends before late's last
        winner, loser, refused = late, responses[0], set(range(600))
    assert _problems(loser) == {(index, "endtimestamp") for index in refused}
    stored = assert_valid_sequence(device, T)
    shift = timedelta(0) if winner is early else 300 * HOUR
    assert [read.end for read in stored] == [T + (n + 1) * HOUR + shift for n in range(600)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_overlapping_history_batches_store_exactly_one(developer_admin):
    device = device_onboarded(developer_admin.organization)
    june = utc(2023, 6, 1)
    first = [period(june + n * HOUR, hours=1) for n in range(300)]
    second = [period(june + (n + 150) * HOUR, hours=1) for n in range(300)]  # overlaps the first's second half
    responses = _post_together(developer_admin, device, [batch("History", first), batch("History", second)])

    assert sorted(response.status_code for response in responses) == [201, 400], [r.content[:300] for r in responses]
    winner = first if responses[0].status_code == 201 else second
    loser = responses[1] if winner is first else responses[0]
    # The loser's reads overlapping the winner's: the second's first half, or the first's second half.
    assert _problems(loser) == {(n, "starttimestamp") for n in (range(150) if winner is first else range(150, 300))}
    shift = timedelta(0) if winner is first else 150 * HOUR
    assert [row[1] for row in rows(device)] == [june + n * HOUR + shift for n in range(300)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_disjoint_history_batches_are_both_stored(developer_admin):
    device = device_onboarded(developer_admin.organization)
    june = utc(2023, 6, 1)
    first = [period(june + n * HOUR, hours=1) for n in range(300)]
    second = [period(june + (n + 300) * HOUR, hours=1) for n in range(300)]  # touches the first, no overlap
    responses = _post_together(developer_admin, device, [batch("History", first), batch("History", second)])
    assert [response.status_code for response in responses] == [201, 201], [r.content[:300] for r in responses]
    assert [row[1] for row in rows(device)] == [june + n * HOUR for n in range(600)]

"""What a scheduled run costs (SPEC §12): it grows with the new reads, never with the certified
history. A run with nothing new reads no certified read and one watermark per membership (the
end of its certified chain); a run after one new day reads that day's reads, and both send the
same statements whether the history is two days long or eight.

What a run reads is PostgreSQL's own count for the test's transaction
(``pg_stat_xact_user_tables``: rows read by sequential scans and fetched through indexes), so
that a plan reading the history, whatever the SQL says, shows. The run leaves a reservation
alone when it has nothing to do, so the last test holds it to what running every reservation
gives: the same certificates, carries, states and ledger. Unit: 1,000 Wh."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction

from certificates.benchmarks import issuance_vs_sum
from certificates.models import Certificate
from certificates.services import certificates_issue_due, reservation_issue
from reservations.models import Reservation
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    assert_issuance_consistent,
    device_at,
    device_reading,
    history,
    ongoing,
    reservation_make,
    series,
    snapshot,
)

pytestmark = pytest.mark.django_db

READS, CONTRIBUTIONS = "reads_meterread", "certificates_contribution"


@dataclass
class Cost:
    statements: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # read, per table
    seq_scans: dict[str, int] = field(default_factory=dict)


def _counters() -> dict[str, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, seq_scan, seq_tup_read + COALESCE(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s)",
            [[READS, CONTRIBUTIONS]],
        )
        return {name: (scans, rows) for name, scans, rows in cursor.fetchall()}


@contextmanager
def run_cost() -> Iterator[Cost]:
    """The statements the block sends, and the rows it reads from the reads and the
    contributions tables (PostgreSQL's counters of the current transaction)."""
    cost = Cost()

    def count(execute, sql, params, many, context):
        cost.statements += 1
        return execute(sql, params, many, context)

    # On a test's few hundred reads the planner may choose to scan a table whose statistics
    # (an autovacuum's ANALYZE of an earlier test's rows) call it tiny, and what is measured
    # would be that choice: sequential scans are discouraged here as the history's size does at
    # scale, so what counts is whether the run's statements *can* keep to the new rows. So are
    # bitmap scans: on these statistics CI once saw the first pending read of each membership
    # (``ORDER BY ongoing_end LIMIT 1``) found by a bitmap scan of its whole new day, 97 rows
    # read instead of 51; at scale that statement is one index entry per membership.
    with connection.cursor() as cursor:
        # Statistics of this test's rows, whatever an autovacuum of earlier tests left.
        cursor.execute(f"ANALYZE {READS}, {CONTRIBUTIONS}, reservations_reservationdevice")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    before = _counters()
    with connection.execute_wrapper(count):
        yield cost
    after = _counters()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("SET LOCAL enable_bitmapscan = on")
    for table in (READS, CONTRIBUTIONS):
        scans, rows = (after.get(table, (0, 0))[i] - before.get(table, (0, 0))[i] for i in (0, 1))
        cost.seq_scans[table], cost.rows[table] = scans, rows


def test_a_run_with_nothing_new_reads_no_certified_read_however_long_the_history(developer, buyer):
    # 500 Wh an hour: every read is certified (hourly: a unit every two hours), none waits.
    devices = [device_reading(developer, f"IDLE-{n}", count=2 * 24, value=500) for n in range(3)]
    reservation_make(buyer, devices[:2], frequency="daily", name="Daily")
    reservation_make(buyer, devices[2:], frequency="hourly", name="Hourly")
    assert certificates_issue_due(now=T0 + 2 * DAY) > 0
    with run_cost() as two_days:
        assert certificates_issue_due(now=T0 + 2 * DAY + HOUR / 2) == 0

    # Six more days, certified; and reads of the window still open, which wait for it to close.
    for device in devices:
        ongoing(device, series(T0 + 2 * DAY + HOUR, 6 * 24, 500))
    assert certificates_issue_due(now=T0 + 8 * DAY) > 0
    for device in devices:
        ongoing(device, series(T0 + 8 * DAY + HOUR, 6, 500))
    with run_cost() as eight_days:
        assert certificates_issue_due(now=T0 + 8 * DAY + HOUR / 2) == 0

    assert eight_days.rows[READS] == 0  # not one read, certified or waiting
    # (The contributions it reads are left out: on a test's few rows the planner may take a
    # membership's watermark from the foreign key's index rather than the unique one, which
    # depends on the statistics an earlier test left, not on the run's SQL.)
    assert eight_days.seq_scans[READS] == 0
    assert (eight_days.statements, eight_days.rows[READS]) == (two_days.statements, two_days.rows[READS])
    assert eight_days.statements <= 2  # which reservations may issue, and which have something to
    assert_issuance_consistent()


def test_a_run_after_one_new_day_reads_that_day_and_no_more_however_long_the_history(developer, buyer):
    devices = [device_reading(developer, f"DAY-{n}", count=2 * 24, value=300) for n in range(2)]
    reservation = reservation_make(buyer, devices, frequency="daily")
    memberships = len(devices)
    certificates_issue_due(now=T0 + 2 * DAY)

    def one_new_day(day: int) -> Cost:
        for device in devices:
            ongoing(device, series(T0 + day * DAY + HOUR, 24, 300))
        with run_cost() as cost:
            # 2 devices x 24 x 300 Wh = 14,400 Wh (plus the carry): one certificate.
            assert certificates_issue_due(now=T0 + (day + 1) * DAY) == 1
        last = reservation.certificates.order_by("-id").first()
        assert (last.window_start, last.window_end) == (T0 + day * DAY, T0 + (day + 1) * DAY)
        return cost

    third_day = one_new_day(2)
    for device in devices:  # five more days, certified
        ongoing(device, series(T0 + 3 * DAY + HOUR, 5 * 24, 300))
    certificates_issue_due(now=T0 + 8 * DAY)
    ninth_day = one_new_day(8)

    new_reads = memberships * 24
    # The day's reads, and the first of them once more per membership (where its windows start).
    assert new_reads <= ninth_day.rows[READS] <= new_reads + 2 * memberships
    assert ninth_day.seq_scans[READS] == 0
    assert (ninth_day.statements, ninth_day.rows[READS]) == (third_day.statements, third_day.rows[READS])
    assert Certificate.objects.count() == 2 + 1 + 5 + 1
    assert_issuance_consistent()


def test_a_scheduled_run_issues_what_running_every_reservation_issues(developer, buyer):
    """The scheduled run skips reservations with nothing to do; it must never skip one with
    something: windows that closed, late reads, History reads, a period that ended, an ended
    reservation's late reads until its expiry."""
    half_hour = HOUR / 2
    hourly = [device_reading(developer, f"HOURLY-{n}", count=60, value=650, step=half_hour) for n in range(2)]
    reservation_make(buyer, hourly, frequency="hourly", end=T0 + DAY, name="Hourly, ends after a day")
    kenya = device_reading(developer, "KEN", count=3 * 24, value=300, country="KEN")
    india = device_reading(developer, "IND", count=3 * 24, value=200, country="IND")
    reservation_make(buyer, [kenya, india], frequency="daily", name="Two countries")
    silent = device_reading(developer, "SILENT", count=10, value=300)  # silent after 10 h, resumes later
    reservation_make(buyer, [silent], frequency="daily", name="Late reads")
    historic = device_at(developer, "HIST", onboarded=T0 + DAY)
    history(historic, [(T0 + n * 4 * HOUR, T0 + (n + 1) * 4 * HOUR, 900 + 100 * n) for n in range(6)])
    ongoing(historic, [(T0 + DAY + HOUR, 1)])
    ongoing(historic, series(T0 + DAY + 2 * HOUR, 30, 300))
    reservation_make(buyer, [historic], frequency="weekly", name="History, then weekly")
    trickle = device_reading(developer, "TRICKLE", count=3, value=100)  # less than a unit: it waits
    reservation_make(buyer, [trickle], frequency="daily", name="Below a unit")

    def late_reads() -> None:
        ongoing(silent, series(T0 + 11 * HOUR, 60, 300))

    moments = [T0 + 12 * HOUR, T0 + DAY + HOUR, T0 + 2 * DAY, T0 + 8 * DAY, T0 + 40 * DAY]
    expected = []
    with transaction.atomic():
        for step, now in enumerate(moments):
            if step == 2:
                late_reads()
            for pk in Reservation.objects.order_by("pk").values_list("pk", flat=True):
                reservation_issue(reservation_id=pk, now=now)
            expected.append(snapshot())
        transaction.set_rollback(True)
    assert Certificate.objects.count() == 0

    for step, (now, issued) in enumerate(zip(moments, expected, strict=True)):
        if step == 2:
            late_reads()
        certificates_issue_due(now=now)
        assert snapshot() == issued, now
    assert len(expected[-1]["certificates"]) > 20
    assert_issuance_consistent()


def test_the_issuance_benchmark_reports_the_run_with_nothing_new_and_the_new_day():
    """`make bench` (certificates.benchmarks), run small: it checks what it issued itself."""
    results = issuance_vs_sum(scale=0.01)
    assert [result.goal for result in results] == [
        "",
        "",
        "≤ 2x the SUM per device-day",
        "≤ 50 ms",
        "",
        "≤ 2x the SUM per device-day",
    ]
    idle, new_day = results[3], results[5]
    assert "(2 statements;" in idle.figure  # which reservations may issue, and which have something to
    assert new_day.name == "Issuance of the new day over the certified history: 10 certificates"
    assert all(result.met in (True, False) for result in results if result.goal)

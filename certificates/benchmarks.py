"""Benchmark of issuance (SPEC §12): 1,000 devices x 30 days of hourly reads (720,000 reads)
in reservations, all issued in one run, beside plain SQL SUMs over the same rows in the
same run. Then, over that certified history: a run with nothing new (≤ 50 ms), and a run
after one new day of reads, beside the SUMs of that day's reads alone (its cost grows with
the new reads, not with the history)."""

import statistics
import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from certificates.models import Certificate, Contribution
from certificates.scale_out import scale_out
from certificates.services import certificates_issue_due
from devices.benchmarks import _organization, bench_device
from devices.models import Device
from drec.bench import Benchmark, Result, stopwatch
from organizations.models import Organization, OrganizationType
from reads.services import COPY_COLUMNS
from reservations.models import Reservation, ReservationDevice

HOURLY_WH = 400
PLAIN_SUM = (
    'SELECT sum(value_wh) FROM reads_meterread WHERE device_id = ANY(%s) AND NOT is_baseline AND "end" > %s '
    'AND "end" <= %s'
)
DAILY_SUM = (
    "SELECT device_id, date_trunc('day', \"end\" - interval '1 microsecond'), sum(value_wh) FROM reads_meterread "
    'WHERE device_id = ANY(%s) AND NOT is_baseline AND "end" > %s AND "end" <= %s GROUP BY 1, 2'
)


def _devices(organization, count: int, onboarded: datetime) -> list[Device]:
    devices = [
        bench_device(organization, f"ISS-{number:05d}", commissioning_date=onboarded - timedelta(days=30))
        for number in range(count)
    ]
    Device.objects.filter(pk__in=[d.pk for d in devices]).update(created_at=onboarded)
    return list(Device.objects.filter(pk__in=[d.pk for d in devices]).order_by("pk"))


def _reads(devices: list[Device], start: datetime, hours: int, *, baseline: bool = True) -> None:
    """Each device: a baseline read ending at ``start`` (unless its chain goes on from there),
    then ``hours`` hourly reads (COPY)."""
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY reads_meterread ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for device in devices:
            if baseline:
                copy.write_row((device.pk, "Delta", device.created_at, start, HOURLY_WH, None, True, now))
            for hour in range(hours):
                begin = start + timedelta(hours=hour)
                copy.write_row((device.pk, "Delta", begin, begin + timedelta(hours=1), HOURLY_WH, None, False, now))
    Device.objects.filter(pk__in=[d.pk for d in devices]).update(meter_read_type="Delta")


def _sums(device_ids: list[int], start: datetime, end: datetime) -> tuple[float, float, int]:
    """Seconds of a plain SUM over the rows, and of the SUM per device and day; the total Wh."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reads_meterread")
        with stopwatch() as plain:
            cursor.execute(PLAIN_SUM, [device_ids, start, end])
            total = int(cursor.fetchone()[0])
        with stopwatch() as grouped:
            cursor.execute(DAILY_SUM, [device_ids, start, end])
            cursor.fetchall()
    return plain(), grouped(), total


def _idle_runs(now: datetime, runs: int = 5) -> tuple[float, int]:
    """Seconds of a run with nothing new to issue (the median of ``runs``), and its statements."""
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    seconds = []
    for _run in range(runs):
        statements.clear()
        with connection.execute_wrapper(count), stopwatch() as elapsed:
            issued = certificates_issue_due(now=now)
        seconds.append(elapsed())
        if issued:
            raise RuntimeError(f"A run with nothing new issued {issued} certificates")
    return statistics.median(seconds), len(statements)


def _certified_wh(device_ids: list[int]) -> int:
    return sum(Contribution.objects.filter(device_id__in=device_ids).values_list("energy_wh", flat=True))


def issuance_vs_sum(scale: float = 1.0) -> list[Result]:
    devices_count = max(10, round(1000 * scale))
    days = 30
    start = (datetime.now(UTC) - timedelta(days=days + 5)).replace(hour=0, minute=0, second=0, microsecond=0)
    developer, _user = _organization("Bench issuance")
    buyer = Organization.objects.create(
        name=f"Bench buyer {uuid.uuid4().hex[:8]}", organization_type=OrganizationType.BUYER, org_email="b@example.com"
    )
    devices = _devices(developer, devices_count, start - timedelta(hours=1))
    _reads(devices, start, days * 24)
    end = start + timedelta(days=days)  # of the reads; the reservations go on (a new day comes)
    groups = 10
    for number in range(groups):
        members = devices[number::groups]
        reservation = Reservation.objects.create(
            name=f"Bench reservation {uuid.uuid4().hex[:8]}",
            organization=buyer,
            start=start,
            end=end + timedelta(days=days),
            expiry=end + timedelta(days=2 * days),
            frequency="daily",
            target_wh=10**15,
            authority_to_exceed=True,
        )
        ReservationDevice.objects.bulk_create(
            [ReservationDevice(reservation=reservation, device=d, covers_from=start) for d in members]
        )
    ids = [d.pk for d in devices]
    plain_seconds, grouped_seconds, total_wh = _sums(ids, start, end)
    with stopwatch() as elapsed:
        issued = certificates_issue_due(now=end)  # every window of the 30 days has closed
    issue_seconds = elapsed()
    stored = Certificate.objects.filter(reservation__organization=buyer).count()
    certified = _certified_wh(ids)
    if certified != total_wh or issued != groups * days:
        raise RuntimeError(f"Issued {issued} certificates for {certified} Wh, expected {groups * days} for {total_wh}")
    reads = devices_count * days * 24
    ratio = issue_seconds / grouped_seconds  # SPEC §12: against the SUM per device and window

    idle_seconds, idle_statements = _idle_runs(end)

    day = timedelta(days=1)
    _reads(devices, end, 24, baseline=False)
    day_plain, day_grouped, day_wh = _sums(ids, end, end + day)
    with stopwatch() as elapsed:
        day_issued = certificates_issue_due(now=end + day)
    day_seconds = elapsed()
    if _certified_wh(ids) != total_wh + day_wh or day_issued != groups:
        raise RuntimeError(f"The new day issued {day_issued} certificates, expected {groups} for {day_wh} Wh")
    day_ratio = day_seconds / day_grouped
    return [
        Result(f"Plain SQL SUM over {reads:,} reads", f"{plain_seconds:.3f} s"),
        Result(f"SQL SUM per device and day over the same {reads:,} reads", f"{grouped_seconds:.3f} s"),
        Result(
            f"Issuance: {issued} certificates ({groups} reservations x {days} daily windows, {stored} stored)",
            f"{issue_seconds:.3f} s ({ratio:.1f}x the SUM per device-day, "
            f"{issue_seconds / plain_seconds:.1f}x the plain SUM)",
            goal="≤ 2x the SUM per device-day",
            met=ratio <= 2,
        ),
        Result(
            f"A run with nothing new over the certified history ({reads:,} reads, {groups} reservations)",
            f"{idle_seconds * 1000:.1f} ms ({idle_statements} statements; median of 5)",
            goal="≤ 50 ms",
            met=idle_seconds <= 0.05,
        ),
        Result(
            f"SQL SUM per device and day over one new day ({devices_count * 24:,} reads) alone",
            f"{day_grouped * 1000:.1f} ms (plain SUM {day_plain * 1000:.1f} ms)",
        ),
        Result(
            f"Issuance of the new day over the certified history: {day_issued} certificates",
            f"{day_seconds * 1000:.1f} ms ({day_ratio:.1f}x the SUM per device-day, "
            f"{day_seconds / day_plain:.1f}x the plain SUM)",
            goal="≤ 2x the SUM per device-day",
            met=day_ratio <= 2,
        ),
    ]


BENCHMARKS = [Benchmark("certificate issuance", issuance_vs_sum, tier=True), Benchmark("scale-out", scale_out)]

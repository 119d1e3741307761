"""Benchmark of issuance (SPEC §12): 1,000 devices x 30 days of hourly reads (720,000 reads)
in reservations, all issued in one run, beside plain SQL SUMs over the same rows in the
same run."""

import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from certificates.models import Certificate, Contribution
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


def _reads(devices: list[Device], start: datetime, hours: int) -> None:
    """Each device: a baseline read ending at ``start``, then ``hours`` hourly reads (COPY)."""
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY reads_meterread ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for device in devices:
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
    end = start + timedelta(days=days)
    groups = 10
    for number in range(groups):
        members = devices[number::groups]
        reservation = Reservation.objects.create(
            name=f"Bench reservation {uuid.uuid4().hex[:8]}",
            organization=buyer,
            start=start,
            end=end,
            expiry=end + timedelta(days=60),
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
        issued = certificates_issue_due()
    issue_seconds = elapsed()
    certified = sum(Contribution.objects.filter(device_id__in=ids).values_list("energy_wh", flat=True))
    if certified != total_wh or issued != groups * days:
        raise RuntimeError(f"Issued {issued} certificates for {certified} Wh, expected {groups * days} for {total_wh}")
    reads = devices_count * days * 24
    ratio = issue_seconds / plain_seconds
    return [
        Result(f"Plain SQL SUM over {reads:,} reads", f"{plain_seconds:.3f} s"),
        Result(f"SQL SUM per device and day over the same {reads:,} reads", f"{grouped_seconds:.3f} s"),
        Result(
            f"Issuance: {issued} certificates ({groups} reservations x {days} daily windows, "
            f"{Certificate.objects.filter(reservation__organization=buyer).count()} stored)",
            f"{issue_seconds:.3f} s ({ratio:.1f}x the plain SUM, "
            f"{issue_seconds / grouped_seconds:.1f}x the SUM per device-day)",
            goal="≤ 2x the plain SUM",
            met=ratio <= 2,
        ),
    ]


BENCHMARKS = [Benchmark("certificate issuance", issuance_vs_sum)]

"""Benchmarks of meter reads (SPEC §12): hourly reads posted through the API in batches of
10,000, against PostgreSQL's own COPY of the same rows into the same table, in one run; and
the same reads uploaded as a CSV file (SPEC §14), beside the JSON API's figure."""

import csv
import http.client
import io
import json
import threading
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test import Client
from django.utils import timezone

from accounts.models import TokenKind
from accounts.services import access_token_issue
from devices.benchmarks import _organization, bench_device, job_ended
from devices.models import CsvJobStatus, Device
from drec.bench import Benchmark, Result, server, stopwatch
from reads.models import MeterRead
from reads.services import COPY_COLUMNS

BATCH = 10_000
HOURLY_WH = 1_000  # under the cap of a 5 kW device (1,369 Wh an hour)
CSV_READS_PER_DEVICE = 5_000  # a file of 50,000 reads at scale 1 (about 2.4 MB)


def _devices(organization, count: int, onboarded: datetime, prefix: str) -> list[Device]:
    devices = []
    for number in range(count):
        device = bench_device(organization, f"{prefix}-{number:04d}", commissioning_date=onboarded - timedelta(days=30))
        devices.append(device)
    Device.objects.filter(pk__in=[d.pk for d in devices]).update(created_at=onboarded)
    for device in devices:
        device.refresh_from_db()
    return devices


def _ends(onboarded: datetime, reads: int) -> list[datetime]:
    return [onboarded + timedelta(hours=hour + 1) for hour in range(reads)]


def copy_seconds(devices: list[Device], ends: list[datetime]) -> float:
    """Seconds COPY takes to load the rows the API stores for ``devices`` (rolled back after)."""
    now = timezone.now()
    with transaction.atomic():
        with (
            connection.cursor() as cursor,
            stopwatch() as elapsed,
            cursor.cursor.copy(f"COPY reads_meterread ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
        ):
            for device in devices:
                start = device.created_at
                for number, end in enumerate(ends):
                    copy.write_row((device.pk, "Delta", start, end, HOURLY_WH, None, number == 0, now))
                    start = end
        seconds = elapsed()
        transaction.set_rollback(True)
    return seconds


def api_seconds(client: Client, devices: list[Device], ends: list[datetime]) -> float:
    """Seconds to post every device's hourly reads to the API, 10,000 per request."""
    bodies = []
    for device in devices:
        for offset in range(0, len(ends), BATCH):
            reads = [
                {"endtimestamp": end.isoformat().replace("+00:00", "Z"), "value": HOURLY_WH}
                for end in ends[offset : offset + BATCH]
            ]
            body = json.dumps({"type": "Delta", "unit": "Wh", "reads": reads})
            bodies.append((f"/api/meter-reads/new/{device.external_id}", body))
    with stopwatch() as elapsed:
        for url, body in bodies:
            response = client.post(url, body, content_type="application/json")
            if response.status_code != 201:
                raise RuntimeError(f"The reads were refused: {response.content[:500]!r}")
    return elapsed()


def reads_file(devices: list[Device], ends: list[datetime]) -> bytes:
    """A reads CSV (SPEC §14) of every device's hourly Delta reads, device after device."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["externalId", "type", "unit", "starttimestamp", "endtimestamp", "value"])
    stamps = [end.isoformat().replace("+00:00", "Z") for end in ends]
    for device in devices:
        writer.writerows([device.external_id, "Delta", "Wh", "", stamp, HOURLY_WH] for stamp in stamps)
    return out.getvalue().encode()


def csv_seconds(client: Client, devices: list[Device], ends: list[datetime]) -> float:
    """Seconds from posting the devices' reads as one CSV to its job's completion."""
    upload = io.BytesIO(reads_file(devices, ends))
    upload.name = "reads.csv"
    with stopwatch() as elapsed:
        response = client.post("/api/meter-reads/bulk-csv", {"csvFile": upload})
        if response.status_code != 201:
            raise RuntimeError(f"The reads file was refused: {response.content[:500]!r}")
        job = job_ended(response.json()["jobId"])
    seconds = elapsed()
    rows = len(devices) * len(ends)
    if job.status != CsvJobStatus.COMPLETED or job.rows_created != rows:
        raise RuntimeError(f"The reads file stored {job.rows_created} of {rows} reads: {job.status} {job.error}")
    return seconds


def ingestion_vs_copy(scale: float = 1.0) -> list[Result]:
    devices_count = max(1, round(10 * scale))
    reads_per_device = 2 * BATCH if scale >= 1 else max(100, int(2 * BATCH * scale))
    onboarded = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=reads_per_device + 48)
    ends = _ends(onboarded, reads_per_device)
    organization, user = _organization("Bench reads")
    copied = _devices(organization, devices_count, onboarded, "COPY")
    posted = _devices(organization, devices_count, onboarded, "API")
    filed = _devices(organization, devices_count, onboarded, "CSV")
    rows = devices_count * reads_per_device

    copy_time = copy_seconds(copied, ends)
    token, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    api_time = api_seconds(client, posted, ends)
    stored = MeterRead.objects.filter(device__in=posted).count()
    if stored != rows:
        raise RuntimeError(f"The API stored {stored} reads, not {rows}")
    # A file holds fewer reads a device (DREC_CSV_MAX_BYTES): its rate is what compares.
    file_ends = ends[: min(reads_per_device, CSV_READS_PER_DEVICE)]
    file_rows = devices_count * len(file_ends)
    file_time = csv_seconds(client, filed, file_ends)

    copy_rate, api_rate, file_rate = rows / copy_time, rows / api_time, file_rows / file_time
    ratio = api_rate / copy_rate
    shape = f"{devices_count} devices x {reads_per_device:,} hourly reads"
    return [
        Result(f"PostgreSQL COPY of {rows:,} reads ({shape})", f"{copy_time:.2f} s ({copy_rate:,.0f} reads/s)"),
        Result(
            f"API ingestion of the same {rows:,} reads, {BATCH:,} per request",
            f"{api_time:.2f} s ({api_rate:,.0f} reads/s, {ratio:.0%} of COPY)",
            goal="≥ 25 % of COPY",
            met=ratio >= 0.25,
        ),
        Result(
            f"Reads CSV upload of {file_rows:,} reads ({devices_count} devices x {len(file_ends):,} in one file), "
            "upload to Completed",
            f"{file_time:.2f} s ({file_rate:,.0f} reads/s, {file_rate / api_rate:.0%} of the JSON API's)",
        ),
    ]


def concurrent_writers(scale: float = 1.0) -> list[Result]:
    """20 writers (at scale 1) posting batches of reads for 20 different devices at once to gunicorn;
    afterwards every read is stored exactly once and nothing else is."""
    writers = max(2, round(20 * scale))
    batches = max(1, round(5 * scale))
    per_batch = 2000
    reads_per_device = batches * per_batch
    onboarded = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=reads_per_device + 48)
    ends = _ends(onboarded, reads_per_device)
    organization, user = _organization("Bench writers")
    devices = _devices(organization, writers, onboarded, "W")
    token, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
    failures: list[str] = []

    def write(base: str, device: Device) -> None:
        host, port = base.removeprefix("http://").split(":")
        connection_ = http.client.HTTPConnection(host, int(port), timeout=120)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for offset in range(0, reads_per_device, per_batch):
            reads = [
                {"endtimestamp": end.isoformat().replace("+00:00", "Z"), "value": HOURLY_WH}
                for end in ends[offset : offset + per_batch]
            ]
            body = json.dumps({"type": "Delta", "unit": "Wh", "reads": reads})
            connection_.request("POST", f"/api/meter-reads/new/{device.external_id}", body, headers)
            response = connection_.getresponse()
            response.read()
            if response.status != 201:
                failures.append(f"{device.external_id}: {response.status}")
        connection_.close()

    with server() as base:
        threads = [threading.Thread(target=write, args=(base, device)) for device in devices]
        with stopwatch() as elapsed:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        seconds = elapsed()
    total = writers * reads_per_device
    stored = MeterRead.objects.filter(device__in=devices).aggregate(count=Count("id"), energy=Sum("value_wh"))
    distinct = MeterRead.objects.filter(device__in=devices).values("device_id", "end").distinct().count()
    exact = stored["count"] == total == distinct and stored["energy"] == total * HOURLY_WH and not failures
    return [
        Result(
            f"{writers} concurrent writers, {batches} batches of {per_batch:,} reads each (gunicorn)",
            f"{total / seconds:,.0f} reads/s; stored {stored['count']:,} of {total:,}, {len(failures)} failed requests",
            goal="every read stored once, nothing else",
            met=exact,
        )
    ]


BENCHMARKS = [
    Benchmark("meter-read ingestion", ingestion_vs_copy),
    Benchmark("concurrent read writers", concurrent_writers),
]

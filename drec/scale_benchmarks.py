"""The listings at scale (SPEC §12, scale tier): a Developer organization's device list, a
device's read listing and its accumulated energy, under load (wrk against gunicorn), with a
thousand devices of 700 hourly reads each (700,000 reads) at scale 1.

With ``--scale 10`` (the scale tier: 10,000 devices, 7,000,000 reads, COPY-built) the same
three are measured first at the 1x size, then again once the rest is copied in: each must keep
its 1x rate within 25 %. What these answers read grows with a page and a device, never with
the tables, and this is where that is shown.

Run alone: ``manage.py bench --only "listings at scale"`` (``--scale 0.1`` for a quick try).
The data stays (gunicorn reads it from other connections): the benchmarks after this one meet
the bigger tables, as a deployment's would be.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection

from accounts.models import TokenKind
from accounts.services import access_token_issue
from devices.benchmarks import _organization
from drec.admin_benchmarks import ANALYZED, READS_PER_DEVICE, _devices, _reads
from drec.bench import Result, WrkFigures, load_result, server, server_shape, stopwatch, wrk

DEVICES = 1_000  # at scale 1
SECONDS = 20  # of load per listing and size
KEPT = 0.75  # of the 1x rate, at the scale tier


def _urls(external_id: str, year: int) -> list[tuple[str, str]]:
    reads = f"/api/meter-reads/new/{external_id}"
    return [
        ("GET /api/device/my?pagenumber=1", "/api/device/my?pagenumber=1"),
        ("A device's reads: GET /api/meter-reads/new/{id}?readType=meterReads", f"{reads}?readType=meterReads"),
        (
            "Its energy per month: GET /api/meter-reads/new/{id}?readType=accumulated (Yearly)",
            f"{reads}?readType=accumulated&accumulationType=Yearly&Year={year}",
        ),
    ]


def _analyze() -> None:
    with connection.cursor() as cursor:
        for table in ANALYZED:  # as autovacuum would have by now
            cursor.execute(f"ANALYZE {table}")


def _measure(token: str, urls: list[tuple[str, str]], seconds: int) -> list[WrkFigures]:
    with server() as base:
        return [wrk(base + url, token=token, connections=50, seconds=seconds) for _name, url in urls]


def listings_at_scale(scale: float = 1.0) -> list[Result]:
    first = max(10, round(DEVICES * min(scale, 1)))
    total = max(first, round(DEVICES * scale))
    seconds = max(5, round(SECONDS * min(scale, 1)))
    onboarded = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=READS_PER_DEVICE + 1)
    organization, user = _organization("Bench listings")
    token, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
    with stopwatch() as built:
        device_ids = _devices(organization, first, onboarded)
        reads = _reads(device_ids, onboarded)
        _analyze()
    middle = organization.devices.get(pk=device_ids[len(device_ids) // 2])
    urls = _urls(middle.external_id, (onboarded + timedelta(days=14)).year)
    results = [Result(f"Listings data: {first:,} devices, {reads:,} reads (COPY)", f"built in {built():.1f} s")]
    base = _measure(token, urls, seconds)
    shape = f"50 connections, {seconds} s ({server_shape()})"
    for (name, _url), figures in zip(urls, base, strict=True):
        row = load_result(f"{name}, {first:,} devices, {shape}", figures, goal="", least_rate=0)
        row.met = None  # the 1x figure: a reference, what the scale tier keeps
        results.append(row)
    if total == first:
        return results
    with stopwatch() as built:
        extra = _devices(organization, total - first, onboarded, first=first)
        reads += _reads(extra, onboarded)
        _analyze()
    results.append(
        Result(f"Listings data grown to {total:,} devices, {reads:,} reads (COPY)", f"built in {built():.1f} s")
    )
    for (name, _url), figures, before in zip(urls, _measure(token, urls, seconds), base, strict=True):
        rate = before["requests"] / before["seconds"]
        results.append(
            load_result(
                f"{name}, {total:,} devices, {shape}",
                figures,
                goal=f"≥ {KEPT:.0%} of its 1x rate ({rate:,.0f} req/s), 0 errors",
                least_rate=KEPT * rate,
            )
        )
    return results

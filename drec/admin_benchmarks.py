"""Benchmark of the back office (``/django-admin/``): the changelists of meter reads and of
certificates, and a certificate's page, answer in under a second on the scale tier
(``--scale 10``: 10,000 devices, about 7 million reads, 100,000 certificates).

Run alone: ``manage.py bench --only "admin changelists"`` (``--scale 0.1`` for a quick try,
``--scale 10`` for the tier). The data is copied in (PostgreSQL COPY) inside a transaction
that is rolled back after the measures, then VACUUM (FULL, ANALYZE) clears the dead rows
and the statistics, so the benchmarks that run next meet the tables as they were.
"""

import math
import statistics
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client, RequestFactory
from django.test.utils import override_settings

from accounts.models import User
from certificates.models import Certificate, Contribution, Source
from devices.benchmarks import COMMISSIONED, _organization
from drec.bench import Result, stopwatch
from organizations.models import Organization, OrganizationType
from reads.models import MeterRead
from reads.services import COPY_COLUMNS
from reservations.models import Reservation, ReservationDevice

DEVICES = 1_000  # at scale 1
READS_PER_DEVICE = 700  # hourly: a baseline and 29 days, ending about now
CERTIFICATES = 10_000  # at scale 1
RESERVATIONS = 10
HOURLY_WH = 1_000
ROUNDS = 7
GOAL_MS = 1_000.0
# Devices per COPY of reads: each statement queues a foreign-key check per row (the chain of
# reads) until it ends, so millions of rows in one statement would hold them all in memory.
COPY_DEVICES = 500
ANALYZED = (
    "devices_device",
    "reads_meterread",
    "reservations_reservation",
    "reservations_reservationdevice",
    "certificates_certificate",
    "certificates_contribution",
    "registry_movement",
)
DEVICE_COLUMNS = (
    "uid, external_id, organization_id, project_name, address, latitude, longitude, country_code, fuel_code, "
    "device_type_code, capacity, commissioning_date, grid_interconnection, off_taker, yield_value, impact_story, "
    "images, device_description, energy_storage, energy_storage_capacity, quality_labels, version, timezone, "
    "meter_read_type, irec_status, irec_id, created_at, updated_at"
)
CERTIFICATE_COLUMNS = (
    "uid, reservation_id, owner_id, country_code, source, energy_wh, claimed_wh, withdrawn_wh, generation_start, "
    "generation_end, window_start, window_end, created_at"
)


@dataclass(frozen=True)
class Dataset:
    devices: int
    reads: int
    certificates: int
    device_id: int  # a device in the middle of the table
    certificate_id: int  # the newest certificate, with a contribution per device of its reservation
    contributions: int
    seconds: float


def _copy(sql: str, lines: list[str]) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write("".join(lines))


def _devices(organization: Organization, count: int, onboarded: datetime, first: int = 0) -> list[int]:
    """``count`` devices numbered on from ``first`` (COPY); their ids (the organization has
    ``first`` before them)."""
    now = datetime.now(UTC).isoformat()
    commissioned = COMMISSIONED.isoformat()
    lines = [
        f"{uuid.uuid4()}\tADM-{number:06d}\t{organization.pk}\tBench solar homes\t{number} Bench Road\t18.5204\t"
        f"73.8567\tIND\tES100\tTC120\t2.5\t{commissioned}\tf\tResidential\t2000\t\t[]\tSolar Home System\tt\t1.2\t\t"
        f"1.0\t\tDelta\tNotRegistered\t\t{onboarded.isoformat()}\t{now}\n"
        for number in range(first, first + count)
    ]
    _copy(f"COPY devices_device ({DEVICE_COLUMNS}) FROM STDIN", lines)
    return list(organization.devices.order_by("pk").values_list("pk", flat=True)[first:])


def _reads(device_ids: list[int], onboarded: datetime) -> int:
    """Each device: a baseline read, then hourly reads, one chain (COPY as text: every device's
    rows are the same but for its id)."""
    now = datetime.now(UTC).isoformat()
    ends = [onboarded + timedelta(hours=hour) for hour in range(READS_PER_DEVICE + 1)]
    rows = [
        f"\tDelta\t{ends[hour].isoformat()}\t{ends[hour + 1].isoformat()}\t{HOURLY_WH}\t\\N\t"
        f"{'t' if hour == 0 else 'f'}\t{now}\n"
        for hour in range(READS_PER_DEVICE)
    ]
    template = "{id}" + "{id}".join(rows)
    sql = f"COPY reads_meterread ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    for offset in range(0, len(device_ids), COPY_DEVICES):
        _copy(sql, [template.replace("{id}", str(pk)) for pk in device_ids[offset : offset + COPY_DEVICES]])
    return len(device_ids) * READS_PER_DEVICE


def _certificates(buyer: Organization, device_ids: list[int], count: int) -> tuple[int, int]:
    """Hourly certificates of ``RESERVATIONS`` reservations sharing the devices, the newest
    last; the newest gets a contribution per device of its reservation, as issuance makes them
    (1,000 at the scale tier, more than its page shows). Returns its id and how many it has."""
    size = math.ceil(len(device_ids) / RESERVATIONS)
    groups = [device_ids[offset : offset + size] for offset in range(0, len(device_ids), size)]
    hours = math.ceil(count / len(groups))
    start = (datetime.now(UTC) - timedelta(hours=hours + 48)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=hours + 1)
    reservations = [
        Reservation.objects.create(
            name=f"Bench admin {number:04d} {uuid.uuid4().hex[:8]}",
            organization=buyer,
            start=start,
            end=end,
            expiry=end + timedelta(days=60),
            frequency="hourly",
            target_wh=10**15,
            authority_to_exceed=True,
        )
        for number in range(len(groups))
    ]
    memberships = ReservationDevice.objects.bulk_create(
        ReservationDevice(reservation=reservation, device_id=pk, covers_from=start)
        for reservation, members in zip(reservations, groups, strict=True)
        for pk in members
    )
    now = datetime.now(UTC).isoformat()
    lines = []
    for number in range(count):
        reservation = reservations[number % len(groups)]
        window = start + timedelta(hours=number // len(groups))
        begin, finish = window.isoformat(), (window + timedelta(hours=1)).isoformat()
        lines.append(
            f"{uuid.uuid4()}\t{reservation.pk}\t{buyer.pk}\tIND\t{Source.ONGOING}\t{size * HOURLY_WH}\t0\t0\t"
            f"{begin}\t{finish}\t{begin}\t{finish}\t{now}\n"
        )
    _copy(f"COPY certificates_certificate ({CERTIFICATE_COLUMNS}) FROM STDIN", lines)
    newest = Certificate.objects.filter(owner=buyer).order_by("-id").first()
    if newest is None:
        raise RuntimeError("No certificate was copied.")
    contributions = Contribution.objects.bulk_create(
        Contribution(
            certificate=newest,
            membership=membership,
            device_id=membership.device_id,
            start=newest.generation_start,
            end=newest.generation_end,
            energy_wh=HOURLY_WH,
            reads=1,
        )
        for membership in memberships
        if membership.reservation_id == newest.reservation_id
    )
    return newest.pk, len(contributions)


def _dataset(scale: float) -> Dataset:
    devices_count = max(10, round(DEVICES * scale))
    certificates_count = max(100, round(CERTIFICATES * scale))
    onboarded = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=READS_PER_DEVICE + 1)
    with stopwatch() as elapsed:
        developer, _user = _organization("Bench admin")
        buyer = Organization.objects.create(
            name=f"Bench admin buyer {uuid.uuid4().hex[:8]}",
            organization_type=OrganizationType.BUYER,
            org_email="buyer@example.com",
        )
        device_ids = _devices(developer, devices_count, onboarded)
        reads = _reads(device_ids, onboarded)
        certificate_id, contributions = _certificates(buyer, device_ids, certificates_count)
        with connection.cursor() as cursor:
            # As autovacuum would have by now: plans made for the tables' sizes.
            for table in ANALYZED:
                cursor.execute(f"ANALYZE {table}")
    return Dataset(
        devices=devices_count,
        reads=reads,
        certificates=certificates_count,
        device_id=device_ids[len(device_ids) // 2],
        certificate_id=certificate_id,
        contributions=contributions,
        seconds=elapsed(),
    )


def _last_page(model: type[Model]) -> int:
    """The last page the changelist of ``model`` links to (its paginator may cap the count)."""
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/")
    queryset = model_admin.get_queryset(request)
    return model_admin.get_paginator(request, queryset, model_admin.list_per_page).num_pages


def _timed(client: Client, url: str) -> tuple[list[float], int]:
    """Milliseconds of ``ROUNDS`` GETs of ``url``, and the SQL statements of one; after a first
    GET that fills the caches a running server has filled long ago."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # counted apart: the wrapper costs time
        client.get(url)
    times = []
    for _ in range(ROUNDS):
        with stopwatch() as elapsed:
            client.get(url)
        times.append(elapsed() * 1000)
    return times, len(statements)


def _result(name: str, times: list[float], statements: int) -> Result:
    median, worst = statistics.median(times), max(times)
    return Result(
        name,
        f"{median:,.0f} ms ({statements} queries; worst of {ROUNDS}: {worst:,.0f} ms)",
        goal=f"< {GOAL_MS:,.0f} ms",
        met=worst < GOAL_MS,
    )


def _pages(dataset: Dataset) -> list[tuple[str, str]]:
    reads, certificates = "/django-admin/reads/meterread/", "/django-admin/certificates/certificate/"
    pages = [
        ("Meter reads changelist, first page", reads),
        ("… filtered by one device", f"{reads}?device__id__exact={dataset.device_id}"),
        ("… filtered by the last 7 days", f"{reads}?ended=7d"),
        ("… by one device and the last 7 days", f"{reads}?device__id__exact={dataset.device_id}&ended=7d"),
        ("… searched by a device's external id", f"{reads}?q=ADM-{dataset.devices // 2:06d}"),
    ]
    if admin.site.is_registered(MeterRead):
        last = _last_page(MeterRead)
        if last > 1:
            pages.append((f"… its last linked page (p={last})", f"{reads}?p={last}"))
    pages += [
        ("Certificates changelist, first page", certificates),
        (
            f"A certificate's page ({dataset.contributions} contributions)",
            f"{certificates}{dataset.certificate_id}/change/",
        ),
        # The public registry (SPEC §13): its totals are kept as certificates change.
        ("Public registry totals", "/api/public/registry/summary"),
        ("Public registry page", "/registry"),
        ("Public registry search", "/api/public/registry/certificates?countryCode=IND&status=active&pageNumber=2"),
    ]
    return pages


def admin_changelists(scale: float = 1.0) -> list[Result]:
    """The super admin's GETs of the reads' and certificates' changelists (unfiltered, filtered,
    a late page) and of a certificate's page, each ``ROUNDS`` times: median and worst."""
    results: list[Result] = []
    # The pages link static files, and scripts/bench.sh collects none: URLs without the
    # manifest's hashes (looking a name up in the manifest costs next to nothing).
    static = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with transaction.atomic(), override_settings(STORAGES=static):
        dataset = _dataset(scale)
        results.append(
            Result(
                f"Admin data: {dataset.devices:,} devices, {dataset.reads:,} reads, "
                f"{dataset.certificates:,} certificates (COPY)",
                f"built in {dataset.seconds:.1f} s",
            )
        )
        client = Client()
        client.force_login(User.objects.get(email=settings.DREC_ADMIN_EMAIL))
        for name, url in _pages(dataset):
            times, statements = _timed(client, url)
            results.append(_result(f"{name}: GET {url}", times, statements))
        transaction.set_rollback(True)
    if not connection.in_atomic_block:  # VACUUM cannot run in a transaction (under pytest)
        with connection.cursor() as cursor:
            # The rolled-back rows stay in the tables and their indexes until vacuumed, and
            # ANALYZE's row counts outlive the rollback: both would mislead the benchmarks after
            # this one. FULL rewrites what is left (the rows from before), quicker than a plain VACUUM
            # walking millions of dead rows, and leaves no bloated index behind.
            for table in ANALYZED:
                cursor.execute(f"VACUUM (FULL, ANALYZE) {table}")
    return results

"""Issuing certificates, exactly once (SPEC §8, backend.md §10 without its flaws), and claims.

A run takes the reservations that may still issue (active, or ended but before its expiry:
late reads) and that no other run holds (an advisory lock each), works out what their closed
windows hold (one statement for all of them), and issues the certificates in batches of up
to ``DREC_ISSUANCE_BATCH``, one transaction each, under the reservations' row locks (``FOR
UPDATE SKIP LOCKED``: a reservation another run is issuing is left to it); a batch writes its
certificates, contributions (COPY), carries, volumes and ledger entries with one statement
each. The database refuses a contribution whose reads another run certified meanwhile (the
chain tails it planned from); the run then plans again. A run killed half-way leaves whole
batches of whole certificates only; the next one goes on.

Windows follow the reservation's frequency from its start (certificates.windows: the one place
that says where they start and end). A read belongs to the window in which it ends, and to the
reservation if it lies within the membership's coverage (reads straddling the reservation's
start are nobody's). A window is certified once it is closed; if its reads come to less than
one certificate unit, they wait for the next window's.

What a run reads grows with the new reads, not with the certified history (SPEC §12). The
watermark of a membership is the end of its certified chain, its ongoing contributions' latest
``ongoing_end``: one entry of the unique index (membership, ongoing_end), read backwards. The
reads after it are a range of the reads' unique index (device, ongoing_end). A scheduled run
first asks, in one statement, which reservations have anything in those ranges (or a History
read waiting) and leaves the others alone, so a run with nothing new costs two statements and
three index probes per membership, however long the history.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from certificates import ledger
from certificates.models import Carry, Certificate, EntryKind, Holding, IssuanceRun, Source
from certificates.uncertified import HISTORY_WAITING_SQL, UNCERTIFIED_SQL, WATERMARK_SQL
from certificates.windows import Windows
from reservations.models import Reservation, ReservationDevice
from reservations.services import reservation_close
from webhooks import events

# --- Planning ----------------------------------------------------------------------------


@dataclass
class Share:
    """A membership's reads in a planned certificate."""

    membership_id: int
    device_id: int
    energy_wh: int
    start: datetime
    end: datetime
    reads: int
    # Where the membership's certified chain ended when this was planned (None: no chain yet),
    # read in the same statement as the reads, so the two always agree.
    tail: datetime | None = None

    def add(self, energy_wh: int, start: datetime, end: datetime, reads: int) -> None:
        self.energy_wh += energy_wh
        self.start = min(self.start, start)
        self.end = max(self.end, end)
        self.reads += reads


@dataclass
class Plan:
    """One certificate to issue: its country, windows and the shares of its devices."""

    country: str
    first_window: int
    last_window: int
    shares: dict[int, Share] = field(default_factory=dict)
    history_read: int | None = None

    @property
    def energy_wh(self) -> int:
        return sum(share.energy_wh for share in self.shares.values())

    @property
    def generation_end(self) -> datetime:
        return max(share.end for share in self.shares.values())

    def add(
        self,
        membership_id: int,
        device_id: int,
        energy_wh: int,
        start: datetime,
        end: datetime,
        reads: int,
        tail: datetime | None,
    ) -> None:
        """A membership's reads (its share grows, or starts with them)."""
        share = self.shares.get(membership_id)
        if share is None:
            self.shares[membership_id] = Share(membership_id, device_id, energy_wh, start, end, reads, tail)
        else:
            share.add(energy_wh, start, end, reads)


# The SQL below names a membership ``m``, its uncertified ongoing reads ``r`` and History reads
# ``h`` with the conditions of certificates.uncertified (shared with the issuance status).

# A run plans every reservation it holds at once: ``w`` is one row per reservation, with the
# end of its last closed window (``until``).
RUN_SQL = "unnest(%(reservations)s::bigint[], %(untils)s::timestamptz[]) AS w(reservation_id, until)"
# The earliest end of an uncertified ongoing read per reservation: the first window to plan
# from (the first entry of each membership's range; the reads are grouped by window next).
FIRST_PENDING_SQL = f"""
SELECT w.reservation_id, min(f.ongoing_end)
FROM {RUN_SQL}
JOIN reservations_reservationdevice m ON m.reservation_id = w.reservation_id
CROSS JOIN LATERAL ({WATERMARK_SQL}) t
CROSS JOIN LATERAL (
    SELECT r.ongoing_end FROM reads_meterread r
    WHERE {UNCERTIFIED_SQL.format(watermark="t.tail", until="w.until")}
    ORDER BY r.ongoing_end LIMIT 1
) f
GROUP BY w.reservation_id
"""  # noqa: S608 (constant fragments of this module, no input)
# The uncertified ongoing reads per membership and window, with each membership's watermark
# (the chain link its next contribution starts from, read in the same snapshot as the reads).
# A reservation's windows are numbered from ``first``; ``ends`` are their earliest read ends
# (Windows.first_ends), given as array literals and cast once per reservation.
PLAN_SQL = f"""
WITH w AS MATERIALIZED (
    SELECT reservation_id, until, first, ends::timestamptz[] AS ends
    FROM unnest(%(reservations)s::bigint[], %(untils)s::timestamptz[], %(firsts)s::int[], %(ends)s::text[])
        AS w(reservation_id, until, first, ends)
)
SELECT w.reservation_id, m.id, m.device_id, d.country_code, t.tail, p.*
FROM w
JOIN reservations_reservationdevice m ON m.reservation_id = w.reservation_id
JOIN devices_device d ON d.id = m.device_id
CROSS JOIN LATERAL ({WATERMARK_SQL}) t
CROSS JOIN LATERAL (
    SELECT w.first + width_bucket(r."end", w.ends) - 1 AS window_index,
           sum(r.value_wh), min(r.start), max(r."end"), count(*)
    FROM reads_meterread r
    WHERE {UNCERTIFIED_SQL.format(watermark="t.tail", until="w.until")}
    GROUP BY 1
) p
"""  # noqa: S608 (constant fragments of this module, no input)

# (membership, device, country, watermark, window, Wh, first start, last end, reads)
PendingRow = tuple[int, int, str, datetime | None, int, int, datetime, datetime, int]


def _array_literal(moments: list[datetime]) -> str:
    return "{" + ",".join(moment.isoformat() for moment in moments) + "}"


def _pending_ongoing(reservations: list[Reservation], untils: dict[int, datetime]) -> dict[int, list[PendingRow]]:
    """Per reservation, its uncertified ongoing reads ending by its ``until``, per membership
    and window (two statements for the whole run)."""
    ids = [r.pk for r in reservations]
    pending: dict[int, list[PendingRow]] = {}
    with connection.cursor() as cursor:
        cursor.execute(FIRST_PENDING_SQL, {"reservations": ids, "untils": [untils[pk] for pk in ids]})
        earliest: dict[int, datetime] = dict(cursor.fetchall())
        if not earliest:
            return pending
        planned = [r for r in reservations if r.pk in earliest]
        windows = [Windows.of(r).first_ends(earliest[r.pk], untils[r.pk]) for r in planned]
        # In binary: psycopg's C code reads the rows' moments, where parsing them as text cost
        # 0.4 s of a 30,000-row plan (a psycopg cursor binding on the server, as binary results
        # need; its errors made Django's).
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as binary:
            binary.execute(
                PLAN_SQL,
                {
                    "reservations": [r.pk for r in planned],
                    "untils": [untils[r.pk] for r in planned],
                    "firsts": [first for first, _ends in windows],
                    "ends": [_array_literal(ends) for _first, ends in windows],
                },
                binary=True,
            )
            for reservation, membership, device, country, tail, index, energy, start, end, reads in binary.fetchall():
                pending.setdefault(reservation, []).append(
                    (membership, device, country, tail, index, int(energy), start, end, reads)
                )
    return pending


def _plans(reservations: list[Reservation], now: datetime) -> dict[int, list[Plan]]:
    """Per reservation, the certificates it can issue now, oldest first."""
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    # Ended reservations whose late reads are no longer certified plan nothing.
    issuing = [r for r in reservations if r.is_active or now < r.expiry]
    plans: dict[int, list[Plan]] = {r.pk: [] for r in issuing}
    untils = {r.pk: Windows.of(r).closed_until(now) for r in issuing}
    closed = [r for r in issuing if untils[r.pk] is not None]
    pending = _pending_ongoing(closed, cast(dict[int, datetime], untils)) if closed else {}
    carries: dict[tuple[int, str], int] = {}
    if pending:
        rows = Carry.objects.filter(reservation_id__in=pending).values_list("reservation_id", "country_id", "carry_wh")
        carries = {(reservation, country): wh for reservation, country, wh in rows}
    for reservation_id, rows_of_reservation in pending.items():
        by_country: dict[str, dict[int, list[PendingRow]]] = {}
        for row in rows_of_reservation:
            by_country.setdefault(row[2], {}).setdefault(row[4], []).append(row)
        for country, by_window in by_country.items():
            carried = carries.get((reservation_id, country), 0)
            plan = None
            for index in sorted(by_window):
                plan = plan or Plan(country=country, first_window=index, last_window=index)
                plan.last_window = index
                for membership, device, _country, tail, _index, energy, start, end, reads in by_window[index]:
                    plan.add(membership, device, energy, start, end, reads, tail)
                if plan.energy_wh + carried >= unit:
                    plans[reservation_id].append(plan)
                    carried = (plan.energy_wh + carried) % unit
                    plan = None
    for reservation_id, history in _history_plans(issuing).items():
        plans[reservation_id].extend(history)
    return {pk: sorted(found, key=lambda plan: plan.generation_end) for pk, found in plans.items()}


HISTORY_SQL = f"""
SELECT w.reservation_id, h.id, m.id, m.device_id, d.country_code, h.start, h."end", h.value_wh
FROM unnest(%(reservations)s::bigint[], %(ends)s::timestamptz[]) AS w(reservation_id, period_end)
JOIN reservations_reservationdevice m ON m.reservation_id = w.reservation_id
JOIN devices_device d ON d.id = m.device_id
CROSS JOIN LATERAL (
    SELECT h.id, h.start, h."end", h.value_wh FROM reads_meterread h
    WHERE {HISTORY_WAITING_SQL.format(end="w.period_end")}
) h
"""  # noqa: S608 (constant fragments of this module, no input)


def _history_plans(reservations: list[Reservation]) -> dict[int, list[Plan]]:
    """Per reservation, one plan per uncertified History read of at least one unit within a
    coverage (one statement for the whole run)."""
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    with connection.cursor() as cursor:
        cursor.execute(
            HISTORY_SQL,
            {"reservations": [r.pk for r in reservations], "ends": [r.end for r in reservations], "unit": unit},
        )
        rows = cursor.fetchall()
    plans: dict[int, list[Plan]] = {}
    for reservation_id, read_id, membership_id, device_id, country, start, end, value in rows:
        share = Share(membership_id, device_id, value, start, end, 1)
        plans.setdefault(reservation_id, []).append(
            Plan(country, -1, -1, shares={membership_id: share}, history_read=read_id)
        )
    return plans


# --- Issuing -----------------------------------------------------------------------------


class Replan(Exception):
    """What was planned changed meanwhile (another run issued it)."""


# The constraints that refuse a certificate planned from reads another run certified meanwhile.
CHAIN_CONSTRAINTS = {
    "one_successor_per_contribution",
    "one_chain_start_per_membership",
    "ongoing_contribution_ends",
    "contributions_form_a_chain",
    "certificates_contribution_history_read_id_key",
}


Issued = tuple[Certificate, Plan, list[Share], list[datetime | None]]

RESERVATIONS_ADD_SQL = """
UPDATE reservations_reservation r
SET requested_wh = r.requested_wh + v.wh, succeeded_wh = r.succeeded_wh + v.wh, updated_at = %(now)s
FROM unnest(%(reservations)s::bigint[], %(wh)s::bigint[]) AS v(id, wh)
WHERE r.id = v.id
"""


@transaction.atomic
def _certificates_issue(
    batch: list[tuple[int, Plan]], tails: dict[int, datetime], uids: dict[int, uuid.UUID]
) -> tuple[list[Certificate], set[int]]:
    """Issue planned certificates (reservation, plan), each reservation's oldest first, in one
    transaction under the reservations' row locks: each certificate's volume, carry and cap
    are decided in turn, then all are written together (one statement per table). Returns
    them, and the reservations that stopped: another run holds them, or nothing more can be
    issued now. Raises Replan when the plans' reads were certified meanwhile (the database
    refuses the chain link). ``tails`` moves on with what is issued."""
    ids = sorted({reservation_id for reservation_id, _plan in batch})
    locked = {r.pk: r for r in Reservation.objects.select_for_update(skip_locked=True).filter(pk__in=ids)}
    stopped = set(ids) - set(locked)
    carries = {(c.reservation_id, c.country_id): c for c in Carry.objects.filter(reservation_id__in=locked)}
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    windows = {pk: Windows.of(reservation) for pk, reservation in locked.items()}
    requested = {pk: reservation.requested_wh for pk, reservation in locked.items()}
    issued: list[Issued] = []
    closes: dict[int, datetime] = {}
    changed: set[tuple[int, str]] = set()
    for reservation_id, plan in batch:
        if reservation_id in stopped:
            continue
        reservation = locked[reservation_id]
        key = (reservation_id, plan.country)
        carry = carries.setdefault(key, Carry(reservation=reservation, country_id=plan.country))
        total = plan.energy_wh + carry.carry_wh
        if total < unit:
            stopped.add(reservation_id)  # less than a unit after all (an earlier certificate was capped): wait
            continue
        volume = total // unit * unit
        if not reservation.authority_to_exceed:
            volume = min(volume, max(0, reservation.target_wh - requested[reservation_id]) // unit * unit)
        capped = volume < total // unit * unit
        shares = sorted(plan.shares.values(), key=lambda share: share.device_id)
        window_start: datetime | None = None
        window_end: datetime | None = None
        if plan.history_read is None:
            window_start = windows[reservation_id].bounds(plan.first_window)[0]
            window_end = windows[reservation_id].bounds(plan.last_window)[1]
        if volume == 0:
            # The target is reached: nothing more is certified for this reservation (ended once).
            stopped.add(reservation_id)
            closes[reservation_id] = window_start or min(share.start for share in shares)
            continue
        certificate = Certificate(
            uid=uuid.uuid4(),
            reservation=reservation,
            owner_id=reservation.organization_id,
            country_id=plan.country,
            source=Source.HISTORY if plan.history_read else Source.ONGOING,
            energy_wh=volume,
            generation_start=min(share.start for share in shares),
            generation_end=max(share.end for share in shares),
            window_start=window_start,
            window_end=window_end,
        )
        previous = [None if plan.history_read else tails.get(share.membership_id) for share in shares]
        if plan.history_read is None:
            tails.update({share.membership_id: share.end for share in shares})
        issued.append((certificate, plan, shares, previous))
        carry.carry_wh = 0 if capped else total - volume
        changed.add(key)
        requested[reservation_id] += volume
        # Reached when not one more whole unit fits under the target.
        if not reservation.authority_to_exceed and reservation.target_wh - requested[reservation_id] < unit:
            stopped.add(reservation_id)
            closes[reservation_id] = window_end or certificate.generation_end
    certificates = [certificate for certificate, *_rest in issued]
    if certificates:
        _issued_write(issued, [carries[key] for key in changed], locked, requested, uids)
    for reservation_id, at in closes.items():
        if locked[reservation_id].is_active:
            reservation_close(reservation=locked[reservation_id], at=at)
    return certificates, stopped


def _issued_write(
    issued: list[Issued],
    carries: list[Carry],
    reservations: dict[int, Reservation],
    requested: dict[int, int],
    uids: dict[int, uuid.UUID],
) -> None:
    """Write a batch: its certificates, their contributions, the carries it moved, the
    reservations' issued volumes and the ledger entries (one statement each)."""
    try:
        certificates = Certificate.objects.bulk_create([certificate for certificate, *_rest in issued])
        _contributions_insert(issued)
        Holding.objects.bulk_create(
            [Holding(certificate=c, organization_id=c.owner_id, held_wh=c.energy_wh) for c in certificates]
        )
    except IntegrityError as error:
        if getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) in CHAIN_CONSTRAINTS:
            raise Replan from error
        raise
    Carry.objects.bulk_create([carry for carry in carries if carry.pk is None])
    Carry.objects.bulk_update([carry for carry in carries if carry.pk is not None], ["carry_wh"])
    added = {pk: requested[pk] - reservation.requested_wh for pk, reservation in reservations.items()}
    added = {pk: wh for pk, wh in added.items() if wh}
    with connection.cursor() as cursor:
        cursor.execute(
            RESERVATIONS_ADD_SQL,
            {"reservations": list(added), "wh": list(added.values()), "now": timezone.now()},
        )
    for pk, wh in added.items():
        reservations[pk].requested_wh += wh
        reservations[pk].succeeded_wh += wh
    ledger.append_many(
        kind=EntryKind.ISSUE,
        records=[
            (
                certificate,
                ledger.issue_payload(
                    certificate, [(uids[s.device_id], s.start, s.end, s.energy_wh, s.reads) for s in shares]
                ),
                None,
            )
            for certificate, _plan, shares, _previous in issued
        ],
    )
    events.certificates_issued(certificates)


CONTRIBUTIONS_COPY = (
    "COPY certificates_contribution "
    '(certificate_id, membership_id, device_id, start, "end", energy_wh, reads, history_read_id, previous_end) '
    "FROM STDIN (FORMAT BINARY)"
)
# Binary: psycopg's C dumpers write a timestamp as 8 bytes, where the text format spent about
# half the COPY's Python time formatting 90,000 of them for 30,000 rows.
CONTRIBUTIONS_COPY_TYPES = [
    "bigint",
    "bigint",
    "bigint",
    "timestamptz",
    "timestamptz",
    "bigint",
    "integer",
    "bigint",
    "timestamptz",
]


def _contributions_insert(issued: list[Issued]) -> None:
    """Each device's share of each certificate (one COPY for the whole batch: its rows are
    written by psycopg's C code, where an INSERT of arrays spent 0.8 s of a 30,000-row batch
    turning them into text), linked to the membership's previous contribution (``previous``:
    None starts its chain)."""
    with connection.cursor() as cursor:
        # The links of the chain are checked at the end of the statement (migration 0004) by a
        # query PostgreSQL plans once per connection. Planned while the table is small or
        # analyzed empty (a new deployment, a restored database), that plan scans the whole
        # table, and keeps doing so as the table grows, until an ANALYZE replans it (with 0002's
        # foreign key, the benchmark's 30,000 links took 28 s instead of 1 on a database
        # analyzed before its first issuance). The check is one lookup per link in the unique
        # index (membership, ongoing_end): sequential scans are off for this statement only,
        # then back as they were, also when this runs inside a caller's longer transaction (a
        # test's, whose later queries it would otherwise slow down).
        cursor.execute("SELECT current_setting('enable_seqscan')")
        previous_setting = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        # (psycopg's own cursor: its errors made Django's, as a refused link must be)
        with connection.wrap_database_errors, cursor.cursor.copy(CONTRIBUTIONS_COPY) as copy:
            copy.set_types(CONTRIBUTIONS_COPY_TYPES)
            for certificate, plan, shares, previous in issued:
                for share, previous_end in zip(shares, previous, strict=True):
                    copy.write_row(
                        (
                            certificate.pk,
                            share.membership_id,
                            share.device_id,
                            share.start,
                            share.end,
                            share.energy_wh,
                            share.reads,
                            plan.history_read,
                            previous_end,
                        )
                    )
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous_setting])


# Session-level advisory locks (key + reservation id): one issuing run per reservation.
ISSUING_LOCKS = 0x0D4E << 32
ISSUING_LOCKS_TAKE = "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_lock(%s + id) ORDER BY id"
ISSUING_LOCKS_GIVE = "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_advisory_unlock(%s + id) ORDER BY id"


def _issuing_locks(reservation_ids: list[int], *, take: bool) -> list[int]:
    """Take (without waiting) or give back the locks that make this run the only one issuing
    the reservations; those it took (or gave back). Held across the run's batch transactions,
    so another run never interleaves with it (a competing run's short row lock would otherwise
    make this one stop half-way, with the competitor stopping too); released by PostgreSQL if
    the process dies."""
    if not reservation_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(ISSUING_LOCKS_TAKE if take else ISSUING_LOCKS_GIVE, [reservation_ids, ISSUING_LOCKS])
        return [pk for (pk,) in cursor.fetchall()]


def _issuing_lock(reservation_id: int, *, take: bool) -> bool:
    return bool(_issuing_locks([reservation_id], take=take))


def reservation_issue(*, reservation_id: int, now: datetime | None = None) -> list[Certificate]:
    """Issue what one reservation can issue now (in batches, one transaction each), then end
    it if its period is over. Nothing when another run is issuing it (that run issues what is
    due)."""
    return _reservations_issue_locked([reservation_id], now or timezone.now())


def _reservations_issue_locked(reservation_ids: list[int], now: datetime) -> list[Certificate]:
    """Issue the reservations this run can lock (the others are another run's)."""
    taken = _issuing_locks(reservation_ids, take=True)
    try:
        return _reservations_issue(taken, now) if taken else []
    finally:
        _issuing_locks(taken, take=False)


def _reservations_issue(reservation_ids: list[int], now: datetime) -> list[Certificate]:
    """Plan the reservations together, then issue their certificates in batches (each
    reservation's in order; a reservation that stops issues nothing more in this run)."""
    issued: list[Certificate] = []
    uids: dict[int, uuid.UUID] = {}
    reservations: list[Reservation] = []
    for _attempt in range(5):
        reservations = list(Reservation.objects.filter(pk__in=reservation_ids).order_by("pk"))
        plans = _plans(reservations, now)
        # Each membership's watermark as planned (the same snapshot as its reads): a
        # certificate another run commits meanwhile then fails as a second link of the chain
        # (Replan), not as a plan of reads it already certified.
        tails: dict[int, datetime] = {}
        queue: list[tuple[int, Plan]] = []
        for reservation_id, found in plans.items():
            for plan in found:
                queue.append((reservation_id, plan))
                for share in plan.shares.values():
                    if plan.history_read is None and share.tail is not None:
                        tails.setdefault(share.membership_id, share.tail)
        if queue and not uids:
            uids = dict(
                ReservationDevice.objects.filter(reservation_id__in=plans).values_list("device_id", "device__uid")
            )
        size, stopped = settings.DREC_ISSUANCE_BATCH, set[int]()
        try:
            while queue:
                certificates, halted = _certificates_issue(queue[:size], tails, uids)
                issued += certificates
                stopped |= halted  # another run has it, or nothing more is due
                queue = [(pk, plan) for pk, plan in queue[size:] if pk not in stopped]
        except Replan:
            continue  # another run certified some of these reads: plan again from what is left
        break
    for reservation in reservations:
        if reservation.is_active and now >= reservation.end:
            _reservation_end_when_over(reservation.pk, now)
    return issued


@transaction.atomic
def _reservation_end_when_over(reservation_id: int, now: datetime) -> None:
    reservation = Reservation.objects.select_for_update(skip_locked=True).filter(pk=reservation_id).first()
    if reservation is not None and reservation.is_active and now >= reservation.end:
        reservation_close(reservation=reservation, at=reservation.end)


# Which of the run's reservations have something to issue: an uncertified ongoing read in a
# closed window (``until``: the end of the last one, '-infinity' when none has closed), or a
# History read waiting. One statement for the whole run; per membership, one probe of each index.
WORK_SQL = f"""
SELECT w.reservation_id
FROM unnest(%(reservations)s::bigint[], %(untils)s::text[]::timestamptz[], %(ends)s::text[]::timestamptz[])
    AS w(reservation_id, until, period_end)
WHERE EXISTS (
    SELECT 1 FROM reservations_reservationdevice m
    WHERE m.reservation_id = w.reservation_id AND (
        EXISTS (
            SELECT 1 FROM reads_meterread r
            WHERE {UNCERTIFIED_SQL.format(watermark=f"({WATERMARK_SQL})", until="w.until")}
        ) OR EXISTS (
            SELECT 1 FROM reads_meterread h WHERE {HISTORY_WAITING_SQL.format(end="w.period_end")}
        )
    )
)
"""  # noqa: S608 (constant fragments of this module, no input)


def _reservations_with_work(reservations: list[Reservation], now: datetime) -> set[int]:
    """The reservations a run at ``now`` has something to do for: reads to certify, or an end
    to record. The others are left alone, so that a run with nothing new costs the same
    whatever the history holds (SPEC §12)."""
    work = {r.pk for r in reservations if r.is_active and now >= r.end}
    untils = [Windows.of(r).closed_until(now) for r in reservations]
    with connection.cursor() as cursor:
        cursor.execute(
            WORK_SQL,
            {
                "reservations": [r.pk for r in reservations],
                "untils": [until.isoformat() if until else "-infinity" for until in untils],
                "ends": [r.end.isoformat() for r in reservations],
                "unit": settings.DREC_CERTIFICATE_UNIT_WH,
            },
        )
        work.update(pk for (pk,) in cursor.fetchall())
    return work


def certificates_issue_due(*, now: datetime | None = None) -> int:
    """The scheduled run: every reservation that may still issue and has something to do.
    Returns how many certificates were issued."""
    now = now or timezone.now()
    due = list(Reservation.objects.filter(Q(is_active=True) | Q(expiry__gt=now), start__lt=now).order_by("pk"))
    if not due:
        return 0
    work = _reservations_with_work(due, now)
    return len(_reservations_issue_locked([r.pk for r in due if r.pk in work], now))


def certificates_issue_scheduled(*, now: datetime | None = None) -> int:
    """The worker's scheduled run (certificates.tasks): :func:`certificates_issue_due`, then a
    note of when it ran in the one row of ``IssuanceRun``, which the health check, the super
    admin's dashboard and the issuance status read (lastRunAt). Only a run that finished is
    noted, so a worker whose runs fail shows as not running; the admin's on-demand run
    (``POST /api/drec-issuer/run``) is not the worker's and is not noted. Returns how many
    certificates were issued."""
    now = now or timezone.now()
    issued = certificates_issue_due(now=now)
    # One upsert: concurrent workers each write the row (the last one to finish stays).
    IssuanceRun.objects.bulk_create(
        [IssuanceRun(pk=IssuanceRun.ROW, started_at=now, finished_at=timezone.now(), issued=issued)],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["started_at", "finished_at", "issued"],
    )
    return issued

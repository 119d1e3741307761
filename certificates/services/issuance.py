"""Issuing certificates, exactly once (SPEC §8, backend.md §10 without its flaws), and claims.

A run takes each reservation that may still issue (active, or ended but before its expiry:
late reads), works out what its closed windows hold, and issues the certificates in batches
of up to ``DREC_ISSUANCE_BATCH``, one transaction each, under the reservation's row lock
(``FOR UPDATE SKIP LOCKED``: a reservation another run is issuing is left to it); a batch
writes its certificates, contributions and ledger entries with one statement per table. The
database refuses a contribution whose reads another run certified meanwhile (the chain tails
it planned from); the run then plans again. A run killed half-way leaves whole batches of
whole certificates only; the next one goes on.

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

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from certificates import ledger
from certificates.models import Carry, Certificate, EntryKind, Source
from certificates.windows import Windows
from reservations.models import Reservation, ReservationDevice
from reservations.services import reservation_close

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


# The SQL below names a membership ``m`` and its uncertified ongoing reads ``r``: those after
# the membership's watermark (the end of its certified chain, or the start of its coverage),
# ending by the last closed window (``until``) and within the coverage. Both bounds are on
# ``ongoing_end``, so PostgreSQL reads them as one range of the index (device, ongoing_end): the
# certified reads before the watermark are never read again. A read straddling the coverage's
# start, and the device's baseline, are certified by nobody (the filters after the range).
# The watermark is one entry of the unique index (membership, ongoing_end), read backwards.
WATERMARK_SQL = "SELECT max(c.ongoing_end) AS tail FROM certificates_contribution c WHERE c.membership_id = m.id"
UNCERTIFIED_SQL = """r.device_id = m.device_id
        AND r.ongoing_end > GREATEST(m.covers_from, {watermark})
        AND r.ongoing_end <= LEAST(COALESCE(m.covers_until, 'infinity'::timestamptz), {until})
        AND r.start >= m.covers_from AND NOT r.is_baseline"""
# A History read ``h`` of at least one unit lying within the coverage (and the reservation's
# period) that no contribution holds; found through the History reads' GiST index (device, span).
HISTORY_WAITING_SQL = """h.device_id = m.device_id AND h.read_type = 'History'
        AND tstzrange(h.start, h."end", '[)') <@ tstzrange(
            m.covers_from,
            GREATEST(m.covers_from, LEAST(COALESCE(m.covers_until, 'infinity'::timestamptz), {end})),
            '[]')
        AND h.value_wh >= %(unit)s
        AND NOT EXISTS (SELECT 1 FROM certificates_contribution c WHERE c.history_read_id = h.id)"""

# The earliest end of an uncertified ongoing read: the first window to plan from (the first
# entry of each membership's range; the reads are grouped by window next).
FIRST_PENDING_SQL = f"""
SELECT min(f.ongoing_end)
FROM reservations_reservationdevice m
CROSS JOIN LATERAL ({WATERMARK_SQL}) t
CROSS JOIN LATERAL (
    SELECT r.ongoing_end FROM reads_meterread r
    WHERE {UNCERTIFIED_SQL.format(watermark="t.tail", until="%(until)s")}
    ORDER BY r.ongoing_end LIMIT 1
) f
WHERE m.reservation_id = %(reservation)s
"""  # noqa: S608 (constant fragments of this module, no input)
# The uncertified ongoing reads per membership and window, with each membership's watermark
# (the chain link its next contribution starts from, read in the same snapshot as the reads).
PLAN_SQL = f"""
SELECT m.id, m.device_id, d.country_code, t.tail, p.*
FROM reservations_reservationdevice m
JOIN devices_device d ON d.id = m.device_id
CROSS JOIN LATERAL ({WATERMARK_SQL}) t
CROSS JOIN LATERAL (
    SELECT %(first)s + width_bucket(r."end", %(ends)s::timestamptz[]) - 1 AS window_index,
           sum(r.value_wh), min(r.start), max(r."end"), count(*)
    FROM reads_meterread r
    WHERE {UNCERTIFIED_SQL.format(watermark="t.tail", until="%(until)s")}
    GROUP BY 1
) p
WHERE m.reservation_id = %(reservation)s
"""  # noqa: S608 (constant fragments of this module, no input)

# (membership, device, country, watermark, window, Wh, first start, last end, reads)
PendingRow = tuple[int, int, str, datetime | None, int, int, datetime, datetime, int]


def _pending_ongoing(reservation: Reservation, windows: Windows, until: datetime) -> list[PendingRow]:
    """The uncertified ongoing reads ending by ``until``, per membership and window."""
    with connection.cursor() as cursor:
        cursor.execute(FIRST_PENDING_SQL, {"reservation": reservation.pk, "until": until})
        earliest: datetime | None = cursor.fetchone()[0]
        if earliest is None:
            return []
        first, ends = windows.first_ends(earliest, until)
        cursor.execute(PLAN_SQL, {"reservation": reservation.pk, "until": until, "first": first, "ends": ends})
        return [
            (membership, device, country, tail, index, int(energy), start, end, reads)
            for membership, device, country, tail, index, energy, start, end, reads in cursor.fetchall()
        ]


def _plans(reservation: Reservation, now: datetime) -> list[Plan]:
    """The certificates the reservation can issue now, oldest first."""
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    plans: list[Plan] = []
    if not reservation.is_active and now >= reservation.expiry:
        return plans  # ended, and late reads are no longer certified
    windows = Windows.of(reservation)
    until = windows.closed_until(now)
    pending = _pending_ongoing(reservation, windows, until) if until is not None else []
    if pending:
        by_country: dict[str, dict[int, list[PendingRow]]] = {}
        for row in pending:
            by_country.setdefault(row[2], {}).setdefault(row[4], []).append(row)
        carries = dict(reservation.carries.values_list("country_id", "carry_wh"))
        for country, by_window in by_country.items():
            plan = None
            for index in sorted(by_window):
                plan = plan or Plan(country=country, first_window=index, last_window=index)
                plan.last_window = index
                for membership, device, _country, tail, _index, energy, start, end, reads in by_window[index]:
                    plan.add(membership, device, energy, start, end, reads, tail)
                if plan.energy_wh + carries.get(country, 0) >= unit:
                    plans.append(plan)
                    carries[country] = (plan.energy_wh + carries.get(country, 0)) % unit
                    plan = None
    plans.extend(_history_plans(reservation))
    return sorted(plans, key=lambda plan: plan.generation_end)


HISTORY_SQL = f"""
SELECT h.id, m.id, m.device_id, d.country_code, h.start, h."end", h.value_wh
FROM reservations_reservationdevice m
JOIN devices_device d ON d.id = m.device_id
CROSS JOIN LATERAL (
    SELECT h.id, h.start, h."end", h.value_wh FROM reads_meterread h
    WHERE {HISTORY_WAITING_SQL.format(end="%(end)s")}
) h
WHERE m.reservation_id = %(reservation)s
"""  # noqa: S608 (constant fragments of this module, no input)


def _history_plans(reservation: Reservation) -> list[Plan]:
    """One plan per uncertified History read of at least one unit within a coverage."""
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL, {"reservation": reservation.pk, "unit": unit, "end": reservation.end})
        rows = cursor.fetchall()
    plans = []
    for read_id, membership_id, device_id, country, start, end, value in rows:
        share = Share(membership_id, device_id, value, start, end, 1)
        plans.append(Plan(country, -1, -1, shares={membership_id: share}, history_read=read_id))
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


@transaction.atomic
def _certificates_issue(
    reservation_id: int, plans: list[Plan], tails: dict[int, datetime], uids: dict[int, uuid.UUID]
) -> tuple[list[Certificate], bool]:
    """Issue planned certificates, oldest first, in one transaction under the reservation's
    lock: each certificate's volume, carry and cap are decided in turn, then all are written
    together (one statement per table: a batch of a thousand devices' windows is common).
    Returns them, and whether issuing stopped early: another run holds the reservation, or
    nothing more can be issued now. Raises Replan when the plans' reads were certified
    meanwhile (the database refuses the chain link). ``tails`` moves on with what is issued."""
    reservation = Reservation.objects.select_for_update(skip_locked=True).filter(pk=reservation_id).first()
    if reservation is None:
        return [], True
    carries = {carry.country_id: carry for carry in Carry.objects.filter(reservation=reservation)}
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    windows = Windows.of(reservation)
    issued: list[tuple[Certificate, Plan, list[Share], list[datetime | None]]] = []
    requested = reservation.requested_wh
    stopped, close_at, changed = False, None, set()
    for plan in plans:
        carry = carries.setdefault(plan.country, Carry(reservation=reservation, country_id=plan.country))
        total = plan.energy_wh + carry.carry_wh
        if total < unit:
            stopped = True  # less than a unit after all (an earlier certificate was capped): wait
            break
        volume = total // unit * unit
        if not reservation.authority_to_exceed:
            volume = min(volume, max(0, reservation.target_wh - requested) // unit * unit)
        capped = volume < total // unit * unit
        shares = sorted(plan.shares.values(), key=lambda share: share.device_id)
        window_start: datetime | None = None
        window_end: datetime | None = None
        if plan.history_read is None:
            window_start = windows.bounds(plan.first_window)[0]
            window_end = windows.bounds(plan.last_window)[1]
        if volume == 0:
            # The target is reached: nothing more is certified for this reservation (ended once).
            stopped, close_at = True, window_start or min(share.start for share in shares)
            break
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
        changed.add(plan.country)
        requested += volume
        # Reached when not one more whole unit fits under the target.
        if not reservation.authority_to_exceed and reservation.target_wh - requested < unit:
            stopped, close_at = True, window_end or certificate.generation_end
            break
    certificates = [certificate for certificate, *_rest in issued]
    if certificates:
        try:
            Certificate.objects.bulk_create(certificates)
            _contributions_insert(issued)
        except IntegrityError as error:
            if getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) in CHAIN_CONSTRAINTS:
                raise Replan from error
            raise
        for country in changed:
            carries[country].save()
        volume = requested - reservation.requested_wh
        Reservation.objects.filter(pk=reservation.pk).update(
            requested_wh=F("requested_wh") + volume, succeeded_wh=F("succeeded_wh") + volume, updated_at=timezone.now()
        )
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
    if close_at is not None and reservation.is_active:
        reservation_close(reservation=reservation, at=close_at)
    return certificates, stopped


CONTRIBUTIONS_SQL = """
INSERT INTO certificates_contribution
    (certificate_id, membership_id, device_id, start, "end", energy_wh, reads, history_read_id, previous_end)
SELECT * FROM unnest(
    %s::bigint[], %s::bigint[], %s::bigint[], %s::timestamptz[], %s::timestamptz[],
    %s::bigint[], %s::int[], %s::bigint[], %s::timestamptz[]
)
"""


def _contributions_insert(issued: list[tuple[Certificate, Plan, list[Share], list[datetime | None]]]) -> None:
    """Each device's share of each certificate (one statement for the whole batch), linked to
    the membership's previous contribution (``previous``: None starts its chain)."""
    rows = [
        (certificate.pk, share, plan.history_read, previous_end)
        for certificate, plan, shares, previous in issued
        for share, previous_end in zip(shares, previous, strict=True)
    ]
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
        cursor.execute(
            CONTRIBUTIONS_SQL,
            [
                [certificate for certificate, _share, _history, _previous in rows],
                [share.membership_id for _certificate, share, _history, _previous in rows],
                [share.device_id for _certificate, share, _history, _previous in rows],
                [share.start for _certificate, share, _history, _previous in rows],
                [share.end for _certificate, share, _history, _previous in rows],
                [share.energy_wh for _certificate, share, _history, _previous in rows],
                [share.reads for _certificate, share, _history, _previous in rows],
                [history for _certificate, _share, history, _previous in rows],
                [moment for _certificate, _share, _history, moment in rows],
            ],
        )
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous_setting])


# Session-level advisory locks (key + reservation id): one issuing run per reservation.
ISSUING_LOCKS = 0x0D4E << 32


def _issuing_lock(reservation_id: int, *, take: bool) -> bool:
    """Take (without waiting) or give back the lock that makes this run the only one issuing
    the reservation. Held across the run's batch transactions, so another run never
    interleaves with it (a competing run's short row lock would otherwise make this one stop
    half-way, with the competitor stopping too); released by PostgreSQL if the process dies."""
    function = "pg_try_advisory_lock" if take else "pg_advisory_unlock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [ISSUING_LOCKS + reservation_id])
        taken: bool = cursor.fetchone()[0]
        return taken


def reservation_issue(*, reservation_id: int, now: datetime | None = None) -> list[Certificate]:
    """Issue what one reservation can issue now (in batches, one transaction each),
    then end it if its period is over. Nothing when another run is issuing it (that run
    issues what is due)."""
    if not _issuing_lock(reservation_id, take=True):
        return []
    try:
        return _reservation_issue(reservation_id=reservation_id, now=now)
    finally:
        _issuing_lock(reservation_id, take=False)


def _reservation_issue(*, reservation_id: int, now: datetime | None = None) -> list[Certificate]:
    now = now or timezone.now()
    issued: list[Certificate] = []
    uids: dict[int, uuid.UUID] = {}
    reservation = Reservation.objects.get(pk=reservation_id)
    for _attempt in range(5):
        reservation = Reservation.objects.get(pk=reservation_id) if _attempt else reservation
        plans = _plans(reservation, now)
        # Each membership's watermark as planned (the same snapshot as its reads): a
        # certificate another run commits meanwhile then fails as a second link of the chain
        # (Replan), not as a plan of reads it already certified.
        tails: dict[int, datetime] = {}
        for plan in plans:
            for share in plan.shares.values():
                if plan.history_read is None and share.tail is not None:
                    tails.setdefault(share.membership_id, share.tail)
        if plans and not uids:
            uids = dict(
                ReservationDevice.objects.filter(reservation_id=reservation_id).values_list("device_id", "device__uid")
            )
        size = settings.DREC_ISSUANCE_BATCH
        try:
            for batch in range(0, len(plans), size):
                certificates, stopped = _certificates_issue(reservation_id, plans[batch : batch + size], tails, uids)
                issued += certificates
                if stopped:
                    break  # another run has it, or nothing more is due
        except Replan:
            continue  # another run certified some of these reads: plan again from what is left
        break
    if reservation.is_active and now >= reservation.end:
        _reservation_end_when_over(reservation_id, now)
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
    return sum(len(reservation_issue(reservation_id=r.pk, now=now)) for r in due if r.pk in work)

"""Issuance status (SPEC §14): why a reservation's energy is not certified yet, and when the
worker last ran issuance. Reads only: a selector of its own concern (it imports no service).

Nothing here is decided anew: which reads wait is certificates.uncertified (the conditions the
issuing service plans from), where windows start, end and close is certificates.windows, the
part of a unit already consumed is ``Carry``, and the last run is ``IssuanceRun`` (written by
the scheduled run). What a run does with the closed windows is the issuing service's rule
(certificates.services.issuance ``_plans``), followed here step by step: per country,
consecutive closed windows add up with the carry until they make one certificate unit, are
issued together, and what is left waits for the next windows.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from certificates.models import Carry, IssuanceRun, Source
from certificates.uncertified import HISTORY_WAITING_SQL, UNCERTIFIED_SQL, WATERMARK_SQL
from certificates.windows import Windows
from reservations.models import Reservation

# Why energy waits (the API's ``reason`` values, in the order they are decided).
EXPIRED = "late reads no longer accepted"  # ended, and its expiry date has passed: never certified
TARGET_REACHED = "target reached"  # nothing more is issued without authority to exceed
WINDOW_OPEN = "window still open"  # certified by the first run after the window closes
BELOW_UNIT = "below one unit"  # closed, but less than one unit with the carry: waits for more
NEXT_RUN = "waiting for the next run"  # closed and at least one unit: the next run issues it
WINDOW_REASONS = (EXPIRED, TARGET_REACHED, WINDOW_OPEN, BELOW_UNIT, NEXT_RUN)
NO_READS_YET = "no reads yet"  # a device without any read in its coverage

# The super admin is warned when the worker has not finished a scheduled run for this long (or
# for one interval of the schedule and a minute, when that is longer).
WORKER_SILENCE = timedelta(minutes=5)


@dataclass(frozen=True)
class WindowWaiting:
    """Uncertified energy of one window of the reservation's frequency and one country (ongoing
    reads), or one History read waiting, and why it waits."""

    start: datetime  # the window's start (clipped to the period), or the History read's
    end: datetime
    country: str
    source: str  # Source.ONGOING or Source.HISTORY
    energy_wh: int
    reads: int
    reason: str


@dataclass(frozen=True)
class DeviceWithoutReads:
    device_id: int
    external_id: str
    reason: str = NO_READS_YET


@dataclass(frozen=True)
class IssuanceStatus:
    """See :func:`issuance_status`."""

    issued_wh: int
    pending_wh: int
    carried_wh: int
    windows_waiting: list[WindowWaiting]
    next_window_closes_at: datetime | None
    last_run_at: datetime | None
    devices_without_reads: list[DeviceWithoutReads]
    late_reads_accepted_until: datetime
    unit_wh: int

    @property
    def pending_reads(self) -> int:
        return sum(window.reads for window in self.windows_waiting)


SqlParams = dict[str, int | datetime | list[datetime]]

# The reservation's memberships ``m`` (with their device ``d``) and the uncertified ongoing reads
# ``r`` of each, up to where the reservation's reads stop (``until``: open windows included),
# read as the issuing service reads them (after the watermark, one index range each).
PENDING_FROM = f"""
FROM reservations_reservationdevice m
JOIN devices_device d ON d.id = m.device_id
CROSS JOIN LATERAL ({WATERMARK_SQL}) t
JOIN reads_meterread r ON {UNCERTIFIED_SQL.format(watermark="t.tail", until="%(until)s")}
WHERE m.reservation_id = %(reservation)s
"""
# Their earliest and latest ends: the windows to number them by (Windows.first_ends).
PENDING_SPAN_SQL = f"SELECT min(r.ongoing_end), max(r.ongoing_end) {PENDING_FROM}"
# Their energy per country and window, numbered as the issuing service numbers them.
PENDING_WINDOWS_SQL = f"""
SELECT d.country_code, %(first)s + width_bucket(r."end", %(ends)s::timestamptz[]) - 1, sum(r.value_wh), count(*)
{PENDING_FROM}
GROUP BY 1, 2
"""
# The History reads waiting (at least one unit, within a coverage and the period, in no
# certificate), as the issuing service finds them.
HISTORY_PENDING_SQL = f"""
SELECT d.country_code, h.start, h."end", h.value_wh
FROM reservations_reservationdevice m
JOIN devices_device d ON d.id = m.device_id
JOIN reads_meterread h ON {HISTORY_WAITING_SQL.format(end="%(end)s")}
WHERE m.reservation_id = %(reservation)s
"""  # noqa: S608 (constant fragments, no input)
# The member devices (the active ones while the reservation is) without any read in their
# coverage: no ongoing read it may certify (the watermark at the coverage's start: certified or
# not; never the baseline) and no History read inside it.
DEVICES_WITHOUT_READS_SQL = f"""
SELECT d.id, d.external_id
FROM reservations_reservationdevice m
JOIN devices_device d ON d.id = m.device_id
WHERE m.reservation_id = %(reservation)s AND (m.is_active OR NOT %(active)s)
  AND NOT EXISTS (
      SELECT 1 FROM reads_meterread r
      WHERE {UNCERTIFIED_SQL.format(watermark="m.covers_from", until="%(until)s")}
  )
  AND NOT EXISTS (
      SELECT 1 FROM reads_meterread h
      WHERE h.device_id = m.device_id AND h.read_type = 'History' AND h.start >= m.covers_from
        AND h."end" <= LEAST(COALESCE(m.covers_until, 'infinity'::timestamptz), %(until)s)
  )
ORDER BY d.external_id, d.id
"""  # noqa: S608 (constant fragments, no input)


def issuance_status(*, reservation: Reservation, now: datetime | None = None) -> IssuanceStatus:
    """Why the reservation's energy is or is not certified yet, at ``now`` (the caller has been
    given the reservation by reservations.selectors, which decides who may see it):

    - ``issued_wh``: energy of the certificates issued to it so far.
    - ``pending_wh``: energy of its uncertified reads within the coverage: its devices' ongoing
      reads (never the baseline) after their certified chain, inside the membership's coverage,
      ending by the time its reads stop (windows open or closed), and History reads of at least
      one unit inside the coverage that no certificate holds. The sum of ``windows_waiting``.
    - ``carried_wh``: the part of a unit already consumed and carried to the next certificate
      (``Carry``, all countries): not pending, and not issued yet.
    - ``windows_waiting``: per window and country with uncertified ongoing reads, and per History
      read waiting, oldest first, with why it waits (the first that applies): ``EXPIRED``,
      ``TARGET_REACHED``, ``WINDOW_OPEN``, ``BELOW_UNIT`` (closed, but with the closed windows
      before it and the carry less than one unit), ``NEXT_RUN``.
    - ``next_window_closes_at``: when the window open at ``now`` closes; None once the reads stop.
    - ``last_run_at``: when the worker's scheduled run last ran (``IssuanceRun.started_at``).
    - ``devices_without_reads``: member devices without any read in their coverage.
    - ``late_reads_accepted_until``: its expiry date: reads arriving after their window closed
      are certified by a later run until then.

    Six queries at most, each reading what waits, not the certified history."""
    now = now or timezone.now()
    unit = settings.DREC_CERTIFICATE_UNIT_WH
    windows = Windows.of(reservation)
    params: SqlParams = {
        "reservation": reservation.pk,
        "until": windows.reads_until,
        "end": reservation.end,
        "unit": unit,
    }
    carries = dict(Carry.objects.filter(reservation=reservation).values_list("country_id", "carry_wh"))
    waiting = _ongoing_waiting(windows, params, carries, unit, now) + _history_waiting(params)
    stopped = _stopped(reservation, unit, now)
    if stopped is not None:
        waiting = [replace(window, reason=stopped) for window in waiting]
    waiting.sort(key=lambda window: (window.start, window.country, window.source))
    with connection.cursor() as cursor:
        cursor.execute(DEVICES_WITHOUT_READS_SQL, {**params, "active": reservation.is_active})
        without = [DeviceWithoutReads(device_id=pk, external_id=name) for pk, name in cursor.fetchall()]
    last_run = issuance_last_run()
    return IssuanceStatus(
        issued_wh=reservation.requested_wh,
        pending_wh=sum(window.energy_wh for window in waiting),
        carried_wh=sum(carries.values()),
        windows_waiting=waiting,
        next_window_closes_at=windows.next_close(now),
        last_run_at=last_run.started_at if last_run else None,
        devices_without_reads=without,
        late_reads_accepted_until=reservation.expiry,
        unit_wh=unit,
    )


def _stopped(reservation: Reservation, unit: int, now: datetime) -> str | None:
    """Why nothing more is issued for the reservation, whatever its windows hold (None: it
    issues). The issuing service's conditions: it plans reservations that are active or before
    their expiry, and issues none once less than a unit is left under the target."""
    if not reservation.is_active and now >= reservation.expiry:
        return EXPIRED
    if not reservation.authority_to_exceed and reservation.target_wh - reservation.requested_wh < unit:
        return TARGET_REACHED
    return None


def _ongoing_waiting(
    windows: Windows, params: SqlParams, carries: dict[str, int], unit: int, now: datetime
) -> list[WindowWaiting]:
    """The windows with uncertified ongoing reads, per country, and why each waits."""
    with connection.cursor() as cursor:
        cursor.execute(PENDING_SPAN_SQL, params)
        earliest, latest = cursor.fetchone()
        if earliest is None:
            return []
        first, ends = windows.first_ends(earliest, latest)
        cursor.execute(PENDING_WINDOWS_SQL, {**params, "first": first, "ends": ends})
        rows = cursor.fetchall()
    by_country: dict[str, list[tuple[int, int, int]]] = {}
    for country, index, energy, reads in rows:
        by_country.setdefault(country, []).append((index, int(energy), reads))
    waiting: list[WindowWaiting] = []
    for country, found in by_country.items():
        # As a run plans them: closed windows add up, with the carry, until they make a unit.
        carried = carries.get(country, 0)
        group: list[tuple[int, int, int]] = []
        for index, energy, reads in sorted(found):
            if not windows.is_closed(index, now):
                waiting.append(_window(windows, country, index, energy, reads, WINDOW_OPEN))
                continue
            group.append((index, energy, reads))
            total = sum(wh for _index, wh, _reads in group) + carried
            if total >= unit:
                waiting += [_window(windows, country, *member, NEXT_RUN) for member in group]
                carried, group = total % unit, []
        waiting += [_window(windows, country, *member, BELOW_UNIT) for member in group]
    return waiting


def _window(windows: Windows, country: str, index: int, energy: int, reads: int, reason: str) -> WindowWaiting:
    start, end = windows.bounds(index)
    return WindowWaiting(start, end, country, Source.ONGOING, energy, reads, reason)


def _history_waiting(params: SqlParams) -> list[WindowWaiting]:
    """The History reads waiting: each is one certificate of the next run."""
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_PENDING_SQL, params)
        rows = cursor.fetchall()
    return [
        WindowWaiting(start, end, country, Source.HISTORY, int(energy), 1, NEXT_RUN)
        for country, start, end, energy in rows
    ]


# --- The worker ------------------------------------------------------------------------------


def issuance_last_run() -> IssuanceRun | None:
    """The worker's last scheduled issuance run (None: it never ran)."""
    return IssuanceRun.objects.filter(pk=IssuanceRun.ROW).first()


def issuance_silence() -> timedelta:
    """How long the worker may go without finishing a scheduled run before the super admin is
    warned: five minutes, or one interval of the schedule and a minute when that is longer."""
    return max(WORKER_SILENCE, timedelta(minutes=settings.DREC_ISSUANCE_MINUTES + 1))


def issuance_overdue(*, last_run: IssuanceRun | None, now: datetime | None = None) -> bool:
    """Whether the worker has not finished a scheduled issuance run for :func:`issuance_silence`
    (or never did)."""
    now = now or timezone.now()
    return last_run is None or now - last_run.finished_at > issuance_silence()

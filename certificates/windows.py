"""Issuance windows (SPEC §8): the one place that says in which window of a reservation a read
falls, where each window starts and ends, and which windows are closed.

Windows follow the reservation's frequency from its start: hourly, daily and weekly windows
are fixed lengths; monthly windows are calendar months (UTC). A read belongs to the window in
which it ends: a read ending exactly on an edge closes the window before it. Windows are
clipped to the reservation's period (the first starts at its start, the last ends at its end).

Pure: no database. The issuing service groups reads by window in PostgreSQL without the maths
written again in SQL: :meth:`Windows.first_ends` gives it the edges, which ``width_bucket``
looks reads up in.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Self

from reservations.models import Frequency, Reservation

# The smallest step of a moment, in Python's datetime and PostgreSQL's timestamptz alike.
RESOLUTION = timedelta(microseconds=1)

FIXED_LENGTHS: Mapping[str, timedelta] = {
    Frequency.HOURLY: timedelta(hours=1),
    Frequency.DAILY: timedelta(days=1),
    Frequency.WEEKLY: timedelta(days=7),
}


def _month_number(moment: datetime) -> int:
    """Months since year 0 of ``moment``'s calendar month in UTC."""
    utc = moment.astimezone(UTC)
    return utc.year * 12 + utc.month - 1


def _month_start(number: int) -> datetime:
    return datetime(number // 12, number % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Windows:
    """The windows of a reservation's period ``[start, end)`` at its ``frequency``;
    ``ended_at``: when the reservation was ended early (its reads stop there)."""

    start: datetime
    end: datetime
    frequency: str
    ended_at: datetime | None = None

    @classmethod
    def of(cls, reservation: Reservation) -> Self:
        return cls(reservation.start, reservation.end, reservation.frequency, reservation.ended_at)

    @property
    def reads_until(self) -> datetime:
        """Where the reservation's reads stop: its end, or when it was ended earlier."""
        return min(self.end, self.ended_at) if self.ended_at else self.end

    @property
    def _origin(self) -> datetime:
        # In UTC: Python adds to and subtracts moments of one zone in wall-clock time.
        return self.start.astimezone(UTC)

    def index(self, end: datetime) -> int:
        """The window of a read ending at ``end`` (0 is the first; one ending on an edge closes
        the window before it; negative before the start)."""
        instant = end.astimezone(UTC) - RESOLUTION
        length = FIXED_LENGTHS.get(self.frequency)
        if length is not None:
            return (instant - self._origin) // length
        return _month_number(instant) - _month_number(self.start)

    def opening(self, index: int) -> datetime:
        """Where window ``index`` starts, not clipped (a month starts on its first day even
        when the reservation starts later in it)."""
        length = FIXED_LENGTHS.get(self.frequency)
        if length is not None:
            return self._origin + index * length
        return _month_start(_month_number(self.start) + index)

    def bounds(self, index: int) -> tuple[datetime, datetime]:
        """``[start, end)`` of window ``index``, clipped to the reservation's period."""
        return max(self.opening(index), self.start), min(self.opening(index + 1), self.end)

    def closed_until(self, now: datetime) -> datetime | None:
        """The end of the last window closed at ``now`` (None: none closed yet). Once the
        reads stop (the end, or an early end), everything up to there is closed."""
        if now >= self.reads_until:
            return self.reads_until
        if now <= self.start:
            return None
        current = self.index(now + RESOLUTION)  # the window ``now`` is in
        if current == 0:
            return None
        return self.bounds(current - 1)[1]

    def next_close(self, now: datetime) -> datetime | None:
        """When the window open at ``now`` closes (before the start: the first window's end);
        None once the reads stop (every window is closed)."""
        if now >= self.reads_until:
            return None
        if now < self.start:
            return self.bounds(0)[1]
        return min(self.bounds(self.index(now + RESOLUTION))[1], self.reads_until)

    def is_closed(self, index: int, now: datetime) -> bool:
        """Whether window ``index`` is closed at ``now``: its reads may be certified (once the
        reads stop early, the window they stop in is closed from then on)."""
        until = self.closed_until(now)
        return until is not None and min(self.bounds(index)[1], self.reads_until) <= until

    def first_ends(self, earliest: datetime, latest: datetime) -> tuple[int, list[datetime]]:
        """The windows of reads ending in ``[earliest, latest]``, for numbering reads where they
        are stored: ``(first, ends)``, ``ends[k]`` the earliest end a read of window
        ``first + k`` can have (the window's opening plus one microsecond). A read ending at
        ``e`` is in window ``first + k - 1``, ``k`` the number of ``ends`` not after ``e``
        (PostgreSQL's ``width_bucket(e, ends)``). No windows when ``latest < earliest``."""
        first, last = self.index(earliest), self.index(latest)
        return first, [self.opening(index) + RESOLUTION for index in range(first, last + 1)]

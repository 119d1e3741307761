"""Issuance windows (certificates.windows) at the edges a buyer sees on a certificate: a read
ending on a window's edge, one straddling it, a reservation starting mid-month or ending
mid-window, an early end, a change of daylight saving time; and PostgreSQL numbering reads
by window as the module does."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from certificates.windows import Windows

T0 = datetime(2024, 3, 4, 6, 30, tzinfo=UTC)  # a Monday, at an odd hour: windows follow the start
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)


def hourly(hours: int = 24, **kwargs) -> Windows:
    return Windows(T0, T0 + hours * HOUR, "hourly", **kwargs)


def test_a_read_ending_on_an_edge_closes_the_window_before_it():
    windows = hourly()
    assert windows.index(T0 + HOUR) == 0
    assert windows.index(T0 + HOUR + MICROSECOND) == 1
    assert windows.index(T0 + MICROSECOND) == 0
    assert windows.index(T0) == -1  # ends at the start: before the first window


def test_a_read_straddling_an_edge_counts_in_the_window_where_it_ends():
    windows = hourly()
    start, end = T0 + 50 * timedelta(minutes=1), T0 + 70 * timedelta(minutes=1)  # 07:20 .. 07:40
    assert (windows.index(start), windows.index(end)) == (0, 1)
    assert windows.bounds(windows.index(end)) == (T0 + HOUR, T0 + 2 * HOUR)


def test_fixed_windows_count_from_the_start_in_real_time_across_a_clock_change():
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2024, 3, 30, 12, 0, tzinfo=paris)  # the clocks go forward on 31 March
    windows = Windows(start, start + 7 * DAY, "daily")
    # 24 hours of real time after noon on 30 March is 13:00 in Paris: the windows end there.
    assert windows.bounds(1) == (datetime(2024, 3, 31, 13, 0, tzinfo=paris), datetime(2024, 4, 1, 13, 0, tzinfo=paris))
    assert windows.index(datetime(2024, 4, 1, 12, 30, tzinfo=paris)) == 1
    assert windows.index(datetime(2024, 4, 1, 13, 0, tzinfo=paris)) == 1
    assert windows.index(datetime(2024, 4, 1, 13, 0, tzinfo=paris) + MICROSECOND) == 2


def test_weekly_windows_are_seven_days_from_the_start():
    windows = Windows(T0, T0 + 30 * DAY, "weekly")
    assert windows.bounds(0) == (T0, T0 + 7 * DAY)
    assert windows.index(T0 + 7 * DAY) == 0
    assert windows.index(T0 + 7 * DAY + MICROSECOND) == 1
    assert windows.bounds(4) == (T0 + 28 * DAY, T0 + 30 * DAY)  # the last, clipped at the end


def test_monthly_windows_are_calendar_months_clipped_to_the_period():
    start, end = datetime(2024, 1, 15, 9, tzinfo=UTC), datetime(2024, 4, 10, tzinfo=UTC)
    windows = Windows(start, end, "monthly")
    assert windows.bounds(0) == (start, datetime(2024, 2, 1, tzinfo=UTC))  # from the start, not the 1st
    assert windows.bounds(1) == (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    assert windows.bounds(3) == (datetime(2024, 4, 1, tzinfo=UTC), end)  # to the end, not the 1st
    assert windows.index(datetime(2024, 2, 1, tzinfo=UTC)) == 0  # midnight of the 1st closes January
    assert windows.index(datetime(2024, 2, 29, 23, tzinfo=UTC)) == 1  # leap day
    assert windows.index(datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC)) == 12  # across a year
    # Calendar months in UTC: 1 February 00:30 in Kolkata is still January.
    assert windows.index(datetime(2024, 2, 1, 0, 30, tzinfo=ZoneInfo("Asia/Kolkata"))) == 0


def test_a_reservation_ending_mid_window_clips_its_last_window():
    windows = Windows(T0, T0 + 90 * timedelta(minutes=1), "hourly")  # ends at 08:00
    assert windows.bounds(1) == (T0 + HOUR, T0 + 90 * timedelta(minutes=1))
    assert windows.closed_until(T0 + 80 * timedelta(minutes=1)) == T0 + HOUR  # the last window is open
    assert windows.closed_until(T0 + 90 * timedelta(minutes=1)) == T0 + 90 * timedelta(minutes=1)
    assert windows.closed_until(T0 + 5 * DAY) == T0 + 90 * timedelta(minutes=1)  # never past the end


def test_a_window_closes_when_now_reaches_its_end():
    windows = hourly()
    assert windows.closed_until(T0 - HOUR) is None
    assert windows.closed_until(T0) is None
    assert windows.closed_until(T0 + HOUR - MICROSECOND) is None
    assert windows.closed_until(T0 + HOUR) == T0 + HOUR
    assert windows.closed_until(T0 + 150 * timedelta(minutes=1)) == T0 + 2 * HOUR


def test_an_early_end_stops_the_reads_mid_window():
    ended = T0 + 150 * timedelta(minutes=1)  # ended at 09:00, half-way through window 2
    windows = hourly(ended_at=ended)
    assert windows.reads_until == ended
    assert windows.closed_until(ended - MICROSECOND) == T0 + 2 * HOUR
    assert windows.closed_until(ended) == ended
    assert hourly(ended_at=T0 + 30 * DAY).reads_until == T0 + 24 * HOUR  # ended after its end: its end


def test_first_ends_cover_the_windows_of_the_reads_asked_for():
    windows = hourly()
    first, ends = windows.first_ends(T0 + HOUR, T0 + 3 * HOUR + MICROSECOND)
    assert first == 0
    assert ends == [T0 + n * HOUR + MICROSECOND for n in range(4)]
    assert windows.first_ends(T0 + 3 * HOUR, T0 + HOUR) == (2, [])


@pytest.mark.django_db
@pytest.mark.parametrize("frequency", ["hourly", "daily", "weekly", "monthly"])
def test_postgresql_numbers_reads_by_window_as_the_module_does(frequency):
    start = datetime(2024, 1, 30, 22, 15, 0, 250, tzinfo=UTC)
    windows = Windows(start, start + 400 * DAY, frequency)
    edges = [windows.opening(index) for index in range(1, 5)]
    read_ends = [start + MICROSECOND, start + 5 * HOUR, start + 8 * DAY]
    read_ends += [edge + step for edge in edges for step in (-MICROSECOND, timedelta(0), MICROSECOND)]
    first, ends = windows.first_ends(min(read_ends), max(read_ends))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s + width_bucket(e, %s::timestamptz[]) - 1 FROM unnest(%s::timestamptz[]) AS e",
            [first, ends, read_ends],
        )
        numbered = [row[0] for row in cursor.fetchall()]
    assert numbered == [windows.index(end) for end in read_ends]

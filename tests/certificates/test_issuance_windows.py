"""Issuance by windows (SPEC §8): hand-computed certificates for hourly, daily, weekly and
monthly windows, the exact carry of what is beyond whole units, windows below one unit that
wait for the next, two countries in one reservation, baseline and straddling reads, and a
second run that issues nothing new. Unit: 1,000 Wh."""

from datetime import UTC, datetime, timedelta

import pytest

from certificates.models import LedgerEntry, Source
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    assert_issuance_consistent,
    carry,
    certificates,
    contribution_of,
    device_at,
    device_reading,
    issue,
    ongoing,
    reservation_make,
    series,
    snapshot,
    volumes,
)

pytestmark = pytest.mark.django_db

MICROSECOND = timedelta(microseconds=1)


def test_hourly_windows_carry_the_remainder(developer, buyer):
    # A read every 30 minutes of 600 Wh: 1,200 Wh per hour, the read ending on the hour
    # belonging to the hour before it.
    device = device_reading(developer, "HOURLY", count=10, value=600, step=timedelta(minutes=30))
    reservation = reservation_make(buyer, [device], frequency="hourly")

    # Hour 0: 1200        -> 1000, carry 200
    # Hour 1: 1200 + 200  -> 1000, carry 400
    # Hour 2: 1200 + 400  -> 1000, carry 600
    # Hour 3: 1200 + 600  -> 1000, carry 800
    # Hour 4: 1200 + 800  -> 2000, carry 0
    assert issue(reservation, T0 + 5 * HOUR) == [1000, 1000, 1000, 1000, 2000]
    assert carry(reservation) == 0
    windows = [(c.window_start, c.window_end) for c in certificates(reservation)]
    assert windows == [(T0 + n * HOUR, T0 + (n + 1) * HOUR) for n in range(5)]
    first = certificates(reservation)[0]
    assert (first.generation_start, first.generation_end) == (T0, T0 + HOUR)
    share = contribution_of(first, device)
    assert (share.start, share.end, share.energy_wh, share.reads, share.previous_end) == (T0, T0 + HOUR, 1200, 2, None)
    assert contribution_of(certificates(reservation)[1], device).previous_end == T0 + HOUR
    assert reservation.requested_wh == 6000
    assert_issuance_consistent()


def test_a_window_is_certified_once_now_reaches_its_end(developer, buyer):
    device = device_reading(developer, "CLOSING", count=3, value=1500)
    reservation = reservation_make(buyer, [device], frequency="hourly")

    assert issue(reservation, T0) == []  # nothing closed yet
    assert issue(reservation, T0 + HOUR - MICROSECOND) == []  # hour 0 still open
    # Hour 0 closes at T0 + 1 h: 1500 -> 1000, carry 500.
    assert issue(reservation, T0 + HOUR) == [1000]
    assert carry(reservation) == 500
    # Hours 1 and 2: 1500 + 500 -> 2000, carry 0; 1500 -> 1000, carry 500.
    assert issue(reservation, T0 + 3 * HOUR) == [2000, 1000]
    assert carry(reservation) == 500


def test_daily_windows_carry_the_remainder_exactly(developer, buyer):
    # 24 reads of 300 Wh a day = 7,200 Wh a day, for five days.
    device = device_reading(developer, "DAILY", count=5 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily")

    # Day 0: 7200        -> 7000, carry 200
    # Day 1: 7200 + 200  -> 7000, carry 400
    # Day 2: 7200 + 400  -> 7000, carry 600
    # Day 3: 7200 + 600  -> 7000, carry 800
    # Day 4: 7200 + 800  -> 8000, carry 0      (5 x 7200 = 36000 = 4 x 7000 + 8000)
    assert issue(reservation, T0 + 2 * DAY) == [7000, 7000]
    assert carry(reservation) == 400
    assert issue(reservation, T0 + 5 * DAY) == [7000, 7000, 8000]
    assert carry(reservation) == 0
    assert volumes(reservation) == [7000, 7000, 7000, 7000, 8000]
    for day, certificate in enumerate(certificates(reservation)):
        assert (certificate.window_start, certificate.window_end) == (T0 + day * DAY, T0 + (day + 1) * DAY)
        share = contribution_of(certificate, device)
        assert (share.start, share.end) == (T0 + day * DAY, T0 + (day + 1) * DAY)
        assert (share.energy_wh, share.reads) == (7200, 24)
    assert reservation.requested_wh == 36000
    assert reservation.is_active
    assert_issuance_consistent()


def test_a_second_run_issues_nothing_new(developer, buyer):
    device = device_reading(developer, "TWICE", count=3 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily")
    assert issue(reservation, T0 + 3 * DAY) == [7000, 7000, 7000]
    before, entries = snapshot(), LedgerEntry.objects.count()

    assert issue(reservation, T0 + 3 * DAY) == []
    assert issue(reservation, T0 + 3 * DAY + 5 * HOUR) == []  # later, but no new window closed

    assert snapshot() == before
    assert LedgerEntry.objects.count() == entries == 3
    assert carry(reservation) == 600


def test_windows_below_one_unit_wait_and_are_issued_together(developer, buyer):
    # 400 Wh an hour, hourly windows.
    device = device_reading(developer, "SMALL", count=5, value=400)
    reservation = reservation_make(buyer, [device], frequency="hourly")

    # Hours 0 and 1: 400, then 800 -> below one unit: they wait.
    assert issue(reservation, T0 + 2 * HOUR) == []
    assert carry(reservation) is None  # nothing consumed yet
    # Hour 2: 400 + 400 + 400 = 1200 -> one certificate of 1000 for hours 0-2, carry 200.
    assert issue(reservation, T0 + 3 * HOUR) == [1000]
    certificate = certificates(reservation)[0]
    assert (certificate.window_start, certificate.window_end) == (T0, T0 + 3 * HOUR)
    assert (certificate.generation_start, certificate.generation_end) == (T0, T0 + 3 * HOUR)
    share = contribution_of(certificate, device)
    assert (share.energy_wh, share.reads) == (1200, 3)
    assert carry(reservation) == 200
    # Hour 3: 400 + 200 = 600 -> waits; hour 4: 400 + 400 + 200 = 1000 -> 1000, carry 0.
    assert issue(reservation, T0 + 4 * HOUR) == []
    assert issue(reservation, T0 + 5 * HOUR) == [1000]
    second = certificates(reservation)[1]
    assert (second.window_start, second.window_end) == (T0 + 3 * HOUR, T0 + 5 * HOUR)
    assert contribution_of(second, device).energy_wh == 800
    assert carry(reservation) == 0
    assert_issuance_consistent()


def test_a_window_without_reads_is_skipped_and_a_long_read_counts_where_it_ends(developer, buyer):
    # Hourly reads of 1000 Wh for two hours, silence, then one read from T0 + 2 h to T0 + 5 h
    # of 2500 Wh: it ends in hour 4, so it belongs to hour 4 (hours 2 and 3 have no reads).
    device = device_reading(developer, "GAP", count=2, value=1000)
    ongoing(device, [(T0 + 5 * HOUR, 2500)])
    reservation = reservation_make(buyer, [device], frequency="hourly")

    # Hour 0: 1000 -> 1000; hour 1: 1000 -> 1000; hour 4: 2500 -> 2000, carry 500.
    assert issue(reservation, T0 + 6 * HOUR) == [1000, 1000, 2000]
    last = certificates(reservation)[-1]
    assert (last.window_start, last.window_end) == (T0 + 4 * HOUR, T0 + 5 * HOUR)
    assert (last.generation_start, last.generation_end) == (T0 + 2 * HOUR, T0 + 5 * HOUR)
    assert carry(reservation) == 500
    assert_issuance_consistent()


def test_weekly_windows_are_counted_from_the_reservation_start(developer, buyer):
    # The reservation starts on a Wednesday; a read every 12 hours of 2,500 Wh.
    start = T0 + 2 * DAY
    device = device_reading(developer, "WEEKLY", start=start, count=2 * 14 + 1, value=2500, step=12 * HOUR)
    reservation = reservation_make(buyer, [device], frequency="weekly", start=start)

    # Week 0 [Wed, next Wed): 14 reads x 2500 = 35000 -> 35000; week 1 the same. The 29th
    # read ends in week 2, still open at start + 14 days + 12 h.
    assert issue(reservation, start + 14 * DAY + 12 * HOUR) == [35000, 35000]
    windows = [(c.window_start, c.window_end) for c in certificates(reservation)]
    assert windows == [(start, start + 7 * DAY), (start + 7 * DAY, start + 14 * DAY)]
    assert_issuance_consistent()


def test_monthly_windows_are_calendar_months_clipped_to_the_period(developer, buyer):
    # 20 January to 10 March; a read every 6 hours of 1,234 Wh.
    start, end = datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    february, march = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    device = device_reading(developer, "MONTHLY", start=start, count=49 * 4 + 4, value=1234, step=6 * HOUR)
    reservation = reservation_make(buyer, [device], frequency="monthly", start=start, end=end)

    # January [20 Jan, 1 Feb): 12 days x 4 = 48 reads (the one ending 1 Feb 00:00 included)
    #   48 x 1234 = 59232            -> 59000, carry 232
    assert issue(reservation, march - MICROSECOND) == [59000]
    assert carry(reservation) == 232
    # February [1 Feb, 1 Mar): 28 x 4 = 112 reads: 138208 + 232 = 138440 -> 138000, carry 440
    assert issue(reservation, march) == [138000]
    assert carry(reservation) == 440
    # March [1 Mar, 10 Mar) (clipped at the end): 9 x 4 = 36 reads: 44424 + 440 = 44864
    #   -> 44000, carry 864. The reads after 10 March are not the reservation's.
    assert issue(reservation, end + DAY) == [44000]
    assert carry(reservation) == 864
    windows = [(c.window_start, c.window_end) for c in certificates(reservation)]
    assert windows == [(start, february), (february, march), (march, end)]
    shares = [contribution_of(c, device) for c in certificates(reservation)]
    expected_shares = [(start, february, 48), (february, march, 112), (march, end, 36)]
    assert [(share.start, share.end, share.reads) for share in shares] == expected_shares
    assert not reservation.is_active
    assert reservation.ended_at == end
    assert_issuance_consistent()


def test_two_countries_get_a_certificate_each_per_window_with_separate_carries(developer, buyer):
    india = device_reading(developer, "IND-1", count=48, value=300, country="IND")
    india2 = device_reading(developer, "IND-2", count=48, value=100, country="IND")
    kenya = device_reading(developer, "KEN-1", count=48, value=260, country="KEN")
    reservation = reservation_make(buyer, [india, india2, kenya], frequency="daily")

    # Day 0: IND 24 x 300 + 24 x 100 = 9600        -> 9000, carry 600
    #        KEN 24 x 260 = 6240                    -> 6000, carry 240
    # Day 1: IND 9600 + 600 = 10200                 -> 10000, carry 200
    #        KEN 6240 + 240 = 6480                  -> 6000, carry 480
    issue(reservation, T0 + 2 * DAY)
    assert volumes(reservation, country_id="IND") == [9000, 10000]
    assert volumes(reservation, country_id="KEN") == [6000, 6000]
    assert (carry(reservation, "IND"), carry(reservation, "KEN")) == (200, 480)
    first_india = certificates(reservation, country_id="IND")[0]
    assert sorted((c.device.external_id, c.energy_wh) for c in first_india.contributions.all()) == [
        ("IND-1", 7200),
        ("IND-2", 2400),
    ]
    first_kenya = certificates(reservation, country_id="KEN")[0]
    assert [(c.device_id, c.energy_wh) for c in first_kenya.contributions.all()] == [(kenya.pk, 6240)]
    assert first_india.window_start == first_kenya.window_start == T0
    assert_issuance_consistent()


def test_baselines_and_reads_straddling_the_start_are_never_certified(developer, buyer):
    # STRADDLE: reads every 2 hours of 600 Wh; its read [T0 - 1 h, T0 + 1 h) straddles the
    # reservation's start. LATE-START: onboarded later, its baseline (50,000 Wh) ends at
    # T0 + 5 h, then 300 Wh an hour.
    straddle = device_at(developer, "STRADDLE", onboarded=T0 - 5 * HOUR)
    ongoing(straddle, [(T0 - 3 * HOUR, 1)])  # its baseline
    ongoing(straddle, series(T0 - HOUR, 13, 600, 2 * HOUR))  # ending T0 - 1 h ... T0 + 23 h
    late_start = device_reading(developer, "LATE-START", start=T0 + 5 * HOUR, count=19, value=300)
    reservation = reservation_make(buyer, [straddle, late_start], frequency="daily")

    # STRADDLE: reads ending T0 + 3 h ... T0 + 23 h: 11 x 600 = 6600 (not the one ending T0 + 1 h)
    # LATE-START: reads ending T0 + 6 h ... T0 + 24 h: 19 x 300 = 5700 (not its baseline)
    # 6600 + 5700 = 12300 -> 12000, carry 300
    assert issue(reservation, T0 + DAY) == [12000]
    certificate = certificates(reservation)[0]
    first = contribution_of(certificate, straddle)
    assert (first.start, first.end, first.energy_wh, first.reads) == (T0 + HOUR, T0 + 23 * HOUR, 6600, 11)
    second = contribution_of(certificate, late_start)
    assert (second.start, second.end, second.energy_wh, second.reads) == (T0 + 5 * HOUR, T0 + DAY, 5700, 19)
    assert (certificate.generation_start, certificate.generation_end) == (T0 + HOUR, T0 + DAY)
    assert carry(reservation) == 300
    assert_issuance_consistent()


def test_the_last_window_is_clipped_at_the_end_and_the_reservation_ends(developer, buyer):
    device = device_reading(developer, "ENDING", count=3 * 24, value=300)
    end = T0 + 2 * DAY + 12 * HOUR
    reservation = reservation_make(buyer, [device], frequency="daily", end=end)

    # Before the end: days 0 and 1 only. 7200 -> 7000 (200); 7400 -> 7000 (400).
    assert issue(reservation, end - HOUR) == [7000, 7000]
    assert reservation.is_active
    # At the end: day 2 clipped to [T0 + 2 d, T0 + 2 d 12 h): 12 x 300 = 3600 + 400 = 4000.
    # The reads after the end (12 of them) are not the reservation's.
    assert issue(reservation, end) == [4000]
    last = certificates(reservation)[-1]
    assert (last.window_start, last.window_end, last.generation_end) == (T0 + 2 * DAY, end, end)
    assert contribution_of(last, device).reads == 12
    assert carry(reservation) == 0
    assert not reservation.is_active
    assert reservation.ended_at == end
    membership = reservation.memberships.get()
    assert not membership.is_active
    assert membership.covers_until == end
    assert_issuance_consistent()


def test_certificates_belong_to_the_buyer_and_say_where_they_come_from(developer, buyer):
    device = device_reading(developer, "OWNER", count=24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily")
    issue(reservation, T0 + DAY)
    certificate = certificates(reservation)[0]
    assert certificate.owner_id == buyer.organization_id
    assert certificate.country_id == "IND"
    assert certificate.source == Source.ONGOING
    assert certificate.claimed_wh == 0
    entry = certificate.ledger_entries.get()
    assert entry.payload["energyWh"] == 7000
    assert entry.payload["buyerReservationId"] == str(reservation.uid)
    assert entry.payload["certificateTransactionUID"] == str(certificate.uid)

"""Reads that come late and History reads (SPEC §8): an ongoing read posted after its window
was certified (a device that went silent mid-window and resumed later: reads only ever append
to the end of its chain) is certified by a later run, also after the reservation ended, until
its expiry; each History read of at least one unit within the coverage is a certificate of
its own. Also the scheduled entry point, and a run whose plan went stale under it.
Unit: 1,000 Wh."""

from datetime import timedelta

import pytest

from certificates.models import Certificate, LedgerEntry, Source
from certificates.services import certificates_issue_due, issuance
from reads.models import MeterRead, ReadType
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
    history,
    issue,
    ongoing,
    reservation_make,
    series,
    snapshot,
    volumes,
)

pytestmark = pytest.mark.django_db


def test_a_late_read_in_a_certified_window_is_certified_by_a_later_run(developer, buyer):
    # The device sends 300 Wh an hour until T0 + 10 h, then goes silent.
    device = device_reading(developer, "SILENT", count=10, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily")

    # Day 0 closes: 10 x 300 = 3000 -> 3000, carry 0.
    assert issue(reservation, T0 + DAY + HOUR) == [3000]
    first = certificates(reservation)[0]
    assert (first.generation_start, first.generation_end) == (T0, T0 + 10 * HOUR)

    # It resumes after the run: reads ending T0 + 11 h ... T0 + 2 d (38 reads). The 14 ending
    # by T0 + 1 d are late: day 0 was already certified.
    ongoing(device, series(T0 + 11 * HOUR, 38, 300))
    # Late, day 0: 14 x 300 = 4200 -> 4000, carry 200 (day 1 is still open).
    assert issue(reservation, T0 + DAY + 2 * HOUR) == [4000]
    late = certificates(reservation)[1]
    assert (late.window_start, late.window_end) == (T0, T0 + DAY)
    assert (late.generation_start, late.generation_end) == (T0 + 10 * HOUR, T0 + DAY)
    share = contribution_of(late, device)
    assert (share.energy_wh, share.reads, share.previous_end) == (4200, 14, T0 + 10 * HOUR)
    assert carry(reservation) == 200
    # Day 1: 24 x 300 = 7200 + 200 -> 7000, carry 400.
    assert issue(reservation, T0 + 2 * DAY) == [7000]
    assert carry(reservation) == 400
    assert_issuance_consistent()


def test_late_reads_are_certified_after_the_end_until_the_expiry(developer, buyer):
    # Reservation of two days, expiring two days after its end; the device stops at
    # T0 + 1 d 6 h.
    device = device_reading(developer, "EXPIRING", count=30, value=300)
    end, expiry = T0 + 2 * DAY, T0 + 4 * DAY
    reservation = reservation_make(buyer, [device], frequency="daily", end=end, expiry=expiry)

    # After the end: day 0, 7200 -> 7000 (200); day 1, 6 x 300 = 1800 + 200 -> 2000 (0).
    # The period is over: the reservation ends at its end.
    assert certificates_issue_due(now=end + HOUR) == 2
    reservation.refresh_from_db()
    assert not reservation.is_active
    assert reservation.ended_at == end
    assert reservation.memberships.get().covers_until == end

    # Late reads of day 1 (T0 + 1 d 7 h ... 12 h): 6 x 300 = 1800 -> 1000, carry 800, issued
    # after the end, before the expiry, by the scheduled run.
    ongoing(device, series(T0 + DAY + 7 * HOUR, 6, 300))
    assert certificates_issue_due(now=end + DAY) == 1
    assert volumes(reservation) == [7000, 2000, 1000]
    late = certificates(reservation)[-1]
    assert (late.window_start, late.window_end) == (T0 + DAY, end)
    assert carry(reservation) == 800

    # The rest of day 1 (12 reads, 3600 Wh) and reads after the end (5, nobody's) arrive, but
    # the next run is at the expiry: nothing is certified any more, by either entry point.
    ongoing(device, series(T0 + DAY + 13 * HOUR, 17, 300))
    before = snapshot()
    assert certificates_issue_due(now=expiry) == 0
    assert issue(reservation, expiry) == []
    assert issue(reservation, expiry + 30 * DAY) == []
    assert snapshot() == before

    # (A run a moment before the expiry would still have had them: 3600 + 800 -> 4000, carry
    # 400; the reads after the end stay uncertified.)
    assert issue(reservation, expiry - timedelta(seconds=1)) == [4000]
    assert carry(reservation) == 400
    assert contribution_of(certificates(reservation)[-1], device).end == end
    assert_issuance_consistent()


def test_history_reads_are_certified_one_per_read(developer, buyer):
    # Onboarded at T0 + 10 d - 1 h: History reads describe the time before it. The
    # reservation runs from T0.
    device = device_at(developer, "HISTORY", onboarded=T0 + 10 * DAY - HOUR)
    history(
        device,
        [
            (T0 - 2 * DAY, T0 - DAY, 5000),  # before the reservation: not its to certify
            (T0 + DAY, T0 + 2 * DAY, 2500),
            (T0 + 3 * DAY, T0 + 4 * DAY, 800),  # below one unit: never certified
            (T0 + 5 * DAY, T0 + 6 * DAY, 1000),
        ],
    )
    ongoing(device, [(T0 + 10 * DAY, 1)])  # its baseline
    ongoing(device, series(T0 + 10 * DAY + HOUR, 24, 300))
    reservation = reservation_make(buyer, [device], frequency="daily", end=T0 + 20 * DAY)

    # Oldest first, sharing the one carry of the country:
    # History [T0 + 1 d, + 2 d): 2500        -> 2000, carry 500
    # History [T0 + 5 d, + 6 d): 1000 + 500  -> 1000, carry 500
    # Day 10 (ongoing): 7200 + 500            -> 7000, carry 700
    assert issue(reservation, T0 + 11 * DAY) == [2000, 1000, 7000]
    assert carry(reservation) == 700
    first, second, third = certificates(reservation)
    assert [c.source for c in (first, second, third)] == [Source.HISTORY, Source.HISTORY, Source.ONGOING]
    assert (first.generation_start, first.generation_end) == (T0 + DAY, T0 + 2 * DAY)
    assert (first.window_start, first.window_end) == (None, None)
    read = MeterRead.objects.get(device=device, read_type=ReadType.HISTORY, start=T0 + DAY)
    assert contribution_of(first, device).history_read_id == read.pk
    assert not MeterRead.objects.filter(value_wh=800, contribution__isnull=False).exists()
    assert not MeterRead.objects.filter(value_wh=5000, contribution__isnull=False).exists()

    # A History read posted later is certified by the next run; the others never again.
    history(device, [(T0 + 7 * DAY, T0 + 8 * DAY, 3000)])
    # 3000 + 700 -> 3000, carry 700.
    assert issue(reservation, T0 + 11 * DAY) == [3000]
    assert issue(reservation, T0 + 12 * DAY) == []
    assert carry(reservation) == 700
    assert reservation.certificates.filter(source=Source.HISTORY).count() == 3
    assert_issuance_consistent()


def test_the_scheduled_run_issues_every_due_reservation_once(developer, buyer):
    one = reservation_make(
        buyer, [device_reading(developer, "DUE-1", count=48, value=300)], frequency="daily", name="Due one"
    )
    two = reservation_make(
        buyer, [device_reading(developer, "DUE-2", count=48, value=500)], frequency="daily", name="Due two"
    )
    later = T0 + 2 * DAY
    not_yet = reservation_make(
        buyer,
        [device_reading(developer, "NOT-YET", start=later, count=3, value=300)],
        frequency="hourly",
        start=later,
        name="Not started",
    )
    # One: 7200 -> 7000 (200), 7400 -> 7000 (400). Two: 12000 -> 12000, 12000 -> 12000.
    # Not started (its start is not before now): nothing.
    assert certificates_issue_due(now=later) == 4
    assert volumes(one) == [7000, 7000]
    assert volumes(two) == [12000, 12000]
    assert volumes(not_yet) == []
    assert certificates_issue_due(now=later) == 0
    assert Certificate.objects.count() == LedgerEntry.objects.count() == 4


def test_a_run_whose_plan_went_stale_replans_instead_of_failing(developer, buyer, monkeypatch):
    """Another run certifies the reservation's reads between this run's planning and its
    first certificate: this run must notice (the chain tails it planned from moved) and plan
    again, not crash on the database's chain constraint nor certify anything twice."""
    device = device_reading(developer, "STALE", count=3 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily")
    plan = issuance._plans
    calls = []

    def plan_then_let_another_run_issue(reservations, now):
        plans = plan(reservations, now)
        calls.append(now)
        if len(calls) == 1:  # the other run, between this one's plans and its certificates
            issuance.reservation_issue(reservation_id=reservation.pk, now=now)
        return plans

    monkeypatch.setattr(issuance, "_plans", plan_then_let_another_run_issue)
    issuance.reservation_issue(reservation_id=reservation.pk, now=T0 + 3 * DAY)

    assert volumes(reservation) == [7000, 7000, 7000]
    assert carry(reservation) == 600
    assert_issuance_consistent()

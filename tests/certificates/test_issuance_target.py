"""The target volume (SPEC §8): without authorityToExceed the total issued never exceeds it
(the last certificate is capped to whole units of what remains) and the reservation ends,
releasing its devices; with authorityToExceed it keeps issuing. A released device can be
reserved again and its reads are then certified once, by one reservation or the other.
Unit: 1,000 Wh; 24 reads of 300 Wh a day = 7,200 Wh a day."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from certificates.models import LedgerEntry
from reservations.models import ReservationDevice
from reservations.services import ReservationRequest, reservation_close, reservation_create
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    assert_issuance_consistent,
    carry,
    certificates,
    contribution_of,
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


def _reserve_again(buyer, devices, *, start, name="Second reservation"):
    """A reservation made through the service (what a buyer does), for released devices."""
    reservation, unavailable = reservation_create(
        acting_user=buyer,
        organization=buyer.organization,
        request=ReservationRequest(
            name=name,
            device_ids=[device.pk for device in devices],
            target_mwh=Decimal(1),
            start=start,
            end=start + timedelta(days=30),
            expiry=None,
            frequency="daily",
            authority_to_exceed=True,
            continue_if_devices_unavailable=False,
            continue_if_target_unreachable=True,
        ),
    )
    assert unavailable == []
    return reservation


def test_the_last_certificate_is_capped_and_the_reservation_ends_at_the_target(developer, buyer):
    device = device_reading(developer, "CAPPED", count=5 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", target_wh=17_500)

    # Day 0: 7200        -> 7000, carry 200, requested 7000
    # Day 1: 7200 + 200  -> 7000, carry 400, requested 14000
    # Day 2: 7200 + 400  -> 7000, but only 3500 remain: whole units of it = 3000 (capped; the
    #        rest of the day's energy is not carried), requested 17000. 500 Wh remain of the
    #        target: not one more unit fits, so the reservation ends with the window, at
    #        T0 + 3 d. Days 3 and 4 are not certified.
    assert issue(reservation, T0 + 5 * DAY) == [7000, 7000, 3000]
    assert reservation.requested_wh == 17000  # == 17500 rounded down to whole units
    assert carry(reservation) == 0
    assert contribution_of(certificates(reservation)[-1], device).energy_wh == 7200
    assert not reservation.is_active
    assert reservation.ended_at == T0 + 3 * DAY
    membership = reservation.memberships.get()
    assert not membership.is_active
    assert membership.released_at is not None
    assert membership.covers_until == T0 + 3 * DAY
    assert_issuance_consistent(exact_carry=False)

    # Nothing more, ever.
    entries = LedgerEntry.objects.count()
    assert issue(reservation, T0 + 20 * DAY) == []
    assert LedgerEntry.objects.count() == entries


def test_a_target_that_is_not_whole_units_ends_the_reservation_without_waiting_for_more_reads(developer, buyer):
    # Reads for three days only: after the capped certificate no plan follows, yet the
    # reservation must end (it can never issue again) and release its device.
    device = device_reading(developer, "NO-MORE-READS", count=3 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", target_wh=17_500)

    assert issue(reservation, T0 + 3 * DAY) == [7000, 7000, 3000]
    assert not reservation.is_active
    assert reservation.ended_at == T0 + 3 * DAY
    assert not ReservationDevice.objects.filter(device=device, is_active=True).exists()


def test_reaching_the_target_exactly_ends_the_reservation_with_its_window(developer, buyer):
    device = device_reading(developer, "EXACT", count=4 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", target_wh=14_000)

    # Day 0: 7000 (carry 200); day 1: 7400 -> 7000 (carry 400): requested 14000 == target.
    assert issue(reservation, T0 + 4 * DAY) == [7000, 7000]
    assert carry(reservation) == 400
    assert not reservation.is_active
    assert reservation.ended_at == T0 + 2 * DAY
    assert reservation.memberships.get().covers_until == T0 + 2 * DAY
    assert_issuance_consistent()


def test_with_authority_to_exceed_it_keeps_issuing_past_the_target(developer, buyer):
    device = device_reading(developer, "EXCEED", count=5 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", target_wh=14_000, authority_to_exceed=True)

    # As without a target: 7000, 7000, 7000, 7000, 8000 (see the daily carry test).
    assert issue(reservation, T0 + 5 * DAY) == [7000, 7000, 7000, 7000, 8000]
    assert reservation.requested_wh == 36000
    assert reservation.is_active
    assert reservation.ended_at is None
    assert reservation.memberships.get().is_active
    assert_issuance_consistent()


def test_late_reads_after_the_target_neither_issue_nor_move_the_end(developer, buyer):
    # The device stops at T0 + 1 d 20 h; target 13000.
    device = device_reading(developer, "TARGET-LATE", count=44, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", target_wh=13_000)
    # Day 0: 7200 -> 7000 (200); day 1: 20 x 300 = 6000 + 200 -> 6000 (200): 13000, the
    # target: the reservation ends with day 1, at T0 + 2 d.
    assert issue(reservation, T0 + 2 * DAY + HOUR) == [7000, 6000]
    assert reservation.ended_at == T0 + 2 * DAY
    before = snapshot()

    # Late reads of day 1 (4 x 300) and a History read within the period arrive: nothing
    # more can be issued, and the reservation stays ended where it ended.
    ongoing(device, series(T0 + DAY + 21 * HOUR, 4, 300))
    assert issue(reservation, T0 + 3 * DAY) == []
    assert issue(reservation, T0 + 4 * DAY) == []
    assert snapshot() == before
    assert reservation.ended_at == T0 + 2 * DAY


def test_a_history_read_after_the_target_does_not_move_the_end(developer, buyer):
    device = device_reading(developer, "TARGET-HISTORY", start=T0 + 5 * DAY, count=24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", target_wh=7000)
    # Day 5: 7200 -> 7000 = the target: ended at T0 + 6 d.
    assert issue(reservation, T0 + 6 * DAY) == [7000]
    assert reservation.ended_at == T0 + 6 * DAY
    history(device, [(T0 + DAY, T0 + 2 * DAY, 5000)])
    assert issue(reservation, T0 + 7 * DAY) == []
    assert reservation.ended_at == T0 + 6 * DAY
    assert reservation.memberships.get().covers_until == T0 + 6 * DAY


def test_released_devices_are_reservable_again_and_no_read_is_certified_twice(developer, buyer):
    device = device_reading(developer, "AGAIN", count=5 * 24, value=300)
    first = reservation_make(buyer, [device], frequency="daily", target_wh=14_000)
    assert issue(first, T0 + 5 * DAY) == [7000, 7000]  # ends at T0 + 2 d

    # A new reservation from T0 + 1 d: the device's reads up to T0 + 2 d stay the first's.
    second = _reserve_again(buyer, [device], start=T0 + DAY)
    membership = second.memberships.get()
    assert membership.covers_from == T0 + 2 * DAY
    assert membership.is_active

    # Its daily windows run from T0 + 1 d. Window 0 [T0 + 1 d, T0 + 2 d): nothing of its own.
    # Window 1 [T0 + 2 d, T0 + 3 d): 7200 -> 7000 (200); window 2: 7400 -> 7000 (400);
    # window 3: 7600 -> 7000 (600).
    assert issue(second, T0 + 5 * DAY) == [7000, 7000, 7000]
    assert [c.window_start for c in certificates(second)] == [T0 + 2 * DAY, T0 + 3 * DAY, T0 + 4 * DAY]
    assert carry(second) == 600
    # The first one gets nothing more either.
    assert issue(first, T0 + 6 * DAY) == []
    assert volumes(first) == [7000, 7000]
    assert_issuance_consistent()


def test_reads_straddling_the_end_of_one_reservation_and_the_start_of_the_next_are_nobodys(developer, buyer):
    device = device_reading(developer, "HANDOVER", count=3 * 24, value=300)
    first = reservation_make(buyer, [device], frequency="daily")
    # Ended by hand at T0 + 1 d 30 min (reservation_end does the same at the moment it runs).
    with transaction.atomic():
        reservation_close(reservation=first, at=T0 + DAY + timedelta(minutes=30))
    second = _reserve_again(buyer, [device], start=T0 + DAY)
    assert second.memberships.get().covers_from == T0 + DAY + timedelta(minutes=30)

    # First: only its reads ending by T0 + 1 d 30 min: day 0, 7200 -> 7000 (200).
    assert issue(first, T0 + 3 * DAY) == [7000]
    # The read [T0 + 1 d, T0 + 1 d 1 h) straddles the hand-over: neither certifies it.
    # Second (windows from T0 + 1 d): reads ending T0 + 1 d 2 h ... T0 + 2 d: 23 x 300 = 6900
    # -> 6000 (900); next day 7200 + 900 = 8100 -> 8000 (100).
    assert issue(second, T0 + 3 * DAY) == [6000, 8000]
    assert contribution_of(certificates(second)[0], device).start == T0 + DAY + HOUR
    assert carry(second) == 100
    assert_issuance_consistent()

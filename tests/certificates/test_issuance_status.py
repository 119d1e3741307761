"""Issuance status (SPEC §14, issue 19 must-show 2): why a reservation's energy is not certified
yet, hand-computed for a reservation with an open window, a sub-unit remainder and a device
without reads; and the status agreeing with what the issuing service then does. Also the
worker's last run: recorded by the scheduled run, in /api/health, and a warning on the super
admin's dashboard when it has not run for five minutes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from certificates import status
from certificates.models import IssuanceRun, Source
from certificates.services import certificates_issue_scheduled
from certificates.status import (
    BELOW_UNIT,
    EXPIRED,
    NEXT_RUN,
    TARGET_REACHED,
    WINDOW_OPEN,
    DeviceWithoutReads,
    WindowWaiting,
    issuance_overdue,
    issuance_status,
)
from certificates.tasks import certificates_issue
from reservations.models import Reservation
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    carry,
    device_at,
    device_reading,
    history,
    issue,
    ongoing,
    reservation_make,
)

pytestmark = pytest.mark.django_db


def ongoing_window(start: datetime, end: datetime, energy: int, reads: int, reason: str, country: str = "IND"):
    return WindowWaiting(start, end, country, Source.ONGOING, energy, reads, reason)


@pytest.fixture
def waiting(developer, buyer):
    """A daily reservation of two devices from T0 (1,000 Wh units):
    - SUN-1: 26 hourly reads of 300 Wh (day 0: 24 reads, 7,200 Wh; day 1: 2 reads, 600 Wh), then
      one read of 500 Wh ending on day 2 at 03:00;
    - QUIET-1: its baseline read only (never certified): no reads in the reservation.
    A run after day 0 closed issued 7,000 Wh and carries 200."""
    sun = device_reading(developer, "SUN-1", count=26, value=300)
    ongoing(sun, [(T0 + 2 * DAY + 3 * HOUR, 500)])
    quiet = device_reading(developer, "QUIET-1", count=0, value=0)
    reservation = reservation_make(buyer, [sun, quiet], frequency="daily")
    assert issue(reservation, T0 + DAY + HOUR) == [7000]
    assert carry(reservation) == 200
    return reservation, sun, quiet


def test_an_open_window_a_sub_unit_remainder_and_a_device_without_reads(waiting):
    reservation, _sun, quiet = waiting
    now = T0 + 2 * DAY + 4 * HOUR  # day 1 closed, day 2 open
    found = issuance_status(reservation=reservation, now=now)
    assert found.issued_wh == 7000
    assert found.carried_wh == 200
    # Day 1: 600 Wh, with the 200 carried 800 < 1,000: below one unit. Day 2: 500 Wh, still open.
    assert found.windows_waiting == [
        ongoing_window(T0 + DAY, T0 + 2 * DAY, 600, 2, BELOW_UNIT),
        ongoing_window(T0 + 2 * DAY, T0 + 3 * DAY, 500, 1, WINDOW_OPEN),
    ]
    assert found.pending_wh == 1100
    assert found.pending_reads == 3
    assert found.devices_without_reads == [DeviceWithoutReads(device_id=quiet.pk, external_id="QUIET-1")]
    assert found.devices_without_reads[0].reason == "no reads yet"
    assert found.next_window_closes_at == T0 + 3 * DAY
    assert found.late_reads_accepted_until == reservation.expiry == T0 + 90 * DAY
    assert found.last_run_at is None  # no scheduled run yet (the run above was one reservation's)


def test_the_status_says_what_the_issuing_service_then_does(waiting):
    reservation, _sun, _quiet = waiting
    now = T0 + 2 * DAY + 4 * HOUR
    before = issuance_status(reservation=reservation, now=now)
    assert issue(reservation, now) == []  # below one unit and open: a run issues nothing
    assert issuance_status(reservation=reservation, now=now) == before

    # Day 2 closes: 600 + 500 + 200 carried = 1,300 Wh: both windows make a unit together.
    later = T0 + 3 * DAY + HOUR
    found = issuance_status(reservation=reservation, now=later)
    assert found.windows_waiting == [
        ongoing_window(T0 + DAY, T0 + 2 * DAY, 600, 2, NEXT_RUN),
        ongoing_window(T0 + 2 * DAY, T0 + 3 * DAY, 500, 1, NEXT_RUN),
    ]
    assert found.next_window_closes_at == T0 + 4 * DAY
    assert issue(reservation, later) == [1000]
    found = issuance_status(reservation=reservation, now=later)
    assert (found.issued_wh, found.pending_wh, found.carried_wh, found.windows_waiting) == (8000, 0, 300, [])


def test_countries_carry_apart_and_history_reads_wait_for_the_next_run(developer, buyer):
    india = device_reading(developer, "IND-1", count=3, value=400, country="IND")  # 1,200 Wh on day 0
    kenya = device_reading(developer, "KEN-1", count=2, value=300, country="KEN")  # 600 Wh on day 0
    historic = device_at(developer, "HIST-1", onboarded=T0 + DAY)
    # One History read of a unit or more (one certificate); one below a unit (never certified).
    history(historic, [(T0, T0 + 4 * HOUR, 1500), (T0 + 4 * HOUR, T0 + 8 * HOUR, 400)])
    reservation = reservation_make(buyer, [india, kenya, historic], frequency="daily")
    now = T0 + DAY + HOUR
    found = issuance_status(reservation=reservation, now=now)
    assert found.windows_waiting == [
        WindowWaiting(T0, T0 + 4 * HOUR, "IND", Source.HISTORY, 1500, 1, NEXT_RUN),
        ongoing_window(T0, T0 + DAY, 1200, 3, NEXT_RUN),
        ongoing_window(T0, T0 + DAY, 600, 2, BELOW_UNIT, country="KEN"),
    ]
    assert found.pending_wh == 3300
    assert found.devices_without_reads == []  # a History read in the coverage counts

    # India: 1,200 → 1,000 issued, 200 carried, which the History read's certificate takes
    # (1,500 + 200 → 1,000, 700 carried). Kenya's 600 Wh wait.
    assert sorted(issue(reservation, now)) == [1000, 1000]
    found = issuance_status(reservation=reservation, now=now)
    assert found.windows_waiting == [ongoing_window(T0, T0 + DAY, 600, 2, BELOW_UNIT, country="KEN")]
    assert (found.issued_wh, found.pending_wh, found.carried_wh) == (2000, 600, carry(reservation, "IND"))
    assert found.carried_wh == 700


def test_a_reached_target_and_a_passed_expiry_say_so(waiting):
    reservation, _sun, _quiet = waiting
    now = T0 + 2 * DAY + 4 * HOUR
    Reservation.objects.filter(pk=reservation.pk).update(target_wh=7500)  # less than a unit left
    reservation.refresh_from_db()
    reasons = {window.reason for window in issuance_status(reservation=reservation, now=now).windows_waiting}
    assert reasons == {TARGET_REACHED}

    Reservation.objects.filter(pk=reservation.pk).update(
        target_wh=10**12, is_active=False, end=T0 + 3 * DAY, ended_at=T0 + 3 * DAY, expiry=T0 + 4 * DAY
    )
    reservation.refresh_from_db()
    found = issuance_status(reservation=reservation, now=T0 + 5 * DAY)
    assert {window.reason for window in found.windows_waiting} == {EXPIRED}
    assert found.pending_wh == 1100  # still uncertified, and never will be
    assert found.next_window_closes_at is None
    assert found.late_reads_accepted_until == T0 + 4 * DAY
    # Before the expiry, late reads are still certified: day 2 closed with the early end.
    found = issuance_status(reservation=reservation, now=T0 + 3 * DAY + HOUR)
    assert {window.reason for window in found.windows_waiting} == {NEXT_RUN}


def test_before_the_start_the_first_window_is_next_to_close(buyer, developer):
    device = device_at(developer, "LATER-1", onboarded=T0)
    reservation = reservation_make(buyer, [device], frequency="weekly", start=T0 + DAY)
    found = issuance_status(reservation=reservation, now=T0)
    assert found.next_window_closes_at == T0 + 8 * DAY
    assert found.windows_waiting == []
    assert [d.external_id for d in found.devices_without_reads] == ["LATER-1"]


# --- The worker's last run -----------------------------------------------------------------------


def test_the_scheduled_run_records_when_it_ran(waiting):
    reservation, _sun, _quiet = waiting
    assert certificates_issue_scheduled(now=T0 + 3 * DAY + HOUR) == 1
    run = IssuanceRun.objects.get()
    assert (run.started_at, run.issued) == (T0 + 3 * DAY + HOUR, 1)
    assert issuance_status(reservation=reservation, now=T0 + 3 * DAY + HOUR).last_run_at == T0 + 3 * DAY + HOUR

    before = timezone.now()
    assert certificates_issue() == 0  # the worker's task: now, nothing left to issue
    run = IssuanceRun.objects.get()  # still one row
    assert before <= run.started_at <= run.finished_at <= timezone.now()
    assert run.issued == 0


def test_health_reports_the_last_issuance_run(client):
    assert client.get("/api/health").json()["lastIssuanceRunAt"] is None
    certificates_issue_scheduled(now=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["lastIssuanceRunAt"] == "2026-12-01T09:30:00Z"


def run_finished(ago: timedelta) -> IssuanceRun:
    moment = timezone.now() - ago
    run, _created = IssuanceRun.objects.update_or_create(
        pk=IssuanceRun.ROW, defaults={"started_at": moment, "finished_at": moment, "issued": 3}
    )
    return run


def test_the_worker_is_overdue_after_five_minutes_without_a_run():
    assert issuance_overdue(last_run=None)
    assert not issuance_overdue(last_run=run_finished(timedelta(minutes=4)))
    assert issuance_overdue(last_run=run_finished(timedelta(minutes=6)))
    IssuanceRun.objects.all().delete()
    assert status.issuance_last_run() is None


def dashboard_card(user) -> str:
    client = Client()
    client.force_login(user)
    html = client.get("/dashboard").content.decode()
    if 'data-testid="issuance-worker"' not in html:
        return ""
    return " ".join(html.split('data-testid="issuance-worker"', 1)[1].split("</section>", 1)[0].split())


def test_the_super_admins_dashboard_warns_when_the_worker_has_not_run_issuance(admin_user, buyer):
    card = dashboard_card(admin_user)
    assert "Warning: the worker has not run issuance for 5 minutes" in card
    assert "it has never run" in card

    run_finished(timedelta(minutes=1))
    card = dashboard_card(admin_user)
    assert "Warning" not in card
    assert "The worker last ran issuance at" in card
    assert "3 certificates issued" in card

    IssuanceRun.objects.update(finished_at=timezone.now() - timedelta(minutes=6))
    card = dashboard_card(admin_user)
    assert "Warning: the worker has not run issuance for 5 minutes" in card
    assert "last run" in card
    assert dashboard_card(buyer) == ""  # the platform's worker is the super admin's concern

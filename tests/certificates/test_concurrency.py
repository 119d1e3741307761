"""Exactly once under concurrency and crashes (SPEC §8): issuance runs in separate processes
against the real PostgreSQL (as two django-q2 workers, or a worker and the admin's run, would).

- Two runs started together on the same data issue every certificate once: the result is
  the one a single run gives (certificates, volumes, periods, contributions, carries,
  reservation states, ledger).
- A run that planned before another process issued the same reads is refused by the
  database's chain constraints, plans again and issues nothing twice.
- A run killed (SIGKILL) in the middle of a batch's transaction leaves only whole
  certificates (each with its contributions and its signed ledger entry; the ledger
  verifies), and the next run completes the rest, to the same result.

"The result of a single run" is computed first on the same data, in a transaction that is
then rolled back. Each child process is a small Django script using the test database (its
name passed in the environment) and the test run's issuer key; children print READY once
set up and start issuing when told GO, so two runs overlap.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from certificates import ledger
from certificates.models import Certificate, Claim, LedgerEntry
from certificates.services import certificates_issue_due, claim_create
from drec.errors import Conflict
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    assert_issuance_consistent,
    claim_request,
    device_at,
    device_reading,
    history,
    ongoing,
    reservation_make,
    series,
    snapshot,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
NOW = T0 + 3 * DAY

CHILD = r"""
import json, os, sys, time
from datetime import datetime

from django.conf import settings

settings.DATABASES["default"]["NAME"] = os.environ["DREC_TEST_DATABASE"]
settings.DREC_LEDGER_KEY_FILE = os.environ["DREC_TEST_LEDGER_KEY"]
import django

django.setup()
from certificates import ledger
from certificates.services import issuance

hang_after = int(os.environ.get("DREC_TEST_HANG_AFTER", "-1"))  # batches
settings.DREC_ISSUANCE_BATCH = int(os.environ.get("DREC_TEST_BATCH", settings.DREC_ISSUANCE_BATCH))
batches = appended = 0
append_many = ledger.append_many


def append_or_hang(**kwargs):
    # Called inside a batch's transaction, after its certificates and contributions are
    # written: hanging here leaves that transaction open for the test to kill.
    global batches, appended
    if batches == hang_after:
        print(f"HANGING {appended}", flush=True)
        time.sleep(600)
    batches += 1
    appended += len(kwargs["records"])
    return append_many(**kwargs)


ledger.append_many = append_or_hang
replans = 0
if os.environ.get("DREC_TEST_STALE"):
    # No run ownership; the first plan waits (no transaction open) until the test says the
    # other run issued meanwhile, then this run goes on with it, stale.
    issuance._issuing_locks = lambda reservation_ids, take: list(reservation_ids)
    plan, certificates_issue, waited = issuance._plans, issuance._certificates_issue, []

    def plan_then_wait(reservations, now):
        plans = plan(reservations, now)
        if any(plans.values()) and not waited:
            waited.append(now)
            print("PLANNED", flush=True)
            sys.stdin.readline()
        return plans

    def counting_replans(*args):
        global replans
        try:
            return certificates_issue(*args)
        except issuance.Replan:
            replans += 1
            raise

    issuance._plans, issuance._certificates_issue = plan_then_wait, counting_replans
print("READY", flush=True)
sys.stdin.readline()
started = time.time()
issued = issuance.certificates_issue_due(now=datetime.fromisoformat(os.environ["DREC_TEST_NOW"]))
print(json.dumps({"issued": issued, "replans": replans, "started": started, "ended": time.time()}), flush=True)
"""


def scenario(developer, buyer) -> None:
    """Four reservations, 117 certificates at NOW: hourly windows with a carry, two countries,
    a target that caps, History reads, one reservation ending before NOW, the others still on."""
    half_hour = timedelta(minutes=30)
    # Ends at T0 + 1 d (over at NOW): 2 devices, 600 + 450 Wh each half hour: 2100 Wh an hour.
    ending = [
        device_reading(developer, "END-A", count=60, value=600, step=half_hour),
        device_reading(developer, "END-B", count=60, value=450, step=half_hour),
    ]
    reservation_make(buyer, ending, frequency="hourly", end=T0 + DAY, name="Ending")
    # Two countries: 1,300 Wh an hour in India (carry 300, 600, 900, 200 ...), 700 in Kenya.
    countries = [
        device_reading(developer, "IND-C", count=40, value=1300, country="IND"),
        device_reading(developer, "KEN-C", count=40, value=700, country="KEN"),
    ]
    reservation_make(buyer, countries, frequency="hourly", end=T0 + 10 * DAY, name="Countries")
    # A target of 20,500 Wh at 1,200 Wh an hour: capped after 17 certificates, then ended.
    capped = [device_reading(developer, "CAP", count=40, value=1200)]
    reservation_make(buyer, capped, frequency="hourly", end=T0 + 10 * DAY, target_wh=20_500, name="Capped")
    # History reads before onboarding (one certificate each), then daily ongoing reads.
    historic = device_at(developer, "HIST", onboarded=T0 + DAY)
    history(historic, [(T0 + n * 4 * HOUR, T0 + (n + 1) * 4 * HOUR, 1500 + 100 * n) for n in range(6)])
    ongoing(historic, [(T0 + DAY + HOUR, 1)])
    ongoing(historic, series(T0 + DAY + 2 * HOUR, 40, 300))
    reservation_make(buyer, [historic], frequency="daily", end=T0 + 10 * DAY, name="Historic")


def single_run_result() -> dict:
    """What one uninterrupted run issues at NOW (then undone)."""
    with transaction.atomic():
        issued = certificates_issue_due(now=NOW)
        result = snapshot()
        transaction.set_rollback(True)
    assert issued == len(result["certificates"]) == 117
    assert Certificate.objects.count() == 0
    return result


def spawn(**environment) -> subprocess.Popen:
    """A child run, starting up (Django) while the test prepares the data."""
    ledger.issuer_key()  # the key file exists before the children read it
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "drec.settings_test",
        "DREC_TEST_DATABASE": connection.settings_dict["NAME"],
        "DREC_TEST_LEDGER_KEY": str(settings.DREC_LEDGER_KEY_FILE),
        "DREC_TEST_NOW": NOW.isoformat(),
        **{key: str(value) for key, value in environment.items()},
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def expect_line(process: subprocess.Popen, expected: str) -> None:
    line = process.stdout.readline()
    assert line.strip() == expected, (line, process.stderr.read() if process.poll() is not None else "")


def go(*processes: subprocess.Popen) -> None:
    for process in processes:
        expect_line(process, "READY")
    for process in processes:
        process.stdin.write("GO\n")
        process.stdin.flush()


def finished(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def no_other_backends(timeout: float = 10) -> None:
    """Wait until no other session is connected to the test database (a killed child's
    backend has rolled back its transaction and released its locks)."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            if cursor.fetchone()[0] == 0:
                return
        assert time.monotonic() < deadline, "the killed run's session is still there"
        time.sleep(0.05)


def test_two_runs_started_together_issue_each_certificate_once(developer, buyer):
    first, second = spawn(), spawn()
    scenario(developer, buyer)
    expected = single_run_result()

    go(first, second)
    results = [finished(first), finished(second)]

    # They ran at the same time, and between them issued what one run issues, once.
    assert results[0]["started"] < results[1]["ended"]
    assert results[1]["started"] < results[0]["ended"]
    assert results[0]["issued"] + results[1]["issued"] == 117
    assert snapshot() == expected
    assert_issuance_consistent(exact_carry=False)
    assert LedgerEntry.objects.count() == Certificate.objects.count() == 117
    # Nothing left for a third run.
    assert certificates_issue_due(now=NOW) == 0


def test_a_run_whose_plan_another_process_issued_replans_and_issues_nothing_twice(developer, buyer):
    """The database, not the run's own bookkeeping, keeps a read from being certified twice:
    a run (without the one-run-per-reservation lock) that planned before another process
    issued the same reads finds its certificate refused as a second link of the chain, plans
    again, and finds nothing left."""
    stale = spawn(DREC_TEST_STALE=1)
    scenario(developer, buyer)
    expected = single_run_result()

    go(stale)
    expect_line(stale, "PLANNED")  # its first reservation planned, nothing written
    assert certificates_issue_due(now=NOW) == 117  # the other run
    stale.stdin.write("GO\n")
    stale.stdin.flush()
    result = finished(stale)

    assert result["issued"] == 0
    assert result["replans"] == 1
    assert snapshot() == expected
    assert_issuance_consistent(exact_carry=False)


def test_a_run_killed_mid_batch_leaves_whole_certificates_and_the_next_completes(developer, buyer):
    run = spawn(DREC_TEST_HANG_AFTER=3, DREC_TEST_BATCH=10)
    scenario(developer, buyer)
    expected = single_run_result()

    # Batches of ten certificates: the run hangs inside the transaction of its fourth batch
    # (its certificates and contributions written, their ledger entries not yet), and is
    # killed there.
    go(run)
    line = run.stdout.readline().split()
    assert line[0] == "HANGING", (line, run.stderr.read() if run.poll() is not None else "")
    committed = int(line[1])
    assert 0 < committed < 117
    assert Certificate.objects.count() == committed  # the fourth batch is not committed
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    no_other_backends()

    # Only whole certificates: each with its contributions and its one signed entry.
    assert Certificate.objects.count() == committed
    assert LedgerEntry.objects.count() == committed
    assert_issuance_consistent(exact_carry=False)
    assert ledger.chain_verify() == (committed, None)

    # The next run completes the rest: the same result as an uninterrupted run.
    assert certificates_issue_due(now=NOW) == 117 - committed
    assert snapshot() == expected
    assert_issuance_consistent(exact_carry=False)


def test_two_claims_at_once_never_claim_more_than_the_certificate(developer, buyer):
    device = device_reading(developer, "CLAIMED", count=24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily")
    certificates_issue_due(now=T0 + DAY)
    certificate = reservation.certificates.get()  # 7000 Wh
    outcomes: list = []
    start = threading.Barrier(2)

    def claim() -> None:
        try:
            start.wait(timeout=10)
            claim_create(acting_user=buyer, certificate=certificate, request=claim_request(5000))
            outcomes.append("claimed")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["claimed", "conflict"]
    certificate.refresh_from_db()
    assert certificate.claimed_wh == 5000
    assert Claim.objects.count() == 1
    assert ledger.chain_verify() == (2, None)

"""Spending the same unclaimed Wh twice at once (SPEC §13): two requests, each in its own
process against the real PostgreSQL, each spending 8,000 of a certificate's 12,000 Wh
(transfer against claim, claim against transfer, transfer against transfer): exactly one
succeeds (201), the other is refused (409), and the holders' volumes still add up to the
certificate's; the ledger verifies.

Each child process is a small Django script using the test database (its name passed in the
environment), the test run's issuer key and a real access token of the buyer; it prints
READY once set up and posts its request when told GO. The first request is held inside its
transaction (the certificate and its holdings locked, its holding already spent, its ledger
entry not yet appended) until the second request is seen waiting for a lock; only then does
the first go on and commit. So the two requests overlap where it matters: a missing lock
shows as two successes rather than as a lucky order.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from certificates import ledger
from certificates.models import Certificate, Claim, Holding, LedgerEntry, Transfer
from organizations.models import OrganizationType
from tests.certificates.helpers import DAY, T0, device_reading, issue, reservation_make
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
CLAIM_URL = "/api/certificate-log/claim"
TRANSFER_URL = "/api/certificate-log/transfer"

CHILD = r"""
import json, os, sys

from django.conf import settings

settings.DATABASES["default"]["NAME"] = os.environ["DREC_TEST_DATABASE"]
settings.DREC_LEDGER_KEY_FILE = os.environ["DREC_TEST_LEDGER_KEY"]
settings.DREC_JWT_SECRET = os.environ["DREC_TEST_JWT_SECRET"]
import django

django.setup()
from rest_framework.test import APIClient

from certificates import ledger

if os.environ.get("DREC_TEST_HOLD"):
    append = ledger.append

    def held_append(**kwargs):
        # Inside the request's transaction: the certificate and holdings are locked and the
        # holding spent; hold them until the test says go on.
        print("HOLDING", flush=True)
        sys.stdin.readline()
        return append(**kwargs)

    ledger.append = held_append
client = APIClient()
client.credentials(HTTP_AUTHORIZATION="Bearer " + os.environ["DREC_TEST_TOKEN"])
print("READY", flush=True)
sys.stdin.readline()
response = client.post(os.environ["DREC_TEST_URL"], json.loads(os.environ["DREC_TEST_BODY"]), format="json")
print(json.dumps({"status": response.status_code, "body": response.json()}), flush=True)
"""


def spawn(token: str, url: str, body: dict, *, hold: bool = False) -> subprocess.Popen:
    """A child process that will post ``body`` to ``url`` as the token's user."""
    ledger.issuer_key()  # the key file exists before the children read it
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "drec.settings_test",
        "DREC_TEST_DATABASE": connection.settings_dict["NAME"],
        "DREC_TEST_LEDGER_KEY": str(settings.DREC_LEDGER_KEY_FILE),
        "DREC_TEST_JWT_SECRET": settings.DREC_JWT_SECRET,
        "DREC_TEST_TOKEN": token,
        "DREC_TEST_URL": url,
        "DREC_TEST_BODY": json.dumps(body),
    }
    if hold:
        env["DREC_TEST_HOLD"] = "1"
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


def tell(process: subprocess.Popen) -> None:
    process.stdin.write("GO\n")
    process.stdin.flush()


def finished(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def lock_waiters() -> list[str]:
    """The queries of the other sessions on the test database waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return [row[0] for row in cursor.fetchall()]


def wait_until_blocked(process: subprocess.Popen, timeout: float = 20) -> list[str]:
    """Wait until a session waits for a lock (the second request, blocked by the first), or
    the second process ends (nothing held it back); the waiting queries."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        waiting = lock_waiters()
        if waiting:
            return waiting
        assert time.monotonic() < deadline, "the second request neither waits for a lock nor ends"
        time.sleep(0.02)
    return []


def claim_body(certificate: Certificate, amount: int) -> dict:
    return {
        "certificateId": certificate.pk,
        "amount": amount,
        "beneficiary": "Village school",
        "location": "Pune, India",
        "countryCode": "IND",
        "periodStartDate": "2026-03-01T00:00:00Z",
        "periodEndDate": "2026-03-31T23:59:59Z",
        "purpose": "Scope 2 reporting",
    }


def transfer_body(certificate: Certificate, amount: int, receiver) -> dict:
    return {"certificateId": certificate.pk, "amount": amount, "toOrganizationId": receiver.pk}


@pytest.fixture
def contested(developer, buyer):
    """One certificate of 12,000 Wh (24 reads of 500 Wh in a day), held whole by Green Buyers;
    two other Buyer organizations to receive transfers."""
    device = device_reading(developer, "RACE", count=24, value=500)
    reservation = reservation_make(buyer, [device], frequency="daily")
    assert issue(reservation, T0 + DAY) == [12000]
    certificate = reservation.certificates.get()
    receivers = [
        OrganizationFactory(name=name, organization_type=OrganizationType.BUYER)
        for name in ("Receiver One", "Receiver Two")
    ]
    return certificate, receivers


def request_for(kind: str, certificate: Certificate, receiver) -> tuple[str, dict]:
    if kind == "claim":
        return CLAIM_URL, claim_body(certificate, 8000)
    return TRANSFER_URL, transfer_body(certificate, 8000, receiver)


@pytest.mark.parametrize(
    ("first_kind", "second_kind"),
    [("transfer", "claim"), ("claim", "transfer"), ("transfer", "transfer")],
)
def test_two_requests_spending_the_same_wh_at_once_one_succeeds_one_is_409(
    contested, buyer, token_for, client_for, first_kind, second_kind
):
    certificate, (one, two) = contested
    first = spawn(token_for(buyer), *request_for(first_kind, certificate, one), hold=True)
    second = spawn(token_for(buyer), *request_for(second_kind, certificate, two))
    expect_line(first, "READY")
    expect_line(second, "READY")
    assert lock_waiters() == []

    # The first request spends 8,000 Wh and stays in its transaction, locks held.
    tell(first)
    expect_line(first, "HOLDING")
    # The second starts meanwhile and must wait for those locks.
    tell(second)
    waiting = wait_until_blocked(second)
    assert len(waiting) == 1, waiting
    tell(first)  # the first appends its entry and commits; the second goes on
    results = [finished(first), finished(second)]

    assert [result["status"] for result in results] == [201, 409], results
    refusal = results[1]["body"]
    assert (refusal["success"], refusal["statusCode"]) == (False, 409)
    assert "amount" in refusal["errors"]
    assert "4000 Wh" in refusal["message"]  # what the buyer held once the first was done

    # Only the first request's effects: 8,000 Wh claimed or with Receiver One, 4,000 left.
    buyer_org = buyer.organization
    expected = {buyer_org.pk: (4000, 8000 if first_kind == "claim" else 0)}
    if first_kind == "transfer":
        expected[one.pk] = (8000, 0)
    holdings = Holding.objects.filter(certificate=certificate)
    assert {h.organization_id: (h.held_wh, h.claimed_wh) for h in holdings} == expected
    certificate.refresh_from_db()
    assert (certificate.claimed_wh, certificate.withdrawn_wh) == (8000 if first_kind == "claim" else 0, 0)
    totals = holdings.aggregate(held=Sum("held_wh"), claimed=Sum("claimed_wh"))
    assert totals["held"] + totals["claimed"] + certificate.withdrawn_wh == certificate.energy_wh == 12000
    assert Claim.objects.count() == (1 if first_kind == "claim" else 0)
    assert list(Transfer.objects.values_list("receiver", "amount_wh")) == (
        [(one.pk, 8000)] if first_kind == "transfer" else []
    )
    assert list(LedgerEntry.objects.order_by("index").values_list("kind", flat=True)) == ["issue", first_kind]
    assert ledger.chain_verify() == (2, None)

    # The certificate log's owners say the same.
    response = client_for(buyer).get(
        f"/api/certificate-log/issuer/certified/new/{certificate.reservation.uid}", format="json"
    )
    assert response.status_code == 200, response.content[:300]
    [logged] = response.json()["certificatelog"]
    owners = {ledger.account_of(buyer_org.pk): "4000"}
    if first_kind == "transfer":
        owners[ledger.account_of(one.pk)] = "8000"
    assert logged["owners"] == owners

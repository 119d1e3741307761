"""A database too slow to answer (issue 20): while another session holds the meter-reads table,
a batch of reads posted to gunicorn answers a JSON 503 with ``Retry-After`` once its statement
reaches the API's ``statement_timeout``, instead of holding a web worker until the lock goes,
and stores nothing; the health check, whose statements do not wait on that table, stays at 200;
and the same batch is stored once the lock is released, on the same server."""

import json
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import TokenKind
from accounts.services import access_token_issue
from devices.benchmarks import _organization, bench_device
from reads.models import MeterRead
from tests.faults.web import call, production_server, unavailable

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TIMEOUT_MS = 500
HELD_SECONDS = 20


def history(day: int) -> str:
    """A day of hourly History reads, ``day`` days before the device was onboarded."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=day + 1)
    reads = [
        {"starttimestamp": (start + timedelta(hours=h)).isoformat(), "value": 1000}
        | {"endtimestamp": (start + timedelta(hours=h + 1)).isoformat()}
        for h in range(24)
    ]
    return json.dumps({"type": "History", "unit": "Wh", "reads": reads})


def test_a_statement_past_the_timeout_answers_503_and_frees_the_worker():
    organization, user = _organization("Slow")
    bench_device(organization, "SLOW-1")
    token, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
    database = connection.settings_dict
    path = "/api/meter-reads/new/SLOW-1"

    with production_server(DREC_API_STATEMENT_TIMEOUT_MS=str(TIMEOUT_MS)) as base:
        assert call(base, "POST", path, token=token, body=history(10))[0].status == 201
        with psycopg.connect(dbname=database["NAME"], host=database["HOST"], user=database["USER"]) as other:
            other.execute("LOCK TABLE reads_meterread IN ACCESS EXCLUSIVE MODE")
            locked = time.monotonic()
            # More than the server's threads would hold if each waited for the lock.
            answers = [call(base, "POST", path, token=token, body=history(day)) for day in range(4)]
            waited = time.monotonic() - locked
            health, health_body = call(base, "GET", "/api/health")
            other.rollback()
        after, after_body = call(base, "POST", path, token=token, body=history(0))

    print(f"\n4 batches refused while the table was locked, in {waited:.2f} s (timeout {TIMEOUT_MS} ms each)")
    assert all(unavailable(response, body) for response, body in answers), [(r.status, b[:200]) for r, b in answers]
    assert {json.loads(body)["message"] for _response, body in answers} == {
        "The database took too long to answer this request. Try again later."
    }
    # Each waited about the timeout, not for the lock (held for HELD_SECONDS at least).
    assert waited < 4 * TIMEOUT_MS / 1000 + 5 < HELD_SECONDS
    assert health.status == 200, health_body
    # Nothing of the refused batches was stored; the same batch is stored after the lock.
    assert after.status == 201, after_body
    assert MeterRead.objects.count() == 48

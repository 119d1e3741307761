"""A request whose statement runs past its class's ``statement_timeout`` (here: waiting for a
lock another session holds on the devices table) answers 503 with ``Retry-After`` in both doors
instead of holding a web worker; each class of request gets its own limit. The fault suite
(tests/faults/) shows the same with the database server stopped and with gunicorn."""

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection
from django.test import override_settings

from drec.errors import DATABASE_RETRY_AFTER_SECONDS

pytestmark = pytest.mark.django_db

QUICK = {"health": 300, "api": 300, "portal": 300, "admin": 300}


@pytest.fixture
def devices_locked() -> Iterator[None]:
    """Another session holds the devices table, as a long migration or a stuck transaction
    would: every statement reading it waits, for ten seconds (without a timeout a request
    would answer after those, and the tests below would fail rather than hang)."""
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"], host=settings_dict["HOST"], user=settings_dict["USER"], port=settings_dict["PORT"]
    )
    release = threading.Timer(10, other.rollback)
    try:
        # However this test ends, PostgreSQL ends the lock's session once idle for 20 s.
        other.execute("SET idle_in_transaction_session_timeout = '20s'")
        other.execute("LOCK TABLE devices_device IN ACCESS EXCLUSIVE MODE")
        release.start()
        yield
    finally:
        release.cancel()
        other.rollback()
        other.close()


def timed(call) -> tuple[float, object]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


@override_settings(DREC_STATEMENT_TIMEOUT_MS=QUICK)
def test_an_api_request_past_its_statement_timeout_answers_503_with_retry_after(
    client_for, developer_admin, devices_locked
):
    seconds, response = timed(lambda: client_for(developer_admin).get("/api/device/my"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert response.json() == {
        "success": False,
        "statusCode": 503,
        "error": "Service Unavailable",
        "message": "The database took too long to answer this request. Try again later.",
    }
    # Only the timeout ended the wait: the lock is held for ten seconds.
    assert seconds < 5


@override_settings(DREC_STATEMENT_TIMEOUT_MS=QUICK)
def test_a_portal_page_past_its_statement_timeout_answers_the_503_page(client, developer_admin, devices_locked):
    client.force_login(developer_admin)
    client.raise_request_exception = False
    seconds, response = timed(lambda: client.get("/device/AllList"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "Briefly unavailable" in page
    assert "took too long to answer" in page
    assert seconds < 5


def statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@override_settings(DREC_STATEMENT_TIMEOUT_MS={"health": 1500, "api": 2500, "portal": 3500, "admin": 4500})
def test_each_class_of_request_gets_its_own_statement_timeout(client, client_for, developer_admin, admin_user):
    client.get("/api/health")
    assert statement_timeout() == "1500ms"
    client_for(developer_admin).get("/api/device/my")
    assert statement_timeout() == "2500ms"
    client.force_login(developer_admin)
    client.get("/device/AllList")
    assert statement_timeout() == "3500ms"
    client.force_login(admin_user)
    client.get("/django-admin/")
    assert statement_timeout() == "4500ms"

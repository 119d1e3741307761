"""When the code lists change: a number each process keeps, the *generation*, which anything
prepared from the code lists (devices.lookups' answers, devices.codes' lookups) is stamped
with and must match to be reused.

It moves on when this process or any other changes a code list:

- **in this process at once**: saving or deleting a code-list row through the ORM (the signals
  connected in devices/apps.py), even inside a transaction not yet committed (a test's, an
  admin form's), and :func:`code_lists_changed` called directly (``code_lists_clear``);
- **in every process**: statement triggers on the code-list tables (migration 0004) send
  ``NOTIFY drec_code_lists`` for any write however it is made (the ORM, ``bulk_create``, data
  migrations, ``manage.py seed``, psql), and PostgreSQL delivers it when the transaction
  commits. Each process LISTENs on one connection of its own and reads what has arrived
  before it reuses anything (:func:`code_lists_generation`): reading the socket is not a
  query, so a prepared answer is served without asking the database anything, and a change
  made by another gunicorn process, worker or host is seen as soon as its commit's notice
  has arrived (on the same machine, well under a millisecond).

Why not a version number in Django's cache: the shared cache is the database here, so every
request would pay a query to read it (measured: half the rate of a prepared code list).

A (re)opened listening connection moves the generation on too, since notices sent while
nothing listened are lost. If notices are lost silently all the same (a connection pooler in
transaction mode between the process and PostgreSQL, which cannot keep a LISTEN), what was
prepared still expires after devices.lookups.REBUILD_SECONDS.

This module imports no model, so that devices/apps.py can connect its signals.
"""

import contextlib
import logging
import os
import threading
import time
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

CHANNEL = "drec_code_lists"
# The code-list models: their rows are what the lists answer (apps.py connects their signals).
CODE_LIST_MODELS = ("Country", "FuelType", "DeviceType", "OffTaker", "DeviceDescription", "SdgBenefit")
# After a failed attempt to listen, the next one waits this long (no connection storm while
# the database refuses connections); meanwhile nothing prepared is reused.
LISTEN_RETRY_SECONDS = 5.0


class _Notices:
    """This process's generation and its listening connection (one for all its threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.connection: psycopg.Connection[Any] | None = None
        self.pid = os.getpid()
        self.retry_at = 0.0


_notices = _Notices()


def code_lists_changed(**_signal: object) -> None:
    """A code list changed (or may have): nothing prepared before is reused. A signal receiver
    too (post_save, post_delete of the code-list models)."""
    with _notices.lock:
        _notices.generation += 1


def code_lists_generation_peek() -> int:
    """The generation as this process knows it, without reading notices (for the validation
    lookups of devices.codes, which may be a minute old: they also expire)."""
    return _notices.generation


def code_lists_generation() -> int | None:
    """The generation once the notices that have arrived are read; None while this process
    cannot listen (then nothing prepared may be reused: build it afresh)."""
    with _notices.lock:
        if _notices.pid != os.getpid():
            # A connection inherited through fork is the parent's: leave it alone, open our own.
            _notices.connection, _notices.pid = None, os.getpid()
        if _notices.connection is None and time.monotonic() >= _notices.retry_at:
            _listen()
        if _notices.connection is None:
            return None
        try:
            if any(notice.channel == CHANNEL for notice in _notices.connection.notifies(timeout=0)):
                _notices.generation += 1
        except psycopg.Error:
            logger.warning("Lost the connection listening for code-list changes; listening again.")
            _close()
            _notices.generation += 1
            return None
        return _notices.generation


def code_list_notices_stop() -> None:
    """Stop listening (the test suite does before dropping its database); the next
    :func:`code_lists_generation` listens again."""
    with _notices.lock:
        _close()


def _listen() -> None:
    """LISTEN on a connection of this process's own (autocommit: a LISTEN inside a
    transaction would wait for its end), to the database code lists are written to."""
    params = connections[DEFAULT_DB_ALIAS].get_connection_params()
    try:
        # TCP keepalives: a peer that vanished without closing is noticed within a minute.
        keepalives = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
        connection = psycopg.connect(**{**keepalives, **params}, autocommit=True)
        connection.execute(f"LISTEN {CHANNEL}")
    except psycopg.Error as error:
        logger.warning("Cannot listen for code-list changes (%s); code lists are built for each request.", error)
        _notices.retry_at = time.monotonic() + LISTEN_RETRY_SECONDS
        return
    _notices.connection = connection
    _notices.generation += 1  # notices sent while nothing listened are lost


def _close() -> None:
    if _notices.connection is not None:
        with contextlib.suppress(psycopg.Error):
            _notices.connection.close()
        _notices.connection = None

"""gunicorn as in production, for the fault suite, and plain HTTP requests to it."""

import atexit
import functools
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from drec.bench import server

SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "drec.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DREC_Q_SYNC": "1",
}


@functools.cache
def _static_root() -> str:
    """The static files collected as a deployment collects them (the production settings serve
    them through WhiteNoise's manifest; a page cannot render without it), once per test run."""
    root = tempfile.mkdtemp(prefix="drec-static-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **SETTINGS, "DJANGO_STATIC_ROOT": root},
        check=True,
    )
    return root


@contextmanager
def production_server(**env: str) -> Iterator[str]:
    """gunicorn on the test database with the production settings (drec.settings, not the
    tests': persistent connections with health checks, DEBUG off, collected static files),
    tasks inline; it accepts the access tokens this process issues (the same JWT secret).
    ``env``: more settings."""
    production = {**SETTINGS, "DJANGO_STATIC_ROOT": _static_root(), "DREC_JWT_SECRET": settings.DREC_JWT_SECRET}
    with server(workers=2, threads=4, env=production | env) as base:
        yield base


def call(
    base: str, method: str, path: str, *, token: str | None = None, body: str | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    """One request on a connection of its own: the response (read) and its body."""
    host, port = base.removeprefix("http://").split(":")
    client = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        client.request(method, path, body, headers)
        response = client.getresponse()
        return response, response.read()
    finally:
        client.close()


def unavailable(response: http.client.HTTPResponse, body: bytes) -> bool:
    """A 503 of SPEC §9 a client can act on: the JSON body naming the database, and a
    positive ``Retry-After``."""
    if response.status != 503 or response.getheader("Content-Type", "") != "application/json":
        return False
    payload = json.loads(body)
    retry_after = response.getheader("Retry-After") or ""
    return (
        payload["success"] is False
        and payload["statusCode"] == 503
        and "database" in payload["message"]
        and retry_after.isdigit()
        and int(retry_after) > 0
    )

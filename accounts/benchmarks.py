"""Benchmarks of accounts (SPEC §12): password login under load.

Run alone: ``manage.py bench --only "login load"`` (``--scale 0.1`` for a quick try).
"""

import json
import urllib.error
import urllib.request

from django.contrib.auth.hashers import identify_hasher

from devices.benchmarks import _organization
from drec.bench import Benchmark, Result, load_result, server, server_shape, wrk

PASSWORD = "Bench-Login-2026"  # noqa: S105 (the benchmark's own throwaway account)
# Every request of wrk comes from one address, which DREC_THROTTLE_LOGIN (30/min per address)
# would answer 429 after the first 30. Per second rather than per minute: DRF keeps one
# timestamp per request of the period, so this list stays as short as production's.
THROTTLE = "100000/s"
# SPEC §12: OWASP's recommended minimum for argon2id.
OWASP_MEMORY_KIB, OWASP_TIME_COST, OWASP_PARALLELISM = 19_456, 2, 1


def password_hash_strength(encoded: str) -> tuple[str, bool]:
    """How ``encoded`` was hashed, for the table (``argon2id m=19456,t=2,p=1``), and whether it
    is at least OWASP's minimum for argon2id: a figure measured with a cheaper hash (the test
    settings' MD5) must not meet the goal."""
    hasher = identify_hasher(encoded)
    decoded = hasher.decode(encoded)
    algorithm = str(hasher.algorithm)
    if algorithm != "argon2":
        iterations = decoded.get("iterations")
        return (f"{algorithm} {iterations:,} iterations" if iterations else algorithm), False
    memory, time_cost, parallelism = decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]
    strong = (
        decoded["variety"] == "argon2id"
        and memory >= OWASP_MEMORY_KIB
        and time_cost >= OWASP_TIME_COST
        and parallelism == OWASP_PARALLELISM
    )
    return f"{decoded['variety']} m={memory},t={time_cost},p={parallelism}", strong


def _sign_in_once(base: str, body: bytes) -> None:
    """One login before the load: the benchmark measures sign-ins, not 401s or 429s."""
    request = urllib.request.Request(  # noqa: S310 (our local server)
        f"{base}/api/auth/login", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our local server)
            if "accessToken" not in json.load(response):
                raise RuntimeError("The bench account's login answered no access token.")
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"The bench account cannot log in: {error.code} {error.read()[:200]!r}") from error


def login_load(scale: float = 1.0) -> list[Result]:
    """SPEC §12: ``POST /api/auth/login`` with a JSON body under 50 concurrent connections (wrk)
    against gunicorn, for 60 s, as an organization admin whose password is hashed by the first
    of PASSWORD_HASHERS (argon2id with production settings). Every login verifies the hash and
    issues an access token, as a client's login does."""
    _organization_made, user = _organization("Bench login", password=PASSWORD)
    body = json.dumps({"username": user.email, "password": PASSWORD})
    seconds = max(5, int(60 * scale))
    with server(env={"DREC_THROTTLE_LOGIN": THROTTLE}) as base:
        _sign_in_once(base, body.encode())
        figures = wrk(f"{base}/api/auth/login", method="POST", body=body, connections=50, seconds=seconds)
    user.refresh_from_db(fields=["password"])
    hashed, strong = password_hash_strength(user.password)
    return [
        load_result(
            f"POST /api/auth/login ({hashed}), 50 connections, {seconds} s ({server_shape()}; "
            f"DREC_THROTTLE_LOGIN={THROTTLE} for this server: all of wrk's requests come from one address)",
            figures,
            goal="≥ 46 req/s (the original: ≈ 23), argon2id ≥ m=19456,t=2,p=1, 0 errors",
            least_rate=46,
            met=strong,
        )
    ]


BENCHMARKS = [Benchmark("login load", login_load)]

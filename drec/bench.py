"""The benchmark harness of `make bench`: each app lists its benchmarks in
``<app>/benchmarks.py: BENCHMARKS`` and ``manage.py bench`` runs them and prints one table.

A benchmark builds its own data in the throwaway database of scripts/bench.sh and returns
``Result`` rows; figures are compared with a goal where SPEC §12 sets one.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from django.conf import settings
from django.db import connection


@dataclass
class Result:
    name: str
    figure: str
    goal: str = ""
    met: bool | None = None  # None: a reference figure, no goal


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[..., list[Result]]
    # Part of the scale tier (``--scale`` above 1): what grows with the data. The endpoints'
    # load, login and ingestion rows do not, and the tier leaves them out.
    tier: bool = False


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` in seconds."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def table(results: list[Result]) -> str:
    rows = [("Benchmark", "Result", "Goal", "")]
    for result in results:
        verdict = "" if result.met is None else ("met" if result.met else "MISSED")
        rows.append((result.name, result.figure, result.goal or "reference", verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


# --- Load: a real server and a real load generator ----------------------------------------

WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": %d, "non2xx": %d, "p50": %.3f, "p95": %.3f, "p99": %.3f}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3))
end
"""


SERVER_WORKERS = int(os.environ.get("DREC_BENCH_WORKERS", "3"))
SERVER_THREADS = int(os.environ.get("DREC_BENCH_THREADS", "4"))


def server_shape() -> str:
    return f"gunicorn {SERVER_WORKERS} workers x {SERVER_THREADS} threads"


@contextmanager
def server(
    *, workers: int = SERVER_WORKERS, threads: int = SERVER_THREADS, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """gunicorn serving this project on a free local port, against this process's database;
    yields its base URL and stops it afterwards (DREC_BENCH_WORKERS, DREC_BENCH_THREADS).
    ``env``: settings of this server only, as environment variables (e.g. a lifted throttle)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    environment = {
        **os.environ,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    if environment.get("DATABASE_URL"):
        # The database this process uses (under pytest: the test database, not the URL's).
        url = urllib.parse.urlsplit(environment["DATABASE_URL"])
        environment["DATABASE_URL"] = url._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    process = subprocess.Popen(  # noqa: S603 (our own executable and arguments)
        [str(gunicorn), "drec.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--worker-class", "gthread", "--log-level", "warning"],
        cwd=settings.BASE_DIR,
        env=environment,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2):  # noqa: S310 (local)
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


class WrkFigures(TypedDict):
    """What :data:`WRK_REPORT` prints: counts, the run's length in seconds, latencies in ms."""

    requests: int
    seconds: float
    errors: int
    non2xx: int
    p50: float
    p95: float
    p99: float


def load_result(
    label: str, figures: WrkFigures, *, goal: str, least_rate: float, most_p99: float | None = None, met: bool = True
) -> Result:
    """A load benchmark's row: rate and latencies from wrk, met when the rate reaches
    ``least_rate`` with no errors (and p99 ≤ ``most_p99`` ms when given, and ``met``, the row's
    own further condition)."""
    rate = figures["requests"] / figures["seconds"]
    errors = figures["errors"] + figures["non2xx"]
    met = met and rate >= least_rate and errors == 0 and (most_p99 is None or figures["p99"] <= most_p99)
    return Result(
        label,
        f"{rate:,.0f} req/s, p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, "
        f"p99 {figures['p99']:.0f} ms, {errors} errors ({figures['requests']:,} requests)",
        goal=goal,
        met=met,
    )


def lua_string(text: str) -> str:
    """``text`` as a Lua string literal: printable ASCII as is, every other byte (and quotes and
    backslashes) as a decimal escape, which every Lua and LuaJIT reads the same way."""
    escaped = (chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\{byte:03d}" for byte in text.encode())
    return '"' + "".join(escaped) + '"'


def wrk(
    url: str,
    *,
    token: str | None = None,
    connections: int,
    seconds: int,
    threads: int = 2,
    method: str = "GET",
    body: str | None = None,
    content_type: str = "application/json",
) -> WrkFigures:
    """Run wrk against ``url`` (with a bearer ``token`` when given; a ``body`` is sent with
    ``content_type``, by ``method``); its figures (latencies in ms). wrk takes a method and a
    body only from a script, so they go into the one that reports the figures."""

    executable = shutil.which("wrk")
    if executable is None:
        raise RuntimeError("wrk is missing: install Debian's 'wrk' package (scripts/bench.sh does as root)")
    request = f"wrk.method = {lua_string(method)}\n"
    if body is not None:
        request += f'wrk.body = {lua_string(body)}\nwrk.headers["Content-Type"] = {lua_string(content_type)}\n'
    headers = ["-H", f"Authorization: Bearer {token}"] if token is not None else []
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(request + WRK_REPORT)
        script.flush()
        result = subprocess.run(  # noqa: S603 (wrk with our arguments)
            [executable, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
             *headers, "-s", script.name, url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    figures: WrkFigures = json.loads(result.stdout.strip().splitlines()[-1])
    return figures

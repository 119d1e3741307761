"""Benchmark of scale-out (SPEC §12, issue 17): two web processes and django-q2 task workers on
a Redis broker (Debian's ``redis-server``, started here) issue the same reservations, first with
one task worker, then with two, each on its own copy of the same data (the ledger is append-only:
nothing issued can be taken back). Two workers must issue ≥ 1.6x what one does, and every
certificate exactly once.

No endpoint queues one reservation's issuance (``POST /api/drec-issuer/run`` issues every due
reservation in the web process itself), so the tasks are queued here, on the Redis broker:
``certificates.services.reservation_issue`` for each reservation, twice (adjacent, so that the
copy meets the first while it runs: the reservation's lock makes one of them issue, the other
nothing). The clock runs from the first task queued to the last certificate committed. Then
both web processes run ``drec-issuer/run`` together, as the super admin: nothing more is issued.
A tenth as much is issued first, in this process, so that neither clocked run is the first on
empty tables, and the tables issuance uses are analyzed before each.

Beside the figure, where the time went: CPU seconds of the task workers (each qcluster's
processes), of PostgreSQL (the postmaster's) and of the rest of the machine (this process,
redis-server, anything else running) during each clocked run.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf
from django_q.models import Task
from django_q.status import Stat
from django_q.tasks import async_task

from certificates import ledger
from certificates.models import Carry, Certificate, Contribution
from certificates.services import reservation_issue
from devices.benchmarks import _organization, bench_device
from devices.models import Device
from drec.bench import Result, server, stopwatch
from organizations.models import Organization, OrganizationType
from reads.services import COPY_COLUMNS
from reservations.models import Reservation, ReservationDevice

# Small reservations over a year: a certificate a day each, so that one worker issues for about
# 15 s from 1.75 million reads a copy (large reservations over weeks need about four times the
# reads for as many seconds), in forty tasks that spread evenly over two workers.
RESERVATIONS = 40
DEVICES = 5  # per reservation
DAYS = 365  # of hourly reads, in daily windows
HOURLY_WH = 400
# The redis-server of the benchmark (README "Scaling out"): local, no persistence.
REDIS_ARGUMENTS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
# Each web process: one gunicorn worker (they only answer the health checks and the final runs).
WEB_WORKERS, WEB_THREADS = 1, 4
TASK = "certificates.services.reservation_issue"
DEADLINE = 900  # seconds a run may take before the benchmark gives up


@dataclass
class Workload:
    """One copy of the data: the reservations and what their issuance must come to."""

    reservations: list[int]
    now: datetime  # every window of the reads has closed
    certificates: int  # expected, all reservations together


@dataclass
class Run:
    seconds: float
    workers_cpu: float
    postgres_cpu: float
    busy_cpu: float  # the whole machine's


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _devices(organization: Organization, count: int, onboarded: datetime) -> list[Device]:
    """``count`` devices, registered through the service, onboarded at ``onboarded`` (as
    certificates.benchmarks makes them; it registers this module, which cannot import it)."""
    ids = [
        bench_device(organization, f"SCALE-{number:05d}", commissioning_date=onboarded - timedelta(days=30)).pk
        for number in range(count)
    ]
    Device.objects.filter(pk__in=ids).update(created_at=onboarded, meter_read_type="Delta")
    return list(Device.objects.filter(pk__in=ids).order_by("pk"))


def _reads(devices: list[Device], start: datetime, hours: int) -> None:
    """Each device: a baseline read ending at ``start``, then ``hours`` hourly reads of
    ``HOURLY_WH``, one chain (COPY as text: every device's rows are the same but for its id)."""
    now = timezone.now().isoformat()
    ends = [start + timedelta(hours=hour) for hour in range(hours + 1)]
    rows = [f"\tDelta\t{ends[0] - timedelta(hours=1)}\t{ends[0]}\t{HOURLY_WH}\t\\N\tt\t{now}\n"] + [
        f"\tDelta\t{ends[hour]}\t{ends[hour + 1]}\t{HOURLY_WH}\t\\N\tf\t{now}\n" for hour in range(hours)
    ]
    template = "{id}" + "{id}".join(rows)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY reads_meterread ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for device in devices:
            copy.write(template.replace("{id}", str(device.pk)))


def _workload(label: str, *, reservations: int, devices: int, days: int) -> Workload:
    """``reservations`` of ``devices`` devices each, every device with ``days`` of hourly reads
    (COPY) ending five days ago, in daily windows."""
    start = (datetime.now(UTC) - timedelta(days=days + 5)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=days)
    developer, _user = _organization(f"Bench scale-out {label}")
    buyer = Organization.objects.create(
        name=f"Bench scale-out buyer {uuid.uuid4().hex[:8]}",
        organization_type=OrganizationType.BUYER,
        org_email="b@example.com",
    )
    members = _devices(developer, reservations * devices, start - timedelta(hours=1))
    _reads(members, start, days * 24)
    ids = []
    for number in range(reservations):
        reservation = Reservation.objects.create(
            name=f"Bench scale-out {label} {number}",
            organization=buyer,
            start=start,
            end=end + timedelta(days=days),  # still active: the issuance is the windows' alone
            expiry=end + timedelta(days=2 * days),
            frequency="daily",
            target_wh=10**15,
            authority_to_exceed=True,
        )
        ReservationDevice.objects.bulk_create(
            [
                ReservationDevice(reservation=reservation, device=device, covers_from=start)
                for device in members[number * devices : (number + 1) * devices]
            ]
        )
        ids.append(reservation.pk)
    return Workload(reservations=ids, now=end, certificates=reservations * days)


# --- Processes ---------------------------------------------------------------------------------


def _log_tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Debian's redis-server on a free local port, without persistence, working in
    ``directory``; yields its URL and stops it afterwards."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is missing: install Debian's 'redis-server' (scripts/bench.sh does as root)")
    port = _free_port()
    log = directory / "redis.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (Debian's redis-server, our arguments)
            [executable, "--port", str(port), *REDIS_ARGUMENTS, "--dir", str(directory)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{_log_tail(log)}") from None
                time.sleep(0.1)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _shared(redis_url: str) -> dict[str, str]:
    """What every process of the benchmark shares: the Redis broker, real (not synchronous)
    tasks, and this process's issuer key, so that the whole ledger verifies with one public key
    (the test settings would give each process a key of its own)."""
    pem = ledger.issuer_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {"DREC_Q_REDIS_URL": redis_url, "DREC_Q_SYNC": "0", "DREC_LEDGER_PRIVATE_KEY": pem.decode()}


def _environment(redis_url: str, workers: int) -> dict[str, str]:
    """The settings of a qcluster process: those of :func:`_shared`, and this process's database
    (under pytest: the test database, not the URL's)."""
    environment = {
        **os.environ,
        **_shared(redis_url),
        "DREC_Q_WORKERS": str(workers),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    if environment.get("DATABASE_URL"):
        url = urllib.parse.urlsplit(environment["DATABASE_URL"])
        environment["DATABASE_URL"] = url._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    return environment


@contextmanager
def qcluster(environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``manage.py qcluster`` in its own process group, its output in ``log``; stopped (SIGTERM:
    it stops its workers) afterwards, and whatever of its group is left, killed."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        with suppress(ProcessLookupError):  # raised when the cluster stopped all of its processes
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


class _Broker(RedisBroker):
    """django-q2's Redis broker at ``url``, for this process (whose settings keep the ORM broker):
    the queue and the cluster statistics the qcluster processes use."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__()

    def get_connection(self, list_key: str | None = None) -> redis.Redis:
        return redis.Redis.from_url(self.url)


def _clusters_ready(broker: _Broker, clusters: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    """Wait until every cluster reports itself idle with its workers started."""
    pids = {process.pid for process in clusters}
    deadline = time.monotonic() + 60
    while True:
        _clusters_alive(clusters, logs)
        ready = {stat.pid for stat in Stat.get_all(broker=broker) if stat.status == Conf.IDLE and stat.workers}
        if pids <= ready:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("The qcluster processes did not start:\n" + "\n".join(map(_log_tail, logs)))
        time.sleep(0.2)


def _clusters_alive(clusters: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    for process, log in zip(clusters, logs, strict=True):
        if process.poll() is not None:
            raise RuntimeError(f"A qcluster process ended ({process.returncode}):\n{_log_tail(log)}")


# --- Where the time goes -----------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int) -> float:
    """CPU seconds of a process and its descendants so far, with those that ended (counted by
    the parent that waited for them)."""
    parents: dict[int, int] = {}
    spent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        spent[pid] = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return sum(spent.get(pid, 0) for pid in tree) / TICKS


def _busy_cpu() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS


def _postmaster() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


# --- The runs ----------------------------------------------------------------------------------


# What issuance reads and writes, besides the reads.
ANALYZE_SQL = (
    "ANALYZE certificates_certificate, certificates_contribution, certificates_ledgerentry, certificates_carry, "
    "reservations_reservation, reservations_reservationdevice"
)


def _issue(workload: Workload, *, redis_url: str, clusters: int, directory: Path, label: str, postmaster: int) -> Run:
    """Start ``clusters`` qcluster processes of one worker each, queue every reservation's
    issuance twice, and time it until the last certificate is committed. The clusters stop once
    the queue is empty: they finish the tasks they hold first."""
    broker = _Broker(redis_url)
    group = f"scale-out {label} {uuid.uuid4().hex[:8]}"
    logs = [directory / f"qcluster-{label}-{number}.log" for number in range(clusters)]
    with connection.cursor() as cursor:
        cursor.execute(ANALYZE_SQL)  # statistics as fresh for each run
    with ExitStack() as stack:
        processes = [stack.enter_context(qcluster(_environment(redis_url, 1), log)) for log in logs]
        _clusters_ready(broker, processes, logs)
        cpu = [_tree_cpu(p.pid) for p in processes], _tree_cpu(postmaster), _busy_cpu()
        started = time.perf_counter()
        for reservation_id in workload.reservations:
            for _copy in range(2):
                # save=False: django-q2 keeps no result (it would lock and read back every kept
                # result for each one it saves); a failure is kept all the same.
                async_task(
                    TASK,
                    reservation_id=reservation_id,
                    now=workload.now,
                    broker=broker,
                    group=group,
                    save=False,
                    sync=False,
                )
        while Certificate.objects.filter(reservation_id__in=workload.reservations).count() < workload.certificates:
            _running(processes, logs, group, started)
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        run = Run(
            seconds=seconds,
            workers_cpu=sum(_tree_cpu(p.pid) for p in processes) - sum(cpu[0]),
            postgres_cpu=_tree_cpu(postmaster) - cpu[1],
            busy_cpu=_busy_cpu() - cpu[2],
        )
        while broker.queue_size():  # the copies, still queued
            _running(processes, logs, group, started)
            time.sleep(0.05)
    for process, log in zip(processes, logs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"A qcluster did not stop cleanly ({process.returncode}):\n{_log_tail(log)}")
    _running([], [], group, started)
    return run


def _running(processes: list[subprocess.Popen[bytes]], logs: list[Path], group: str, started: float) -> None:
    """Raise when a cluster ended, a task failed, or the run takes too long."""
    _clusters_alive(processes, logs)
    failed = Task.objects.filter(group=group, success=False).first()
    if failed is not None:
        raise RuntimeError(f"A task failed: {failed.result}")
    if time.perf_counter() - started > DEADLINE:
        raise RuntimeError(f"The run did not end within {DEADLINE} s")


# Contributions that begin before the previous one of their device ends (a read certified twice).
OVERLAPPING_SQL = """
SELECT count(*) FROM (
    SELECT c.start, lag(c."end") OVER (PARTITION BY c.device_id ORDER BY c.start, c."end") AS previous_end
    FROM certificates_contribution c
    JOIN reservations_reservationdevice m ON m.id = c.membership_id
    WHERE m.reservation_id = ANY(%s)
) chain
WHERE start < previous_end
"""


def _exactly_once(workload: Workload, *, devices: int, days: int) -> None:
    """Per reservation: one certificate per window, one contribution per device and window, the
    reads' Wh all certified (contributions), and issued whole or carried (certificates, carries),
    each read by one contribution only."""
    ids = workload.reservations
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.reservation_id, sum(r.value_wh), count(*) FROM reads_meterread r "
            "JOIN reservations_reservationdevice m ON m.device_id = r.device_id "
            "WHERE m.reservation_id = ANY(%s) AND NOT r.is_baseline GROUP BY 1",
            [ids],
        )
        reads = {reservation: (int(wh), count) for reservation, wh, count in cursor.fetchall()}
        cursor.execute(OVERLAPPING_SQL, [ids])
        overlapping = cursor.fetchone()[0]
    certificates = {
        row["reservation_id"]: (row["count"], row["wh"])
        for row in Certificate.objects.filter(reservation_id__in=ids)
        .values("reservation_id")
        .annotate(count=Count("id"), wh=Sum("energy_wh"))
    }
    contributions = {
        row["membership__reservation_id"]: (row["count"], row["wh"], row["reads"])
        for row in Contribution.objects.filter(membership__reservation_id__in=ids)
        .values("membership__reservation_id")
        .annotate(count=Count("id"), wh=Sum("energy_wh"), reads=Sum("reads"))
    }
    carries = {
        row["reservation_id"]: row["wh"]
        for row in Carry.objects.filter(reservation_id__in=ids).values("reservation_id").annotate(wh=Sum("carry_wh"))
    }
    for reservation in ids:
        read_wh, read_count = reads[reservation]
        issued, issued_wh = certificates.get(reservation, (0, 0))
        links, certified_wh, certified_reads = contributions.get(reservation, (0, 0, 0))
        carried = carries.get(reservation, 0)
        expected = (days, devices * days, read_wh, read_count, read_wh)
        found = (issued, links, certified_wh, certified_reads, issued_wh + carried)
        if found != expected:
            raise RuntimeError(
                f"Reservation {reservation}: (certificates, contributions, certified Wh, certified reads, issued + "
                f"carried Wh) = {found}, expected {expected}"
            )
    if overlapping:
        raise RuntimeError(f"{overlapping} contributions certify reads another one of their device certified")


def _post_json(url: str, body: dict[str, str] | None = None, token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310 (local)
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 (our local server)
        answer: dict[str, object] = json.load(response)
    return answer


def _health(base: str) -> None:
    """The web process is up and its task queue is the Redis broker's (reachable)."""
    with urllib.request.urlopen(f"{base}/api/health", timeout=10) as response:  # noqa: S310 (local)
        answer = json.load(response)
    if answer.get("taskQueue") != "ok":
        raise RuntimeError(f"{base}: the task queue is not reachable: {answer}")


def scale_out(scale: float = 1.0) -> list[Result]:
    reservations, devices, days = RESERVATIONS, DEVICES, max(2, round(DAYS * scale))
    shape = f"{reservations} reservations x {devices} devices x {days} days of hourly reads, daily windows"
    one, two = (_workload(label, reservations=reservations, devices=devices, days=days) for label in ("1", "2"))
    # A tenth as much issued first, here: neither run is the first on empty tables (whose
    # statistics are refreshed half-way through it: it spent an eighth more CPU than the next).
    warm_up = _workload("warm-up", reservations=reservations, devices=devices, days=max(1, days // 10))
    for reservation_id in warm_up.reservations:
        reservation_issue(reservation_id=reservation_id, now=warm_up.now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reads_meterread")  # both copies alike, no autovacuum mid-run
    postmaster = _postmaster()
    with tempfile.TemporaryDirectory(prefix="drec-scale-out-") as temporary, ExitStack() as stack:
        directory = Path(temporary)
        redis_url = stack.enter_context(redis_server(directory))
        bases = [
            stack.enter_context(server(workers=WEB_WORKERS, threads=WEB_THREADS, env=_shared(redis_url)))
            for _web in range(2)
        ]
        for base in bases:
            _health(base)
        alone = _issue(one, redis_url=redis_url, clusters=1, directory=directory, label="1", postmaster=postmaster)
        pair = _issue(two, redis_url=redis_url, clusters=2, directory=directory, label="2", postmaster=postmaster)
        for workload in (one, two):
            _exactly_once(workload, devices=devices, days=days)
        # Both web processes, together, as the super admin: nothing more to issue.
        login = {"username": settings.DREC_ADMIN_EMAIL, "password": settings.DREC_ADMIN_PASSWORD or ""}
        token = str(_post_json(f"{bases[0]}/api/auth/login", login)["accessToken"])
        with ThreadPoolExecutor(len(bases)) as pool, stopwatch() as rerun:
            answers = list(pool.map(lambda base: _post_json(f"{base}/api/drec-issuer/run", token=token), bases))
    for workload in (one, two):
        found = Certificate.objects.filter(reservation_id__in=workload.reservations).count()
        if found != workload.certificates:
            raise RuntimeError(f"drec-issuer/run changed the certificates: {found}, expected {workload.certificates}")
    checked, finding = ledger.chain_verify()
    if finding is not None:
        raise RuntimeError(f"The ledger is wrong after the runs ({checked} entries checked): {finding}")
    speedup = alone.seconds / pair.seconds
    cores = os.cpu_count() or 1
    return [
        Result(
            f"Scale-out: 2 qcluster workers vs 1 on Redis ({shape}; each reservation's task queued twice, directly "
            f"on the broker; 2 gunicorn processes)",
            f"{pair.seconds:.1f} s vs {alone.seconds:.1f} s ({speedup:.2f}x), {one.certificates} certificates each, "
            f"exactly once (ledger: {checked} entries verified)",
            goal="≥ 1.6x, exactly once",
            met=speedup >= 1.6,
        ),
        *(
            Result(
                f"Scale-out, where the time went with {label} ({cores} cores)",
                f"task workers {run.workers_cpu:.1f} CPU-s, PostgreSQL {run.postgres_cpu:.1f} CPU-s, the rest "
                f"{run.busy_cpu - run.workers_cpu - run.postgres_cpu:.1f} CPU-s: the machine busy "
                f"{run.busy_cpu:.1f} of {run.seconds * cores:.1f} CPU-s in {run.seconds:.1f} s",
            )
            for label, run in (("1 worker", alone), ("2 workers", pair))
        ),
        Result(
            "Scale-out, then drec-issuer/run through both web processes together (the super admin)",
            f"{rerun():.2f} s, issued {' and '.join(str(answer['issued']) for answer in answers)}",
        ),
    ]

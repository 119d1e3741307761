"""Task workers killed mid-job (issue 20, must-show 2): a real ``manage.py qcluster`` (one worker,
the ORM broker, the production settings on the test database) is killed with SIGKILL, its whole
process group at once, in the middle of a bulk device job, a reads job and an issuance run;
another cluster is started and the work finishes with every row, read and certificate exactly
once.

- Bulk jobs (devices, reads): the job is left ``Running`` with the batches committed before the
  kill. Nothing redelivers a dead worker's task on every broker (Redis never does; the ORM broker
  only after Q_CLUSTER's ``retry``, eleven minutes by default): the scheduled watch
  (``devices.tasks.csv_jobs_watch``, every five minutes in production) queues the job again once
  it has made no progress for ``DREC_CSV_JOB_STALE_SECONDS``, and the restarted cluster's worker
  takes it over after its last committed batch. The restarted cluster runs with
  ``DREC_CSV_JOB_STALE_SECONDS`` of ten seconds: a watch run before that leaves the job alone,
  one run after it has the job finished. The final counts equal the file's rows.
- Issuance: the scheduled task (``certificates.tasks.certificates_issue``, every
  ``DREC_ISSUANCE_MINUTES``) is killed after some batches committed; the next run issues what was
  left. The certificates then equal those of one uninterrupted run of the same data (computed
  first, in a transaction rolled back), each exactly once, and the ledger verifies.

The test queues the scheduled tasks itself, as django-q2's scheduler does when they are due (its
first tick comes 30 s after a cluster starts). Every cluster's process group is killed when the
test ends, whatever happened.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ, Task
from django_q.tasks import async_task

from certificates import ledger
from certificates import tasks as certificate_tasks
from certificates.models import Certificate, EntryKind, LedgerEntry
from certificates.services import certificates_issue_due
from devices import tasks as device_tasks
from devices.bulk import csv_job_create
from devices.models import CsvDeviceReads, CsvJob, CsvJobKind, CsvJobStatus, CsvRowError, Device
from reads.models import MeterRead
from tests.certificates.helpers import DAY, HOUR, device_reading, reservation_make, snapshot
from tests.devices.helpers import csv_bytes, csv_row
from tests.reads.helpers import csv_read, device_onboarded, reads_csv

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEVICE_ROWS = 3_000  # devices.bulk.BATCH_SIZE (500) a batch: six batches
READ_DEVICES, READS_EACH = 30, 800  # 24,000 rows; reads.bulk.BATCH_ROWS (2,000) a batch: ten batches
STALE_SECONDS = 10  # DREC_CSV_JOB_STALE_SECONDS of the restarted cluster (it starts in ~3 s)
DEADLINE = 20  # seconds any one wait may take before the test gives up
WATCH = "devices.tasks.csv_jobs_watch"
ISSUE = "certificates.tasks.certificates_issue"


# --- Clusters ----------------------------------------------------------------------------------


def _issuer_pem() -> str:
    """This process's issuer key, so that the workers sign the ledger with it (the test settings
    would give each process a key of its own)."""
    key = ledger.issuer_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key.decode()


class Clusters:
    """``manage.py qcluster`` processes, each in a process group of its own (the cluster and the
    sentinel, pusher, monitor and worker processes it forks), its output in a log file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def environment(self, **extra: str) -> dict[str, str]:
        """The production settings (DEBUG off, tasks through the ORM broker), one worker, on the
        test database (not the URL's), with this process's secret key (django-q2 signs the tasks
        queued) and issuer key."""
        url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "drec.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # task packages are signed with it
            "DATABASE_URL": url._replace(path="/" + connection.settings_dict["NAME"]).geturl(),
            "DREC_Q_SYNC": "0",
            "DREC_Q_WORKERS": "1",
            "DREC_LEDGER_PRIVATE_KEY": _issuer_pem(),
            "DJANGO_LOG_LEVEL": "WARNING",
            **extra,
        }

    def start(self, **extra: str) -> subprocess.Popen[bytes]:
        log = self.directory / f"qcluster-{len(self.started) + 1}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=settings.BASE_DIR,
                env=self.environment(**extra),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the whole group: the cluster and every process it started, at once."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(
            f"--- qcluster {process.pid} ({process.returncode}):\n"
            + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            for process, log in self.started
        )

    def alive(self) -> None:
        """Fail (with the logs) when a cluster that was not killed ended."""
        for process, _log in self.started:
            if process.poll() is not None and process.returncode != -signal.SIGKILL:
                pytest.fail(f"qcluster {process.pid} ended:\n{self.logs()}")

    def stop_all(self) -> None:
        for process, _log in self.started:
            with suppress(ProcessLookupError):  # the whole group is gone already
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture
def clusters(tmp_path) -> Iterator[Clusters]:
    started = Clusters(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def wait_until(condition: Callable[[], object], what: str, clusters: Clusters, seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        clusters.alive()
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s\n{clusters.logs()}"
        time.sleep(0.02)


def no_other_sessions(clusters: Clusters) -> None:
    """Wait until the killed processes' sessions are gone (their open transactions rolled back,
    their locks released)."""

    def alone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return cursor.fetchone()[0] == 0

    wait_until(alone, "the killed cluster's sessions are still there", clusters, seconds=10)


def queue(func: str, *args: object) -> str:
    """Queue a task on the ORM broker, for a cluster (this process's settings run tasks inline)."""
    task_id: str = async_task(func, *args, sync=False)
    return task_id


def scheduled(tasks_module, func: str) -> str:
    """Queue ``func`` as django-q2's scheduler does when its schedule is due (``manage.py seed``
    creates the schedules each app declares in ``SCHEDULES``)."""
    assert func in [schedule[1] for schedule in tasks_module.SCHEDULES]
    return queue(func)


def task_done(task_id: str) -> Task | None:
    return Task.objects.filter(id=task_id).first()


def task_succeeded(task_id: str, what: str, clusters: Clusters) -> Task:
    """Wait for a queued task's result (django-q2 keeps it); it must be a success."""
    wait_until(lambda: task_done(task_id), f"{what} did not run", clusters)
    task = Task.objects.get(id=task_id)
    assert task.success, task.result
    return task


def job_create(monkeypatch, user, data: bytes, kind: str) -> CsvJob:
    """A bulk job as the upload endpoints create it; its task queued on the ORM broker."""
    with monkeypatch.context() as patched:
        patched.setattr(Conf, "SYNC", False)
        return csv_job_create(
            acting_user=user, organization=user.organization, file_name=f"{kind}.csv", data=data, kind=kind
        )


def job_of(job_id: int) -> CsvJob:
    return CsvJob.objects.get(pk=job_id)


def kill_mid_job(clusters: Clusters, job: CsvJob) -> CsvJob:
    """Start a cluster, kill it once the job has committed some batches, and answer the job as
    the kill left it."""
    first = clusters.start()
    wait_until(lambda: job_of(job.pk).rows_processed > 0, "the job made no progress", clusters)
    clusters.kill(first)
    no_other_sessions(clusters)
    return job_of(job.pk)


def take_over(clusters: Clusters, job: CsvJob) -> CsvJob:
    """Restart the cluster with a short DREC_CSV_JOB_STALE_SECONDS; the watch leaves the job
    alone until it has been silent that long, then queues it again for the worker to finish."""
    last_progress = job.updated_at
    clusters.start(DREC_CSV_JOB_STALE_SECONDS=str(STALE_SECONDS))
    early = scheduled(device_tasks, WATCH)
    watched = task_succeeded(early, "the watch", clusters)
    silent = (watched.stopped - last_progress).total_seconds()  # at most, when it ran
    assert silent < STALE_SECONDS, f"the first watch came {silent:.1f} s after the last progress: too late"
    unchanged = job_of(job.pk)
    assert (unchanged.status, unchanged.rows_processed) == (CsvJobStatus.RUNNING, job.rows_processed)
    assert not OrmQ.objects.filter(lock__lte=timezone.now()).exists()  # nothing queued for it

    wait_until(
        lambda: timezone.now() > last_progress + timedelta(seconds=STALE_SECONDS), "never stale", clusters, seconds=30
    )
    resumed = time.monotonic()
    scheduled(device_tasks, WATCH)
    wait_until(lambda: job_of(job.pk).status != CsvJobStatus.RUNNING, "the job was not finished", clusters)
    print(
        f"a watch {silent:.1f} s after the job's last progress left it alone; one after {STALE_SECONDS} s had it "
        f"taken over and finished in {time.monotonic() - resumed:.1f} s"
    )
    return job_of(job.pk)


# --- Bulk device job ---------------------------------------------------------------------------


def test_a_device_job_killed_mid_way_finishes_with_every_row_exactly_once(clusters, developer_admin, monkeypatch):
    organization = developer_admin.organization
    data = csv_bytes([csv_row(number) for number in range(1, DEVICE_ROWS + 1)])
    job = job_create(monkeypatch, developer_admin, data, CsvJobKind.DEVICES)

    killed = kill_mid_job(clusters, job)
    created = Device.objects.filter(organization=organization).count()
    print(f"\nkilled with {killed.rows_processed} of {DEVICE_ROWS} rows processed, {created} devices")
    assert killed.status == CsvJobStatus.RUNNING
    assert 0 < killed.rows_processed < DEVICE_ROWS
    assert killed.rows_processed % 500 == 0  # whole batches only
    assert created == killed.rows_created == killed.rows_processed

    done = take_over(clusters, killed)

    counters = (done.rows_total, done.rows_processed, done.rows_created, done.rows_failed)
    devices = Device.objects.filter(organization=organization)
    per_external_id = Counter(devices.values_list("external_id", flat=True))
    rows = sorted(devices.values_list("bulk_row", flat=True))
    print(
        f"job {done.status}: (total, processed, created, failed) = {counters}; {devices.count()} devices, "
        f"{len(per_external_id)} distinct externalIds; expected {DEVICE_ROWS} each"
    )
    assert done.status == CsvJobStatus.COMPLETED, done.error
    assert counters == (DEVICE_ROWS, DEVICE_ROWS, DEVICE_ROWS, 0)
    assert not CsvRowError.objects.filter(job=done).exists()
    assert set(per_external_id) == {f"BULK-{number:04d}" for number in range(1, DEVICE_ROWS + 1)}
    assert set(per_external_id.values()) == {1}
    assert rows == list(range(1, DEVICE_ROWS + 1))
    assert devices.filter(bulk_job=done).count() == DEVICE_ROWS


# --- Reads job ---------------------------------------------------------------------------------


def test_a_reads_job_killed_mid_way_finishes_with_every_read_exactly_once(clusters, developer_admin, monkeypatch):
    organization = developer_admin.organization
    meters = [device_onboarded(organization, f"METER-{n:02d}") for n in range(READ_DEVICES)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    # Hour by hour, every device's read of that hour: each device's rows spread over the file.
    rows = [csv_read(meter.external_id, start + (hour + 1) * HOUR) for hour in range(READS_EACH) for meter in meters]
    job = job_create(monkeypatch, developer_admin, reads_csv(rows), CsvJobKind.READS)
    total = READ_DEVICES * READS_EACH

    killed = kill_mid_job(clusters, job)
    stored = MeterRead.objects.filter(device__organization=organization).count()
    decided = CsvDeviceReads.objects.filter(job=job).count()
    print(f"\nkilled with {killed.rows_processed} of {total} rows processed: {decided} devices, {stored} reads")
    assert killed.status == CsvJobStatus.RUNNING
    assert 0 < killed.rows_processed < total
    assert stored == killed.rows_created == killed.rows_processed == decided * READS_EACH  # whole devices only

    done = take_over(clusters, killed)

    counters = (done.rows_total, done.rows_processed, done.rows_created, done.rows_failed)
    reads = MeterRead.objects.filter(device__organization=organization)
    per_device = dict(reads.values_list("device__external_id").annotate(count=Count("id")))
    doubled = reads.values("device_id", "end").annotate(count=Count("id")).filter(count__gt=1).count()
    outcomes = Counter(CsvDeviceReads.objects.filter(job=done).values_list("external_id", flat=True))
    stored_by_outcome = CsvDeviceReads.objects.filter(job=done).aggregate(rows=Sum("rows"), stored=Sum("stored"))
    print(
        f"job {done.status}: (total, processed, created, failed) = {counters}; {reads.count()} reads stored, "
        f"{doubled} (device, end) twice, {len(outcomes)} device outcomes; expected {total} reads, "
        f"{READ_DEVICES} outcomes"
    )
    assert done.status == CsvJobStatus.COMPLETED, done.error
    assert counters == (total, total, total, 0)
    assert not CsvRowError.objects.filter(job=done).exists()
    assert reads.count() == total
    assert doubled == 0
    assert per_device == {meter.external_id: READS_EACH for meter in meters}
    assert outcomes == dict.fromkeys((meter.external_id for meter in meters), 1)
    assert stored_by_outcome == {"rows": total, "stored": total}


# --- Issuance run ------------------------------------------------------------------------------

RESERVATIONS, DEVICES_EACH, HOURS = 10, 2, 240
HOURLY_WH = 1_000


def issuance_workload(developer, buyer) -> int:
    """Reservations of two devices each, with hourly reads of HOURLY_WH over ten days ending a
    day ago, in hourly windows: a certificate of 2,000 Wh an hour each. The reservations are still
    on (they end in a month), so the run's ``now`` changes nothing but which windows are closed,
    and all of them are. Answers how many certificates one run issues."""
    start = (timezone.now() - timedelta(hours=HOURS) - DAY).replace(minute=0, second=0, microsecond=0)
    for number in range(RESERVATIONS):
        devices = [
            device_reading(developer, f"ISS-{number:02d}-{d}", start=start, count=HOURS, value=HOURLY_WH)
            for d in range(DEVICES_EACH)
        ]
        reservation_make(buyer, devices, frequency="hourly", start=start, end=start + 40 * DAY, name=f"Run {number}")
    return RESERVATIONS * HOURS


def one_run_result() -> dict:
    """What one uninterrupted run issues now (then undone)."""
    with transaction.atomic():
        certificates_issue_due()
        result = snapshot()
        transaction.set_rollback(True)
    assert not Certificate.objects.exists()
    return result


def test_an_issuance_run_killed_mid_way_is_completed_by_the_next_with_each_certificate_once(
    clusters, developer_admin, buyer
):
    expected_count = issuance_workload(developer_admin.organization, buyer)
    expected = one_run_result()
    expected_wh = sum(certificate[3] for certificate in expected["certificates"])
    assert len(expected["certificates"]) == expected_count

    first = clusters.start()
    killed_run = scheduled(certificate_tasks, ISSUE)
    wait_until(lambda: Certificate.objects.exists(), "the run issued nothing", clusters)
    clusters.kill(first)
    no_other_sessions(clusters)
    committed = Certificate.objects.count()
    print(f"\nkilled with {committed} of {expected_count} certificates issued")
    assert 0 < committed < expected_count
    assert task_done(killed_run) is None  # the run never finished
    assert LedgerEntry.objects.count() == committed  # whole batches: each certificate with its entry
    assert ledger.chain_verify() == (committed, None)

    clusters.start()
    next_run = scheduled(certificate_tasks, ISSUE)
    finished = task_succeeded(next_run, "the next run", clusters)

    issued = Certificate.objects.aggregate(count=Count("id"), wh=Sum("energy_wh"))
    entries = Counter(LedgerEntry.objects.filter(kind=EntryKind.ISSUE).values_list("certificate_id", flat=True))
    checked, finding = ledger.chain_verify()
    print(
        f"the next run issued {finished.result}: {issued['count']} certificates, {issued['wh']} Wh; expected "
        f"{expected_count} certificates, {expected_wh} Wh; ledger {checked} entries verified"
    )
    assert finished.result == expected_count - committed
    assert issued == {"count": expected_count, "wh": expected_wh}
    assert snapshot() == expected  # the same certificates, contributions and ledger as one run
    assert len(entries) == expected_count
    assert set(entries.values()) == {1}
    assert (checked, finding) == (expected_count, None)

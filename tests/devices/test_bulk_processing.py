"""Bulk device upload: what a job makes of a CSV, row by row, and that it never stays stuck
(SPEC §5 "Bulk upload", backend.md §7.9)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from devices import bulk
from devices.bulk import COLUMNS
from devices.models import CsvJob, CsvJobStatus, CsvRowError, Device
from tests.devices.helpers import csv_bytes, csv_row, csv_upload, device_make, job_url

pytestmark = pytest.mark.django_db

# Row number (1-based, after the header) → (the field named in its error, the bad cells).
BAD_ROWS = {
    11: ("countryCode", {"countryCode": "XYZ"}),
    101: ("capacity", {"capacity": "0"}),
    201: ("commissioningDate", {"commissioningDate": "2099-01-01T00:00:00.000Z"}),
    301: ("address", {"address": ""}),
    401: ("externalId", {"externalId": "bad/id!"}),
    501: ("deviceTypeCode", {"deviceTypeCode": "TC999"}),
    601: ("latitude", {"latitude": "123"}),
    701: ("externalId", {"externalId": "bulk-0005"}),  # row 5 has BULK-0005
    801: ("externalId", {"externalId": "EXISTING-1"}),  # already registered in the organization
    901: ("capacity", {"capacity": "abc"}),
}


def thousand_rows() -> bytes:
    rows = []
    for number in range(1, 1001):
        overrides = BAD_ROWS.get(number, (None, {}))[1]
        rows.append(csv_row(number, **overrides))
    return csv_bytes(rows)


@pytest.fixture
def integrator(client_for, tenants):
    return client_for(tenants.api_user)


def upload_and_run(committed, client, organization, content: bytes) -> dict:
    with committed():
        response = csv_upload(client, organization.pk, content)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "Added"
    status = client.get(job_url(response.json()["jobId"]), {"orgId": organization.pk})
    assert status.status_code == 200, status.content
    return status.json()


def test_a_thousand_rows_with_ten_bad_ones(committed, integrator, tenants):
    device_make(tenants.managed, "existing-1")
    job = upload_and_run(committed, integrator, tenants.managed, thousand_rows())

    assert job["status"] == "Completed"
    assert (job["rowsTotal"], job["rowsProcessed"], job["rowsCreated"], job["rowsFailed"]) == (1000, 1000, 990, 10)
    assert job["error"] == ""
    log = job["errorDetails"]["log"]
    failed = log["errorDetails"]
    assert [row["rowNumber"] for row in failed] == sorted(BAD_ROWS)
    for row in failed:
        field = BAD_ROWS[row["rowNumber"]][0]
        assert row["isError"] is True
        assert row["status"] == "Failed"
        assert [error["property"] for error in row["errorsList"]] == [field], row
        assert all(error["constraints"][field] for error in row["errorsList"]), row
    by_row = {row["rowNumber"]: row for row in failed}
    assert "5" in by_row[701]["errorsList"][0]["constraints"]["externalId"]
    assert by_row[801]["externalId"] == "EXISTING-1"
    assert by_row[11]["errorsList"][0]["value"] == "XYZ"
    added = log["successfullyAddedRowsAndExternalIds"]
    assert len(added) == 990
    assert {row["rowNumber"] for row in added} == set(range(1, 1001)) - set(BAD_ROWS)

    devices = Device.objects.filter(organization=tenants.managed)
    assert devices.count() == 991
    assert devices.filter(external_id__iexact="bulk-0005").count() == 1
    assert not devices.filter(external_id__in=["BULK-0011", "BULK-0101", "BULK-0301", "BULK-0601"]).exists()
    sample = devices.get(external_id="BULK-0002")
    assert (sample.country_id, sample.capacity, sample.device_type_code_id, sample.off_taker_id) == (
        "KEN",
        3.5,
        "TC110",
        "Residential",
    )
    assert (sample.grid_interconnection, sample.energy_storage, sample.device_description_id) == (
        True,
        False,
        "Solar Home System",
    )
    assert sample.address == "2 Bulk Street, Nairobi"
    assert sample.commissioning_date.isoformat() == "2023-03-01T08:00:00+00:00"
    # The devices are the api user's, like those it registers one by one.
    listed = integrator.get("/api/device/my", {"organizationId": tenants.managed.pk, "limit": 1}).json()
    assert listed["totalCount"] == 991
    assert listed["devices"][0]["api_user_id"] == str(tenants.api_user.api_user.api_user_id)


def test_the_same_file_twice_creates_nothing_the_second_time(committed, integrator, tenants):
    device_make(tenants.managed, "existing-1")
    content = thousand_rows()
    first = upload_and_run(committed, integrator, tenants.managed, content)
    assert first["rowsCreated"] == 990
    second = upload_and_run(committed, integrator, tenants.managed, content)
    assert second["status"] == "Completed"
    assert (second["rowsTotal"], second["rowsCreated"], second["rowsFailed"]) == (1000, 0, 1000)
    assert len(second["errorDetails"]["log"]["errorDetails"]) == 1000
    assert second["errorDetails"]["log"]["successfullyAddedRowsAndExternalIds"] == []
    row_2 = second["errorDetails"]["log"]["errorDetails"][1]
    assert row_2["rowNumber"] == 2
    assert "already exist" in row_2["errorsList"][0]["constraints"]["externalId"]
    assert Device.objects.filter(organization=tenants.managed).count() == 991


def test_a_missing_required_column_fails_the_job_naming_it(committed, integrator, tenants):
    columns = [name for name in COLUMNS if name not in ("address", "capacity")]
    job = upload_and_run(committed, integrator, tenants.managed, csv_bytes([csv_row(1), csv_row(2)], columns))
    assert job["status"] == "Failed"
    assert "address" in job["error"]
    assert "capacity" in job["error"]
    assert job["rowsCreated"] == 0
    assert not Device.objects.exists()


def test_an_empty_file_fails_the_job(committed, integrator, tenants):
    job = upload_and_run(committed, integrator, tenants.managed, b"")
    assert job["status"] == "Failed"
    assert "externalId" in job["error"]


def test_columns_are_found_by_name_in_any_order(committed, integrator, tenants):
    columns = [*reversed(COLUMNS), "notes"]
    rows = [{**csv_row(1), "notes": "ignored"}, {**csv_row(2), "notes": "ignored"}]
    job = upload_and_run(committed, integrator, tenants.managed, csv_bytes(rows, columns))
    assert (job["status"], job["rowsCreated"], job["rowsFailed"]) == ("Completed", 2, 0)
    assert sorted(Device.objects.values_list("external_id", flat=True)) == ["BULK-0001", "BULK-0002"]


def test_a_spreadsheets_byte_order_mark_and_padded_cells_are_fine(committed, integrator, tenants):
    content = "\ufeff".encode() + csv_bytes([csv_row(1, externalId="  Padded-1 ", countryCode=" ken ")])
    job = upload_and_run(committed, integrator, tenants.managed, content)
    assert (job["status"], job["rowsCreated"], job["rowsFailed"]) == ("Completed", 1, 0)
    device = Device.objects.get()
    assert (device.external_id, device.country_id) == ("Padded-1", "KEN")


def test_the_rows_around_a_bad_row_are_created(committed, integrator, tenants):
    rows = [csv_row(1), csv_row(2, capacity="-3"), csv_row(3)]
    job = upload_and_run(committed, integrator, tenants.managed, csv_bytes(rows))
    assert (job["rowsCreated"], job["rowsFailed"]) == (2, 1)
    assert sorted(Device.objects.values_list("external_id", flat=True)) == ["BULK-0001", "BULK-0003"]


# --- Never stuck, never twice -----------------------------------------------------------------


def queued_job(organization, user, rows: int) -> CsvJob:
    """A job as an upload leaves it before the task runs."""
    return bulk.csv_job_create(
        acting_user=user,
        organization=organization,
        file_name="devices.csv",
        data=csv_bytes([csv_row(number) for number in range(1, rows + 1)]),
    )


def test_processing_a_job_twice_does_not_duplicate_devices(tenants):
    job = queued_job(tenants.managed, tenants.api_user, 5)
    bulk.csv_job_process(job.pk)
    bulk.csv_job_process(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_created, job.rows_failed) == ("Completed", 5, 5, 0)
    assert Device.objects.count() == 5
    assert not CsvRowError.objects.exists()


class WorkerKilled(BaseException):
    """The worker process dies (no ``except Exception`` runs)."""


def test_a_job_whose_worker_died_mid_way_resumes_after_its_last_batch(tenants, monkeypatch):
    job = queued_job(tenants.managed, tenants.api_user, 6)
    monkeypatch.setattr(bulk, "BATCH_SIZE", 2)
    insert = bulk._insert
    calls = []

    def dies_on_the_second_batch(devices, errors, job):
        calls.append(len(devices))
        if len(calls) == 2:
            raise WorkerKilled
        return insert(devices, errors, job)

    monkeypatch.setattr(bulk, "_insert", dies_on_the_second_batch)
    with pytest.raises(WorkerKilled):
        bulk.csv_job_process(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_processed, job.rows_created) == ("Running", 2, 2)
    assert Device.objects.count() == 2
    monkeypatch.setattr(bulk, "_insert", insert)

    # While the worker may still be alive, nobody else takes the job.
    bulk.csv_job_process(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_processed) == ("Running", 2)

    silent = timezone.now() - timedelta(seconds=settings.DREC_CSV_JOB_STALE_SECONDS + 5)
    CsvJob.objects.filter(pk=job.pk).update(updated_at=silent)
    bulk.csv_job_process(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_processed, job.rows_created, job.rows_failed) == (
        "Completed",
        6,
        6,
        6,
        0,
    )
    assert sorted(Device.objects.values_list("external_id", flat=True)) == [f"BULK-{n:04d}" for n in range(1, 7)]
    assert not CsvRowError.objects.exists()


def test_an_unexpected_error_fails_the_job_and_keeps_the_committed_batches(tenants, monkeypatch):
    job = queued_job(tenants.managed, tenants.api_user, 4)
    monkeypatch.setattr(bulk, "BATCH_SIZE", 2)
    insert = bulk._insert
    calls = []

    def breaks_on_the_second_batch(devices, errors, job):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return insert(devices, errors, job)

    monkeypatch.setattr(bulk, "_insert", breaks_on_the_second_batch)
    bulk.csv_job_process(job.pk)
    job.refresh_from_db()
    assert job.status == "Failed"
    assert job.error
    assert "disk on fire" not in job.error  # no internals shown to users
    assert job.finished_at is not None
    assert Device.objects.count() == 2


def test_the_watch_fails_silent_running_jobs_and_requeues_forgotten_ones(committed, tenants):
    stale = settings.DREC_CSV_JOB_STALE_SECONDS
    now = timezone.now()
    dead = queued_job(tenants.managed, tenants.api_user, 2)
    busy = queued_job(tenants.managed, tenants.api_user, 2)
    forgotten = queued_job(tenants.managed, tenants.api_user, 3)
    fresh = queued_job(tenants.managed2, tenants.api_user, 2)
    CsvJob.objects.filter(pk=dead.pk).update(
        status=CsvJobStatus.RUNNING, updated_at=now - timedelta(seconds=3 * stale + 60)
    )
    CsvJob.objects.filter(pk=busy.pk).update(status=CsvJobStatus.RUNNING, updated_at=now - timedelta(seconds=30))
    CsvJob.objects.filter(pk=forgotten.pk).update(created_at=now - timedelta(seconds=stale + 60))

    with committed():
        bulk.csv_jobs_watch()

    for job in (dead, busy, forgotten, fresh):
        job.refresh_from_db()
    assert dead.status == "Failed"
    assert dead.error
    assert dead.finished_at is not None
    assert busy.status == "Running"
    assert busy.error == ""
    assert (forgotten.status, forgotten.rows_created) == ("Completed", 3)
    assert fresh.status == "Added"
    assert Device.objects.count() == 3


def test_the_watch_queues_a_silent_running_job_again_and_a_worker_takes_it_over(committed, tenants):
    """A dead worker's task is not redelivered by every broker (Redis never does; the ORM broker
    after Q_CLUSTER's ``retry`` only): the watch queues a job silent for DREC_CSV_JOB_STALE_SECONDS
    again, and the worker it reaches resumes it after its last committed batch
    (tests/faults/test_worker_kill.py kills a real worker)."""
    job = queued_job(tenants.managed, tenants.api_user, 4)
    bulk.csv_job_process(job.pk)  # then put back as a worker dead after two rows leaves it
    silent = timezone.now() - timedelta(seconds=settings.DREC_CSV_JOB_STALE_SECONDS + 5)
    CsvJob.objects.filter(pk=job.pk).update(
        status=CsvJobStatus.RUNNING, rows_processed=2, rows_created=2, finished_at=None, updated_at=silent
    )
    Device.objects.filter(bulk_job=job, bulk_row__gt=2).delete()

    with committed():
        bulk.csv_jobs_watch()

    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_processed, job.rows_created, job.rows_failed) == (
        "Completed",
        4,
        4,
        4,
        0,
    )
    assert sorted(Device.objects.values_list("bulk_row", flat=True)) == [1, 2, 3, 4]

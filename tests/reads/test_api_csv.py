"""Reads by file (SPEC §14, issue 19): ``POST /api/meter-reads/bulk-csv`` queues a bulk job of
kind "reads"; each device's rows pass the rules of a JSON batch and are stored all together or
not at all, and every refused row is named by its number, column and reason."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role
from devices import bulk as device_bulk
from devices.models import CsvDeviceReads, CsvJob, CsvJobStatus, CsvRowError
from reads import bulk
from reads.models import MeterRead
from tests.devices.helpers import JOBS_URL, csv_bytes, csv_row, csv_upload, job_url
from tests.factories import OrganizationFactory, api_user_create
from tests.organizations.helpers import assert_error, managed_create, member_create
from tests.personas import approved
from tests.reads.expect import assert_stored, assert_valid_sequence, at, period, rows, send
from tests.reads.helpers import (
    CSV_URL,
    ONBOARDED,
    csv_job_url,
    csv_read,
    device_onboarded,
    reads_csv,
    reads_csv_upload,
)

pytestmark = pytest.mark.django_db

T = ONBOARDED
HOUR = timedelta(hours=1)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...``: run what the block queued on commit (the job runs inline)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def developer(client_for, developer_admin):
    return client_for(developer_admin)


def upload_and_run(committed, client, content: bytes, organization_id=None) -> dict:
    """Upload a reads CSV, let the worker process it, answer the job's status."""
    with committed():
        response = reads_csv_upload(client, content, organization_id)
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["kind"], job["status"]) == ("reads", "Added")
    query = {"organizationId": organization_id} if organization_id is not None else {}
    status = client.get(csv_job_url(job["jobId"]), query)
    assert status.status_code == 200, status.content
    return status.json()


def three_devices_file(bad_row: int | None = None) -> tuple[bytes, dict[str, list[int]]]:
    """1,000 hourly reads of METER-A, METER-B and METER-C, interleaved hour by hour; the row
    numbers of each device; ``bad_row`` (1 = the first data row) reads 0 Wh."""
    lines, numbers = [], {"METER-A": [], "METER-B": [], "METER-C": []}
    for hour in range(1, 1001):
        for external_id in numbers:
            lines.append(csv_read(external_id, T + hour * HOUR, value=1000))
            numbers[external_id].append(len(lines))
    if bad_row is not None:
        lines[bad_row - 1]["value"] = "0"
    return reads_csv(lines), numbers


# --- Must show 3: three devices, one bad row ----------------------------------------------------


def test_three_devices_of_a_thousand_reads_with_one_bad_row(committed, developer, developer_admin):
    organization = developer_admin.organization
    meter_a, meter_b, meter_c = (device_onboarded(organization, f"METER-{n}") for n in "ABC")
    bad = 3 * 499 + 3  # METER-C's 500th read
    content, numbers = three_devices_file(bad_row=bad)
    assert bad in numbers["METER-C"]

    job = upload_and_run(committed, developer, content)

    assert job["status"] == "Completed"
    assert job["error"] == ""
    assert (job["rowsTotal"], job["rowsProcessed"], job["rowsCreated"], job["rowsFailed"]) == (3000, 3000, 2000, 1)
    log = job["errorDetails"]["log"]
    # The error names the row, its device, the column and the reason, with the cell.
    assert len(log["errorDetails"]) == 1
    failed = log["errorDetails"][0]
    assert (failed["rowNumber"], failed["externalId"], failed["status"]) == (bad, "METER-C", "Failed")
    assert [error["property"] for error in failed["errorsList"]] == ["value"]
    assert failed["errorsList"][0]["value"] == "0"
    assert failed["errorsList"][0]["constraints"]["value"] == "The value must be greater than 0."
    assert log["devices"] == [
        {"externalId": "METER-A", "rows": 1000, "storedReads": 1000, "status": "Stored"},
        {"externalId": "METER-B", "rows": 1000, "storedReads": 1000, "status": "Stored"},
        {"externalId": "METER-C", "rows": 1000, "storedReads": 0, "status": "Failed"},
    ]
    added = log["successfullyAddedRowsAndExternalIds"]
    assert [row["rowNumber"] for row in added] == sorted(numbers["METER-A"] + numbers["METER-B"])
    assert {row["externalId"] for row in added} == {"METER-A", "METER-B"}

    # Two devices stored whole (a valid chain from their onboarding), the third nothing.
    for device in (meter_a, meter_b):
        assert len(assert_valid_sequence(device, T)) == 1000
        assert MeterRead.objects.filter(device=device).aggregate(total=Sum("value_wh"))["total"] == 1_000_000
    assert not MeterRead.objects.filter(device=meter_c).exists()
    meter_c.refresh_from_db()
    assert meter_c.meter_read_type == ""

    # The row fixed, the third device's rows uploaded again are stored whole.
    content, _ = three_devices_file()
    lines = content.decode().splitlines()
    again = "\n".join([lines[0], *(line for line in lines[1:] if line.startswith("METER-C,"))]).encode()
    second = upload_and_run(committed, developer, again)
    assert (second["status"], second["rowsCreated"], second["rowsFailed"]) == ("Completed", 1000, 0)
    assert len(assert_valid_sequence(meter_c, T)) == 1000


def test_a_reads_job_is_in_the_job_lists_and_statuses_as_kind_reads(committed, developer, developer_admin):
    device_onboarded(developer_admin.organization, "METER-A")
    with committed():
        devices_job = csv_upload(developer, developer_admin.organization_id, csv_bytes([csv_row(1)])).json()
    reads_job = upload_and_run(committed, developer, reads_csv([csv_read("meter-a", T + HOUR)]))
    assert (reads_job["kind"], reads_job["rowsCreated"]) == ("reads", 1)

    # The reads uploads' own list and status (the rule of reads: READS_MANAGEMENT_CRUDL Read).
    listed = developer.get(CSV_URL).json()
    assert [(job["jobId"], job["kind"]) for job in listed["csvJobs"]] == [(reads_job["jobId"], "reads")]
    assert listed["totalCount"] == 1
    assert developer.get(csv_job_url(devices_job["jobId"])).status_code == 404

    # The bulk jobs' list and status (device uploads' endpoints) show both kinds, in one shape.
    shared = developer.get(JOBS_URL).json()["csvJobs"]
    assert [(job["jobId"], job["kind"]) for job in shared] == [
        (reads_job["jobId"], "reads"),
        (devices_job["jobId"], "devices"),
    ]
    assert [job["kind"] for job in developer.get(JOBS_URL, {"kind": "reads"}).json()["csvJobs"]] == ["reads"]
    assert [job["kind"] for job in developer.get(JOBS_URL, {"kind": "devices"}).json()["csvJobs"]] == ["devices"]
    assert_error(developer.get(JOBS_URL, {"kind": "meters"}), 400, "kind")
    status = developer.get(job_url(reads_job["jobId"])).json()
    assert status == reads_job
    assert set(status) == {*shared[0], "errorDetails"}


# --- The rules of a JSON batch, row by row ------------------------------------------------------


def test_a_device_gets_from_a_file_exactly_what_json_batches_store(committed, developer, developer_admin):
    organization = developer_admin.organization
    by_json, by_file = device_onboarded(organization, "JSON-1"), device_onboarded(organization, "FILE-1")
    history = [period(T - 48 * HOUR, hours=2, value=1), period(T - 10 * HOUR, hours=1, value=0.5)]
    delta_wh = [at(T + HOUR, 500), at(T + 2 * HOUR, 700), at(T + 3 * HOUR, 650)]
    delta_kwh = [at(T + 5 * HOUR, 1.25)]
    assert_stored(send(developer, by_json, "History", history, unit="kWh"), 2)
    assert_stored(send(developer, by_json, "Delta", delta_wh), 3)
    assert_stored(send(developer, by_json, "Delta", delta_kwh, unit="kWh"), 1)

    def row(read, read_type, unit):
        return {"externalId": "file-1", "type": read_type, "unit": unit, "starttimestamp": "", **read}

    lines = [
        *(row(read, "History", "kWh") for read in history),
        *(row(read, "Delta", "Wh") for read in delta_wh),
        *(row(read, "Delta", "kWh") for read in delta_kwh),
    ]
    job = upload_and_run(committed, developer, reads_csv(lines))

    assert (job["rowsCreated"], job["rowsFailed"]) == (6, 0)
    assert rows(by_file) == rows(by_json)
    by_file.refresh_from_db()
    assert by_file.meter_read_type == "Delta"


def test_every_refused_row_is_named_and_its_device_stores_nothing(committed, developer, developer_admin):
    organization = developer_admin.organization
    good = device_onboarded(organization, "GOOD-1")
    counter = device_onboarded(organization, "AGG-1")
    assert_stored(send(developer, counter, "Aggregate", [at(T + HOUR, 5000)]), 1)
    rival = OrganizationFactory(name="Rival Solar")
    theirs = device_onboarded(rival, "RIVAL-1")
    for external_id in ("TYPE-1", "UNIT-1", "ZONE-1", "SOON-1", "LATE-1"):
        device_onboarded(organization, external_id)
    future = timezone.now() + timedelta(days=2)
    lines = [
        csv_read("GOOD-1", T + HOUR),  # 1: stored
        csv_read("NOPE-1", T + HOUR),  # 2: no such device
        csv_read("RIVAL-1", T + HOUR),  # 3: another organization's device
        {**csv_read("", T + HOUR)},  # 4: no externalId
        csv_read("TYPE-1", T + HOUR, read_type="Hourly"),  # 5
        csv_read("UNIT-1", T + HOUR, unit="kW"),  # 6
        {**csv_read("ZONE-1", T + HOUR), "endtimestamp": "2024-01-01 05:00:00"},  # 7: no zone
        csv_read("SOON-1", future),  # 8: in the future
        csv_read("AGG-1", T + 2 * HOUR),  # 9: a Delta read for an Aggregate device
        csv_read("LATE-1", T + 2 * HOUR),  # 10: stored only with row 11
        csv_read("LATE-1", T + HOUR),  # 11: ends before row 10
        csv_read("GOOD-1", T + 2 * HOUR),  # 12: stored
    ]
    job = upload_and_run(committed, developer, reads_csv(lines))

    assert job["status"] == "Completed"
    assert (job["rowsTotal"], job["rowsCreated"], job["rowsFailed"]) == (12, 2, 9)
    named = {
        row["rowNumber"]: [(error["property"], error["constraints"][error["property"]]) for error in row["errorsList"]]
        for row in job["errorDetails"]["log"]["errorDetails"]
    }
    assert sorted(named) == [2, 3, 4, 5, 6, 7, 8, 9, 11]
    assert named[2] == [("externalId", f"No device with externalId NOPE-1 in {organization.name}: register it first.")]
    assert named[3][0][0] == "externalId"
    assert "RIVAL-1" in named[3][0][1]
    assert named[4] == [("externalId", "The externalId is required.")]
    assert named[5] == [("type", "type must be History, Delta or Aggregate.")]
    assert named[6] == [("unit", "unit must be Wh, kWh, MWh or GWh.")]
    assert named[7][0][0] == "endtimestamp"
    assert "has no time zone" in named[7][0][1]
    assert named[8][0][0] == "endtimestamp"
    assert "is in the future" in named[8][0][1]
    assert named[9] == [("type", "In this device you can add read for Aggregate type but you are sending Delta")]
    assert named[11][0][0] == "endtimestamp"
    assert "must be after the previous read's end" in named[11][0][1]
    by_device = {item["externalId"]: item["status"] for item in job["errorDetails"]["log"]["devices"]}
    assert by_device == {
        "GOOD-1": "Stored",
        "NOPE-1": "Failed",
        "RIVAL-1": "Failed",
        "": "Failed",
        "TYPE-1": "Failed",
        "UNIT-1": "Failed",
        "ZONE-1": "Failed",
        "SOON-1": "Failed",
        "AGG-1": "Failed",
        "LATE-1": "Failed",
    }
    assert MeterRead.objects.filter(device=good).count() == 2
    assert MeterRead.objects.filter(device=counter).count() == 1
    assert not MeterRead.objects.filter(device=theirs).exists()
    assert MeterRead.objects.count() == 3


def test_a_device_with_more_reads_than_a_batch_takes_is_still_all_or_nothing(
    committed, developer, developer_admin, settings
):
    """Its rows go to the service in batches of DREC_MAX_READS_PER_REQUEST inside one savepoint:
    a bad row in a later batch undoes the earlier ones, and is named by its own row number."""
    settings.DREC_MAX_READS_PER_REQUEST = 3
    whole, broken = (
        device_onboarded(developer_admin.organization, "W-1"),
        device_onboarded(developer_admin.organization, "B-1"),
    )
    lines = [csv_read("W-1", T + hour * HOUR) for hour in range(1, 8)]
    lines += [csv_read("B-1", T + hour * HOUR, value=-1 if hour == 6 else 1000) for hour in range(1, 8)]

    job = upload_and_run(committed, developer, reads_csv(lines))

    assert (job["rowsCreated"], job["rowsFailed"]) == (7, 1)
    assert [row["rowNumber"] for row in job["errorDetails"]["log"]["errorDetails"]] == [13]
    assert len(assert_valid_sequence(whole, T)) == 7
    assert not MeterRead.objects.filter(device=broken).exists()


# --- Who may, for which organization -------------------------------------------------------------


def test_a_file_goes_to_the_callers_organization_only(committed, client_for, developer, developer_admin, api_user):
    mine = device_onboarded(developer_admin.organization, "SHS-1")
    rival = OrganizationFactory(name="Rival Solar")
    theirs = device_onboarded(rival, "SHS-1")
    content = reads_csv([csv_read("SHS-1", T + HOUR)])

    assert_error(reads_csv_upload(developer, content, rival.pk), 404)
    job = upload_and_run(committed, developer, content)
    assert job["rowsCreated"] == 1
    assert MeterRead.objects.filter(device=mine).count() == 1
    assert not MeterRead.objects.filter(device=theirs).exists()

    # Another tenant sees neither the job nor its list.
    rival_admin = member_create(rival, email="rival@example.com", role=Role.ORGANIZATION_ADMIN)
    outsider = client_for(rival_admin)
    assert_error(outsider.get(csv_job_url(job["jobId"])), 404)
    assert outsider.get(CSV_URL).json()["csvJobs"] == []
    assert_error(client_for(api_user).get(csv_job_url(job["jobId"])), 404)


def test_api_users_name_the_organization_they_act_for(committed, client_for, api_user, other_api_user):
    managed, _ = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    foreign, _ = managed_create(other_api_user, name="Far Away Solar", email="far@example.com")
    device = device_onboarded(managed, "MANAGED-1")
    device_onboarded(foreign, "MANAGED-1")
    integrator = client_for(api_user)
    content = reads_csv([csv_read("MANAGED-1", T + HOUR)])

    assert_error(reads_csv_upload(integrator, content), 400, "organizationId")
    assert_error(reads_csv_upload(integrator, content, foreign.pk), 404)
    job = upload_and_run(committed, integrator, content, managed.pk)
    assert job["rowsCreated"] == 1
    assert [read[2] for read in rows(device)] == [T + HOUR]
    assert MeterRead.objects.count() == 1
    assert integrator.get(CSV_URL, {"organizationId": managed.pk}).json()["totalCount"] == 1
    assert_error(client_for(other_api_user).get(csv_job_url(job["jobId"]), {"organizationId": managed.pk}), 404)


def test_the_rule_is_the_json_batchs(client_for, buyer, developer_admin):
    """READS_MANAGEMENT_CRUDL Write, as POST /api/meter-reads/new/{externalId}: no bulk-upload
    grant needed, and a Read grant alone does not do."""
    content = reads_csv([csv_read("SHS-1", T + HOUR)])
    reader = approved(
        api_user_create(email="reader@example.com", organization_name="Reader"), (("READS_MANAGEMENT_CRUDL", "Read"),)
    )
    developer_user = member_create(developer_admin.organization, email="user@example.com", role=Role.USER)
    for user in (buyer, reader, developer_user):
        assert_error(reads_csv_upload(client_for(user), content), 403)
        assert_error(client_for(user).post("/api/meter-reads/new/SHS-1", {}, format="json"), 403)
    assert client_for(developer_user).get(CSV_URL).status_code == 200  # reading the jobs is Read
    assert not CsvJob.objects.exists()


# --- The file -------------------------------------------------------------------------------------


def test_the_template_is_a_file_the_upload_takes(committed, developer, developer_admin):
    device = device_onboarded(developer_admin.organization, "SHS-0001")
    template = developer.get(f"{CSV_URL}/template.csv")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("text/csv")
    assert template.content.decode().splitlines()[0] == "externalId,type,unit,starttimestamp,endtimestamp,value"

    job = upload_and_run(committed, developer, template.content)

    assert (job["rowsCreated"], job["rowsFailed"]) == (2, 0)
    assert [(read[0], read[3]) for read in rows(device)] == [("History", 120_000), ("Delta", 15_500)]


def test_a_file_without_a_required_column_fails_naming_it(committed, developer, developer_admin):
    device_onboarded(developer_admin.organization)
    content = reads_csv([csv_read("SHS-1", T + HOUR)], columns=["externalId", "type", "endtimestamp"])
    job = upload_and_run(committed, developer, content)
    assert job["status"] == "Failed"
    assert "unit" in job["error"]
    assert "value" in job["error"]
    assert not MeterRead.objects.exists()


def test_a_file_of_more_rows_than_allowed_is_refused(developer, developer_admin, settings):
    settings.DREC_READS_CSV_MAX_ROWS = 2
    content = reads_csv([csv_read("SHS-1", T + n * HOUR) for n in (1, 2, 3)])
    body = assert_error(reads_csv_upload(developer, content), 400, "csvFile")
    assert "DREC_READS_CSV_MAX_ROWS" in body["message"]
    assert_error(reads_csv_upload(developer, content, name="reads.txt"), 400, "csvFile")
    assert not CsvJob.objects.exists()


# --- Never stuck, never twice ---------------------------------------------------------------------


class WorkerKilled(BaseException):
    """The worker process dies (no ``except Exception`` runs)."""


def test_a_job_whose_worker_died_goes_on_with_the_devices_not_stored_yet(developer_admin, monkeypatch):
    organization = developer_admin.organization
    devices = [device_onboarded(organization, f"M-{n}") for n in range(3)]
    lines = [csv_read(device.external_id, T + hour * HOUR) for hour in (1, 2) for device in devices]
    monkeypatch.setattr(device_bulk, "enqueue", lambda *args, **kwargs: None)  # the calls below are the worker
    job = device_bulk.csv_job_create(
        acting_user=developer_admin,
        organization=organization,
        file_name="reads.csv",
        data=reads_csv(lines),
        kind="reads",
    )
    monkeypatch.setattr(bulk, "BATCH_ROWS", 2)  # a batch a device
    store = bulk._store_batch
    calls = []

    def dies_on_the_second_batch(job, batch):
        calls.append(batch)
        if len(calls) == 2:
            raise WorkerKilled
        return store(job, batch)

    monkeypatch.setattr(bulk, "_store_batch", dies_on_the_second_batch)
    with pytest.raises(WorkerKilled):
        bulk.reads_csv_job_process(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_processed, job.rows_created) == ("Running", 2, 2)
    monkeypatch.setattr(bulk, "_store_batch", store)

    bulk.reads_csv_job_process(job.pk)  # the worker may still be alive: nobody else takes the job
    assert CsvJob.objects.get(pk=job.pk).rows_processed == 2
    silent = timezone.now() - timedelta(seconds=settings.DREC_CSV_JOB_STALE_SECONDS + 5)
    CsvJob.objects.filter(pk=job.pk).update(updated_at=silent)
    bulk.reads_csv_job_process(job.pk)

    job.refresh_from_db()
    assert (job.status, job.rows_total, job.rows_processed, job.rows_created, job.rows_failed) == (
        "Completed",
        6,
        6,
        6,
        0,
    )
    assert [MeterRead.objects.filter(device=device).count() for device in devices] == [2, 2, 2]
    assert CsvDeviceReads.objects.filter(job=job).count() == 3
    assert not CsvRowError.objects.exists()


def test_an_unexpected_error_fails_the_job_and_keeps_the_devices_stored(developer_admin, monkeypatch):
    organization = developer_admin.organization
    devices = [device_onboarded(organization, f"M-{n}") for n in range(2)]
    monkeypatch.setattr(device_bulk, "enqueue", lambda *args, **kwargs: None)
    job = device_bulk.csv_job_create(
        acting_user=developer_admin,
        organization=organization,
        file_name="reads.csv",
        data=reads_csv([csv_read(device.external_id, T + HOUR) for device in devices]),
        kind="reads",
    )
    monkeypatch.setattr(bulk, "BATCH_ROWS", 1)
    store = bulk._store_batch
    calls = []

    def breaks_on_the_second_batch(job, batch):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return store(job, batch)

    monkeypatch.setattr(bulk, "_store_batch", breaks_on_the_second_batch)
    bulk.reads_csv_job_process(job.pk)

    job.refresh_from_db()
    assert job.status == "Failed"
    assert "disk on fire" not in job.error
    assert "the reads of the devices stored so far are kept" in job.error
    assert job.finished_at is not None
    assert [MeterRead.objects.filter(device=device).count() for device in devices] == [1, 0]


def test_the_watch_queues_a_forgotten_reads_job_to_the_reads_worker(committed, developer_admin, monkeypatch):
    device = device_onboarded(developer_admin.organization)
    queued = []
    monkeypatch.setattr(device_bulk, "enqueue", lambda name, *args: queued.append((name, *args)))
    job = device_bulk.csv_job_create(
        acting_user=developer_admin,
        organization=developer_admin.organization,
        file_name="reads.csv",
        data=reads_csv([csv_read("SHS-1", T + HOUR)]),
        kind="reads",
    )
    assert queued == [("reads.tasks.reads_csv_job_process", job.pk)]
    monkeypatch.undo()
    forgotten = timezone.now() - timedelta(seconds=settings.DREC_CSV_JOB_STALE_SECONDS + 60)
    CsvJob.objects.filter(pk=job.pk).update(created_at=forgotten)

    with committed():
        device_bulk.csv_jobs_watch()

    job.refresh_from_db()
    assert (job.status, job.rows_created) == (CsvJobStatus.COMPLETED, 1)
    assert MeterRead.objects.filter(device=device).count() == 1

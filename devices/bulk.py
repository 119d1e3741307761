"""Bulk uploads: a CSV becomes a job that the task cluster processes in batches.

The job machinery (creating, claiming, finishing, watching) serves both kinds of job: device
uploads, processed here, and meter-read uploads (``kind`` "reads"), processed by reads.bulk.
Each batch (its devices, its row errors and the job's counters) commits together, so the
progress a user sees is exactly what is stored, and a job taken over after a crashed worker
resumes after its last committed batch. A job ends ``Completed`` or ``Failed``, never stuck
(:func:`_finish` is the one place a job ends): ``csv_jobs_watch`` (scheduled) re-queues jobs
whose worker stopped, for another worker to take over, fails those nobody took over, and
re-queues forgotten ones.
"""

import csv
import io
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.files import uploadedfile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from rest_framework import serializers

from devices.fields import CSV_COLUMNS, REQUIRED, DeviceFields, device_fields, serializer_fields
from devices.models import CsvJob, CsvJobKind, CsvJobStatus, CsvRowError, Device, UploadedFile
from devices.services import device_build, device_rules
from drec.errors import InvalidInput, NotFound, PayloadTooLarge
from drec.tasks import enqueue
from organizations.models import Organization
from webhooks import events

logger = logging.getLogger("drec.bulk")

COLUMNS = CSV_COLUMNS
TEMPLATE_ROW = {
    "externalId": "SHS-0001",
    "projectName": "Village solar homes",
    "address": "12 Market Road, Pune",
    "latitude": "18.5204",
    "longitude": "73.8567",
    "countryCode": "IND",
    "fuelCode": "ES100",
    "deviceTypeCode": "TC120",
    "capacity": "2.5",
    "commissioningDate": "2024-01-15T10:30:00.000Z",
    "gridInterconnection": "false",
    "offTaker": "Residential",
    "impactStory": "",
    "deviceDescription": "Solar Home System",
    "energyStorage": "true",
    "energyStorageCapacity": "1.2",
    "qualityLabels": "",
}
BATCH_SIZE = 500
# The task processing each kind of job, by name (the reads app builds on this module).
PROCESS_TASKS = {
    CsvJobKind.DEVICES: "devices.tasks.csv_job_process",
    CsvJobKind.READS: "reads.tasks.reads_csv_job_process",
}


class CsvJobRefused(Exception):
    """The file cannot be processed at all (e.g. a required column is missing): the job fails
    with this message, a user's to act on."""


class CsvRowIn(serializers.Serializer):
    """One CSV row: text cells typed like the API's JSON fields (devices.fields)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return serializer_fields(csv=True)


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A CSV file of ``rows`` under the header ``columns`` (the upload templates of both kinds)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def template_csv() -> str:
    """The upload template: the exact header and one example row."""
    return csv_text(COLUMNS, [TEMPLATE_ROW])


def max_rows(kind: str) -> int:
    """The most data rows a file of a job of ``kind`` may have."""
    return settings.DREC_READS_CSV_MAX_ROWS if kind == CsvJobKind.READS else settings.DREC_CSV_MAX_ROWS


def _check_file(data: bytes, name: str, *, kind: str) -> None:
    if len(data) > settings.DREC_CSV_MAX_BYTES:
        raise PayloadTooLarge(
            f"The file is {len(data)} bytes; the limit is {settings.DREC_CSV_MAX_BYTES} bytes (DREC_CSV_MAX_BYTES).",
            errors={"csvFile": [f"Larger than {settings.DREC_CSV_MAX_BYTES} bytes."]},
        )
    if not name.lower().endswith(".csv"):
        raise InvalidInput("Invalid file: upload a .csv file.", errors={"csvFile": ["Not a .csv file."]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", errors={"csvFile": ["Not UTF-8 text."]}) from None
    rows, limit = max(0, sum(1 for line in text.splitlines() if line.strip()) - 1), max_rows(kind)
    if rows > limit:
        setting = "DREC_READS_CSV_MAX_ROWS" if kind == CsvJobKind.READS else "DREC_CSV_MAX_ROWS"
        raise InvalidInput(
            f"The file has {rows} rows; the limit is {limit} rows ({setting}).",
            errors={"csvFile": [f"More than {limit} rows."]},
        )


def files_upload(*, acting_user, organization, files: Sequence[uploadedfile.UploadedFile]) -> list[UploadedFile]:
    """Keep uploaded CSV files (the original's POST /api/file) for a later bulk job: all of
    them or none.

    One request sends at most DREC_UPLOAD_MAX_FILES_PER_REQUEST files, and an organization
    keeps at most DREC_UPLOAD_QUOTA_FILES files and DREC_UPLOAD_QUOTA_BYTES bytes at a time;
    files are kept DREC_UPLOAD_RETENTION_HOURS hours (a job copies what it uses)."""
    if not files:
        raise InvalidInput("Send at least one file in the field files.", errors={"files": ["Required."]})
    limit = settings.DREC_UPLOAD_MAX_FILES_PER_REQUEST
    if len(files) > limit:
        # Refused before any file is read.
        raise PayloadTooLarge(
            f"{len(files)} files sent; a request may send at most {limit} files (DREC_UPLOAD_MAX_FILES_PER_REQUEST).",
            errors={"files": [f"More than {limit} files."]},
        )
    quota_bytes = settings.DREC_UPLOAD_QUOTA_BYTES
    contents, size = [], 0
    for upload in files:
        name = upload.name or ""
        data = upload.read(settings.DREC_CSV_MAX_BYTES + 1)
        _check_upload(name, data)
        size += len(data)
        if size > quota_bytes:
            # More than the organization may ever keep: refused before the rest is read.
            raise PayloadTooLarge(
                f"The files sent are more than {quota_bytes} bytes together, the quota of an organization "
                "(DREC_UPLOAD_QUOTA_BYTES).",
                errors={"files": [f"More than the quota of {quota_bytes} bytes."]},
            )
        contents.append((name, upload.content_type or "", data))
    with transaction.atomic():
        # One upload at a time per organization, so concurrent requests cannot both pass the quota.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        uploaded_files_purge(organization=organization)
        kept = UploadedFile.objects.filter(organization=organization).aggregate(files=Count("pk"), size=Sum("size"))
        _check_quota(files=kept["files"], size=kept["size"] or 0, adding_files=len(contents), adding_size=size)
        return [
            UploadedFile.objects.create(
                key=f"{name.rsplit('.', 1)[0][:200]}-{uuid.uuid4()}.csv",
                original_name=name[:255],
                content_type=content_type[:100],
                data=data,
                size=len(data),
                organization=organization,
                uploaded_by=acting_user,
            )
            for name, content_type, data in contents
        ]


def _check_upload(name: str, data: bytes) -> None:
    if len(data) > settings.DREC_CSV_MAX_BYTES:
        raise PayloadTooLarge(
            f"The file is {len(data)} bytes; the limit is {settings.DREC_CSV_MAX_BYTES} bytes (DREC_CSV_MAX_BYTES).",
            errors={"files": [f"Larger than {settings.DREC_CSV_MAX_BYTES} bytes."]},
        )
    if not name.lower().endswith(".csv"):
        # Only CSVs are used (bulk upload); a key ending .csv must hold one (backend.md §15.3 #26).
        raise InvalidInput(f"Invalid file {name}: upload a .csv file.", errors={"files": ["Not a .csv file."]})


def _check_quota(*, files: int, size: int, adding_files: int, adding_size: int) -> None:
    """Refuse files that would take the organization past its quota of kept files."""
    hours = settings.DREC_UPLOAD_RETENTION_HOURS
    later = (
        f"Files are removed {hours} hours after upload (DREC_UPLOAD_RETENTION_HOURS); "
        "a bulk job keeps its own copy of the file it names."
    )
    quota_files = settings.DREC_UPLOAD_QUOTA_FILES
    if files + adding_files > quota_files:
        raise PayloadTooLarge(
            f"Your organization keeps {files} uploaded files; {adding_files} more would pass its quota of "
            f"{quota_files} files (DREC_UPLOAD_QUOTA_FILES). {later}",
            errors={"files": [f"More than the quota of {quota_files} files."]},
        )
    quota_bytes = settings.DREC_UPLOAD_QUOTA_BYTES
    if size + adding_size > quota_bytes:
        raise PayloadTooLarge(
            f"Your organization keeps {size} bytes of uploaded files; {adding_size} more would pass its quota of "
            f"{quota_bytes} bytes (DREC_UPLOAD_QUOTA_BYTES). {later}",
            errors={"files": [f"More than the quota of {quota_bytes} bytes."]},
        )


def uploaded_files_purge(*, organization=None) -> int:
    """Delete the files uploaded more than DREC_UPLOAD_RETENTION_HOURS ago (of one organization,
    or all): a bulk job copied the bytes of the file it names when it was created, so an old
    file is no longer needed. Returns how many were deleted."""
    cutoff = timezone.now() - timedelta(hours=settings.DREC_UPLOAD_RETENTION_HOURS)
    expired = UploadedFile.objects.filter(created_at__lt=cutoff)
    if organization is not None:
        expired = expired.filter(organization=organization)
    deleted, _ = expired.delete()
    return deleted


@transaction.atomic
def csv_job_create(
    *,
    acting_user,
    organization,
    file_name: str | None = None,
    data: bytes | None = None,
    kind: str = CsvJobKind.DEVICES,
) -> CsvJob:
    """Queue a bulk upload (of devices, or of meter reads with ``kind`` "reads") into a
    Developer organization: the CSV itself, or the ``fileName`` of a file uploaded earlier by
    the same organization's side (its api user or members)."""
    if data is None:
        if not file_name:
            raise InvalidInput(
                "Send the CSV as csvFile, or the fileName of an uploaded file.", errors={"csvFile": ["Required."]}
            )
        uploaded = UploadedFile.objects.filter(key=file_name, uploaded_by=acting_user).first()
        if uploaded is None:
            raise NotFound(f"File Not Found: {file_name}")
        data = bytes(uploaded.data)
    _check_file(data, file_name or "", kind=kind)
    job = CsvJob.objects.create(
        organization=organization, created_by=acting_user, file_name=file_name or "", data=data, kind=kind
    )
    enqueue(PROCESS_TASKS[CsvJobKind(kind)], job.pk)
    return job


def _claim(job_id: int) -> CsvJob | None:
    """Take the job for this worker: a new one, or a running one whose worker went silent."""
    stale = timezone.now() - timedelta(seconds=settings.DREC_CSV_JOB_STALE_SECONDS)
    claimed = CsvJob.objects.filter(
        Q(status=CsvJobStatus.ADDED) | Q(status=CsvJobStatus.RUNNING, updated_at__lt=stale), pk=job_id
    ).update(status=CsvJobStatus.RUNNING, updated_at=timezone.now())
    if not claimed:
        return None
    job = CsvJob.objects.get(pk=job_id)
    if job.started_at is None:
        CsvJob.objects.filter(pk=job_id).update(started_at=timezone.now())
    return job


def _finish(job_id: int, *, status: str, error: str = "") -> None:
    """End a job of either kind, ``Completed`` or ``Failed``: the one place a job ends."""
    now = timezone.now()
    with transaction.atomic():  # the job's end and its webhook event (SPEC §14), together
        CsvJob.objects.filter(pk=job_id).update(status=status, error=error, finished_at=now, updated_at=now)
        events.bulk_job_finished(CsvJob.objects.get(pk=job_id))


def _fail(job_id: int, message: str) -> None:
    _finish(job_id, status=CsvJobStatus.FAILED, error=message)


def csv_job_run(job_id: int, process: Callable[[CsvJob], None], *, kept: str) -> None:
    """Run a job of either kind: claim it, ``process`` it, then mark it Completed; Failed when
    ``process`` refuses the file (:class:`CsvJobRefused`) or breaks (``kept`` says what of the
    work done so far stays). Nothing happens when another worker holds the job."""
    job = _claim(job_id)
    if job is None:
        return
    try:
        process(job)
    except CsvJobRefused as refused:
        _fail(job_id, str(refused))
    except Exception:
        logger.exception("Bulk upload job %s failed", job_id)
        _fail(job_id, f"Processing failed unexpectedly; {kept} Upload the rest again.")
    else:
        _finish(job_id, status=CsvJobStatus.COMPLETED)


def csv_job_rows(job: CsvJob, *, required: AbstractSet[str]) -> list[dict[str, str]]:
    """The data rows of a job's file as dicts by (trimmed) column name, after checking it has
    the ``required`` columns and at most the rows its kind allows; also records the total."""
    reader = csv.DictReader(io.StringIO(bytes(job.data).decode("utf-8-sig")))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = sorted(required - set(header))
    if missing:
        raise CsvJobRefused(f"Missing column(s): {', '.join(missing)}. Download the template for the exact header.")
    reader.fieldnames = header
    rows = list(reader)
    if len(rows) > max_rows(job.kind):
        raise CsvJobRefused(f"The file has {len(rows)} rows; the limit is {max_rows(job.kind)}.")
    CsvJob.objects.filter(pk=job.pk).update(rows_total=len(rows))
    return rows


def _row_values(row: dict) -> dict:
    """Cells as input: trimmed, empty cells absent."""
    return {key: value.strip() for key, value in row.items() if key in COLUMNS and value is not None and value.strip()}


def csv_job_process(job_id: int) -> None:
    """Validate every row and create the valid devices, batch by batch (see module doc)."""
    csv_job_run(job_id, _process, kept="the rows created so far are kept.")


def _process(job: CsvJob) -> None:
    rows = csv_job_rows(job, required=REQUIRED)
    organization = job.organization
    existing = {
        value.lower()
        for value in Device.objects.filter(organization=organization).values_list("external_id", flat=True)
    }
    first_row_of: dict[str, int] = {}
    parser = CsvRowIn()  # one instance for all rows: building a serializer per row costs more than checking it
    for start in range(job.rows_processed, len(rows), BATCH_SIZE):
        devices, errors = [], []
        for index in range(start, min(start + BATCH_SIZE, len(rows))):
            number = index + 1
            values = _row_values(rows[index])
            external_id = values.get("externalId", "")
            try:
                fields = device_fields(parser.run_validation(values))
            except serializers.ValidationError as invalid:
                detail = cast(dict[str, list[str]], invalid.detail)  # a serializer's errors are by field
                problems = {field: [str(message) for message in messages] for field, messages in detail.items()}
                fields = DeviceFields()
            else:
                problems = device_rules(fields)
            key = fields.get("external_id", external_id).strip().lower()
            if key and "externalId" not in problems:
                if key in first_row_of:
                    problems["externalId"] = [
                        f"Row {number} duplicates row {first_row_of[key]} (externalId {external_id})"
                    ]
                elif key in existing:
                    problems["externalId"] = ["ExternalId already exist, cant add entry with same external id"]
                else:
                    first_row_of[key] = number
            if problems:
                errors += [
                    CsvRowError(
                        job=job,
                        row_number=number,
                        external_id=external_id[:255],
                        field=field,
                        message=message[:500],
                        value=str(values.get(field, ""))[:255],
                    )
                    for field, messages in problems.items()
                    for message in messages
                ]
            else:
                devices.append(device_build(organization, fields, bulk_job=job, bulk_row=number))
                existing.add(key)
        with transaction.atomic():  # the batch and the progress it makes, together
            devices = _insert(devices, errors, job)
            CsvRowError.objects.bulk_create(errors)
            failed_rows = len({error.row_number for error in errors})
            CsvJob.objects.filter(pk=job.pk).update(
                rows_processed=min(start + BATCH_SIZE, len(rows)),
                rows_created=F("rows_created") + len(devices),
                rows_failed=F("rows_failed") + failed_rows,
                updated_at=timezone.now(),
            )


def _insert(devices: list[Device], errors: list[CsvRowError], job: CsvJob) -> list[Device]:
    """Insert a batch; if a device registered meanwhile takes an externalId, insert row by row
    and report the taken ones."""
    try:
        with transaction.atomic():
            return Device.objects.bulk_create(devices)
    except IntegrityError:
        created = []
        for device in devices:
            try:
                with transaction.atomic():
                    device.save()
                created.append(device)
            except IntegrityError:
                errors.append(
                    CsvRowError(
                        job=job,
                        row_number=cast(int, device.bulk_row),  # every device of a job has its row
                        external_id=device.external_id,
                        field="externalId",
                        message="ExternalId already exist, cant add entry with same external id",
                        value=device.external_id,
                    )
                )
        return created


def csv_jobs_watch() -> None:
    """Scheduled: queue again the jobs whose worker stopped (no progress for
    DREC_CSV_JOB_STALE_SECONDS), for another worker to take over after their last committed
    batch; fail those still without progress three times as long (no worker could take them
    over); and queue again jobs that were never picked up.

    The task of a job whose worker died is not redelivered by every broker (Redis never does;
    the ORM broker does after Q_CLUSTER's ``retry``, which need not fall between one and three
    times DREC_CSV_JOB_STALE_SECONDS): the watch is what takes the job up again. A copy queued
    while the job is claimed does nothing (:func:`_claim`)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DREC_CSV_JOB_STALE_SECONDS)
    dead = now - timedelta(seconds=settings.DREC_CSV_JOB_STALE_SECONDS * 3)
    for job_id in CsvJob.objects.filter(status=CsvJobStatus.RUNNING, updated_at__lt=dead).values_list("pk", flat=True):
        _fail(
            job_id, "The worker processing this job stopped; the rows created so far are kept. Upload the rest again."
        )
    for job_id, kind in CsvJob.objects.filter(
        Q(status=CsvJobStatus.ADDED, created_at__lt=stale) | Q(status=CsvJobStatus.RUNNING, updated_at__lt=stale)
    ).values_list("pk", "kind"):
        enqueue(PROCESS_TASKS[CsvJobKind(kind)], job_id)

"""Meter reads by file (SPEC §14): a CSV of reads of several devices becomes a bulk job of kind
"reads", on devices.bulk's machinery (one job model, job list and status, the same worker
take-over and watch).

Rows are grouped by device: the externalId, any case, among the devices of the job's
organization (a device of another organization is unknown here, as it is to the JSON door).
Each device's rows are checked and stored by ``reads.services.reads_ingest``, the rules of a
JSON batch, all or nothing: one refused row and none of the device's rows are stored. Every
refusal is a row error naming the row, the column and the reason.

A JSON batch has one type and one unit: a device's rows go to the service in file order, in
runs of consecutive rows of the same type and unit (at most DREC_MAX_READS_PER_REQUEST each),
inside one savepoint. Once a run is refused the device's later runs are not checked: they
would be checked against reads that are not going to be stored.

Devices are committed in batches of about BATCH_ROWS rows, together with what became of each
(``CsvDeviceReads``), their row errors and the job's counters: a job taken over after a
crashed worker goes on with the devices not decided yet.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from devices.bulk import csv_job_rows, csv_job_run, csv_text
from devices.models import CsvDeviceReads, CsvJob, CsvRowError, Device
from drec.errors import DomainError
from reads import selectors, services

COLUMNS = ["externalId", "type", "unit", "starttimestamp", "endtimestamp", "value"]
# starttimestamp is for History reads only: a file of ongoing reads may leave the column out.
REQUIRED = {"externalId", "type", "unit", "endtimestamp", "value"}
TEMPLATE_ROWS = [
    {
        "externalId": "SHS-0001",
        "type": "History",
        "unit": "kWh",
        "starttimestamp": "2023-12-01T00:00:00Z",
        "endtimestamp": "2023-12-31T23:59:59Z",
        "value": "120",
    },
    {
        "externalId": "SHS-0001",
        "type": "Delta",
        "unit": "kWh",
        "starttimestamp": "",
        "endtimestamp": "2024-02-01T00:00:00Z",
        "value": "15.5",
    },
]
BATCH_ROWS = 2_000

Row = tuple[int, dict[str, str]]  # (row number, 1 = the first data row; its non-empty cells)


@dataclass
class DeviceRows:
    """The rows of one externalId in the file, in file order."""

    external_id: str  # as its first row gives it
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class RowProblem:
    row: Row
    field: str
    message: str


def template_csv() -> str:
    """The reads upload template: the exact header, a History read and a Delta read."""
    return csv_text(COLUMNS, TEMPLATE_ROWS)


def reads_csv_job_process(job_id: int) -> None:
    """Store the reads of a reads job, device by device (see the module's doc)."""
    csv_job_run(job_id, _process, kept="the reads of the devices stored so far are kept.")


def _cells(row: dict) -> dict[str, str]:
    """A row's cells as a batch's input: trimmed, empty cells absent (as a read that leaves a key out)."""
    return {key: value.strip() for key, value in row.items() if key in COLUMNS and value is not None and value.strip()}


def _group(rows: Sequence[dict]) -> dict[str, DeviceRows]:
    by_device: dict[str, DeviceRows] = {}
    for index, row in enumerate(rows):
        cells = _cells(row)
        external_id = cells.get("externalId", "")
        by_device.setdefault(external_id.lower(), DeviceRows(external_id)).rows.append((index + 1, cells))
    return by_device


def _process(job: CsvJob) -> None:
    by_device = _group(csv_job_rows(job, required=REQUIRED))
    decided = {external_id.lower() for external_id in job.device_reads.values_list("external_id", flat=True)}
    pending = [(key, rows) for key, rows in by_device.items() if key not in decided]
    devices = selectors.devices_by_external_id(
        organization=job.organization, external_ids=[key for key, _rows in pending if key]
    )
    batch: list[tuple[Device | None, DeviceRows]] = []
    size = 0
    for key, rows in pending:
        batch.append((devices.get(key), rows))
        size += len(rows.rows)
        if size >= BATCH_ROWS:
            _store_batch(job, batch)
            batch, size = [], 0
    if batch:
        _store_batch(job, batch)


def _store_batch(job: CsvJob, batch: list[tuple[Device | None, DeviceRows]]) -> None:
    """Store the devices of a batch (each all or nothing) with what became of them and the
    job's progress, in one transaction."""
    outcomes, errors = [], []
    with transaction.atomic():
        for device, rows in batch:
            problems = _store_device(device, rows) if device is not None else _unknown(rows, job)
            numbers = [number for number, _cells in rows.rows]
            outcomes.append(
                CsvDeviceReads(
                    job=job,
                    external_id=rows.external_id[:255],
                    device=device,
                    first_row=numbers[0],
                    row_ranges=_ranges(numbers),
                    rows=len(numbers),
                    stored=0 if problems else len(numbers),
                )
            )
            errors += [
                CsvRowError(
                    job=job,
                    row_number=problem.row[0],
                    external_id=rows.external_id[:255],
                    field=problem.field[:64],
                    message=problem.message[:500],
                    value=problem.row[1].get(problem.field, "")[:255],
                )
                for problem in problems
            ]
        CsvDeviceReads.objects.bulk_create(outcomes)
        CsvRowError.objects.bulk_create(errors)
        CsvJob.objects.filter(pk=job.pk).update(
            rows_processed=F("rows_processed") + sum(outcome.rows for outcome in outcomes),
            rows_created=F("rows_created") + sum(outcome.stored for outcome in outcomes),
            rows_failed=F("rows_failed") + len({error.row_number for error in errors}),
            updated_at=timezone.now(),
        )


def _unknown(rows: DeviceRows, job: CsvJob) -> list[RowProblem]:
    if not rows.external_id:
        return [RowProblem(row, "externalId", "The externalId is required.") for row in rows.rows]
    message = f"No device with externalId {rows.external_id} in {job.organization.name}: register it first."
    return [RowProblem(row, "externalId", message) for row in rows.rows]


def _batch_of(row: Row) -> tuple[str, str]:
    """The type and unit of a row: what a JSON batch gives once for all its reads."""
    return row[1].get("type", ""), row[1].get("unit", "")


def _runs(rows: list[Row]) -> Iterator[tuple[tuple[str, str], list[Row]]]:
    """Consecutive rows of the same type and unit, at most a JSON batch's number of reads each."""
    run: list[Row] = []
    for row in rows:
        if run and (_batch_of(row) != _batch_of(run[0]) or len(run) == settings.DREC_MAX_READS_PER_REQUEST):
            yield _batch_of(run[0]), run
            run = []
        run.append(row)
    if run:
        yield _batch_of(run[0]), run


def _store_device(device: Device, rows: DeviceRows) -> list[RowProblem]:
    """Store one device's rows, all or none; the problems of the rows refused."""
    with transaction.atomic():
        for (read_type, unit), run in _runs(rows.rows):
            reads = [
                {key: cells[key] for key in ("starttimestamp", "endtimestamp", "value") if key in cells}
                for _number, cells in run
            ]
            try:
                services.reads_ingest(device=device, read_type=read_type, unit=unit, timezone_name=None, reads=reads)
            except DomainError as refused:
                transaction.set_rollback(True)  # the device's earlier runs too
                return _row_problems(refused, run)
    return []


def _row_problems(refused: DomainError, run: list[Row]) -> list[RowProblem]:
    """The service's refusal of a run, row by row: its reads' problems by index, or a problem
    of the run as a whole (its type or unit) for each of its rows."""
    if isinstance(refused.errors, list):
        return [RowProblem(run[item["index"]], item["field"], item["message"]) for item in refused.errors]
    fields = list(refused.errors) if isinstance(refused.errors, dict) and refused.errors else ["read"]
    return [RowProblem(row, name, refused.message) for row in run for name in fields]


def _ranges(numbers: list[int]) -> list[list[int]]:
    """Ascending row numbers as [first, last] ranges of consecutive numbers."""
    ranges: list[list[int]] = []
    for number in numbers:
        if ranges and ranges[-1][1] == number - 1:
            ranges[-1][1] = number
        else:
            ranges.append([number, number])
    return ranges

"""Plain helpers of the meter-read tests: devices with a chosen onboarding date, batches, CSVs."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from devices.models import Device
from tests.devices.helpers import device_make

ONBOARDED = datetime(2024, 1, 1, tzinfo=UTC)
COMMISSIONED = datetime(2022, 1, 1, tzinfo=UTC)


def reads_url(ref) -> str:
    return f"/api/meter-reads/new/{ref}"


def device_onboarded(
    organization, external_id: str = "SHS-1", *, onboarded=ONBOARDED, commissioned=COMMISSIONED, capacity="5"
) -> Device:
    """A device registered through the service, then moved back in time to ``onboarded``."""
    device = device_make(organization, external_id, commissioningDate=commissioned, capacity=Decimal(capacity))
    Device.objects.filter(pk=device.pk).update(created_at=onboarded)
    device.refresh_from_db()
    return device


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def hourly(start: datetime, count: int, value=1000) -> list[dict]:
    """``count`` ongoing reads, one per hour after ``start``."""
    return [{"endtimestamp": iso(start + timedelta(hours=n + 1)), "value": value} for n in range(count)]


def batch(read_type: str, reads: list[dict], unit: str = "Wh", **extra) -> dict:
    return {"type": read_type, "unit": unit, "reads": reads, **extra}


# --- Reads by file ------------------------------------------------------------------------------

CSV_URL = "/api/meter-reads/bulk-csv"
CSV_COLUMNS = ["externalId", "type", "unit", "starttimestamp", "endtimestamp", "value"]


def csv_job_url(job_id) -> str:
    return f"{CSV_URL}/{job_id}"


def csv_read(external_id: str, end: datetime, value=1000, read_type="Delta", unit="Wh", start=None) -> dict:
    """One row of a reads CSV (cells as text)."""
    return {
        "externalId": external_id,
        "type": read_type,
        "unit": unit,
        "starttimestamp": iso(start) if start is not None else "",
        "endtimestamp": iso(end),
        "value": str(value),
    }


def reads_csv(rows: list[dict], columns: list[str] = CSV_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def reads_csv_upload(client, content: bytes, organization_id=None, name: str = "reads.csv"):
    """POST a reads CSV as the multipart field csvFile (``organizationId`` in the query)."""
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    query = f"?organizationId={organization_id}" if organization_id is not None else ""
    return client.post(CSV_URL + query, {"csvFile": upload}, format="multipart")

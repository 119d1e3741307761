"""Plain helpers of the device tests: request bodies, devices made through the service, CSVs."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from devices import services
from devices.bulk import COLUMNS
from devices.fields import device_fields
from devices.models import Device

DEVICE_URL = "/api/device"
MY_URL = "/api/device/my"
UNGROUPED_URL = "/api/device/ungrouped/buyerreservation"
FILE_URL = "/api/file"
JOBS_URL = "/api/buyer-reservation/bulk-upload/get-all-csv-jobs-of-organization"
TEMPLATE_URL = "/api/device/bulk-upload/template.csv"


def bulk_url(organization_id) -> str:
    return f"/api/device/addByAdmin/process-creation-bulk-devices-csv/{organization_id}"


def job_url(job_id) -> str:
    return f"/api/buyer-reservation/bulk-upload-status/{job_id}"


# The response keys of a device, as the original returned them (backend.md §7.2).
DEVICE_KEYS = {
    "createdAt",
    "updatedAt",
    "id",
    "externalId",
    "internalexternalId",
    "organizationId",
    "projectName",
    "address",
    "latitude",
    "longitude",
    "countryCode",
    "fuelCode",
    "deviceTypeCode",
    "capacity",
    "SDGBenefits",
    "commissioningDate",
    "gridInterconnection",
    "offTaker",
    "yieldValue",
    "impactStory",
    "images",
    "groupId",
    "deviceDescription",
    "energyStorage",
    "energyStorageCapacity",
    "qualityLabels",
    "meterReadtype",
    "timezone",
    "version",
    "IREC_Status",
    "IREC_ID",
    "api_user_id",
}
PAGE_KEYS = {"currentPage", "totalPages", "totalCount"}

OMIT = object()


def device_body(**overrides) -> dict:
    """A valid registration body; ``field=OMIT`` leaves a field out."""
    body = {
        "externalId": "SHS-0001",
        "projectName": "Village solar homes",
        "address": "12 Market Road, Pune",
        "latitude": "18.5204",
        "longitude": "73.8567",
        "countryCode": "IND",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC120",
        "capacity": 2.5,
        "commissioningDate": "2022-10-18T11:35:27.640Z",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not OMIT}


def device_make(organization, external_id: str, **fields) -> Device:
    """A device registered through the service (the rules apply), with typed values."""
    data = {
        "externalId": external_id,
        "address": f"{external_id} Solar Lane",
        "latitude": Decimal("18.5204"),
        "longitude": Decimal("73.8567"),
        "countryCode": "IND",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC120",
        "capacity": Decimal("2.5"),
        "commissioningDate": datetime(2022, 10, 18, 11, 35, tzinfo=UTC),
    }
    data.update(fields)
    return services.device_register(organization=organization, fields=device_fields(data))


def ids(devices: list[dict]) -> list[str]:
    """The developers' ids of a device list, in the answer's order."""
    return [device["externalId"] for device in devices]


# --- CSV ------------------------------------------------------------------------------------


def csv_row(number: int, **overrides) -> dict:
    """A valid CSV row (all template columns as text)."""
    row = {
        "externalId": f"BULK-{number:04d}",
        "projectName": "Bulk homes",
        "address": f"{number} Bulk Street, Nairobi",
        "latitude": "-1.2921",
        "longitude": "36.8219",
        "countryCode": "KEN",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC110",
        "capacity": "3.5",
        "commissioningDate": "2023-03-01T08:00:00.000Z",
        "gridInterconnection": "true",
        "offTaker": "Residential",
        "impactStory": "",
        "deviceDescription": "Solar Home System",
        "energyStorage": "false",
        "energyStorageCapacity": "",
        "qualityLabels": "",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict], columns: list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def csv_upload(client, organization_id, content: bytes, name: str = "devices.csv"):
    """POST a CSV as the multipart field csvFile."""
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(bulk_url(organization_id), {"csvFile": upload}, format="multipart")


def card(prefix: str = "d0", **overrides) -> dict:
    """The fields of one device card of the portal's registration form (prefix "d0", "d1"...;
    "" for the edit form's bare names), valid unless overridden."""
    fields = {
        "projectName": "Portal homes",
        "externalId": "Portal-1",
        "countryCode": "IND",
        "commissioningDate": "2022-10-18T11:35",
        "capacity": "2.5",
        "address": "5 Portal Road",
        "latitude": "18.52",
        "longitude": "73.85",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC120",
        "SDGBenefits": ["SDG7"],
    }
    fields.update(overrides)
    return {f"{prefix}-{key}" if prefix else key: value for key, value in fields.items()}

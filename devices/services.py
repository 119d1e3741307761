"""Writes on devices: the rules a device must satisfy, registration, update, deletion.

The same rules check the API's JSON, the portal's form and every row of a bulk CSV upload;
errors are keyed by the API's (and the CSV's) field names.
"""

import re
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.db.models.functions import Lower
from django.utils import timezone

from devices.models import (
    EXTERNAL_ID_PATTERN,
    Country,
    Device,
    DeviceDescription,
    DeviceType,
    FuelType,
    OffTaker,
    SdgBenefit,
)
from drec.errors import Conflict, InvalidInput

EXTERNAL_ID_MESSAGE = (
    "external id can contain only alphabets( lower and upper case included), numeric(0 to 9), "
    "hyphen(-), underscore(_) and spaces in between"
)
DUPLICATE_MESSAGE = "ExternalId already exist in this organization, can't add entry with same external id {external_id}"
# API/CSV field → model field.
FIELDS = {
    "externalId": "external_id",
    "projectName": "project_name",
    "address": "address",
    "latitude": "latitude",
    "longitude": "longitude",
    "countryCode": "country_id",
    "fuelCode": "fuel_code_id",
    "deviceTypeCode": "device_type_code_id",
    "capacity": "capacity",
    "commissioningDate": "commissioning_date",
    "gridInterconnection": "grid_interconnection",
    "offTaker": "off_taker_id",
    "impactStory": "impact_story",
    "images": "images",
    "deviceDescription": "device_description_id",
    "energyStorage": "energy_storage",
    "energyStorageCapacity": "energy_storage_capacity",
    "qualityLabels": "quality_labels",
    "version": "version",
}
CODE_LIST_TTL = 60


class CodeLists:
    """The seeded code lists, read at most once a minute (they change only by admin action)."""

    _loaded_at = 0.0
    _lists: dict = {}

    @classmethod
    def get(cls) -> dict:
        if time.monotonic() - cls._loaded_at > CODE_LIST_TTL:
            sdg = list(SdgBenefit.objects.values_list("code", "name"))
            cls._lists = {
                "countryCode": set(Country.objects.values_list("alpha3", flat=True)),
                "fuelCode": set(FuelType.objects.values_list("code", flat=True)),
                "deviceTypeCode": set(DeviceType.objects.values_list("code", flat=True)),
                "offTaker": set(OffTaker.objects.values_list("code", flat=True)),
                "deviceDescription": set(DeviceDescription.objects.values_list("code", flat=True)),
                "sdg_by_code": {code.upper(): code for code, _name in sdg},
                "sdg_by_name": {name.lower(): code for code, name in sdg},
                "sdg_titles": dict(sdg),
            }
            cls._loaded_at = time.monotonic()
        return cls._lists

    @classmethod
    def clear(cls) -> None:
        cls._loaded_at = 0.0


def sdg_codes(values, errors: dict) -> list[str]:
    """SDG codes (SDG1..SDG17) from codes or goal titles, any case."""
    lists = CodeLists.get()
    codes = []
    for value in values or []:
        text = str(value).strip()
        code = lists["sdg_by_code"].get(text.upper()) or lists["sdg_by_name"].get(text.lower())
        if code is None:
            errors.setdefault("SDGBenefits", []).append(f"Unknown SDG benefit {text!r}; use SDG1 to SDG17.")
        elif code not in codes:
            codes.append(code)
    return codes


def sdg_query(value) -> list[str]:
    """The SDG benefits of a comma-separated filter (codes or goal titles, any case) as a list.

    A title holding commas itself ("Industry, Innovation and Infrastructure", as device
    answers spell it) is one value, never split into unknown pieces; a list (a portal form's)
    is taken as is."""
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value or "")
    for name, code in CodeLists.get()["sdg_by_name"].items():
        if "," in name:
            title = r"\s*,\s*".join(re.escape(part.strip()) for part in name.split(","))
            text = re.sub(rf"(?<![^,\s]){title}(?![^,\s])", code, text, flags=re.IGNORECASE)
    return [item.strip() for item in text.split(",") if item.strip()]


def device_rules(data: dict, *, partial: bool = False) -> dict[str, list[str]]:
    """Check parsed device fields against the rules (backend.md §7.2) and normalise them in
    place; returns the errors by field. Uniqueness within the organization is checked apart."""
    errors: dict[str, list[str]] = {}
    lists = CodeLists.get()

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "externalId" in data:
        data["externalId"] = data["externalId"].strip()
        if not data["externalId"]:
            fail("externalId", "externalId should not be empty")
        elif not re.match(EXTERNAL_ID_PATTERN, data["externalId"]):
            fail("externalId", EXTERNAL_ID_MESSAGE)
    if "address" in data and not data["address"].strip():
        fail("address", "Address must be added")
    if "countryCode" in data:
        data["countryCode"] = data["countryCode"].strip().upper()
        if data["countryCode"] not in lists["countryCode"]:
            fail(
                "countryCode", f"Invalid countryCode {data['countryCode']!r}; use ISO 3166 alpha-3, e.g. IND, GBR, DEU."
            )
    for field, label in (("fuelCode", "FuelCode"), ("deviceTypeCode", "DeviceCode")):
        if field in data and data[field] not in lists[field]:
            fail(field, f"{label} must be one of {', '.join(sorted(lists[field]))}")
    for field in ("offTaker", "deviceDescription"):
        if data.get(field) and data[field] not in lists[field]:
            fail(field, f"{field} must be one of {', '.join(sorted(lists[field]))}")
    if "latitude" in data and not -90 <= data["latitude"] <= 90:
        fail("latitude", "Latitude must be between -90 and 90.")
    if "longitude" in data and not -180 <= data["longitude"] <= 180:
        fail("longitude", "Longitude must be between -180 and 180.")
    if "capacity" in data and data["capacity"] <= 0:
        fail("capacity", "Capacity should be greater than 0")
    if data.get("energyStorageCapacity") is not None and data["energyStorageCapacity"] < 0:
        fail("energyStorageCapacity", "Energy Storage Capacity should not be negative")
    if "commissioningDate" in data:
        if timezone.is_naive(data["commissioningDate"]):
            data["commissioningDate"] = timezone.make_aware(data["commissioningDate"], UTC)
        if data["commissioningDate"] > timezone.now():
            fail("commissioningDate", "Invalid commissioning date, commissioning is greater than current date")
    if "SDGBenefits" in data:
        data["SDGBenefits"] = sdg_codes(data["SDGBenefits"], errors)
    if not partial:
        for field in ("externalId", "address", "latitude", "longitude", "countryCode", "fuelCode"):
            if field not in data:
                fail(field, "This field is required.")
    return errors


def _raise(errors: dict[str, list[str]]) -> None:
    field, reasons = next(iter(errors.items()))
    raise InvalidInput(f"{field}: {reasons[0]}", errors=errors)


def external_id_taken(organization, external_id: str, *, exclude_pk=None) -> bool:
    devices = Device.objects.filter(organization=organization).annotate(lower_id=Lower("external_id"))
    if exclude_pk is not None:
        devices = devices.exclude(pk=exclude_pk)
    return devices.filter(lower_id=external_id.lower()).exists()


def device_build(organization, data: dict, **extra) -> Device:
    """An unsaved device from checked fields."""
    values = {FIELDS[key]: value for key, value in data.items() if key in FIELDS and value is not None}
    return Device(organization=organization, **values, **extra)


@transaction.atomic
def device_register(*, organization, data: dict) -> Device:
    """Register a device in a Developer organization (the caller resolved and may use it).

    The onboarding date is the server's clock; ``data`` never sets it, nor the platform id,
    the read type or the yield value.
    """
    errors = device_rules(data)
    if errors:
        _raise(errors)
    if external_id_taken(organization, data["externalId"]):
        raise Conflict(
            DUPLICATE_MESSAGE.format(external_id=data["externalId"]), errors={"externalId": ["Already exists."]}
        )
    device = device_build(organization, data)
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:
        raise Conflict(DUPLICATE_MESSAGE.format(external_id=data["externalId"])) from None
    device.sdg_benefits.set(data.get("SDGBenefits", []))
    return device


@transaction.atomic
def device_update(*, device: Device, data: dict) -> Device:
    """Change some fields of a device; the same rules as registration apply to what changes."""
    errors = device_rules(data, partial=True)
    if "commissioningDate" in data and not errors.get("commissioningDate"):
        if data["commissioningDate"] > device.created_at:
            errors.setdefault("commissioningDate", []).append(
                "Invalid commissioning date, commissioning is greater than device onboarding date"
            )
        elif data["commissioningDate"] != device.commissioning_date and device_has_reads(device):
            errors.setdefault("commissioningDate", []).append(
                f"Commissioning date cannot be changed due to existing meter reads available for {device.external_id}"
            )
    if errors:
        _raise(errors)
    if "externalId" in data and external_id_taken(device.organization, data["externalId"], exclude_pk=device.pk):
        raise Conflict(
            f"ExternalId already exist in this organization, can't update with same external id {data['externalId']}",
            errors={"externalId": ["Already exists."]},
        )
    for key, value in data.items():
        if key in FIELDS:
            setattr(device, FIELDS[key], value)
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:
        raise Conflict(f"ExternalId {data.get('externalId')} already exists in this organization.") from None
    if "SDGBenefits" in data:
        device.sdg_benefits.set(data["SDGBenefits"])
    return device


def device_has_reads(device: Device) -> bool:
    """Whether meter reads were stored for the device (they fix its commissioning date)."""
    related = getattr(device, "reads", None)
    return related is not None and related.exists()


def device_delete(*, device: Device) -> None:
    """Delete a device, unless data that must not vanish refers to it (meter reads, a
    reservation, certificates): the database refuses, and the answer names what blocks it."""
    try:
        with transaction.atomic():
            device.sdg_benefits.clear()
            device.delete()
    except ProtectedError as error:
        blocking = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
        raise Conflict(
            f"Device {device.external_id} cannot be deleted: it has {', '.join(blocking)}.",
        ) from None


def decimal_text(value: Decimal | None) -> str | None:
    """A coordinate as the original returned it: a string without trailing zeros."""
    if value is None:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def capacity_range(kw) -> str:
    """The original's capacity bucket of a capacity in kW (its gaps closed)."""
    kw = float(kw)
    if kw <= 1:
        return "0.1W - 1kW"
    if kw <= 50:
        return "1.01kW - 50kW"
    if kw <= 500:
        return "51kW - 500kW"
    if kw <= 5000:
        return "500kW - 5MW"
    return "5MW+"


def commissioning_date_range(commissioned: datetime, today: date) -> str:
    """The original's age bucket of a commissioning date: the quarter in the first year, then
    "Year 2".."Year 5", "6 - 10 years", "11 - 15 years", "15 years+" (its off-by-one and
    0-based-month slips fixed)."""
    year = today.year - commissioned.year + 1
    if year <= 1:
        return f"Year 1 - Q{(commissioned.month - 1) // 3 + 1}"
    if year <= 5:
        return f"Year {year}"
    if year <= 10:
        return "6 - 10 years"
    if year <= 15:
        return "11 - 15 years"
    return "15 years+"

"""Writes on devices: the rules a device must satisfy, registration, update, deletion.

The same rules check the API's JSON, the portal's form and every row of a bulk CSV upload;
errors are keyed by the API's (and the CSV's) field names.
"""

import re
from datetime import UTC

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.db.models.functions import Lower
from django.utils import timezone

from devices.codes import code_lists, sdg_codes
from devices.models import (
    EXTERNAL_ID_PATTERN,
    Device,
)
from drec.errors import Conflict, DomainError, InvalidInput

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


def device_rules(data: dict, *, partial: bool = False) -> dict[str, list[str]]:
    """Check parsed device fields against the rules (backend.md §7.2) and normalise them in
    place; returns the errors by field. Uniqueness within the organization is checked apart."""
    errors: dict[str, list[str]] = {}
    lists = code_lists()

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
def devices_register(*, organization, items: list[dict]) -> list[Device]:
    """Register several devices together, or none of them (the portal's registration form and
    its cards): the first refusal is raised with the index of the device it is about."""
    registered = []
    for index, data in enumerate(items):
        try:
            registered.append(device_register(organization=organization, data=data))
        except DomainError as error:
            error.extra["index"] = index
            raise
    return registered


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

"""Writes on devices: the rules a device must satisfy, registration, update, deletion.

The same rules check the API's JSON, the portal's form and every row of a bulk CSV upload
(each parsed by the fields of devices.fields and given here in the services' names); errors
are keyed by the wire names the caller used.
"""

import re
from datetime import UTC
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.db.models.functions import Lower
from django.utils import timezone

from devices.codes import code_lists, sdg_codes
from devices.fields import BY_ATTRIBUTE, DEVICE_FIELDS, DeviceField, DeviceFields, wire_key
from devices.models import EXTERNAL_ID_PATTERN, Device
from drec.errors import Conflict, DomainError, InvalidInput, validation_message
from drec.formats import people_moment
from organizations.models import Organization

EXTERNAL_ID_MESSAGE = (
    "external id can contain only alphabets( lower and upper case included), numeric(0 to 9), "
    "hyphen(-), underscore(_) and spaces in between"
)
DUPLICATE_MESSAGE = "ExternalId already exist in this organization, can't add entry with same external id {external_id}"
DUPLICATE_FIELD = "A device with this External ID already exists in this organization."


def device_rules(fields: DeviceFields, *, partial: bool = False) -> dict[str, list[str]]:
    """Check parsed device fields against the rules (backend.md §7.2) and normalise them in
    place; returns the errors by wire name. Uniqueness within the organization: :func:`device_check`."""
    errors: dict[str, list[str]] = {}
    lists = code_lists()

    def fail(attribute: str, message: str) -> None:
        errors.setdefault(wire_key(attribute), []).append(message)

    if "external_id" in fields:
        fields["external_id"] = fields["external_id"].strip()
        if not fields["external_id"]:
            fail("external_id", "External ID must not be empty.")
        elif not re.match(EXTERNAL_ID_PATTERN, fields["external_id"]):
            fail("external_id", EXTERNAL_ID_MESSAGE)
    if "address" in fields and not fields["address"].strip():
        fail("address", "Address must be added")
    if "country_id" in fields:
        country = fields["country_id"] = fields["country_id"].strip().upper()
        if country not in lists["countryCode"]:
            fail("country_id", f"Invalid countryCode {country!r}; use ISO 3166 alpha-3, e.g. IND, GBR, DEU.")
    for attribute in ("fuel_code_id", "device_type_code_id"):
        code = fields.get(attribute)
        if attribute in fields and code not in lists[wire_key(attribute)]:
            fail(attribute, _one_of(attribute, lists[wire_key(attribute)]))
    for attribute in ("off_taker_id", "device_description_id"):
        code = fields.get(attribute)
        if code and code not in lists[wire_key(attribute)]:
            fail(attribute, _one_of(attribute, lists[wire_key(attribute)]))
    if "capacity" in fields and fields["capacity"] <= 0:
        fail("capacity", "Capacity should be greater than 0")
    storage = fields.get("energy_storage_capacity")
    if storage is not None and storage < 0:
        fail("energy_storage_capacity", "Energy Storage Capacity should not be negative")
    values = cast(dict[str, Any], fields)
    for field in DEVICE_FIELDS:  # the bounds and digits each number field declares
        if field.kind == "decimal" and values.get(field.attribute) is not None and not errors.get(field.key):
            problem = _number_problem(field, values[field.attribute])
            if problem:
                fail(field.attribute, problem)
    if "commissioning_date" in fields:
        if timezone.is_naive(fields["commissioning_date"]):
            fields["commissioning_date"] = timezone.make_aware(fields["commissioning_date"], UTC)
        if fields["commissioning_date"] > timezone.now():
            fail("commissioning_date", "The commissioning date must not be in the future.")
    if "sdg_benefits" in fields:
        fields["sdg_benefits"] = sdg_codes(fields["sdg_benefits"], errors)
    if not partial:
        for field in DEVICE_FIELDS:
            if field.required and field.attribute not in fields:
                fail(field.attribute, "This field is required.")
    return errors


def _one_of(attribute: str, codes: Any) -> str:
    return f"{BY_ATTRIBUTE[attribute].label} must be one of {', '.join(sorted(codes))}."


def _number_problem(field: DeviceField, number: Decimal | int | float) -> str | None:
    """What is wrong with a number of ``field`` in words: out of its bounds, too many decimal
    places or too large for its digits (devices.fields declares both)."""
    value = Decimal(str(number))
    if field.bounds is not None:
        low, high = field.bounds
        if not low <= value <= high:
            return f"{field.label} must be between {low} and {high}."
    if field.digits is None:
        return None
    max_digits, places = field.digits
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return f"{field.label} can have at most {places} decimal places."
    if abs(value) >= 10 ** (max_digits - places):
        return f"{field.label} must be less than {10 ** (max_digits - places):,}."
    return None


def device_check(
    *, organization: Organization | None, fields: DeviceFields, device: Device | None = None, partial: bool = False
) -> dict[str, list[str]]:
    """Every problem of a device's input at once, by wire name (empty: none): the rules (which
    normalise ``fields`` in place), the External ID's uniqueness in ``organization`` (when
    known), and for a change of ``device`` what its onboarding date and reads allow.
    ``partial``: a field left out is not missing (a change, or a form that refused it already)."""
    errors = device_rules(fields, partial=partial or device is not None)
    commissioned = fields.get("commissioning_date")
    if device is not None and commissioned is not None and not errors.get("commissioningDate"):
        if commissioned > device.created_at:
            errors.setdefault("commissioningDate", []).append(
                "The commissioning date must not be after the onboarding date of the device "
                f"({people_moment(device.created_at, UTC)})."
            )
        elif commissioned != device.commissioning_date and device_has_reads(device):
            errors.setdefault("commissioningDate", []).append(
                f"The commissioning date cannot change: device {device.external_id} already has meter reads."
            )
    external_id = fields.get("external_id")
    exclude = device.pk if device is not None else None
    if (
        organization is not None
        and external_id
        and not errors.get("externalId")
        and external_id_taken(organization, external_id, exclude_pk=exclude)
    ):
        errors.setdefault("externalId", []).append(DUPLICATE_FIELD)
    return errors


def _refuse(errors: dict[str, list[str]], duplicate: str) -> None:
    """400 naming every problem; 409 (``duplicate``) when the External ID's uniqueness is the only one."""
    if errors == {"externalId": [DUPLICATE_FIELD]}:
        raise Conflict(duplicate, errors=errors)
    raise InvalidInput(validation_message(errors), errors=errors)


def external_id_taken(organization: Organization, external_id: str, *, exclude_pk: int | None = None) -> bool:
    devices = Device.objects.filter(organization=organization).annotate(lower_id=Lower("external_id"))
    if exclude_pk is not None:
        devices = devices.exclude(pk=exclude_pk)
    return devices.filter(lower_id=external_id.lower()).exists()


def device_build(organization: Organization, fields: DeviceFields, **extra: Any) -> Device:
    """An unsaved device from checked fields (its SDG benefits are set once it is saved)."""
    values = {name: value for name, value in fields.items() if name != "sdg_benefits" and value is not None}
    return Device(organization=organization, **values, **extra)


@transaction.atomic
def device_register(*, organization: Organization, fields: DeviceFields) -> Device:
    """Register a device in a Developer organization (the caller resolved and may use it).

    The onboarding date is the server's clock; ``fields`` never sets it, nor the platform id,
    the read type or the yield value.
    """
    errors = device_check(organization=organization, fields=fields)
    if errors:
        _refuse(errors, DUPLICATE_MESSAGE.format(external_id=fields.get("external_id")))
    external_id = fields["external_id"]
    device = device_build(organization, fields)
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:
        raise Conflict(DUPLICATE_MESSAGE.format(external_id=external_id)) from None
    device.sdg_benefits.set(fields.get("sdg_benefits", []))  # type: ignore[arg-type]  # the keys are codes (str)
    return device


@transaction.atomic
def devices_register(*, organization: Organization, items: list[DeviceFields]) -> list[Device]:
    """Register several devices together, or none of them (the portal's registration form and
    its cards): the first refusal is raised with the index of the device it is about."""
    registered = []
    for index, fields in enumerate(items):
        try:
            registered.append(device_register(organization=organization, fields=fields))
        except DomainError as error:
            error.extra["index"] = index
            raise
    return registered


@transaction.atomic
def device_update(*, device: Device, fields: DeviceFields) -> Device:
    """Change some fields of a device; the same rules as registration apply to what changes."""
    errors = device_check(organization=device.organization, fields=fields, device=device)
    external_id = fields.get("external_id")
    if errors:
        _refuse(
            errors,
            f"ExternalId already exist in this organization, can't update with same external id {external_id}",
        )
    for name, value in fields.items():
        if name != "sdg_benefits":
            setattr(device, name, value)
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:
        raise Conflict(f"ExternalId {external_id} already exists in this organization.") from None
    if "sdg_benefits" in fields:
        device.sdg_benefits.set(fields["sdg_benefits"])  # type: ignore[arg-type]  # the keys are codes (str)
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

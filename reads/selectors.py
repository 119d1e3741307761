"""Reads of meter reads: the device a caller may read or write, listings and sums."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Lower, TruncDay, TruncMonth

from accounts.models import Role, User
from devices.models import Device
from devices.selectors import device_by_external_id
from drec.errors import InvalidInput, NotFound
from drec.inputs import object_id, whole_number
from organizations.models import Organization, OrganizationType
from organizations.selectors import organization_for, organization_get, organization_list
from reads.models import MeterRead, ReadType
from reservations.selectors import devices_reserved_by


def device_for_writing(*, user: User, external_id: str, organization_id: object) -> Device:
    """The device a batch of reads is for: by the developer's externalId, in the caller's
    organization or (super admin, api user) the Developer organization named by organizationId."""
    organization = organization_for(
        user=user,
        organization_id=organization_id,
        organization_type=OrganizationType.DEVELOPER,
        purpose="for meter reads",
    )
    return device_by_external_id(organization=organization, external_id=external_id)


def devices_by_external_id(*, organization: Organization, external_ids: Iterable[str]) -> dict[str, Device]:
    """The devices of ``organization`` among ``external_ids`` (any case), by lowercased
    externalId: a file of reads names devices of the organization it is uploaded for only."""
    keys = {external_id.strip().lower() for external_id in external_ids}
    devices = (
        Device.objects.select_related("organization", "country")
        .annotate(lower_id=Lower("external_id"))
        .filter(organization=organization, lower_id__in=keys)
    )
    return {device.external_id.lower(): device for device in devices}


def readable_devices(*, user: User, organization_id: object = None) -> QuerySet[Device]:
    """The devices whose reads ``user`` may see, in both doors: a Developer organization's own
    devices; the devices a Buyer organization reserved (for every member, whatever its role:
    before it reserves any, none); an api user both, for the organizations it manages; the
    super admin every device. ``organizationId`` narrows it to one organization the caller
    may see."""
    if organization_id not in (None, ""):
        return _devices_of(organization_get(user=user, organization_id=organization_id))
    if user.role == Role.ADMIN:
        return Device.objects.select_related("organization", "country")
    if user.role == Role.API_USER:
        managed = organization_list(user=user)
        return Device.objects.select_related("organization", "country").filter(
            Q(organization__in=managed.filter(organization_type=OrganizationType.DEVELOPER))
            | Q(pk__in=devices_reserved_by(organizations=managed.filter(organization_type=OrganizationType.BUYER)))
        )
    return _devices_of(user.organization)


def _devices_of(organization: Organization | None) -> QuerySet[Device]:
    devices = Device.objects.select_related("organization", "country")
    if organization is None:
        return devices.none()
    if organization.organization_type == OrganizationType.DEVELOPER:
        return devices.filter(organization=organization)
    if organization.organization_type == OrganizationType.BUYER:
        return devices.filter(pk__in=devices_reserved_by(organization=organization))
    return devices.none()


def readable_device(*, user: User, device_id: object, organization_id: object = None) -> Device:
    """One device by id whose reads ``user`` may see (:func:`readable_devices`), or 404."""
    devices = readable_devices(user=user, organization_id=organization_id)
    pk = object_id(device_id)
    device = None if pk is None else devices.filter(pk=pk).first()
    if device is None:
        raise NotFound(f"No device found with id {device_id}")
    return device


def device_for_reading(*, user: User, device_ref: str, organization_id: object) -> Device:
    """The device whose reads are listed, among :func:`readable_devices`.

    On a Developer organization's side (its members, or the super admin and api users naming
    it with ``organizationId``) the device is named by the developer's externalId; otherwise
    (a Buyer organization's members, or the super admin and api users for a Buyer
    organization or for all they may see) by its numeric device id.
    """
    scope = None
    if organization_id not in (None, ""):
        scope = organization_get(user=user, organization_id=organization_id)
    elif user.role not in (Role.ADMIN, Role.API_USER):
        scope = user.organization
    if scope is not None and scope.organization_type == OrganizationType.DEVELOPER:
        return device_by_external_id(organization=scope, external_id=device_ref)
    device_id = whole_number(device_ref)
    if device_id is None:
        raise InvalidInput(
            "The URL param externalId should be number: give the device id of the device you want to query.",
            errors={"externalId": ["Must be a device id (a number)."]},
        )
    return readable_device(user=user, device_id=device_id, organization_id=organization_id)


def device_timezone(device: Device) -> str:
    return device.timezone or (device.country.timezones[0] if device.country.timezones else "UTC")


def read_list(
    *, device: Device, start: datetime | None, end: datetime | None
) -> tuple[QuerySet[MeterRead], QuerySet[MeterRead]]:
    """(History reads overlapping [start, end], ongoing reads ending in (start, end]), oldest first."""
    reads = MeterRead.objects.filter(device=device).order_by("end", "id")
    history = reads.filter(read_type=ReadType.HISTORY)
    ongoing = reads.exclude(read_type=ReadType.HISTORY)
    if start is not None:
        history = history.filter(end__gt=start)
        ongoing = ongoing.filter(end__gt=start)
    if end is not None:
        history = history.filter(start__lt=end)
        ongoing = ongoing.filter(end__lte=end)
    return history, ongoing


def reads_between(*, device: Device, start: datetime, end: datetime) -> QuerySet[MeterRead]:
    """The device's reads overlapping [start, end), newest first."""
    return MeterRead.objects.filter(device=device, end__gt=start, start__lt=end).order_by("-end", "-id")


class Energy(TypedDict):
    """A device's energy over a local day or month (both doors answer these keys)."""

    startTime: datetime
    endTime: datetime
    value: int


# A read is counted in the day (month) its energy was produced up to: one ending at midnight
# belongs to the day before.
_INSTANT_BEFORE_END = ExpressionWrapper(F("end") - timedelta(microseconds=1), output_field=DateTimeField())


def _energy_by(
    device: Device, start: datetime, end: datetime, period: type[TruncDay | TruncMonth], zone: ZoneInfo
) -> dict[datetime, int]:
    """{local start of a day or month: Wh} of the device's reads ending in (start, end]."""
    sums = (
        MeterRead.objects.filter(device=device, end__gt=start, end__lte=end)
        .annotate(period=period(_INSTANT_BEFORE_END, tzinfo=zone))
        .values("period")
        .annotate(total=Sum("value_wh"))
        .values_list("period", "total")
    )
    return dict(sums)


def daily_energy(*, device: Device, start: datetime, end: datetime, zone: ZoneInfo) -> list[Energy]:
    """Energy per local day of the device (a read counts on the day it ends), with empty days."""
    sums = {day.date(): total for day, total in _energy_by(device, start, end, TruncDay, zone).items()}
    days: list[Energy] = []
    day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        following = (day + timedelta(days=1, hours=2)).replace(hour=0)  # across a DST change too
        days.append({"startTime": day, "endTime": following, "value": sums.get(day.date(), 0)})
        day = following
    return days


def monthly_energy(*, device: Device, year: int, zone: ZoneInfo) -> list[Energy]:
    """Energy per local month of ``year`` (a read counts in the month it ends), with empty months."""
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    sums = {
        (month.year, month.month): total for month, total in _energy_by(device, start, end, TruncMonth, zone).items()
    }
    months: list[Energy] = []
    for number in range(1, 13):
        first = datetime(year, number, 1, tzinfo=zone)
        following = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=zone)
        months.append({"startTime": first, "endTime": following, "value": sums.get((year, number), 0)})
    return months


def latest_read(device: Device) -> MeterRead | None:
    """The read with the latest end (an ongoing read once there is one)."""
    return MeterRead.objects.filter(device=device).order_by("-end").first()

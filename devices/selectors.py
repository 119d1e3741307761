"""Reads of devices and their code lists."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Window
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone

from accounts.models import Role, User
from devices.codes import code_lists, sdg_codes, sdg_query
from devices.models import Country, CsvJob, CsvJobKind, Device, DeviceType, FuelType, SdgBenefit
from drec.errors import InvalidInput, NotFound
from drec.inputs import comma_list, object_id, query_moment
from drec.pagination import Page
from organizations.models import Organization, OrganizationType
from organizations.selectors import organization_for, organization_get, organization_id_value, organization_list
from reservations.models import ReservationDevice


def country_list(*, search: str | None = None) -> QuerySet[Country]:
    """Countries whose name or alpha-3 code contains ``search`` (case-insensitive, literal text)."""
    countries = Country.objects.order_by("name")
    if search:
        countries = countries.filter(Q(name__icontains=search) | Q(alpha3__icontains=search))
    return countries


def timezone_offset_minutes(zone: str, *, at: datetime | None = None) -> int:
    """Offset of ``zone`` at ``at`` (now by default) in minutes with the sign of JavaScript's
    ``getTimezoneOffset`` (UTC+05:30 is -330), as the original API returned it."""
    offset = (at or timezone.now()).astimezone(ZoneInfo(zone)).utcoffset()
    return -int(offset.total_seconds() // 60) if offset is not None else 0


def fuel_type_list() -> QuerySet[FuelType]:
    return FuelType.objects.all()


def device_type_list() -> QuerySet[DeviceType]:
    return DeviceType.objects.all()


def sdg_benefit_list() -> QuerySet[SdgBenefit]:
    return SdgBenefit.objects.all()


def sdg_names() -> dict[str, str]:
    """SDG code → goal title (the original returned titles)."""
    titles: dict[str, str] = code_lists()["sdg_titles"]
    return titles


# --- Devices ----------------------------------------------------------------------------


def device_list(*, user: User) -> QuerySet[Device]:
    """Devices the caller may see: the super admin all; an api user those of the Developer
    organizations it manages; a developer's members their organization's; a buyer's members
    those of the Developer organizations of their tenant (the devices they may reserve)."""
    devices = Device.objects.select_related("organization__api_user", "country")
    if user.role == Role.ADMIN:
        return devices
    if user.role == Role.API_USER:
        return devices.filter(organization__in=organization_list(user=user))
    organization = user.organization
    if organization is None:
        return devices.none()
    if organization.organization_type == OrganizationType.BUYER:
        return devices.filter(
            organization__organization_type=OrganizationType.DEVELOPER,
            organization__api_user_id=organization.api_user_id,
        )
    return devices.filter(organization=organization)


def device_get(*, user: User, device_id: object, organization_id: object = None) -> Device:
    pk = object_id(device_id)
    if pk is None:
        raise NotFound(f"No device found with id {device_id}")
    devices = device_list(user=user).filter(pk=pk)
    if organization_id not in (None, ""):
        devices = devices.filter(organization_id=organization_id_value(organization_id))
    device = devices.first()
    if device is None:
        raise NotFound(f"No device found with id {device_id}")
    return device


def device_get_for_change(*, user: User, device_id: object) -> Device:
    """A device the caller may change: buyers see the devices they can reserve, but only the
    developer's side (its members, its api user, the super admin) changes them."""
    device = device_get(user=user, device_id=device_id)
    if user.role not in (Role.ADMIN, Role.API_USER) and user.organization_id != device.organization_id:
        raise NotFound(f"No device found with id {device_id}")
    return device


def device_by_external_id(*, organization: Organization, external_id: str) -> Device:
    device = (
        Device.objects.select_related("organization__api_user", "country")
        .annotate(lower_id=Lower("external_id"))
        .filter(organization=organization, lower_id=external_id.strip().lower())
        .first()
    )
    if device is None:
        raise NotFound(f"No device found with id {external_id}")
    return device


def device_trait_lookups(
    params: Mapping[str, Any], *, sdg_params: tuple[str, str], sdg_error_key: str
) -> list[dict[str, list[str]]]:
    """The device filters of listings whose rows hold devices (reservations, certificates):
    ``fuelCode``, ``offTaker`` and the SDG benefits (first of ``sdg_params`` given), each any of
    its values, as device lookups; a row qualifies when one of its devices meets each."""
    lookups = []
    if fuel := comma_list(params.get("fuelCode")):
        lookups.append({"fuel_code_id__in": fuel})
    if off_takers := comma_list(params.get("offTaker")):
        lookups.append({"off_taker_id__in": off_takers})
    if sdg := sdg_query(params.get(sdg_params[0]) or params.get(sdg_params[1])):
        problems: dict[str, list[str]] = {}
        codes = sdg_codes(sdg, problems)
        if problems:
            raise InvalidInput(problems["SDGBenefits"][0], errors={sdg_error_key: problems["SDGBenefits"]})
        lookups.append({"sdg_benefits__in": codes})
    return lookups


def device_filter(devices: QuerySet[Device], params: Mapping[str, Any]) -> QuerySet[Device]:
    """The filters of "My Devices" (ui.md §3.16), AND-ed, each a bound SQL parameter."""
    for param, field in (
        ("fuelCode", "fuel_code_id"),
        ("deviceTypeCode", "device_type_code_id"),
        ("offTaker", "off_taker_id"),
    ):
        if values := comma_list(params.get(param, "")):
            devices = devices.filter(**{f"{field}__in": values})
    if country := params.get("country", "").strip():
        if country.upper() not in code_lists()["countryCode"]:
            raise InvalidInput(
                f"country: unknown country code {country!r}; use ISO 3166 alpha-3.", errors={"country": ["Unknown."]}
            )
        devices = devices.filter(country_id=country.upper())
    if capacity := params.get("capacity", "").strip():
        try:
            limit = Decimal(capacity)
        except InvalidOperation:
            limit = None
        if limit is None or not limit.is_finite() or abs(limit) >= 10**11:
            raise InvalidInput(
                f"capacity must be a number of kW, got {capacity!r}.", errors={"capacity": ["Not a number."]}
            )
        devices = devices.filter(capacity__lte=limit)
    if grid := params.get("gridInterconnection", "").strip().lower():
        if grid not in ("true", "false"):
            raise InvalidInput(
                "gridInterconnection must be true or false.", errors={"gridInterconnection": ["Must be true or false."]}
            )
        devices = devices.filter(grid_interconnection=grid == "true")
    if start := query_moment(params, "start_date"):
        devices = devices.filter(commissioning_date__gte=start)
    if end := query_moment(params, "end_date"):
        devices = devices.filter(commissioning_date__lte=end)
    if names := sdg_query(params.get("SDGBenefits", "")):
        errors: dict[str, list[str]] = {}
        codes = sdg_codes(names, errors)
        if errors:
            raise InvalidInput(errors["SDGBenefits"][0], errors=errors)
        devices = devices.filter(
            pk__in=Device.sdg_benefits.through.objects.filter(sdgbenefit_id__in=codes).values("device_id")
        )
    return devices


def developer_devices(*, user: User, organization_id: object) -> QuerySet[Device]:
    """ "My Devices": of one Developer organization (``organizationId``), or without it every
    device the caller may see (an api user: of all its Developer organizations)."""
    if organization_id not in (None, ""):
        organization = organization_for(
            user=user,
            organization_id=organization_id,
            organization_type=OrganizationType.DEVELOPER,
            purpose="for devices",
        )
        return device_list(user=user).filter(organization=organization)
    return device_list(user=user)


def device_list_version(*, user: User, organization_id: object) -> tuple[int, int] | None:
    """When "My Devices" (:func:`developer_devices`) is one Developer organization's devices
    (its members' own list), that organization's id and ``device_list_version``, as the caller
    was looked up (for a token: in the token lookup's statement, at the start of the request);
    None for every other listing. A page of the list may be reused for as long as the version
    is the same: it moves on with every write that can change the list (migration
    organizations 0005)."""
    if organization_id not in (None, "") or user.role in (Role.ADMIN, Role.API_USER):
        return None
    organization = user.organization
    if organization is None or organization.organization_type != OrganizationType.DEVELOPER:
        return None
    version = organization.device_list_version
    # Not an int: an instance saved in this process and not read back (the database's default).
    return (organization.pk, version) if isinstance(version, int) else None


def devices_for_reservation(*, user: User, organization_id: object) -> QuerySet[Device]:
    """Devices a Buyer organization may reserve: those of the Developer organizations of its
    tenant (directly registered ones, or one api user's) that no active reservation holds."""
    buyer = organization_for(
        user=user,
        organization_id=organization_id,
        organization_type=OrganizationType.BUYER,
        purpose="to reserve devices",
    )
    return (
        Device.objects.select_related("organization__api_user", "country")
        .filter(
            organization__organization_type=OrganizationType.DEVELOPER,
            organization__api_user_id=buyer.api_user_id,
        )
        .exclude(memberships__is_active=True)
    )


def device_page_sql(devices: QuerySet[Device], page: Page) -> tuple[str, tuple[Any, ...]]:
    """One page of a device listing as SQL, for a statement that builds the page's answer
    around it (devices.api.device_page_json): a row per device of the page with its ``id``,
    ``listing_total`` (the number of all the listing's devices, a window count) and
    ``listing_row`` (its place in the listing's order, which the outer statement keeps)."""
    # The listing's own order, as order_by() took it (names, or expressions).
    order = cast("Sequence[str]", devices.query.order_by or Device._meta.ordering)
    numbered = devices.values_list("id").annotate(
        listing_total=Window(Count("id")), listing_row=Window(RowNumber(), order_by=order)
    )
    return numbered[page.offset : page.offset + page.limit].query.sql_with_params()


def active_reservations(device_ids: list[int]) -> dict[int, int]:
    """{device id: id of the active reservation holding it} (the original's ``groupId``)."""
    memberships = ReservationDevice.objects.filter(device_id__in=device_ids, is_active=True)
    return dict(memberships.values_list("device_id", "reservation_id"))


# --- Bulk upload jobs -------------------------------------------------------------------


def csv_job_list(*, user: User, organization_id: object = None, kind: str | None = None) -> QuerySet[CsvJob]:
    """Bulk jobs of the organizations the caller may see, newest first; of one ``kind``
    ("devices" or "reads") when given."""
    jobs = CsvJob.objects.select_related("organization__api_user", "created_by").defer("data")
    if kind not in (None, ""):
        if kind not in CsvJobKind.values:
            raise InvalidInput(
                f"kind must be one of {', '.join(CsvJobKind.values)}.", errors={"kind": ["Unknown kind."]}
            )
        jobs = jobs.filter(kind=kind)
    if organization_id not in (None, ""):
        jobs = jobs.filter(organization=organization_get(user=user, organization_id=organization_id))
    elif user.role != Role.ADMIN:
        jobs = jobs.filter(organization__in=organization_list(user=user))
    return jobs.order_by("-created_at", "-id")


def csv_job_get(*, user: User, job_id: object, organization_id: object = None, kind: str | None = None) -> CsvJob:
    pk = object_id(job_id)
    jobs = csv_job_list(user=user, organization_id=organization_id, kind=kind)
    job = None if pk is None else jobs.filter(pk=pk).first()
    if job is None:
        raise NotFound(f"No bulk upload job found with id {job_id}")
    return job

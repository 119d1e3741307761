"""Reads of buyer reservations: who sees which (tenancy), filters, and their member devices."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django_q.models import Schedule

from accounts.models import ApiUser, Role, User
from devices.models import Device
from devices.selectors import device_trait_lookups
from drec.errors import Forbidden, InvalidInput, NotFound
from drec.inputs import comma_list, query_moment
from organizations.models import Organization, OrganizationType
from organizations.selectors import organization_get
from reads.models import MeterRead
from reservations.models import Reservation, ReservationDevice


def devices_reserved_by(
    *, organization: Organization | None = None, organizations: QuerySet[Organization] | None = None
) -> QuerySet[Device]:
    """Devices in any reservation (active or ended) of the buyer organization (or of any of
    ``organizations``): their reads and certificates stay visible to the buyer."""
    if organizations is not None:
        return Device.objects.filter(
            pk__in=Device.objects.filter(memberships__reservation__organization__in=organizations)
        )
    if organization is None:
        return Device.objects.none()
    return Device.objects.filter(pk__in=Device.objects.filter(memberships__reservation__organization=organization))


def _with_devices(reservations: QuerySet[Reservation]) -> QuerySet[Reservation]:
    memberships = ReservationDevice.objects.select_related("device").order_by("device_id")
    return reservations.select_related("organization__api_user", "buyer").prefetch_related(
        Prefetch("memberships", queryset=memberships)
    )


def reservation_list(
    *, user: User, organization_id: int | str | None = None, api_user_id: str | None = None
) -> QuerySet[Reservation]:
    """Reservations the caller may see, newest first:
    the super admin all (or one tenant's with ``apiuserId``); an api user those of the Buyer
    organizations it manages; a buyer's members their organization's; a developer's members
    those holding one of their organization's devices. ``organizationId`` narrows to one
    organization the caller may see."""
    reservations = Reservation.objects.all()
    if user.role == Role.ADMIN:
        if api_user_id not in (None, ""):
            tenant = ApiUser.objects.filter(api_user_id=_uuid(api_user_id)).first()
            if tenant is None:
                raise NotFound(f"No api user {api_user_id}")
            reservations = reservations.filter(organization__api_user=tenant)
    elif user.role == Role.API_USER:
        if api_user_id not in (None, "") and str(_uuid(api_user_id)) != str(user.api_user.api_user_id):
            raise Forbidden("An apiuser is unauthorized to request for other apiuser")
        reservations = reservations.filter(organization__api_user=user.api_user)
    elif user.organization is None:
        return reservations.none()
    elif user.organization.organization_type == OrganizationType.BUYER:
        reservations = reservations.filter(organization=user.organization)
    else:
        holds_ours = ReservationDevice.objects.filter(
            reservation=OuterRef("pk"), device__organization=user.organization
        )
        reservations = reservations.filter(Exists(holds_ours))
    if organization_id is not None and organization_id != "":
        organization = organization_get(user=user, organization_id=_int(organization_id, "organizationId"))
        if user.role in (Role.ADMIN, Role.API_USER) or organization.organization_type == OrganizationType.BUYER:
            reservations = reservations.filter(organization=organization)
        else:
            reservations = reservations.filter(memberships__device__organization=organization).distinct()
    return _with_devices(reservations).order_by("-created_at", "-id")


def reservation_get(*, user: User, reservation_id: int | str, organization_id: int | str | None = None) -> Reservation:
    reservation = (
        reservation_list(user=user, organization_id=organization_id).filter(pk=_int(reservation_id, "id")).first()
    )
    if reservation is None:
        raise NotFound(f"No device group found with id {reservation_id}")
    return reservation


def reservation_for_change(
    *, user: User, reservation_id: int | str, organization_id: int | str | None = None
) -> Reservation:
    """A reservation the caller may change: the buyer's side only (its members, its api user,
    the super admin); developers see reservations of their devices but do not change them."""
    reservation = reservation_get(user=user, reservation_id=reservation_id, organization_id=organization_id)
    buyer_side = user.organization is not None and user.organization.organization_type == OrganizationType.BUYER
    if user.role not in (Role.ADMIN, Role.API_USER) and not buyer_side:
        raise NotFound(f"No device group found with id {reservation_id}")
    return reservation


def _int(value: int | str, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a whole number.", errors={name: ["Must be a whole number."]}) from None


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("apiuserId must be a UUID.", errors={"apiuserId": ["Not a UUID."]}) from None


def reservation_filter(reservations: QuerySet[Reservation], params: Mapping[str, Any]) -> QuerySet[Reservation]:
    """The original's filters (backend.md §9.2), ANDed: ``name`` (contains), ``country``
    (comma list: holds devices of every one), ``fuelCode``, ``offTaker`` and ``sdgbenefit``
    (any), ``start_date``/``end_date`` (the reservation lies within), ``reservationActive``
    (All, Active, Deactive)."""
    if name := str(params.get("name") or "").strip():
        reservations = reservations.filter(name__icontains=name)
    for country in comma_list(params.get("country")):
        reservations = reservations.filter(
            Exists(ReservationDevice.objects.filter(reservation=OuterRef("pk"), device__country_id=country.upper()))
        )
    member = ReservationDevice.objects.filter(reservation=OuterRef("pk"))
    for lookup in device_trait_lookups(params, sdg_params=("sdgbenefit", "SDGBenefits"), sdg_error_key="sdgbenefit"):
        reservations = reservations.filter(
            Exists(member.filter(**{f"device__{name}": value for name, value in lookup.items()}))
        )
    start, end = query_moment(params, "start_date"), query_moment(params, "end_date")
    if start and end and start >= end:
        raise InvalidInput("End date should be greater then from Start date", errors={"end_date": ["Before start."]})
    if start:
        reservations = reservations.filter(start__gte=start)
    if end:
        reservations = reservations.filter(end__lte=end)
    status = str(params.get("reservationActive") or "All")
    if status == "Active":
        reservations = reservations.filter(is_active=True)
    elif status in ("Deactive", "Ended", "Inactive"):
        reservations = reservations.filter(is_active=False)
    elif status != "All":
        raise InvalidInput(
            "reservationActive must be All, Active or Deactive.", errors={"reservationActive": ["Unknown status."]}
        )
    return reservations


def member_devices(reservation: Reservation) -> list[Device]:
    """The devices the reservation holds (all it held, once it ended)."""
    memberships = list(reservation.memberships.all())
    if reservation.is_active:
        memberships = [m for m in memberships if m.is_active]
    return [m.device for m in memberships]


# --- Make A Reservation's device picker ------------------------------------------------------


def device_search(devices: QuerySet[Device], text: str) -> QuerySet[Device]:
    """Devices whose External ID or project name contains ``text`` (any case)."""
    text = text.strip()
    if not text:
        return devices
    return devices.filter(Q(external_id__icontains=text) | Q(project_name__icontains=text))


@dataclass(frozen=True)
class DeviceReads:
    last_read: datetime | None  # the end of the device's latest read
    period_wh: int | None  # energy of its reads within the period asked (None: no period)


def device_reads(
    *, device_ids: list[int], start: datetime | None = None, end: datetime | None = None
) -> dict[int, DeviceReads]:
    """{device id: its latest read and (with ``start`` and ``end``) the energy of its reads
    lying within [start, end), baselines left out}, for the devices that have reads, in one
    query."""
    rows = MeterRead.objects.filter(device_id__in=device_ids).values("device_id").annotate(last_read=Max("end"))
    if start is not None and end is not None:
        in_period = Q(start__gte=start, end__lte=end, is_baseline=False)
        rows = rows.annotate(period_wh=Sum("value_wh", filter=in_period, default=0))
    return {
        row["device_id"]: DeviceReads(last_read=row["last_read"], period_wh=cast(int | None, row.get("period_wh")))
        for row in rows.order_by()
    }


# --- What the background issuance will do next -----------------------------------------------


@dataclass(frozen=True)
class IssuanceSchedule:
    every_minutes: int
    next_run: datetime | None


def issuance_schedule(*, func: str) -> IssuanceSchedule | None:
    """The recurring task running ``func`` (django-q2's schedule, ensured by ``manage.py
    seed``): how often and when next; None when it is not scheduled."""
    schedule = Schedule.objects.filter(func=func).exclude(repeats=0).order_by("next_run").first()
    if schedule is None or schedule.schedule_type != Schedule.MINUTES or not schedule.minutes:
        return None
    return IssuanceSchedule(every_minutes=schedule.minutes, next_run=schedule.next_run)

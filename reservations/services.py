"""Buyer reservations (backend.md §9, SPEC §7): a Buyer organization reserves devices of the
Developer organizations of its tenant over a period.

Concurrent requests for the same devices are serialised by row locks on those devices, and
the database refuses a second active membership of a device (reservations.models), so a
device is never in two active reservations whatever the timing.
"""

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Value
from django.db.models.functions import Greatest, Lower
from django.utils import timezone

from accounts.models import User
from devices.models import Device
from devices.selectors import devices_for_reservation
from drec.errors import Conflict, InvalidInput
from organizations.models import Organization
from reservations.models import Reservation, ReservationDevice
from webhooks import events

WH_PER_MWH = 1_000_000
PAST_LIMIT = timedelta(days=3 * 365)
# Refused in names: control characters (C0, DEL, C1: line feed, carriage return, tab...) and the
# Unicode line and paragraph separators.
NAME_UNSAFE_CATEGORIES = {"Cc", "Zl", "Zp"}


@dataclass(frozen=True, kw_only=True)
class ReservationRequest:
    """A new reservation, checked by its door (reservations.fields): ``expiry`` None is the
    default grace period after the end."""

    name: str
    device_ids: list[int]
    target_mwh: Decimal
    start: datetime
    end: datetime
    expiry: datetime | None = None
    frequency: str
    authority_to_exceed: bool
    continue_if_devices_unavailable: bool
    continue_if_target_unreachable: bool


# The period's rules, by the field at fault (its services' name): the end after the start,
# the expiry on or after the end.
END_NOT_AFTER_START = "end"
EXPIRY_BEFORE_END = "expiry"


def period_problems(*, start: datetime | None, end: datetime | None, expiry: datetime | None) -> list[str]:
    """The period's rules that ``start``, ``end`` and ``expiry`` break (END_NOT_AFTER_START,
    EXPIRY_BEFORE_END); a rule missing one of its moments (left out, or invalid in a form) is
    not checked. The portal's form asks it too, to say so before the confirmation."""
    problems = []
    if start is not None and end is not None and end <= start:
        problems.append(END_NOT_AFTER_START)
    if end is not None and expiry is not None and expiry < end:
        problems.append(EXPIRY_BEFORE_END)
    return problems


def _ids_text(ids: Iterable[int]) -> str:
    return " , ".join(str(device_id) for device_id in sorted(ids))


def _check_name(name: str) -> None:
    """Refuse control characters (line breaks, tabs...) in a name: it is shown in pages, CSV
    cells and download file names, where a line break splits a row or breaks a header."""
    if any(unicodedata.category(char) in NAME_UNSAFE_CATEGORIES for char in name):
        raise InvalidInput(
            "name must not contain line breaks, tabs or other control characters.",
            errors={"name": ["Must not contain line breaks, tabs or other control characters."]},
        )


def _name_taken(name: str, *, organization_id: int, besides: Reservation | None = None) -> bool:
    """Whether the Buyer organization already has a reservation of this name (in any case);
    another organization's names are not this one's business (reservations.models)."""
    taken = Reservation.objects.annotate(lower_name=Lower("name")).filter(
        organization_id=organization_id, lower_name=name.lower()
    )
    if besides is not None:
        taken = taken.exclude(pk=besides.pk)
    return taken.exists()


def _refuse_period(problems: list[str], *, end_message: str) -> None:
    """Refuse the first of ``problems`` (period_problems'); ``end_message`` words an end not
    after the start (a new reservation's and a change's words differ)."""
    if END_NOT_AFTER_START in problems:
        raise InvalidInput(end_message, errors={"reservationEndDate": ["Must be after reservationStartDate."]})
    if EXPIRY_BEFORE_END in problems:
        raise InvalidInput(
            "reservationExpiryDate cannot be before reservationEndDate.",
            errors={"reservationExpiryDate": ["Must be on or after reservationEndDate."]},
        )


def _check_period(start: datetime, end: datetime, expiry: datetime | None) -> None:
    _refuse_period(
        period_problems(start=start, end=end, expiry=expiry),
        end_message="reservationStartDate must be before reservationEndDate.",
    )
    limit = timezone.now() - PAST_LIMIT
    if start <= limit:
        raise InvalidInput(
            "reservationStartDate cannot be more than 3 years in the past.",
            errors={"reservationStartDate": ["More than 3 years ago."]},
        )


def _later(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``; past the calendar's end (an end date near the year 9999) it is invalid
    input, not a server error."""
    try:
        return moment + delta
    except OverflowError:
        raise InvalidInput(
            "reservationEndDate is too far in the future to keep an expiry after it.",
            errors={"reservationEndDate": ["Too far in the future."]},
        ) from None


def reachable_mwh(devices: list[Device], start: datetime, end: datetime) -> float:
    """What the devices could produce at full capacity over the period, MWh (the original's
    "probably achievable capacity")."""
    hours = (end - start).total_seconds() / 3600
    return float(sum(device.capacity for device in devices)) * hours / 1000


@transaction.atomic
def reservation_create(
    *, acting_user: User, organization: Organization, request: ReservationRequest
) -> tuple[Reservation, list[int]]:
    """Reserve the free devices among ``request.device_ids`` for the Buyer ``organization``.

    Returns (reservation, ids that could not be reserved). A requested id is unavailable when
    it is in an active reservation, or is not a device this organization may reserve (another
    tenant's, a Buyer's, or none at all: the answer does not tell which)."""
    _check_name(request.name)
    _check_period(request.start, request.end, request.expiry)
    expiry = request.expiry or _later(request.end, timedelta(days=settings.DREC_RESERVATION_EXPIRY_DAYS))
    if _name_taken(request.name, organization_id=organization.pk):
        raise Conflict(f"Device group with name {request.name} already exists", errors={"name": ["Already taken."]})
    requested = list(dict.fromkeys(request.device_ids))
    # Lock the requested devices (in id order: no deadlock between two requests), then see
    # which are free: a concurrent request for the same devices waits here and then sees them
    # taken.
    reservable = devices_for_reservation(user=acting_user, organization_id=organization.pk)
    candidates = list(
        Device.objects.select_for_update(of=("self",))
        .filter(pk__in=reservable.filter(pk__in=requested).values("pk"))
        .order_by("pk")
    )
    busy = set(
        ReservationDevice.objects.filter(device__in=candidates, is_active=True).values_list("device_id", flat=True)
    )
    free = [device for device in candidates if device.pk not in busy]
    unavailable = [device_id for device_id in requested if device_id not in {device.pk for device in free}]
    if not free:
        raise Conflict(
            f"Devices {_ids_text(unavailable)} are already included in buyer reservation or cannot be reserved by "
            "this organization, please add other devices",
            errors={"deviceIds": ["None of these devices can be reserved."]},
        )
    if unavailable and not request.continue_if_devices_unavailable:
        raise Conflict(
            f"One or more devices device Ids: {_ids_text(unavailable)} are already included in buyer reservation or "
            "cannot be reserved by this organization, please add other devices",
            errors={"deviceIds": [f"Unavailable: {_ids_text(unavailable)}."]},
        )
    if not request.continue_if_target_unreachable:
        achievable = reachable_mwh(free, request.start, request.end)
        if achievable < float(request.target_mwh):
            raise Conflict(
                "Target Capacity Cannot be reached by selected devices within provided start date and end date, "
                "either add more devices or increase the end date duration",
                details={
                    "meteredTimePeriodInHours": (request.end - request.start).total_seconds() / 3600,
                    "targetCapacityInMegaWattHour": float(request.target_mwh),
                    "probablyAchievableCapacityInMegaWattHour": achievable,
                },
            )
    try:
        with transaction.atomic():
            reservation = Reservation.objects.create(
                name=request.name,
                organization=organization,
                buyer=acting_user,
                start=request.start,
                end=request.end,
                expiry=expiry,
                frequency=request.frequency,
                target_wh=math.ceil(request.target_mwh * WH_PER_MWH),
                authority_to_exceed=request.authority_to_exceed,
                continue_if_devices_unavailable=request.continue_if_devices_unavailable,
                continue_if_target_unreachable=request.continue_if_target_unreachable,
            )
            covered = dict(
                ReservationDevice.objects.filter(device__in=free)
                .values("device_id")
                .annotate(until=Max("covers_until"))
                .values_list("device_id", "until")
            )
            ReservationDevice.objects.bulk_create(
                [
                    ReservationDevice(
                        reservation=reservation,
                        device=device,
                        # Reads up to the end of the device's previous reservation stay that one's.
                        covers_from=max(request.start, covered.get(device.pk) or request.start),
                    )
                    for device in free
                ]
            )
    except IntegrityError as error:
        # The name or a device was taken by a request that committed meanwhile.
        if _name_taken(request.name, organization_id=organization.pk):
            raise Conflict(f"Device group with name {request.name} already exists") from error
        raise Conflict("One or more devices were reserved meanwhile by another reservation; try again.") from error
    return reservation, unavailable


@transaction.atomic
def reservation_update(
    *,
    reservation: Reservation,
    name: str | None = None,
    target_mwh: Decimal | None = None,
    end: datetime | None = None,
    expiry: datetime | None = None,
    authority_to_exceed: bool | None = None,
) -> Reservation:
    """Change the name, target, end, expiry or authority to exceed of an active reservation
    (None: unchanged; an unchanged expiry keeps its grace period after a moved end)."""
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if not reservation.is_active:
        raise Conflict("This device groups reservation has already ended")
    if name is not None:
        _check_name(name)
        if _name_taken(name, organization_id=reservation.organization_id, besides=reservation):
            raise Conflict(f"Device group with name {name} already exists", errors={"name": ["Taken."]})
        reservation.name = name
    if target_mwh is not None:
        reservation.target_wh = math.ceil(target_mwh * WH_PER_MWH)
    if authority_to_exceed is not None:
        reservation.authority_to_exceed = authority_to_exceed
    if end is None:
        end = reservation.end
    if expiry is None:
        # Keep the grace period after the end when the end moves.
        expiry = _later(reservation.expiry, end - reservation.end)
    _refuse_period(
        period_problems(start=reservation.start, end=end, expiry=expiry),
        end_message="reservationEndDate must be after the reservation's start.",
    )
    reservation.end, reservation.expiry = end, expiry
    try:
        with transaction.atomic():
            reservation.save()
    except IntegrityError as error:  # the name was taken by a request that committed meanwhile
        raise Conflict(f"Device group with name {reservation.name} already exists") from error
    return reservation


@transaction.atomic
def reservation_end(*, reservation: Reservation) -> Reservation:
    """End a reservation now and release its devices (they can be reserved again)."""
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if not reservation.is_active:
        raise Conflict("This reservation has already ended")
    return reservation_close(reservation=reservation, at=timezone.now())


def reservation_close(*, reservation: Reservation, at: datetime) -> Reservation:
    """End a (locked) reservation at ``at``: its devices are released and it keeps only the
    reads before ``at`` (late ones may still be certified until its expiry)."""
    until = min(reservation.end, at)
    reservation.memberships.filter(is_active=True).update(
        is_active=False, released_at=timezone.now(), covers_until=Greatest("covers_from", Value(until))
    )
    reservation.is_active = False
    reservation.ended_at = at
    reservation.save(update_fields=["is_active", "ended_at", "updated_at"])
    events.reservation_ended(reservation)
    return reservation

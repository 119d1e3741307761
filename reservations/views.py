"""Portal screens of reservations: Make A Reservation with its confirmation dialog, My
Reservation List with progress towards the target, and one reservation with its devices
(ui.md §3.25-3.26, §4.3)."""

from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render

from devices.forms import DeviceFilterForm
from devices.selectors import device_filter, devices_for_reservation
from drec.errors import DomainError
from drec.forms import show_error
from drec.pagination import paginate
from drec.permissions import Action, page, portal_view, step
from organizations.models import OrganizationType
from organizations.selectors import acting_organization_list, organization_for
from reservations import forms, selectors, services
from reservations.rules import RESERVATION_CREATE, RESERVATION_END, RESERVATION_READ, RESERVATION_UPDATE
from reservations.services import WH_PER_MWH

DEVICE_PAGE = 20
FILTER_PREFIX = "f"
CREATE = Action(RESERVATION_CREATE, twin="POST api-reservations")
CHANGE = Action(RESERVATION_UPDATE, twin="PATCH api-reservation")


def _picker(request, organization_id, selected: list[int]) -> dict:
    """The "Select The Devices" part: a page of reservable devices under the filters, and the
    devices ticked so far (kept across filters and pages)."""
    filters = DeviceFilterForm(request.POST or None, prefix=FILTER_PREFIX)
    picker: dict[str, Any] = {"filters": filters, "page": None, "selected": selected, "hidden": [], "problem": None}
    if (
        not organization_id
        and acting_organization_list(user=request.user, organization_type=OrganizationType.BUYER) is not None
    ):
        return picker
    try:
        devices = devices_for_reservation(user=request.user, organization_id=organization_id or None)
        chosen = list(devices.filter(pk__in=selected))
        picker["selected_kw"] = sum(device.capacity for device in chosen)
        picker["selected"] = [device.pk for device in chosen]
        if filters.is_bound and filters.is_valid():
            devices = device_filter(devices, filters.api_params())
        query = SimpleNamespace(GET={"pageNumber": request.POST.get("devicePage") or "1", "limit": str(DEVICE_PAGE)})
        picker["page"] = paginate(query, devices.order_by("-created_at", "-id"), key="devices", serialize=list)
        shown = {device.pk for device in picker["page"]["devices"]}
        picker["hidden"] = [pk for pk in picker["selected"] if pk not in shown]
    except DomainError as error:
        picker["problem"] = error.message
    return picker


@portal_view(
    {
        "GET": page(RESERVATION_CREATE, no_twin="the Make A Reservation form"),
        "POST create": CREATE,
        "POST review": step(CREATE),
        "POST filter": step(CREATE),
        "POST": step(CREATE),
    }
)
def reservation_add(request):
    """Make A Reservation. ``action``: ``filter`` re-draws the device picker, ``review``
    checks the form and opens the confirmation dialog, ``create`` (its Continue) reserves."""
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.BUYER)
    action = request.POST.get("action", "")
    selected = [int(pk) for pk in request.POST.getlist("deviceIds") if pk.isdigit()]
    organization_id = request.POST.get("organizationId", "")
    confirm = False
    if action in ("review", "create"):
        form = forms.ReservationForm(request.POST, organizations=organizations)
        valid = form.is_valid()
        if not selected:
            form.add_error(None, "Please select at least one device.")
        elif valid and action == "review":
            confirm = True
        elif valid:
            try:
                organization = _buyer_organization(request, organization_id)
                reservation, unavailable = services.reservation_create(
                    acting_user=request.user, organization=organization, request=form.request(device_ids=selected)
                )
            except DomainError as error:
                show_error(form, error)
                if details := error.extra.get("details"):
                    form.add_error(
                        None,
                        f"Over {details['meteredTimePeriodInHours']:.0f} hours the selected devices could reach "
                        f"{details['probablyAchievableCapacityInMegaWattHour']:.3f} MWh at most.",
                    )
            else:
                note = (
                    f" Devices {', '.join(map(str, unavailable))} were unavailable and left out." if unavailable else ""
                )
                messages.success(
                    request,
                    f"Reservation Added Successfully!! {reservation.name} holds "
                    f"{reservation.memberships.count()} devices.{note}",
                )
                return redirect("reservation-detail", reservation_id=reservation.pk)
    else:
        form = forms.ReservationForm(initial=request.POST.dict() or None, organizations=organizations)
    context = {
        "form": form,
        "picker": _picker(request, organization_id, selected),
        "confirm": confirm,
        "questions": [form[name] for name in forms.ReservationForm.QUESTIONS],
    }
    return render(request, "reservations/reservation_add.html", context)


def _buyer_organization(request, organization_id):
    return organization_for(
        user=request.user,
        organization_id=organization_id or None,
        organization_type=OrganizationType.BUYER,
        purpose="to reserve devices",
    )


@portal_view({"GET": page(RESERVATION_READ, twin="GET api-reservations")})
def reservation_list(request):
    """My Reservation List: filters, paging, status and progress towards the target."""
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.BUYER)
    filters = forms.ReservationFilterForm(request.GET or None, organizations=organizations)
    page = None
    if not filters.is_bound or filters.is_valid():
        data = filters.cleaned_data if filters.is_bound else {}
        try:
            reservations = selectors.reservation_list(
                user=request.user, organization_id=data.get("organizationId") or None
            )
            reservations = selectors.reservation_filter(reservations, filters.api_params() if data else {})
            page = paginate(request, reservations, key="reservations", serialize=_rows, default_limit=10)
        except DomainError as error:
            filters.add_error(None, error.message)
    template = "reservations/_reservation_table.html" if request.htmx else "reservations/reservation_list.html"
    return render(request, template, {"filters": filters, "page": page})


def _mwh(wh: int) -> str:
    """Wh as MWh for reading: ``2.5``, ``10``, ``0.000001``."""
    return f"{wh / WH_PER_MWH:.6f}".rstrip("0").rstrip(".")


def _rows(reservations) -> list[dict]:
    rows = []
    for reservation in reservations:
        devices = selectors.member_devices(reservation)
        rows.append(
            {
                "reservation": reservation,
                "devices": len(devices),
                "capacity": sum(device.capacity for device in devices),
                "target_mwh": _mwh(reservation.target_wh),
                "issued_mwh": _mwh(reservation.requested_wh),
                "progress": min(100, round(100 * reservation.requested_wh / reservation.target_wh)),
                "sdg": sorted({goal.name for device in devices for goal in device.sdg_benefits.all()}),
            }
        )
    return rows


@portal_view(
    {
        "GET": page(RESERVATION_READ, twin="GET api-reservation"),
        "POST change": CHANGE,
        "POST": CHANGE,  # the change form sent without its button (the Enter key in some browsers)
        "POST end": Action(RESERVATION_END, twin="DELETE api-reservation-end"),
    }
)
def reservation_detail(request, reservation_id: int):
    """One reservation: its details, its devices; its buyer may change or end it."""
    if request.method == "POST":
        reservation = selectors.reservation_for_change(user=request.user, reservation_id=reservation_id)
    else:
        reservation = selectors.reservation_get(user=request.user, reservation_id=reservation_id)
    initial = {
        "name": reservation.name,
        "targetCapacityInMegaWattHour": reservation.target_wh / WH_PER_MWH,
        "reservationEndDate": reservation.end,
        "reservationExpiryDate": reservation.expiry,
        "authorityToExceed": "true" if reservation.authority_to_exceed else "false",
    }
    change = forms.ReservationChangeForm(initial=initial)
    if request.method == "POST" and request.POST.get("action") == "end":
        services.reservation_end(reservation=reservation)
        messages.success(request, f"Reservation {reservation.name} ended: its devices are free again.")
        return redirect("reservation-detail", reservation_id=reservation.pk)
    if request.method == "POST":
        change = forms.ReservationChangeForm(request.POST, initial=initial)
        if change.is_valid():
            try:
                services.reservation_update(reservation=reservation, **change.changes())
            except DomainError as error:
                show_error(change, error)
            else:
                messages.success(request, f"Reservation {change.cleaned_data['name']} updated.")
                return redirect("reservation-detail", reservation_id=reservation.pk)
    context = {
        "reservation": reservation,
        "row": _rows([reservation])[0],
        "devices": selectors.member_devices(reservation),
        "change": change,
        "can_change": reservation.is_active and _may_change(request.user, reservation, RESERVATION_UPDATE),
        "can_end": reservation.is_active and _may_change(request.user, reservation, RESERVATION_END),
    }
    return render(request, "reservations/reservation_detail.html", context)


def _may_change(user, reservation, rule) -> bool:
    """Whether the page offers a change: the action's rule, on a reservation of the buyer's side."""
    if not rule.allows(user):
        return False
    try:
        selectors.reservation_for_change(user=user, reservation_id=reservation.pk)
    except DomainError:
        return False
    return True

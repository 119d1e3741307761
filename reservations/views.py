"""Portal screens of reservations: Make A Reservation with its confirmation dialog, My
Reservation List with progress towards the target, and one reservation with its devices
(ui.md §3.25-3.26, §4.3)."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from certificates import status
from certificates.tasks import certificates_issue
from devices.selectors import device_filter, devices_for_reservation
from drec.errors import DomainError
from drec.formats import people_energy
from drec.forms import show_error
from drec.inputs import object_id
from drec.pagination import paginate
from drec.permissions import Action, page, portal_view, step
from organizations.models import OrganizationType
from organizations.selectors import acting_organization_list, organization_for
from reservations import fields, forms, selectors, services
from reservations.rules import RESERVATION_CREATE, RESERVATION_END, RESERVATION_READ, RESERVATION_UPDATE
from reservations.services import WH_PER_MWH

DEVICE_PAGE = 20
FILTER_PREFIX = "f"
CREATE = Action(RESERVATION_CREATE, twin="POST api-reservations")
CHANGE = Action(RESERVATION_UPDATE, twin="PATCH api-reservation")
# The scheduled task that issues certificates (certificates.tasks.SCHEDULES).
ISSUANCE_TASK = f"{certificates_issue.__module__}.{certificates_issue.__name__}"


def _posted_ids(request) -> list[int]:
    """The devices ticked: the page's checkboxes, and those ticked on other pages or under other
    filters (one comma-separated field, whatever their number)."""
    values = [*request.POST.getlist("deviceIds"), *request.POST.get("selectedIds", "").split(",")]
    return list(dict.fromkeys(pk for pk in map(object_id, values) if pk is not None))


def _picker(request, organization_id, selected: list[int], draft: dict[str, Any]) -> dict:
    """The "Select The Devices" part: a page of reservable devices under the filters and the
    search, with their reads; the devices ticked so far (kept across filters and pages).
    The "select all" checkbox ticks (or, unticked, clears) every device matching the filters,
    on every page: ``selectAllWas`` says how the page showed it, so only a change counts."""
    filters = forms.DevicePickerFilterForm(request.POST or None, prefix=FILTER_PREFIX)
    picker: dict[str, Any] = {
        "filters": filters,
        "page": None,
        "selected": selected,
        "requested": selected,
        "hidden": [],
        "problem": None,
        "rows": [],
    }
    if (
        not organization_id
        and acting_organization_list(user=request.user, organization_type=OrganizationType.BUYER) is not None
    ):
        return picker
    start, end = draft.get(fields.START.key), draft.get(fields.END.key)
    try:
        devices = devices_for_reservation(user=request.user, organization_id=organization_id or None)
        matching = devices
        if filters.is_bound and filters.is_valid():
            matching = selectors.device_search(device_filter(devices, filters.api_params()), filters.search_text())
            picker["filters_applied"] = len(filters.api_params())
        select_all = request.POST.get("selectAll") == "1"
        if select_all != (request.POST.get("selectAllWas") == "1"):
            ids = list(matching.values_list("pk", flat=True))
            selected = [*selected, *ids] if select_all else [pk for pk in selected if pk not in set(ids)]
            selected = list(dict.fromkeys(selected))
        picker["requested"] = selected
        chosen = list(devices.filter(pk__in=selected).select_related(None).only("pk", "capacity"))
        picker["selected_kw"] = sum((device.capacity for device in chosen), Decimal(0))
        picker["selected"] = [device.pk for device in chosen]
        if start is not None and end is not None and end > start:
            picker["reachable_mwh"] = services.reachable_mwh(chosen, start, end)
            picker["hours"] = (end - start).total_seconds() / 3600
        query = SimpleNamespace(GET={"pageNumber": request.POST.get("devicePage") or "1", "limit": str(DEVICE_PAGE)})
        picker["page"] = paginate(query, matching.order_by("-created_at", "-id"), key="devices", serialize=list)
        shown = [device.pk for device in picker["page"]["devices"]]
        picker["hidden"] = [pk for pk in picker["selected"] if pk not in set(shown)]
        picker["hidden_kw"] = sum((device.capacity for device in chosen if device.pk not in set(shown)), Decimal(0))
        picker["all_selected"] = bool(picker["page"]["totalCount"]) and not matching.exclude(pk__in=selected).exists()
        reads = selectors.device_reads(device_ids=shown, start=start, end=end)
        picker["rows"] = [_picker_row(device, reads.get(device.pk)) for device in picker["page"]["devices"]]
        picker["period"] = start is not None and end is not None
    except DomainError as error:
        picker["problem"] = error.message
    return picker


def _picker_row(device, reads: selectors.DeviceReads | None) -> dict[str, Any]:
    period_wh = reads.period_wh if reads else None
    return {
        "device": device,
        "last_read": reads.last_read if reads else None,
        "period_energy": None if period_wh is None else people_energy(period_wh),
    }


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
    organization_id = request.POST.get("organizationId", "")
    if action in ("review", "create"):
        form = forms.ReservationForm(request.POST, organizations=organizations)
    else:
        form = forms.ReservationForm(initial=request.POST.dict() or None, organizations=organizations)
    draft = form.draft()
    picker = _picker(request, organization_id, _posted_ids(request), draft)
    selected = picker["requested"]
    confirm = False
    if action in ("review", "create"):
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
                    f"Reservation added. {reservation.name} holds {reservation.memberships.count()} devices.{note}",
                )
                return redirect("reservation-detail", reservation_id=reservation.pk)
    context = {
        "form": form,
        "picker": picker,
        "confirm": confirm,
        "questions": [form[name] for name in forms.ReservationForm.QUESTIONS],
        "target_mwh": draft.get(fields.TARGET.key),
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
        "issuance": _issuance(reservation),
        "row": _rows([reservation])[0],
        "devices": selectors.member_devices(reservation),
        "change": change,
        "can_change": reservation.is_active and _may_change(request.user, reservation, RESERVATION_UPDATE),
        "can_end": reservation.is_active and _may_change(request.user, reservation, RESERVATION_END),
    }
    return render(request, "reservations/reservation_detail.html", context)


# Why energy waits, in people's words (certificates.status: the API's ``reason`` values).
WAITING_BECAUSE = {
    status.EXPIRED: "the expiry date has passed: late reads are no longer certified",
    status.TARGET_REACHED: "the target is reached: no more certificates are issued without authority to exceed",
    status.WINDOW_OPEN: "the window has not closed yet: the first run after it closes certifies it",
    status.BELOW_UNIT: "less than one certificate unit, with what is carried: it waits for the next window's reads",
    status.NEXT_RUN: "ready: the next run certifies it",
}


def _issuance(reservation) -> dict[str, Any]:
    """What the background issuance does next for the reservation: when its scheduled run
    comes (django-q2's schedule of certificates.tasks), and its issuance status (the API's
    GET issuance-status, from the same selector): what waits and why."""
    now = timezone.now()
    schedule = selectors.issuance_schedule(func=ISSUANCE_TASK)
    found = status.issuance_status(reservation=reservation, now=now)
    late = False
    if schedule is not None and schedule.next_run is not None:
        late = schedule.next_run < now - timedelta(minutes=schedule.every_minutes + 1)
    return {
        "over": not reservation.is_active and now >= reservation.expiry,
        "schedule": schedule,
        "late": late,
        "not_started": now < reservation.start,
        "status": found,
        "pending_energy": people_energy(found.pending_wh),
        "unit_kwh": f"{found.unit_wh / 1000:g}",
        "because": WAITING_BECAUSE,
    }


def _may_change(user, reservation, rule) -> bool:
    """Whether the page offers a change: the action's rule, on a reservation of the buyer's side."""
    if not rule.allows(user):
        return False
    try:
        selectors.reservation_for_change(user=user, reservation_id=reservation.pk)
    except DomainError:
        return False
    return True

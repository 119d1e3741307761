"""Portal screens of meter reads (ui.md §4.6), the device generation chart and the yield
configuration (ui.md §3.29)."""

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from certificates.selectors import read_certificates
from devices.bulk import csv_job_create
from devices.forms import BulkUploadForm
from devices.models import CsvJobKind
from devices.selectors import csv_job_get, developer_devices
from devices.views import job_log_context, jobs_context
from drec.errors import DomainError, NotFound
from drec.forms import on_form, show_error
from drec.inputs import object_id
from drec.pagination import paginate
from drec.permissions import Action, page, portal_view, step
from organizations.models import OrganizationType
from organizations.selectors import acting_organization_list, organization_for
from reads import forms, selectors, services
from reads.models import ReadType, YieldConfig
from reads.rules import READS_READ, READS_WRITE, YIELD_ADD, YIELD_CHANGE, YIELD_READ

DEVICE_CHOICES = 500  # suggestions offered while typing an externalId


def _suggestions(devices, organizations, organization_id) -> list:
    if organizations is not None and not organization_id:
        return []
    return list(devices.order_by("external_id")[:DEVICE_CHOICES])


def _device_zones(device) -> list[str]:
    zones = list(device.country.timezones) if device is not None else []
    if device is not None and device.timezone:
        zones = [device.timezone, *(zone for zone in zones if zone != device.timezone)]
    return zones or ["UTC"]


def _show_read_errors(form, rows: list[forms.ReadRowForm], error: DomainError) -> None:
    """Per-read reasons go next to the field they name, in the row of the read; the rest on
    top of the form."""
    on_form(error)
    if isinstance(error.errors, list):
        for item in error.errors:
            item = item if isinstance(item, dict) else {}
            field, index, message = item.get("field"), item.get("index"), item.get("message", error.message)
            row = rows[index] if isinstance(index, int) and 0 <= index < len(rows) else None
            if row is not None and field in row.fields:
                row.add_error(field, message)
            elif field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, f"Read {row.number}: {message}" if row is not None and len(rows) > 1 else message)
        return
    show_error(form, error)


def _read_rows(request, count: int) -> list[forms.ReadRowForm]:
    """The form's read rows: as posted, or (a GET redrawing the form) with what was typed."""
    if request.method == "POST":
        return [forms.ReadRowForm(request.POST, index=index) for index in range(count)]
    rows = [forms.ReadRowForm(index=index) for index in range(count)]
    for row in rows:
        row.initial = {name: request.GET[key] for name in row.fields if (key := row.add_prefix(name)) in request.GET}
    return rows


ADD_READ = Action(READS_WRITE, twin="POST api-reads")


@portal_view(
    {
        "GET": page(READS_WRITE, no_twin="the Add Read form"),
        "POST add_more": step(ADD_READ),
        "POST": ADD_READ,
    }
)
def read_add(request):
    """Add Read: organization first (super admin, api users), then device, zone, type, unit
    and one or more reads, stored together (one batch) or not at all."""
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.DEVELOPER)
    source = request.POST if request.method == "POST" else request.GET
    organization_id = source.get("organizationId", "")
    device, devices, problem = None, [], None
    try:
        if organizations is None or organization_id:
            candidates = developer_devices(user=request.user, organization_id=organization_id or None)
            devices = _suggestions(candidates, organizations, organization_id)
            # NUL matches no device (PostgreSQL text cannot hold it): the form's field refuses it.
            if source.get("externalId") and "\x00" not in source["externalId"]:
                device = candidates.filter(external_id__iexact=source["externalId"].strip()).first()
    except DomainError as error:
        problem = (on_form(error) if request.method == "POST" else error).message
    kwargs: dict[str, Any] = {
        "organizations": organizations,
        "timezones": _device_zones(device),
        "refresh_url": reverse("read-add"),
    }
    count = max(1, min(object_id(source.get("count")) or 1, forms.MAX_READ_ROWS))
    adding = request.method == "POST" and request.POST.get("action") == "add_more"
    if adding:
        count = min(count + 1, forms.MAX_READ_ROWS)
    rows = _read_rows(request, count)
    if request.method == "POST":
        form = forms.ReadForm(request.POST, **kwargs)
        if adding:
            form.is_valid()
            for bound in (form, *rows):
                bound.errors.clear()  # only a new row: nothing was submitted yet
        else:
            reads = [row for row in rows if row.number == 1 or not row.is_blank()]
            for row in rows:
                if row not in reads:
                    row.errors.clear()  # a further read left empty is no read: nothing to say about it
            valid = all([form.is_valid(), *(row.is_valid() for row in reads)])
            if (
                device is None
                and request.POST.get("externalId")
                and problem is None
                and "externalId" not in form.errors
            ):
                form.add_error("externalId", f"No device {request.POST['externalId']} here: pick one from the list.")
            elif valid:
                data = form.cleaned_data
                try:
                    target = selectors.device_for_writing(
                        user=request.user, external_id=data["externalId"], organization_id=organization_id or None
                    )
                    stored = services.reads_ingest(
                        device=target,
                        read_type=data["type"],
                        unit=data["unit"],
                        timezone_name=data["timezone"],
                        reads=[row.read(data["type"]) for row in reads],
                    )
                except DomainError as error:
                    _show_read_errors(form, reads, error)
                else:
                    if stored == 1:
                        value = reads[0].cleaned_data["value"]
                        messages.success(request, f"Read added: {value} {data['unit']} for {target.external_id}.")
                    else:
                        messages.success(request, f"{stored} reads added for {target.external_id}.")
                    query = {"externalId": target.external_id, "type": data["type"], "unit": data["unit"]}
                    if organizations is not None:
                        query["organizationId"] = organization_id
                    return redirect(f"{reverse('read-add')}?{urlencode(query)}")
    else:
        initial = {key: value for key, value in request.GET.items() if key in forms.ReadForm.base_fields}
        if device is not None and device.meter_read_type and initial.get("type") != ReadType.HISTORY:
            initial["type"] = device.meter_read_type
        form = forms.ReadForm(initial=initial, **kwargs)
    context = {
        "form": form,
        "rows": rows,
        "can_add_row": count < forms.MAX_READ_ROWS,
        "device": device,
        "latest": selectors.latest_read(device) if device is not None else None,
        "zone": selectors.device_timezone(device) if device is not None else "UTC",
        "devices": devices,
        "problem": problem,
    }
    template = "reads/_read_form.html" if request.htmx else "reads/read_add.html"
    return render(request, template, context)


@portal_view(
    {
        "GET": page(READS_WRITE, twin="GET api-reads-bulk-csv"),
        "POST": Action(READS_WRITE, twin="POST api-reads-bulk-csv"),
    }
)
def read_upload(request):
    """Upload Reads: a CSV of reads of the organization's devices, its job followed live."""
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.DEVELOPER)
    form = BulkUploadForm(request.POST or None, request.FILES or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["csvFile"]
        try:
            organization = organization_for(
                user=request.user,
                organization_id=form.cleaned_data.get("organizationId") or None,
                organization_type=OrganizationType.DEVELOPER,
                purpose="for meter reads",
            )
            job = csv_job_create(
                acting_user=request.user,
                organization=organization,
                file_name=upload.name,
                data=upload.read(settings.DREC_CSV_MAX_BYTES + 1),
                kind=CsvJobKind.READS,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            return redirect(f"{reverse('read-bulk-upload')}?job={job.pk}")
    context = {"form": form, **jobs_context(request, kind=CsvJobKind.READS, job_page="read-bulk-upload-job")}
    if request.htmx:
        return render(request, "devices/_jobs_table.html", context)
    return render(request, "reads/read_upload.html", context)


@portal_view({"GET": page(READS_READ, twin="GET api-reads-csv-job")})
def read_upload_job(request, job_id: int):
    """A reads upload's status log: what became of each device, and the rows with errors."""
    job = csv_job_get(user=request.user, job_id=job_id, kind=CsvJobKind.READS)
    return render(
        request, "devices/bulk_upload_job.html", {**job_log_context(request, job), "back": "read-bulk-upload"}
    )


def _local_bounds(device, start_date, end_date):
    """[first local midnight, the midnight after the last day) in the device's zone."""
    zone = services.zone_get(selectors.device_timezone(device))
    start = datetime.combine(start_date, time.min, tzinfo=zone)
    end = datetime.combine(end_date + timedelta(days=1), time.min, tzinfo=zone)
    return start, end, zone


@portal_view({"GET": page(READS_READ, twin="GET api-reads")})
def read_list(request):
    """Meter Read List: a device's reads over a period, newest first."""
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.DEVELOPER)
    organization_id = request.GET.get("organizationId", "")
    device, page, devices, problem = None, None, [], None
    initial = {}
    try:
        if request.GET.get("device"):
            device = selectors.readable_device(user=request.user, device_id=request.GET["device"])
            initial = {"externalId": device.external_id, "organizationId": str(device.organization_id)}
            organization_id = organization_id or initial["organizationId"]
        if organizations is None or organization_id:
            candidates = selectors.readable_devices(user=request.user, organization_id=organization_id or None)
            devices = _suggestions(candidates, organizations, organization_id)
            external_id = request.GET.get("externalId", "").strip()
            if device is None and external_id:
                device = candidates.filter(external_id__iexact=external_id).first()
                if device is None:
                    raise NotFound(f"No device {external_id} here.")
    except DomainError as error:
        problem = error.message
    except ValueError:
        problem = "device must be a device id (a number)."
    filters = forms.ReadFilterForm(
        {**initial, **request.GET.dict()} if request.GET else None, organizations=organizations
    )
    if device is not None and filters.is_valid():
        today = timezone.localdate(timezone=services.zone_get(selectors.device_timezone(device)))
        start_date = filters.cleaned_data.get("start") or device.commissioning_date.date()
        end_date = filters.cleaned_data.get("end") or today
        start, end, zone = _local_bounds(device, start_date, end_date)
        reads = selectors.reads_between(device=device, start=start, end=end)
        page = paginate(request, reads, key="reads", serialize=list)
        page["certified"] = read_certificates(device, page["reads"])
        page["zone"] = zone.key
        page["period"] = (start_date, end_date)
    context = {"filters": filters, "device": device, "page": page, "devices": devices, "problem": problem}
    return render(request, "reads/read_list.html", context)


@portal_view({"GET": page(READS_READ, twin="GET api-reads")})
def device_generation(request, device_id: int):
    """A device's energy per local day over a period (default: the last 30 days), as a chart."""
    device = selectors.readable_device(user=request.user, device_id=device_id)
    zone = services.zone_get(selectors.device_timezone(device))
    today = timezone.localdate(timezone=zone)
    form = forms.GenerationForm(request.GET or {"start": today - timedelta(days=29), "end": today})
    days: list[selectors.Energy] = []
    if form.is_valid():
        start, end, zone = _local_bounds(device, form.cleaned_data["start"], form.cleaned_data["end"])
        days = selectors.daily_energy(device=device, start=start, end=end, zone=zone)
    kwh = [day["value"] / 1000 for day in days]
    chart = {"labels": [day["startTime"].date().isoformat() for day in days], "values": kwh}
    context = {"device": device, "form": form, "days": days, "chart": chart, "zone": zone.key, "total_kwh": sum(kwh)}
    return render(request, "reads/_generation.html", context)


# --- Yield configuration ----------------------------------------------------------------


@portal_view({"GET": page(YIELD_READ, twin="GET api-yield-configs")})
def yield_list(request):
    configs = YieldConfig.objects.select_related("country")
    return render(request, "reads/yield_list.html", {"page": paginate(request, configs, key="configs", serialize=list)})


def _yield_form(request, config: YieldConfig | None):
    initial = {}
    if config is not None:
        initial = {"countryCode": config.country_id, "yieldValue": config.yield_value, "status": config.status}
    form = forms.YieldForm(request.POST or None, initial=initial)
    if config is not None:
        form.fields["countryCode"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.yield_config_save(
                acting_user=request.user,
                country_code=data["countryCode"],
                yield_value=data["yieldValue"],
                status=data["status"],
                config=config,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Yield of {saved.country.name} saved: {saved.yield_value} kWh/kWp/year.")
            return redirect("yield-list")
    return render(request, "reads/yield_form.html", {"form": form, "config": config})


@portal_view(
    {
        "GET": page(YIELD_ADD, no_twin="the yield form"),
        "POST": Action(YIELD_ADD, twin="POST api-yield-configs"),
    }
)
def yield_add(request):
    return _yield_form(request, None)


@portal_view(
    {
        "GET": page(YIELD_CHANGE, no_twin="the yield form"),
        "POST": Action(YIELD_CHANGE, twin="PATCH api-yield-config"),
    }
)
def yield_edit(request, config_id: int):
    config = YieldConfig.objects.select_related("country").filter(pk=config_id).first()
    if config is None:
        raise NotFound(f"No yield configuration with id {config_id}")
    return _yield_form(request, config)

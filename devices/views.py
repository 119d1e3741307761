"""Portal screens of devices (seed Step 4 Device, ui.md §3.16-3.21)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Role
from devices import bulk, forms, selectors, services
from devices.models import CsvJob, CsvJobKind, CsvJobStatus
from devices.rules import BULK_READ, BULK_UPLOAD, DEVICE_DELETE, DEVICE_READ, DEVICE_REGISTER, DEVICE_UPDATE
from drec.errors import DomainError
from drec.forms import on_form, show_error
from drec.inputs import object_id
from drec.pagination import paginate
from drec.permissions import Action, page, portal_view, step
from organizations.models import OrganizationType
from organizations.selectors import acting_organization_list, organization_for
from reads.rules import READS_READ
from reads.selectors import readable_device

REGISTER = Action(DEVICE_REGISTER, twin="POST api-device-create")


def _show_problems(form, errors: dict[str, list[str]]) -> None:
    """Each problem of ``services.device_check`` next to its field (the rest on top)."""
    for key, reasons in errors.items():
        for reason in reasons:
            form.add_error(key if key in form.fields else None, reason)


def _target(request, organization_id):
    return organization_for(
        user=request.user,
        organization_id=organization_id or None,
        organization_type=OrganizationType.DEVELOPER,
        purpose="for devices",
    )


@portal_view(
    {
        "GET": page(DEVICE_READ, twin="GET api-devices-my"),
        "POST delete": Action(DEVICE_DELETE, twin="DELETE api-device"),
    }
)
def device_list(request):
    """My Devices / All Devices: filters, paging, view, edit and delete."""
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            device = selectors.device_get_for_change(user=request.user, device_id=request.POST.get("device"))
            services.device_delete(device=device)
            messages.success(request, f"Device {device.external_id} deleted.")
        except DomainError as error:
            messages.error(request, on_form(error).message)
        return redirect(request.get_full_path())
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.DEVELOPER)
    filters = forms.DeviceFilterForm(request.GET or None, organizations=organizations)
    params = filters.api_params() if filters.is_valid() else {}
    page = None
    try:
        devices = selectors.developer_devices(user=request.user, organization_id=params.pop("organizationId", None))
        devices = selectors.device_filter(devices, params).order_by("-created_at", "-id")
        page = paginate(request, devices, key="devices", serialize=list)
    except DomainError as error:
        filters.add_error(None, error.message)
    context = {"filters": filters, "page": page, "show_organization": organizations is not None}
    template = "devices/_device_table.html" if request.htmx else "devices/device_list.html"
    return render(request, template, context)


@portal_view(
    {
        "GET": page(DEVICE_REGISTER, no_twin="the registration form"),
        "POST submit": REGISTER,
        "POST add_more": step(REGISTER),
        "POST": step(REGISTER),
    }
)
def device_add(request):
    """Device Registration: one or more device cards, registered together or not at all."""
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.DEVELOPER)
    count = max(1, min(object_id(request.POST.get("count")) or 1, 20))
    if request.POST.get("action") == "add_more":
        count += 1
    bound = request.method == "POST" and request.POST.get("action") == "submit"
    cards = [forms.DeviceForm(request.POST if request.method == "POST" else None, prefix=f"d{i}") for i in range(count)]
    organization_error = None
    if bound:
        # Every problem at once: each card's fields, its rules and its External ID, and the organization.
        organization = None
        try:
            organization = _target(request, request.POST.get("organizationId"))
        except DomainError as error:
            organization_error = on_form(error).message
        refused = False
        for card in cards:
            valid = card.is_valid()
            problems = services.device_check(organization=organization, fields=card.device_fields(), partial=not valid)
            _show_problems(card, problems)
            refused = refused or not valid or bool(problems)
        if organization is not None and not refused:
            try:
                services.devices_register(organization=organization, items=[card.device_fields() for card in cards])
            except DomainError as error:
                index = error.extra.get("index")
                if index is None:
                    organization_error = on_form(error).message
                else:
                    show_error(cards[index], error)
            else:
                messages.success(request, f"{len(cards)} device(s) added.")
                return redirect("device-list" if request.user.role != Role.API_USER else "apiuser-device-list")
    if request.POST.get("action") == "add_more":
        for card in cards:
            card.errors.clear()
    return render(
        request,
        "devices/device_add.html",
        {
            "cards": cards,
            "count": count,
            "organizations": organizations,
            "organization_id": request.POST.get("organizationId", ""),
            "organization_error": organization_error,
        },
    )


@portal_view({"GET": page(DEVICE_READ, twin="GET api-device")})
def device_detail(request, device_id: int):
    device = selectors.device_get(user=request.user, device_id=device_id)
    context = {
        "device": device,
        "sdg": device.sdg_benefits.all(),
        "can_change": _can_change(request.user, device),
        "show_generation": _can_read_reads(request.user, device),
    }
    return render(request, "devices/device_detail.html", context)


def _can_read_reads(user, device) -> bool:
    """Whether the device page shows the generation chart (buyers: reserved devices only)."""
    if not READS_READ.allows(user):
        return False
    try:
        readable_device(user=user, device_id=device.pk)
    except DomainError:
        return False
    return True


def _can_change(user, device) -> bool:
    try:
        selectors.device_get_for_change(user=user, device_id=device.pk)
    except DomainError:
        return False
    return True


@portal_view(
    {
        "GET": page(DEVICE_UPDATE, no_twin="the edit form"),
        "POST": Action(DEVICE_UPDATE, twin="PATCH api-device"),
    }
)
def device_edit(request, device_id: int):
    device = selectors.device_get_for_change(user=request.user, device_id=device_id)
    form = forms.DeviceForm.editing(device, request.POST or None)
    if request.method == "POST":
        valid = form.is_valid()
        fields = form.device_fields(only_changed=True)
        # The form shows whole seconds: an unchanged date comes back without its milliseconds.
        if fields.get("commissioning_date") == device.commissioning_date.replace(microsecond=0):
            fields.pop("commissioning_date")
        # Every problem at once: the fields the form refused, and the rules on the others.
        problems = services.device_check(organization=device.organization, fields=fields, device=device)
        _show_problems(form, problems)
        if valid and not problems:
            try:
                services.device_update(device=device, fields=fields)
            except DomainError as error:
                show_error(form, error)
            else:
                messages.success(request, f"Device {device.external_id} updated.")
                return redirect("device-detail", device_id=device.pk)
    return render(request, "devices/device_edit.html", {"form": form, "device": device})


@portal_view(
    {
        "GET": page(BULK_READ, twin="GET api-csv-jobs"),
        "POST": Action(BULK_UPLOAD, twin="POST api-device-bulk-upload"),
    }
)
def bulk_upload(request):
    """Device Bulk Registration: upload a CSV, follow the jobs' progress live."""
    organizations = acting_organization_list(user=request.user, organization_type=OrganizationType.DEVELOPER)
    form = forms.BulkUploadForm(request.POST or None, request.FILES or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["csvFile"]
        try:
            organization = _target(request, form.cleaned_data.get("organizationId"))
            job = bulk.csv_job_create(
                acting_user=request.user,
                organization=organization,
                file_name=upload.name,
                data=upload.read(bulk.settings.DREC_CSV_MAX_BYTES + 1),
            )
        except DomainError as error:
            show_error(form, error)
        else:
            # The page says how the job goes (in the jobs' live region, _jobs_table.html), not a
            # one-off message that would still say "being processed" once it is done.
            return redirect(f"{reverse('device-bulk-upload')}?job={job.pk}")
    context = {"form": form, **jobs_context(request, kind=CsvJobKind.DEVICES, job_page="device-bulk-upload-job")}
    if request.htmx:
        return render(request, "devices/_jobs_table.html", context)
    return render(request, "devices/bulk_upload.html", context)


def jobs_context(request, *, kind: str, job_page: str) -> dict:
    """A bulk upload page's jobs of ``kind`` (a page of them, and the one just uploaded), and
    whether one is still queued or running (the list then follows them live)."""
    jobs = selectors.csv_job_list(user=request.user, kind=kind)
    listed = paginate(request, jobs, key="jobs", serialize=list, default_limit=10)
    uploaded = None
    if job_id := object_id(request.GET.get("job")):
        uploaded = jobs.filter(pk=job_id).first()
    running = (CsvJobStatus.ADDED, CsvJobStatus.RUNNING)
    active = any(job.status in running for job in listed["jobs"]) or (
        uploaded is not None and uploaded.status in running
    )
    return {"page": listed, "active": active, "uploaded": uploaded, "job_page": job_page}


def job_log_context(request, job: CsvJob) -> dict:
    """A bulk job's status log: its row errors (a page of them) and, for a reads job, what
    became of each device of its file."""
    errors = paginate(request, job.row_errors.all(), key="errors", serialize=list, default_limit=50)
    devices = list(job.device_reads.all()) if job.kind == CsvJobKind.READS else []
    return {"job": job, "page": errors, "device_reads": devices}


@portal_view({"GET": page(BULK_READ, twin="GET api-csv-job")})
def bulk_upload_job(request, job_id: int):
    """Device Bulk Registration Status Log: the job and its row errors (a reads upload's too,
    as the API's job status shows it)."""
    job = selectors.csv_job_get(user=request.user, job_id=job_id)
    return render(
        request, "devices/bulk_upload_job.html", {**job_log_context(request, job), "back": "device-bulk-upload"}
    )

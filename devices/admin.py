"""The back office's devices, bulk uploads, uploaded files and code lists.

Devices are registered and changed by their developers (API, portal, bulk CSV) with the rules
of devices.services; here they are read, and deleted only through device_delete, which refuses
a device that meter reads, reservations or certificates refer to. Bulk jobs and uploaded files
are records of what was sent: read-only, never showing the stored bytes.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from devices import services
from devices.models import (
    Country,
    CsvDeviceReads,
    CsvJob,
    CsvRowError,
    Device,
    DeviceDescription,
    DeviceType,
    FuelType,
    OffTaker,
    SdgBenefit,
    UploadedFile,
)
from drec.admin import FirstRowsFormSet, ReadOnlyAdmin, ReadOnlyTabularInline, ServiceAdmin, changelist_link
from reads.models import MeterRead
from reservations.models import ReservationDevice


@admin.register(FuelType, DeviceType, OffTaker, DeviceDescription, SdgBenefit)
class CodeListAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort_order")


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("alpha3", "alpha2", "numeric", "name", "timezones")
    search_fields = ("name", "alpha3", "alpha2")


# --- Devices ---------------------------------------------------------------------------------


class MembershipInline(ReadOnlyTabularInline):
    model = ReservationDevice
    fields = ("reservation", "is_active", "covers_from", "covers_until", "added_at", "released_at")
    readonly_fields = fields
    verbose_name = "reservation membership"
    verbose_name_plural = "reservations it is or was in"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReservationDevice]:
        return super().get_queryset(request).select_related("reservation")


DEVICE_SECTIONS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (None, ("external_id", "uid", "organization", "project_name", "reads_link")),
    ("Place", ("address", "latitude", "longitude", "country", "timezone")),
    (
        "Installation",
        (
            "fuel_code",
            "device_type_code",
            "device_description",
            "capacity_kw",
            "commissioning_date",
            "grid_interconnection",
            "off_taker",
            "energy_storage",
            "energy_storage_capacity",
            "yield_value",
            "meter_read_type",
        ),
    ),
    ("Story", ("impact_story", "images", "sdg_benefits", "quality_labels", "version")),
    ("Registry", ("irec_status", "irec_id", "bulk_job", "bulk_row", "created_at", "updated_at")),
)


@admin.register(Device)
class DeviceAdmin(ServiceAdmin):
    list_display = (
        "external_id",
        "organization_name",
        "country",
        "fuel_code",
        "device_type_code",
        "capacity_kw",
        "created_at",
    )
    list_filter = ("country", "fuel_code", "device_type_code")
    search_fields = ("external_id", "organization__name")
    list_select_related = ("organization", "country", "fuel_code", "device_type_code")
    fieldsets = tuple((title, {"fields": names}) for title, names in DEVICE_SECTIONS)
    readonly_fields = tuple(name for _title, names in DEVICE_SECTIONS for name in names)
    inlines = (MembershipInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Registered by its developer (API, portal, bulk CSV) with devices.services' rules.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Changed by its developer through device_update (the same rules as registration).
        return False

    @admin.display(description="Organization", ordering="organization__name")
    def organization_name(self, device: Device) -> str:
        return device.organization.name

    @admin.display(description="Capacity", ordering="capacity")
    def capacity_kw(self, device: Device) -> str:
        return f"{device.capacity} kW"

    @admin.display(description="Meter reads")
    def reads_link(self, device: Device) -> str:
        return changelist_link(MeterRead, "reads of this device", device__id__exact=device.pk)

    def service_delete(self, request: HttpRequest, obj: Device) -> None:
        services.device_delete(device=obj)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        # device_delete decides, and says what blocks it: Django's collector would first load
        # every meter read that protects the device.
        devices = list(objs)
        return [str(device) for device in devices], {"devices": len(devices)}, set(), []


# --- Bulk uploads and files --------------------------------------------------------------------


class RowErrorFormSet(FirstRowsFormSet):
    limit = 200


class RowErrorInline(ReadOnlyTabularInline):
    model = CsvRowError
    formset = RowErrorFormSet
    fields = ("row_number", "external_id", "field", "message", "value")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = f"row errors (the first {RowErrorFormSet.limit}; see all from the job's summary)"


class DeviceReadsInline(ReadOnlyTabularInline):
    """A reads upload's devices: each stored all together, or not at all."""

    model = CsvDeviceReads
    formset = RowErrorFormSet
    fields = ("external_id", "first_row", "rows", "stored")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = f"devices of a reads upload (the first {RowErrorFormSet.limit})"


@admin.register(CsvJob)
class CsvJobAdmin(ReadOnlyAdmin):
    """A bulk upload (devices, or meter reads) as it ran (devices.bulk, reads.bulk); the CSV
    itself is not shown."""

    list_display = (
        "id",
        "kind",
        "organization",
        "file_name",
        "status",
        "progress",
        "rows_created",
        "rows_failed",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("=id", "file_name", "organization__name")
    list_select_related = ("organization",)
    fields = (
        "kind",
        "organization",
        "created_by",
        "file_name",
        "status",
        "progress",
        "rows_total",
        "rows_created",
        "rows_failed",
        "all_errors",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    inlines = (DeviceReadsInline, RowErrorInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CsvJob]:
        return super().get_queryset(request).defer("data")

    @admin.display(description="Progress")
    def progress(self, job: CsvJob) -> str:
        return f"{job.rows_processed} of {job.rows_total} rows ({job.progress_percent}%)"

    @admin.display(description="Row errors")
    def all_errors(self, job: CsvJob) -> str:
        return changelist_link(CsvRowError, "all row errors of this job", job__id__exact=job.pk)


@admin.register(CsvRowError)
class CsvRowErrorAdmin(ReadOnlyAdmin):
    list_display = ("job", "row_number", "external_id", "field", "message", "value")
    search_fields = ("external_id", "message")
    list_select_related = ("job",)
    fields = ("job", "row_number", "external_id", "field", "message", "value")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CsvRowError]:
        return super().get_queryset(request).defer("job__data")


@admin.register(UploadedFile)
class UploadedFileAdmin(ReadOnlyAdmin):
    """Files sent with ``POST /api/file``: who sent what, never the bytes."""

    list_display = ("key", "original_name", "content_type", "size_text", "organization", "uploaded_by", "created_at")
    search_fields = ("key", "original_name", "organization__name")
    list_select_related = ("organization", "uploaded_by")
    fields = ("key", "original_name", "content_type", "size_text", "organization", "uploaded_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[UploadedFile]:
        return super().get_queryset(request).defer("data")

    @admin.display(description="Size", ordering="size")
    def size_text(self, uploaded: UploadedFile) -> str:
        return format_html("{} bytes", f"{uploaded.size:,}")

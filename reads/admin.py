"""The back office's meter reads and per-country yields.

Meter reads are what devices measured and what certificates were issued from: the database
keeps their series valid, so here they are only found and read. The table grows without
bound, so its changelist is a BigTableAdmin: every page is an index scan of the
``(device, end)`` unique constraint with a LIMIT, the count stops at a cap, and the filters
(a device, a recent period) never ask the database for every distinct date.
"""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from devices.models import Device
from drec.admin import BigTableAdmin, ServiceAdmin, staff_user, wh
from drec.inputs import whole_number
from reads import services
from reads.models import MeterRead, YieldConfig


class DeviceFilter(admin.SimpleListFilter):
    """The device whose reads are listed: set by the device page's "reads of this device" link
    or by searching an external id (a list of every device would not fit in a sidebar)."""

    title = "device"
    parameter_name = "device__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # Django skips the queryset of a filter without choices: always offer the one asked for.
        value = self.value()
        if value is None:
            return []
        device = None
        if (device_id := whole_number(value)) is not None:
            device = Device.objects.select_related("organization").filter(pk=device_id).first()
        label = f"{device.external_id} ({device.organization.name})" if device else f"no device {value}"
        return [(value, label)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[MeterRead]) -> QuerySet[MeterRead]:
        value = self.value()
        if value is None:
            return queryset
        device_id = whole_number(value)
        if device_id is None:
            raise IncorrectLookupParameters(f"Not a device id: {value!r}")
        return queryset.filter(device_id=device_id)


PERIODS = {"24h": ("Last 24 hours", timedelta(hours=24)), "7d": ("Last 7 days", timedelta(days=7))}
PERIODS["30d"] = ("Last 30 days", timedelta(days=30))


class PeriodFilter(admin.SimpleListFilter):
    """Reads ending in a recent period (Django's date_hierarchy would run a SELECT DISTINCT of
    dates over the whole table)."""

    title = "end of the read"
    parameter_name = "ended"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _span) in PERIODS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[MeterRead]) -> QuerySet[MeterRead]:
        value = self.value()
        if value is None:
            return queryset
        if value not in PERIODS:
            raise IncorrectLookupParameters(f"Unknown period: {value!r}")
        return queryset.filter(end__gte=timezone.now() - PERIODS[value][1])


@admin.register(MeterRead)
class MeterReadAdmin(BigTableAdmin):
    list_display = ("device_label", "read_type", "start", "end", "energy", "is_baseline")
    list_filter = (DeviceFilter, PeriodFilter, "read_type")
    list_select_related = ("device__organization",)
    # The (device, end) unique constraint's index serves it. By the column: "device" would
    # order by the devices' own ordering (their creation), a join sorted whole.
    ordering = ("device_id", "end")
    sortable_by = ()  # another column's order would sort the whole table
    search_fields = ("device__external_id",)
    search_help_text = "A device's external id (exact, any case): its reads."
    fields = ("device", "read_type", "start", "end", "energy", "meter", "is_baseline", "created_at")
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[MeterRead], search_term: str
    ) -> tuple[QuerySet[MeterRead], bool]:
        # The devices first, then their reads by the (device, end) index: a join searched on
        # the external id could walk the reads' index in order until a match turns up.
        term = search_term.strip()
        if not term:
            return queryset, False
        devices = list(Device.objects.filter(external_id__iexact=term).values_list("pk", flat=True)[:100])
        return queryset.filter(device_id__in=devices), False

    @admin.display(description="Device", ordering="device")
    def device_label(self, read: MeterRead) -> str:
        return f"{read.device.external_id} ({read.device.organization.name})"

    @admin.display(description="Energy", ordering="value_wh")
    def energy(self, read: MeterRead) -> str:
        return wh(read.value_wh)

    @admin.display(description="Meter counter at the end")
    def meter(self, read: MeterRead) -> str:
        return wh(read.meter_wh)


class YieldConfigForm(forms.ModelForm):
    class Meta:
        model = YieldConfig
        fields = ("country", "yield_value", "status")

    def _get_validation_exclusions(self) -> set[str]:
        # yield_config_save checks the value, with a message saying what is expected.
        exclusions = super()._get_validation_exclusions()  # type: ignore[misc]  # Django's; not in the stubs
        return {*exclusions, "yield_value"}


@admin.register(YieldConfig)
class YieldConfigAdmin(ServiceAdmin):
    """A country's yield caps its devices' reads: saved by reads.services.yield_config_save,
    as ``POST``/``PUT /api/yieldconfig`` do."""

    form = YieldConfigForm
    list_display = ("country", "yield_value", "status", "updated_by", "updated_at")
    list_filter = ("status",)
    search_fields = ("country__name", "=country__alpha3")
    list_select_related = ("country", "updated_by")
    readonly_fields = ("created_by", "created_at", "updated_by", "updated_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # No service deletes a yield (the API neither): set it inactive (status N) instead.
        return False

    def save_model(self, request: HttpRequest, obj: YieldConfig, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        saved = services.yield_config_save(
            acting_user=staff_user(request),
            country_code=data["country"].alpha3,
            yield_value=data["yield_value"],
            status=data["status"],
            config=YieldConfig.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

"""Reads of devices and their code lists."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from devices.models import Country, DeviceType, FuelType, SdgBenefit


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
    return -int(offset.total_seconds() // 60)


def fuel_type_list() -> QuerySet[FuelType]:
    return FuelType.objects.all()


def device_type_list() -> QuerySet[DeviceType]:
    return DeviceType.objects.all()


def sdg_benefit_list() -> QuerySet[SdgBenefit]:
    return SdgBenefit.objects.all()

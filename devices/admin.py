from django.contrib import admin

from devices.models import Country, DeviceDescription, DeviceType, FuelType, OffTaker, SdgBenefit


@admin.register(FuelType, DeviceType, OffTaker, DeviceDescription, SdgBenefit)
class CodeListAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sort_order")


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("alpha3", "alpha2", "numeric", "name", "timezones")
    search_fields = ("name", "alpha3", "alpha2")

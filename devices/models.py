"""Code lists that devices refer to (seeded by migrations).

Devices (a later model in this app) point at these rows by code, so the database refuses a
fuel code, device type or country that is not in the list.
"""

from django.db import models


class CodeListItem(models.Model):
    code = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=128)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class FuelType(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "fuel type"


class DeviceType(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "device type"


class OffTaker(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "off-taker"


class DeviceDescription(CodeListItem):
    class Meta(CodeListItem.Meta):
        verbose_name = "device description"


class SdgBenefit(CodeListItem):
    """Sustainable Development Goal: ``code`` SDG1..SDG17, ``name`` the goal's title."""

    class Meta(CodeListItem.Meta):
        verbose_name = "SDG benefit"


class Country(models.Model):
    """ISO 3166 country with its IANA time zones (from pycountry and tzdata)."""

    alpha3 = models.CharField(max_length=3, primary_key=True)
    alpha2 = models.CharField(max_length=2, unique=True)
    numeric = models.CharField(max_length=3)
    name = models.CharField(max_length=128)
    timezones = models.JSONField(default=list, help_text="IANA zone names, e.g. Asia/Kolkata")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return f"{self.name} ({self.alpha3})"

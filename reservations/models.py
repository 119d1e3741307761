"""Buyer reservations (the original's ``device_group``): a Buyer organization reserves a set of
devices over a period; certificates are issued for the energy they produce in it.

Membership is its own table so that a device's reservations stay on record after they end,
while the database guarantees that a device is in at most one *active* reservation (a
partial unique index), whatever the timing of concurrent requests.
"""

import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from drec.models import TimestampedModel, TsTzRange


class Frequency(models.TextChoices):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Reservation(TimestampedModel):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=255)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="reservations", help_text="The buyer"
    )
    buyer = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="reservations", help_text="Who made it"
    )
    devices = models.ManyToManyField("devices.Device", through="ReservationDevice", related_name="reservations")
    start = models.DateTimeField()
    end = models.DateTimeField()
    expiry = models.DateTimeField(help_text="Last moment late certificates may still be issued")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    target_wh = models.BigIntegerField(help_text="Target volume, Wh")
    authority_to_exceed = models.BooleanField(default=False, help_text="Keep issuing once the target is reached")
    continue_if_devices_unavailable = models.BooleanField(default=False)
    continue_if_target_unreachable = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When it ended (its period, its target, or by hand)"
    )
    requested_wh = models.BigIntegerField(default=0, help_text="Energy of the certificates issued so far, Wh")
    succeeded_wh = models.BigIntegerField(default=0)
    failed_wh = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Per Buyer organization: across organizations, a refusal would tell one tenant
            # another's names.
            models.UniqueConstraint(F("organization"), Lower("name"), name="reservation_name_unique_per_buyer"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="reservation_start_before_end"),
            models.CheckConstraint(condition=Q(expiry__gte=F("end")), name="reservation_expiry_after_end"),
            models.CheckConstraint(condition=Q(target_wh__gt=0), name="reservation_target_positive"),
            models.CheckConstraint(condition=Q(frequency__in=Frequency.values), name="reservation_frequency_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ReservationDevice(models.Model):
    """A device in a reservation. Its reads in ``[covers_from, covers_until)`` (within the
    reservation's period) are the reservation's to certify; the coverages of one device never
    overlap (migration 0003), so no two reservations can certify the same read."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="memberships")
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="memberships")
    is_active = models.BooleanField(default=True, help_text="False once the reservation ended or released it")
    added_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    covers_from = models.DateTimeField(help_text="The reservation's start, or the end of the device's previous one")
    covers_until = models.DateTimeField(null=True, blank=True, help_text="Set when the reservation ends")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reservation", "device"], name="reservation_device_once"),
            models.UniqueConstraint(
                fields=["device"], condition=Q(is_active=True), name="device_in_one_active_reservation"
            ),
            models.CheckConstraint(
                condition=Q(covers_until__isnull=True) | Q(covers_from__lte=F("covers_until")),
                name="coverage_from_before_until",
            ),
            # A device's reads belong to one reservation at a time: its coverages never overlap.
            ExclusionConstraint(
                name="device_coverages_do_not_overlap",
                expressions=[
                    ("device", RangeOperators.EQUAL),
                    (TsTzRange("covers_from", "covers_until", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} in {self.reservation_id}"

"""Meter reads: intervals of energy per device, in integer watt-hours.

Every read is an interval ``[start, end)``: a History read covers a period before the
device's onboarding; an ongoing read (Delta or Aggregate) runs from the previous read's end
to its own. The first ongoing read of a device is a baseline (its energy cannot be placed in
time) and is never certified.

The database keeps the series valid, whatever the code above it does (nothing is ever
silently overwritten):
- ongoing reads form one chain per device: one baseline, and every other read starts where
  an earlier ongoing read ends (a foreign key, migration 0002) and no two start at the same
  moment, so they are contiguous, strictly increasing and never overlap;
- History reads of a device never overlap (an exclusion constraint on PostgreSQL,
  migration 0002); the service keeps them before the onboarding date, where the chain starts.
A whole-table exclusion constraint would do too, but its GiST index makes bulk inserts
five times slower; the chain costs two B-tree lookups per read.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Case, F, Q, When

from drec.models import TimestampedModel, TsTzRange


class ReadType(models.TextChoices):
    HISTORY = "History"
    DELTA = "Delta"
    AGGREGATE = "Aggregate"


class MeterRead(models.Model):
    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="reads")
    read_type = models.CharField(max_length=10, choices=ReadType.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    value_wh = models.BigIntegerField(help_text="Energy produced in [start, end), Wh")
    meter_wh = models.BigIntegerField(null=True, blank=True, help_text="Aggregate reads: the meter's counter at end")
    is_baseline = models.BooleanField(default=False, help_text="First ongoing read: not certifiable")
    created_at = models.DateTimeField(auto_now_add=True)
    # The links of the ongoing chain (NULL for History reads; ``chained_start`` NULL for the baseline).
    ongoing_end = models.GeneratedField(
        expression=Case(When(~Q(read_type=ReadType.HISTORY), then=F("end"))),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
    )
    chained_start = models.GeneratedField(
        expression=Case(When(~Q(read_type=ReadType.HISTORY) & Q(is_baseline=False), then=F("start"))),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["device", "end"]
        verbose_name = "meter read"
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="read_start_before_end"),
            models.CheckConstraint(condition=Q(value_wh__gte=0), name="read_value_not_negative"),
            models.CheckConstraint(condition=Q(read_type__in=ReadType.values), name="read_type_valid"),
            models.CheckConstraint(
                condition=Q(is_baseline=False) | ~Q(read_type=ReadType.HISTORY), name="history_is_never_a_baseline"
            ),
            # Also the index of "device between t1 and t2" scans.
            models.UniqueConstraint(fields=["device", "end"], name="one_read_per_device_and_end"),
            # The chain: what the foreign key of migration 0002 points at, one successor per read,
            # one start of the chain.
            models.UniqueConstraint(fields=["device", "ongoing_end"], name="ongoing_read_ends"),
            models.UniqueConstraint(
                fields=["device", "start"], condition=~Q(read_type=ReadType.HISTORY), name="one_ongoing_read_per_start"
            ),
            models.UniqueConstraint(fields=["device"], condition=Q(is_baseline=True), name="one_baseline_per_device"),
            # History reads of a device never overlap.
            ExclusionConstraint(
                name="history_reads_do_not_overlap",
                expressions=[
                    ("device", RangeOperators.EQUAL),
                    (TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(read_type=ReadType.HISTORY),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.read_type} {self.device_id} [{self.start}, {self.end}) {self.value_wh} Wh"


class YieldStatus(models.TextChoices):
    ACTIVE = "Y"
    INACTIVE = "N"


class YieldConfig(TimestampedModel):
    """Per-country yield (kWh per kWp per year) used by the plausibility cap of reads."""

    country = models.OneToOneField("devices.Country", on_delete=models.PROTECT, db_column="country_code")
    yield_value = models.PositiveIntegerField(help_text="kWh per kWp per year")
    status = models.CharField(max_length=1, choices=YieldStatus.choices, default=YieldStatus.ACTIVE)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    updated_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["country__name"]
        verbose_name = "yield configuration"
        constraints = [
            models.CheckConstraint(condition=models.Q(yield_value__gt=0), name="yield_value_positive"),
            models.CheckConstraint(condition=models.Q(status__in=YieldStatus.values), name="yield_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.country_id}: {self.yield_value}"

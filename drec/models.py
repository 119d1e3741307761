"""Abstract bases shared by the apps' models."""

from django.contrib.postgres.fields import DateTimeRangeField
from django.db import models
from django.db.models import Func


class TimestampedModel(models.Model):
    """Adds the original's ``createdAt``/``updatedAt`` columns (timestamptz, UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TsTzRange(Func):
    """PostgreSQL's ``tstzrange(lower, upper, bounds)``: the span of a read or of a coverage,
    for the exclusion constraints that keep such spans from overlapping."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()

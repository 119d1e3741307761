"""Abstract bases shared by the apps' models."""

from django.db import models


class TimestampedModel(models.Model):
    """Adds the original's ``createdAt``/``updatedAt`` columns (timestamptz, UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

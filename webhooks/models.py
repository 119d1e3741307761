"""Webhooks (SPEC §14): a tenant's subscriptions, the events they receive and every attempt to
deliver them.

An event is written in the same transaction as the change it reports, together with one
``Delivery`` per subscription that wants it (the outbox): a change that rolls back sends
nothing, and one that commits is delivered even if the worker that should send it dies (the
scheduled sweep sends what is due)."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class EventType(models.TextChoices):
    BULK_JOB_FINISHED = "bulk_job.finished"
    CERTIFICATE_ISSUED = "certificate.issued"
    CERTIFICATE_TRANSFERRED = "certificate.transferred"
    CLAIM_CREATED = "claim.created"
    RESERVATION_ENDED = "reservation.ended"
    PERMISSION_CHANGED = "permission.changed"


class Webhook(models.Model):
    """A subscription: where one tenant's events of the chosen types are POSTed, signed with
    ``secret`` (Standard Webhooks: ``whsec_`` and base64 of 24 random bytes; shown once, when
    the subscription is made, and kept to sign)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="webhooks", help_text="The tenant"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    url = models.URLField(max_length=2000)
    events = ArrayField(models.CharField(max_length=40, choices=EventType.choices))
    description = models.CharField(max_length=255, blank=True)
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization"], name="webhook_tenant")]

    def __str__(self) -> str:
        return f"Webhook {self.pk} → {self.url}"


class Event(models.Model):
    """One thing that happened, as its subscribers receive it: ``{"id", "type", "createdAt", "data"}``."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+", help_text="The tenant it concerns"
    )
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=models.Q(type__in=EventType.values), name="event_type_valid")]

    def __str__(self) -> str:
        return f"{self.type} {self.uid}"

    @property
    def message_id(self) -> str:
        """The ``webhook-id`` header: the same for every attempt, so a receiver can drop repeats."""
        return f"msg_{self.uid.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # an attempt is due at next_attempt_at
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every retry failed; redeliver on demand


class Delivery(models.Model):
    """One event to one subscription, until it is answered with a 2xx or its retries run out."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
            models.UniqueConstraint(fields=["webhook", "event"], name="one_delivery_per_subscription_and_event"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: its answer's status (None: no answer), how long it took, and why
    it failed when it did."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Attempt {self.pk} of delivery {self.delivery_id}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

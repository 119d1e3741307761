"""The JSON of webhooks, their deliveries and attempts (one shape for the API and the portal's
tests)."""

from typing import Any

from drec.formats import iso
from webhooks.models import Delivery, DeliveryAttempt, Webhook


def webhook_json(webhook: Webhook, *, secret: bool = False) -> dict[str, Any]:
    """A subscription; its signing secret only when it was just made (shown once)."""
    body: dict[str, Any] = {
        "id": webhook.pk,
        "url": webhook.url,
        "events": list(webhook.events),
        "description": webhook.description,
        "organizationId": webhook.organization_id,
        "createdAt": iso(webhook.created_at),
    }
    if secret:
        body["secret"] = webhook.secret
    return body


def attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "attemptedAt": iso(attempt.attempted_at),
        "statusCode": attempt.status_code,
        "latencyMs": attempt.latency_ms,
        "error": attempt.error,
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "eventId": delivery.event.message_id,
        "eventType": delivery.event.type,
        "status": delivery.status,
        "attempts": [attempt_json(attempt) for attempt in delivery.attempt_log.all()],
        "nextAttemptAt": iso(delivery.next_attempt_at),
        "createdAt": iso(delivery.created_at),
        "data": delivery.event.data,
    }

"""Webhooks (SPEC §14): subscriptions, events written with the change they report (the outbox),
and their signed delivery by the task workers with retries.

Delivery: a worker takes a due delivery by moving its next attempt a lease ahead (so that two
workers never send it at once, and a worker that dies mid-send leaves it due again), POSTs the
event outside any transaction, then records the attempt and, on failure, when the next one is
due: Standard Webhooks' schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: the
last attempt about 28 hours after the event), after which the delivery is failed until
redelivered on demand. The scheduled sweep (every minute) sends what is due.

Addresses: a subscription's URL must be https and every address its host resolves to public
(no loopback, private, link-local, metadata, shared or reserved range) unless
DREC_WEBHOOK_ALLOW_PRIVATE; the host is resolved again at each attempt and the request is sent
to the address just checked (so a DNS answer that changes after the check cannot redirect it).
"""

import base64
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook as Signer

from accounts.models import User
from drec.errors import InvalidInput
from drec.tasks import enqueue
from organizations.models import Organization
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Event, EventType, Webhook
from webhooks.selectors import tenant_of

logger = logging.getLogger("drec.webhooks")

RETRY_DELAYS = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]  # after the first attempt; Standard Webhooks' recommended schedule
ATTEMPTS = len(RETRY_DELAYS) + 1
LEASE = timedelta(minutes=2)  # a taken delivery is due again after this if its worker died
SWEEP_BATCH = 500


# --- Subscriptions ------------------------------------------------------------------------


def _addresses(url: str, *, field: str = "url") -> tuple[str, int, list[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    """The host, port and addresses ``url`` may be sent to; refuses what SPEC §14 refuses."""
    allow_private = settings.DREC_WEBHOOK_ALLOW_PRIVATE
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise InvalidInput("The URL must start with https://.", errors={field: ["Must be an https URL."]})
    if not parts.hostname or parts.username or parts.password:
        raise InvalidInput("The URL must name a host, without a user or password.", errors={field: ["No host."]})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError):
        raise InvalidInput(
            f"The host {parts.hostname} does not resolve.", errors={field: ["The host does not resolve."]}
        ) from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            mapped = getattr(address, "ipv4_mapped", None) or address
            if not mapped.is_global or mapped.is_multicast:
                raise InvalidInput(
                    f"The host {parts.hostname} resolves to {address}, which is not a public address.",
                    errors={field: ["Resolves to a loopback, private, link-local or reserved address."]},
                )
    return parts.hostname, port, addresses


def _events_check(events: list[str]) -> list[str]:
    if not events:
        raise InvalidInput("Choose at least one event.", errors={"events": ["Required."]})
    unknown = sorted(set(events) - set(EventType.values))
    if unknown:
        raise InvalidInput(
            f"Unknown event(s): {', '.join(unknown)}. Known: {', '.join(EventType.values)}.",
            errors={"events": [f"Unknown: {', '.join(unknown)}."]},
        )
    return sorted(set(events), key=EventType.values.index)


def webhook_create(*, acting_user: User, url: str, events: list[str], description: str = "") -> Webhook:
    """A subscription of the caller's tenant. Its ``secret`` is returned this once (the API and
    the portal show it, then never again)."""
    events = _events_check(events)
    _addresses(url)
    return Webhook.objects.create(
        organization=tenant_of(acting_user),
        created_by=acting_user,
        url=url,
        events=events,
        description=description,
        secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
    )


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()  # its deliveries and their log go with it


# --- Events (the outbox) ------------------------------------------------------------------


def _tenants(organization_ids: set[int]) -> dict[int, set[int]]:
    """Per organization concerned, the tenants that may hear of it: itself, and the api user
    managing it (its subscriptions are on the api user's own organization)."""
    tenants = {pk: {pk} for pk in organization_ids}
    managed = Organization.objects.filter(pk__in=organization_ids, api_user__isnull=False).values_list(
        "pk", "api_user__user__organization_id"
    )
    for pk, api_user_organization in managed:
        if api_user_organization is not None:
            tenants[pk].add(api_user_organization)
    return tenants


def events_emit(event_type: str, items: Iterable[tuple[int, Mapping[str, Any]]]) -> int:
    """Record events of one type, each ``(organization id, data)``, and a delivery for each
    subscription of its tenants that wants it; their sending is queued when the caller's
    transaction commits (nothing if it rolls back). Costs one query when nobody subscribes.
    Returns how many deliveries were made."""
    if not Webhook.objects.filter(events__contains=[event_type]).exists():
        return 0
    items = list(items)
    tenants = _tenants({organization_id for organization_id, _data in items})
    subscribers: dict[int, list[int]] = {}
    for webhook_id, organization_id in Webhook.objects.filter(
        events__contains=[event_type], organization_id__in=set().union(*tenants.values())
    ).values_list("pk", "organization_id"):
        subscribers.setdefault(organization_id, []).append(webhook_id)
    wanted = [
        (organization_id, data, [w for tenant in tenants[organization_id] for w in subscribers.get(tenant, [])])
        for organization_id, data in items
    ]
    wanted = [item for item in wanted if item[2]]
    if not wanted:
        return 0
    events = Event.objects.bulk_create(
        [
            Event(type=event_type, organization_id=organization_id, data=dict(data))
            for organization_id, data, _w in wanted
        ]
    )
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(webhook_id=webhook_id, event=event, next_attempt_at=now)
            for event, (_organization, _data, webhook_ids) in zip(events, wanted, strict=True)
            for webhook_id in webhook_ids
        ]
    )
    for delivery in deliveries:
        enqueue("webhooks.tasks.delivery_send", delivery.pk)
    return len(deliveries)


def event_emit(event_type: str, organization_id: int, data: Mapping[str, Any]) -> int:
    return events_emit(event_type, [(organization_id, data)])


# --- Delivery -----------------------------------------------------------------------------


def body_of(event: Event) -> bytes:
    """What a subscriber receives: ``{"id", "type", "createdAt", "data"}`` (SPEC §14)."""
    payload = {
        "id": event.message_id,
        "type": event.type,
        "createdAt": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(webhook: Webhook, event: Event, body: bytes, at: datetime) -> dict[str, str]:
    """Standard Webhooks' headers: the message id, the attempt's time and the signature
    ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` (the ``standardwebhooks`` package)."""
    return {
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(webhook.secret).sign(event.message_id, at, body),
        "Content-Type": "application/json",
        "User-Agent": "D-REC-Webhooks/1",
    }


def _post(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST to the address the host resolves to now, once checked (no redirect followed)."""
    host, port, addresses = _addresses(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(connect=5, read=settings.DREC_WEBHOOK_TIMEOUT_SECONDS)
    address = str(addresses[0])
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    with pool:
        default_port = 443 if parts.scheme == "https" else 80
        headers = {**headers, "Host": host if port == default_port else f"{host}:{port}"}
        response = pool.urlopen("POST", path, body=body, headers=headers, redirect=False, preload_content=False)
        response.read(4096)  # the answer is not kept; read a little so the connection closes cleanly
        response.release_conn()
        return response.status


def _take(delivery_id: int, due_by: datetime, now: datetime) -> Delivery | None:
    """The delivery if it is due by ``due_by``, taken for one attempt by this worker (None: not
    due, or another worker has it)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=due_by)
            .select_related("webhook", "event")
            .first()
        )
        if delivery is None:
            return None
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def delivery_send(delivery_id: int, *, due_by: datetime | None = None) -> DeliveryAttempt | None:
    """One attempt of a delivery due by ``due_by`` (the sweep's clock; by default now), signed
    and timed now (the task the outbox and the sweep queue)."""
    now = timezone.now()
    delivery = _take(delivery_id, max(due_by or now, now), now)
    if delivery is None:
        return None
    body = body_of(delivery.event)
    headers = signed_headers(delivery.webhook, delivery.event, body, now)
    started = time.monotonic()
    status_code, error = None, ""
    try:
        status_code = _post(delivery.webhook.url, headers, body)
        if not 200 <= status_code < 300:
            error = f"Answered {status_code}"
    except InvalidInput as refused:
        error = refused.message
    except (urllib3.exceptions.HTTPError, OSError) as failure:
        error = f"{type(failure).__name__}: {failure}"
    latency = round((time.monotonic() - started) * 1000)
    return _record(delivery, now, status_code, latency, error[:300])


@transaction.atomic
def _record(
    delivery: Delivery, at: datetime, status_code: int | None, latency_ms: int, error: str
) -> DeliveryAttempt | None:
    if not Delivery.objects.select_for_update().filter(pk=delivery.pk).exists():
        return None  # its webhook was deleted while it was being sent
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery, attempted_at=at, status_code=status_code, latency_ms=latency_ms, error=error
    )
    attempts = delivery.attempts + 1
    if attempt.succeeded:
        changes = {"status": DeliveryStatus.SUCCEEDED, "next_attempt_at": None, "finished_at": timezone.now()}
    elif attempts >= ATTEMPTS:
        changes = {"status": DeliveryStatus.FAILED, "next_attempt_at": None, "finished_at": timezone.now()}
        logger.warning("Webhook delivery %s failed after %s attempts: %s", delivery.pk, attempts, error)
    else:
        changes = {"status": DeliveryStatus.PENDING, "next_attempt_at": at + RETRY_DELAYS[attempts - 1]}
    Delivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1, **changes)
    return attempt


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Scheduled: queue every delivery that is due (retries, and any whose worker died)."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in due:
        enqueue("webhooks.tasks.delivery_send", delivery_id, due_by=now)
    return len(due)


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery again now, whatever became of it, with a fresh schedule of retries."""
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), finished_at=None
    )
    enqueue("webhooks.tasks.delivery_send", delivery.pk)
    delivery.refresh_from_db()
    return delivery

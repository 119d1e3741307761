"""What a user may see of webhooks: its tenant's subscriptions and their deliveries (anything
else answers 404)."""

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Role, User
from drec.errors import NotFound
from organizations.models import Organization
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Webhook

WEBHOOK_ROLES = frozenset({Role.ORGANIZATION_ADMIN, Role.BUYER, Role.API_USER})


def tenant_of(user: User) -> Organization:
    """The organization whose events a user's subscriptions receive: its own (an api user's is
    the one it registered with, which stands for every organization it manages)."""
    organization = user.organization if user.role in WEBHOOK_ROLES else None
    if organization is None:
        raise NotFound("Webhooks belong to an organization's admin or an api user.")
    return organization


def webhook_list(*, user: User) -> QuerySet[Webhook]:
    return Webhook.objects.filter(organization=tenant_of(user)).annotate(
        failing=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED))
    )


def webhook_get(*, user: User, webhook_id: int) -> Webhook:
    webhook = webhook_list(user=user).filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound(f"No webhook found with id {webhook_id}")
    return webhook


def deliveries_of(*, webhook: Webhook) -> QuerySet[Delivery]:
    """Newest first, each with its event and every attempt in order."""
    return (
        webhook.deliveries.select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("id")))
        .order_by("-id")
    )


def delivery_get(*, webhook: Webhook, delivery_id: int) -> Delivery:
    delivery = webhook.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(f"No delivery found with id {delivery_id}")
    return delivery

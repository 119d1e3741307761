"""Webhooks API (SPEC §14): a tenant's subscriptions, their delivery log and redelivery."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from drec.inputs import Text, parse
from drec.pagination import PAGE_PARAMETERS, paginate, paginated_schema
from webhooks import selectors, services
from webhooks.formats import delivery_json, webhook_json
from webhooks.models import EventType
from webhooks.rules import WEBHOOK_CREATE, WEBHOOK_DELETE, WEBHOOK_REDELIVER, WEBHOOKS_READ

WEBHOOK_FIELDS: dict[str, serializers.Field] = {
    "id": serializers.IntegerField(),
    "url": serializers.CharField(),
    "events": serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices)),
    "description": serializers.CharField(),
    "organizationId": serializers.IntegerField(),
    "createdAt": serializers.DateTimeField(),
}
WEBHOOK_MADE = inline_serializer(
    "WebhookMade", {**WEBHOOK_FIELDS, "secret": serializers.CharField(help_text="Shown this once: keep it")}
)
ATTEMPT_OUT = inline_serializer(
    "WebhookAttempt",
    {
        "attemptedAt": serializers.DateTimeField(),
        "statusCode": serializers.IntegerField(allow_null=True),
        "latencyMs": serializers.IntegerField(),
        "error": serializers.CharField(),
    },
    many=True,
)
DELIVERY_FIELDS: dict[str, serializers.Field] = {
    "id": serializers.IntegerField(),
    "eventId": serializers.CharField(),
    "eventType": serializers.ChoiceField(choices=EventType.choices),
    "status": serializers.ChoiceField(choices=["pending", "succeeded", "failed"]),
    "attempts": ATTEMPT_OUT,
    "nextAttemptAt": serializers.DateTimeField(allow_null=True),
    "createdAt": serializers.DateTimeField(),
    "data": serializers.DictField(),
}
DELIVERY_OUT = inline_serializer("WebhookDelivery", DELIVERY_FIELDS)
NOT_YOURS = OpenApiResponse(description="No such webhook (or delivery) of your organization")


class WebhookIn(serializers.Serializer):
    url = Text(max_length=2000, help_text="https URL resolving to public addresses")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), min_length=1)
    description = Text(max_length=255, required=False, allow_blank=True)


class WebhooksView(APIView):
    acl = {"get": WEBHOOKS_READ, "post": WEBHOOK_CREATE}

    @extend_schema(
        tags=["webhooks"],
        summary="Your organization's webhook subscriptions",
        parameters=PAGE_PARAMETERS,
        responses={
            200: paginated_schema(
                "WebhookPage", "webhooks", inline_serializer("WebhookItem", WEBHOOK_FIELDS, many=True)
            )
        },
    )
    def get(self, request):
        webhooks = selectors.webhook_list(user=request.user)
        return Response(
            paginate(request, webhooks, key="webhooks", serialize=lambda rows: [webhook_json(w) for w in rows])
        )

    @extend_schema(
        tags=["webhooks"],
        summary="Subscribe a URL to events; the signing secret is in this answer only",
        request=WebhookIn,
        responses={201: WEBHOOK_MADE, 400: OpenApiResponse(description="A bad URL, address or event")},
    )
    def post(self, request):
        data = parse(WebhookIn, request.data)
        webhook = services.webhook_create(
            acting_user=request.user, url=data["url"], events=data["events"], description=data.get("description", "")
        )
        return Response(webhook_json(webhook, secret=True), status=201)


class WebhookView(APIView):
    acl = {"delete": WEBHOOK_DELETE}

    @extend_schema(
        tags=["webhooks"],
        summary="Delete a subscription and its log",
        responses={
            200: inline_serializer(
                "WebhookDeleted", {"success": serializers.BooleanField(), "message": serializers.CharField()}
            ),
            404: NOT_YOURS,
        },
    )
    def delete(self, request, webhook_id: int):
        services.webhook_delete(webhook=selectors.webhook_get(user=request.user, webhook_id=webhook_id))
        return Response({"success": True, "message": f"Webhook {webhook_id} deleted with its delivery log"})


class DeliveriesView(APIView):
    acl = WEBHOOKS_READ

    @extend_schema(
        tags=["webhooks"],
        summary="A subscription's deliveries, newest first, with every attempt",
        parameters=PAGE_PARAMETERS,
        responses={
            200: paginated_schema(
                "WebhookDeliveryPage",
                "deliveries",
                inline_serializer("WebhookDeliveryItem", DELIVERY_FIELDS, many=True),
            ),
            404: NOT_YOURS,
        },
    )
    def get(self, request, webhook_id: int):
        webhook = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
        deliveries = selectors.deliveries_of(webhook=webhook)
        return Response(
            paginate(request, deliveries, key="deliveries", serialize=lambda rows: [delivery_json(d) for d in rows])
        )


class RedeliverView(APIView):
    acl = WEBHOOK_REDELIVER

    @extend_schema(
        tags=["webhooks"],
        summary="Send a delivery again now (a fresh schedule of retries)",
        request=None,
        responses={202: DELIVERY_OUT, 404: NOT_YOURS},
    )
    def post(self, request, webhook_id: int, delivery_id: int):
        webhook = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
        delivery = services.delivery_redeliver(
            delivery=selectors.delivery_get(webhook=webhook, delivery_id=delivery_id)
        )
        return Response(delivery_json(delivery), status=202)

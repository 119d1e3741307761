"""The back office's webhooks: every tenant's subscriptions and their delivery log, to answer
"did my system get the event?". Written only through the API and the portal (a subscription's
secret is shown once, to its tenant; never here)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from drec.admin import BigTableAdmin, ReadOnlyAdmin, ReadOnlyTabularInline
from webhooks.models import Delivery, DeliveryAttempt, Event, Webhook


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    list_display = ("id", "url", "organization", "events", "created_at")
    list_select_related = ("organization",)
    search_fields = ("url",)
    fields = ("organization", "url", "events", "description", "created_by", "created_at")
    readonly_fields = fields


class AttemptInline(ReadOnlyTabularInline):
    model = DeliveryAttempt
    fields = ("attempted_at", "status_code", "latency_ms", "error")
    readonly_fields = fields
    show_change_link = False


@admin.register(Delivery)
class DeliveryAdmin(BigTableAdmin):
    list_display = ("id", "webhook", "event", "status", "attempts", "next_attempt_at")
    list_filter = ("status",)
    fields = ("webhook", "event", "status", "attempts", "next_attempt_at", "created_at", "finished_at")
    readonly_fields = fields
    inlines = (AttemptInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("webhook", "event")


@admin.register(Event)
class EventAdmin(BigTableAdmin):
    list_display = ("id", "type", "organization", "created_at")
    list_filter = ("type",)
    list_select_related = ("organization",)
    fields = ("uid", "type", "organization", "data", "created_at")
    readonly_fields = fields

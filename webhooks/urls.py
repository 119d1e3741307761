from django.urls import path

from webhooks import api, views

api_urlpatterns = [
    path("webhooks", api.WebhooksView.as_view(), name="api-webhooks"),
    path("webhooks/<int:webhook_id>", api.WebhookView.as_view(), name="api-webhook"),
    path("webhooks/<int:webhook_id>/deliveries", api.DeliveriesView.as_view(), name="api-webhook-deliveries"),
    path(
        "webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver",
        api.RedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
]

urlpatterns = [
    path("webhooks", views.webhook_list, name="webhook-list"),
    path("webhooks/<int:webhook_id>", views.webhook_detail, name="webhook-detail"),
]

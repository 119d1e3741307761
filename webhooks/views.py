"""Portal screens of webhooks: the subscriptions (create, with the secret shown once) and one
subscription's delivery log (redeliver, delete)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from drec.errors import DomainError
from drec.forms import show_error
from drec.inputs import object_id
from drec.pagination import paginate
from drec.permissions import Action, page, portal_view
from webhooks import forms, selectors, services
from webhooks.rules import WEBHOOK_CREATE, WEBHOOK_DELETE, WEBHOOK_REDELIVER, WEBHOOKS_READ


def _secret_key(webhook_id: int) -> str:
    return f"webhook-secret-{webhook_id}"


@portal_view(
    {
        "GET": page(WEBHOOKS_READ, twin="GET api-webhooks"),
        "POST": Action(WEBHOOK_CREATE, twin="POST api-webhooks"),
    }
)
def webhook_list(request):
    """The tenant's subscriptions and the form that adds one. A new subscription's page shows
    its signing secret once: the secret waits in the server-side session (never in a message,
    which may be a cookie) and is taken from it by that page, so reloading shows it no more and
    re-submits nothing."""
    form = forms.WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.webhook_create(
                acting_user=request.user, url=data["url"], events=data["events"], description=data["description"]
            )
        except DomainError as error:
            show_error(form, error)
        else:
            request.session[_secret_key(created.pk)] = created.secret
            return redirect("webhook-detail", webhook_id=created.pk)
    webhooks = selectors.webhook_list(user=request.user)
    context = {"form": form, "page": paginate(request, webhooks, key="webhooks", serialize=list)}
    return render(request, "webhooks/webhook_list.html", context, status=400 if form.errors else 200)


@portal_view(
    {
        "GET": page(WEBHOOKS_READ, twin="GET api-webhook-deliveries"),
        "POST redeliver": Action(WEBHOOK_REDELIVER, twin="POST api-webhook-redeliver"),
        "POST delete": Action(WEBHOOK_DELETE, twin="DELETE api-webhook"),
    }
)
def webhook_detail(request, webhook_id: int):
    webhook = selectors.webhook_get(user=request.user, webhook_id=webhook_id)
    action = request.POST.get("action")
    if action == "delete":
        services.webhook_delete(webhook=webhook)
        messages.success(request, f"Webhook {webhook_id} deleted with its delivery log.")
        return redirect("webhook-list")
    if action == "redeliver":
        delivery_id = request.POST.get("delivery", "")
        delivery = selectors.delivery_get(webhook=webhook, delivery_id=object_id(delivery_id) or 0)
        services.delivery_redeliver(delivery=delivery)
        messages.success(request, f"Delivery {delivery.pk} queued again.")
        return redirect("webhook-detail", webhook_id=webhook.pk)
    deliveries = selectors.deliveries_of(webhook=webhook)
    context = {
        "webhook": webhook,
        "secret": request.session.pop(_secret_key(webhook.pk), None),
        "page": paginate(request, deliveries, key="deliveries", serialize=list),
    }
    return render(request, "webhooks/webhook_detail.html", context)

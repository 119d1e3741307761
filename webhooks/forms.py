"""Portal form of webhooks: the same fields as POST /api/webhooks."""

from django import forms

from webhooks.models import EventType

EVENT_HELP = {
    EventType.BULK_JOB_FINISHED: "a bulk upload finished",
    EventType.CERTIFICATE_ISSUED: "a certificate was issued to you",
    EventType.CERTIFICATE_TRANSFERRED: "volume was transferred from or to you",
    EventType.CLAIM_CREATED: "a claim was made",
    EventType.RESERVATION_ENDED: "a reservation ended",
    EventType.PERMISSION_CHANGED: "an api user's permissions changed",
}


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=2000,
        assume_scheme="https",
        help_text="An https URL of your system that resolves to a public address.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(value, f"{value} ({EVENT_HELP[EventType(value)]})") for value in EventType.values],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    description = forms.CharField(label="Description", max_length=255, required=False)

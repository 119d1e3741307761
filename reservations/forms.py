"""Portal forms of reservations. Field names are the API's keys; the fields are declared in
reservations.fields (with the API's), the rules in reservations.services."""

from collections.abc import Iterable
from typing import Any

from django import forms

from devices.fields import code_choices
from devices.forms import DeviceFilterForm
from drec.forms import OrganizationChoiceField, set_choices
from drec.widgets import CheckboxDropdown
from organizations.models import Organization
from reservations import fields, services

# The portal's words for the period's rules (reservations.services.period_problems).
PERIOD_MESSAGES = {
    services.END_NOT_AFTER_START: (fields.END.key, "The end must be after the start."),
    services.EXPIRY_BEFORE_END: (fields.EXPIRY.key, "The expiry cannot be before the end."),
}


class ReservationForm(forms.Form):
    """ "Make A Reservation" (ui.md §4.3); the two questions are asked in the confirmation dialog.
    The devices are picked in the page's own list."""

    organizationId = OrganizationChoiceField(label="Organization")

    FIELDS = (
        fields.NAME,
        fields.TARGET,
        fields.START,
        fields.END,
        fields.EXPIRY,
        fields.FREQUENCY,
        fields.AUTHORITY,
        fields.CONTINUE_DEVICES,
        fields.CONTINUE_TARGET,
    )
    QUESTIONS = (fields.CONTINUE_DEVICES.key, fields.CONTINUE_TARGET.key)

    def __init__(self, *args: Any, organizations: Iterable[Organization] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(fields.form_fields(self.FIELDS))
        set_choices(self, organizations=organizations, blank="Select organization")
        if organizations is not None:
            # Choosing the organization re-draws the page with the devices it may reserve.
            self.fields["organizationId"].widget.attrs["data-autosubmit"] = ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        start, end, expiry = (self.cleaned_data.get(field.key) for field in (fields.START, fields.END, fields.EXPIRY))
        for problem in services.period_problems(start=start, end=end, expiry=expiry):
            self.add_error(*PERIOD_MESSAGES[problem])
        return self.cleaned_data

    def draft(self) -> dict[str, Any]:
        """The target and period typed so far, those that parse (the device picker estimates
        the selection's energy before the form is sent)."""
        source = self.data if self.is_bound else (self.initial or {})
        values = {}
        for key in (fields.TARGET.key, fields.START.key, fields.END.key):
            try:
                values[key] = self.fields[key].clean(source.get(key))
            except forms.ValidationError:
                continue
        return values

    def request(self, *, device_ids: list[int]) -> services.ReservationRequest:
        """The new reservation, as reservations.services.reservation_create takes it."""
        return services.ReservationRequest(
            **fields.service_values(self.cleaned_data, self.FIELDS), device_ids=device_ids
        )


class DevicePickerFilterForm(DeviceFilterForm):
    """The device picker's filters: a search by External ID or project name, then the device
    list's filters (ui.md §3.16)."""

    search = forms.CharField(
        label="Search devices",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "External ID or project name"}),
    )

    field_order = ["search"]

    def api_params(self) -> dict[str, str]:
        """The device list's filters (the search is the picker's own: ``search_text``)."""
        params = super().api_params()
        params.pop("search", None)
        return params

    def search_text(self) -> str:
        return (self.cleaned_data.get("search") or "").strip() if self.is_bound and self.is_valid() else ""


class ReservationFilterForm(forms.Form):
    """ "Select Fields To Filter Reservation List" (ui.md §3.25)."""

    organizationId = OrganizationChoiceField(label="Organization", required=False)
    name = forms.CharField(label="Reservation Name", required=False, max_length=255)
    country = forms.ChoiceField(label="Country", required=False)
    offTaker = forms.MultipleChoiceField(label="Off Taker", required=False, widget=CheckboxDropdown)
    sdgbenefit = forms.MultipleChoiceField(label="SDG Benefits", required=False, widget=CheckboxDropdown)
    reservationActive = forms.ChoiceField(
        label="Reservation Status",
        required=False,
        choices=[("All", "All"), ("Active", "Active"), ("Deactive", "Ended")],
        initial="All",
    )
    start_date = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organizations: Iterable[Organization] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self,
            organizations=organizations,
            country=[("", "All"), *code_choices("countryCode")],
            offTaker=code_choices("offTaker"),
            sdgbenefit=code_choices("SDGBenefits"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("start_date") and not self.cleaned_data.get("end_date"):
            self.add_error("end_date", "End date should be required")
        return self.cleaned_data

    def api_params(self) -> dict[str, str]:
        params = {}
        for key, value in self.cleaned_data.items():
            if value in (None, "", []) or key == "organizationId":
                continue
            params[key] = ",".join(value) if isinstance(value, list) else str(value)
        return params


class ReservationChangeForm(forms.Form):
    """Changing an active reservation (PATCH's fields, every one required here)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(fields.form_fields(fields.CHANGE, required=True))

    def changes(self) -> dict[str, Any]:
        """The values, as reservations.services.reservation_update takes them."""
        return fields.service_values(self.cleaned_data, fields.CHANGE)

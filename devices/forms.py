"""Portal forms of devices. Field names are the API's keys; the rules are in devices.services."""

from datetime import UTC
from typing import Any, cast

from django import forms

from devices.fields import BY_KEY, DEVICE_FIELDS, DeviceFields, code_choices, device_fields, form_fields
from devices.models import Device
from drec.forms import OrganizationChoiceField
from drec.widgets import CheckboxDropdown


class DeviceForm(forms.Form):
    """One device card of "Device Registration" (ui.md §3.18), also the edit form: the fields
    of devices.fields, with the code lists' options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(form_fields())
        for key, field in self.fields.items():
            if isinstance(field, forms.ChoiceField):  # the code lists' options, read per form
                field.choices = BY_KEY[key].form_choices()

    @classmethod
    def editing(cls, device: Device, data: Any = None) -> "DeviceForm":
        """The edit form of ``device``, its current values as the fields' initial ones."""
        initial: dict[str, Any] = {}
        for field in DEVICE_FIELDS:
            if not field.in_form:
                continue
            if field.kind == "codes":
                value: Any = list(device.sdg_benefits.values_list("code", flat=True))
            else:
                value = getattr(device, field.attribute)
            if field.kind == "datetime":  # the widget shows UTC
                value = value.astimezone(UTC).replace(tzinfo=None)
            initial[field.key] = "" if value is None and field.kind == "code" else value
        return cls(data, initial=initial)

    def device_fields(self, *, only_changed: bool = False) -> DeviceFields:
        """The cleaned values in the services' names (only the changed ones when editing)."""
        return device_fields(self.cleaned_data, only=self.changed_data if only_changed else None)


class DeviceFilterForm(forms.Form):
    """ "Use Filters For Device Search" (ui.md §3.16)."""

    organizationId = OrganizationChoiceField(label="Organization", required=False)
    country = forms.ChoiceField(label="Country", required=False)
    deviceTypeCode = forms.MultipleChoiceField(label="Device Type Code", required=False, widget=CheckboxDropdown)
    offTaker = forms.MultipleChoiceField(label="Off Taker", required=False, widget=CheckboxDropdown)
    capacity = forms.DecimalField(label="Capacity(kW) at most", required=False, min_value=0)
    SDGBenefits = forms.MultipleChoiceField(label="SDG Benefits", required=False, widget=CheckboxDropdown)
    start_date = forms.DateField(
        label="Commissioned from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label="Commissioned until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is None:
            del self.fields["organizationId"]
        else:
            cast(forms.ChoiceField, self.fields["organizationId"]).choices = [
                ("", "All"),
                *((str(o.id), o.name) for o in organizations),
            ]
        for key, field in self.fields.items():
            if key != "organizationId" and isinstance(field, forms.ChoiceField):
                options = code_choices("countryCode" if key == "country" else key)
                field.choices = [("", "All"), *options] if key == "country" else options

    def api_params(self) -> dict[str, str]:
        """The filter as the API's query parameters (lists comma-separated)."""
        params = {}
        for key, value in self.cleaned_data.items():
            if value in (None, "", []):
                continue
            params[key] = ",".join(value) if isinstance(value, list) else str(value)
        return params


class BulkUploadForm(forms.Form):
    organizationId = OrganizationChoiceField(label="Organization", required=False)
    csvFile = forms.FileField(label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is None:
            del self.fields["organizationId"]
        else:
            self.fields["organizationId"].required = True
            cast(forms.ChoiceField, self.fields["organizationId"]).choices = [
                ("", "Select organization"),
                *((str(o.id), o.name) for o in organizations),
            ]

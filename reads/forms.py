"""Portal forms of meter reads and yield configuration. Field names are the API's keys; the
rules are in reads.services."""

from django import forms

from devices.selectors import country_list
from drec.forms import OrganizationChoiceField
from reads.models import ReadType, YieldStatus
from reads.services import UNIT_WH

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _organization_field(form: forms.Form, organizations) -> None:
    """The super admin and api users first pick the Developer organization; others have one."""
    if organizations is None:
        del form.fields["organizationId"]
    else:
        form.fields["organizationId"].choices = [
            ("", "Select organization"),
            *((str(o.id), o.name) for o in organizations),
        ]


class ReadForm(forms.Form):
    """ "Add Read" (ui.md §4.6): one read of one device, in the device's local time."""

    organizationId = OrganizationChoiceField(label="Organization")
    externalId = forms.CharField(
        label="External ID",
        max_length=255,
        widget=forms.TextInput(attrs={"list": "device-options", "autocomplete": "off"}),
    )
    timezone = forms.ChoiceField(label="Select Timezone", help_text="The times below are local times in this zone.")
    type = forms.ChoiceField(label="Read Type", choices=ReadType.choices, initial=ReadType.DELTA)
    unit = forms.ChoiceField(label="Unit", choices=[(unit, unit) for unit in UNIT_WH], initial="kWh")
    value = forms.DecimalField(label="Meter Read", min_value=0, max_digits=20, decimal_places=3)
    starttimestamp = forms.DateTimeField(
        label="Start Datetime",
        required=False,
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
        help_text="History reads only: the period's start.",
    )
    endtimestamp = forms.DateTimeField(
        label="End Datetime",
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )

    def __init__(self, *args, organizations=None, timezones=(), refresh_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        _organization_field(self, organizations)
        self.fields["timezone"].choices = [(zone, zone) for zone in timezones]
        if refresh_url:
            # Choosing the organization re-draws the form (its devices); choosing the device
            # re-draws only its zones and summary, so what is typed elsewhere stays (HTMX).
            redraw = {"hx-get": refresh_url, "hx-trigger": "change", "hx-include": "closest form"}
            redraw["hx-params"] = "not csrfmiddlewaretoken"
            if "organizationId" in self.fields:
                self.fields["organizationId"].widget.attrs.update(
                    {**redraw, "hx-target": "#read-form", "hx-swap": "outerHTML"}
                )
            self.fields["externalId"].widget.attrs.update(
                {**redraw, "hx-target": "#read-device", "hx-select": "#read-device", "hx-swap": "outerHTML"}
            )

    def clean(self):
        data = super().clean()
        if data.get("type") == ReadType.HISTORY and not data.get("starttimestamp"):
            self.add_error("starttimestamp", "History reads need a start.")
        start, end = data.get("starttimestamp"), data.get("endtimestamp")
        if data.get("type") == ReadType.HISTORY and start and end and start >= end:
            self.add_error("endtimestamp", "Please add a valid endtimestamp: it must be after the start.")
        return data

    def read(self) -> dict:
        """The read as the API takes it: local wall times in the chosen zone."""
        data = self.cleaned_data
        read = {"endtimestamp": data["endtimestamp"].strftime("%Y-%m-%d %H:%M:%S"), "value": str(data["value"])}
        if data["type"] == ReadType.HISTORY:
            read["starttimestamp"] = data["starttimestamp"].strftime("%Y-%m-%d %H:%M:%S")
        return read


class ReadFilterForm(forms.Form):
    """ "Meter Read List": which device, over which period."""

    organizationId = OrganizationChoiceField(label="Organization", required=False)
    externalId = forms.CharField(
        label="External ID",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"list": "device-options", "autocomplete": "off"}),
    )
    start = forms.DateField(label="Start Date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="End Date", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        _organization_field(self, organizations)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date must not be before the start date.")
        return data


class GenerationForm(forms.Form):
    """The period of a device's generation chart."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 366

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "The end date must not be before the start date.")
            elif (end - start).days >= self.MAX_DAYS:
                self.add_error("end", f"Choose at most {self.MAX_DAYS} days.")
        return data


class YieldForm(forms.Form):
    """ "Add Yield Value" / "Yield Update Form" (ui.md §3.29)."""

    countryCode = forms.ChoiceField(label="Country")
    yieldValue = forms.IntegerField(label="Value (kWh per kWp per year)", min_value=1)
    status = forms.ChoiceField(
        label="Status",
        choices=[(YieldStatus.ACTIVE, "Yes"), (YieldStatus.INACTIVE, "No")],
        initial=YieldStatus.ACTIVE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["countryCode"].choices = [("", "Select country"), *((c.alpha3, c.name) for c in country_list())]

"""Portal forms of meter reads and yield configuration. Field names are the API's keys; the
add-read form's fields are declared once for both doors in reads.fields, and the rules are
in reads.services."""

from typing import Any, cast

from django import forms

from devices.selectors import country_list
from drec.forms import OrganizationChoiceField
from reads.fields import LOCAL_TIME, form_field
from reads.models import ReadType, YieldStatus


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _organization_field(form: forms.Form, organizations: Any) -> None:
    """The super admin and api users first pick the Developer organization; others have one."""
    if organizations is None:
        del form.fields["organizationId"]
    else:
        _choice_field(form, "organizationId").choices = [
            ("", "Select organization"),
            *((str(o.id), o.name) for o in organizations),
        ]


def _external_id_field(*, required: bool) -> forms.CharField:
    """The device, by its externalId, typed with suggestions (the page's ``device-options``)."""
    return forms.CharField(
        label="External ID",
        required=required,
        max_length=255,
        widget=forms.TextInput(attrs={"list": "device-options", "autocomplete": "off"}),
    )


class ReadForm(forms.Form):
    """ "Add Read" (ui.md §4.6): the batch, reads of one device in one type and unit, in the
    device's local time; its reads are :class:`ReadRowForm` s. What it takes is checked by
    reads.services.reads_ingest, as the API's batches are."""

    organizationId = form_field("organizationId")
    externalId = _external_id_field(required=True)
    timezone = form_field("timezone")
    type = form_field("type")
    unit = form_field("unit")

    def __init__(
        self,
        *args: Any,
        organizations: Any = None,
        timezones: tuple[str, ...] | list[str] = (),
        refresh_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _organization_field(self, organizations)
        _choice_field(self, "timezone").choices = [(zone, zone) for zone in timezones]
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


# The reads one Add Read form may take at once (each a row of the form).
MAX_READ_ROWS = 50


def read_row_prefix(index: int) -> str | None:
    """The form prefix of the read row ``index``: the first read keeps the API's bare names
    (value, endtimestamp, starttimestamp), the next ones are ``r1-value``, ``r2-value``…"""
    return f"r{index}" if index else None


class ReadRowForm(forms.Form):
    """One read of the Add Read form: its period's end (and start, for History reads) and value."""

    starttimestamp = form_field("starttimestamp")
    endtimestamp = form_field("endtimestamp")
    value = form_field("value")

    def __init__(self, data: Any = None, *, index: int = 0, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial, prefix=read_row_prefix(index))
        self.number = index + 1
        if index:
            for field in self.fields.values():
                field.label = f"{field.label} (read {self.number})"
                field.help_text = ""

    def is_blank(self) -> bool:
        """A further row left empty (it is not a read)."""
        return self.is_bound and not any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.fields)

    def read(self, read_type: str) -> dict[str, str]:
        """The read as the API takes it: local wall times in the chosen zone (a start only for
        History reads; the service says when one is missing or not before the end)."""
        data = self.cleaned_data
        read = {"endtimestamp": data["endtimestamp"].strftime(LOCAL_TIME), "value": str(data["value"])}
        if read_type == ReadType.HISTORY and data.get("starttimestamp"):
            read["starttimestamp"] = data["starttimestamp"].strftime(LOCAL_TIME)
        return read


class ReadFilterForm(forms.Form):
    """ "Meter Read List": which device, over which period."""

    organizationId = OrganizationChoiceField(label="Organization", required=False)
    externalId = _external_id_field(required=False)
    start = forms.DateField(label="Start Date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="End Date", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _organization_field(self, organizations)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date must not be before the start date.")
        return data


class GenerationForm(forms.Form):
    """The period of a device's generation chart."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 366

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
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
    yieldValue = forms.IntegerField(label="Value (kWh per kWp per year)")  # above 0: the service's rule
    status = forms.ChoiceField(
        label="Status",
        choices=[(YieldStatus.ACTIVE, "Yes"), (YieldStatus.INACTIVE, "No")],
        initial=YieldStatus.ACTIVE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "countryCode").choices = [
            ("", "Select country"),
            *((c.alpha3, c.name) for c in country_list()),
        ]

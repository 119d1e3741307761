"""Portal forms of devices. Field names are the API's keys; the rules are in devices.services."""

from django import forms

from devices.models import Country, DeviceDescription, DeviceType, FuelType, OffTaker, SdgBenefit
from devices.selectors import country_list
from drec.forms import OrganizationChoiceField


def _choices(model, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(item.code, item.name) for item in model.objects.all()]
    return [("", blank), *choices] if blank is not None else choices


class DeviceForm(forms.Form):
    """One device card of "Device Registration" (ui.md §3.18), also the edit form."""

    projectName = forms.CharField(label="Project Name", max_length=255, required=False)
    externalId = forms.CharField(label="External ID", max_length=255)
    countryCode = forms.ChoiceField(label="Country")
    commissioningDate = forms.DateTimeField(
        label="Commissioning Date (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    capacity = forms.DecimalField(label="Capacity(kW)", max_digits=14, decimal_places=3)
    address = forms.CharField(label="Address", max_length=500)
    latitude = forms.DecimalField(label="Latitude", max_digits=11, decimal_places=9)
    longitude = forms.DecimalField(label="Longitude", max_digits=12, decimal_places=9)
    fuelCode = forms.ChoiceField(label="Fuel Code")
    deviceTypeCode = forms.ChoiceField(label="Device Type Code")
    SDGBenefits = forms.MultipleChoiceField(
        label="SDG Benefits", required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    offTaker = forms.ChoiceField(label="Off Taker", required=False)
    deviceDescription = forms.ChoiceField(label="Device Description", required=False)
    impactStory = forms.CharField(label="Impact Story", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    qualityLabels = forms.CharField(label="Quality Labels", max_length=255, required=False)
    gridInterconnection = forms.BooleanField(label="Grid interconnection", required=False)
    energyStorage = forms.BooleanField(label="Energy storage", required=False)
    energyStorageCapacity = forms.DecimalField(
        label="Energy Storage Capacity (kWh)", max_digits=14, decimal_places=3, required=False
    )

    MORE = (
        "offTaker",
        "deviceDescription",
        "impactStory",
        "qualityLabels",
        "gridInterconnection",
        "energyStorage",
        "energyStorageCapacity",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["countryCode"].choices = [("", "Select country"), *((c.alpha3, c.name) for c in country_list())]
        self.fields["fuelCode"].choices = _choices(FuelType)
        self.fields["deviceTypeCode"].choices = _choices(DeviceType, "Select device type")
        self.fields["SDGBenefits"].choices = _choices(SdgBenefit)
        self.fields["offTaker"].choices = _choices(OffTaker, "—")
        self.fields["deviceDescription"].choices = _choices(DeviceDescription, "—")

    def device_data(self, *, only_changed: bool = False) -> dict:
        """The cleaned values as the service's input (API keys; empty optional fields left out)."""
        data = dict(self.cleaned_data)
        for key in ("offTaker", "deviceDescription", "energyStorageCapacity"):
            if data.get(key) in ("", None):
                data.pop(key, None)
        if only_changed:
            data = {key: value for key, value in data.items() if key in self.changed_data}
        return data


class DeviceFilterForm(forms.Form):
    """ "Use Filters For Device Search" (ui.md §3.16)."""

    organizationId = OrganizationChoiceField(label="Organization", required=False)
    country = forms.ChoiceField(label="Country", required=False)
    deviceTypeCode = forms.MultipleChoiceField(label="Device Type Code", required=False)
    offTaker = forms.MultipleChoiceField(label="Off Taker", required=False)
    capacity = forms.DecimalField(label="Capacity(kW) at most", required=False, min_value=0)
    SDGBenefits = forms.MultipleChoiceField(label="SDG Benefits", required=False)
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
            self.fields["organizationId"].choices = [("", "All"), *((str(o.id), o.name) for o in organizations)]
        self.fields["country"].choices = [("", "All"), *((c.alpha3, c.name) for c in Country.objects.order_by("name"))]
        self.fields["deviceTypeCode"].choices = _choices(DeviceType)
        self.fields["offTaker"].choices = _choices(OffTaker)
        self.fields["SDGBenefits"].choices = _choices(SdgBenefit)

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
            self.fields["organizationId"].choices = [
                ("", "Select organization"),
                *((str(o.id), o.name) for o in organizations),
            ]

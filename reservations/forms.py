"""Portal forms of reservations. Field names are the API's keys; the rules are in
reservations.services."""

from django import forms

from devices.forms import _choices
from devices.models import OffTaker, SdgBenefit
from devices.selectors import country_list
from drec.forms import OrganizationChoiceField
from reservations.models import Frequency

YES_NO = [("true", "Yes"), ("false", "No")]
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _moment(label: str, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "true",
        initial="true",
        widget=forms.RadioSelect,
    )


class ReservationForm(forms.Form):
    """ "Make A Reservation" (ui.md §4.3); the two questions are asked in the confirmation dialog."""

    organizationId = OrganizationChoiceField(label="Organization")
    name = forms.CharField(label="Name", max_length=255)
    targetCapacityInMegaWattHour = forms.DecimalField(
        label="Target Capacity(MWh)", max_digits=18, decimal_places=6, min_value=0.000001
    )
    reservationStartDate = _moment("Start Date (UTC)")
    reservationEndDate = _moment("End Date (UTC)")
    reservationExpiryDate = _moment("Expiry Date (UTC)", required=False)
    frequency = forms.ChoiceField(label="Frequency", choices=Frequency.choices, initial=Frequency.DAILY)
    authorityToExceed = _yes_no("Authority to Exceed")
    continueWithReservationIfOneOrMoreDevicesUnavailableForReservation = _yes_no(
        "Continue reservation if some devices are unavailable:"
    )
    continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration = _yes_no(
        "Continue reservation if target capacity is less than estimated reachable capacity of devices between "
        "selected period:"
    )

    QUESTIONS = (
        "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation",
        "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration",
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is None:
            del self.fields["organizationId"]
        else:
            self.fields["organizationId"].choices = [
                ("", "Select organization"),
                *((str(o.id), o.name) for o in organizations),
            ]
            # Choosing the organization re-draws the page with the devices it may reserve.
            self.fields["organizationId"].widget.attrs["data-autosubmit"] = ""

    def clean(self):
        data = super().clean()
        start, end, expiry = (
            data.get(key) for key in ("reservationStartDate", "reservationEndDate", "reservationExpiryDate")
        )
        if start and end and end <= start:
            self.add_error("reservationEndDate", "The end must be after the start.")
        if end and expiry and expiry < end:
            self.add_error("reservationExpiryDate", "The expiry cannot be before the end.")
        return data


class ReservationFilterForm(forms.Form):
    """ "Select Fields To Filter Reservation List" (ui.md §3.25)."""

    organizationId = OrganizationChoiceField(label="Organization", required=False)
    name = forms.CharField(label="Reservation Name", required=False, max_length=255)
    country = forms.ChoiceField(label="Country", required=False)
    offTaker = forms.MultipleChoiceField(label="Off Taker", required=False)
    sdgbenefit = forms.MultipleChoiceField(label="SDG Benefits", required=False)
    reservationActive = forms.ChoiceField(
        label="Reservation Status",
        required=False,
        choices=[("All", "All"), ("Active", "Active"), ("Deactive", "Ended")],
        initial="All",
    )
    start_date = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is None:
            del self.fields["organizationId"]
        else:
            self.fields["organizationId"].choices = [("", "All"), *((str(o.id), o.name) for o in organizations)]
        self.fields["country"].choices = [("", "All"), *((c.alpha3, c.name) for c in country_list())]
        self.fields["offTaker"].choices = _choices(OffTaker)
        self.fields["sdgbenefit"].choices = _choices(SdgBenefit)

    def clean(self):
        data = super().clean()
        if data.get("start_date") and not data.get("end_date"):
            self.add_error("end_date", "End date should be required")
        return data

    def api_params(self) -> dict[str, str]:
        params = {}
        for key, value in self.cleaned_data.items():
            if value in (None, "", []) or key == "organizationId":
                continue
            params[key] = ",".join(value) if isinstance(value, list) else str(value)
        return params


class ReservationChangeForm(forms.Form):
    """Changing an active reservation (PATCH's fields)."""

    name = forms.CharField(label="Name", max_length=255)
    targetCapacityInMegaWattHour = forms.DecimalField(
        label="Target Capacity(MWh)", max_digits=18, decimal_places=6, min_value=0.000001
    )
    reservationEndDate = _moment("End Date (UTC)")
    reservationExpiryDate = _moment("Expiry Date (UTC)")
    authorityToExceed = _yes_no("Authority to Exceed")

"""Portal forms of certificates. Field names are the API's keys; the rules are in
certificates.services."""

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator

from certificates.templatetags.certificate_text import energy
from devices.models import OffTaker, SdgBenefit
from devices.selectors import country_list
from drec.forms import OrganizationChoiceField


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _codes(model: type[OffTaker] | type[SdgBenefit]) -> list[tuple[str, str]]:
    return [(item.code, item.name) for item in model.objects.all()]


class CertificateFilterForm(forms.Form):
    """ "Select Fields To Filter Certificates" (ui.md §4.4)."""

    type = forms.ChoiceField(
        label="Select type for get certificate",
        choices=[("Buyer", "Buyer"), ("Developer", "Developer")],
        required=False,
        initial="Buyer",
        widget=forms.RadioSelect,
    )
    organizationId = OrganizationChoiceField(label="Organization", required=False)
    country = forms.ChoiceField(label="Country", required=False)
    offTaker = forms.MultipleChoiceField(label="Off Taker", required=False)
    SDGBenefits = forms.MultipleChoiceField(label="SDG Benefits", required=False)
    start_date = forms.DateField(label="Generated from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="Generated until", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organizations: Any = None, with_type: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_type:
            del self.fields["type"]
        if organizations is None:
            del self.fields["organizationId"]
        else:
            _choice_field(self, "organizationId").choices = [
                ("", "All"),
                *((str(o.id), o.name) for o in organizations),
            ]
        _choice_field(self, "country").choices = [("", "All"), *((c.alpha3, c.name) for c in country_list())]
        _choice_field(self, "offTaker").choices = _codes(OffTaker)
        _choice_field(self, "SDGBenefits").choices = _codes(SdgBenefit)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start_date") and data.get("end_date") and data["start_date"] > data["end_date"]:
            self.add_error("end_date", "The end date must not be before the start date.")
        return data

    def api_params(self) -> dict[str, str]:
        params = {}
        for key, value in self.cleaned_data.items():
            if value in (None, "", []) or key in ("type", "organizationId"):
                continue
            params[key] = ",".join(value) if isinstance(value, list) else str(value)
        if end := self.cleaned_data.get("end_date"):
            # Generation periods end at an exclusive instant: a day's certificate ends at the
            # next midnight, which "generated until that day" must include.
            params["end_date"] = (end + timedelta(days=1)).isoformat() if end < date.max else f"{end}T23:59:59.999999"
        return params


class ClaimForm(forms.Form):
    """ "Add Claim": retire all or part of a certificate. The amount starts empty (the most
    that may be claimed is its help text); the country and period start as the certificate's."""

    amount = forms.IntegerField(
        label="Amount (Wh)",
        min_value=1,
        error_messages={"min_value": "Claim at least 1 Wh.", "invalid": "Enter a whole number of Wh, such as 5000."},
    )
    beneficiary = forms.CharField(label="Beneficiary", max_length=255)
    location = forms.CharField(label="Location", max_length=255)
    countryCode = forms.ChoiceField(label="Country")
    periodStartDate = forms.DateField(label="Period start", widget=forms.DateInput(attrs={"type": "date"}))
    periodEndDate = forms.DateField(label="Period end", widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label="Purpose", max_length=500, initial="GHG accounting")

    def __init__(self, *args: Any, unclaimed_wh: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._country_names = {c.alpha3: c.name for c in country_list()}
        _choice_field(self, "countryCode").choices = [("", "Select country"), *self._country_names.items()]
        amount = cast(forms.IntegerField, self.fields["amount"])
        # Django turns max_value into a validator only in the field's constructor: setting the
        # attribute afterwards checked nothing, so add the validator itself.
        amount.max_value = unclaimed_wh
        amount.validators.append(
            MaxValueValidator(
                unclaimed_wh,
                message=(
                    f"Only {unclaimed_wh:,} Wh of this certificate are unclaimed: claim at most that."
                    if unclaimed_wh > 0
                    else "Nothing of this certificate is unclaimed any more."
                ),
            )
        )
        amount.widget.attrs["max"] = unclaimed_wh
        amount.help_text = f"At most {unclaimed_wh:,} Wh ({energy(unclaimed_wh)}) are unclaimed."

    def country_name(self) -> str:
        """The name of the country chosen (on a valid form)."""
        return self._country_names[self.cleaned_data["countryCode"]]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if (
            data.get("periodStartDate")
            and data.get("periodEndDate")
            and data["periodStartDate"] > data["periodEndDate"]
        ):
            self.add_error("periodEndDate", "The period end must not be before its start.")
        return data

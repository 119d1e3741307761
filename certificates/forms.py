"""Portal forms of certificates. Field names are the API's keys; the rules are in
certificates.services."""

from collections.abc import Sequence
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


def _at_most(field: forms.Field, most: int, *, verb: str) -> None:
    """Cap an amount field at ``most`` Wh: its validator, its input's ``max`` and its help."""
    amount = cast(forms.IntegerField, field)
    # Django turns max_value into a validator only in the field's constructor: setting the
    # attribute afterwards checked nothing, so add the validator itself.
    amount.max_value = most
    amount.validators.append(
        MaxValueValidator(
            most,
            message=(
                f"Only {most:,} Wh of this certificate are unclaimed: {verb} at most that."
                if most > 0
                else "Nothing of this certificate is unclaimed any more."
            ),
        )
    )
    amount.widget.attrs["max"] = most
    amount.help_text = f"At most {most:,} Wh ({energy(most)}) are unclaimed."


Holder = tuple[int, str, int]  # (organization id, name, Wh it holds unclaimed)


class HeldVolumeForm(forms.Form):
    """A form spending some of what the caller's organization holds of a certificate (a claim,
    a transfer): ``amount`` is at most ``unclaimed_wh``. When several of the caller's
    organizations hold some (an api user's), ``holders`` adds ``organizationId``, the one
    acting, and the amount is held to what that one holds."""

    verb = "spend"

    def __init__(self, *args: Any, unclaimed_wh: int = 0, holders: Sequence[Holder] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _at_most(self.fields["amount"], unclaimed_wh, verb=self.verb)
        self._holders = {str(pk): (name, held) for pk, name, held in holders}
        if len(holders) > 1:
            self.fields["organizationId"] = forms.ChoiceField(
                label="For organization",
                choices=[
                    ("", "Select organization"),
                    *((str(pk), f"{name} ({energy(held)} unclaimed)") for pk, name, held in holders),
                ],
                help_text="Several of your organizations hold this certificate: which one acts.",
            )
            self.order_fields(["organizationId"])

    def _holder(self) -> tuple[str, int] | None:
        if "organizationId" in self.fields:
            return self._holders[self.cleaned_data["organizationId"]]
        holders = list(self._holders.values())
        return holders[0] if len(holders) == 1 else None

    def holder_name(self) -> str | None:
        """The name of the organization acting (on a valid form), when the form knows it."""
        holder = self._holder()
        return holder[0] if holder else None

    def held_wh(self) -> int:
        """What the organization acting holds unclaimed (on a valid form)."""
        holder = self._holder()
        return holder[1] if holder else cast(int, cast(forms.IntegerField, self.fields["amount"]).max_value)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        holder = self._holders.get(data.get("organizationId") or "")
        if holder is not None and data.get("amount") and data["amount"] > holder[1]:
            name, held = holder
            self.add_error(
                "amount", f"{name} holds only {held:,} Wh of this certificate unclaimed: {self.verb} at most that."
            )
        return data


class ClaimForm(HeldVolumeForm):
    """ "Add Claim": retire all or part of a certificate. The amount starts empty (the most
    that may be claimed is its help text); the country and period start as the certificate's."""

    verb = "claim"
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._country_names = {c.alpha3: c.name for c in country_list()}
        _choice_field(self, "countryCode").choices = [("", "Select country"), *self._country_names.items()]

    def country_name(self) -> str:
        """The name of the country chosen (on a valid form)."""
        return self._country_names[self.cleaned_data["countryCode"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("periodStartDate")
            and data.get("periodEndDate")
            and data["periodStartDate"] > data["periodEndDate"]
        ):
            self.add_error("periodEndDate", "The period end must not be before its start.")
        return data


class TransferForm(HeldVolumeForm):
    """ "Transfer": move all or part of what the caller's organization holds unclaimed to
    another Buyer organization, named by its ID (any active Buyer organization on the
    platform: a list of them would show every tenant's name)."""

    verb = "transfer"
    amount = forms.IntegerField(
        label="Amount to transfer (Wh)",
        min_value=1,
        error_messages={"min_value": "Transfer at least 1 Wh.", "invalid": "Enter a whole number of Wh, such as 5000."},
    )
    toOrganizationId = forms.IntegerField(
        label="Receiver organization ID",
        min_value=1,
        help_text=(
            "The ID of the Buyer organization that receives it: any active Buyer organization on the "
            "platform. Its members find the ID on their My Organization page."
        ),
        error_messages={
            "min_value": "Organization IDs start at 1.",
            "invalid": "Enter the receiver's organization ID, a whole number such as 42.",
        },
    )


class WithdrawForm(forms.Form):
    """ "Withdraw" (the super admin): take unclaimed volume of a certificate back, with the
    reason the verification page shows; all of it unless an amount is given."""

    amount = forms.IntegerField(
        label="Amount to withdraw (Wh)",
        min_value=1,
        required=False,
        error_messages={"min_value": "Withdraw at least 1 Wh.", "invalid": "Enter a whole number of Wh, such as 5000."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Recorded on the ledger and shown on the public verification page.",
    )

    def __init__(self, *args: Any, unclaimed_wh: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _at_most(self.fields["amount"], unclaimed_wh, verb="withdraw")
        self.fields[
            "amount"
        ].help_text = (
            f"Leave it empty to withdraw all that is unclaimed ({unclaimed_wh:,} Wh now); claimed volume stays claimed."
        )

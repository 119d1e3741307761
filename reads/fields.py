"""A batch of meter reads' input, declared once (as devices.fields declares a device's).

The API's batch (``POST /api/meter-reads/new/{externalId}``) and the portal's "Add Read" form
take the same fields under the same names: ``type``, ``unit``, ``timezone`` and
``organizationId`` for the batch, ``starttimestamp``, ``endtimestamp`` and ``value`` for each
read. Each :class:`ReadField` says one (its choices, whether the API requires it, its help)
and builds both the API's serializer field and the portal's form field from that.

The rules of a read (a History read's start, before its end; the value's sign and size; the
times against the device's dates and its previous read) are ``reads.services.reads_ingest``'s
alone: both doors hand it what they parsed, and its refusals name these fields, which the
portal shows under its inputs of the same names.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django import forms
from rest_framework import serializers

from drec.forms import OrganizationChoiceField
from drec.inputs import Text
from reads.models import ReadType
from reads.services import UNIT_WH

# choice: one of ``choices``; zone: an IANA time zone name; organization: the id of the
# organization one acts for; moment: a date-time; number: an amount in the batch's unit.
Kind = Literal["choice", "zone", "organization", "moment", "number"]

# The portal's date-time inputs (datetime-local): wall times in the zone picked on the form.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
LOCAL_INPUTS = [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"]
# What the service takes as a local wall time (with the batch's zone): the form sends that.
LOCAL_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ReadField:
    key: str  # the API's JSON key and the portal form's field name
    label: str  # the portal's
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()
    initial: str | None = None  # the portal's
    help_text: str = ""  # both doors' (the API's documentation, the portal's hint)
    portal_help: str | None = None  # the portal's own hint instead ("" for none)

    def serializer_field(self) -> serializers.Field:
        """The field of the API's JSON body."""
        options: dict[str, Any] = {} if self.required else {"required": False}
        if self.help_text:
            options["help_text"] = self.help_text
        if self.kind == "choice":
            return serializers.ChoiceField(choices=list(self.choices), **options)
        if self.kind == "zone":
            return Text(allow_blank=True, **options)
        if self.kind == "organization":
            return serializers.IntegerField(allow_null=True, **options)
        if self.kind == "moment":
            # A string: the service parses it (ISO 8601, or a local time with the batch's zone).
            return serializers.CharField(**options)
        return serializers.FloatField(**options)

    def form_field(self) -> forms.Field:
        """The field of the portal's form, under the same name."""
        hint = self.help_text if self.portal_help is None else self.portal_help
        common: dict[str, Any] = {"label": self.label, "help_text": hint}
        if self.kind == "choice":
            choices = [(choice, choice) for choice in self.choices]
            return forms.ChoiceField(choices=choices, initial=self.initial, required=self.required, **common)
        if self.kind == "zone":
            # The form's times are wall times: a zone is always picked (from the device's, per form).
            return forms.ChoiceField(**common)
        if self.kind == "organization":
            # Only the super admin and api users see it (the form drops it for everyone else).
            return OrganizationChoiceField(**common)
        if self.kind == "moment":
            widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)
            return forms.DateTimeField(input_formats=LOCAL_INPUTS, widget=widget, required=self.required, **common)
        # Up to Wh in kWh; the value's sign and size are the service's rules.
        common["error_messages"] = {
            "invalid": f"{self.label} must be a number.",
            "max_decimal_places": f"{self.label} can have at most 3 decimal places.",
            "max_digits": f"{self.label} is too large.",
            "max_whole_digits": f"{self.label} is too large.",
        }
        return forms.DecimalField(max_digits=20, decimal_places=3, required=self.required, **common)


BATCH: tuple[ReadField, ...] = (
    ReadField("type", "Read Type", "choice", choices=tuple(ReadType.values), initial=ReadType.DELTA),
    ReadField("unit", "Unit", "choice", choices=tuple(UNIT_WH), initial="kWh"),
    ReadField(
        "timezone",
        "Select Timezone",
        "zone",
        required=False,
        help_text="IANA zone; then local times YYYY-MM-DD hh:mm:ss",
        portal_help="The times below are local times in this zone.",
    ),
    ReadField(
        "organizationId",
        "Organization",
        "organization",
        required=False,
        help_text="Admin and api users",
        portal_help="",
    ),
)
READ: tuple[ReadField, ...] = (
    ReadField(
        "starttimestamp",
        "Start Datetime",
        "moment",
        required=False,
        help_text="History reads only: the period's start.",
    ),
    ReadField("endtimestamp", "End Datetime", "moment"),
    ReadField("value", "Meter Read", "number"),
)
BY_KEY: Mapping[str, ReadField] = {field.key: field for field in (*BATCH, *READ)}


def serializer_fields(fields: Iterable[ReadField]) -> dict[str, serializers.Field]:
    """Fresh serializer fields of ``fields`` (BATCH or READ), in their order."""
    return {field.key: field.serializer_field() for field in fields}


def form_field(key: str) -> forms.Field:
    """A fresh portal form field of the read input named ``key``."""
    return BY_KEY[key].form_field()

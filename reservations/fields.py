"""A reservation's input, declared once.

Each :class:`ReservationField` names a field on the wire (the API's JSON key and the portal
form's field: the same name at both doors), its name in the services, its kind (which sets its
type, limits and rule at both doors) and its label in the portal. The API's serializers
(reservations.api) and the portal's forms (reservations.forms) are built from these lists, and
:func:`service_values` maps what either door parsed to the services' names, so a field, its
limits and its rule are written here and nowhere else. The rules over several fields or the
database (the period, the name's characters and uniqueness, the devices) are
reservations.services'.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django import forms
from rest_framework import serializers

from drec.inputs import Text
from reservations.models import Frequency

Kind = Literal["name", "ids", "mwh", "moment", "frequency", "yes_no"]

NAME_MAX_LENGTH = 255  # Reservation.name
DEVICE_ID_MAX = 2_147_483_647
DEVICES_MAX = 10_000
MWH_DIGITS = 18  # MWh: up to 18 digits, 6 of them after the point (1 Wh)
MWH_PLACES = 6
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # the portal's datetime-local widget
YES_NO = [("true", "Yes"), ("false", "No")]
FREQUENCY_UNSUPPORTED = "This frequency is currently not supported: use hourly, daily, weekly or monthly."
# A new reservation's body answers a target that is not positive in the original's words.
TARGET_NOT_POSITIVE = (
    "targetCapacityInMegaWattHour should be valid number can include decimal but should be greater than 0"
)


class MegawattHours(serializers.DecimalField):
    """An amount of MWh on the wire (a number or its string), greater than 0."""

    default_error_messages = {"not_positive": "Must be greater than 0."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=MWH_DIGITS, decimal_places=MWH_PLACES, coerce_to_string=False, **kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Decimal | None:
        value: Decimal | None = super().run_validation(data)
        if value is not None and value <= 0:
            self.fail("not_positive")
        return value


@dataclass(frozen=True)
class ReservationField:
    key: str  # on the wire: JSON key, form field
    attribute: str  # in the services
    kind: Kind
    label: str = ""  # the portal's
    optional: bool = False  # a new reservation may leave it out

    def serializer_field(self, *, partial: bool = False) -> serializers.Field:
        """The field of the API's JSON body: of a new reservation, or (``partial``) of a change,
        where every field may be left out (and none may be null)."""
        options: dict[str, Any] = {}
        if partial:
            options["required"] = False
        elif self.optional:
            options.update(required=False, allow_null=True)
        if self.kind == "name":
            return Text(max_length=NAME_MAX_LENGTH, **options)
        if self.kind == "ids":
            return serializers.ListField(
                child=serializers.IntegerField(min_value=1, max_value=DEVICE_ID_MAX),
                allow_empty=False,
                max_length=DEVICES_MAX,
                **options,
            )
        if self.kind == "mwh":
            if not partial:
                options.update(min_value=0, error_messages={"not_positive": TARGET_NOT_POSITIVE})
            return MegawattHours(**options)
        if self.kind == "moment":
            return serializers.DateTimeField(**options)
        if self.kind == "frequency":
            return serializers.ChoiceField(
                choices=Frequency.values, error_messages={"invalid_choice": FREQUENCY_UNSUPPORTED}, **options
            )
        return serializers.BooleanField(**options)

    def form_field(self, *, required: bool | None = None) -> forms.Field:
        """The portal's field; ``required`` unless the field is optional, or as said."""
        common: dict[str, Any] = {"label": self.label, "required": not self.optional if required is None else required}
        if self.kind == "name":
            return forms.CharField(max_length=NAME_MAX_LENGTH, **common)
        if self.kind == "mwh":
            # Greater than 0 with 6 places: at least their smallest step (1 Wh), said in words.
            common["error_messages"] = {
                "invalid": f"{self.label} must be a number.",
                "min_value": f"{self.label} must be at least {Decimal(1).scaleb(-MWH_PLACES):f} MWh (1 Wh).",
                "max_decimal_places": f"{self.label} can have at most {MWH_PLACES} decimal places.",
                "max_digits": f"{self.label} must be less than {10 ** (MWH_DIGITS - MWH_PLACES):,}.",
                "max_whole_digits": f"{self.label} must be less than {10 ** (MWH_DIGITS - MWH_PLACES):,}.",
            }
            return forms.DecimalField(
                max_digits=MWH_DIGITS, decimal_places=MWH_PLACES, min_value=Decimal(1).scaleb(-MWH_PLACES), **common
            )
        if self.kind == "moment":
            return forms.DateTimeField(
                input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S"],
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
                **common,
            )
        if self.kind == "frequency":
            return forms.ChoiceField(choices=Frequency.choices, initial=Frequency.DAILY, **common)
        if self.kind == "yes_no":
            return forms.TypedChoiceField(
                choices=YES_NO, coerce=_is_yes, initial="true", widget=forms.RadioSelect, **common
            )
        raise ValueError(f"{self.key} has no portal field (the portal picks devices in its own list)")


def _is_yes(value: str) -> bool:
    return value == "true"


NAME = ReservationField("name", "name", "name", "Name")
DEVICE_IDS = ReservationField("deviceIds", "device_ids", "ids")
TARGET = ReservationField("targetCapacityInMegaWattHour", "target_mwh", "mwh", "Target Capacity(MWh)")
START = ReservationField("reservationStartDate", "start", "moment", "Start Date (UTC)")
END = ReservationField("reservationEndDate", "end", "moment", "End Date (UTC)")
EXPIRY = ReservationField("reservationExpiryDate", "expiry", "moment", "Expiry Date (UTC)", optional=True)
FREQUENCY = ReservationField("frequency", "frequency", "frequency", "Frequency")
AUTHORITY = ReservationField("authorityToExceed", "authority_to_exceed", "yes_no", "Authority to Exceed")
CONTINUE_DEVICES = ReservationField(
    "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation",
    "continue_if_devices_unavailable",
    "yes_no",
    "Continue reservation if some devices are unavailable:",
)
CONTINUE_TARGET = ReservationField(
    "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration",
    "continue_if_target_unreachable",
    "yes_no",
    "Continue reservation if target capacity is less than estimated reachable capacity of devices between "
    "selected period:",
)

# A new reservation, in the API's order (the portal shows its own, without the devices).
RESERVATION = (NAME, DEVICE_IDS, TARGET, START, END, EXPIRY, CONTINUE_DEVICES, CONTINUE_TARGET, AUTHORITY, FREQUENCY)
# What an active reservation's buyer may change.
CHANGE = (NAME, TARGET, END, EXPIRY, AUTHORITY)


def serializer_fields(fields: Iterable[ReservationField], *, partial: bool = False) -> dict[str, serializers.Field]:
    return {field.key: field.serializer_field(partial=partial) for field in fields}


def form_fields(fields: Iterable[ReservationField], *, required: bool | None = None) -> dict[str, forms.Field]:
    return {field.key: field.form_field(required=required) for field in fields}


def service_values(data: Mapping[str, Any], fields: Iterable[ReservationField]) -> dict[str, Any]:
    """What a door parsed (wire names) in the services' names; fields left out stay out."""
    return {field.attribute: data[field.key] for field in fields if field.key in data}

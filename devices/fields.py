"""A device's input, declared once.

Each :class:`DeviceField` names a field on the wire (the API's JSON key, the bulk CSV's
column, the portal form's field: the same name everywhere), the model attribute it fills
(the services' snake_case name), its type and limits, and whether registration requires it.
The API's ``DeviceIn``, the CSV row parser and the portal's ``DeviceForm`` are built from
this list, and :func:`device_fields` maps what they parsed to the services' names, so a
field, its limits and its required-ness are written here and nowhere else. The rules that
need the database or several fields (code lists, ranges, a number's bounds and digits, dates)
are ``devices.services.device_rules``: the fields only parse, so one submit names every problem.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypedDict, cast

from django import forms
from rest_framework import serializers

from devices.models import DeviceDescription, DeviceType, FuelType, OffTaker, SdgBenefit
from devices.selectors import country_list
from drec.inputs import Text

Kind = Literal["text", "code", "codes", "decimal", "datetime", "bool", "list"]


class DeviceFields(TypedDict, total=False):
    """Checked device input in the services' names (a registration has every required one)."""

    external_id: str
    project_name: str
    address: str
    latitude: Decimal
    longitude: Decimal
    country_id: str
    fuel_code_id: str
    device_type_code_id: str
    capacity: Decimal
    commissioning_date: datetime
    grid_interconnection: bool
    off_taker_id: str | None
    impact_story: str
    images: list[str]
    device_description_id: str | None
    energy_storage: bool
    energy_storage_capacity: Decimal | None
    quality_labels: str
    version: str
    sdg_benefits: list[str]


def _model_choices(model: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(item.code, item.name) for item in model.objects.all()]


def _countries() -> list[tuple[str, str]]:
    return [(country.alpha3, country.name) for country in country_list()]


@dataclass(frozen=True)
class DeviceField:
    key: str  # on the wire: JSON key, CSV column, form field
    attribute: str  # in the services and on the model
    kind: Kind
    label: str
    required: bool = False
    max_length: int | None = None
    digits: tuple[int, int] | None = None  # (max_digits, decimal_places): checked by the rules, in words
    bounds: tuple[int, int] | None = None  # the least and greatest value, checked by the rules
    help_text: str = ""
    in_csv: bool = True
    in_form: bool = True
    allow_blank: bool = True  # an optional text may be sent empty
    choices: Callable[[], list[tuple[str, str]]] | None = None  # the portal's options
    blank_choice: str | None = None  # the portal's empty option, if it has one

    def serializer_field(self) -> serializers.Field:
        """The field of the API's JSON body and of a CSV row (text cells typed alike)."""
        options: dict[str, Any] = {} if self.required else {"required": False}
        if self.help_text:
            options["help_text"] = self.help_text
        if not self.required and self.kind in ("code", "decimal"):
            options["allow_null"] = True
        if self.kind == "text":
            if self.allow_blank and not self.required:
                options["allow_blank"] = True
            return Text(max_length=self.max_length, **options)
        if self.kind == "code":
            return Text(max_length=self.max_length, **options)
        if self.kind in ("codes", "list"):
            if self.kind == "list":
                options["max_length"] = 20
            return serializers.ListField(child=Text(max_length=self.max_length), **options)
        if self.kind == "decimal":
            # Any number parses: its range and digits are rules (devices.services), so a number out
            # of range is named with the other problems, in words, not as a count of digits.
            self._digits()
            options["error_messages"] = {"invalid": f"{self.label} must be a number."}
            return serializers.DecimalField(max_digits=None, decimal_places=None, **options)
        if self.kind == "datetime":
            return serializers.DateTimeField(**options)
        return serializers.BooleanField(**options)

    def form_field(self) -> forms.Field:
        """The field of the portal's device card (choices are filled per form, from the code lists)."""
        label = self.label
        messages = {
            "required": f"{label} is required.",
            "invalid": f"{label} must be a date and time." if self.kind == "datetime" else f"{label} must be a number.",
            "invalid_choice": f"Pick {label} from the list.",
            "max_length": f"{label} can have at most %(limit_value)d characters (it has %(show_value)d).",
        }
        common: dict[str, Any] = {"label": label, "required": self.required, "error_messages": messages}
        if self.kind == "text":
            if self.max_length is None:
                return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
            return forms.CharField(max_length=self.max_length, **common)
        if self.kind == "code":
            return forms.ChoiceField(**common)
        if self.kind == "codes":
            return forms.MultipleChoiceField(widget=forms.SelectMultiple(attrs={"size": 5}), **common)
        if self.kind == "decimal":
            # As the API's: any number parses, the rules say what is wrong with it (devices.services).
            self._digits()
            return forms.DecimalField(**common)
        if self.kind == "datetime":
            return forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common)
        if self.kind == "bool":
            return forms.BooleanField(label=self.label, required=False)
        raise ValueError(f"{self.key} has no portal field")

    def _digits(self) -> tuple[int, int]:
        if self.digits is None:
            raise ValueError(f"{self.key} declares no digits")
        return self.digits

    def form_choices(self) -> list[tuple[str, str]]:
        if self.choices is None:
            raise ValueError(f"{self.key} declares no choices")
        options = self.choices()
        return [("", self.blank_choice), *options] if self.blank_choice is not None else options


DEVICE_FIELDS: tuple[DeviceField, ...] = (
    DeviceField(
        "externalId",
        "external_id",
        "text",
        "External ID",
        required=True,
        max_length=255,
        help_text="Your id of the device, unique in its organization",
    ),
    DeviceField("projectName", "project_name", "text", "Project Name", max_length=255),
    DeviceField("address", "address", "text", "Address", required=True, max_length=500),
    DeviceField("latitude", "latitude", "decimal", "Latitude", required=True, digits=(11, 9), bounds=(-90, 90)),
    DeviceField("longitude", "longitude", "decimal", "Longitude", required=True, digits=(12, 9), bounds=(-180, 180)),
    DeviceField(
        "countryCode",
        "country_id",
        "code",
        "Country",
        required=True,
        max_length=3,
        help_text="ISO 3166 alpha-3, e.g. IND",
        choices=_countries,
        blank_choice="Select country",
    ),
    DeviceField(
        "fuelCode",
        "fuel_code_id",
        "code",
        "Fuel Code",
        required=True,
        max_length=16,
        help_text="GET /api/device/fuel-type",
        choices=_model_choices(FuelType),
    ),
    DeviceField(
        "deviceTypeCode",
        "device_type_code_id",
        "code",
        "Device Type Code",
        required=True,
        max_length=16,
        help_text="GET /api/device/device-type",
        choices=_model_choices(DeviceType),
        blank_choice="Select device type",
    ),
    DeviceField("capacity", "capacity", "decimal", "Capacity(kW)", required=True, digits=(14, 3), help_text="kW"),
    DeviceField(
        "commissioningDate",
        "commissioning_date",
        "datetime",
        "Commissioning Date (UTC)",
        required=True,
        help_text="ISO 8601, e.g. 2023-10-18T11:35:27.640Z",
    ),
    DeviceField("gridInterconnection", "grid_interconnection", "bool", "Grid interconnection"),
    DeviceField(
        "offTaker",
        "off_taker_id",
        "code",
        "Off Taker",
        max_length=64,
        choices=_model_choices(OffTaker),
        blank_choice="—",
    ),
    DeviceField("impactStory", "impact_story", "text", "Impact Story"),
    DeviceField("images", "images", "list", "Images", max_length=2000, in_csv=False, in_form=False),
    DeviceField(
        "deviceDescription",
        "device_description_id",
        "code",
        "Device Description",
        max_length=64,
        choices=_model_choices(DeviceDescription),
        blank_choice="—",
    ),
    DeviceField("energyStorage", "energy_storage", "bool", "Energy storage"),
    DeviceField(
        "energyStorageCapacity", "energy_storage_capacity", "decimal", "Energy Storage Capacity (kWh)", digits=(14, 3)
    ),
    DeviceField("qualityLabels", "quality_labels", "text", "Quality Labels", max_length=255),
    DeviceField(
        "SDGBenefits",
        "sdg_benefits",
        "codes",
        "SDG Benefits",
        max_length=64,
        help_text="SDG1 .. SDG17",
        in_csv=False,
        choices=_model_choices(SdgBenefit),
    ),
    DeviceField("version", "version", "text", "Version", max_length=32, in_csv=False, in_form=False, allow_blank=False),
)
BY_KEY: Mapping[str, DeviceField] = {field.key: field for field in DEVICE_FIELDS}
BY_ATTRIBUTE: Mapping[str, DeviceField] = {field.attribute: field for field in DEVICE_FIELDS}
REQUIRED = frozenset(field.key for field in DEVICE_FIELDS if field.required)
CSV_COLUMNS = [field.key for field in DEVICE_FIELDS if field.in_csv]


def serializer_fields(*, csv: bool = False) -> dict[str, serializers.Field]:
    """Fresh serializer fields of every wire field (``csv``: only the CSV's columns)."""
    return {field.key: field.serializer_field() for field in DEVICE_FIELDS if field.in_csv or not csv}


def form_fields() -> dict[str, forms.Field]:
    return {field.key: field.form_field() for field in DEVICE_FIELDS if field.in_form}


def code_choices(key: str) -> list[tuple[str, str]]:
    """The options of a code-list field (e.g. ``offTaker``), for the portal's filters."""
    choices = BY_KEY[key].choices
    return choices() if choices else []


def device_fields(values: Mapping[str, Any], *, only: Iterable[str] | None = None) -> DeviceFields:
    """Parsed wire values (an API body, a CSV row, a portal form) in the services' names
    (``only``: just these wire keys); a code left empty (the portal's "—") is ``None``."""
    keys = values.keys() if only is None else [key for key in only if key in values]
    fields = {
        BY_KEY[key].attribute: None if values[key] == "" and BY_KEY[key].kind == "code" else values[key]
        for key in keys
        if key in BY_KEY
    }
    return cast(DeviceFields, fields)


def wire_key(attribute: str) -> str:
    """The wire name of a services' field name (errors are named as the caller sent them)."""
    return BY_ATTRIBUTE[attribute].key

"""Parsing request bodies: strict fields and one way to validate."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, overload

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from drec.errors import InvalidInput

# C0 and C1 control characters other than tab, line feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Text(serializers.CharField):
    """A string field that refuses numbers, booleans, lists and objects (DRF's CharField
    would turn ``123`` into ``"123"``)."""

    default_error_messages = {
        "invalid": "Must be a string.",
        "nul": "Must not contain the NUL character.",
        "control": "Must not contain control characters.",
    }

    def run_validation(self, data: object = serializers.empty) -> Any:
        # Before DRF trims whitespace: "\x1e" counts as whitespace to str.strip().
        if isinstance(data, str) and CONTROL.search(data):
            self.fail("nul" if "\x00" in data else "control")
        return super().run_validation(data)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Email(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid email address."}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).strip().lower()


@overload
def parse(
    serializer_class: type[serializers.Serializer[Any]], data: object, *, many: Literal[True], **kwargs: Any
) -> list[dict[str, Any]]: ...


@overload
def parse(
    serializer_class: type[serializers.Serializer[Any]], data: object, *, many: Literal[False] = ..., **kwargs: Any
) -> dict[str, Any]: ...


def parse(serializer_class: type[serializers.Serializer[Any]], data: object, **kwargs: Any) -> Any:
    """The validated body, or a 400 naming every bad field (raised as DRF's ValidationError);
    with ``many=True``, the validated items."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Query strings ------------------------------------------------------------------------


def comma_list(value: object) -> list[str]:
    """A comma-separated query value (or a form's list) as its non-empty, trimmed items."""
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    return [item.strip() for item in str(value or "").split(",") if item.strip()]


def query_moment(params: Mapping[str, Any], name: str) -> datetime | None:
    """``params[name]`` as an aware date-time (ISO 8601; a date is its midnight UTC), None when
    absent; anything else is a 400 naming it."""
    value = str(params.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime(day.year, day.month, day.day)
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        moment = None
    if moment is None:
        raise InvalidInput(
            f"{name} must be an ISO 8601 date or date-time, got {value!r}.", errors={name: ["Not a date."]}
        )
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


def whole_number(value: object) -> int | None:
    """A whole number as sent (a path, query or form value), or None when it is not one that a
    bigint column can hold. ASCII digits only: "²" is a digit to ``str.isdigit()`` but not to
    ``int()``, and past 18 digits ``int()`` may refuse it (over 4,300) or PostgreSQL may (over
    a bigint)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def object_id(value: object) -> int | None:
    """An object's id as sent: the whole number, or None when it cannot be one (then nothing
    matches it: the caller answers 404)."""
    return whole_number(value)

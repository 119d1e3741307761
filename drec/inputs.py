"""Parsing request bodies: strict fields and one way to validate."""

from rest_framework import serializers


class Text(serializers.CharField):
    """A string field that refuses numbers, booleans, lists and objects (DRF's CharField
    would turn ``123`` into ``"123"``)."""

    default_error_messages = {"invalid": "Must be a string.", "nul": "Must not contain the NUL character."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data:
            self.fail("nul")
        return super().to_internal_value(data)


class Email(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid email address."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).strip().lower()


def parse(serializer_class: type[serializers.Serializer], data, **kwargs) -> dict:
    """The validated body, or a 400 naming every bad field (raised as DRF's ValidationError)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data

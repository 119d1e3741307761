"""A batch of reads' input is declared once (reads.fields): the API's body and the portal's
"Add Read" form take the same names, with the same choices, from that one declaration (the
form's batch fields in ReadForm, each read's in a ReadRowForm)."""

from django import forms as django_forms
from rest_framework import serializers

from reads import fields
from reads.api import ReadBatch, ReadIn, ReadsIn
from reads.forms import ReadForm, ReadRowForm
from reads.models import ReadType
from reads.services import UNIT_WH


def test_both_doors_take_every_declared_field_under_its_name():
    batch, read = [field.key for field in fields.BATCH], [field.key for field in fields.READ]
    assert batch == ["type", "unit", "timezone", "organizationId"]
    assert read == ["starttimestamp", "endtimestamp", "value"]
    assert list(ReadsIn().fields) == [*batch, "reads"]
    assert list(ReadBatch().fields) == [*batch, "reads"]
    assert list(ReadIn().fields) == read
    assert set(batch) <= set(ReadForm.base_fields)
    assert list(ReadRowForm.base_fields) == read


def test_both_doors_offer_the_same_choices():
    api, portal = ReadsIn().fields, ReadForm.base_fields
    for key, expected in (("type", ReadType.values), ("unit", list(UNIT_WH))):
        assert isinstance(api[key], serializers.ChoiceField)
        assert list(api[key].choices) == expected
        assert isinstance(portal[key], django_forms.ChoiceField)
        assert [value for value, _label in portal[key].choices] == expected


def test_what_each_door_requires():
    api, one_read = ReadsIn().fields, ReadIn().fields
    portal = {**ReadForm.base_fields, **ReadRowForm.base_fields}
    assert [key for key, field in api.items() if field.required] == ["type", "unit", "reads"]
    assert [key for key, field in one_read.items() if field.required] == ["endtimestamp", "value"]
    # The portal's times are wall times: it always asks for the zone (and, when it shows it, the organization).
    assert not portal["starttimestamp"].required
    assert all(portal[key].required for key in ("type", "unit", "timezone", "organizationId", "endtimestamp", "value"))


def test_the_portal_sends_the_service_a_read_as_the_api_takes_it():
    batch = {"externalId": "Roof-1", "timezone": "Asia/Kolkata", "type": "History", "unit": "kWh"}
    read = {"value": "2.5", "starttimestamp": "2024-01-01T10:00", "endtimestamp": "2024-01-01T11:30"}
    assert ReadForm(batch, timezones=["Asia/Kolkata"]).is_valid()
    form = ReadRowForm(read)
    assert form.is_valid(), form.errors
    assert form.read("History") == {
        "starttimestamp": "2024-01-01 10:00:00",
        "endtimestamp": "2024-01-01 11:30:00",
        "value": "2.5",
    }
    # A History read without a start still reaches the service, which says what is missing.
    form = ReadRowForm({**read, "starttimestamp": ""})
    assert form.is_valid(), form.errors
    assert form.read("History") == {"endtimestamp": "2024-01-01 11:30:00", "value": "2.5"}
    # Only History reads have a start; further reads are named r1-value, r2-value...
    assert form.read("Delta") == {"endtimestamp": "2024-01-01 11:30:00", "value": "2.5"}
    second = ReadRowForm({f"r1-{key}": value for key, value in read.items()}, index=1)
    assert second.is_valid(), second.errors
    assert second.read("History")["starttimestamp"] == "2024-01-01 10:00:00"

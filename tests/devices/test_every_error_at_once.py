"""A device form says everything at once (SPEC §10, issue 16 must-show 3): one submit shows every
bad field's error next to that field, in the field's words, the form's own refusals (a number
that is not one) together with the rules' (range, dates, the External ID taken); the API names
them all in one answer too."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from devices.models import Device
from tests.devices.helpers import DEVICE_URL, device_body, device_make
from tests.devices.helpers import card as device_card
from tests.organizations.helpers import assert_error

pytestmark = pytest.mark.django_db

FUTURE = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def developer(client_for, developer_admin):
    """An API client of the direct developer organization's admin."""
    return client_for(developer_admin)


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def card(prefix: str = "d0", **overrides) -> dict:
    """A registration card whose External ID is not yet taken, unless overridden."""
    return device_card(prefix, **{"externalId": "Portal-9", **overrides})


def errors_by_field(page: str) -> dict[str, list[str]]:
    """Each input's name → the error texts shown right after it, before the next field's label."""
    found = {}
    for match in re.finditer(
        r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"(.*?)(?=<label|<legend|</section>)', page, re.S
    ):
        errors = re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>', match.group(2), re.S)
        if errors:
            found[match.group(1)] = [html.unescape(error.strip()) for error in errors]
    return found


def alerts(page: str) -> list[str]:
    return [html.unescape(text.strip()) for text in re.findall(r'role="alert">(.*?)</div>', page, re.S)]


def test_a_device_with_four_bad_fields_shows_four_errors_after_one_submit(tenants):
    device_make(tenants.developer_org, "Portal-1")
    browser = browser_of(tenants.developer_admin)
    bad = card(latitude="123", commissioningDate=FUTURE, capacity="0", externalId="PORTAL-1")

    response = browser.post("/device/add", {"action": "submit", "count": 1, **bad})

    assert response.status_code == 200
    assert errors_by_field(response.content.decode()) == {
        "d0-latitude": ["Latitude must be between -90 and 90."],
        "d0-commissioningDate": ["The commissioning date must not be in the future."],
        "d0-capacity": ["Capacity should be greater than 0"],
        "d0-externalId": ["A device with this External ID already exists in this organization."],
    }
    assert Device.objects.count() == 1


def test_a_value_the_form_cannot_read_is_named_with_the_rules_problems(tenants):
    """A word where a number goes is the form's refusal; the other fields' rules still speak."""
    device_make(tenants.developer_org, "Portal-1")
    browser = browser_of(tenants.developer_admin)
    bad = card(longitude="east", latitude="-91", capacity="-3", externalId="Portal-1", address="")

    page = browser.post("/device/add", {"action": "submit", "count": 1, **bad}).content.decode()

    assert errors_by_field(page) == {
        "d0-longitude": ["Longitude must be a number."],
        "d0-latitude": ["Latitude must be between -90 and 90."],
        "d0-capacity": ["Capacity should be greater than 0"],
        "d0-externalId": ["A device with this External ID already exists in this organization."],
        "d0-address": ["Address is required."],
    }
    assert "digits" not in page
    assert Device.objects.count() == 1


def test_the_organization_problem_goes_on_top_and_the_fields_keep_theirs(tenants):
    """An api user who picked no organization: that goes on top, the card's errors next to its fields."""
    browser = browser_of(tenants.api_user)
    bad = card(latitude="123", capacity="0", commissioningDate=FUTURE)

    page = browser.post("/device/add", {"action": "submit", "count": 1, **bad}).content.decode()

    assert any("organization" in alert.lower() for alert in alerts(page))
    assert set(errors_by_field(page)) == {"d0-latitude", "d0-capacity", "d0-commissioningDate"}
    assert not Device.objects.exists()


def test_every_card_shows_its_errors_in_the_same_submit(tenants):
    browser = browser_of(tenants.developer_admin)
    data = {
        "action": "submit",
        "count": 2,
        **card("d0", latitude="95"),
        **card("d1", externalId="Portal-10", capacity="0", longitude="200"),
    }

    page = browser.post("/device/add", data).content.decode()

    assert errors_by_field(page) == {
        "d0-latitude": ["Latitude must be between -90 and 90."],
        "d1-capacity": ["Capacity should be greater than 0"],
        "d1-longitude": ["Longitude must be between -180 and 180."],
    }
    assert not Device.objects.exists()


def test_the_edit_form_shows_three_errors_after_one_submit(tenants):
    device = device_make(tenants.developer_org, "Portal-1")
    device_make(tenants.developer_org, "Portal-2")
    browser = browser_of(tenants.developer_admin)
    bad = card("", externalId="portal-2", latitude="123", capacity="-1")

    response = browser.post(f"/device/edit/{device.pk}", bad)

    assert response.status_code == 200
    assert errors_by_field(response.content.decode()) == {
        "latitude": ["Latitude must be between -90 and 90."],
        "capacity": ["Capacity should be greater than 0"],
        "externalId": ["A device with this External ID already exists in this organization."],
    }
    device.refresh_from_db()
    assert device.external_id == "Portal-1"


def test_too_many_decimal_places_and_too_large_a_number_are_said_in_words(tenants):
    browser = browser_of(tenants.developer_admin)
    bad = card(latitude="18.1234567891", capacity="123456789012")

    page = browser.post("/device/add", {"action": "submit", "count": 1, **bad}).content.decode()

    assert errors_by_field(page) == {
        "d0-latitude": ["Latitude can have at most 9 decimal places."],
        "d0-capacity": ["Capacity(kW) must be less than 100,000,000,000."],
    }


def test_the_api_names_every_problem_in_one_answer(developer, developer_org):
    """The same rules through the API: one 400 naming each bad field, the taken External ID with them."""
    device_make(developer_org, "SHS-0001")
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()

    response = developer.post(
        DEVICE_URL, device_body(latitude=123, capacity=0, commissioningDate=tomorrow), format="json"
    )

    body = assert_error(response, 400, "latitude", "capacity", "commissioningDate", "externalId")
    assert body["errors"]["latitude"] == ["Latitude must be between -90 and 90."]
    assert "Latitude must be between -90 and 90." in body["message"]
    assert "capacity" in body["message"]
    assert Device.objects.count() == 1


def test_the_api_answers_a_taken_external_id_alone_with_409(developer, developer_org):
    device_make(developer_org, "SHS-0001")
    body = assert_error(developer.post(DEVICE_URL, device_body(), format="json"), 409, "externalId")
    assert body["errors"]["externalId"] == ["A device with this External ID already exists in this organization."]


def test_an_error_in_the_more_details_panel_opens_it_with_the_others(tenants):
    browser = browser_of(tenants.developer_admin)
    bad = card(latitude="123", qualityLabels="x" * 300)

    page = browser.post("/device/add", {"action": "submit", "count": 1, **bad}).content.decode()

    assert errors_by_field(page)["d0-qualityLabels"] == ["Quality Labels can have at most 255 characters (it has 300)."]
    assert "d0-latitude" in errors_by_field(page)
    assert re.search(r"<details[^>]*\bopen>", page)

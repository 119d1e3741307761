"""The meter-read refusals and confirmation in people's words (SPEC §10, issue 16 item 3): dates as
people read them in the read's zone (never ISO strings), the plausibility cap said as what the read
adds and what the device allows, and no "!!". The API's error body carries the same words."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from reads import services
from tests.reads.expect import at, cap_wh, send
from tests.reads.helpers import ONBOARDED, device_onboarded

pytestmark = pytest.mark.django_db

IST = timedelta(hours=5, minutes=30)


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api(client_for, developer_admin):
    return client_for(developer_admin)


def field_errors(page: str, name: str) -> list[str]:
    match = re.search(rf'name="{re.escape(name)}".*?(?=<label|</form>)', page, re.S)
    assert match, f"no field {name}"
    return [html.unescape(text) for text in re.findall(r'<div class="invalid-feedback">(.*?)</div>', match.group(0))]


def read_form(external_id: str, local_end: str, value: str = "2") -> dict:
    """The Add Read form, its end a wall time in India."""
    return {
        "externalId": external_id,
        "timezone": "Asia/Kolkata",
        "type": "Delta",
        "unit": "kWh",
        "value": value,
        "endtimestamp": local_end,
    }


def test_a_read_before_onboarding_names_both_moments_for_people(developer_admin, api):
    device_onboarded(developer_admin.organization, "Roof-1")  # onboarded 1 Jan 2024, 00:00 UTC

    page = browser_of(developer_admin).post("/reads/add", read_form("Roof-1", "2023-12-31T12:00")).content.decode()

    assert field_errors(page, "endtimestamp") == [
        "The read's end time (31 Dec 2023, 12:00 IST) must be after the device's onboarding date "
        "(1 Jan 2024, 05:30 IST)."
    ]
    assert "2024-01-01T" not in page
    assert "endtimestamp 20" not in page

    errors = send(
        api,
        developer_admin.organization.devices.get(),
        "Delta",
        [{"endtimestamp": "2023-12-31T12:00:00+03:00", "value": 5}],
    ).json()["errors"]
    assert errors[0]["message"] == (
        "The read's end time (31 Dec 2023, 12:00 UTC+03:00) must be after the device's onboarding date "
        "(1 Jan 2024, 03:00 UTC+03:00)."
    )


def test_a_read_over_the_cap_says_what_it_adds_and_what_the_device_allows(developer_admin, api):
    device = device_onboarded(developer_admin.organization, "Roof-1")  # 5 kW
    services.reads_ingest(
        device=device, read_type="Delta", unit="Wh", timezone_name=None, reads=[at(ONBOARDED + timedelta(hours=1), 1)]
    )
    allowed = f"{int(cap_wh(device, 10) - 1e-9):,}"  # ten hours since the previous read; the cap itself is refused

    end = ONBOARDED + timedelta(hours=11) + IST
    page = browser_of(developer_admin).post("/reads/add", read_form("Roof-1", end.strftime("%Y-%m-%dT%H:%M"), "1000"))
    assert field_errors(page.content.decode(), "value") == [
        "This read adds 1,000,000 Wh since the previous read (1 Jan 2024, 06:30 IST), more than the device's "
        f"capacity could produce in that time (at most {allowed} Wh)."
    ]

    errors = send(api, device, "Delta", [at(ONBOARDED + timedelta(hours=11), 999_999)]).json()["errors"]
    assert errors[0]["message"] == (
        "This read adds 999,999 Wh since the previous read (1 Jan 2024, 01:00 UTC), more than the device's "
        f"capacity could produce in that time (at most {allowed} Wh)."
    )
    assert "MaxEnergy" not in str(errors)


def test_an_added_read_is_confirmed_without_exclamation_marks(developer_admin):
    device_onboarded(developer_admin.organization, "Roof-1", onboarded=datetime.now(UTC) - timedelta(days=10))
    end = (datetime.now(UTC) - timedelta(days=1) + IST).strftime("%Y-%m-%dT%H:%M")

    page = browser_of(developer_admin).post("/reads/add", read_form("Roof-1", end), follow=True).content.decode()

    assert "Read added: 2 kWh for Roof-1." in page
    assert "!!" not in page

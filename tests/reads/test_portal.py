"""Portal screens of meter reads and yield configuration (ui.md §4.6, §3.29), with Django's
test client: the add-read form's flow and its errors, the read list, the generation chart and
who may see which."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from devices.models import Device
from reads import services
from reads.models import MeterRead, YieldConfig
from reservations.models import Reservation, ReservationDevice
from tests.organizations.helpers import managed_create, member_create
from tests.reads.helpers import device_onboarded

pytestmark = pytest.mark.django_db


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_error(html: str, name: str) -> str:
    """The error text shown under the input named ``name`` ('' when none)."""
    match = re.search(rf'name="{re.escape(name)}".*?(?=<label|</form>)', html, re.S)
    assert match, f"no field {name}"
    return " ".join(re.findall(r'<div class="invalid-feedback">(.*?)</div>', match.group(0), re.S))


def recent_device(organization, external_id="Roof-1"):
    """A device onboarded ten days ago (so ongoing reads can be added now)."""
    return device_onboarded(organization, external_id, onboarded=timezone.now() - timedelta(days=10))


def local(moment: datetime) -> str:
    """``moment`` as the form's datetime-local value in the device's zone (India, +05:30)."""
    return timezone.localtime(moment, timezone=timezone.get_fixed_timezone(330)).strftime("%Y-%m-%dT%H:%M")


def read_form(external_id: str, end: datetime, value="2", **overrides) -> dict:
    form = {
        "externalId": external_id,
        "timezone": "Asia/Kolkata",
        "type": "Delta",
        "unit": "kWh",
        "value": value,
        "endtimestamp": local(end),
    }
    form.update(overrides)
    return form


def test_a_developer_adds_reads_in_local_time(developer_admin):
    device = recent_device(developer_admin.organization)
    browser = browser_of(developer_admin)
    end = (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)

    response = browser.post("/reads/add", read_form("roof-1", end), follow=True)

    assert "Read added: 2 kWh for Roof-1." in response.content.decode()
    read = MeterRead.objects.get(device=device)
    assert (read.end, read.value_wh, read.is_baseline) == (end, 2000, True)
    device.refresh_from_db()
    assert (device.meter_read_type, device.timezone) == ("Delta", "Asia/Kolkata")


def test_the_form_shows_each_refusal_next_to_its_field_and_stores_nothing(developer_admin):
    recent_device(developer_admin.organization)
    browser = browser_of(developer_admin)
    future = timezone.now() + timedelta(days=2)

    html = browser.post("/reads/add", read_form("Roof-1", future)).content.decode()
    assert "is in the future" in field_error(html, "endtimestamp")

    # The rules are the service's, as the API states them (the form restates none of them).
    html = browser.post("/reads/add", read_form("Roof-1", timezone.now(), type="History")).content.decode()
    assert "A History read needs a start time." in field_error(html, "starttimestamp")

    end = timezone.now() - timedelta(days=20)
    history = read_form("Roof-1", end, type="History", starttimestamp=local(end + timedelta(hours=1)))
    html = browser.post("/reads/add", history).content.decode()
    assert "The start time must be before the end time." in field_error(html, "starttimestamp")

    html = browser.post("/reads/add", read_form("Roof-1", timezone.now(), value="-2")).content.decode()
    assert "The value must be greater than 0." in field_error(html, "value")

    html = browser.post("/reads/add", read_form("Nope-9", timezone.now())).content.decode()
    assert "No device Nope-9 here" in field_error(html, "externalId")
    assert not MeterRead.objects.exists()


def test_a_history_read_is_added_with_its_start(developer_admin):
    device = device_onboarded(developer_admin.organization, "Old-1", onboarded=datetime(2024, 1, 1, tzinfo=UTC))
    browser = browser_of(developer_admin)
    form = read_form(
        "Old-1",
        datetime(2023, 6, 2, tzinfo=UTC),
        type="History",
        starttimestamp=local(datetime(2023, 6, 1, tzinfo=UTC)),
        value="3",
    )

    browser.post("/reads/add", form)

    read = MeterRead.objects.get(device=device)
    assert (read.read_type, read.start, read.end, read.value_wh) == (
        "History",
        datetime(2023, 6, 1, tzinfo=UTC),
        datetime(2023, 6, 2, tzinfo=UTC),
        3000,
    )


def test_api_users_pick_their_organization_first_and_never_reach_another_tenants(api_user, other_api_user):
    managed, _ = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    foreign, _ = managed_create(other_api_user, name="Far Away Solar", email="far@example.com")
    recent_device(managed, "Mine-1")
    recent_device(foreign, "Theirs-1")
    browser = browser_of(api_user)

    html = browser.get("/reads/add").content.decode()
    assert "Select the Developer organization" in html
    assert 'name="externalId"' not in html
    assert "Sunrise Homes" in html
    assert "Far Away Solar" not in html

    html = browser.get("/reads/add", {"organizationId": managed.pk}, headers={"HX-Request": "true"}).content.decode()
    assert '<option value="Mine-1">' in html
    assert "Theirs-1" not in html

    end = timezone.now() - timedelta(hours=1)
    refused = browser.post("/reads/add", {**read_form("Theirs-1", end), "organizationId": foreign.pk})
    assert refused.status_code == 404  # as POST /api/meter-reads/new/{externalId} answers
    browser.post("/reads/add", {**read_form("Mine-1", end), "organizationId": managed.pk})
    assert list(MeterRead.objects.values_list("device__external_id", flat=True)) == ["Mine-1"]


def test_the_read_list_shows_a_period_newest_first_with_paging(developer_admin):
    device = recent_device(developer_admin.organization)
    first = timezone.now() - timedelta(days=5)
    reads = [{"endtimestamp": (first + timedelta(hours=n)).isoformat(), "value": 100 + n} for n in range(25)]
    services.reads_ingest(device=device, read_type="Delta", unit="Wh", timezone_name=None, reads=reads)
    browser = browser_of(developer_admin)

    html = browser.get("/reads/All", {"externalId": "Roof-1"}).content.decode()
    values = re.findall(r'<td class="text-end">(\d+)</td>', html)
    assert values[:3] == ["124", "123", "122"]
    assert len(values) == 20
    assert "25 reads" in html
    assert "Total Pages: 2" in html

    html = browser.get("/reads/All", {"externalId": "Roof-1", "pageNumber": 2}).content.decode()
    assert re.findall(r'<td class="text-end">(\d+)</td>', html) == [str(104 - n) for n in range(5)]

    before_onboarding = (device.created_at - timedelta(days=1)).date()
    html = browser.get("/reads/All", {"externalId": "Roof-1", "end": before_onboarding.isoformat()}).content.decode()
    assert "No Read found in this period" in html


def test_the_read_list_does_not_reach_other_organizations(developer_admin):
    from tests.factories import OrganizationFactory

    rival = OrganizationFactory(name="Rival Solar")
    theirs = recent_device(rival, "Rival-1")
    browser = browser_of(developer_admin)

    assert "No device Rival-1 here" in browser.get("/reads/All", {"externalId": "Rival-1"}).content.decode()
    assert browser.get("/reads/All", {"device": theirs.pk}).status_code == 200
    assert 'data-testid="reads"' not in browser.get("/reads/All", {"device": theirs.pk}).content.decode()
    assert browser.get(f"/device/view/{theirs.pk}/generation").status_code == 404


def test_the_generation_chart_sums_energy_per_local_day(developer_admin):
    device = recent_device(developer_admin.organization)
    midnight = timezone.localtime(timezone=timezone.get_fixed_timezone(330)).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - timedelta(days=3)
    reads = [{"endtimestamp": (midnight + timedelta(hours=h)).isoformat(), "value": 1000} for h in (1, 2, 23, 24, 25)]
    services.reads_ingest(device=device, read_type="Delta", unit="Wh", timezone_name=None, reads=reads)
    browser = browser_of(developer_admin)
    day = midnight.date()

    html = browser.get(
        f"/device/view/{device.pk}/generation", {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    ).content.decode()

    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"text-end\">(\d+)</td></tr>", html)
    # A read ending at midnight counts for the day before; the first read (the baseline) counts too.
    assert [value for _, value in rows] == ["4000", "1000"]
    assert "Total 5.000 kWh over 2 days" in html

    html = browser.get(f"/device/view/{device.pk}/generation", {"start": "2024-01-01", "end": "2026-01-01"}).content
    assert "Choose at most 366 days" in html.decode()


def test_buyers_see_the_chart_of_reserved_devices_only(developer_admin, buyer):
    from organizations.services import organization_access_grant

    organization_access_grant(user=buyer, organization=buyer.organization)
    reserved, other = recent_device(developer_admin.organization), recent_device(developer_admin.organization, "R-2")
    reservation = Reservation.objects.create(
        name="Buyer's first",
        organization=buyer.organization,
        buyer=buyer,
        start=timezone.now() - timedelta(days=30),
        end=timezone.now() + timedelta(days=30),
        expiry=timezone.now() + timedelta(days=90),
        frequency="daily",
        target_wh=1_000_000,
    )
    ReservationDevice.objects.create(reservation=reservation, device=reserved, covers_from=reservation.start)
    browser = browser_of(buyer)

    assert browser.get(f"/device/view/{reserved.pk}/generation").status_code == 200
    assert browser.get(f"/device/view/{other.pk}/generation").status_code == 404
    assert 'id="generation-title"' in browser.get(f"/device/view/{reserved.pk}").content.decode()
    assert 'id="generation-title"' not in browser.get(f"/device/view/{other.pk}").content.decode()


def test_reads_menu_follows_the_roles(developer_admin, buyer):
    member = member_create(developer_admin.organization, email="viewer@example.com", role=Role.USER)
    menus = {}
    for user in (developer_admin, member, buyer):
        html = browser_of(user).get("/dashboard").content.decode()
        menus[user.role] = ("All Reads" in html, "Add MeterRead" in html)
    assert menus == {"OrganizationAdmin": (True, True), "User": (True, False), "Buyer": (False, False)}
    assert browser_of(member).get("/reads/add").status_code == 403


def test_the_super_admin_configures_country_yields(admin_user, developer_admin):
    browser = browser_of(admin_user)
    html = browser.post("/admin/yield/add", {"countryCode": "IND", "yieldValue": "1500", "status": "Y"}, follow=True)
    assert "Yield of India saved: 1500" in html.content.decode()
    config = YieldConfig.objects.get()
    assert (config.country_id, config.yield_value, config.created_by) == ("IND", 1500, admin_user)

    html = browser.post("/admin/yield/add", {"countryCode": "IND", "yieldValue": "900", "status": "Y"}).content
    assert "already configured for India" in html.decode()
    html = browser.post("/admin/yield/add", {"countryCode": "KEN", "yieldValue": "0", "status": "Y"}).content
    assert "Must be greater than 0." in field_error(html.decode(), "yieldValue")  # the API's rule and words

    browser.post(f"/admin/yield/edit/{config.pk}", {"countryCode": "KEN", "yieldValue": "1700", "status": "N"})
    config.refresh_from_db()
    assert (config.country_id, config.yield_value, config.status) == ("IND", 1700, "N")  # the country stays
    assert "Inactive" in browser.get("/admin/yield/list").content.decode()

    assert browser_of(developer_admin).get("/admin/yield/list").status_code == 403
    assert "All Yield" not in browser_of(developer_admin).get("/dashboard").content.decode()
    assert Device.objects.count() == 0

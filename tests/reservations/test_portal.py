"""Portal screens of reservations (ui.md §3.25-3.26, §4.3) with Django's test client: the
add form's steps (filter, review, confirm), errors next to their fields, the list with its
filters and progress, the detail page's change and end, and who may see what."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Role
from devices.models import Device
from organizations.services import organization_access_grant
from reservations.models import Reservation, ReservationDevice
from tests.devices.helpers import device_make
from tests.organizations.helpers import managed_create, member_create

pytestmark = pytest.mark.django_db


def browser_of(user) -> Client:
    organization_access_grant(user=user, organization=user.organization)
    client = Client()
    client.force_login(user)
    return client


def reservation_form(*device_ids, **overrides) -> dict:
    form = {
        "name": "Schools 2026",
        "targetCapacityInMegaWattHour": "5",
        "reservationStartDate": "2026-01-01T00:00",
        "reservationEndDate": "2026-12-31T00:00",
        "frequency": "daily",
        "authorityToExceed": "true",
        "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation": "true",
        "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration": "true",
        "deviceIds": [str(pk) for pk in device_ids],
        "action": "create",
    }
    form.update(overrides)
    return form


def field_error(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}".*?(?=<label|<legend|</section>)', html, re.S)
    assert match, f"no field {name}"
    return " ".join(re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>', match.group(0), re.S))


def table(response) -> str:
    match = re.search(r'data-testid="reservations".*?</table>', response.content.decode(), re.S)
    assert match
    return match.group(0)


@pytest.fixture
def devices(developer_admin):
    return [device_make(developer_admin.organization, f"Roof-{n}", capacity=10) for n in range(3)]


def test_submit_opens_the_confirmation_and_continue_reserves(buyer, devices):
    browser = browser_of(buyer)
    review = browser.post("/add/reservation", reservation_form(devices[0].pk, devices[1].pk, action="review"))
    html = review.content.decode()
    assert 'role="dialog"' in html
    assert "2 devices (20 kW)" in html
    assert not Reservation.objects.exists()

    done = browser.post("/add/reservation", reservation_form(devices[0].pk, devices[1].pk), follow=True)
    assert "Reservation added." in done.content.decode()
    reservation = Reservation.objects.get()
    assert (reservation.organization, reservation.buyer, reservation.frequency) == (buyer.organization, buyer, "daily")
    assert set(reservation.devices.all()) == {devices[0], devices[1]}
    assert reservation.start == datetime(2026, 1, 1, tzinfo=UTC)


def test_without_devices_or_with_bad_dates_nothing_is_reserved(buyer, devices):
    browser = browser_of(buyer)
    html = browser.post("/add/reservation", reservation_form(action="review")).content.decode()
    assert "Please select at least one device" in html
    assert 'role="dialog"' not in html

    html = browser.post(
        "/add/reservation", reservation_form(devices[0].pk, reservationEndDate="2025-12-01T00:00", action="review")
    ).content.decode()
    assert "The end must be after the start" in field_error(html, "reservationEndDate")
    assert not Reservation.objects.exists()


def test_an_unreachable_target_says_what_the_devices_could_reach(buyer, devices):
    browser = browser_of(buyer)
    form = reservation_form(
        devices[0].pk,
        targetCapacityInMegaWattHour="500",
        continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration="false",
    )
    html = browser.post("/add/reservation", form).content.decode()
    assert "Target Capacity Cannot be reached" in html
    assert "could reach 87.360 MWh at most" in html  # 10 kW x 8,736 h
    assert not Reservation.objects.exists()


def test_selections_survive_filtering_and_reserved_devices_are_not_offered(buyer, devices):
    browser = browser_of(buyer)
    Device.objects.filter(pk=devices[2].pk).update(country_id="KEN")
    html = browser.post(
        "/add/reservation", {**reservation_form(devices[0].pk, action="filter"), "f-country": "KEN"}
    ).content.decode()
    table = re.search(r'data-testid="devices".*?</table>', html, re.S).group(0)
    assert "Roof-2" in table
    assert "Roof-0" not in table
    assert f'<input type="hidden" name="selectedIds" value="{devices[0].pk}">' in html  # still selected
    assert "Selected: 1 device (10 kW)" in html

    browser.post("/add/reservation", reservation_form(devices[0].pk))
    html = browser.get("/add/reservation").content.decode()
    assert "Roof-0" not in html
    assert "Roof-1" in html


def test_api_users_choose_one_of_their_buyer_organizations(api_user, other_api_user, devices):
    buyer_org, _ = managed_create(api_user, name="Moon Buyers", organization_type="Buyer", email="moon@example.com")
    managed_create(other_api_user, name="Far Buyers", organization_type="Buyer", email="far@example.com")
    theirs = device_make(
        managed_create(api_user, name="Sun Farms", email="sun@example.com")[0], "Managed-1", capacity=10
    )
    browser = browser_of(api_user)

    html = browser.get("/add/reservation").content.decode()
    assert "Moon Buyers" in html
    assert "Far Buyers" not in html
    assert "Select the Buyer organization first" in html

    html = browser.post("/add/reservation", {"organizationId": buyer_org.pk, "action": "filter"}).content.decode()
    assert "Managed-1" in html
    assert "Roof-0" not in html  # a direct developer's device: another tenant

    browser.post("/add/reservation", {**reservation_form(theirs.pk, devices[0].pk), "organizationId": buyer_org.pk})
    reservation = Reservation.objects.get()
    assert reservation.organization == buyer_org
    assert list(reservation.devices.all()) == [theirs]


def test_the_list_filters_and_shows_progress_towards_the_target(buyer, devices):
    browser = browser_of(buyer)
    browser.post("/add/reservation", reservation_form(devices[0].pk, name="Alpha"))
    browser.post("/add/reservation", reservation_form(devices[1].pk, name="Beta"))
    Reservation.objects.filter(name="Alpha").update(requested_wh=2_500_000)  # half of 5 MWh issued

    html = table(browser.get("/myreservation"))
    assert html.index("Beta") < html.index("Alpha")  # newest first
    assert 'aria-valuenow="50"' in html
    assert "2.5 MWh · 50 %" in " ".join(html.split())

    html = table(browser.get("/myreservation", {"name": "alp"}))
    assert "Alpha" in html
    assert "Beta" not in html
    html = browser.get("/myreservation", {"start_date": "2026-01-01"}).content.decode()
    assert "End date should be required" in html


def test_the_buyer_changes_then_ends_a_reservation(buyer, sub_buyer, devices, developer_admin):
    browser = browser_of(buyer)
    browser.post("/add/reservation", reservation_form(devices[0].pk))
    reservation = Reservation.objects.get()
    url = f"/reservation/{reservation.pk}"

    change = {
        "name": "Schools 2026 (extended)",
        "targetCapacityInMegaWattHour": "8",
        "reservationEndDate": "2027-03-31T00:00",
        "reservationExpiryDate": "2027-06-30T00:00",
        "authorityToExceed": "false",
    }
    assert "updated" in browser.post(url, change, follow=True).content.decode()
    reservation.refresh_from_db()
    assert (reservation.name, reservation.target_wh, reservation.authority_to_exceed) == (
        "Schools 2026 (extended)",
        8_000_000,
        False,
    )
    assert reservation.end == datetime(2027, 3, 31, tzinfo=UTC)

    # A developer whose device is reserved sees the reservation but cannot change it.
    developer_browser = browser_of(developer_admin)
    assert developer_browser.get(url).status_code == 403  # no reservation grant for developers
    assert browser_of(sub_buyer).get(url).status_code == 200

    browser.post(url, {"action": "end"})
    reservation.refresh_from_db()
    assert reservation.is_active is False
    assert not ReservationDevice.objects.filter(is_active=True).exists()
    html = browser.get(url).content.decode()
    assert "Ended" in html
    assert "Roof-0" in html  # the devices it held stay listed
    assert 'value="end"' not in html


def test_other_organizations_reservations_are_not_found(buyer, devices):
    from tests.factories import OrganizationFactory

    browser_of(buyer).post("/add/reservation", reservation_form(devices[0].pk))
    reservation = Reservation.objects.get()
    rival_org = OrganizationFactory(name="Rival Buyers", organization_type="Buyer")
    rival = member_create(rival_org, email="rival@example.com", role=Role.BUYER)
    rival_browser = browser_of(rival)
    assert rival_browser.get(f"/reservation/{reservation.pk}").status_code == 404
    assert rival_browser.post(f"/reservation/{reservation.pk}", {"action": "end"}).status_code == 404
    assert "No Reservation Found" in rival_browser.get("/myreservation").content.decode()
    reservation.refresh_from_db()
    assert reservation.is_active


def test_a_sub_buyer_may_not_make_reservations(sub_buyer, devices):
    browser = browser_of(sub_buyer)
    assert browser.get("/add/reservation").status_code == 403
    assert browser.post("/add/reservation", reservation_form(devices[0].pk)).status_code == 403
    assert not Reservation.objects.exists()

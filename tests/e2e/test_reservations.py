"""Buyer reservations in Chromium: a buyer picks devices, answers the confirmation dialog of
the seed (a7a17b21) and finds the reservation in My Reservation List."""

from playwright.sync_api import expect

from devices.models import Device
from reservations.models import Reservation
from tests.devices.helpers import device_make


def test_reserve_devices_through_the_confirmation_dialog(page, login, snap, buyer, developer_admin):
    from organizations.services import organization_access_grant

    organization_access_grant(user=buyer, organization=buyer.organization)
    for number in range(3):
        device_make(developer_admin.organization, f"Roof-{number}", capacity=50)

    login(buyer.email)
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Add Reservation").click()
    expect(page.get_by_role("heading", name="Make A Reservation")).to_be_visible()
    page.get_by_label("Name").fill("Village schools 2026")
    page.get_by_label("Target Capacity(MWh)").fill("20")
    page.get_by_label("Start Date (UTC)").fill("2026-01-01T00:00")
    page.get_by_label("End Date (UTC)").fill("2026-12-31T00:00")
    page.get_by_label("Frequency").select_option("monthly")
    page.get_by_label("Select Roof-0").check()
    page.get_by_label("Select Roof-2").check()
    expect(page.get_by_test_id("devices").locator("tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Submit").click()

    dialog = page.get_by_role("dialog", name="Reservation")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("2 devices (100 kW)")
    expect(dialog.get_by_text("Continue reservation if some devices are unavailable:")).to_be_visible()
    snap("confirmation-dialog")
    dialog.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("status")).to_contain_text("Reservation added.")
    reservation = Reservation.objects.get()
    assert sorted(reservation.devices.values_list("external_id", flat=True)) == ["Roof-0", "Roof-2"]
    assert reservation.frequency == "monthly"
    assert reservation.target_wh == 20_000_000

    menu.get_by_role("link", name="Reservations").click()
    expect(page.get_by_role("heading", name="My Reservation List")).to_be_visible()
    row = page.get_by_test_id("reservations").locator("tbody tr").first
    expect(row).to_contain_text("Village schools 2026")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("monthly")
    expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    snap("my-reservations")

    # The reserved devices are no longer offered; the third one still is.
    menu.get_by_role("link", name="Add Reservation").click()
    expect(page.get_by_test_id("devices").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("devices")).to_contain_text("Roof-1")
    assert Device.objects.count() == 3

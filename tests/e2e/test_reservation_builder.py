"""Make A Reservation as a builder, in Chromium at 1366 px and 390 px: search by External ID,
"select all" over every matching device (two pages here), the sticky selection summary
following each tick, the filters' checkbox dropdowns, and the reservation made."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from devices.models import Device
from reservations import views
from reservations.models import Reservation
from tests.devices.helpers import device_make


@pytest.mark.parametrize("viewport_width", [1366, 390])
def test_filter_select_all_and_reserve(page, login, snap, page_checks, buyer, developer_admin, monkeypatch):
    from organizations.services import organization_access_grant

    organization_access_grant(user=buyer, organization=buyer.organization)
    monkeypatch.setattr(views, "DEVICE_PAGE", 2)  # three matching devices: two pages
    for number in range(1, 4):
        device_make(developer_admin.organization, f"BULK-00000{number}", capacity=Decimal(50))
    device_make(developer_admin.organization, "Roof-1", capacity=Decimal(5), offTaker="School")

    login(buyer.email)
    page.goto("/add/reservation")
    expect(page.get_by_role("heading", name="Make A Reservation")).to_be_visible()
    page.get_by_label("Name").fill("Bulk homes 2026")
    page.get_by_label("Target Capacity(MWh)").fill("500")  # 10 days: 150 kW reach 36 MWh at most
    page.get_by_label("Start Date (UTC)").fill("2026-01-01T00:00")
    page.get_by_label("End Date (UTC)").fill("2026-01-11T00:00")
    summary = page.get_by_test_id("selection-summary")
    expect(summary).to_contain_text("Selected: 0 devices")

    # The other filters wait behind "More filters"; their multiple choices are checkbox dropdowns.
    page.get_by_text("More filters").click()
    off_taker = page.locator("fieldset", has=page.get_by_text("Off Taker", exact=True))
    expect(off_taker.locator("summary")).to_contain_text("Any")
    off_taker.locator("summary").click()
    off_taker.get_by_label("School").check()
    expect(off_taker.locator("summary")).to_contain_text("School")
    off_taker.get_by_label("School").uncheck()
    expect(off_taker.locator("summary")).to_contain_text("Any")
    page.keyboard.press("Escape")

    page.get_by_label("Search devices").fill("bulk")
    page.get_by_role("button", name="Filter", exact=True).click()
    devices = page.get_by_test_id("devices")
    expect(devices.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("matching")).to_contain_text("3 devices match")
    # The External ID is never cut, on a phone either: the table scrolls inside its card.
    external_id = devices.get_by_text("BULK-000003", exact=True)
    expect(external_id).to_be_visible()
    assert external_id.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    box = external_id.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= page.viewport_size["width"]

    page.get_by_label("Select all 3 matching devices").check()
    expect(summary).to_contain_text("Selected: 3 devices (150 kW)")  # the device on page 2 too
    expect(summary).to_contain_text("up to 36 MWh over the period at full capacity, target 500 MWh")
    expect(summary).to_contain_text("(below the target)")
    snap("all-selected")
    page.get_by_label("Select BULK-000003").uncheck()
    expect(summary).to_contain_text("Selected: 2 devices (100 kW)")
    expect(page.get_by_label("Select all 3 matching devices")).not_to_be_checked()
    page.get_by_label("Target Capacity(MWh)").fill("20")
    expect(summary).to_contain_text("up to 24 MWh over the period at full capacity, target 20 MWh")
    expect(summary).not_to_contain_text("below the target")
    page.get_by_label("Select all 3 matching devices").check()
    expect(summary).to_contain_text("Selected: 3 devices (150 kW)")
    # The summary stays on screen at the bottom while the page scrolls.
    page.mouse.wheel(0, -5000)
    expect(summary).to_be_in_viewport()

    page.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name="Reservation")
    expect(dialog).to_contain_text("3 devices (150 kW)")
    dialog.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Reservation Bulk homes 2026")).to_be_visible()
    expect(page.get_by_test_id("issuance")).to_contain_text("waiting to be certified")
    reservation = Reservation.objects.get()
    assert sorted(reservation.devices.values_list("external_id", flat=True)) == [
        "BULK-000001",
        "BULK-000002",
        "BULK-000003",
    ]
    assert Device.objects.count() == 4
    snap("reserved")
    assert page_checks.failures == []


@pytest.mark.parametrize("viewport_width", [1366, 390])
def test_device_list_filters_are_checkbox_dropdowns(page, login, snap, developer_admin):
    from organizations.services import organization_access_grant

    organization_access_grant(user=developer_admin, organization=developer_admin.organization)
    device_make(developer_admin.organization, "School-1", offTaker="School")
    device_make(developer_admin.organization, "Clinic-1", offTaker="Health Facility")
    device_make(developer_admin.organization, "Home-1", offTaker="Residential")

    login(developer_admin.email)
    page.goto("/device/AllList")
    table = page.get_by_test_id("devices")
    expect(table).to_contain_text("Home-1")
    off_taker = page.locator("fieldset", has=page.get_by_text("Off Taker", exact=True))
    off_taker.locator("summary").click()
    # Two choices, one click each: no Ctrl.
    off_taker.get_by_label("School").check()
    off_taker.get_by_label("Health Facility").check()
    expect(off_taker.locator("summary")).to_contain_text("2 selected")
    expect(table).not_to_contain_text("Home-1")
    expect(table).to_contain_text("School-1")
    expect(table).to_contain_text("Clinic-1")
    snap("off-taker-dropdown-open")
    page.get_by_role("heading", level=1).click()  # a click outside closes it
    expect(off_taker.get_by_label("School")).to_be_hidden()
    assert "offTaker=School" in page.url

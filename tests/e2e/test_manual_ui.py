"""The seed user manual's UI part ("DREC API User Manual - UI", Steps 1-4) end to end in
Chromium, in the manual's order: the seeded admin signs in and manages ACL modules and role
permissions; a Developer and an api user register (the api user downloads its key and asks
for permissions, which the admin approves); the api user then runs its organizations,
devices, reads, permissions, a reservation and its certificates.

The journey runs at 1366 px and on a 390 px phone. Every page load is saved under
``var/screenshots/test_manual_ui_journey[<width>]/``; ``snap`` saves the states no page load
shows (the opened create form, HTMX re-draws, the confirmation dialog). Each of them is
checked on the way (``page_checks``: no sideways scroll, the heading in the first screen of
the phone, no serious or critical axe-core violation) and the failures listed at the end.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role, User
from certificates.models import Certificate
from certificates.services import certificates_issue_due
from devices.benchmarks import device_csv
from devices.models import CsvJob, Device
from organizations.models import Organization
from reservations.models import Reservation

PASSWORD = "Sunlight-2026"
API_EMAIL = "integrator@example.com"
KOLKATA = timezone.get_fixed_timezone(330)  # Asia/Kolkata, the zone of a device in India


def settle(page) -> None:
    """The page has loaded and its screenshot is saved (see conftest: ``drec_recorder``)."""
    page.wait_for_load_state()
    page.drec_recorder.drain(page)


def open_menu(page):
    """The side menu; on a phone (under 992 px) it is opened first with its toggle."""
    page.wait_for_load_state()  # the toggle works once the page's script runs (deferred)
    toggle = page.get_by_role("button", name="Menu", exact=True)
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    return page.get_by_role("navigation", name="Main menu")


def menu_link(page, name: str) -> None:
    """A click in the side menu."""
    open_menu(page)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name=name, exact=True).click()
    settle(page)


def logout(page) -> None:
    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", name="Login to account")).to_be_visible()


def register(page, *, first: str, email: str, organization_type: str, organization: str) -> None:
    """The three steps of "Register new account", up to (not including) Submit."""
    page.goto("/register")
    expect(page.get_by_role("heading", name="Register new account")).to_be_visible()
    page.get_by_label("First Name").fill(first)
    page.get_by_label("Last Name").fill("Rao")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Organization Type").select_option(organization_type)
    page.get_by_label("Organization Name").fill(organization)
    page.get_by_label("Organization Address").fill("Bangalore")
    page.get_by_role("button", name="Next").click()
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_label("Confirm Password").fill(PASSWORD)


def admin_sets_api_user_status(page, login, snap, status: str, shot: str) -> None:
    """All ApiUser → Permissions Status → "Update status" dialog (seed #10-#12)."""
    login(settings.DREC_ADMIN_EMAIL, settings.DREC_ADMIN_PASSWORD)
    menu_link(page, "All ApiUser")
    expect(page.get_by_role("heading", name="All Api Users")).to_be_visible()
    row = page.get_by_test_id("api-users").locator("tr", has_text=API_EMAIL)
    row.get_by_role("link", name="Permissions Status").click()
    expect(page.get_by_role("heading", name="Api User Permission")).to_be_visible()
    opener = page.get_by_text("Update status")
    dialog = page.get_by_role("dialog", name="Apiuser Permission Verification")
    # The popover closes with Esc (the focus back on its button) and with a click outside.
    opener.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    opener.click()
    expect(dialog).to_be_visible()
    # Outside the popover whatever the screen: on a phone it covers the user details below it.
    page.locator("footer").click()
    expect(dialog).to_be_hidden()
    opener.click()
    expect(dialog).to_contain_text("Apiuser Permission Verification of Ishaan Rao")
    dialog.get_by_label("Permission").select_option(status)
    expect(dialog.get_by_role("button", name="Submit")).to_be_in_viewport(ratio=1)
    snap(shot)
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("permission-status")).to_have_text(status)
    logout(page)


@pytest.mark.parametrize("viewport_width", [1366, 390])
def test_manual_ui_journey(page, login, snap, tmp_path, page_checks):
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    # --- Step 1: the super admin exists (seeded by the migrations) and signs in ----------------
    login(settings.DREC_ADMIN_EMAIL, settings.DREC_ADMIN_PASSWORD)
    expect(open_menu(page)).to_contain_text("Admin")

    # --- Step 2: ACL modules with CRUDL permissions, and role permissions ----------------------
    menu_link(page, "ACL Module")
    expect(page.get_by_role("heading", name="ACL Module List")).to_be_visible()
    expect(page.get_by_test_id("acl-modules")).to_contain_text("READS_MANAGEMENT_CRUDL")  # seeded
    page.get_by_text("Create ACLModule").click()
    create = page.locator("form", has=page.locator("input[name=action][value=create]"))
    create.get_by_label("Name").fill("REPORT_EXPORT_CRUDL")
    create.get_by_label("Description").fill("ACL Module Name for report exports")
    for verb in ("Read", "Write", "Delete", "Update"):
        create.get_by_label(verb, exact=True).check()
    snap("step2-create-acl-module")
    create.get_by_role("button", name="Submit").click()
    row = page.get_by_test_id("acl-modules").locator("tr", has_text="REPORT_EXPORT_CRUDL")
    expect(row).to_contain_text("Read,Write,Update,Delete")
    expect(row).to_contain_text("Enable")

    menu_link(page, "User Role Permission")
    expect(page.get_by_role("heading", name="User Role Permission")).to_be_visible()
    page.get_by_label("UserRole").select_option("OrganizationAdmin")
    page.wait_for_url(re.compile(r"role="))
    matrix_row = page.locator("tr[data-matrix-row]", has_text="REPORT_EXPORT_CRUDL")
    matrix_row.get_by_label("REPORT_EXPORT_CRUDL").check()
    matrix_row.get_by_label("Delete").uncheck()
    snap("step2-add-role-permission")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("Role permissions saved.")
    grant_row = page.get_by_test_id("role-permissions").locator("tr", has_text="REPORT_EXPORT_CRUDL")
    expect(grant_row).to_contain_text("OrganizationAdmin")
    expect(grant_row).to_contain_text("Read,Write,Update")
    logout(page)

    # --- Step 3: registration, Developer/Buyer then ApiUser ------------------------------------
    register(page, first="Asha", email="asha@sundevs.example", organization_type="Developer", organization="Sun Devs")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_test_id("role")).to_have_text("Developer organization admin")
    logout(page)

    register(page, first="Ishaan", email=API_EMAIL, organization_type="ApiUser", organization="Integrator X")
    snap("step3-security-info")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Submit").click()
    download = download_info.value
    assert download.suggested_filename == "private_key.pem"
    download.save_as(tmp_path / "private_key.pem")
    assert (tmp_path / "private_key.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    # The one-time key page stays until the api user says the key is saved (issue 16 item 4).
    expect(page.get_by_role("heading", name="Your private key")).to_be_visible()
    snap("step3-private-key")
    page.get_by_label("I have saved my key").check()
    page.get_by_role("button", name="Continue to the permission request").click()
    page.wait_for_url("**/apiuser/permission/request/form")
    expect(page.get_by_role("heading", name="Module Permission Request Form")).to_be_visible()
    page.get_by_label("Select all modules").check()
    snap("step3-permission-request-all-ticked")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Api User Permission")).to_be_visible()
    expect(page.get_by_test_id("permission-status")).to_have_text("Request")
    expect(page.get_by_test_id("grants").locator("tr[data-module=DEVICE_MANAGEMENT_CRUDL]")).to_contain_text("Inactive")
    logout(page)

    admin_sets_api_user_status(page, login, snap, "Active", "step3-update-status-dialog")

    login(API_EMAIL, PASSWORD)
    menu_link(page, "My Permission")
    expect(page.get_by_test_id("permission-status")).to_have_text("Active")
    expect(page.get_by_test_id("grants")).not_to_contain_text("Inactive")

    # --- Step 4, Organization: two managed organizations, All Users, All Organizations ---------
    for first, email, kind, name in (
        ("User1", "user1@apiuser.example", "Developer", "apiuser1_org"),
        ("User2", "user2@apiuser.example", "Buyer", "user2apiuser_org"),
    ):
        menu_link(page, "Add Organization")
        expect(page.get_by_role("heading", name="Add Organization")).to_be_visible()
        page.get_by_label("First Name").fill(first)
        page.get_by_label("Last Name").fill("apiuser")
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Organization Type").select_option(kind)
        page.get_by_label("Organization Name").fill(name)
        page.get_by_label("Organization Address").fill("user1add")
        snap(f"step4-add-organization-{kind.lower()}")
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("status")).to_contain_text(f"Organization {name}")
    users = page.get_by_test_id("users")
    expect(users).to_contain_text("user1@apiuser.example")
    expect(users).to_contain_text("user2@apiuser.example")
    assert User.objects.get(email="user2@apiuser.example").role == Role.BUYER
    developer = Organization.objects.get(name="apiuser1_org")
    buyer = Organization.objects.get(name="user2apiuser_org")

    menu_link(page, "All Users")
    expect(page.get_by_test_id("users")).to_contain_text("OrganizationAdmin")
    menu_link(page, "All Organizations")
    organizations = page.get_by_test_id("organizations")
    expect(organizations.locator("tbody tr")).to_have_count(2)
    page.get_by_label("Organization").press_sequentially("user2", delay=20)
    expect(organizations.locator("tbody tr")).to_have_count(1)
    snap("step4-all-organizations-filtered")

    # --- Step 4, Device: add one, list, bulk upload --------------------------------------------
    menu_link(page, "Add Devices")
    expect(page.get_by_role("heading", name="Device Registration")).to_be_visible()
    page.get_by_label("Organization").select_option(label="apiuser1_org")
    page.get_by_label("Project Name").fill("P1")
    page.get_by_label("External ID").fill("D1")
    page.get_by_label("Country").select_option("IND")
    page.get_by_label("Commissioning Date (UTC)").fill("2024-12-26T17:33")
    page.get_by_label("Capacity(kW)").fill("100")
    page.get_by_label("Address").fill("local1")
    page.get_by_label("Latitude").fill("23")
    page.get_by_label("Longitude").fill("29")
    page.get_by_label("Fuel Code").select_option(label="Solar")
    page.get_by_label("Device Type Code").select_option(label="PV Aggregated")
    page.get_by_label("SDG Benefits").select_option(["SDG2", "SDG5"])
    page.get_by_text("Add More Details").click()
    page.get_by_label("Off Taker").select_option("School")
    snap("step4-add-device")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="My Devices")).to_be_visible()
    expect(page.get_by_test_id("devices")).to_contain_text("D1")
    device = Device.objects.get(external_id="D1")
    assert device.organization == developer
    # The device was onboarded ten days ago: its reads can then fill closed windows.
    Device.objects.filter(pk=device.pk).update(created_at=timezone.now() - timedelta(days=10))

    menu_link(page, "Bulk Upload")
    expect(page.get_by_role("heading", name="Device Bulk Registration")).to_be_visible()
    csv_path = tmp_path / "devices.csv"
    csv_path.write_bytes(device_csv(3, prefix="BULK"))
    page.get_by_label("Organization").select_option(label="apiuser1_org")
    page.get_by_label("CSV file").set_input_files(csv_path)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("completed: 3 devices created")  # processed inline in tests
    expect(page.get_by_test_id("job-status").first).to_have_text("Completed")
    expect(page.get_by_test_id("jobs")).to_contain_text("3 created")
    assert CsvJob.objects.get().organization == developer
    page.get_by_role("link", name="Logs").click()
    page.wait_for_load_state()

    menu_link(page, "My Devices")
    expect(page.get_by_test_id("devices").locator("tbody tr")).to_have_count(4)

    # --- Step 4, Read: choose the organization first, then the read; the read list ------------
    menu_link(page, "Add MeterRead")
    expect(page.get_by_role("heading", name="Add Read")).to_be_visible()
    expect(page.get_by_label("External ID")).to_have_count(0)
    page.get_by_label("Organization").select_option(label="apiuser1_org")
    expect(page.get_by_label("External ID")).to_be_visible()
    page.get_by_label("External ID").fill("D1")
    page.get_by_label("External ID").dispatch_event("change")
    expect(page.get_by_test_id("device-summary")).to_contain_text("read type not set yet")
    expect(page.get_by_label("Select Timezone")).to_have_value("Asia/Kolkata")
    local_day = timezone.localtime(timezone=KOLKATA).replace(hour=0, minute=0, second=0, microsecond=0)
    for days_ago, value in ((4, "1"), (3, "5")):  # a baseline, then 5 kWh in a closed day
        page.get_by_label("Read Type").select_option("Delta")
        page.get_by_label("Unit").select_option("kWh")
        page.get_by_label("Meter Read").fill(value)
        page.get_by_label("End Datetime").fill((local_day - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M"))
        if days_ago == 3:
            snap("step4-add-read-filled")
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("status")).to_contain_text("Read added:")

    menu_link(page, "All Reads")
    expect(page.get_by_role("heading", name="Meter Read List")).to_be_visible()
    page.get_by_label("Organization").select_option(label="apiuser1_org")
    page.wait_for_url(re.compile(r"organizationId="))  # the form is re-drawn with its devices (HTMX)
    page.get_by_label("External ID").fill("D1")
    page.get_by_role("button", name="Filter").click()
    reads = page.get_by_test_id("reads")
    expect(reads.locator("tbody tr")).to_have_count(2)
    expect(reads.locator("tbody tr").first).to_contain_text("5000")
    snap("step4-read-list")

    # --- Step 4, Permission: edit an approved permission; inactive until approved again --------
    menu_link(page, "My Permission")
    page.get_by_role("link", name="Edit INVITATION_MANAGEMENT_CRUDL").click()
    form = page.get_by_role("form", name="Edit module permission")
    form.get_by_label("Delete").uncheck()
    form.get_by_role("button", name="Update").click()
    invitation_row = page.get_by_test_id("grants").locator("tr[data-module=INVITATION_MANAGEMENT_CRUDL]")
    expect(invitation_row).to_contain_text("Inactive")
    expect(invitation_row).not_to_contain_text("Delete")
    logout(page)
    admin_sets_api_user_status(page, login, snap, "Active", "step4-update-status-again")
    login(API_EMAIL, PASSWORD)
    menu_link(page, "My Permission")
    expect(page.get_by_test_id("grants").locator("tr[data-module=INVITATION_MANAGEMENT_CRUDL]")).to_contain_text(
        "Active"
    )

    # --- Step 4, Add Reservation: organization, fields, devices, the confirmation dialog -------
    menu_link(page, "Add Reservation")
    expect(page.get_by_role("heading", name="Make A Reservation")).to_be_visible()
    expect(page.get_by_test_id("devices")).to_have_count(0)  # the organization comes first
    page.get_by_label("Organization").select_option(label="user2apiuser_org")
    devices = page.get_by_test_id("devices")
    expect(devices.locator("tbody tr")).to_have_count(4)  # the devices its tenant may reserve
    settle(page)
    page.get_by_label("Name").fill("newBuyerreservation")
    page.get_by_label("Target Capacity(MWh)").fill("1")
    page.get_by_label("Start Date (UTC)").fill((today - timedelta(days=6)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("End Date (UTC)").fill((today + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Frequency").select_option("daily")
    page.get_by_label("Select D1").check()
    page.get_by_label("Select BULK-000000").check()
    page.get_by_role("button", name="Submit").click()
    dialog = page.get_by_role("dialog", name="Reservation")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("2 devices (102.5 kW)")
    snap("step4-reservation-confirm-dialog")
    dialog.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("status")).to_contain_text("Reservation added.")
    reservation = Reservation.objects.get()
    assert reservation.organization == buyer

    menu_link(page, "Reservations")
    expect(page.get_by_role("heading", name="My Reservation List")).to_be_visible()
    row = page.get_by_test_id("reservations").locator("tbody tr").first
    expect(row).to_contain_text("newBuyerreservation")
    expect(row).to_contain_text("Active")

    # --- Step 4, Certificate: issuance of the closed windows, then the certificate pages -------
    assert certificates_issue_due() == 1
    certificate = Certificate.objects.get()
    assert certificate.energy_wh == 5000
    page.reload()
    page.get_by_role("link", name="Certificates of newBuyerreservation").click()
    expect(page.get_by_role("heading", name="Reservation Name: newBuyerreservation")).to_be_visible()
    card = page.get_by_test_id("certificate").first
    expect(card.get_by_test_id("owned")).to_contain_text("5 kWh unclaimed")
    card.get_by_text("Per Single Device Contribution For Certificate").click()
    snap("step4-reservation-certificates-open")

    menu_link(page, "Certificate")
    expect(page.get_by_role("heading", name="All Certificate")).to_be_visible()
    page.get_by_role("radio", name="Buyer").check()
    page.get_by_label("Organization").select_option(label="user2apiuser_org")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("certificate")).to_have_count(1)
    snap("step4-all-certificates-buyer")
    assert datetime.now(UTC) > certificate.generation_end

    settle(page)
    assert page_checks.failures == []

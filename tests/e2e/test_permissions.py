"""The permission request and approval cycle in Chromium (seed Step 3 and Step 4 Permission):
an api user's API call is refused until the super admin approves its request, and again after
the api user edits the approved permission, until the admin approves once more."""

from django.conf import settings
from playwright.sync_api import expect

from tests.factories import PASSWORD


def devices_call(page, token: str) -> int:
    return page.request.get("/api/device/my", headers={"Authorization": f"Bearer {token}"}).status


def approve(page, login, api_user) -> None:
    login(settings.DREC_ADMIN_EMAIL, settings.DREC_ADMIN_PASSWORD)
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="All ApiUser").click()
    row = page.get_by_test_id("api-users").locator("tr", has_text=api_user.email)
    row.get_by_role("link", name="Permissions Status").click()
    page.get_by_text("Update status").click()
    dialog = page.get_by_role("dialog", name="Apiuser Permission Verification")
    expect(dialog).to_contain_text(f"Apiuser Permission Verification of {api_user.get_full_name()}")
    dialog.get_by_label("Permission").select_option("Active")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("permission-status")).to_have_text("Active")
    page.get_by_test_id("logout").click()


def test_request_approve_edit_reapprove(page, login, api_user):
    response = page.request.post("/api/auth/login", data={"username": api_user.email, "password": PASSWORD})
    token = response.json()["accessToken"]

    # The api user asks for Read and Write on devices.
    login(api_user.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Permission Request").click()
    row = page.locator("tr[data-matrix-row]", has_text="DEVICE_MANAGEMENT_CRUDL").first
    row.get_by_label("Read").check()
    row.get_by_label("Write").check()
    page.get_by_role("button", name="Submit").click()
    grants = page.get_by_test_id("grants")
    expect(grants.locator("tr[data-module=DEVICE_MANAGEMENT_CRUDL]")).to_contain_text("Read,Write")
    expect(grants.locator("tr[data-module=DEVICE_MANAGEMENT_CRUDL]")).to_contain_text("Inactive")
    expect(page.get_by_test_id("permission-status")).to_have_text("Request")
    page.get_by_test_id("logout").click()
    assert devices_call(page, token) == 403

    # The super admin approves in the update-status dialog: the call passes.
    approve(page, login, api_user)
    assert devices_call(page, token) == 200

    # The api user narrows the permission: it waits for approval again.
    login(api_user.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My Permission").click()
    page.get_by_role("link", name="Edit DEVICE_MANAGEMENT_CRUDL").click()
    form = page.get_by_role("form", name="Edit module permission")
    form.get_by_label("Write").uncheck()
    form.get_by_role("button", name="Update").click()
    device_row = page.get_by_test_id("grants").locator("tr[data-module=DEVICE_MANAGEMENT_CRUDL]")
    expect(device_row).to_contain_text("Read")
    expect(device_row).to_contain_text("Inactive")
    expect(page.get_by_test_id("permission-status")).to_have_text("Request")
    page.get_by_test_id("logout").click()
    assert devices_call(page, token) == 403

    approve(page, login, api_user)
    assert devices_call(page, token) == 200

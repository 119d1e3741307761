"""The permission request and approval cycle in Chromium (seed Step 3 and Step 4 Permission):
an api user's API call is refused until the super admin approves its request, and again after
the api user edits the approved permission, until the admin approves once more."""

from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.test_registration import fill_registration
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


def test_the_private_key_page_stays_until_the_key_is_saved(page, tmp_path):
    """Issue 16 item 4: the one-time key page no longer leaves after 0.8 s; the download can be
    repeated (the same key, from the page's memory) until "I have saved my key"."""
    fill_registration(page, email="keeper@example.com", organization_type="ApiUser", organization="Key Keepers")
    with page.expect_download() as first:
        page.get_by_role("button", name="Submit").click()
    first.value.save_as(tmp_path / "first.pem")
    expect(page.locator("[data-key-status]")).to_contain_text("Your key was downloaded as private_key.pem")

    page.wait_for_timeout(1500)  # the old page had left by now
    assert page.url.endswith("/apiuser/key")
    expect(page.get_by_test_id("key-warning")).to_contain_text("You get this key only once.")

    with page.expect_download() as second:
        page.get_by_role("button", name="Download private_key.pem again").click()
    second.value.save_as(tmp_path / "second.pem")
    pem = (tmp_path / "first.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "second.pem").read_bytes() == pem

    # Continuing needs the box ticked; then on to the permission request, which recalls the key.
    page.get_by_role("button", name="Continue to the permission request").click()
    assert page.url.endswith("/apiuser/key")
    page.get_by_label("I have saved my key").check()
    page.get_by_role("button", name="Continue to the permission request").click()
    page.wait_for_url("**/apiuser/permission/request/form")
    expect(page.get_by_test_id("key-reminder")).to_contain_text("private key you downloaded when you registered")

    # The key is gone: the page sends on, the download is refused.
    page.goto("/apiuser/key")
    page.wait_for_url("**/apiuser/permission/request/form")
    response = page.request.post("/apiuser/key/private_key.pem", headers={"Referer": page.url})
    assert response.status in (403, 410)


def test_the_admin_sees_waiting_requests_from_the_menu_badge(page, login, api_user):
    """Issue 16 item 10: the badge leads to the requests, listed without pressing Filter; the
    dialog names the api user by its email and organization."""
    login(api_user.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Permission Request").click()
    row = page.locator("tr[data-matrix-row]", has_text="DEVICE_MANAGEMENT_CRUDL").first
    row.get_by_label("Read").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("permission-status")).to_have_text("Request")
    page.get_by_test_id("logout").click()

    login(settings.DREC_ADMIN_EMAIL, settings.DREC_ADMIN_PASSWORD)
    expect(page.get_by_test_id("pending-requests")).to_contain_text("1 api user is waiting for your approval.")
    menu = page.get_by_role("navigation", name="Main menu")
    link = menu.get_by_role("link", name="ApiUser Permission", exact=True)
    expect(link.get_by_test_id("menu-badge")).to_have_text("1 api user waiting for approval")  # "1" shows
    expect(link).to_have_accessible_description("1 api user waiting for approval")
    link.click()
    waiting = page.get_by_test_id("pending-requests").locator("tr", has_text=api_user.email)
    expect(waiting).to_contain_text("DEVICE_MANAGEMENT_CRUDL")
    waiting.get_by_role("link", name="Review").click()
    page.get_by_text("Update status").click()
    dialog = page.get_by_role("dialog", name="Apiuser Permission Verification")
    expect(dialog.get_by_test_id("verify-api-user")).to_contain_text(api_user.email)
    expect(dialog.get_by_test_id("verify-api-user")).to_contain_text(api_user.organization.name)
    dialog.get_by_label("Permission").select_option("Active")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("permission-status")).to_have_text("Active")
    expect(menu.get_by_test_id("menu-badge")).to_have_count(0)

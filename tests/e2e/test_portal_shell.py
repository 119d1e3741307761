"""The portal shell in Chromium: login, side menu, logout, error page."""

from django.conf import settings
from playwright.sync_api import expect


def test_admin_logs_in_and_sees_the_side_menu(page, login, live_server):
    login(settings.DREC_ADMIN_EMAIL, settings.DREC_ADMIN_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/dashboard")
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_contain_text(settings.DREC_ADMIN_EMAIL)
    expect(menu).to_contain_text("Admin")
    expect(menu.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(menu.get_by_role("link", name="API documentation")).to_be_visible()
    expect(menu.get_by_role("link", name="Django admin")).to_be_visible()
    expect(page.get_by_test_id("organizations-by-type")).to_contain_text("Admin")


def test_member_menu_and_logout(page, login, developer_admin):
    login(developer_admin.email)
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_contain_text("Developer organization admin")
    expect(menu.get_by_role("link", name="Django admin")).to_have_count(0)
    expect(page.get_by_test_id("organization")).to_have_text("Sunny Developers")

    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", name="Login to account")).to_be_visible()
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Login to account")).to_be_visible()


def test_wrong_password_shows_the_error_next_to_the_form(page, login, developer_admin):
    login(developer_admin.email, "not-the-password-1")
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page.get_by_label("Email")).to_have_value(developer_admin.email)


def test_unknown_page_is_shown_in_the_layout(page, login, buyer):
    login(buyer.email)
    response = page.goto("/no/such/page")
    assert response.status == 404
    expect(page.get_by_role("heading", name="404 · Page not found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()

"""The portal's shell on a phone and from the keyboard (issue 16): the side menu behind a
toggle under 992 px, a skip link first, tables that scroll inside their card."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD


@pytest.mark.parametrize("viewport_width", [390])
def test_on_a_phone_the_menu_opens_and_closes_with_its_toggle(page, login, developer_admin):
    login(developer_admin.email)
    toggle = page.get_by_role("button", name="Menu", exact=True)
    menu = page.locator("#side-menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "side-menu")
    expect(menu).to_be_hidden()
    # The page's heading is in the first screen, not under the menu.
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="My Devices")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    menu.get_by_role("link", name="My Devices").click()
    expect(page.get_by_role("heading", name="My Devices")).to_be_visible()
    expect(menu).to_be_hidden()  # closed again on the next page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_wide_screen_the_menu_is_open_and_the_toggle_hidden(page, login, developer_admin):
    login(developer_admin.email)
    expect(page.get_by_role("button", name="Menu", exact=True)).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My Devices")).to_be_visible()


@pytest.mark.parametrize("viewport_width", [390])
def test_without_javascript_the_menu_stays_reachable(browser, live_server, developer_admin, viewport_width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": viewport_width, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill(developer_admin.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Login").click()
        expect(page.get_by_role("button", name="Menu", exact=True)).to_be_hidden()
        expect(page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My Devices")).to_be_visible()
    finally:
        context.close()


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page, login, developer_admin):
    login(developer_admin.email)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while it has the focus
    page.keyboard.press("Enter")
    expect(page.locator("#content")).to_be_focused()
    page.keyboard.press("Tab")
    # The next stop is after the content's start, not one of the menu's links.
    assert not page.evaluate("document.getElementById('side-menu').contains(document.activeElement)")
    assert page.evaluate("document.activeElement !== document.body")

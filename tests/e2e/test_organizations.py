"""Organizations in Chromium (seed Step 4 Organization, ui.md §3.8-3.15)."""

import re
from urllib.parse import urlparse

from playwright.sync_api import expect

from accounts.models import Role, User
from organizations.models import Organization


def add_organization(page, *, first: str, email: str, organization_type: str, name: str) -> None:
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Add Organization").click()
    expect(page.get_by_role("heading", name="Add Organization")).to_be_visible()
    page.get_by_label("First Name").fill(first)
    page.get_by_label("Last Name").fill("Kumar")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Organization Type").select_option(organization_type)
    page.get_by_label("Organization Name").fill(name)
    page.get_by_label("Organization Address").fill("Pune")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text(f"Organization {name}")


def test_api_user_adds_organizations_and_finds_them(page, login, api_user, grant, developer_org):
    grant(api_user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read")
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    grant(api_user, "ADMIN_APIUSER_ORGANIZATION_CRUDL", "Read")
    login(api_user.email)

    add_organization(
        page, first="Ravi", email="ravi@solarfarm.example", organization_type="Developer", name="Solar Farm Pune"
    )
    add_organization(
        page, first="Meera", email="meera@greenbuy.example", organization_type="Buyer", name="Green Buy Pune"
    )
    assert Organization.objects.get(name="Solar Farm Pune").api_user == api_user.api_user
    assert User.objects.get(email="meera@greenbuy.example").role == Role.BUYER

    # All Organizations lists only its own organizations; typing part of a name filters them.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="All Organizations").click()
    table = page.get_by_test_id("organizations")
    expect(table).to_contain_text("Solar Farm Pune")
    expect(table).to_contain_text("Green Buy Pune")
    expect(table).not_to_contain_text(developer_org.name)
    page.get_by_label("Organization").press_sequentially("farm", delay=30)
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Solar Farm Pune")
    expect(page).to_have_url(re.compile(r"organizationName=farm"))

    # Its users: from the organization row, and in All Users.
    table.get_by_role("link", name="All Users").click()
    expect(page.get_by_test_id("organization-details")).to_contain_text("Solar Farm Pune")
    expect(page.get_by_test_id("users")).to_contain_text("ravi@solarfarm.example")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="All Users").click()
    users = page.get_by_test_id("users")
    expect(users).to_contain_text("ravi@solarfarm.example")
    expect(users).to_contain_text("meera@greenbuy.example")
    page.get_by_label("Organization").select_option(label="Green Buy Pune")
    page.get_by_role("button", name="Filter").click()
    expect(users).to_contain_text("meera@greenbuy.example")
    expect(users).not_to_contain_text("ravi@solarfarm.example")


def test_invitee_joins_through_the_emailed_link(page, login, developer_admin, mailoutbox):
    login(developer_admin.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Invitation").click()
    page.get_by_label("First Name").fill("Nila")
    page.get_by_label("Last Name").fill("Das")
    page.get_by_label("Email").fill("nila@example.com")
    page.get_by_label("Role").select_option("DeviceOwner")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("invitations")).to_contain_text("nila@example.com")
    expect(page.get_by_test_id("invitations")).to_contain_text("Pending")
    page.get_by_test_id("logout").click()

    (message,) = [mail for mail in mailoutbox if mail.to == ["nila@example.com"]]
    assert "password" not in message.body.lower().split("choose", 1)[0]  # no password is ever sent
    link = urlparse(re.search(r"http\S+acceptInvitaion\S+", message.body).group(0))
    assert link.path == "/user/acceptInvitaion"
    link = f"{link.path}?{link.query}"  # the live server's address instead of DREC_PUBLIC_URL
    page.goto(link)
    expect(page.get_by_test_id("invitation-organization")).to_have_text("Sunny Developers")
    expect(page.get_by_test_id("invitation-role")).to_have_text("DeviceOwner")
    page.get_by_label(re.compile(r"^Password")).fill("Nila-Sun-2026")
    page.get_by_label("Confirm Password").fill("Nila-Sun-2026")
    page.get_by_role("button", name="Accept and join").click()
    expect(page.get_by_role("heading", name="Login to account")).to_be_visible()

    login("nila@example.com", "Nila-Sun-2026")
    expect(page.get_by_test_id("organization")).to_have_text("Sunny Developers")
    expect(page.get_by_test_id("role")).to_have_text("Device owner")

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("heading", name="404 · Page not found")).to_be_visible()

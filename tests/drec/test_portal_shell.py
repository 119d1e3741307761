"""The portal shell: landing, menu per role, logout, error pages (Django test client)."""

import pytest
from django.conf import settings

from accounts.models import User
from drec.menu import menu_for


def labels(user) -> list[str]:
    names = []
    for entry in menu_for(user, "/dashboard"):
        names += [entry["item"]["label"]] if "item" in entry else [item["label"] for item in entry["items"]]
    return names


def test_visitors_are_sent_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login"
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=/dashboard")


def test_users_land_on_their_dashboard(client, persona):
    client.force_login(persona)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard"
    html = response.content.decode()
    assert persona.email in html
    assert f'data-testid="role">{persona.role_label}<' in html


def test_admin_dashboard_counts_the_platform(client, admin_user, developer_admin, buyer):
    client.force_login(admin_user)
    html = client.get("/dashboard").content.decode()
    assert 'data-testid="organizations-by-type"' in html
    by_role = html[html.index('data-testid="users-by-role"') :]
    assert "<td>Organization admin</td>" in by_role  # the roles in people's words
    assert "OrganizationAdmin" not in by_role
    assert "ACL modules: 15 enabled, 0 disabled." in html


def test_members_see_their_organization_only(client, developer_admin, device_owner, buyer):
    client.force_login(developer_admin)
    html = client.get("/dashboard").content.decode()
    assert "Members of Sunny Developers" in html
    assert device_owner.email in html
    assert buyer.email not in html
    assert 'data-testid="organizations-by-type"' not in html


BUYER_MENU = [
    "Dashboard",
    "My Organizations",
    "All Users",
    "Invitation",
    "Reservations",
    "Certificate",
    "Redemption Report",
    "Add Reservation",
    "Profile",
    "API documentation",
    "Webhooks",
]
# A SubBuyer follows its organization's reservations but does not make them (backend.md §9.1),
# nor sets up webhooks (the organization's admin's, SPEC §14).
SUB_BUYER_MENU = [item for item in BUYER_MENU if item not in ("Add Reservation", "Webhooks")]
DEVELOPER_MENU = [
    "Dashboard",
    "My Organizations",
    "All Users",
    "Invitation",
    "My Devices",
    "Add Devices",
    "Bulk Upload",
    "All Reads",
    "Add MeterRead",
    "Upload Reads",
    "Profile",
    "API documentation",
]
# The organization admin also follows the certificates its devices went into.
DEVELOPER_ADMIN_MENU = [*DEVELOPER_MENU[:10], "Certified MeterReads", *DEVELOPER_MENU[10:], "Webhooks"]
API_USER_MENU = ["Dashboard", "Permission Request", "My Permission", "Profile", "API documentation"]
EXPECTED_MENUS = {
    "admin_user": [
        "Dashboard",
        "My Organizations",
        "Add Organization",
        "All Organizations",
        "All Users",
        "All ApiUser",
        "All Devices",
        "Add Devices",
        "Bulk Upload",
        "All Reads",
        "Add MeterRead",
        "Upload Reads",
        "All Yield",
        "Add",
        "ACL Module",
        "User Role Permission",
        "ApiUser Permission",
        "Profile",
        "API documentation",
        "Django admin",
    ],
    # A new api user has no grant yet: only its permission pages.
    "api_user": API_USER_MENU,
    "other_api_user": API_USER_MENU,
    "developer_admin": DEVELOPER_ADMIN_MENU,
    "device_owner": DEVELOPER_MENU,
    "buyer": BUYER_MENU,
    "sub_buyer": SUB_BUYER_MENU,
}


@pytest.mark.parametrize("persona_name", list(EXPECTED_MENUS))
def test_each_persona_sees_exactly_its_menu(request, client, persona_name):
    user = request.getfixturevalue(persona_name)
    assert labels(user) == EXPECTED_MENUS[persona_name]
    # The rendered menu is the same list, and every link in it opens.
    client.force_login(user)
    html = client.get("/dashboard").content.decode()
    menu_html = html.split('aria-label="Main menu"', 1)[1].split("</nav>", 1)[0]
    for entry in menu_for(user, "/dashboard"):
        for item in [entry["item"]] if "item" in entry else entry["items"]:
            assert f'href="{item["url"]}"' in menu_html
            if not item["url"].startswith(("/django-admin/", "/swagger/")):
                assert client.get(item["url"]).status_code == 200, item["url"]


def test_menu_marks_the_current_page(admin_user):
    entries = menu_for(admin_user, "/dashboard")
    assert entries[0]["item"]["active"] is True
    assert all(not item["active"] for entry in entries[1:] for item in entry["items"])


def test_non_admins_cannot_open_django_admin(client, developer_admin):
    client.force_login(developer_admin)
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]


def test_logout_needs_a_post_with_csrf(db):
    from django.test import Client

    admin = User.objects.get(email=settings.DREC_ADMIN_EMAIL)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    assert browser.post("/logout").status_code == 403  # no CSRF token
    assert browser.get("/dashboard").status_code == 200
    page = browser.get("/dashboard").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = browser.post("/logout", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert browser.get("/dashboard").status_code == 302


def test_login_is_throttled_after_repeated_failures(client, developer_admin):
    from django.core.cache import cache

    from tests.factories import PASSWORD

    cache.clear()
    for _ in range(5):
        response = client.post("/login", {"login": developer_admin.email, "password": "wrong-password-1"})
        assert "The email address and/or password you specified are not correct." in response.content.decode()
    # Now even the right password is refused until the window passes.
    response = client.post("/login", {"login": developer_admin.email, "password": PASSWORD})
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_bare_allauth_signup_is_closed(client, db):
    response = client.post(
        "/accounts/signup/", {"email": "new@example.com", "password1": "Xy-12345678", "password2": "Xy-12345678"}
    )
    assert b"Sign Up Closed" in response.content
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("path", ["/accounts/email/", "/accounts/password/change/", "/accounts/3rdparty/"])
def test_allauth_pages_we_do_not_offer_are_not_routed(client, admin_user, path):
    client.force_login(admin_user)
    assert client.get(path).status_code == 404


def test_an_api_users_menu_grows_with_its_approved_grants(client, api_user, grant):
    grant(api_user, "ORGANIZATION_MANAGEMENT_CRUDL", "Read")
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    assert labels(api_user) == [
        "Dashboard",
        "My Organizations",
        "Add Organization",
        "All Organizations",
        "All Users",
        "Permission Request",
        "My Permission",
        "Profile",
        "API documentation",
    ]

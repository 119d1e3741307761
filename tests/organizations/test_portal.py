"""Portal screens of organizations, members and invitations (ui.md §3.6-3.14), through the
Django test client."""

import re

import pytest
from django.utils.html import escape

from accounts.models import Role, User
from organizations.models import Invitation, Organization, OrganizationType
from tests.organizations.conftest import API_USER_GRANTS
from tests.organizations.helpers import (
    STRONG_PASSWORD,
    invitation_link,
    managed_create,
    member_create,
    mentions_a_password,
    reset_token,
)

pytestmark = pytest.mark.django_db

MY_ORGANIZATION = "/organization/my/information"
INVITATIONS = "/organization/user/invitation"
ALL_ORGANIZATIONS = "/admin/All_organization"
ADMIN_ALL_USERS = "/admin/All_users"
API_ALL_USERS = "/apiuser/All_users"
ADMIN_ADD_USER = "/admin/add_user"
API_ADD_USER = "/apiuser/add_user"
ACCEPT = "/user/acceptInvitaion"


def organization_users(organization) -> str:
    return f"/admin/AllOrganization_users/{organization.pk}"


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def integrator(api_user, grant_api_user_modules):
    """The api user with approved grants, managing two organizations."""
    grant_api_user_modules(api_user)
    managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    managed_create(
        api_user, name="Moonlight Buyers", organization_type=OrganizationType.BUYER, email="moon@example.com"
    )
    return api_user


def html(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response.content.decode()


def table_rows(page: str, testid: str) -> str:
    match = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', page, re.DOTALL)
    assert match, f"no table {testid}"
    return match.group(0)


# --- Who may open which page -------------------------------------------------------------


def pages(organization) -> list[str]:
    return [
        MY_ORGANIZATION,
        INVITATIONS,
        ALL_ORGANIZATIONS,
        organization_users(organization),
        ADMIN_ALL_USERS,
        API_ALL_USERS,
        ADMIN_ADD_USER,
        API_ADD_USER,
    ]


def test_visitors_are_sent_to_the_login_page(client, developer_org):
    for url in pages(developer_org):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"/login?next={url}"), url


# (persona, pages it must not open): the declared rule leaves its role (or its grants) out.
EXCLUDED = [
    ("developer_admin", [ALL_ORGANIZATIONS, "users-of-own", ADMIN_ADD_USER, API_ADD_USER]),
    ("buyer", [ALL_ORGANIZATIONS, "users-of-own", ADMIN_ADD_USER, API_ADD_USER]),
    ("device_owner", [ALL_ORGANIZATIONS, ADMIN_ADD_USER, API_ADD_USER]),
    ("reader", [INVITATIONS, ALL_ORGANIZATIONS, ADMIN_ADD_USER]),
    ("integrator", [INVITATIONS]),
    ("ungranted_api_user", [MY_ORGANIZATION, ALL_ORGANIZATIONS, ADMIN_ALL_USERS, API_ALL_USERS, API_ADD_USER]),
]


@pytest.fixture
def reader(developer_org):
    return member_create(developer_org, email="reader@example.com", role=Role.USER)


@pytest.fixture
def ungranted_api_user(other_api_user):
    return other_api_user


@pytest.mark.parametrize(("persona", "urls"), EXCLUDED, ids=[persona for persona, _ in EXCLUDED])
def test_pages_answer_403_to_roles_their_rule_excludes(request, as_user, persona, urls):
    user = request.getfixturevalue(persona)
    client = as_user(user)
    for url in urls:
        url = organization_users(user.organization) if url == "users-of-own" else url
        assert client.get(url).status_code == 403, url
    # Posting does not get further either.
    organizations = Organization.objects.count()
    if ADMIN_ADD_USER in urls:
        form = {"firstName": "X", "lastName": "Y", "email": "x@example.com", "organizationType": "Developer"}
        assert client.post(ADMIN_ADD_USER, form | {"orgName": "Sneaky"}).status_code == 403
    if INVITATIONS in urls:
        # Guarded by POST /api/invitation's rule; the api user's own organization takes no
        # invitations there, so the form says so, as the API refuses it.
        assert client.post(INVITATIONS, {"email": "x@example.com", "role": "User"}).status_code in (200, 403)
    assert Organization.objects.count() == organizations
    assert not Invitation.objects.exists()
    assert not User.objects.filter(email="x@example.com").exists()


@pytest.mark.parametrize(
    ("persona", "urls"),
    [
        ("developer_admin", [MY_ORGANIZATION, INVITATIONS, ADMIN_ALL_USERS]),
        ("reader", [MY_ORGANIZATION, ADMIN_ALL_USERS]),
        ("sub_buyer", [MY_ORGANIZATION, INVITATIONS, ADMIN_ALL_USERS]),
        ("integrator", [MY_ORGANIZATION, ALL_ORGANIZATIONS, API_ALL_USERS, API_ADD_USER]),
        ("admin_user", [MY_ORGANIZATION, ALL_ORGANIZATIONS, ADMIN_ALL_USERS, ADMIN_ADD_USER]),
    ],
)
def test_pages_open_for_the_roles_of_their_rule(request, as_user, persona, urls):
    client = as_user(request.getfixturevalue(persona))
    for url in urls:
        assert client.get(url).status_code == 200, url


# --- My organization ------------------------------------------------------------------------


def test_my_organization_shows_details_and_members(as_user, developer_admin, device_owner):
    page = html(as_user(device_owner).get(MY_ORGANIZATION))

    assert "Sunny Developers" in page
    assert "Developer" in page
    assert "devadmin@example.com" in page
    assert "owner@example.com" in page


# --- Invitations page -----------------------------------------------------------------------


def test_the_invitation_form_sends_an_invitation_and_the_list_shows_it(as_user, developer_admin, committed, mailoutbox):
    client = as_user(developer_admin)
    form = html(client.get(INVITATIONS))
    assert 'name="email"' in form
    # Only the roles a developer organization takes.
    assert re.findall(r'<option value="(\w+)"', form) == ["DeviceOwner", "User"]

    with committed():
        response = client.post(
            INVITATIONS,
            {"firstName": "Amina", "lastName": "Yusuf", "email": "amina@example.org", "role": "DeviceOwner"},
        )

    assert response.status_code == 302
    assert response["Location"] == f"{INVITATIONS}?tab=list"
    invitation = Invitation.objects.get(email="amina@example.org")
    assert (invitation.organization, invitation.role, invitation.status) == (
        developer_admin.organization,
        "DeviceOwner",
        "Pending",
    )
    assert [message.to for message in mailoutbox] == [["amina@example.org"]]
    listing = table_rows(html(client.get(INVITATIONS, {"tab": "list"})), "invitations")
    assert "amina@example.org" in listing
    assert "Pending" in listing


def test_a_device_owner_may_invite_only_read_only_users(as_user, device_owner):
    client = as_user(device_owner)
    assert re.findall(r'<option value="(\w+)"', html(client.get(INVITATIONS))) == ["User"]

    page = html(client.post(INVITATIONS, {"email": "amina@example.org", "role": "DeviceOwner"}))

    assert "invalid-feedback" in page
    assert not Invitation.objects.exists()


def test_the_invitation_form_shows_why_it_was_refused(as_user, developer_admin, sub_buyer):
    page = html(as_user(developer_admin).post(INVITATIONS, {"email": sub_buyer.email, "role": "User"}))

    assert re.search(r'name="email"[^>]*is-invalid|is-invalid[^>]*name="email"', page), "email marked invalid"
    assert "Already registered." in page
    assert not Invitation.objects.exists()


# --- All organizations ----------------------------------------------------------------------


def test_the_admin_sees_every_organization_and_filters_by_name(as_user, admin_user, integrator, developer_org):
    client = as_user(admin_user)

    everything = table_rows(html(client.get(ALL_ORGANIZATIONS, {"limit": 100})), "organizations")
    filtered = table_rows(html(client.get(ALL_ORGANIZATIONS, {"organizationName": "LIGHT"})), "organizations")

    for name in ("Sunrise Homes", "Moonlight Buyers", "Sunny Developers"):
        assert name in everything
    # Developer and Buyer organizations, as GET /api/Organization/apiuser/all_organization lists
    # them (the original's admin list left out ApiUser organizations too: "All ApiUser" has them).
    assert "Integrator One" not in everything
    assert "Moonlight Buyers" in filtered
    assert "Sunrise Homes" not in filtered
    assert "Sunny Developers" not in filtered


def test_an_htmx_request_gets_only_the_table(as_user, admin_user, integrator):
    response = as_user(admin_user).get(ALL_ORGANIZATIONS, {"organizationName": "sun"}, HTTP_HX_REQUEST="true")

    page = html(response)
    assert "<html" not in page
    assert "Filter Organization List By Name" not in page
    rows = table_rows(page, "organizations")
    assert "Sunrise Homes" in rows
    assert "Moonlight Buyers" not in rows


def test_an_api_user_sees_only_the_organizations_it_manages(as_user, integrator, other_api_user, developer_org):
    managed_create(other_api_user, name="Far Away Solar", email="far@example.com")

    rows = table_rows(html(as_user(integrator).get(ALL_ORGANIZATIONS)), "organizations")

    assert "Sunrise Homes" in rows
    assert "Moonlight Buyers" in rows
    assert "Far Away Solar" not in rows
    assert "Sunny Developers" not in rows
    assert "Integrator One" not in rows


# --- One organization's users ---------------------------------------------------------------


def test_an_organizations_page_shows_details_members_and_an_invite_form(
    as_user, admin_user, developer_admin, device_owner
):
    organization = developer_admin.organization

    page = html(as_user(admin_user).get(organization_users(organization)))

    details = re.search(r'data-testid="organization-details".*?</div>\s*</div>', page, re.DOTALL).group(0)
    assert "Sunny Developers" in details
    assert "Developer" in details
    members = table_rows(page, "users")
    assert "devadmin@example.com" in members
    assert "owner@example.com" in members
    assert "Invite User" in page
    assert re.findall(r'<option value="(\w+)"', page) == ["DeviceOwner", "User"]


def test_the_api_user_invites_from_an_organizations_page(as_user, integrator, committed, mailoutbox):
    organization = Organization.objects.get(name="Moonlight Buyers")
    client = as_user(integrator)

    with committed():
        response = client.post(organization_users(organization), {"email": "amina@example.org", "role": "SubBuyer"})

    assert response.status_code == 302
    assert response["Location"] == organization_users(organization)
    invitation = Invitation.objects.get(email="amina@example.org")
    assert (invitation.organization, invitation.role) == (organization, "SubBuyer")
    assert len(mailoutbox) == 1
    assert "amina@example.org" in table_rows(html(client.get(organization_users(organization))), "invitations")


def test_another_tenants_organization_page_is_404(as_user, integrator, other_api_user, grant_api_user_modules):
    grant_api_user_modules(other_api_user)
    organization = Organization.objects.get(name="Sunrise Homes")
    client = as_user(other_api_user)

    assert client.get(organization_users(organization)).status_code == 404
    assert client.post(organization_users(organization), {"email": "x@example.org", "role": "User"}).status_code == 404
    assert not Invitation.objects.exists()


# --- All users ------------------------------------------------------------------------------


def test_the_admin_filters_all_users_by_organization(as_user, admin_user, integrator, developer_admin, buyer):
    client = as_user(admin_user)
    sunrise = Organization.objects.get(name="Sunrise Homes")

    everyone = table_rows(html(client.get(ADMIN_ALL_USERS, {"limit": 100})), "users")
    filtered = table_rows(html(client.get(ADMIN_ALL_USERS, {"organizationId": sunrise.pk})), "users")

    for email in ("sunrise@example.com", "moon@example.com", "devadmin@example.com", "buyer@example.com"):
        assert email in everyone
    assert "sunrise@example.com" in filtered
    assert "devadmin@example.com" not in filtered
    assert "moon@example.com" not in filtered


def test_an_api_user_filters_among_its_organizations_only(as_user, integrator, other_api_user, developer_admin):
    managed_create(other_api_user, name="Far Away Solar", email="far@example.com")
    client = as_user(integrator)

    page = html(client.get(API_ALL_USERS))

    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', page)
    assert sorted(options) == ["Moonlight Buyers", "Sunrise Homes"]
    rows = table_rows(page, "users")
    assert "sunrise@example.com" in rows
    assert "moon@example.com" in rows
    assert "far@example.com" not in rows
    assert "devadmin@example.com" not in rows
    assert "apiuser1@example.com" not in rows
    far = Organization.objects.get(name="Far Away Solar")
    assert client.get(API_ALL_USERS, {"organizationId": far.pk}).status_code == 404


def test_a_member_sees_the_users_of_its_own_organization(as_user, developer_admin, device_owner, buyer):
    rows = table_rows(html(as_user(device_owner).get(ADMIN_ALL_USERS)), "users")

    assert "devadmin@example.com" in rows
    assert "owner@example.com" in rows
    assert "buyer@example.com" not in rows


@pytest.mark.parametrize(("persona", "url"), [("admin_user", ADMIN_ALL_USERS), ("integrator", API_ALL_USERS)])
def test_editing_a_user_from_the_list(request, as_user, integrator, persona, url):
    client = as_user(request.getfixturevalue(persona))
    member = User.objects.get(email="sunrise@example.com")

    assert f'href="/admin/edit_user/{member.pk}?next=' in html(client.get(url))
    form = html(client.get(f"/admin/edit_user/{member.pk}", {"next": url}))
    assert '<h1 class="h3 mb-3">Edit User</h1>' in form
    response = client.post(
        f"/admin/edit_user/{member.pk}",
        {
            "next": url,
            "firstName": "Zawadi",
            "lastName": "Njeri",
            "email": "zawadi@example.com",
            "status": "Suspended",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.email, member.status) == (
        "Zawadi",
        "Njeri",
        "zawadi@example.com",
        "Suspended",
    )


def test_editing_shows_a_taken_email_next_to_the_field(as_user, admin_user, developer_admin, device_owner):
    page = html(
        as_user(admin_user).post(
            f"/admin/edit_user/{device_owner.pk}",
            {"firstName": "O", "lastName": "W", "email": developer_admin.email, "status": "Active"},
        )
    )

    assert "Already registered." in page
    device_owner.refresh_from_db()
    assert device_owner.email == "owner@example.com"


@pytest.mark.parametrize(("persona", "url"), [("admin_user", ADMIN_ALL_USERS), ("integrator", API_ALL_USERS)])
def test_deleting_a_user_from_the_list(request, as_user, integrator, persona, url):
    organization = Organization.objects.get(name="Sunrise Homes")
    extra = member_create(organization, email="extra@example.com", role=Role.USER)
    client = as_user(request.getfixturevalue(persona))

    response = client.post(f"/admin/user/{extra.pk}/delete", {"next": url})

    assert response.status_code == 302
    assert response["Location"] == url
    assert not User.objects.filter(pk=extra.pk).exists()
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_an_api_user_cannot_delete_another_tenants_user_from_the_list(as_user, integrator, other_api_user):
    _organization, stranger = managed_create(other_api_user, name="Far Away Solar", email="far@example.com")

    response = as_user(integrator).post(f"/admin/user/{stranger.pk}/delete", {"next": API_ALL_USERS})

    assert response.status_code in (403, 404)
    assert User.objects.filter(pk=stranger.pk).exists()


def test_a_device_owner_sees_no_delete_button_and_cannot_delete(as_user, developer_admin, device_owner):
    """A DeviceOwner lacks ORGANIZATION_MANAGEMENT_CRUDL Delete: the API refuses it (403),
    and so must the page that hides the button."""
    colleague = member_create(developer_admin.organization, email="colleague@example.com", role=Role.USER)
    client = as_user(device_owner)

    page = html(client.get(ADMIN_ALL_USERS))
    response = client.post(f"/admin/user/{colleague.pk}/delete")

    assert f"Remove {colleague.email}" not in page
    assert response.status_code == 403
    assert User.objects.filter(pk=colleague.pk).exists()


@pytest.mark.parametrize("persona", ["reader", "device_owner", "developer_admin"])
def test_members_without_the_edit_grant_cannot_edit_users_from_the_list(request, as_user, developer_admin, persona):
    """Editing users needs ADMIN_APIUSER_ORGANIZATION_CRUDL Write (PUT admin/users/{id} answers
    403 without it); the page shows no edit button to these roles, and posting the edit form
    must not change the account either."""
    client = as_user(request.getfixturevalue(persona))
    target = member_create(developer_admin.organization, email="target@example.com", role=Role.USER)

    assert 'aria-label="Edit ' not in html(client.get(ADMIN_ALL_USERS))
    assert client.get(f"/admin/edit_user/{target.pk}").status_code == 403
    client.post(
        f"/admin/edit_user/{target.pk}",
        {
            "firstName": "Taken",
            "lastName": "Over",
            "email": "taken@example.com",
            "status": "Suspended",
        },
    )

    target.refresh_from_db()
    assert (target.email, target.status) == ("target@example.com", "Active")


# --- Add organizations ----------------------------------------------------------------------


def add_form(**overrides) -> dict:
    form = {
        "firstName": "Nia",
        "lastName": "Mwangi",
        "email": "nia.mwangi@example.org",
        "organizationType": "Developer",
        "orgName": "Mwangi Solar",
        "orgAddress": "7 Moi Avenue, Nairobi",
    }
    return form | overrides


def test_the_admin_adds_an_organization_whose_user_chooses_a_password(
    as_user, api_client, admin_user, committed, mailoutbox
):
    client = as_user(admin_user)
    assert 'name="orgName"' in html(client.get(ADMIN_ADD_USER))

    with committed():
        response = client.post(ADMIN_ADD_USER, add_form(organizationType="Buyer"))

    assert response.status_code == 302
    assert response["Location"] == ADMIN_ALL_USERS
    user = User.objects.get(email="nia.mwangi@example.org")
    assert (user.role, user.organization.name, user.organization.organization_type) == (
        "Buyer",
        "Mwangi Solar",
        "Buyer",
    )
    assert user.organization.api_user is None
    [welcome] = mailoutbox
    assert not mentions_a_password(welcome.body)
    chosen = api_client.put(
        f"/api/user/reset/password/{reset_token(welcome)}",
        {"newPassword": STRONG_PASSWORD, "confirmPassword": STRONG_PASSWORD},
        format="json",
    )
    assert chosen.status_code == 200


def test_an_api_users_added_organization_is_managed_by_it(as_user, integrator, committed, mailoutbox):
    client = as_user(integrator)

    with committed():
        response = client.post(API_ADD_USER, add_form())

    assert response.status_code == 302
    assert response["Location"] == API_ALL_USERS
    organization = Organization.objects.get(name="Mwangi Solar")
    assert organization.api_user == integrator.api_user
    assert organization.users.get().role == "OrganizationAdmin"
    assert "Mwangi Solar" in table_rows(html(client.get(ALL_ORGANIZATIONS)), "organizations")
    assert "nia.mwangi@example.org" in table_rows(html(client.get(API_ALL_USERS)), "users")
    assert mailoutbox == []  # its user does not sign in


def test_adding_shows_a_taken_name_next_to_the_field(as_user, admin_user, developer_org):
    page = html(as_user(admin_user).post(ADMIN_ADD_USER, add_form(orgName="SUNNY developers")))

    assert "Already taken." in page
    assert not User.objects.filter(email="nia.mwangi@example.org").exists()


def test_an_api_user_without_user_management_write_cannot_add(as_user, api_user, grant):
    for module, *verbs in API_USER_GRANTS:
        if module != "USER_MANAGEMENT_CRUDL":
            grant(api_user, module, *verbs)

    assert as_user(api_user).post(API_ADD_USER, add_form()).status_code == 403
    assert not Organization.objects.filter(name="Mwangi Solar").exists()


# --- Accepting an invitation ----------------------------------------------------------------


@pytest.fixture
def link(client_for, developer_admin, committed, mailoutbox):
    """The query of the link e-mailed for a DeviceOwner invitation into the developer org."""
    with committed():
        response = client_for(developer_admin).post(
            "/api/invitation",
            {"firstName": "Amina", "email": "amina@example.org", "role": "DeviceOwner"},
            format="json",
        )
    assert response.status_code == 201
    return invitation_link(mailoutbox[0])


def test_the_link_shows_the_organization_and_role(client, link):
    page = html(client.get(ACCEPT, link))

    assert re.search(r'data-testid="invitation-organization">Sunny Developers<', page)
    assert re.search(r'data-testid="invitation-role">DeviceOwner<', page)
    assert escape("amina@example.org") in page


@pytest.mark.parametrize("broken", [{"token": "forged"}, {"invitaionId": "999999"}, {"token": ""}])
def test_a_bad_link_is_404(client, link, broken):
    assert client.get(ACCEPT, link | broken).status_code == 404


def test_accepting_on_the_page_creates_the_account(client, api_client, link):
    response = client.post(
        ACCEPT,
        {
            "token": link["token"],
            "invitaionId": link["invitaionId"],
            "action": "accept",
            "firstName": "Amina",
            "lastName": "Yusuf",
            "password": STRONG_PASSWORD,
            "confirmPassword": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/login"
    account = User.objects.get(email="amina@example.org")
    assert (account.role, account.status, account.organization.name) == ("DeviceOwner", "Active", "Sunny Developers")
    assert (
        api_client.post(
            "/api/auth/login", {"username": "amina@example.org", "password": STRONG_PASSWORD}, format="json"
        ).status_code
        == 200
    )
    assert client.get(ACCEPT, link).status_code == 404  # used


def test_a_weak_password_on_the_page_is_shown_and_creates_nothing(client, link):
    page = html(
        client.post(
            ACCEPT,
            {
                "token": link["token"],
                "invitaionId": link["invitaionId"],
                "action": "accept",
                "firstName": "Amina",
                "password": "password",
                "confirmPassword": "password",
            },
        )
    )

    assert "invalid-feedback" in page
    assert not User.objects.filter(email="amina@example.org").exists()
    assert Invitation.objects.get(email="amina@example.org").status == "Pending"


def test_declining_on_the_page(client, link):
    response = client.post(ACCEPT, {"token": link["token"], "invitaionId": link["invitaionId"], "action": "reject"})

    assert "declined" in html(response)
    assert Invitation.objects.get(email="amina@example.org").status == "Rejected"
    assert not User.objects.filter(email="amina@example.org").exists()

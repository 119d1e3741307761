"""The super admin's organization and user endpoints (backend.md §5.2), and the api user's
share of them (PUT admin/users/{id} for the members of its organizations)."""

import pytest

from accounts.models import Role, User
from organizations.models import Invitation, Organization, OrganizationType
from tests.factories import PASSWORD
from tests.organizations.helpers import (
    ORGANIZATION_KEYS,
    STRONG_PASSWORD,
    assert_error,
    login,
    managed_create,
    member_create,
    mentions_a_password,
    reset_token,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


# --- PATCH admin/organizations/{id} ----------------------------------------------------------


def test_patch_corrects_an_organizations_details(admin, developer_org):
    response = admin.patch(
        f"/api/admin/organizations/{developer_org.pk}",
        {
            "name": "Sunny Developers Ltd",
            "address": "4 Kenyatta Ave",
            "zipCode": "00100",
            "city": "Nairobi",
            "country": "ke",
            "status": "Denied",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == ORGANIZATION_KEYS
    assert (body["name"], body["address"], body["zipCode"], body["city"], body["country"], body["status"]) == (
        "Sunny Developers Ltd",
        "4 Kenyatta Ave",
        "00100",
        "Nairobi",
        "KE",
        "Denied",
    )
    stored = admin.get(f"/api/admin/organizations/{developer_org.pk}").json()
    assert (stored["name"], stored["city"], stored["country"], stored["status"]) == (
        "Sunny Developers Ltd",
        "Nairobi",
        "KE",
        "Denied",
    )


def test_patch_changes_only_the_fields_given(admin, developer_org):
    response = admin.patch(f"/api/admin/organizations/{developer_org.pk}", {"city": "Kisumu"}, format="json")

    assert response.status_code == 200
    developer_org.refresh_from_db()
    assert (developer_org.name, developer_org.city, developer_org.organization_type) == (
        "Sunny Developers",
        "Kisumu",
        "Developer",
    )


@pytest.mark.parametrize("taken", ["Green Buyers", "GREEN buyers", " green buyers "])
def test_patch_refuses_a_name_already_taken_in_any_case(admin, developer_org, buyer_org, taken):
    response = admin.patch(f"/api/admin/organizations/{developer_org.pk}", {"name": taken}, format="json")

    assert_error(response, 409)
    developer_org.refresh_from_db()
    assert developer_org.name == "Sunny Developers"


def test_patch_may_keep_its_own_name_in_another_case(admin, developer_org):
    response = admin.patch(f"/api/admin/organizations/{developer_org.pk}", {"name": "SUNNY Developers"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "SUNNY Developers"


@pytest.mark.parametrize("country", ["XX", "KEN", "K", "1@"])
def test_patch_refuses_a_bad_country_code(admin, developer_org, country):
    response = admin.patch(f"/api/admin/organizations/{developer_org.pk}", {"country": country}, format="json")

    assert_error(response, 400, "country")
    developer_org.refresh_from_db()
    assert developer_org.country == ""


def test_patch_refuses_an_unknown_status(admin, developer_org):
    response = admin.patch(f"/api/admin/organizations/{developer_org.pk}", {"status": "Closed"}, format="json")

    assert_error(response, 400, "status")


# --- DELETE admin/organizations/{id} ---------------------------------------------------------


def test_delete_removes_the_organization_with_its_members_and_invitations(admin, developer_admin, device_owner):
    organization = developer_admin.organization
    Invitation.objects.create(organization=organization, email="pending@example.com", role=Role.USER)

    response = admin.delete(f"/api/admin/organizations/{organization.pk}")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not User.objects.filter(pk__in=[developer_admin.pk, device_owner.pk]).exists()
    assert not Invitation.objects.filter(email="pending@example.com").exists()
    assert_error(admin.get(f"/api/admin/organizations/{organization.pk}"), 404)


def test_delete_refuses_an_api_users_organization_while_it_manages_organizations(admin, api_user):
    managed, member = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    own = api_user.organization

    response = admin.delete(f"/api/admin/organizations/{own.pk}")

    assert_error(response, 409)
    assert Organization.objects.filter(pk__in=[own.pk, managed.pk]).count() == 2
    assert User.objects.filter(pk__in=[api_user.pk, member.pk]).count() == 2


def test_an_api_users_organization_can_be_deleted_once_it_manages_nothing(admin, api_user):
    """The refusal says "remove those first": after that, the deletion goes through."""
    managed, _member = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    own = api_user.organization
    assert_error(admin.delete(f"/api/admin/organizations/{own.pk}"), 409)
    assert admin.delete(f"/api/admin/organizations/{managed.pk}").status_code == 200

    response = admin.delete(f"/api/admin/organizations/{own.pk}")

    assert response.status_code == 200, response.content
    assert not Organization.objects.filter(pk=own.pk).exists()
    assert not User.objects.filter(pk=api_user.pk).exists()


def test_delete_of_an_unknown_organization_is_404(admin):
    assert_error(admin.delete("/api/admin/organizations/999999"), 404)


# --- POST admin/users ----------------------------------------------------------------------


def new_user_body(**overrides) -> dict:
    body = {
        "firstName": "Nia",
        "lastName": "Mwangi",
        "email": "nia.mwangi@example.org",
        "organizationType": "Developer",
        "orgName": "Mwangi Solar",
        "orgAddress": "7 Moi Avenue, Nairobi",
    }
    return body | overrides


@pytest.mark.parametrize(
    ("organization_type", "role"), [("Developer", Role.ORGANIZATION_ADMIN), ("Buyer", Role.BUYER), ("buyer", "Buyer")]
)
def test_post_creates_an_organization_and_its_first_user(admin, committed, mailoutbox, organization_type, role):
    with committed():
        response = admin.post("/api/admin/users", new_user_body(organizationType=organization_type), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["firstName"], body["lastName"], body["role"], body["status"]) == (
        "nia.mwangi@example.org",
        "Nia",
        "Mwangi",
        role,
        "Active",
    )
    organization = Organization.objects.get(name="Mwangi Solar")
    assert body["organization"]["id"] == organization.pk
    assert organization.organization_type == organization_type.capitalize()
    assert organization.api_user is None  # a direct organization, not managed
    assert organization.address == "7 Moi Avenue, Nairobi"
    assert [message.to for message in mailoutbox] == [["nia.mwangi@example.org"]]


def test_the_new_user_chooses_a_password_through_the_emailed_link(admin, api_client, committed, mailoutbox):
    with committed():
        assert admin.post("/api/admin/users", new_user_body(), format="json").status_code == 201
    [welcome] = mailoutbox
    assert "/reset-password?token=" in welcome.body
    assert not mentions_a_password(welcome.body)
    assert login(api_client, "nia.mwangi@example.org", STRONG_PASSWORD).status_code == 401

    token = reset_token(welcome)
    chosen = api_client.put(
        f"/api/user/reset/password/{token}",
        {"newPassword": STRONG_PASSWORD, "confirmPassword": STRONG_PASSWORD},
        format="json",
    )

    assert chosen.status_code == 200, chosen.content
    logged_in = login(api_client, "nia.mwangi@example.org", STRONG_PASSWORD)
    assert logged_in.status_code == 200
    assert logged_in.json()["accessToken"]
    again = api_client.put(
        f"/api/user/reset/password/{token}",
        {"newPassword": "Other-Orbit-4242", "confirmPassword": "Other-Orbit-4242"},
        format="json",
    )
    assert_error(again, 400)


def test_a_password_given_by_the_admin_never_appears_in_an_email(admin, committed, mailoutbox):
    with committed():
        response = admin.post(
            "/api/admin/users",
            new_user_body(password=STRONG_PASSWORD, confirmPassword=STRONG_PASSWORD),
            format="json",
        )

    assert response.status_code == 201
    assert mailoutbox, "the new user is told about the account"
    for message in mailoutbox:
        assert STRONG_PASSWORD not in message.body
        assert STRONG_PASSWORD not in message.subject


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"email": "devadmin@example.com"}, 409, "email"),
        ({"orgName": "sunny developers"}, 409, "orgName"),
        ({"organizationType": "ApiUser"}, 400, "organizationType"),
        ({"organizationType": "Martian"}, 400, "organizationType"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"orgName": ""}, 400, "orgName"),
    ],
)
def test_post_refuses_bad_or_taken_details(admin, developer_admin, mailoutbox, overrides, status, field):
    organizations = Organization.objects.count()

    response = admin.post("/api/admin/users", new_user_body(**overrides), format="json")

    assert_error(response, status, field)
    assert Organization.objects.count() == organizations
    assert not User.objects.filter(email="nia.mwangi@example.org").exists()
    assert mailoutbox == []


# --- PUT admin/users/{id} ------------------------------------------------------------------


def edit(client, member, **overrides):
    body = {"firstName": member.first_name, "lastName": member.last_name, "email": member.email, "status": "Active"}
    return client.put(f"/api/admin/users/{member.pk}", body | overrides, format="json")


def test_put_edits_name_email_and_status(admin, device_owner):
    response = edit(admin, device_owner, firstName="Wanjiru", lastName="Kamau", email="Wanjiru@Example.com")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["firstName"], body["lastName"], body["email"], body["status"]) == (
        "Wanjiru",
        "Kamau",
        "wanjiru@example.com",
        "Active",
    )
    device_owner.refresh_from_db()
    assert (device_owner.first_name, device_owner.email) == ("Wanjiru", "wanjiru@example.com")


def test_a_suspended_user_can_no_longer_log_in(admin, api_client, device_owner):
    assert login(api_client, device_owner.email, PASSWORD).status_code == 200

    response = edit(admin, device_owner, status="Suspended")

    assert response.status_code == 200
    assert response.json()["status"] == "Suspended"
    assert_error(login(api_client, device_owner.email, PASSWORD), 401)
    assert edit(admin, device_owner, status="Active").status_code == 200
    assert login(api_client, device_owner.email, PASSWORD).status_code == 200


def test_a_suspended_users_existing_session_stops_working(admin, api_client, device_owner):
    token = login(api_client, device_owner.email, PASSWORD).json()["accessToken"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/Organization/me").status_code == 200

    assert edit(admin, device_owner, status="Suspended").status_code == 200

    assert_error(api_client.get("/api/Organization/me"), 401)


def test_put_refuses_an_email_of_another_account(admin, device_owner, developer_admin):
    assert_error(edit(admin, device_owner, email="DevAdmin@example.com"), 409, "email")
    device_owner.refresh_from_db()
    assert device_owner.email == "owner@example.com"


@pytest.mark.parametrize(("field", "value"), [("status", "Sleeping"), ("email", "nope"), ("firstName", "")])
def test_put_refuses_bad_fields(admin, device_owner, field, value):
    assert_error(edit(admin, device_owner, **{field: value}), 400, field)


def test_an_api_user_edits_the_members_of_its_organizations(client_for, api_user, grant):
    grant(api_user, "ADMIN_APIUSER_ORGANIZATION_CRUDL", "Read", "Write")
    _organization, member = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    client = client_for(api_user)

    response = edit(client, member, lastName="Otieno", status="Suspended")

    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.last_name, member.status) == ("Otieno", "Suspended")
    # Neither the super admin nor accounts outside its tenant.
    assert_error(edit(client, User.objects.get(role=Role.ADMIN), firstName="Hacked"), 404)


# --- DELETE admin/user/{id} ----------------------------------------------------------------


def test_deleting_the_last_member_deletes_its_organization(admin, buyer):
    organization = buyer.organization

    response = admin.delete(f"/api/admin/user/{buyer.pk}")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert not User.objects.filter(pk=buyer.pk).exists()
    assert not Organization.objects.filter(pk=organization.pk).exists()


def test_deleting_a_member_keeps_an_organization_that_still_has_members(admin, developer_admin, device_owner):
    organization = developer_admin.organization

    response = admin.delete(f"/api/admin/user/{developer_admin.pk}")

    assert response.status_code == 200
    assert not User.objects.filter(pk=developer_admin.pk).exists()
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert list(organization.users.all()) == [device_owner]


def test_deleting_an_unknown_user_is_404(admin):
    assert_error(admin.delete("/api/admin/user/999999"), 404)


def test_a_managed_organizations_last_member_goes_with_the_organization(admin, api_user):
    organization, member = managed_create(
        api_user, name="Moonlight Buyers", organization_type=OrganizationType.BUYER, email="moon@example.com"
    )
    member_create(organization, email="second@example.com", role=Role.USER)

    assert admin.delete(f"/api/admin/user/{member.pk}").status_code == 200
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert admin.delete(f"/api/admin/user/{User.objects.get(email='second@example.com').pk}").status_code == 200
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert User.objects.filter(pk=api_user.pk).exists()

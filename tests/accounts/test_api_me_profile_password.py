"""GET /api/user/me, PUT /api/user/profile and PUT /api/user/password (SPEC §3)."""

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from tests.accounts.apihelpers import (
    ME_URL,
    OTHER_STRONG_PASSWORD,
    assert_error,
    bearer,
    confirmation_token,
    login,
)
from tests.factories import PASSWORD, managed_organization_create

pytestmark = pytest.mark.django_db

PROFILE_URL = "/api/user/profile"
PASSWORD_URL = "/api/user/password"
ORGANIZATION_KEYS = {
    "id",
    "name",
    "address",
    "zipCode",
    "city",
    "country",
    "organizationType",
    "orgEmail",
    "status",
    "api_user_id",
    "createdAt",
    "updatedAt",
}


# --- GET /api/user/me -------------------------------------------------------------------


def test_me_shows_the_user_and_the_whole_organization(token_for, developer_admin):
    response = bearer(token_for(developer_admin)).get(ME_URL)

    assert response.status_code == 200
    data = response.json()
    assert data["id"] == developer_admin.pk
    assert data["email"] == "devadmin@example.com"
    assert data["role"] == "OrganizationAdmin"
    assert data["status"] == "Active"
    assert data["firstName"] == developer_admin.first_name
    assert data["api_user_id"] is None
    assert data["emailConfirmed"] is False
    assert "permission_status" not in data
    assert "password" not in data
    organization = data["organization"]
    assert set(organization) >= ORGANIZATION_KEYS
    assert organization["id"] == developer_admin.organization_id
    assert organization["name"] == "Sunny Developers"
    assert organization["organizationType"] == "Developer"
    assert organization["api_user_id"] is None


def test_me_of_an_api_user_shows_its_permission_status_and_tenant_id(token_for, api_user):
    data = bearer(token_for(api_user)).get(ME_URL).json()

    api_user_id = str(api_user.api_user.api_user_id)
    assert data["role"] == "ApiUser"
    assert data["permission_status"] == "Request"
    assert data["api_user_id"] == api_user_id
    assert data["organization"]["name"] == "Integrator One"
    assert data["organization"]["organizationType"] == "ApiUser"
    assert data["organization"]["api_user_id"] == api_user_id


def test_me_follows_the_api_users_permission_status(token_for, api_user):
    record = api_user.api_user
    record.permission_status = "Active"
    record.save()

    assert bearer(token_for(api_user)).get(ME_URL).json()["permission_status"] == "Active"


@pytest.mark.parametrize("persona", ["admin_user", "buyer", "sub_buyer", "device_owner"])
def test_only_api_users_have_a_permission_status(request, token_for, persona):
    data = bearer(token_for(request.getfixturevalue(persona))).get(ME_URL).json()

    assert "permission_status" not in data
    assert "organization" in data
    assert "emailConfirmed" in data


def test_a_managed_organizations_member_cannot_use_the_api_even_with_a_token(client_for, api_user):
    """The api user acts for the organizations it manages (SPEC §2): their members' tokens,
    however obtained, open nothing."""
    organization = managed_organization_create(api_user, name="Managed Co", organization_type="Developer")
    member = User.objects.create_user(
        "member@example.org", PASSWORD, role="OrganizationAdmin", organization=organization
    )

    assert_error(client_for(member).get(ME_URL), 401)


def test_me_needs_a_signed_in_caller(api_client):
    assert_error(api_client.get(ME_URL), 401)


# --- PUT /api/user/profile --------------------------------------------------------------


def _confirm(user) -> None:
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


def test_changing_names_keeps_the_email_and_its_confirmation(
    token_for, buyer, mailoutbox, django_capture_on_commit_callbacks
):
    _confirm(buyer)
    client = bearer(token_for(buyer))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            PROFILE_URL, {"firstName": " Grace ", "lastName": "Mensah", "email": "Buyer@Example.com"}, format="json"
        )

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["firstName"], data["lastName"], data["email"]) == ("Grace", "Mensah", "buyer@example.com")
    assert data["organization"] == {"id": buyer.organization_id}
    buyer.refresh_from_db()
    assert (buyer.first_name, buyer.last_name) == ("Grace", "Mensah")
    assert client.get(ME_URL).json()["emailConfirmed"] is True
    assert mailoutbox == []


def test_a_new_email_must_be_confirmed_again(
    token_for, buyer, api_client, mailoutbox, django_capture_on_commit_callbacks
):
    _confirm(buyer)
    client = bearer(token_for(buyer))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            PROFILE_URL,
            {"firstName": "Grace", "lastName": "Mensah", "email": "Grace.New@Example.org", "password": PASSWORD},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "grace.new@example.org"
    assert client.get(ME_URL).json()["emailConfirmed"] is False
    assert [message.to for message in mailoutbox] == [["grace.new@example.org"]]
    assert "/confirm-email?token=" in mailoutbox[0].body
    # The account now signs in with the new address only.
    assert login(api_client, "grace.new@example.org", PASSWORD).status_code == 200
    assert login(api_client, "buyer@example.com", PASSWORD).status_code == 401
    # The link of the mail confirms the new address.
    assert api_client.put(f"/api/user/confirm-email/{confirmation_token(mailoutbox[0])}").status_code == 200
    assert client.get(ME_URL).json()["emailConfirmed"] is True


def test_a_taken_email_is_409_and_changes_nothing(
    token_for, buyer, developer_admin, mailoutbox, django_capture_on_commit_callbacks
):
    client = bearer(token_for(buyer))
    before = (buyer.first_name, buyer.last_name)  # made by Faker: any name, "Grace" included

    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            PROFILE_URL,
            {
                "firstName": f"{before[0]}-new",
                "lastName": "Mensah",
                "email": "DevAdmin@Example.com",
                "password": PASSWORD,
            },
            format="json",
        )

    assert_error(response, 409, "email")
    buyer.refresh_from_db()
    assert buyer.email == "buyer@example.com"
    assert (buyer.first_name, buyer.last_name) == before
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lastName": "Mensah", "email": "buyer@example.com"}, "firstName"),
        ({"firstName": "Grace", "email": "buyer@example.com"}, "lastName"),
        ({"firstName": "Grace", "lastName": "Mensah"}, "email"),
        ({"firstName": 1, "lastName": "Mensah", "email": "buyer@example.com"}, "firstName"),
        ({"firstName": "Grace", "lastName": "Mensah", "email": "not-an-email"}, "email"),
        ({"firstName": "Grace", "lastName": "Mensah", "email": False}, "email"),
        ({"firstName": "G" * 151, "lastName": "Mensah", "email": "buyer@example.com"}, "firstName"),
    ],
)
def test_invalid_profiles_are_400_naming_the_field(token_for, buyer, body, field):
    response = bearer(token_for(buyer)).put(PROFILE_URL, body, format="json")

    assert_error(response, 400, field)
    buyer.refresh_from_db()
    assert buyer.email == "buyer@example.com"


def test_a_profile_that_is_not_a_json_object_is_400(token_for, buyer):
    assert_error(bearer(token_for(buyer)).put(PROFILE_URL, "[1, 2]", content_type="application/json"), 400)


def test_the_profile_needs_a_signed_in_caller(api_client):
    body = {"firstName": "Grace", "lastName": "Mensah", "email": "x@example.org"}
    assert_error(api_client.put(PROFILE_URL, body, format="json"), 401)


# --- PUT /api/user/password -------------------------------------------------------------


def test_changing_the_password_needs_the_current_one_and_ends_every_token(api_client, buyer):
    first = login(api_client, buyer.email, PASSWORD).json()["accessToken"]
    second = login(api_client, buyer.email, PASSWORD).json()["accessToken"]

    response = bearer(first).put(
        PASSWORD_URL,
        {"oldPassword": PASSWORD, "newPassword": OTHER_STRONG_PASSWORD, "confirmPassword": OTHER_STRONG_PASSWORD},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["email"] == buyer.email
    assert response.json()["id"] == buyer.pk
    for token in (first, second):
        assert assert_error(bearer(token).get(ME_URL), 401)["message"] == "Token revoked. Please log in again."
    assert login(api_client, buyer.email, PASSWORD).status_code == 401
    assert login(api_client, buyer.email, OTHER_STRONG_PASSWORD).status_code == 200


def test_the_confirmation_of_a_new_password_is_optional(api_client, token_for, buyer):
    response = bearer(token_for(buyer)).put(
        PASSWORD_URL, {"oldPassword": PASSWORD, "newPassword": OTHER_STRONG_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert login(api_client, buyer.email, OTHER_STRONG_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"oldPassword": "Wrong-Password-1", "newPassword": OTHER_STRONG_PASSWORD}, "oldPassword"),
        ({"oldPassword": PASSWORD, "newPassword": "short1"}, "newPassword"),
        ({"oldPassword": PASSWORD, "newPassword": "password1"}, "newPassword"),
        ({"oldPassword": PASSWORD, "newPassword": "OnlyLettersHere"}, "newPassword"),
        ({"oldPassword": PASSWORD, "newPassword": "buyerexample1"}, "newPassword"),
        (
            {"oldPassword": PASSWORD, "newPassword": OTHER_STRONG_PASSWORD, "confirmPassword": "Something-Else-1"},
            "confirmPassword",
        ),
        ({"newPassword": OTHER_STRONG_PASSWORD}, "oldPassword"),
        ({"oldPassword": PASSWORD}, "newPassword"),
        ({"oldPassword": PASSWORD, "newPassword": ["x"]}, "newPassword"),
        ({"oldPassword": 123, "newPassword": OTHER_STRONG_PASSWORD}, "oldPassword"),
    ],
)
def test_refused_password_changes_are_400_naming_the_field_and_change_nothing(api_client, buyer, body, field):
    token = login(api_client, buyer.email, PASSWORD).json()["accessToken"]

    assert_error(bearer(token).put(PASSWORD_URL, body, format="json"), 400, field)

    assert bearer(token).get(ME_URL).status_code == 200
    assert login(api_client, buyer.email, PASSWORD).status_code == 200


def test_the_password_change_needs_a_signed_in_caller(api_client):
    body = {"oldPassword": PASSWORD, "newPassword": OTHER_STRONG_PASSWORD}
    assert_error(api_client.put(PASSWORD_URL, body, format="json"), 401)

"""POST /api/user/register: roles, validation, duplicates, managed organizations (SPEC §2, §3, §9)."""

import json
import uuid

import pytest

from accounts.models import ApiUser, Role, User
from organizations.models import Organization
from tests.accounts.apihelpers import (
    LOGIN_URL,
    ME_URL,
    REGISTER_URL,
    STRONG_PASSWORD,
    assert_error,
    bearer,
    login,
    register_body,
)

USER_KEYS = {
    "firstName",
    "lastName",
    "email",
    "status",
    "role",
    "api_user_id",
    "organization",
    "createdAt",
    "updatedAt",
    "id",
}

pytestmark = pytest.mark.django_db


# --- Self-registration ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("organization_type", "role"),
    [("Developer", Role.ORGANIZATION_ADMIN), ("Buyer", Role.BUYER), ("ApiUser", Role.API_USER)],
)
def test_registration_answers_201_with_the_user_and_the_role_of_the_organization_type(
    api_client, organization_type, role
):
    body = register_body(organizationType=organization_type, email="New.Member@Example.ORG", orgName="Kivu Light")

    response = api_client.post(REGISTER_URL, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= USER_KEYS
    assert not {"password", "confirmPassword"} & set(data)
    assert data["firstName"] == "Ada"
    assert data["lastName"] == "Okafor"
    assert data["email"] == "new.member@example.org"
    assert data["role"] == role
    assert data["status"] == "Active"
    user = User.objects.select_related("organization").get(email="new.member@example.org")
    assert data["id"] == user.pk
    assert data["organization"] == {"id": user.organization_id}
    assert user.organization.name == "Kivu Light"
    assert user.organization.organization_type == organization_type
    assert user.organization.address == "12 Harbour Road, Lagos"
    assert user.check_password(STRONG_PASSWORD)


def test_developer_and_buyer_registrations_are_not_tied_to_an_api_user(api_client):
    response = api_client.post(REGISTER_URL, register_body(organizationType="Buyer"), format="json")

    assert response.status_code == 201
    assert response.json()["api_user_id"] is None
    assert Organization.objects.get(name="Okafor Solar Homes").api_user is None
    assert not ApiUser.objects.filter(user__email="ada.okafor@example.org").exists()


def test_api_user_registration_creates_an_api_user_record_in_request_state(api_client):
    response = api_client.post(REGISTER_URL, register_body(organizationType="ApiUser"), format="json")

    assert response.status_code == 201
    record = ApiUser.objects.get(user__email="ada.okafor@example.org")
    assert record.permission_status == "Request"
    assert response.json()["api_user_id"] == str(record.api_user_id)
    assert Organization.objects.get(name="Okafor Solar Homes").api_user == record

    token = login(api_client, "ada.okafor@example.org", STRONG_PASSWORD).json()["accessToken"]
    me = bearer(token).get(ME_URL).json()
    assert me["role"] == "ApiUser"
    assert me["permission_status"] == "Request"
    assert me["api_user_id"] == str(record.api_user_id)


def test_a_registered_user_can_log_in_with_the_chosen_password(api_client):
    api_client.post(REGISTER_URL, register_body(), format="json")

    assert login(api_client, "ada.okafor@example.org", STRONG_PASSWORD).status_code == 200
    assert login(api_client, "ada.okafor@example.org", "Wrong-Orbit-2031").status_code == 401


def test_registration_trims_names_and_keeps_an_optional_address_empty(api_client):
    body = register_body(firstName="  Ada ", orgName="  Trimmed Power  ")
    del body["orgAddress"]

    response = api_client.post(REGISTER_URL, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["firstName"] == "Ada"
    organization = Organization.objects.get(name="Trimmed Power")
    assert organization.address == ""


# --- Refused registrations: 4xx naming the field, nothing stored --------------------------


@pytest.fixture
def refused(api_client, row_counts, django_capture_on_commit_callbacks, mailoutbox):
    """``refused(body_or_raw, status, *fields)``: post, check the error body and that no row
    was stored and no e-mail sent."""

    def post(body, status, *fields, client=None, **kwargs):
        before = row_counts()
        with django_capture_on_commit_callbacks(execute=True):
            if isinstance(body, str):
                response = (client or api_client).post(REGISTER_URL, body, content_type="application/json")
            else:
                response = (client or api_client).post(REGISTER_URL, body, format="json", **kwargs)
        error = assert_error(response, status, *fields)
        assert row_counts() == before
        assert mailoutbox == []
        return error

    return post


def test_malformed_json_is_a_400(refused):
    refused('{"firstName": "Ada", "email": ', 400)


def test_a_json_array_instead_of_an_object_is_a_400(refused):
    refused(json.dumps([register_body()]), 400)


def test_an_empty_body_names_every_required_field(refused):
    refused({}, 400, "firstName", "lastName", "email", "password", "confirmPassword", "organizationType", "orgName")


@pytest.mark.parametrize(
    "field", ["firstName", "lastName", "email", "password", "confirmPassword", "organizationType", "orgName"]
)
def test_each_missing_required_field_is_named(refused, field):
    body = register_body()
    del body[field]
    body = refused(body, 400, field)
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("firstName", 123),
        ("lastName", None),
        ("lastName", ["Okafor"]),
        ("email", True),
        ("email", "not-an-email"),
        ("email", ""),
        ("password", ["x"]),
        ("password", 12345678),
        ("confirmPassword", {"value": STRONG_PASSWORD}),
        ("organizationType", 5),
        ("orgName", []),
        ("orgName", "   "),
        ("orgAddress", 42),
        ("api_user_id", "not-a-uuid"),
        ("firstName", "x" * 151),
        ("orgName", "y" * 256),
        ("email", "a" * 250 + "@example.org"),
    ],
)
def test_wrong_types_and_values_are_400_naming_the_field(refused, field, value):
    refused(register_body(**{field: value}), 400, field)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada.okafor@example.org", "Sh0rt"),  # too short
        ("ada.okafor@example.org", "NoDigitsAtAllHere"),  # no digit
        ("ada.okafor@example.org", "20310417551"),  # no letter
        ("ada.okafor@example.org", "password1"),  # common
        ("solarfarm42@example.org", "solarfarm42"),  # too similar to the e-mail
        ("ada.okafor@example.org", "Adaokafor1"),  # too similar to the name
    ],
)
def test_weak_passwords_are_400_naming_password(refused, email, password):
    refused(register_body(email=email, password=password, confirmPassword=password), 400, "password")


def test_a_confirmation_that_does_not_match_is_400_naming_confirm_password(refused):
    body = refused(register_body(confirmPassword=STRONG_PASSWORD + "x"), 400, "confirmPassword")
    assert "password" not in body["errors"]


@pytest.mark.parametrize("organization_type", ["Admin", "Government", "", "DeveloperBuyer"])
def test_an_unknown_organization_type_is_400(refused, organization_type):
    refused(register_body(organizationType=organization_type), 400, "organizationType")


def test_nobody_can_register_themselves_as_admin(api_client):
    api_client.post(REGISTER_URL, register_body(organizationType="Admin"), format="json")

    assert not User.objects.filter(role=Role.ADMIN).exclude(email="admin@drec.local").exists()


def test_a_registered_email_is_409_regardless_of_case(refused, buyer):
    refused(register_body(email="BUYER@Example.com", orgName="A Fresh Name"), 409, "email")


def test_a_taken_organization_name_is_409_regardless_of_case(refused, buyer):
    refused(register_body(orgName="green BUYERS"), 409, "orgName")


def test_two_registrations_with_the_same_email_keep_only_the_first(api_client, row_counts):
    assert api_client.post(REGISTER_URL, register_body(), format="json").status_code == 201
    before = row_counts()

    again = api_client.post(REGISTER_URL, register_body(orgName="Second Org"), format="json")

    assert_error(again, 409, "email")
    assert row_counts() == before
    assert not Organization.objects.filter(name="Second Org").exists()


# --- Managed organizations (api_user_id) ------------------------------------------------


@pytest.fixture
def managing_client(api_user, token_for, grant):
    """The api user, signed in with a Bearer token and holding USER_MANAGEMENT_CRUDL Write."""
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    return bearer(token_for(api_user))


def managed_body(api_user, **overrides):
    fields = {
        "api_user_id": str(api_user.api_user.api_user_id),
        "email": "managed.dev@example.org",
        "orgName": "Managed Mini-Grids",
        **overrides,
    }
    return register_body(**fields)


@pytest.mark.parametrize(("organization_type", "role"), [("Developer", "OrganizationAdmin"), ("Buyer", "Buyer")])
def test_an_api_user_registers_an_organization_under_itself(
    managing_client, api_user, mailoutbox, django_capture_on_commit_callbacks, organization_type, role
):
    with django_capture_on_commit_callbacks(execute=True):
        response = managing_client.post(
            REGISTER_URL, managed_body(api_user, organizationType=organization_type), format="json"
        )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["role"] == role
    assert data["api_user_id"] == str(api_user.api_user.api_user_id)
    organization = Organization.objects.get(pk=data["organization"]["id"])
    assert organization.name == "Managed Mini-Grids"
    assert organization.organization_type == organization_type
    assert organization.api_user == api_user.api_user
    assert organization.is_managed
    # Members of managed organizations never use the portal: no confirmation e-mail.
    assert [message.to for message in mailoutbox] == []


def test_a_user_of_a_managed_organization_cannot_log_in(managing_client, api_user, api_client):
    assert managing_client.post(REGISTER_URL, managed_body(api_user), format="json").status_code == 201

    for field in ("username", "email"):
        response = api_client.post(
            LOGIN_URL, {field: "managed.dev@example.org", "password": STRONG_PASSWORD}, format="json"
        )
        body = assert_error(response, 401)
        assert body["message"] == "Unauthorized"
        assert "accessToken" not in body


def test_a_user_of_a_managed_organization_cannot_ask_for_a_password_reset(
    managing_client, api_user, api_client, mailoutbox, django_capture_on_commit_callbacks
):
    assert managing_client.post(REGISTER_URL, managed_body(api_user), format="json").status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        managed = api_client.post("/api/user/forget-password", {"email": "managed.dev@example.org"}, format="json")
        unknown = api_client.post("/api/user/forget-password", {"email": "nobody@example.org"}, format="json")
        known = api_client.post("/api/user/forget-password", {"email": api_user.email}, format="json")

    assert_error(managed, 401)
    assert unknown.status_code == 201
    assert known.status_code == 201
    assert unknown.json() == known.json()
    assert [message.to for message in mailoutbox] == [[api_user.email]]


def test_managed_registration_without_a_token_is_401(refused, api_user):
    refused(managed_body(api_user), 401)


def test_managed_registration_with_a_bad_token_is_401(refused, api_user):
    refused(managed_body(api_user), 401, client=bearer("not.a.token"))


def test_managed_registration_under_another_api_users_id_is_403(refused, api_user, other_api_user, token_for, grant):
    grant(other_api_user, "USER_MANAGEMENT_CRUDL", "Write")
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")

    refused(managed_body(api_user), 403, client=bearer(token_for(other_api_user)))


def test_managed_registration_under_an_unknown_api_user_id_is_403(refused, managing_client):
    body = register_body(api_user_id=str(uuid.uuid4()), email="managed.dev@example.org", orgName="Managed")
    refused(body, 403, client=managing_client)


def test_managed_registration_without_the_user_management_write_grant_is_403(refused, api_user, token_for):
    refused(managed_body(api_user), 403, client=bearer(token_for(api_user)))


def test_managed_registration_with_only_a_read_grant_is_403(refused, api_user, token_for, grant):
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Read")
    refused(managed_body(api_user), 403, client=bearer(token_for(api_user)))


def test_managed_registration_with_an_inactive_grant_is_403(refused, api_user, token_for, grant):
    permission = grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    permission.is_active = False
    permission.save()
    refused(managed_body(api_user), 403, client=bearer(token_for(api_user)))


def test_an_organization_admin_cannot_register_under_an_api_user(refused, api_user, developer_admin, token_for):
    # The developer admin holds USER_MANAGEMENT_CRUDL Write by role, but is not that api user.
    refused(managed_body(api_user), 403, client=bearer(token_for(developer_admin)))


def test_an_api_user_cannot_register_another_api_user_under_itself(refused, managing_client, api_user):
    refused(managed_body(api_user, organizationType="ApiUser"), 400, "organizationType")


def test_managed_registration_still_refuses_a_taken_email(refused, managing_client, api_user, buyer):
    refused(managed_body(api_user, email="buyer@example.com"), 409, "email", client=managing_client)

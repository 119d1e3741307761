"""Security-review findings on accounts and api users: each test is named after its finding
and fails on the code the review was made against."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AccessToken, User
from tests.accounts.apihelpers import (
    KEYS_URL,
    ME_URL,
    TOKEN_URL,
    assert_error,
    bearer,
    client_assertion,
    ed25519_key,
    login,
    public_pem,
    rsa_key,
    token_request,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE_URL = "/api/user/profile"
PORTAL_PROFILE_URL = "/user/profile"
API_USERS_URL = "/api/admin/apiusers"


def _register(user, private_key) -> str:
    client = APIClient()
    client.force_authenticate(user=user)
    response = client.post(KEYS_URL, {"publicKey": public_pem(private_key)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["kid"]


def _client_token(user, private_key, client: APIClient | None = None) -> str:
    response = token_request(client or APIClient(), client_assertion(user, private_key))
    assert response.status_code == 200, response.content
    return response.json()["accessToken"]


# --- 1. Deleting an api-user key does not revoke the access tokens minted with it ----------


def test_deleting_an_api_user_key_revokes_the_access_tokens_minted_with_it(bearer_for, api_user):
    revoked_kid = _register(api_user, rsa_key("a"))
    _register(api_user, ed25519_key("a"))
    minted_by_revoked = _client_token(api_user, rsa_key("a"))
    minted_twice_by_revoked = _client_token(api_user, rsa_key("a"))
    minted_by_other = _client_token(api_user, ed25519_key("a"))
    password_token = login(APIClient(), api_user.email, PASSWORD).json()["accessToken"]
    for token in (minted_by_revoked, minted_twice_by_revoked, minted_by_other, password_token):
        assert bearer(token).get(ME_URL).status_code == 200

    response = bearer_for(api_user).delete(f"{KEYS_URL}/{revoked_kid}")

    assert response.status_code == 200, response.content
    assert_error(bearer(minted_by_revoked).get(ME_URL), 401)
    assert_error(bearer(minted_twice_by_revoked).get(ME_URL), 401)
    assert bearer(minted_by_other).get(ME_URL).status_code == 200
    assert bearer(password_token).get(ME_URL).status_code == 200
    # Deleting it again is a 404 and touches nothing else.
    assert_error(bearer_for(api_user).delete(f"{KEYS_URL}/{revoked_kid}"), 404)
    assert bearer(minted_by_other).get(ME_URL).status_code == 200


def test_deleting_an_api_user_key_leaves_another_api_users_tokens_alone(bearer_for, api_user, other_api_user):
    kid = _register(api_user, rsa_key("a"))
    other_kid = _register(other_api_user, rsa_key("b"))
    theirs = _client_token(other_api_user, rsa_key("b"))

    assert bearer_for(api_user).delete(f"{KEYS_URL}/{kid}").status_code == 200

    assert bearer(theirs).get(ME_URL).status_code == 200
    # An api user cannot revoke someone else's key by its kid.
    assert_error(bearer_for(api_user).delete(f"{KEYS_URL}/{other_kid}"), 404)
    assert bearer(theirs).get(ME_URL).status_code == 200


# --- 2. The token endpoint builds the expected aud from the Host header --------------------


def test_the_token_endpoint_builds_the_expected_aud_from_configuration_not_the_host_header(api_user, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]
    _register(api_user, rsa_key("a"))
    evil = APIClient(HTTP_HOST="evil.example")

    refused = token_request(evil, client_assertion(api_user, rsa_key("a"), aud="http://evil.example/api/auth/token"))

    body = assert_error(refused, 401)
    assert "evil.example" not in body["message"]
    assert not AccessToken.objects.exists()
    # The configured endpoint is the audience, whatever Host the request names.
    configured = client_assertion(api_user, rsa_key("a"), aud=settings.DREC_PUBLIC_URL + TOKEN_URL)
    assert token_request(evil, configured).status_code == 200
    assert token_request(APIClient(), client_assertion(api_user, rsa_key("a"))).status_code == 200


def test_the_token_endpoint_builds_the_expected_aud_from_configuration_only(api_user, settings):
    settings.DREC_PUBLIC_URL = "https://drec.example.org"
    settings.DREC_TOKEN_AUDIENCES = ["https://api.drec.example/api/auth/token"]
    _register(api_user, rsa_key("a"))
    client = APIClient()  # talks to http://testserver

    host_based = client_assertion(api_user, rsa_key("a"), aud="http://testserver/api/auth/token")
    assert_error(token_request(client, host_based), 401)
    for audience in ("https://drec.example.org/api/auth/token", "https://api.drec.example/api/auth/token"):
        assertion = client_assertion(api_user, rsa_key("a"), aud=audience)
        assert token_request(client, assertion).status_code == 200, audience


# --- 3. PUT /api/user/profile changes the e-mail without the password and keeps tokens ------


def _profile(email: str, **extra) -> dict:
    return {"firstName": "Bea", "lastName": "Buyer", "email": email, **extra}


@pytest.mark.parametrize("password", [None, "", "Wrong-Guess-2031"], ids=["missing", "blank", "wrong"])
def test_put_profile_changes_the_email_without_the_password_refused(token_for, buyer, password):
    older = token_for(buyer)
    client = bearer(token_for(buyer))
    extra = {} if password is None else {"password": password}
    first_name = buyer.first_name

    response = client.put(PROFILE_URL, _profile("bea.new@example.org", **extra), format="json")

    assert_error(response, 400, "password")
    buyer.refresh_from_db()
    assert (buyer.email, buyer.first_name) == ("buyer@example.com", first_name)
    assert bearer(older).get(ME_URL).status_code == 200
    assert login(APIClient(), "bea.new@example.org", PASSWORD).status_code == 401


def test_put_profile_changes_the_email_with_the_password_and_ends_the_other_tokens(token_for, buyer):
    older = token_for(buyer)
    current = token_for(buyer)

    response = bearer(current).put(PROFILE_URL, _profile("bea.new@example.org", password=PASSWORD), format="json")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "bea.new@example.org"
    buyer.refresh_from_db()
    assert (buyer.email, buyer.first_name) == ("bea.new@example.org", "Bea")
    assert_error(bearer(older).get(ME_URL), 401)
    # The token that made the change keeps working.
    assert bearer(current).get(ME_URL).json()["email"] == "bea.new@example.org"


def test_put_profile_changing_only_the_names_needs_no_password_and_keeps_tokens(token_for, buyer):
    older = token_for(buyer)

    response = bearer(token_for(buyer)).put(PROFILE_URL, _profile("Buyer@Example.com"), format="json")

    assert response.status_code == 200, response.content
    buyer.refresh_from_db()
    assert (buyer.email, buyer.first_name) == ("buyer@example.com", "Bea")
    assert bearer(older).get(ME_URL).status_code == 200


def test_put_profile_changes_the_email_without_the_password_no_probe_of_taken_emails(token_for, buyer, developer_admin):
    """Without the password, a stolen token learns nothing: not even whether an address is taken."""
    response = bearer(token_for(buyer)).put(PROFILE_URL, _profile(developer_admin.email), format="json")

    assert_error(response, 400, "password")


def test_put_profile_changes_the_email_without_the_password_in_the_schema(api_client):
    schema = api_client.get("/swagger-json")
    assert schema.status_code == 200, schema.status_code
    operation = schema.json()["paths"]["/api/user/profile"]["put"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema.json()["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert "password" in component["properties"]
    assert "password" not in component.get("required", [])
    assert {"firstName", "lastName", "email"} <= set(component["required"])


@pytest.mark.parametrize("password", ["", "Wrong-Guess-2031"], ids=["missing", "wrong"])
def test_portal_profile_changes_the_email_without_the_password_refused(client, token_for, buyer, password):
    older = token_for(buyer)
    first_name = buyer.first_name
    client.force_login(buyer)

    response = client.post(PORTAL_PROFILE_URL, {"tab": "details", **_profile("bea.new@example.org", password=password)})

    assert response.status_code == 200
    assert response.context["details"].errors.get("password"), response.context["details"].errors
    buyer.refresh_from_db()
    assert (buyer.email, buyer.first_name) == ("buyer@example.com", first_name)
    assert bearer(older).get(ME_URL).status_code == 200


def test_portal_profile_changes_the_email_with_the_password_and_ends_the_tokens(client, token_for, buyer):
    older = token_for(buyer)
    client.force_login(buyer)
    page = client.get(PORTAL_PROFILE_URL)
    assert 'name="password"' in page.content.decode()

    response = client.post(PORTAL_PROFILE_URL, {"tab": "details", **_profile("bea.new@example.org", password=PASSWORD)})

    assert response.status_code == 302, response.content[:500]
    buyer.refresh_from_db()
    assert (buyer.email, buyer.first_name) == ("bea.new@example.org", "Bea")
    assert_error(bearer(older).get(ME_URL), 401)
    assert client.get(PORTAL_PROFILE_URL).status_code == 200  # this session stays signed in


def test_portal_profile_changing_only_the_names_needs_no_password(client, token_for, buyer):
    older = token_for(buyer)
    client.force_login(buyer)

    response = client.post(PORTAL_PROFILE_URL, {"tab": "details", **_profile("buyer@example.com")})

    assert response.status_code == 302, response.content[:500]
    buyer.refresh_from_db()
    assert (buyer.email, buyer.first_name) == ("buyer@example.com", "Bea")
    assert bearer(older).get(ME_URL).status_code == 200


# --- 4. GET /api/admin/apiusers is not scoped to the caller's tenant ------------------------


def test_get_admin_apiusers_is_scoped_to_the_callers_tenant(bearer_for, grant, admin_user, api_user, other_api_user):
    grant(api_user, "ADMIN_MANAGEMENT_CRUDL", "Read")

    own = bearer_for(api_user).get(API_USERS_URL)

    assert own.status_code == 200, own.content
    data = own.json()
    assert [user["email"] for user in data["users"]] == [api_user.email]
    assert data["totalCount"] == 1
    assert other_api_user.email not in own.content.decode()
    filtered = bearer_for(api_user).get(API_USERS_URL, {"organizationName": "Two"}).json()
    assert (filtered["users"], filtered["totalCount"]) == ([], 0)
    everyone = bearer_for(admin_user).get(API_USERS_URL).json()
    assert {api_user.email, other_api_user.email} <= {user["email"] for user in everyone["users"]}
    assert everyone["totalCount"] == User.objects.filter(role="ApiUser").count()


def test_get_admin_apiusers_is_scoped_to_the_callers_tenant_for_other_roles(bearer_for, grant, buyer, api_user):
    """Someone who is not an api user holds no api-user account: a Read grant shows nobody."""
    grant(buyer, "ADMIN_MANAGEMENT_CRUDL", "Read")

    response = bearer_for(buyer).get(API_USERS_URL)

    assert response.status_code == 200, response.content
    assert (response.json()["users"], response.json()["totalCount"]) == ([], 0)

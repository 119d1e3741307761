"""POST /api/auth/login, POST /api/auth/logout and the access tokens they deal in (SPEC §3)."""

import time
import uuid
from datetime import timedelta

import jwt
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F

from accounts.models import AccessToken, UserStatus
from tests.accounts.apihelpers import (
    LOGIN_URL,
    LOGOUT_URL,
    ME_URL,
    assert_error,
    bearer,
    login,
    unverified_claims,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REVOKED = "Token revoked. Please log in again."


# --- Password login ---------------------------------------------------------------------


@pytest.mark.parametrize("field", ["username", "email"])
def test_login_answers_200_with_an_access_token(api_client, buyer, field):
    response = api_client.post(LOGIN_URL, {field: buyer.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"accessToken"}
    me = bearer(response.json()["accessToken"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == buyer.email


def test_login_accepts_the_email_in_any_case(api_client, buyer):
    assert login(api_client, "  BUYER@Example.COM ", PASSWORD).status_code == 200


def test_login_also_works_as_form_data(api_client, buyer):
    response = api_client.post(LOGIN_URL, {"username": buyer.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "accessToken" in response.json()


def test_the_access_token_carries_the_documented_claims(api_client, developer_admin):
    before = int(time.time())
    token = login(api_client, developer_admin.email, PASSWORD).json()["accessToken"]

    claims = jwt.decode(token, settings.DREC_JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(developer_admin.pk)
    assert claims["id"] == developer_admin.pk
    assert claims["email"] == "devadmin@example.com"
    assert claims["role"] == "OrganizationAdmin"
    assert uuid.UUID(claims["jti"])
    assert before - 1 <= claims["iat"] <= int(time.time()) + 1
    assert claims["exp"] - claims["iat"] == 24 * 3600  # the default lifetime
    assert AccessToken.objects.filter(jti=claims["jti"], user=developer_admin, revoked_at=None).exists()


@pytest.mark.parametrize("lifetime", [600, 2 * 3600])
def test_the_token_lifetime_follows_the_setting(api_client, buyer, settings, lifetime):
    settings.DREC_JWT_LIFETIME = lifetime

    claims = unverified_claims(login(api_client, buyer.email, PASSWORD).json()["accessToken"])

    assert claims["exp"] - claims["iat"] == lifetime


def test_every_login_gets_its_own_token(api_client, buyer):
    first = login(api_client, buyer.email, PASSWORD).json()["accessToken"]
    second = login(api_client, buyer.email, PASSWORD).json()["accessToken"]

    assert unverified_claims(first)["jti"] != unverified_claims(second)["jti"]


def test_an_api_user_can_log_in_with_its_password(api_client, api_user):
    token = login(api_client, api_user.email, PASSWORD).json()["accessToken"]

    assert unverified_claims(token)["role"] == "ApiUser"


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(api_client, buyer):
    wrong = login(api_client, buyer.email, "Not-The-Password-1")
    unknown = login(api_client, "nobody@example.org", PASSWORD)

    assert assert_error(wrong, 401)["message"] == "Unauthorized"
    assert wrong.json() == unknown.json()
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("status", [UserStatus.SUSPENDED, UserStatus.DELETED, UserStatus.PENDING])
def test_accounts_that_are_not_active_cannot_log_in(api_client, status):
    user = UserFactory(email="inactive@example.org", status=status)

    assert_error(login(api_client, user.email, PASSWORD), 401)
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "buyer@example.com"}, "password"),
        ({"username": "buyer", "password": PASSWORD}, "username"),
        ({"email": "not an email", "password": PASSWORD}, "email"),
        ({"username": 42, "password": PASSWORD}, "username"),
        ({"username": "buyer@example.com", "password": ["x"]}, "password"),
        ({"username": "buyer@example.com", "password": 12345678}, "password"),
        ({"username": "buyer@example.com", "password": None}, "password"),
    ],
)
def test_invalid_login_bodies_are_400_naming_the_field(api_client, buyer, body, field):
    assert_error(api_client.post(LOGIN_URL, body, format="json"), 400, field)


@pytest.mark.parametrize("raw", ['{"username": "buyer@example.com", ', '["buyer@example.com", "x"]', "null"])
def test_login_bodies_that_are_not_json_objects_are_400(api_client, buyer, raw):
    assert_error(api_client.post(LOGIN_URL, raw, content_type="application/json"), 400)


# --- Throttling -------------------------------------------------------------------------


def test_the_tenth_wrong_password_locks_the_account_even_for_the_right_password(api_client, buyer):
    for _ in range(9):
        assert_error(login(api_client, buyer.email, "Not-The-Password-1"), 401)

    tenth = login(api_client, buyer.email, "Not-The-Password-1")
    right = login(api_client, "Buyer@Example.com", PASSWORD)

    for response in (tenth, right):
        assert_error(response, 429)
        assert 1 <= int(response["Retry-After"]) <= 60
    assert not AccessToken.objects.exists()


def test_the_lockout_is_per_account(api_client, buyer, developer_admin):
    for _ in range(10):
        login(api_client, buyer.email, "Not-The-Password-1")

    assert login(api_client, developer_admin.email, PASSWORD).status_code == 200


def test_logins_are_also_throttled_per_ip_address(api_client, buyer):
    # 30 a minute from one address (DREC_THROTTLE_LOGIN), whichever accounts they try.
    for number in range(30):
        assert_error(login(api_client, f"guess{number}@example.org", "Not-The-Password-1"), 401)

    response = login(api_client, buyer.email, PASSWORD)

    assert_error(response, 429)
    assert int(response["Retry-After"]) >= 1
    other_address = login(api_client.__class__(REMOTE_ADDR="203.0.113.9"), buyer.email, PASSWORD)
    assert other_address.status_code == 200


def test_the_lockout_ends_a_minute_after_the_last_wrong_password(api_client, buyer):
    for _ in range(10):
        login(api_client, buyer.email, "Not-The-Password-1")
    assert login(api_client, buyer.email, PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=61))  # a minute later
    assert login(api_client, buyer.email, PASSWORD).status_code == 200
    assert not AccessAttempt.objects.exists()  # a success starts the count again


# --- Using and revoking tokens ----------------------------------------------------------


def test_logout_revokes_the_token(api_client, buyer):
    token = login(api_client, buyer.email, PASSWORD).json()["accessToken"]
    client = bearer(token)
    assert client.get(ME_URL).status_code == 200

    response = client.post(LOGOUT_URL)

    assert response.status_code == 200
    assert response.json() == {"message": "Logout successful"}
    after = assert_error(client.get(ME_URL), 401)
    assert after["message"] == REVOKED
    assert assert_error(client.post(LOGOUT_URL), 401)["message"] == REVOKED


def test_logout_revokes_only_the_token_it_was_called_with(api_client, buyer):
    first = login(api_client, buyer.email, PASSWORD).json()["accessToken"]
    second = login(api_client, buyer.email, PASSWORD).json()["accessToken"]

    assert bearer(first).post(LOGOUT_URL).status_code == 200

    assert bearer(first).get(ME_URL).status_code == 401
    assert bearer(second).get(ME_URL).status_code == 200


def test_logout_without_a_token_is_401(api_client):
    assert_error(api_client.post(LOGOUT_URL), 401)


def test_a_request_without_a_token_is_401(api_client):
    assert_error(api_client.get(ME_URL), 401)


@pytest.fixture
def buyer_token(api_client, buyer) -> str:
    return login(api_client, buyer.email, PASSWORD).json()["accessToken"]


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[5] != "A" else "B").join([signature[:5], signature[6:]])
    return f"{header}.{payload}.{flipped}"


def test_a_tampered_token_is_401(buyer_token):
    assert bearer(buyer_token).get(ME_URL).status_code == 200

    assert_error(bearer(_tamper(buyer_token)).get(ME_URL), 401)


def test_a_token_with_a_forged_role_is_401(buyer_token):
    claims = unverified_claims(buyer_token)
    forged = jwt.encode({**claims, "role": "Admin"}, "guessed-secret-" * 4, algorithm="HS256")

    assert_error(bearer(forged).get(ME_URL), 401)


def test_an_unsigned_token_is_401(buyer_token):
    unsigned = jwt.encode(unverified_claims(buyer_token), None, algorithm="none")

    assert_error(bearer(unsigned).get(ME_URL), 401)


def test_an_expired_token_is_401(buyer_token):
    claims = unverified_claims(buyer_token)
    now = int(time.time())
    # Re-signed with the server's key: only exp differs between the two.
    fresh = jwt.encode({**claims, "exp": now + 60}, settings.DREC_JWT_SECRET, algorithm="HS256")
    expired = jwt.encode({**claims, "iat": now - 120, "exp": now - 10}, settings.DREC_JWT_SECRET, algorithm="HS256")

    assert bearer(fresh).get(ME_URL).status_code == 200
    assert_error(bearer(expired).get(ME_URL), 401)


def test_a_token_issued_with_a_negative_lifetime_never_works(api_client, buyer, settings):
    settings.DREC_JWT_LIFETIME = -5

    token = login(api_client, buyer.email, PASSWORD).json()["accessToken"]

    assert_error(bearer(token).get(ME_URL), 401)


def test_a_token_whose_jti_was_never_issued_is_401(buyer_token):
    claims = unverified_claims(buyer_token)
    unknown = jwt.encode({**claims, "jti": str(uuid.uuid4())}, settings.DREC_JWT_SECRET, algorithm="HS256")

    assert_error(bearer(unknown).get(ME_URL), 401)


def test_a_token_cannot_be_moved_to_another_user(buyer_token, developer_admin):
    claims = unverified_claims(buyer_token)
    moved = jwt.encode(
        {**claims, "sub": str(developer_admin.pk), "id": developer_admin.pk},
        settings.DREC_JWT_SECRET,
        algorithm="HS256",
    )

    assert_error(bearer(moved).get(ME_URL), 401)


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer not-a-jwt"])
def test_malformed_authorization_headers_are_401(api_client, header):
    assert_error(api_client.get(ME_URL, HTTP_AUTHORIZATION=header), 401)


def test_suspending_an_account_ends_its_tokens(buyer_token, buyer):
    buyer.status = UserStatus.SUSPENDED
    buyer.save(update_fields=["status"])

    assert_error(bearer(buyer_token).get(ME_URL), 401)

"""Api users' keys (/api/auth/keys), RFC 7523 private_key_jwt (/api/auth/token) and the
removed /api/auth/getAccess (SPEC §3)."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from accounts.models import AccessToken, ApiUserKey, TokenKind, UserStatus
from tests.accounts.apihelpers import (
    ASSERTION_TYPE,
    KEYS_URL,
    ME_URL,
    TOKEN_URL,
    assert_error,
    bearer,
    client_assertion,
    ed25519_key,
    private_pem,
    public_pem,
    rsa_key,
    token_audience,
    token_request,
    unverified_claims,
)

pytestmark = pytest.mark.django_db


# --- Registering public keys ------------------------------------------------------------


@pytest.mark.parametrize(("key", "algorithm"), [(rsa_key("a"), "RS256"), (ed25519_key("a"), "EdDSA")])
def test_an_api_user_registers_a_public_key(client_for, api_user, key, algorithm):
    client = client_for(api_user)

    response = client.post(KEYS_URL, {"publicKey": public_pem(key)}, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["algorithm"] == algorithm
    assert data["kid"]
    assert data["active"] is True
    assert data["revokedAt"] is None
    stored = ApiUserKey.objects.get(kid=data["kid"])
    assert stored.api_user == api_user.api_user
    assert stored.public_key.strip() == public_pem(key).strip()
    listed = client.get(KEYS_URL)
    assert listed.status_code == 200
    assert [item["kid"] for item in listed.json()] == [data["kid"]]


def test_a_key_is_accepted_with_surrounding_whitespace_and_as_a_bearer_request(api_user, token_for):
    response = bearer(token_for(api_user)).post(
        KEYS_URL, {"publicKey": "\n  " + public_pem(rsa_key("a")) + "\n\n"}, format="json"
    )

    assert response.status_code == 201, response.content


def _unknown_algorithm_spki_pem() -> str:
    """A well-formed SubjectPublicKeyInfo whose algorithm (OID 1.2.3.4) nobody implements."""
    algorithm = bytes.fromhex("3005" + "0603" + "2a0304")
    bits = bytes.fromhex("0305" + "00" + "01020304")
    body = algorithm + bits
    der = bytes([0x30, len(body)]) + body
    return "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"


REFUSED_KEYS = {
    "rsa-1024": lambda: public_pem(rsa_key("short", 1024)),
    "garbage": lambda: "this is not a key",
    "bad-base64": lambda: "-----BEGIN PUBLIC KEY-----\nAAAA!!!!\n-----END PUBLIC KEY-----\n",
    "ec-p256": lambda: public_pem(ec.generate_private_key(ec.SECP256R1())),
    "private-key": lambda: private_pem(ed25519_key("a")),
    "unknown-algorithm": _unknown_algorithm_spki_pem,
    "number": lambda: 12345,
    "blank": lambda: "",
}


@pytest.mark.parametrize("case", list(REFUSED_KEYS))
def test_unusable_public_keys_are_400_naming_public_key(client_for, api_user, row_counts, case):
    client = client_for(api_user)
    before = row_counts()

    response = client.post(KEYS_URL, {"publicKey": REFUSED_KEYS[case]()}, format="json")

    assert_error(response, 400, "publicKey")
    assert row_counts() == before


def test_a_1024_bit_rsa_key_is_refused_with_a_reason(client_for, api_user):
    response = client_for(api_user).post(KEYS_URL, {"publicKey": public_pem(rsa_key("short", 1024))}, format="json")

    assert "2048" in assert_error(response, 400, "publicKey")["message"]


def test_the_same_public_key_cannot_be_registered_twice(client_for, api_user, other_api_user, register_key):
    register_key(api_user, ed25519_key("a"))

    again = client_for(api_user).post(KEYS_URL, {"publicKey": public_pem(ed25519_key("a"))}, format="json")
    elsewhere = client_for(other_api_user).post(KEYS_URL, {"publicKey": public_pem(ed25519_key("a"))}, format="json")

    assert_error(again, 409, "publicKey")
    assert_error(elsewhere, 409, "publicKey")
    assert ApiUserKey.objects.count() == 1


# --- Generated keys: the private key is streamed once ----------------------------------


@pytest.mark.parametrize("body", [None, {}])
def test_an_empty_body_returns_a_generated_private_key_once(client_for, api_user, body):
    response = client_for(api_user).post(KEYS_URL, body, format="json" if body is not None else None)

    assert response.status_code == 201
    assert response["Content-Disposition"] == 'attachment; filename="private_key.pem"'
    assert response["Cache-Control"] == "no-store"
    kid = response["X-Key-Id"]
    assert response.content.startswith(b"-----BEGIN PRIVATE KEY-----")
    private = serialization.load_pem_private_key(response.content, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    stored = ApiUserKey.objects.get(kid=kid)
    assert stored.api_user == api_user.api_user
    assert stored.algorithm == "RS256"
    assert stored.public_key.strip() == public_pem(private).strip()
    assert "PRIVATE" not in stored.public_key


def test_a_generated_key_signs_token_requests(client_for, api_user, api_client):
    private = serialization.load_pem_private_key(client_for(api_user).post(KEYS_URL).content, password=None)

    response = token_request(api_client, client_assertion(api_user, private))

    assert response.status_code == 200, response.content


def test_at_most_two_keys_are_active(client_for, api_user, register_key, row_counts):
    client = client_for(api_user)
    register_key(api_user, rsa_key("a"))
    assert client.post(KEYS_URL).status_code == 201  # a generated second key
    before = row_counts()

    third = client.post(KEYS_URL, {"publicKey": public_pem(ed25519_key("a"))}, format="json")
    generated = client.post(KEYS_URL)

    assert_error(third, 409)
    assert_error(generated, 409)
    assert "X-Key-Id" not in generated
    assert row_counts() == before


def test_revoking_a_key_makes_room_for_another(client_for, api_user, register_key):
    client = client_for(api_user)
    first = register_key(api_user, rsa_key("a"))["kid"]
    register_key(api_user, rsa_key("b"))

    response = client.delete(f"{KEYS_URL}/{first}")

    assert response.status_code == 200
    assert response.json()["success"] is True
    assert client.post(KEYS_URL, {"publicKey": public_pem(ed25519_key("a"))}, format="json").status_code == 201
    listed = {item["kid"]: item for item in client.get(KEYS_URL).json()}
    assert len(listed) == 3
    assert listed[first]["active"] is False
    assert listed[first]["revokedAt"] is not None


def test_a_revoked_key_cannot_be_revoked_again_or_registered_again(client_for, api_user, register_key):
    client = client_for(api_user)
    kid = register_key(api_user, rsa_key("a"))["kid"]
    assert client.delete(f"{KEYS_URL}/{kid}").status_code == 200

    assert_error(client.delete(f"{KEYS_URL}/{kid}"), 404)
    assert_error(client.post(KEYS_URL, {"publicKey": public_pem(rsa_key("a"))}, format="json"), 409)


def test_an_unknown_kid_is_404(client_for, api_user):
    assert_error(client_for(api_user).delete(f"{KEYS_URL}/no-such-kid"), 404)


def test_an_api_user_cannot_see_or_revoke_another_api_users_key(client_for, api_user, other_api_user, register_key):
    kid = register_key(other_api_user, rsa_key("b"))["kid"]

    assert client_for(api_user).get(KEYS_URL).json() == []
    assert_error(client_for(api_user).delete(f"{KEYS_URL}/{kid}"), 404)
    assert ApiUserKey.objects.get(kid=kid).revoked_at is None


@pytest.mark.parametrize("persona", ["admin_user", "developer_admin", "buyer", "sub_buyer"])
def test_only_api_users_have_keys(request, client_for, api_user, register_key, row_counts, persona):
    kid = register_key(api_user, rsa_key("a"))["kid"]
    client = client_for(request.getfixturevalue(persona))
    before = row_counts()

    assert_error(client.get(KEYS_URL), 403)
    assert_error(client.post(KEYS_URL, {"publicKey": public_pem(rsa_key("b"))}, format="json"), 403)
    assert_error(client.post(KEYS_URL), 403)
    assert_error(client.delete(f"{KEYS_URL}/{kid}"), 403)
    assert row_counts() == before
    assert ApiUserKey.objects.get(kid=kid).revoked_at is None


def test_keys_need_a_signed_in_caller(api_client, api_user, register_key):
    kid = register_key(api_user, rsa_key("a"))["kid"]

    assert_error(api_client.get(KEYS_URL), 401)
    assert_error(api_client.post(KEYS_URL), 401)
    assert_error(api_client.delete(f"{KEYS_URL}/{kid}"), 401)


# --- The token endpoint (RFC 7523 private_key_jwt) ----------------------------------------


def _assert_token_answer(response, api_user):
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) >= {"accessToken", "access_token", "token_type", "expires_in"}
    assert data["accessToken"] == data["access_token"]
    assert data["token_type"] == "Bearer"
    me = bearer(data["accessToken"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == api_user.email
    assert me.json()["role"] == "ApiUser"
    return data


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
@pytest.mark.parametrize("key", [rsa_key("a"), ed25519_key("a")], ids=["RS256", "EdDSA"])
def test_a_signed_client_assertion_is_exchanged_for_a_working_access_token(
    api_client, api_user, register_key, key, as_json
):
    register_key(api_user, key)

    response = token_request(api_client, client_assertion(api_user, key), as_json=as_json)

    data = _assert_token_answer(response, api_user)
    assert data["expires_in"] == 24 * 3600
    claims = unverified_claims(data["accessToken"])
    assert claims["sub"] == str(api_user.pk)
    assert AccessToken.objects.get(jti=claims["jti"]).kind == TokenKind.CLIENT


def test_the_client_token_lifetime_follows_the_setting(api_client, api_user, api_user_rsa, settings):
    settings.DREC_JWT_LIFETIME = 900

    data = token_request(api_client, client_assertion(api_user, api_user_rsa)).json()

    assert data["expires_in"] == 900
    claims = unverified_claims(data["accessToken"])
    assert claims["exp"] - claims["iat"] == 900


def test_the_assertion_may_name_its_key(api_client, api_user, register_key):
    register_key(api_user, rsa_key("a"))
    kid = register_key(api_user, rsa_key("b"))["kid"]

    response = token_request(api_client, client_assertion(api_user, rsa_key("b"), headers={"kid": kid}))

    _assert_token_answer(response, api_user)


def test_either_of_two_active_keys_works(api_client, api_user, register_key):
    register_key(api_user, rsa_key("a"))
    register_key(api_user, ed25519_key("a"))

    for key in (rsa_key("a"), ed25519_key("a")):
        _assert_token_answer(token_request(api_client, client_assertion(api_user, key)), api_user)


def test_a_client_token_can_be_logged_out(api_client, api_user, api_user_rsa):
    token = token_request(api_client, client_assertion(api_user, api_user_rsa)).json()["accessToken"]

    assert bearer(token).post("/api/auth/logout").status_code == 200

    assert_error(bearer(token).get(ME_URL), 401)


def _hs256_signed_with_public_key(user, key) -> str:
    """The algorithm-confusion attack: HS256 with the (public) PEM as the HMAC secret."""

    def part(value: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    api_user_id = str(user.api_user.api_user_id)
    claims = {
        "iss": api_user_id,
        "sub": api_user_id,
        "aud": token_audience(),
        "exp": int(time.time()) + 60,
        "jti": uuid.uuid4().hex,
    }
    signing_input = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(claims)
    signature = hmac.new(public_pem(key).encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


REFUSED_ASSERTIONS = {
    "signed-by-another-key": lambda user: client_assertion(user, rsa_key("b")),
    "signed-by-another-algorithm-key": lambda user: client_assertion(user, ed25519_key("b")),
    "expired": lambda user: client_assertion(user, rsa_key("a"), iat=int(time.time()) - 600, exp=int(time.time()) - 60),
    "exp-one-hour-ahead": lambda user: client_assertion(user, rsa_key("a"), exp=int(time.time()) + 3600),
    "exp-in-year-33658": lambda user: client_assertion(user, rsa_key("a"), exp=10**12),
    "no-exp": lambda user: client_assertion(user, rsa_key("a"), exp=None),
    "no-jti": lambda user: client_assertion(user, rsa_key("a"), jti=None),
    "wrong-aud": lambda user: client_assertion(user, rsa_key("a"), aud="https://evil.example/api/auth/token"),
    "aud-of-another-endpoint": lambda user: client_assertion(
        user, rsa_key("a"), aud=token_audience().replace("/api/auth/token", "/api/auth/login")
    ),
    "no-aud": lambda user: client_assertion(user, rsa_key("a"), aud=None),
    "iss-not-sub": lambda user: client_assertion(user, rsa_key("a"), sub=str(uuid.uuid4())),
    "no-sub": lambda user: client_assertion(user, rsa_key("a"), sub=None),
    "unknown-api-user": lambda user: client_assertion(
        user, rsa_key("a"), iss=(unknown := str(uuid.uuid4())), sub=unknown
    ),
    "iss-not-a-uuid": lambda user: client_assertion(user, rsa_key("a"), iss="apiuser1", sub="apiuser1"),
    "iss-is-the-user-pk": lambda user: client_assertion(user, rsa_key("a"), iss=str(user.pk), sub=str(user.pk)),
    "not-yet-valid": lambda user: client_assertion(user, rsa_key("a"), nbf=int(time.time()) + 120),
    "hs256-with-the-public-key": lambda user: _hs256_signed_with_public_key(user, rsa_key("a")),
    "unsigned": lambda user: jwt.encode(
        {
            "iss": str(user.api_user.api_user_id),
            "sub": str(user.api_user.api_user_id),
            "aud": token_audience(),
            "exp": int(time.time()) + 60,
            "jti": uuid.uuid4().hex,
        },
        None,
        algorithm="none",
    ),
    "not-a-jwt": lambda user: "not.a.jwt",
    "kid-of-another-users-key": None,  # built in the test
}


@pytest.mark.parametrize("case", list(REFUSED_ASSERTIONS))
def test_bad_client_assertions_are_401(
    api_client, api_user, other_api_user, api_user_rsa, register_key, row_counts, case
):
    if case == "kid-of-another-users-key":
        kid = register_key(other_api_user, rsa_key("b"))["kid"]
        assertion = client_assertion(api_user, rsa_key("b"), headers={"kid": kid})
    else:
        assertion = REFUSED_ASSERTIONS[case](api_user)
    before = row_counts()

    response = token_request(api_client, assertion)

    body = assert_error(response, 401)
    assert "accessToken" not in body
    assert row_counts() == before


def test_a_client_assertion_cannot_be_replayed(api_client, api_user, api_user_rsa):
    assertion = client_assertion(api_user, api_user_rsa)
    _assert_token_answer(token_request(api_client, assertion), api_user)

    replay = token_request(api_client, assertion)

    assert_error(replay, 401)
    assert AccessToken.objects.filter(user=api_user, kind=TokenKind.CLIENT).count() == 1


def test_a_used_jti_is_refused_even_in_a_newly_signed_assertion(api_client, api_user, api_user_rsa):
    jti = uuid.uuid4().hex
    assert token_request(api_client, client_assertion(api_user, api_user_rsa, jti=jti)).status_code == 200

    again = client_assertion(api_user, api_user_rsa, jti=jti, exp=int(time.time()) + 200)

    assert_error(token_request(api_client, again), 401)


def test_two_api_users_may_use_the_same_jti(api_client, api_user, other_api_user, register_key):
    register_key(api_user, rsa_key("a"))
    register_key(other_api_user, rsa_key("b"))

    first = token_request(api_client, client_assertion(api_user, rsa_key("a"), jti="shared-jti"))
    second = token_request(api_client, client_assertion(other_api_user, rsa_key("b"), jti="shared-jti"))

    _assert_token_answer(first, api_user)
    _assert_token_answer(second, other_api_user)


def test_an_assertion_expiring_within_five_minutes_is_accepted(api_client, api_user, api_user_rsa):
    assertion = client_assertion(api_user, api_user_rsa, exp=int(time.time()) + 290)

    _assert_token_answer(token_request(api_client, assertion), api_user)


def test_a_revoked_key_no_longer_signs_token_requests(client_for, api_client, api_user, register_key):
    kid = register_key(api_user, rsa_key("a"))["kid"]
    _assert_token_answer(token_request(api_client, client_assertion(api_user, rsa_key("a"))), api_user)

    assert client_for(api_user).delete(f"{KEYS_URL}/{kid}").status_code == 200

    assert_error(token_request(api_client, client_assertion(api_user, rsa_key("a"))), 401)
    assert_error(token_request(api_client, client_assertion(api_user, rsa_key("a"), headers={"kid": kid})), 401)


@pytest.mark.parametrize("status", [UserStatus.SUSPENDED, UserStatus.DELETED])
def test_an_api_user_that_is_not_active_gets_no_token(api_client, api_user, api_user_rsa, status):
    api_user.status = status
    api_user.save(update_fields=["status"])

    assert_error(token_request(api_client, client_assertion(api_user, api_user_rsa)), 401)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"grant_type": "password"}, "grant_type"),
        ({"grant_type": "authorization_code"}, "grant_type"),
        (
            {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
            "client_assertion_type",
        ),
        ({"client_assertion_type": "jwt"}, "client_assertion_type"),
        ({"grant_type": ""}, "grant_type"),
        ({"client_assertion": ""}, "client_assertion"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_wrong_grant_or_assertion_types_are_400(api_client, api_user, api_user_rsa, overrides, field, as_json):
    response = token_request(api_client, client_assertion(api_user, api_user_rsa), as_json=as_json, **overrides)

    assert_error(response, 400, field)
    assert not AccessToken.objects.filter(kind=TokenKind.CLIENT).exists()


@pytest.mark.parametrize("missing", ["grant_type", "client_assertion_type", "client_assertion"])
def test_missing_token_fields_are_400(api_client, missing):
    body = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": "x.y.z"}
    del body[missing]

    assert_error(api_client.post(TOKEN_URL, body, format="json"), 400, missing)


def test_malformed_json_at_the_token_endpoint_is_400(api_client):
    assert_error(api_client.post(TOKEN_URL, '{"grant_type": ', content_type="application/json"), 400)


def test_the_token_endpoint_ignores_a_bearer_token(api_client, api_user, api_user_rsa):
    client = bearer("garbage")

    _assert_token_answer(token_request(client, client_assertion(api_user, api_user_rsa)), api_user)


# --- The removed getAccess -------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?privateKey=-----BEGIN%20PRIVATE%20KEY-----abc"])
def test_get_access_is_gone_and_points_to_the_token_endpoint(api_client, api_user, query):
    response = api_client.post(f"/api/auth/getAccess{query}", {"client_id": str(api_user.api_user.api_user_id)})

    body = assert_error(response, 410)
    assert "/api/auth/token" in body["message"]
    assert not AccessToken.objects.filter(kind=TokenKind.CLIENT).exists()

"""backend.md §15.1 (authentication and secrets), items 1-10: each weakness of the original,
tried against our API, must stay absent."""

import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from unittest import mock

import jwt
import pytest
from allauth.account.forms import default_token_generator
from django.conf import global_settings, settings
from django.utils.module_loading import import_string

from accounts.models import AccessToken, ApiUser, ApiUserKey, Role, TokenKind, User, UserStatus
from organizations.models import Invitation, Organization
from tests.accounts.apihelpers import (
    KEYS_URL,
    ME_URL,
    REGISTER_URL,
    STRONG_PASSWORD,
    bearer,
    client_assertion,
    columns_containing,
    confirmation_token,
    login,
    public_pem,
    register_body,
    reset_token,
    rsa_key,
    token_audience,
    token_request,
    unverified_claims,
)
from tests.factories import PASSWORD, UserFactory
from tests.organizations.helpers import assert_error, mentions_a_password

pytestmark = [
    pytest.mark.django_db,
    # The forgeries use the original's short secrets on purpose.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
FORGET_URL = "/api/user/forget-password"
NEW_PASSWORD = "Quiet-River-7719"


def reset_url(token: str) -> str:
    return f"/api/user/reset/password/{token}"


def hs256(claims: dict, secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def unsigned(claims: dict) -> str:
    """A JWT with ``alg: none`` (no signature at all)."""
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def hmac_with_public_key(claims: dict, public_key_pem: str) -> str:
    """The algorithm-confusion forgery: HS256 "signed" with the (public!) RSA key as the secret."""
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
    signature = hmac.new(public_key_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` with production settings (no test settings, no database URL)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "DREC_"))}
    environment.update(DJANGO_SETTINGS_MODULE="drec.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


# --- 1 ------------------------------------------------------------------------------------

BEARER_FORGERIES = ["my-secret", "thisisnotsecret", "alg-none", "real-secret-but-never-issued"]
ASSERTION_FORGERIES = ["unregistered-key", "hs256-with-the-public-key", "alg-none", "exp-an-hour-ahead", "replayed"]


@pytest.mark.parametrize(
    "forgery", [("bearer", name) for name in BEARER_FORGERIES] + [("assertion", name) for name in ASSERTION_FORGERIES]
)
def test_15_01_client_tokens_cannot_be_minted_with_a_known_secret(
    api_client, admin_user, api_user, client_for, forgery
):
    """The original signed client tokens with the hard-coded "my-secret" and accepted any
    e-mail/role in them. Ours: access tokens are recorded by jti (a well-signed token we never
    issued is refused), and api users get them only for a client assertion signed by a private
    key whose public half they registered (RS256/EdDSA, exp ≤ 5 min, jti used once)."""
    kind, name = forgery
    now = int(time.time())
    if kind == "bearer":
        claims = {
            "sub": str(admin_user.pk),
            "id": admin_user.pk,
            "email": admin_user.email,
            "role": Role.ADMIN,
            "iat": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
        }
        token = {
            "my-secret": lambda: hs256(claims, "my-secret"),
            "thisisnotsecret": lambda: hs256(claims, "thisisnotsecret"),
            "alg-none": lambda: unsigned(claims),
            "real-secret-but-never-issued": lambda: hs256(claims, settings.DREC_JWT_SECRET),
        }[name]()
        forger = bearer(token)
        assert_error(forger.get(ME_URL), 401)
        assert_error(forger.get("/api/admin/users"), 401)
        assert_error(forger.post("/api/drec-issuer/run"), 401)
        return

    key = rsa_key("a")
    registered = client_for(api_user).post(KEYS_URL, {"publicKey": public_pem(key)}, format="json")
    assert registered.status_code == 201, registered.content
    api_user_id = str(api_user.api_user.api_user_id)
    claims = {"iss": api_user_id, "sub": api_user_id, "aud": token_audience(), "iat": now}
    claims.update(exp=now + 120, jti=uuid.uuid4().hex)
    assertion = {
        "unregistered-key": lambda: client_assertion(api_user, rsa_key("b")),
        "hs256-with-the-public-key": lambda: hmac_with_public_key(claims, public_pem(key)),
        "alg-none": lambda: unsigned(claims),
        "exp-an-hour-ahead": lambda: client_assertion(api_user, key, exp=now + 3600),
        "replayed": lambda: client_assertion(api_user, key, jti="used-once"),
    }[name]()
    if name == "replayed":
        assert token_request(api_client, assertion).status_code == 200
    tokens_before = AccessToken.objects.count()

    assert_error(token_request(api_client, assertion), 401)
    assert AccessToken.objects.count() == tokens_before
    # The very same request with a genuine assertion works: the refusal above is the forgery's.
    assert token_request(api_client, client_assertion(api_user, key)).status_code == 200


# --- 2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["no-secret", "weak-jwt-secret", "lifetime-ignored", "expired-accepted"])
def test_15_02_no_default_token_secret_and_a_token_lifetime_that_is_honoured(api_client, buyer, settings, problem):
    """The original fell back to JWT_SECRET "thisisnotsecret" and ignored JWT_EXPIRY_TIME
    (180 days). Ours refuses to start in production without a secret or with a guessable
    token key, and tokens last exactly DREC_JWT_LIFETIME."""
    if problem == "no-secret":
        result = manage("check", DJANGO_DEBUG="0")
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY is not set" in result.stderr
    elif problem == "weak-jwt-secret":
        strong = secrets.token_urlsafe(64)
        refused = manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=strong, DREC_JWT_SECRET="thisisnotsecret")
        assert refused.returncode != 0
        assert "DREC_JWT_SECRET" in refused.stderr
        accepted = manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=strong)
        assert accepted.returncode == 0, accepted.stderr
    elif problem == "lifetime-ignored":
        settings.DREC_JWT_LIFETIME = 600
        claims = unverified_claims(login(api_client, buyer.email, PASSWORD).json()["accessToken"])
        assert claims["exp"] - claims["iat"] == 600
    else:
        settings.DREC_JWT_LIFETIME = -5  # a token whose lifetime is already over
        token = login(api_client, buyer.email, PASSWORD).json()["accessToken"]
        assert "expired" in assert_error(bearer(token).get(ME_URL), 401)["message"]


# --- 3 ------------------------------------------------------------------------------------


def _private_key_files(before: dict[Path, float], needle: str) -> list[Path]:
    """Files new or changed since ``before`` that hold ``needle``."""
    found = []
    for path, mtime in _files().items():
        if (
            before.get(path) != mtime
            and path.stat().st_size < 2_000_000
            and needle in path.read_bytes().decode("latin-1")
        ):
            found.append(path)
    return found


def _files() -> dict[Path, float]:
    """Files where a careless server would drop a key: the working directory, the project, its
    var/ folder, the temporary directory and the home directory (top level)."""
    folders = {Path.cwd(), ROOT, Path(tempfile.gettempdir()), Path.home()}
    files = {path for folder in folders for path in folder.iterdir() if path.is_file()}
    files |= {path for path in (ROOT / "var").rglob("*") if path.is_file()} if (ROOT / "var").exists() else set()
    return {path: path.stat().st_mtime for path in files}


@pytest.mark.parametrize("problem", ["export-route", "unauthenticated-keys", "rotation-of-others", "private-key-kept"])
def test_15_03_api_user_keys_are_not_exported_without_authentication(
    api_client, client_for, api_user, other_api_user, developer_admin, problem
):
    """The original's GET /user/export-accesskey/:api_user_id handed a new key pair to anyone
    knowing the UUID and wrote the private key to the working directory. Ours: that route does
    not exist; keys are added, listed and revoked by the authenticated api user only, for
    itself; a generated private key is streamed once and stored nowhere (database or disk)."""
    api_user_id = api_user.api_user.api_user_id
    if problem == "export-route":
        for client in (api_client, client_for(api_user), client_for(other_api_user)):
            for method in ("get", "post"):
                response = getattr(client, method)(f"/api/user/export-accesskey/{api_user_id}")
                assert_error(response, 404)
        assert not ApiUserKey.objects.exists()
    elif problem == "unauthenticated-keys":
        assert_error(api_client.get(KEYS_URL), 401)
        assert_error(api_client.post(KEYS_URL), 401)
        assert_error(api_client.post(KEYS_URL, {"publicKey": public_pem(rsa_key("a"))}, format="json"), 401)
        assert_error(client_for(developer_admin).post(KEYS_URL), 403)
        assert not ApiUserKey.objects.exists()
    elif problem == "rotation-of-others":
        mine = client_for(api_user).post(KEYS_URL, {"publicKey": public_pem(rsa_key("a"))}, format="json").json()
        assert client_for(other_api_user).get(KEYS_URL).json() == []
        assert_error(client_for(other_api_user).delete(f"{KEYS_URL}/{mine['kid']}"), 404)
        assert_error(api_client.delete(f"{KEYS_URL}/{mine['kid']}"), 401)
        assert ApiUserKey.objects.get(kid=mine["kid"]).revoked_at is None
        # Its owner revokes it, and the key then signs nothing.
        assert client_for(api_user).delete(f"{KEYS_URL}/{mine['kid']}").status_code == 200
        assert_error(token_request(api_client, client_assertion(api_user, rsa_key("a"))), 401)
    else:
        before = _files()
        download = client_for(api_user).post(KEYS_URL)
        assert download.status_code == 201
        body_lines = [line for line in download.content.decode().splitlines() if line and "-----" not in line]
        assert body_lines
        assert columns_containing("PRIVATE KEY", body_lines[1], body_lines[-2]) == []
        assert _private_key_files(before, body_lines[1]) == []
        assert ApiUserKey.objects.get(kid=download["X-Key-Id"]).public_key.startswith("-----BEGIN PUBLIC KEY-----")


# --- 4 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "problem", ["getaccess-gone", "managed-member", "suspended-api-user", "client-token-revocable"]
)
def test_15_04_every_token_issuance_applies_the_sign_in_rules_and_client_tokens_are_revocable(
    api_client, client_for, token_for, world, problem
):
    """The original's /auth/getAccess skipped the tenant rule (managed members blocked from
    /auth/login still got tokens) and client tokens had no session row. Ours: /auth/getAccess
    is 410; the same eligibility decides login, client assertions and every request made with
    a token; client tokens are recorded by jti and revoked by logout."""
    if problem == "getaccess-gone":
        response = api_client.post(f"/api/auth/getAccess?privateKey={public_pem(rsa_key('a'))}")
        assert "/api/auth/token" in assert_error(response, 410)["message"]
        assert not AccessToken.objects.exists()
        return
    api_user = world.api_user
    key = rsa_key("a")
    client_for(api_user).post(KEYS_URL, {"publicKey": public_pem(key)}, format="json")
    if problem == "managed-member":
        member = world.managed_admin
        member.set_password(PASSWORD)
        member.save()
        assert_error(login(api_client, member.email, PASSWORD), 401)
        # Even a token that exists for it (e.g. issued before its organization was taken over) is refused.
        assert_error(bearer(token_for(member)).get(ME_URL), 401)
        # A client assertion names an api user, never a member: its id is no api_user_id.
        assertion = client_assertion(api_user, key, iss=str(member.pk), sub=str(member.pk))
        assert_error(token_request(api_client, assertion), 401)
    elif problem == "suspended-api-user":
        User.objects.filter(pk=api_user.pk).update(status=UserStatus.SUSPENDED)
        assert_error(token_request(api_client, client_assertion(api_user, key)), 401)
        assert not AccessToken.objects.filter(user=api_user, kind=TokenKind.CLIENT).exists()
    else:
        answer = token_request(api_client, client_assertion(api_user, key)).json()
        token = answer["access_token"]
        record = AccessToken.objects.get(jti=unverified_claims(token)["jti"])
        assert record.kind == TokenKind.CLIENT
        assert bearer(token).get(ME_URL).status_code == 200
        assert bearer(token).post("/api/auth/logout").status_code == 200
        assert "revoked" in assert_error(bearer(token).get(ME_URL), 401)["message"]


# --- 5 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["raw-token-stored", "usable-at-once", "long-token"])
def test_15_05_sessions_keep_a_token_id_not_the_token(api_client, problem):
    """The original stored the raw JWT in a varchar(255) session row, inserted without
    awaiting it (long tokens failed; "Token revoked" right after login). Ours records the
    jti only, in the request that issues the token, so the token works at once however long."""
    email = (
        "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".org"
        if problem == "long-token"
        else "plain@example.org"
    )
    user = UserFactory(email=email, role=Role.ORGANIZATION_ADMIN)
    response = login(api_client, email, PASSWORD)
    assert response.status_code == 200, response.content
    token = response.json()["accessToken"]
    claims = unverified_claims(token)
    if problem == "raw-token-stored":
        assert AccessToken.objects.filter(jti=claims["jti"], user=user).exists()
        signature = token.rsplit(".", 1)[1]
        assert columns_containing(token, signature) == []
    elif problem == "usable-at-once":
        for _ in range(3):
            assert bearer(token).get(ME_URL).status_code == 200
    else:
        assert len(token) > 255
        me = bearer(token).get(ME_URL)
        assert me.status_code == 200
        assert me.json()["email"] == email


# --- 6 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "problem", ["Pending", "Suspended", "Deleted", "suspended-while-signed-in", "no-throttle", "weak-hash"]
)
def test_15_06_only_active_accounts_sign_in_throttled_with_a_strong_hash(api_client, settings, problem):
    """The original let Pending, Suspended and Deleted users log in, never throttled and hashed
    with bcrypt cost 8. Ours: only Active accounts sign in (and a suspension ends existing
    tokens), repeated wrong passwords are answered 429, and production hashes with argon2id at
    OWASP's minimum or above (accounts.hashers; SPEC §12), PBKDF2 left only to verify old hashes."""
    if problem == "weak-hash":
        import drec.settings as production

        hashers = getattr(production, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
        hasher = import_string(hashers[0])()
        assert hasher.algorithm == "argon2"
        assert hasher.memory_cost >= 19_456
        assert hasher.time_cost >= 2
        assert hasher.parallelism == 1
        # New and changed passwords are hashed with the first; the others only verify old hashes.
        assert hasher.encode("Solar-Panel-42", hasher.salt()).startswith(f"{hasher.algorithm}$")
        return
    user = UserFactory(email="status@example.org", role=Role.ORGANIZATION_ADMIN)
    if problem in UserStatus.values:
        User.objects.filter(pk=user.pk).update(status=problem)
        assert_error(login(api_client, user.email, PASSWORD), 401)
        assert not AccessToken.objects.filter(user=user).exists()
    elif problem == "suspended-while-signed-in":
        token = login(api_client, user.email, PASSWORD).json()["accessToken"]
        assert bearer(token).get(ME_URL).status_code == 200
        User.objects.filter(pk=user.pk).update(status=UserStatus.SUSPENDED)
        assert_error(bearer(token).get(ME_URL), 401)
    else:
        settings.AXES_FAILURE_LIMIT = 3
        for _ in range(2):
            assert_error(login(api_client, user.email, "Wrong-Password-1"), 401)
        assert_error(login(api_client, user.email, "Wrong-Password-1"), 429)  # the third locks it
        throttled = login(api_client, user.email, PASSWORD)  # even the right password waits now
        assert_error(throttled, 429)
        assert int(throttled["Retry-After"]) > 0
        assert not AccessToken.objects.filter(user=user).exists()


# --- 7 ------------------------------------------------------------------------------------


@pytest.fixture
def ask_reset(api_client, committed, mailoutbox):
    """``ask_reset(user)``: POST forget-password; the token of the e-mail it sends."""

    def ask(user) -> str:
        with committed():
            assert api_client.post(FORGET_URL, {"email": user.email}, format="json").status_code == 201
        return reset_token(mailoutbox[-1])

    return ask


def _reset(client, token: str, password: str = NEW_PASSWORD):
    return client.put(reset_url(token), {"newPassword": password, "confirmPassword": password}, format="json")


RESET_PROBLEMS = [
    "confirmation-token-resets",
    "reused",
    "expired",
    "survives-password-change",
    "email-as-token",
    "weak-password-on-reset",
    "weak-password-on-change",
]


@pytest.mark.parametrize("problem", RESET_PROBLEMS)
def test_15_07_password_reset_tokens_are_single_use_expiring_and_separate(
    api_client, buyer, ask_reset, committed, mailoutbox, settings, problem
):
    """The original reset passwords with the e-mail-confirmation token, never consumed it,
    never checked its expiry, reset a password when the "token" was an e-mail address, and
    had no password policy on reset/change. Ours: reset tokens are their own, work once,
    expire, die with any password change, and the password policy applies everywhere."""
    if problem == "confirmation-token-resets":
        with committed():
            assert api_client.post(REGISTER_URL, register_body(), format="json").status_code == 201
        token = confirmation_token(mailoutbox[-1])
        assert_error(_reset(api_client, token), 400)
        assert login(api_client, "ada.okafor@example.org", STRONG_PASSWORD).status_code == 200
        return
    if problem == "email-as-token":
        for token in (buyer.email, f"{buyer.pk}-{buyer.email}", "undefined"):
            assert_error(_reset(api_client, token), 400)
    elif problem == "weak-password-on-change":
        response = bearer(login(api_client, buyer.email, PASSWORD).json()["accessToken"]).put(
            "/api/user/password", {"oldPassword": PASSWORD, "newPassword": "password"}, format="json"
        )
        assert_error(response, 400, "newPassword")
    else:
        token = ask_reset(buyer)
        if problem == "reused":
            assert _reset(api_client, token).status_code == 200
            assert_error(_reset(api_client, token, "Other-Orbit-5150"), 400)
            assert login(api_client, buyer.email, NEW_PASSWORD).status_code == 200
            return
        if problem == "expired":
            settings.PASSWORD_RESET_TIMEOUT = 600
            later = default_token_generator._now() + timedelta(seconds=660)
            with mock.patch.object(default_token_generator, "_now", return_value=later):
                assert_error(_reset(api_client, token), 400)
        elif problem == "survives-password-change":
            signed_in = bearer(login(api_client, buyer.email, PASSWORD).json()["accessToken"])
            changed = signed_in.put(
                "/api/user/password", {"oldPassword": PASSWORD, "newPassword": "Other-Orbit-5150"}, format="json"
            )
            assert changed.status_code == 200
            assert_error(_reset(api_client, token), 400)
            assert login(api_client, buyer.email, "Other-Orbit-5150").status_code == 200
            return
        else:  # weak password on reset; the token stays usable for a good one
            for weak in ("password", "12345678", "short1", buyer.email):
                assert_error(_reset(api_client, token, weak), 400, "newPassword")
            assert _reset(api_client, token).status_code == 200
            return
    assert login(api_client, buyer.email, PASSWORD).status_code == 200


# --- 8 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["registration-response", "invitation-email", "admin-created-user"])
def test_15_08_no_password_is_ever_emailed_or_answered(
    api_client, client_for, admin_user, developer_admin, committed, mailoutbox, problem
):
    """The original e-mailed plaintext passwords (invitations, admin-created users) and its
    registration answered the bcrypt hash. Ours answers no hash, stores no plaintext, and its
    e-mails carry single-use links instead of passwords."""
    if problem == "registration-response":
        with committed():
            response = api_client.post(REGISTER_URL, register_body(), format="json")
        assert response.status_code == 201
        assert "password" not in response.json()
        assert STRONG_PASSWORD not in response.content.decode()
        user = User.objects.get(email="ada.okafor@example.org")
        assert user.password != STRONG_PASSWORD
        assert user.check_password(STRONG_PASSWORD)
        assert STRONG_PASSWORD not in login(api_client, user.email, STRONG_PASSWORD).content.decode()
    elif problem == "invitation-email":
        with committed():
            response = client_for(developer_admin).post(
                "/api/invitation", {"email": "amina@example.org", "role": Role.DEVICE_OWNER}, format="json"
            )
        assert response.status_code == 201, response.content
        assert not User.objects.filter(email="amina@example.org").exists()
        [message] = mailoutbox
        assert "/user/acceptInvitaion?" in message.body
        assert not mentions_a_password(message.body)
    else:
        body = {
            "firstName": "Nia",
            "lastName": "Mwangi",
            "email": "nia@example.org",
            "organizationType": "Developer",
            "orgName": "Mwangi Solar",
        }
        with committed():
            assert client_for(admin_user).post("/api/admin/users", body, format="json").status_code == 201
            with_password = {**body, "email": "kofi@example.org", "orgName": "Kofi Solar"}
            with_password.update(password=STRONG_PASSWORD, confirmPassword=STRONG_PASSWORD)
            assert client_for(admin_user).post("/api/admin/users", with_password, format="json").status_code == 201
        assert len(mailoutbox) == 2
        for message in mailoutbox:
            assert STRONG_PASSWORD not in message.body
            assert not mentions_a_password(message.body)
        assert "/reset-password?" in mailoutbox[0].body


# --- 9 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["anonymous", "other-api-user", "developer", "api-user-without-grant"])
def test_15_09_api_user_id_is_not_a_bearer_credential(api_client, client_for, world, caller):
    """The original registered an organization under any ApiUser whose api_user_id was in the
    body, without a token. Ours: only that api user itself, signed in and holding
    USER_MANAGEMENT_CRUDL Write, registers organizations under its api_user_id."""
    api_user = world.api_user
    body = register_body(
        email="managed.new@example.org", orgName="Hijacked Solar", api_user_id=str(api_user.api_user.api_user_id)
    )
    if caller == "api-user-without-grant":
        api_user.acl_grants.filter(module__name="USER_MANAGEMENT_CRUDL").delete()
    client = {
        "anonymous": api_client,
        "other-api-user": client_for(world.other_api_user),
        "developer": client_for(world.developer_admin),
        "api-user-without-grant": client_for(api_user),
    }[caller]

    assert_error(client.post(REGISTER_URL, body, format="json"), 401 if caller == "anonymous" else 403)
    assert not Organization.objects.filter(name="Hijacked Solar").exists()
    assert not User.objects.filter(email="managed.new@example.org").exists()
    if caller != "api-user-without-grant":
        # The api user itself may (so the refusals above are about the caller).
        created = client_for(api_user).post(REGISTER_URL, body, format="json")
        assert created.status_code == 201, created.content
        assert Organization.objects.get(name="Hijacked Solar").api_user == ApiUser.objects.get(user=api_user)


# --- 10 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "problem", ["forget-password", "login", "confirm-token", "reset-token", "invitation", "odd-tokens"]
)
def test_15_10_unknown_emails_and_tokens_are_uniform_client_errors(
    api_client, buyer, committed, mailoutbox, problem, world
):
    """The original dereferenced null for unknown e-mails/tokens (500) and answered registered
    and unregistered e-mails differently. Ours answers the same for known and unknown
    e-mails, and 400/401/404 for bad tokens, never 500."""
    if problem == "forget-password":
        with committed():
            known = api_client.post(FORGET_URL, {"email": buyer.email}, format="json")
            unknown = api_client.post(FORGET_URL, {"email": "nobody@example.org"}, format="json")
        assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
        assert [message.to for message in mailoutbox] == [[buyer.email]]
    elif problem == "login":
        wrong = login(api_client, buyer.email, "Wrong-Password-1")
        unknown = login(api_client, "nobody@example.org", "Wrong-Password-1")
        assert_error(wrong, 401)
        assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
    elif problem == "confirm-token":
        for token in ("unknown", "a" * 128, "MQ:1tAbCd:xyz"):
            assert_error(api_client.put(f"/api/user/confirm-email/{token}"), 400)
    elif problem == "reset-token":
        for token in ("unknown", "zz-abc", "999999-abc", "-"):
            assert_error(_reset(api_client, token), 400)
    elif problem == "invitation":
        invitation = Invitation.objects.create(
            organization=world.developer_org, email="invitee@example.org", role=Role.DEVICE_OWNER
        )
        for invitation_id, token in ((999_999, "x"), (invitation.pk, "forged"), (invitation.pk, "")):
            response = api_client.put(
                f"/api/invitation/{invitation_id}",
                {"token": token, "status": "Accepted", "password": STRONG_PASSWORD},
                format="json",
            )
            assert response.status_code in (400, 404), response.content
        assert not User.objects.filter(email="invitee@example.org").exists()
    else:
        now = int(time.time())
        odd = [
            {"sub": "abc", "jti": str(uuid.uuid4())},
            {"sub": str(buyer.pk), "jti": "not-a-uuid"},
            {"sub": None, "jti": str(uuid.uuid4())},
            {"sub": str(10**30), "jti": str(uuid.uuid4())},
        ]
        for claims in odd:
            token = hs256({"iat": now, "exp": now + 60, **claims}, settings.DREC_JWT_SECRET)
            assert_error(bearer(token).get(ME_URL), 401)
        for garbage in ("garbage", "a.b.c", "Bearer", ""):
            assert bearer(garbage).get(ME_URL).status_code == 401
        deleted = UserFactory(email="gone@example.org")
        token = login(api_client, deleted.email, PASSWORD).json()["accessToken"]
        deleted.delete()
        assert_error(bearer(token).get(ME_URL), 401)

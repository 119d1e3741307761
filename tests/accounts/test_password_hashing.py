"""Passwords are stored as argon2id at OWASP's minimum (SPEC §12: m=19 MiB, t=2, p=1), and a
hash stored before (Django's PBKDF2, or argon2 with other parameters) is re-hashed that way at
the account's next successful sign-in, through every door: the API, the portal, Django admin.

The suite hashes with MD5 for speed (drec/settings_test.py); these tests use production's
hashers."""

import re

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AccessToken, Role, User
from drec import settings as production
from tests.accounts.apihelpers import REGISTER_URL, STRONG_PASSWORD, assert_error, login, register_body
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "Not-The-Password-1"
ARGON2ID = re.compile(r"^argon2\$argon2id\$v=19\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)\$[^$]+\$[^$]+$")


@pytest.fixture(autouse=True)
def production_hashers(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def stored_hash(user: User) -> str:
    return User.objects.values_list("password", flat=True).get(pk=user.pk)


def argon2id_parameters(encoded: str) -> dict[str, int]:
    match = ARGON2ID.match(encoded)
    assert match is not None, f"not an argon2id hash: {encoded.split('$', 1)[0]}"
    return {name: int(value) for name, value in match.groupdict().items()}


OURS = {"m": 19_456, "t": 2, "p": 1}


def test_a_new_account_s_password_is_stored_as_argon2id_with_the_documented_parameters(api_client):
    assert api_client.post(REGISTER_URL, register_body(), format="json").status_code == 201

    user = User.objects.get(email="ada.okafor@example.org")
    parameters = argon2id_parameters(stored_hash(user))
    assert parameters == OURS
    # At least OWASP's recommended minimum (SPEC §12).
    assert parameters["m"] >= 19 * 1024
    assert parameters["t"] >= 2
    assert parameters["p"] == 1
    assert login(api_client, user.email, STRONG_PASSWORD).status_code == 200


# --- Upgrades at the next sign-in, through each door --------------------------------------

OLD_HASHES = {
    # Django's default until now: PBKDF2-SHA256, 1,000,000 iterations (~250 ms a sign-in).
    "pbkdf2": lambda: make_password(PASSWORD, hasher="pbkdf2_sha256"),
    # argon2id with Django's own parameters (m=100 MiB, p=8): ours are stated, so it moves too.
    "argon2-other-parameters": lambda: Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt()),
}


def account(door: str, old_hash: str) -> User:
    """An account that may use ``door`` (Django admin: the super admin), with ``old_hash``."""
    if door == "django-admin":
        user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True, organization=None)
    else:
        user = UserFactory(role=Role.ORGANIZATION_ADMIN)
    User.objects.filter(pk=user.pk).update(password=old_hash)
    return user


def sign_in(door: str, email: str, password: str) -> bool:
    """Sign in through ``door`` as a client would; whether it let the account in."""
    if door == "api":
        response = login(APIClient(), email, password)
        assert response.status_code in (200, 401, 429), response.content
        return response.status_code == 200
    client = Client()
    if door == "portal":
        response = client.post("/login", {"login": email, "password": password})
    else:
        response = client.post(
            "/django-admin/login/", {"username": email, "password": password, "next": "/django-admin/"}
        )
    assert response.status_code in (200, 302, 429), response.status_code  # 429: locked out
    return "_auth_user_id" in client.session


DOORS = ["api", "portal", "django-admin"]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("old", OLD_HASHES)
def test_an_older_hash_is_upgraded_to_argon2id_at_the_next_successful_sign_in(door, old):
    old_hash = OLD_HASHES[old]()
    user = account(door, old_hash)
    assert not old_hash.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")

    assert sign_in(door, user.email, PASSWORD)

    upgraded = stored_hash(user)
    assert argon2id_parameters(upgraded) == OURS
    # The same password still signs in, and a current hash is not re-hashed on every sign-in.
    assert sign_in(door, user.email, PASSWORD)
    assert stored_hash(user) == upgraded


@pytest.mark.parametrize("door", DOORS)
def test_a_wrong_password_neither_signs_in_nor_changes_the_stored_hash(door):
    old_hash = OLD_HASHES["pbkdf2"]()
    user = account(door, old_hash)

    assert not sign_in(door, user.email, WRONG)

    assert stored_hash(user) == old_hash


def test_wrong_passwords_still_lock_the_account_and_a_locked_account_s_hash_is_not_upgraded(settings):
    """django-axes counts failures before any hash is checked (DREC_LOGIN_FAILURES): once it
    locks the account, even the right password is refused, and the old hash stays as it was."""
    settings.AXES_FAILURE_LIMIT = 3
    old_hash = OLD_HASHES["pbkdf2"]()
    user = account("api", old_hash)
    client = APIClient()
    for _ in range(2):
        assert_error(login(client, user.email, WRONG), 401)
    assert_error(login(client, user.email, WRONG), 429)  # the third locks it

    assert_error(login(client, user.email, PASSWORD), 429)
    assert not sign_in("portal", user.email, PASSWORD)

    assert stored_hash(user) == old_hash
    assert not AccessToken.objects.filter(user=user).exists()

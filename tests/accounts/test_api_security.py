"""No private key and no password is ever kept by the server, and no response carries a
password hash or a private key (SPEC §3, §9)."""

import base64

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import ApiUserKey
from organizations.models import Organization
from tests.accounts.apihelpers import (
    KEYS_URL,
    REGISTER_URL,
    STRONG_PASSWORD,
    bearer,
    columns_containing,
    login,
    register_body,
)
from tests.middleware import NoSecretsInResponses

pytestmark = pytest.mark.django_db


def _body_lines(pem: bytes) -> list[str]:
    """The base64 lines of a PEM, without its BEGIN/END armour."""
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


def test_no_table_holds_a_private_key_or_a_password_after_an_api_user_registers(
    api_client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        registered = api_client.post(REGISTER_URL, register_body(organizationType="ApiUser"), format="json")
    assert registered.status_code == 201
    client = bearer(login(api_client, "ada.okafor@example.org", STRONG_PASSWORD).json()["accessToken"])
    download = client.post(KEYS_URL)
    assert download.status_code == 201
    assert b"PRIVATE KEY-----" in download.content
    lines = _body_lines(download.content)

    hits = columns_containing("PRIVATE KEY", STRONG_PASSWORD, lines[1], lines[len(lines) // 2], lines[-2])

    assert hits == []
    # The public half is there, so the scan did look at the keys table.
    stored = ApiUserKey.objects.get(kid=download["X-Key-Id"])
    assert ("accounts_apiuserkey", "public_key") in columns_containing(_body_lines(stored.public_key.encode())[1])


def test_no_table_holds_a_private_key_after_the_portal_registration_and_its_key_download(client, mailoutbox):
    form = register_body(organizationType="ApiUser", email="portal.api@example.org", orgName="Portal Integrator")
    response = client.post("/register", form)
    assert response.status_code == 302, response.content[:300]
    download = client.post("/apiuser/key/private_key.pem")
    assert download.status_code == 200
    assert download.content.startswith(b"-----BEGIN PRIVATE KEY-----")
    lines = _body_lines(download.content)

    assert columns_containing("PRIVATE KEY", STRONG_PASSWORD, lines[1], lines[len(lines) // 2], lines[-2]) == []
    # The download is one-time: asking again gives nothing.
    assert client.post("/apiuser/key/private_key.pem").status_code == 410


def test_the_database_scan_finds_what_is_planted(db):
    """A scan that can never find anything proves nothing: plant a key and see it found."""
    Organization.objects.create(
        name="Leaky", organization_type="Developer", org_email="l@example.org", address="-----BEGIN PRIVATE KEY-----"
    )

    assert ("organizations_organization", "address") in columns_containing("PRIVATE KEY")


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy"])
def test_the_database_scan_finds_base64_encoded_keys_too(db, prefix):
    encoded = base64.b64encode(prefix + b"-----BEGIN PRIVATE KEY-----\nMIIE").decode()
    Organization.objects.create(name="Leaky", organization_type="Developer", org_email="l@example.org", city=encoded)

    assert ("organizations_organization", "city") in columns_containing("PRIVATE KEY")


def test_the_no_secrets_middleware_checks_every_response_of_the_suite():
    assert settings.MIDDLEWARE[0] == "tests.middleware.NoSecretsInResponses"
    request = RequestFactory().get("/api/user/me")

    def answer(content: bytes, **headers):
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        return NoSecretsInResponses(lambda _request: response)(request)

    assert answer(b'{"email": "a@example.org"}').status_code == 200
    with pytest.raises(AssertionError):
        answer(b'{"password": "pbkdf2_sha256$870000$salt$hash"}')
    with pytest.raises(AssertionError):
        answer(b'{"password": "md5$salt$hash"}')
    with pytest.raises(AssertionError):
        answer(b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    # Only the one-time key download, marked by X-Key-Id, may carry a private key.
    assert answer(b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", **{"X-Key-Id": "k"}).status_code

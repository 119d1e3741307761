"""Plain helpers of the account API tests: error-body checks, bodies, keys, client assertions."""

import base64
import re
import time
import uuid
from functools import cache
from http import HTTPStatus
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from django.conf import settings
from django.db import connection

REGISTER_URL = "/api/user/register"
LOGIN_URL = "/api/auth/login"
LOGOUT_URL = "/api/auth/logout"
ME_URL = "/api/user/me"
KEYS_URL = "/api/auth/keys"
TOKEN_URL = "/api/auth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# Passes every validator of SPEC §3 and resembles none of the e-mails used below.
STRONG_PASSWORD = "Bright-Orbit-2031"
OTHER_STRONG_PASSWORD = "Quiet-River-7719"


def assert_error(response, status: int, *fields: str) -> dict:
    """The SPEC §9 error body with ``status``; each of ``fields`` is named in ``errors``."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status
    assert body["error"] == HTTPStatus(status).phrase
    assert isinstance(body["message"], str)
    assert body["message"]
    for field in fields:
        assert field in body.get("errors", {}), body
    return body


def register_body(**overrides) -> dict:
    body = {
        "firstName": "Ada",
        "lastName": "Okafor",
        "email": "ada.okafor@example.org",
        "password": STRONG_PASSWORD,
        "confirmPassword": STRONG_PASSWORD,
        "organizationType": "Developer",
        "orgName": "Okafor Solar Homes",
        "orgAddress": "12 Harbour Road, Lagos",
    }
    body.update(overrides)
    return body


def login(client, email: str, password: str):
    return client.post(LOGIN_URL, {"username": email, "password": password}, format="json")


def bearer(token: str):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def unverified_claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


# --- Keys and client assertions ---------------------------------------------------------


@cache
def rsa_key(name: str = "a", bits: int = 2048) -> rsa.RSAPrivateKey:
    """One RSA key per name and size for the whole run (generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ed25519_key(name: str = "a") -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(private_key) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def token_audience() -> str:
    """The ``aud`` the token endpoint expects: its address under DREC_PUBLIC_URL (read at call
    time, so a test's ``settings`` override counts), never the one the request's Host names."""
    return settings.DREC_PUBLIC_URL + TOKEN_URL


def algorithm_of(private_key) -> str:
    return "EdDSA" if isinstance(private_key, ed25519.Ed25519PrivateKey) else "RS256"


def client_assertion(api_user, private_key, *, algorithm: str | None = None, headers: dict | None = None, **claims):
    """A client assertion as an api user's application signs it; ``claims`` override the
    defaults (iss = sub = api_user_id, aud = the token endpoint, exp 2 minutes ahead, fresh jti);
    a claim given as None is left out."""
    now = int(time.time())
    api_user_id = str(api_user.api_user.api_user_id)
    payload = {
        "iss": api_user_id,
        "sub": api_user_id,
        "aud": token_audience(),
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
    }
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, private_key, algorithm=algorithm or algorithm_of(private_key), headers=headers)


def token_request(client, assertion: str, *, as_json: bool = False, **overrides):
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    data.update(overrides)
    if as_json:
        return client.post(TOKEN_URL, data, format="json")
    from urllib.parse import urlencode

    return client.post(TOKEN_URL, urlencode(data), content_type="application/x-www-form-urlencoded")


# --- E-mails ----------------------------------------------------------------------------


def confirmation_token(message) -> str:
    """The token of the /confirm-email?token=... link in a confirmation e-mail."""
    match = re.search(r"(\S+/confirm-email\?\S+)", message.body)
    assert match, message.body
    link = urlparse(match.group(1))
    assert link.path == "/confirm-email"
    return parse_qs(link.query)["token"][0]


def reset_token(message) -> str:
    """The token of a password-reset e-mail (its link and the API hint carry the same one)."""
    match = re.search(r"(\S+/reset-password\?\S+)", message.body)
    assert match, message.body
    link_token = parse_qs(urlparse(match.group(1)).query)["token"][0]
    api = re.search(r"PUT /api/user/reset/password/(\S+)", message.body)
    assert api, message.body
    assert api.group(1) == link_token
    return link_token


# --- Database scan ----------------------------------------------------------------------

TEXT_TYPES = ["text", "character varying", "character", "json", "jsonb", "bytea"]


def _base64_variants(needle: bytes) -> list[str]:
    """The base64 text of ``needle`` at each of the three byte alignments (pickled or signed
    values are stored base64-encoded), keeping only the characters ``needle`` alone decides."""
    variants = []
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + needle).decode()
        groups = [encoded[index : index + 4] for index in range(0, len(encoded), 4)]
        whole = [
            group for number, group in enumerate(groups) if number * 3 >= pad and number * 3 + 3 <= pad + len(needle)
        ]
        variants.append("".join(whole))
    return variants


def columns_containing(*needles: str) -> list[tuple[str, str]]:
    """Every (table, column) of the database whose text (or bytes) contains one of
    ``needles``, as is or base64-encoded."""
    texts = [*needles, *(variant for needle in needles for variant in _base64_variants(needle.encode()))]
    quote = connection.ops.quote_name
    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = ANY(%s)
            ORDER BY c.table_name, c.column_name
            """,
            [TEXT_TYPES],
        )
        columns = cursor.fetchall()
        assert columns, "no text columns found: the scan would prove nothing"
        for table, column, data_type in columns:
            if data_type == "bytea":
                condition = " OR ".join(f"position(%s::bytea in {quote(column)}) > 0" for _ in texts)
                params = [text.encode() for text in texts]
            else:
                condition = " OR ".join(f"strpos({quote(column)}::text, %s) > 0" for _ in texts)
                params = texts
            cursor.execute(f"SELECT 1 FROM {quote(table)} WHERE {condition} LIMIT 1", params)  # noqa: S608
            if cursor.fetchone():
                hits.append((table, column))
    return hits

"""Plain helpers of the organization tests: URLs, error bodies, e-mailed links, members."""

import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlparse

from accounts.models import Role, User
from organizations.models import Organization, OrganizationType
from organizations.services import organization_access_grant
from tests.factories import UserFactory, managed_organization_create

# Passes every password validator and resembles none of the e-mails used here.
STRONG_PASSWORD = "Bright-Orbit-2031"
LOGIN_URL = "/api/auth/login"
ORGANIZATION_KEYS = {
    "createdAt",
    "updatedAt",
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
}
PAGE_KEYS = {"currentPage", "totalPages", "totalCount"}
ADMIN_ROLE = {OrganizationType.DEVELOPER: Role.ORGANIZATION_ADMIN, OrganizationType.BUYER: Role.BUYER}


def assert_error(response, status: int, *fields: str) -> dict:
    """The SPEC §9 error body with ``status``; each of ``fields`` is named in ``errors``."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status
    assert body["error"] == HTTPStatus(status).phrase
    assert body["message"]
    for field in fields:
        assert field in body.get("errors", {}), body
    return body


def member_create(organization: Organization, *, email: str, role: str | None = None, **fields) -> User:
    """A member of ``organization`` with access to it, as registration or an accepted
    invitation leaves it (factories alone do not grant the access)."""
    role = role or ADMIN_ROLE[organization.organization_type]
    user = UserFactory(email=email, role=role, organization=organization, **fields)
    organization_access_grant(user=user, organization=organization)
    return user


def managed_create(api_user: User, *, name: str, organization_type: str = OrganizationType.DEVELOPER, email: str):
    """A Developer/Buyer organization managed by ``api_user`` with its first member, as
    ``POST /api/user/register`` with ``api_user_id`` makes them. Returns ``(organization, member)``."""
    organization = managed_organization_create(api_user, name=name, organization_type=organization_type)
    organization_access_grant(user=api_user, organization=organization)
    return organization, member_create(organization, email=email)


def login(client, email: str, password: str):
    return client.post(LOGIN_URL, {"username": email, "password": password}, format="json")


def invitation_link(message) -> dict[str, str]:
    """The query of the ``/user/acceptInvitaion?...`` link in an invitation e-mail."""
    match = re.search(r"(\S+/user/acceptInvitaion\?\S+)", message.body)
    assert match, message.body
    link = urlparse(match.group(1))
    return {key: values[0] for key, values in parse_qs(link.query).items()}


def reset_token(message) -> str:
    """The token of the ``/reset-password?token=...`` link of a welcome or reset e-mail."""
    match = re.search(r"(\S+/reset-password\?\S+)", message.body)
    assert match, message.body
    return parse_qs(urlparse(match.group(1)).query)["token"][0]


def mentions_a_password(body: str) -> bool:
    """Whether an e-mail states a password (``Password: ...``) rather than a link to choose one."""
    return re.search(r"password\s*[:=]\s*\S", body, re.IGNORECASE) is not None

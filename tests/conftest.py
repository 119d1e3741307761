"""Personas and clients shared by the whole suite.

Personas (ARCHITECTURE.md "One permission path"): admin, api user, another tenant's api
user, developer admin, device owner, buyer, sub-buyer, anonymous. Developer and buyer
personas share one organization each, so members of an organization can be compared with
outsiders.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from accounts.models import Role, User
from organizations.models import OrganizationType
from tests.factories import OrganizationFactory, UserFactory, api_user_create


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the live-server (transactional) tests last, after every other test.

    They flush the database when they end; rows seeded by migrations come back only at the
    start of the next such test, so nothing else may run after them.
    """
    items.sort(key=lambda item: "live_server" in getattr(item, "fixturenames", ()))


@pytest.fixture
def admin_user(db) -> User:
    """The super admin seeded by the migrations."""
    return User.objects.get(email=settings.DREC_ADMIN_EMAIL)


@pytest.fixture
def api_user(db) -> User:
    return api_user_create(email="apiuser1@example.com", organization_name="Integrator One")


@pytest.fixture
def other_api_user(db) -> User:
    """An api user of another tenant: must never see the first api user's data."""
    return api_user_create(email="apiuser2@example.com", organization_name="Integrator Two")


@pytest.fixture
def developer_org(db):
    return OrganizationFactory(name="Sunny Developers", organization_type=OrganizationType.DEVELOPER)


@pytest.fixture
def buyer_org(db):
    return OrganizationFactory(name="Green Buyers", organization_type=OrganizationType.BUYER)


@pytest.fixture
def developer_admin(developer_org) -> User:
    return UserFactory(email="devadmin@example.com", role=Role.ORGANIZATION_ADMIN, organization=developer_org)


@pytest.fixture
def device_owner(developer_org) -> User:
    return UserFactory(email="owner@example.com", role=Role.DEVICE_OWNER, organization=developer_org)


@pytest.fixture
def buyer(buyer_org) -> User:
    return UserFactory(email="buyer@example.com", role=Role.BUYER, organization=buyer_org)


@pytest.fixture
def sub_buyer(buyer_org) -> User:
    return UserFactory(email="subbuyer@example.com", role=Role.SUB_BUYER, organization=buyer_org)


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


PERSONAS = ["admin_user", "api_user", "other_api_user", "developer_admin", "device_owner", "buyer", "sub_buyer"]


@pytest.fixture(params=PERSONAS)
def persona(request, db) -> User:
    """Each signed-in persona in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def grant(db):
    """``grant(user, "DEVICE_MANAGEMENT_CRUDL", "Read", ...)``: an approved api-user grant."""
    from acl.models import AclModule, EntityType, ModulePermission, verbs_to_mask

    def make(user: User, module: str, *verbs: str) -> ModulePermission:
        return ModulePermission.objects.create(
            module=AclModule.objects.get(name=module),
            entity_type=EntityType.USER,
            user=user,
            permissions_value=verbs_to_mask(list(verbs)),
            is_active=True,
        )

    return make


@pytest.fixture
def token_for(db):
    """``token_for(user)``: a real access token, as /api/auth/login would give."""
    from accounts.models import TokenKind
    from accounts.services import access_token_issue

    def make(user: User) -> str:
        return access_token_issue(user=user, kind=TokenKind.PASSWORD)[0]

    return make


@pytest.fixture
def api_client() -> APIClient:
    """An API client without credentials."""
    return APIClient()


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client acting as ``user``."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make

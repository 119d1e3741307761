"""Personas as registration leaves them: with access to their own organization (the factories
of tests/conftest.py do not grant it). A test folder whose tests go through the tenancy checks
imports these fixtures into its conftest.py; ``api_users_with(grants)`` makes its api users,
with the grants the super admin would have approved.

The ``*_make`` functions are the personas of tests/conftest.py as plain functions, for the
fixtures there and for data a folder builds once per module (tests/shared.py)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from accounts.models import Role, User
from organizations.models import Organization, OrganizationType
from organizations.services import organization_access_grant
from tests.factories import OrganizationFactory, UserFactory, api_user_create
from tests.shared import shared_fixture


def admin_get() -> User:
    """The super admin seeded by the migrations."""
    return User.objects.get(email=settings.DREC_ADMIN_EMAIL)


def api_user_make() -> User:
    return api_user_create(email="apiuser1@example.com", organization_name="Integrator One")


def other_api_user_make() -> User:
    return api_user_create(email="apiuser2@example.com", organization_name="Integrator Two")


def developer_org_make() -> Organization:
    return OrganizationFactory(name="Sunny Developers", organization_type=OrganizationType.DEVELOPER)


def buyer_org_make() -> Organization:
    return OrganizationFactory(name="Green Buyers", organization_type=OrganizationType.BUYER)


def developer_admin_make(developer_org: Organization) -> User:
    return UserFactory(email="devadmin@example.com", role=Role.ORGANIZATION_ADMIN, organization=developer_org)


def device_owner_make(developer_org: Organization) -> User:
    return UserFactory(email="owner@example.com", role=Role.DEVICE_OWNER, organization=developer_org)


def buyer_make(buyer_org: Organization) -> User:
    return UserFactory(email="buyer@example.com", role=Role.BUYER, organization=buyer_org)


def sub_buyer_make(buyer_org: Organization) -> User:
    return UserFactory(email="subbuyer@example.com", role=Role.SUB_BUYER, organization=buyer_org)


def grants_give(user: User, grants: tuple[tuple[str, ...], ...]) -> None:
    """The approved api-user grants ``(module, *verbs)`` of ``user``, as the ``grant`` fixture
    makes them one by one (in one query for the modules and one insert)."""
    from acl.models import AclModule, EntityType, ModulePermission, verbs_to_mask

    if not grants:
        return
    modules = AclModule.objects.in_bulk([module for module, *_ in grants], field_name="name")
    missing = [module for module, *_ in grants if module not in modules]
    if missing:
        raise AclModule.DoesNotExist(f"No ACL module {', '.join(missing)}")
    ModulePermission.objects.bulk_create(
        ModulePermission(
            module=modules[module],
            entity_type=EntityType.USER,
            user=user,
            permissions_value=verbs_to_mask(list(verbs)),
            is_active=True,
        )
        for module, *verbs in grants
    )


def with_access(user: User) -> User:
    organization_access_grant(user=user, organization=user.organization)
    return user


def approved(user: User, grants: tuple[tuple[str, ...], ...]) -> User:
    """An api user with ``grants`` and access to its own organization."""
    grants_give(user, grants)
    return with_access(user)


# Each persona fixture of tests/conftest.py: its maker and the fixtures the maker takes.
MAKERS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "admin_user": (admin_get, ()),
    "api_user": (api_user_make, ()),
    "other_api_user": (other_api_user_make, ()),
    "developer_org": (developer_org_make, ()),
    "buyer_org": (buyer_org_make, ()),
    "developer_admin": (developer_admin_make, ("developer_org",)),
    "device_owner": (device_owner_make, ("developer_org",)),
    "buyer": (buyer_make, ("buyer_org",)),
    "sub_buyer": (sub_buyer_make, ("buyer_org",)),
}
API_USERS = ("api_user", "other_api_user")
MEMBERS = ("developer_admin", "device_owner", "buyer", "sub_buyer")


Grants = tuple[tuple[str, ...], ...] | None


def persona_make(name: str, grants: Grants, get: Callable[[str], Any]) -> Any:
    """Persona ``name`` as a folder importing these fixtures makes it: members with access,
    api users as ``api_users_with(grants)``'s (as tests/conftest.py's when ``grants`` is None);
    ``get(name)`` gives the personas it belongs to."""
    maker, needs = MAKERS[name]
    made = maker(*(get(need) for need in needs))
    if name in API_USERS:
        return made if grants is None else approved(made, grants)
    return with_access(made) if name in MEMBERS else made


def personas_make(names: tuple[str, ...], grants: Grants) -> dict[str, Any]:
    """Personas ``names`` and those they belong to (their organizations), in that order, once
    each: for the data a module shares (tests/shared.py)."""
    made: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in made:
            made[name] = persona_make(name, grants, get)
        return made[name]

    for name in names:
        get(name)
    return made


def persona_fixture(name: str, grants: Grants):
    """The fixture ``name`` of a folder sharing data per module: the module's persona, else one
    made for the test as ``persona_make`` does."""
    return shared_fixture(name, lambda request: persona_make(name, grants, request.getfixturevalue))


@pytest.fixture
def developer_admin(developer_admin):
    return with_access(developer_admin)


@pytest.fixture
def device_owner(device_owner):
    return with_access(device_owner)


@pytest.fixture
def buyer(buyer):
    return with_access(buyer)


@pytest.fixture
def sub_buyer(sub_buyer):
    return with_access(sub_buyer)


def api_users_with(grants: tuple[tuple[str, ...], ...]):
    """The ``api_user`` and ``other_api_user`` fixtures, each granted ``(module, *verbs)``s."""

    @pytest.fixture
    def api_user(api_user):
        return approved(api_user, grants)

    @pytest.fixture
    def other_api_user(other_api_user):
        return approved(other_api_user, grants)

    return api_user, other_api_user

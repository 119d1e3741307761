"""Personas as registration leaves them: with access to their own organization (the factories
of tests/conftest.py do not grant it). A test folder whose tests go through the tenancy checks
imports these fixtures into its conftest.py; ``api_users_with(grants)`` makes its api users,
with the grants the super admin would have approved."""

import pytest

from accounts.models import User
from organizations.services import organization_access_grant


def with_access(user: User) -> User:
    organization_access_grant(user=user, organization=user.organization)
    return user


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

    def approved(user, grant):
        for module, *verbs in grants:
            grant(user, module, *verbs)
        return with_access(user)

    @pytest.fixture
    def api_user(api_user, grant):
        return approved(api_user, grant)

    @pytest.fixture
    def other_api_user(other_api_user, grant):
        return approved(other_api_user, grant)

    return api_user, other_api_user

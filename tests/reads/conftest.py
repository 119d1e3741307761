"""Fixtures of the meter-read tests: personas with access to their organizations, api users
with the read grants the admin would approve."""

import pytest

from tests.devices.conftest import _with_access

READ_GRANTS = (
    ("DEVICE_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete"),
    ("READS_MANAGEMENT_CRUDL", "Read", "Write"),
)


@pytest.fixture
def api_user(api_user, grant):
    for module, *verbs in READ_GRANTS:
        grant(api_user, module, *verbs)
    return _with_access(api_user)


@pytest.fixture
def other_api_user(other_api_user, grant):
    for module, *verbs in READ_GRANTS:
        grant(other_api_user, module, *verbs)
    return _with_access(other_api_user)


@pytest.fixture
def developer_admin(developer_admin):
    return _with_access(developer_admin)


@pytest.fixture
def device_owner(device_owner):
    return _with_access(device_owner)


@pytest.fixture
def buyer(buyer):
    return _with_access(buyer)

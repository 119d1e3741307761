"""Fixtures of the certificate tests: the personas with access to their own organizations
(tests/personas.py), and a developer organization's devices to read from."""

import pytest

from tests.personas import buyer, developer_admin, device_owner, sub_buyer


@pytest.fixture
def developer(developer_admin):
    """The Developer organization whose devices are reserved."""
    return developer_admin.organization

"""Fixtures of the registry tests: the certificate tests' personas and developer."""

from tests.certificates.conftest import buyer, developer, developer_admin

__all__ = ["buyer", "developer", "developer_admin"]

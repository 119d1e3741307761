"""Fixtures of the reservation tests.

Factories do not give a user access to its own organization (registration does): here each
persona gets it, api users get the grants the super admin would approve for reserving
(BUYER_RESERVATION_MANAGEMENT_CRUDL, all verbs; DEVICE_MANAGEMENT_CRUDL Read), and
``tenants`` builds two integrators, each with a managed Developer and Buyer organization, next
to the direct developer and buyer organizations of the personas. A module with tests using
``tenants`` builds them once, with the personas they hold, for those tests (tests/shared.py).
"""

from dataclasses import dataclass

import pytest

from accounts.models import Role, User
from devices.codes import code_lists_clear
from organizations.models import Organization, OrganizationType
from tests.factories import OrganizationFactory
from tests.organizations.helpers import managed_create, member_create
from tests.personas import device_owner, persona_fixture, personas_make, sub_buyer
from tests.shared import shared_data, shared_fixture

API_USER_GRANTS = (
    ("BUYER_RESERVATION_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete"),
    ("DEVICE_MANAGEMENT_CRUDL", "Read"),
)


@pytest.fixture(autouse=True)
def _fresh_code_lists():
    """The code lists are cached for a minute per process; start each test from the database."""
    code_lists_clear()
    yield
    code_lists_clear()


@pytest.fixture
def rival_buyer(db) -> User:
    """The admin of a second direct Buyer organization: an outsider to ``buyer``'s reservations."""
    organization = OrganizationFactory(name="Rival Buyers", organization_type=OrganizationType.BUYER)
    return member_create(organization, email="rivalbuyer@example.com", role=Role.BUYER)


@dataclass
class Tenants:
    api_user: User
    managed: Organization  # Developer, managed by api_user
    managed_buyer: Organization  # Buyer, managed by api_user
    managed_buyer2: Organization  # a second Buyer of api_user
    other_api_user: User
    other_managed: Organization  # Developer, managed by other_api_user
    other_managed_buyer: Organization  # Buyer, managed by other_api_user
    developer_org: Organization  # direct Developer
    developer_admin: User
    buyer_org: Organization  # direct Buyer
    buyer: User


def tenants_make(api_user, other_api_user, developer_admin, buyer) -> Tenants:
    managed, _ = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    managed_buyer, _ = managed_create(
        api_user, name="Moonlight Buyers", organization_type=OrganizationType.BUYER, email="moonlight@example.com"
    )
    managed_buyer2, _ = managed_create(
        api_user, name="Starlight Buyers", organization_type=OrganizationType.BUYER, email="starlight@example.com"
    )
    other_managed, _ = managed_create(other_api_user, name="Far Away Solar", email="far@example.com")
    other_managed_buyer, _ = managed_create(
        other_api_user, name="Far Away Buyers", organization_type=OrganizationType.BUYER, email="farbuy@example.com"
    )
    return Tenants(
        api_user=api_user,
        managed=managed,
        managed_buyer=managed_buyer,
        managed_buyer2=managed_buyer2,
        other_api_user=other_api_user,
        other_managed=other_managed,
        other_managed_buyer=other_managed_buyer,
        developer_org=developer_admin.organization,
        developer_admin=developer_admin,
        buyer_org=buyer.organization,
        buyer=buyer,
    )


PERSONAS = ("api_user", "other_api_user", "developer_admin", "buyer")


def _shared_build() -> dict:
    """The personas ``tenants`` holds, and the tenants, as their fixtures make them."""
    personas = personas_make(PERSONAS, API_USER_GRANTS)
    return {**personas, "tenants": tenants_make(*(personas[name] for name in PERSONAS))}


_shared_data, shared_copy = shared_data(_shared_build, uses=("tenants",), where=__name__)
api_user, other_api_user, developer_org, developer_admin, buyer_org, buyer = (
    persona_fixture(name, API_USER_GRANTS)
    for name in ("api_user", "other_api_user", "developer_org", "developer_admin", "buyer_org", "buyer")
)
tenants = shared_fixture("tenants", lambda request: tenants_make(*map(request.getfixturevalue, PERSONAS)))

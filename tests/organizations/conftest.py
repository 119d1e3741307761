"""Fixtures of the organization tests.

The suite's persona fixtures are made by factories, which (unlike registration) do not give
a user access to its own organization; here each persona is given that access, so they are
the users registration would have made. A module with tests using ``tenants`` builds them
once, with the personas they hold, for those tests (tests/shared.py).
"""

from dataclasses import dataclass

import pytest

from accounts.models import Role, User
from organizations.models import Invitation, Organization, OrganizationType
from tests.organizations.helpers import managed_create, member_create
from tests.personas import grants_give, persona_fixture, personas_make
from tests.shared import shared_data, shared_fixture

API_USER_GRANTS = (
    ("ORGANIZATION_MANAGEMENT_CRUDL", "Read", "Delete"),
    ("ADMIN_APIUSER_ORGANIZATION_CRUDL", "Read", "Write"),
    ("INVITATION_MANAGEMENT_CRUDL", "Read", "Write"),
    ("USER_MANAGEMENT_CRUDL", "Write"),
)


# API_USER_GRANTS are granted by the tests that need them; the api users start with none.
NO_GRANTS: tuple[tuple[str, ...], ...] = ()


@pytest.fixture
def grant_api_user_modules(grant):
    """``grant_api_user_modules(user)``: the approved grants an integrator needs here."""

    def give(user: User) -> User:
        for module, *verbs in API_USER_GRANTS:
            grant(user, module, *verbs)
        return user

    return give


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...``: run the on-commit callbacks (the queued e-mails) of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@dataclass
class Tenants:
    """Two integrators with the same grants, each managing organizations, plus the direct
    developer and buyer organizations of the personas."""

    api_user: User
    other_api_user: User
    managed: Organization  # Developer, managed by api_user
    managed_admin: User
    managed_buyer: Organization  # Buyer, managed by api_user
    managed_buyer_admin: User
    invitation: Invitation  # pending, into ``managed``
    other_managed: Organization  # Developer, managed by other_api_user
    other_managed_admin: User
    developer_org: Organization
    developer_admin: User
    device_owner: User
    buyer_org: Organization
    buyer: User
    sub_buyer: User
    reader: User  # role User, developer organization
    buyer_reader: User  # role User, buyer organization

    def ids(self) -> dict[str, int]:
        """Ids to format URL templates such as ``/api/Organization/{managed}``."""
        return {name: value.pk for name, value in vars(self).items() if hasattr(value, "pk")}


def tenants_make(api_user, other_api_user, developer_admin, device_owner, buyer, sub_buyer) -> Tenants:
    grants_give(api_user, API_USER_GRANTS)
    grants_give(other_api_user, API_USER_GRANTS)
    managed, managed_admin = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    managed_buyer, managed_buyer_admin = managed_create(
        api_user, name="Moonlight Buyers", organization_type=OrganizationType.BUYER, email="moonlight@example.com"
    )
    other_managed, other_managed_admin = managed_create(other_api_user, name="Far Away Solar", email="far@example.com")
    invitation = Invitation.objects.create(
        organization=managed, email="invitee@example.com", role=Role.DEVICE_OWNER, sender="Api One"
    )
    return Tenants(
        api_user=api_user,
        other_api_user=other_api_user,
        managed=managed,
        managed_admin=managed_admin,
        managed_buyer=managed_buyer,
        managed_buyer_admin=managed_buyer_admin,
        invitation=invitation,
        other_managed=other_managed,
        other_managed_admin=other_managed_admin,
        developer_org=developer_admin.organization,
        developer_admin=developer_admin,
        device_owner=device_owner,
        buyer_org=buyer.organization,
        buyer=buyer,
        sub_buyer=sub_buyer,
        reader=member_create(developer_admin.organization, email="reader@example.com", role=Role.USER),
        buyer_reader=member_create(buyer.organization, email="buyer.reader@example.com", role=Role.USER),
    )


PERSONAS = ("api_user", "other_api_user", "developer_admin", "device_owner", "buyer", "sub_buyer")


def _shared_build() -> dict:
    """The personas ``tenants`` holds, and the tenants, as their fixtures make them."""
    personas = personas_make(PERSONAS, NO_GRANTS)
    return {**personas, "tenants": tenants_make(*(personas[name] for name in PERSONAS))}


_shared_data, shared_copy = shared_data(_shared_build, uses=("tenants",), where=__name__)
api_user, other_api_user, developer_org, developer_admin, device_owner, buyer_org, buyer, sub_buyer = (
    persona_fixture(name, NO_GRANTS)
    for name in (
        "api_user",
        "other_api_user",
        "developer_org",
        "developer_admin",
        "device_owner",
        "buyer_org",
        "buyer",
        "sub_buyer",
    )
)
tenants = shared_fixture("tenants", lambda request: tenants_make(*map(request.getfixturevalue, PERSONAS)))

"""Fixtures of the reference-weakness tests (backend.md §15).

The personas get access to their own organizations (tests/personas.py); the two api users get
the grants the super admin would approve for everything they do here. ``world`` builds two
tenants (each integrator with a managed Developer and Buyer organization), the direct
developer and buyer organizations of the personas, a rival direct developer and buyer, and
one device in every Developer organization: enough to aim every request at something that is
not the caller's. A module with tests using ``world`` builds it once, with its personas, for
those tests (tests/shared.py).
"""

from dataclasses import dataclass

import pytest
from django.db import connection

from accounts.models import Role, User
from devices.codes import code_lists_clear
from devices.models import Device
from organizations.models import Organization, OrganizationType
from tests.devices.helpers import device_make
from tests.factories import OrganizationFactory
from tests.organizations.helpers import managed_create, member_create
from tests.personas import persona_fixture, personas_make
from tests.shared import shared_data, shared_fixture

ALL = ("Read", "Write", "Update", "Delete")
API_USER_GRANTS = (
    ("USER_MANAGEMENT_CRUDL", *ALL),
    ("ORGANIZATION_MANAGEMENT_CRUDL", *ALL),
    ("DEVICE_MANAGEMENT_CRUDL", *ALL),
    ("DEVICE_BULK_MANAGEMENT_CRUDL", *ALL),
    ("FILE_MANAGEMENT_CRUDL", *ALL),
    ("READS_MANAGEMENT_CRUDL", *ALL),
    ("BUYER_RESERVATION_MANAGEMENT_CRUDL", *ALL),
    ("CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read"),
    ("INVITATION_MANAGEMENT_CRUDL", *ALL),
    ("ADMIN_APIUSER_ORGANIZATION_CRUDL", *ALL),
)


@pytest.fixture(autouse=True)
def _fresh_code_lists():
    """The code lists are cached for a minute per process; start each test from the database."""
    code_lists_clear()
    yield
    code_lists_clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...``: run what the block queued on commit (e-mails, bulk jobs)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def bearer_for(token_for):
    """``bearer_for(user)``: an API client sending a real access token of ``user`` (the whole
    authentication path runs, unlike ``client_for``'s forced authentication)."""
    from rest_framework.test import APIClient

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make


@dataclass
class World:
    admin: User
    api_user: User
    managed: Organization  # Developer, managed by api_user
    managed_admin: User
    managed_buyer: Organization  # Buyer, managed by api_user
    managed_buyer_admin: User
    other_api_user: User
    other_managed: Organization  # Developer, managed by other_api_user
    other_managed_admin: User
    other_managed_buyer: Organization  # Buyer, managed by other_api_user
    developer_org: Organization  # direct Developer of developer_admin and device_owner
    developer_admin: User
    device_owner: User
    buyer_org: Organization  # direct Buyer of buyer and sub_buyer
    buyer: User
    sub_buyer: User
    rival_org: Organization  # another direct Developer
    rival_admin: User
    rival_buyer_org: Organization  # another direct Buyer
    rival_buyer: User
    device: Device  # of developer_org
    rival_device: Device  # of rival_org
    managed_device: Device  # of managed
    other_device: Device  # of other_managed


def world_make(admin_user, api_user, other_api_user, developer_admin, device_owner, buyer, sub_buyer) -> World:
    managed, managed_admin = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    managed_buyer, managed_buyer_admin = managed_create(
        api_user, name="Moonlight Buyers", organization_type=OrganizationType.BUYER, email="moonlight@example.com"
    )
    other_managed, other_managed_admin = managed_create(other_api_user, name="Far Away Solar", email="far@example.com")
    other_managed_buyer, _ = managed_create(
        other_api_user, name="Far Away Buyers", organization_type=OrganizationType.BUYER, email="farbuy@example.com"
    )
    rival_org = OrganizationFactory(name="Rival Solar", organization_type=OrganizationType.DEVELOPER)
    rival_admin = member_create(rival_org, email="rival@example.com", role=Role.ORGANIZATION_ADMIN)
    rival_buyer_org = OrganizationFactory(name="Rival Buyers", organization_type=OrganizationType.BUYER)
    rival_buyer = member_create(rival_buyer_org, email="rivalbuyer@example.com", role=Role.BUYER)
    return World(
        admin=admin_user,
        api_user=api_user,
        managed=managed,
        managed_admin=managed_admin,
        managed_buyer=managed_buyer,
        managed_buyer_admin=managed_buyer_admin,
        other_api_user=other_api_user,
        other_managed=other_managed,
        other_managed_admin=other_managed_admin,
        other_managed_buyer=other_managed_buyer,
        developer_org=developer_admin.organization,
        developer_admin=developer_admin,
        device_owner=device_owner,
        buyer_org=buyer.organization,
        buyer=buyer,
        sub_buyer=sub_buyer,
        rival_org=rival_org,
        rival_admin=rival_admin,
        rival_buyer_org=rival_buyer_org,
        rival_buyer=rival_buyer,
        device=device_make(developer_admin.organization, "DEV-1"),
        rival_device=device_make(rival_org, "RIVAL-1"),
        managed_device=device_make(managed, "MANAGED-1"),
        other_device=device_make(other_managed, "OTHER-1"),
    )


PERSONAS = ("admin_user", "api_user", "other_api_user", "developer_admin", "device_owner", "buyer", "sub_buyer")


def _shared_build() -> dict:
    """The personas of the world, and the world, as their fixtures make them."""
    personas = personas_make(PERSONAS, API_USER_GRANTS)
    return {**personas, "world": world_make(*(personas[name] for name in PERSONAS))}


_shared_data, shared_copy = shared_data(_shared_build, uses=("world",), where=__name__)
admin_user, api_user, other_api_user, developer_org, developer_admin, device_owner, buyer_org, buyer, sub_buyer = (
    persona_fixture(name, API_USER_GRANTS)
    for name in (
        "admin_user",
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
world = shared_fixture("world", lambda request: world_make(*map(request.getfixturevalue, PERSONAS)))


@pytest.fixture
def restore_user_id_sequence(db):
    """Put the users' id sequence back after the test (sequences ignore rollbacks; other
    folders' tests expect the ids they would otherwise get)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('accounts_user', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT pg_sequence_last_value(%s::regclass)", [sequence])
        last_value = cursor.fetchone()[0]
    yield
    with connection.cursor() as cursor:
        if last_value is None:
            cursor.execute("SELECT setval(%s, 1, false)", [sequence])
        else:
            cursor.execute("SELECT setval(%s, %s, true)", [sequence, last_value])


@pytest.fixture
def certified(world):
    """The buyer's reservation of ``world.device`` (its reads, a day of 1 kWh an hour, issued
    into certificates) and the reservation."""
    from tests.certificates.helpers import DAY, T0, device_reading, issue, reservation_make

    device = device_reading(world.developer_org, "CERT-1", count=24, value=1000)
    reservation = reservation_make(world.buyer, [device], frequency="daily", name="Buyer Reservation")
    assert issue(reservation, now=T0 + 2 * DAY) == [24_000]
    return reservation

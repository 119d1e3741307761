"""Fixtures of the API fuzzing: an api user with the grants the super admin would approve for
the main modules, and data behind the endpoints (a managed Developer with a device and its
reads, a managed Buyer with a reservation of it and an issued certificate)."""

import sys
from dataclasses import dataclass

import pytest

from accounts.models import User
from devices.codes import code_lists_clear
from devices.models import Device
from organizations.models import Organization, OrganizationType
from reservations.models import Frequency, Reservation
from tests.certificates.helpers import DAY, T0, device_reading, issue, reservation_make
from tests.organizations.helpers import managed_create
from tests.personas import api_users_with

ALL = ("Read", "Write", "Update", "Delete")
FUZZ_GRANTS = (
    ("USER_MANAGEMENT_CRUDL", *ALL),
    ("ORGANIZATION_MANAGEMENT_CRUDL", *ALL),
    ("FILE_MANAGEMENT_CRUDL", *ALL),
    ("DEVICE_MANAGEMENT_CRUDL", *ALL),
    ("DEVICE_BULK_MANAGEMENT_CRUDL", *ALL),
    ("READS_MANAGEMENT_CRUDL", *ALL),
    ("BUYER_RESERVATION_MANAGEMENT_CRUDL", *ALL),
    ("CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read"),
    ("INVITATION_MANAGEMENT_CRUDL", *ALL),
    ("PERMISSION_MANAGEMENT_CRUDL", "Read", "Write", "Update"),
    ("YIELD_CONFIG_MANAGEMENT_CRUDL", *ALL),
    ("WEBHOOK_MANAGEMENT_CRUDL", *ALL),
)
api_user, other_api_user = api_users_with(FUZZ_GRANTS)


@dataclass
class World:
    api_user: User
    token: str
    developer: Organization
    buyer: Organization
    device: Device
    reservation: Reservation


@pytest.fixture
def world(api_user, token_for) -> World:
    code_lists_clear()
    developer, _ = managed_create(api_user, name="Fuzz Solar", email="fuzzdev@example.com")
    buyer_org, buyer = managed_create(
        api_user, name="Fuzz Buyers", organization_type=OrganizationType.BUYER, email="fuzzbuy@example.com"
    )
    device = device_reading(developer, "FUZZ-0001", count=48, value=500)
    reservation = reservation_make(buyer, [device], frequency=Frequency.DAILY, end=T0 + 10 * DAY)
    issue(reservation, T0 + 3 * DAY)
    return World(api_user, token_for(api_user), developer, buyer_org, device, reservation)


def pytest_terminal_summary(terminalreporter):
    from tests.fuzz.test_api_fuzz import CALLS

    if CALLS:
        phases = ", ".join(f"{count} {phase}" for phase, count in sorted(CALLS.items()))
        terminalreporter.write_line(f"API fuzzing: {sum(CALLS.values())} requests ({phases})")
    portal = sys.modules.get("tests.fuzz.test_portal_forms")  # the portal's, when it ran
    if portal is not None and portal.SENT:
        sent = ", ".join(f"{count} {kind}" for kind, count in sorted(portal.SENT.items()))
        forms = len({key for key, _persona in portal.PAIRS})
        terminalreporter.write_line(
            f"Portal form fuzzing: {forms} forms, {len(portal.PAIRS)} (form, persona) pairs, "
            f"{sum(portal.SENT.values())} requests ({sent})"
        )
        answers = ", ".join(f"{count} {answer}" for answer, count in sorted(portal.ANSWERS.items()))
        terminalreporter.write_line(f"Portal form fuzzing answers: {answers}")

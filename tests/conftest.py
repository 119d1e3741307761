"""Personas and clients shared by the whole suite.

Personas (ARCHITECTURE.md "One permission path"): admin, api user, another tenant's api
user, developer admin, device owner, buyer, sub-buyer, anonymous. Developer and buyer
personas share one organization each, so members of an organization can be compared with
outsiders.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from accounts.models import Role, User
from organizations.models import OrganizationType
from tests.factories import OrganizationFactory, UserFactory, api_user_create

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by
# the test itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download does not work here)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _browser_before_database(request):
    """Start Chromium, when browser tests are to run, before the test database is set up.

    Playwright's sync API changes the context Django's per-thread connections live in; a
    connection opened before it is not the one the tests see afterwards (and the data saved
    to restore seeded rows after live-server tests would be lost).
    """
    if any(item.get_closest_marker("e2e") for item in request.session.items):
        request.getfixturevalue("browser")


def _commits_for_real(item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return "live_server" in names or "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))


# The slow tier: whole-system tests (subprocesses, servers, fuzzing, every persona through both
# doors). `make test` runs everything; `make test-fast` leaves these and the browser out.
SLOW = (
    "tests/fuzz/",
    "tests/parity/",
    "tests/acceptance/test_manual_journey.py",
    "tests/drec/test_safe_defaults.py",
    "tests/drec/test_settings.py",
    "tests/drec/test_openapi.py",
    "tests/drec/test_benchmarks.py",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the tiers (before ``-m`` selects by them), and run last the tests that commit for
    real (live server, transaction=True), with serialized rollback.

    They flush the database when they end; serialized rollback puts back what the migrations
    seeded (admin, ACL modules, role grants, code lists) before the next such test, and no
    other test runs after them (a test reaching the database through a fixture it looks up at
    run time would otherwise find it empty). Under pytest-xdist nothing orders tests across
    workers: `make test` runs the tests marked ``commits`` in a second pass of their own.
    """
    root = Path(str(config.rootpath))
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
        if _commits_for_real(item):
            item.add_marker(pytest.mark.commits)
        if Path(str(item.path)).relative_to(root).as_posix().startswith(SLOW):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_commits_for_real)


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

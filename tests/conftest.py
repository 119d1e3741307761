"""Personas and clients shared by the whole suite.

Personas (ARCHITECTURE.md "One permission path"): admin, api user, another tenant's api
user, developer admin, device owner, buyer, sub-buyer, anonymous. Developer and buyer
personas share one organization each, so members of an organization can be compared with
outsiders.
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from accounts.models import User
from devices.code_changes import code_list_notices_stop
from tests import shared
from tests.personas import (
    admin_get,
    api_user_make,
    buyer_make,
    buyer_org_make,
    developer_admin_make,
    developer_org_make,
    device_owner_make,
    other_api_user_make,
    sub_buyer_make,
)

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


_commits_for_real = shared.commits_for_real


@pytest.fixture(autouse=True)
def _code_list_notices_stopped():
    """A test that served a code list leaves no session listening for code-list changes
    (devices/code_changes.py): tests wait for the test database to have no other session, and
    PostgreSQL does not drop a database while one is connected."""
    yield
    code_list_notices_stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Name the test being set up to the data shared per module (tests/shared.py)."""
    shared.RUNNING["item"] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Roll back a module's shared data after the last test using it (tests/shared.py)."""
    try:
        return (yield)
    finally:
        shared.after(item, nextitem)


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
# Marked e2e by tests/e2e/conftest.py.
E2E = ("tests/e2e/",)
# The fault suite (`make test-faults` alone): it restarts the test's PostgreSQL and
# kills worker processes, so `make test` runs it in a last pass of its own, one test at a time.
FAULTS = ("tests/faults/",)


def _left_out(config, marker: str) -> bool:
    """Whether ``-m`` leaves out every test marked ``marker``, whatever its other marks: the
    expression is ``not <marker>``, alone or as a term of a conjunction (``and`` only)."""
    expression = " ".join((config.option.markexpr or "").split())
    if not expression or "(" in expression or " or " in f" {expression} ":
        return False
    return f"not {marker}" in (term.strip() for term in expression.split(" and "))


def pytest_ignore_collect(collection_path, config):
    """Do not even import the files of a tier ``-m`` leaves out (``make test-fast``): collecting
    the fuzzing alone builds every schemathesis case, seconds in each xdist worker."""
    try:
        path = Path(str(collection_path)).relative_to(Path(str(config.rootpath))).as_posix()
    except ValueError:
        return None
    for marker, prefixes in (("slow", SLOW + FAULTS), ("e2e", E2E), ("faults", FAULTS)):
        if any(path.startswith(prefix) or f"{path}/" == prefix for prefix in prefixes) and _left_out(config, marker):
            return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the tiers (before ``-m`` selects by them), and run last the tests that commit for
    real (live server, transaction=True), with serialized rollback.

    They flush the database when they end; serialized rollback puts back what the migrations
    seeded (admin, ACL modules, role grants, code lists) before the next such test, and no
    other test runs after them (a test reaching the database through a fixture it looks up at
    run time would otherwise find it empty). Under pytest-xdist nothing orders tests across
    workers: `make test` runs the tests marked ``commits`` in a second pass of their own.
    In each module, the tests using data it shares run first (tests/shared.py).
    """
    root = Path(str(config.rootpath))
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
        if _commits_for_real(item):
            item.add_marker(pytest.mark.commits)
        path = Path(str(item.path)).relative_to(root).as_posix()
        if path.startswith(SLOW + FAULTS):
            item.add_marker(pytest.mark.slow)
        if path.startswith(FAULTS):
            item.add_marker(pytest.mark.faults)
    items.sort(key=_commits_for_real)
    shared.order(items)


@pytest.fixture
def admin_user(db) -> User:
    """The super admin seeded by the migrations."""
    return admin_get()


@pytest.fixture
def api_user(db) -> User:
    return api_user_make()


@pytest.fixture
def other_api_user(db) -> User:
    """An api user of another tenant: must never see the first api user's data."""
    return other_api_user_make()


@pytest.fixture
def developer_org(db):
    return developer_org_make()


@pytest.fixture
def buyer_org(db):
    return buyer_org_make()


@pytest.fixture
def developer_admin(developer_org) -> User:
    return developer_admin_make(developer_org)


@pytest.fixture
def device_owner(developer_org) -> User:
    return device_owner_make(developer_org)


@pytest.fixture
def buyer(buyer_org) -> User:
    return buyer_make(buyer_org)


@pytest.fixture
def sub_buyer(buyer_org) -> User:
    return sub_buyer_make(buyer_org)


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
def client_for(token_for):
    """``client_for(user)``: an API client sending a real access token of ``user``, so every
    request goes through the production lookup (drec.authentication, drec.rawsql)."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make

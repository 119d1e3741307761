"""Browser tests: the portal served by pytest-django's live server, driven in Debian's
Chromium through Playwright. Every page a test loads is saved as a screenshot under
``var/screenshots/<test>/`` (git-ignored) so the screens can be looked at after a run.
"""

import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.factories import PASSWORD
from tests.personas import buyer, developer_admin, device_owner, sub_buyer  # personas as registration leaves them

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


class ScreenshotRecorder:
    """Saves a full-page screenshot each time the page finishes loading."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.pending = 0

    def on_load(self, page) -> None:
        self.count += 1
        self.pending += 1
        slug = re.sub(r"[^A-Za-z0-9]+", "-", page.url.split("://", 1)[-1].split("/", 1)[-1]).strip("-") or "home"
        try:
            page.screenshot(path=str(self.folder / f"{self.count:02d}-{slug[:60]}.png"), full_page=True)
        except PlaywrightError:
            pass  # the page navigated on or closed while the shot was taken
        finally:
            self.pending -= 1

    def drain(self, page, timeout: float = 10.0) -> None:
        """Let screenshots started by load events finish before the page closes."""
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(50)


@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback, request):
    """A fresh browser page on the live server (``page.goto("/path")``).

    The live server needs committed data: tests using it run in transactions that are
    flushed afterwards, and the rows seeded by migrations (admin, ACL modules, code lists)
    are restored for the next test by serialized rollback.
    """
    folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    recorder = ScreenshotRecorder(folder)
    page.on("load", recorder.on_load)
    page.drec_screenshots = folder
    # ``page.drec_recorder.drain(page)`` before an action that navigates right after a load (a
    # select that submits its form): a load's screenshot cut short by the next navigation
    # hangs until its timeout, and holds up every screenshot after it.
    page.drec_recorder = recorder
    yield page
    recorder.drain(page)
    context.close()


@pytest.fixture
def login(page):
    """``login(email, password)``: signs in through the portal's login form."""

    def sign_in(email: str, password: str = PASSWORD):
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Login").click()
        page.wait_for_load_state()
        return page

    return sign_in


@pytest.fixture
def snap(page):
    """``snap("name")``: a screenshot now, for states no page load shows (HTMX updates)."""

    def take(name: str) -> None:
        page.screenshot(path=str(page.drec_screenshots / f"{name}.png"), full_page=True)

    return take

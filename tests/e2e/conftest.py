"""Browser tests: the portal served by pytest-django's live server, driven in Debian's
Chromium through Playwright. Every page a test loads is saved as a screenshot under
``var/screenshots/<test>/`` (git-ignored) so the screens can be looked at after a run.

A test runs at 1366 px wide unless it parametrizes ``viewport_width`` (390 for a phone).
A test that asks for ``page_checks`` has every page load checked for what a user of the
width would notice (sideways scroll, a heading below the first screen, axe-core's serious
and critical violations); it asserts ``page_checks.failures == []`` at its end.
"""

import re
import shutil
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from tests.factories import PASSWORD
from tests.personas import buyer, developer_admin, device_owner, sub_buyer  # personas as registration leaves them

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE_HEIGHT = 844  # a 390 px wide phone's screen (iPhone 12 to 15)
AXE_IMPACTS = ("serious", "critical")
AXE_SCRIPT = Axe().axe_script  # axe-core, shipped inside axe-playwright-python


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def screen_of(url: str) -> str:
    """A screen's name: its path, without the query and with ids as ``<id>``."""
    path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    return re.sub(r"/(\d+|[0-9a-f]{8}-[0-9a-f-]{27})(?=/|$)", "/<id>", path)


# The page's main heading: the first h1/h2 of the content, or the login card's heading.
HEADING_TOP = """() => {
  const heading = document.querySelector("#content h1, #content h2, .auth-card h1, .auth-card h2");
  return heading ? heading.getBoundingClientRect().top + window.scrollY : null;
}"""
SIDEWAYS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
AXE_RUN = "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"


class PageChecks:
    """What a user of the viewport's width notices on each screen, collected per URL so that
    one run lists every failure: the page scrolls sideways; on a phone, its heading starts
    below the first screen; axe-core finds a serious or critical violation (run once per
    distinct screen, see ``screen_of``)."""

    def __init__(self, width: int, height: int):
        self.width = width
        self.height = height
        self.failures: list[str] = []
        self.axe_done: set[str] = set()
        self.axe_violations: dict[str, dict[str, list[str]]] = {}  # rule -> screen -> node targets

    def check(self, page, where: str = "") -> None:
        url = page.url.split("://", 1)[-1].split("/", 1)[-1]
        label = f"/{url}{f' ({where})' if where else ''}"
        try:
            scroll_width, inner_width = page.evaluate(SIDEWAYS)
            if scroll_width > inner_width:
                self.failures.append(f"{label}: scrolls sideways ({scroll_width} px wide in {inner_width} px)")
            if self.width < 992:
                top = page.evaluate(HEADING_TOP)
                if top is None:
                    self.failures.append(f"{label}: no h1/h2 heading")
                elif top >= self.height:
                    self.failures.append(f"{label}: heading starts at {top:.0f} px, below the first screen")
            screen = f"{screen_of(page.url)}{f' ({where})' if where else ''}"
            if screen not in self.axe_done:
                page.evaluate(AXE_SCRIPT)
                violations = page.evaluate(AXE_RUN)
                self.axe_done.add(screen)
                for violation in violations:
                    if violation["impact"] in AXE_IMPACTS:
                        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                        self.axe_violations.setdefault(violation["id"], {})[screen] = targets
                        why = [check["message"] for check in violation["nodes"][0]["any"]][:1]
                        self.failures.append(
                            f"{label}: axe {violation['impact']} {violation['id']} on {len(targets)} node(s): "
                            f"{'; '.join(targets[:3])} {why}"
                        )
        except PlaywrightError:
            pass  # the page navigated on while it was checked: its next load is checked

    def summary(self) -> str:
        counts = {rule: sum(map(len, screens.values())) for rule, screens in sorted(self.axe_violations.items())}
        return f"{self.width} px: {len(self.axe_done)} screens checked by axe; serious/critical nodes by rule: {counts}"


class ScreenshotRecorder:
    """Saves a full-page screenshot each time the page finishes loading (and first runs the
    test's ``PageChecks`` on it, when it has some)."""

    def __init__(self, folder: Path, checks: PageChecks | None = None):
        self.folder = folder
        self.checks = checks
        self.count = 0
        self.pending = 0

    def on_load(self, page) -> None:
        self.count += 1
        self.pending += 1
        slug = re.sub(r"[^A-Za-z0-9]+", "-", page.url.split("://", 1)[-1].split("/", 1)[-1]).strip("-") or "home"
        try:
            if self.checks is not None:
                self.checks.check(page)
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
def viewport_width() -> int:
    """The browser window's width; ``@pytest.mark.parametrize("viewport_width", [1366, 390])``
    runs a test at both."""
    return 1366


@pytest.fixture
def page_checks(viewport_width):
    """Every page load of the test checked (see ``PageChecks``); the test asserts at its end."""
    checks = PageChecks(viewport_width, 900 if viewport_width >= 992 else PHONE_HEIGHT)
    yield checks
    print(checks.summary(), *checks.failures, sep="\n")  # shown with -s, or under a failure's output


@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback, request, viewport_width):
    """A fresh browser page on the live server (``page.goto("/path")``), ``viewport_width`` wide.

    The live server needs committed data: tests using it run in transactions that are
    flushed afterwards, and the rows seeded by migrations (admin, ACL modules, code lists)
    are restored for the next test by serialized rollback.
    """
    folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", request.node.nodeid.split("::", 1)[-1])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    height = 900 if viewport_width >= 992 else PHONE_HEIGHT
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": viewport_width, "height": height},
        reduced_motion="reduce",  # no colour transitions half-way when a screen is checked
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    checks = request.getfixturevalue("page_checks") if "page_checks" in request.fixturenames else None
    recorder = ScreenshotRecorder(folder, checks)
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
def snap(page, request):
    """``snap("name")``: a screenshot now, for states no page load shows (HTMX updates); the
    state is checked too when the test has ``page_checks``."""
    checks = request.getfixturevalue("page_checks") if "page_checks" in request.fixturenames else None

    def take(name: str) -> None:
        if checks is not None:
            checks.check(page, where=name)
        page.screenshot(path=str(page.drec_screenshots / f"{name}.png"), full_page=True)

    return take

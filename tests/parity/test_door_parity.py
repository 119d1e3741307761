"""Door parity (SPEC §4, issue "One door"): for every portal action that writes, as each
persona, the portal and its API twin allow and deny the same thing, and a refused portal
write changes nothing.

Generated from the route registry (drec.routes): every ``(portal route, POST action)`` that
writes must have a scenario in tests/parity/scenarios.py, so a new page without one fails
here. Each persona's request goes through both doors in turn, each undone afterwards; their
outcomes (done, 403, 404, refused, sign in) must be equal, a done write must change the same
tables in both, and anything else must change nothing. The table of outcomes is
docs/access-control.md's "Door parity" section, checked by the last test of this file.
"""

import os
import re
from pathlib import Path

import pytest

from devices import views as device_views
from devices.rules import BULK_READ, DEVICE_READ
from drec.permissions import Action
from drec.routes import api_operations, portal_actions
from organizations import views as organization_views
from organizations.rules import MANAGED_ORGANIZATION_PAGE
from tests.parity.doors import DONE, through
from tests.parity.scenarios import SCENARIOS
from tests.parity.world import ANONYMOUS, world_build

WRITES = sorted(key for key, declared in portal_actions().items() if declared.changes)
RESULTS: dict[tuple[str, str], dict[str, str]] = {}
DOC = Path(__file__).resolve().parents[2] / "docs" / "access-control.md"
COLUMNS = (
    ("admin", "Admin"),
    ("api_user", "ApiUser"),
    ("api_user_without", "ApiUser without the grant"),
    ("outsider", "Another tenant's ApiUser"),
    ("organization_admin", "OrganizationAdmin"),
    ("device_owner", "DeviceOwner"),
    ("developer_user", "User (Developer org)"),
    ("buyer", "Buyer"),
    ("sub_buyer", "SubBuyer"),
    ("buyer_user", "User (Buyer org)"),
    (ANONYMOUS, "Visitor"),
)


@pytest.fixture
def world(db, admin_user):
    return world_build(admin_user)


def test_every_portal_write_has_a_parity_scenario():
    assert [key for key in WRITES if key not in SCENARIOS] == []
    assert len(WRITES) >= 30


def _personas(scenario, rule) -> list[str]:
    # Without a module the grant cannot be withheld: the api user is already in the table.
    return [p for p in scenario.personas if not (p == "api_user_without" and rule.module is None)]


def compare_doors(key, world, capture) -> tuple[dict[str, str], list[str]]:
    """Each persona through both doors: its row of outcomes, and what differed."""
    declared = portal_actions()[key]
    # "Without the grant": without the verb the API twin needs (the rule that decides).
    twin_rule = api_operations()[declared.twin].rule
    rule = twin_rule if twin_rule.module else declared.rule
    scenario = SCENARIOS[key]
    personas = _personas(scenario, rule)
    for persona in personas:
        world.api(persona)  # tokens first: each door's work is undone afterwards
    problems, row = [], {}
    for persona in personas:
        portal_call, api_call = scenario.build(world, persona, key[0], key[1])
        portal = through("portal", world, persona, portal_call, rule, capture)
        api = through("api", world, persona, api_call, rule, capture)
        row[persona] = portal.kind if portal.kind == api.kind else f"portal {portal.kind} / API {api.kind}"
        if portal.kind != api.kind:
            problems.append(f"{persona}: portal {portal} but {declared.twin} {api}")
        elif portal.kind == DONE and portal.effect != api.effect:
            problems.append(
                f"{persona}: both done, but the portal changed {sorted(portal.effect)}, the API {sorted(api.effect)}"
            )
        elif portal.kind != DONE and (portal.effect or api.effect):
            problems.append(f"{persona}: {portal.kind}, yet something changed: portal {portal}, API {api}")
    return row, problems


@pytest.mark.parametrize("key", WRITES, ids=[f"{name} {action}" for name, action in WRITES])
def test_the_portal_allows_and_refuses_exactly_what_its_api_twin_does(key, world, django_capture_on_commit_callbacks):
    assert portal_actions()[key].twin in api_operations()
    row, problems = compare_doors(key, world, django_capture_on_commit_callbacks)
    RESULTS[key] = row
    assert any(kind == DONE for kind in row.values()), f"nobody may do {key}: the scenario proves nothing: {row}"
    assert problems == [], "\n".join(problems)


# --- The check can fail: the review's three holes, put back ---------------------------------------

HOLES = [
    # (view, action key, the page's Read rule that guarded the write, a persona the hole let through)
    (device_views.device_list, ("device-list", "POST delete"), DEVICE_READ, "developer_user"),
    (device_views.bulk_upload, ("device-bulk-upload", "POST"), BULK_READ, "api_user_without"),
    (
        organization_views.organization_users,
        ("organization-users", "POST"),
        MANAGED_ORGANIZATION_PAGE,
        "api_user_without",
    ),
]


@pytest.mark.parametrize(("view", "key", "read_rule", "let_through"), HOLES, ids=[hole[1][0] for hole in HOLES])
def test_the_parity_check_finds_a_write_guarded_by_its_pages_read_rule(
    view, key, read_rule, let_through, world, monkeypatch, django_capture_on_commit_callbacks
):
    """Today's holes of the review, put back for the length of the test (the declaration of the
    write takes the page's Read rule again): the comparison must report the persona the hole let
    through, done in the portal and refused (403) by the API."""
    hole = Action(read_rule, twin=view.portal_actions[key[1]].twin)
    monkeypatch.setitem(view.portal_actions, key[1], hole)

    _row, problems = compare_doors(key, world, django_capture_on_commit_callbacks)

    assert any(
        problem.startswith(f"{let_through}: portal done") and "403" in problem.split(" but ")[1] for problem in problems
    ), problems


# --- The table in docs/access-control.md --------------------------------------------------------

START, END = "<!-- door-parity:start -->", "<!-- door-parity:end -->"
CELL = {"done": "✓", "403": "403", "404": "404", "refused": "refused", "sign in": "sign in"}


def parity_table() -> str:
    lines = [
        "| Portal action | API twin | " + " | ".join(label for _key, label in COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    for key in WRITES:
        declared = portal_actions()[key]
        row = RESULTS[key]
        cells = [CELL.get(row[persona], row[persona]) if persona in row else "" for persona, _label in COLUMNS]
        lines.append(f"| `{key[0]}` {key[1]} | `{declared.twin}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_door_parity_table_of_the_docs_is_what_the_doors_answer():
    """Runs after the parity tests of this file; skipped when only some of them ran."""
    if set(RESULTS) != set(WRITES):
        pytest.skip("the table needs every parity test of this file to have run")
    table = parity_table()
    text = DOC.read_text()
    if os.environ.get("DREC_WRITE_PARITY_TABLE"):
        text = re.sub(f"{START}.*?{END}", f"{START}\n{table}\n{END}", text, flags=re.S)
        DOC.write_text(text)
    documented = re.search(f"{START}\n(.*?)\n{END}", text, re.S)
    assert documented, f"docs/access-control.md has no {START} section"
    assert documented.group(1) == table, "regenerate it: DREC_WRITE_PARITY_TABLE=1 make test ARGS=tests/parity"

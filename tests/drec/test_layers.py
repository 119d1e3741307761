"""The layers of ARCHITECTURE.md, held by reading the imports of every module of ours:
api.py and views.py → services, selectors → models; no selector imports a service, no view
imports api.py, transactions live in services, no import cycle, and no import hidden in a
function to dodge one. Each rule is also shown to find what it forbids."""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from drec.routes import OUR_APPS

ROOT = Path(__file__).resolve().parents[2]


def modules(root: Path = ROOT) -> dict[str, ast.Module]:
    found = {}
    for app in OUR_APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


def imports(tree: ast.Module, known) -> tuple[set[str], list[tuple[str, int]]]:
    """(our modules imported at module level, [(our module, line) imported inside a function])."""
    top, hidden = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        ours = [name for name in names if name in known]
        if node in tree.body:
            top.update(ours)
        else:
            hidden += [(name, node.lineno) for name in ours]
    return top, hidden


def graph(found: dict[str, ast.Module]) -> tuple[dict[str, set[str]], list[str]]:
    edges, hidden = {}, []
    for name, tree in found.items():
        top, inside = imports(tree, found)
        edges[name] = top - {name}
        hidden += [f"{name}:{line} imports {target} inside a function" for target, line in inside]
    return edges, hidden


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer_problems(edges: dict[str, set[str]], found: dict[str, ast.Module]) -> list[str]:
    problems = []
    for name, targets in edges.items():
        part = name.split(".")[-1]
        for target in sorted(targets):
            layer = target.split(".")
            if part == "selectors" and "services" in layer:
                problems.append(f"{name} (a selector) imports {target} (a service)")
            if part == "views" and layer[-1] == "api":
                problems.append(f"{name} (portal views) imports {target} (the API's module)")
            if name.startswith("reads.") and part in ("models", "selectors", "services") and layer[0] == "certificates":
                problems.append(f"{name} imports {target}: reads do not know certificates")
    for name, tree in found.items():
        if name.split(".")[-1] in ("views", "api"):
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "atomic":
                    problems.append(f"{name}:{node.lineno} opens a transaction (services own them)")
    return problems


@pytest.fixture(scope="module")
def project():
    found = modules()
    return found, *graph(found)


def test_our_modules_import_each_other_without_a_cycle(project):
    _found, edges, _hidden = project
    assert cycles(edges) == []
    assert len(edges) > 80


def test_no_import_hides_in_a_function(project):
    _found, _edges, hidden = project
    assert hidden == []


def test_the_layers_of_the_architecture_hold(project):
    found, edges, _hidden = project
    assert layer_problems(edges, found) == []


def test_the_checks_find_what_they_forbid():
    code = {
        "devices.selectors": "from devices.services import device_register\n",
        "devices.services": "from devices.selectors import device_get\n",
        "devices.views": "from devices.api import device_json\n",
        "devices.api": "from django.db import transaction\nwith transaction.atomic():\n    pass\n",
        "reads.selectors": "from certificates.models import Contribution\n",
        "certificates.models": "def f():\n    from reads.models import MeterRead\n",
        "reads.models": "",
    }
    found = {name: ast.parse(text) for name, text in code.items()}
    edges, hidden = graph(found)
    assert cycles(edges) == [["devices.selectors", "devices.services"]]
    assert hidden == ["certificates.models:2 imports reads.models inside a function"]
    assert sorted(layer_problems(edges, found)) == [
        "devices.api:2 opens a transaction (services own them)",
        "devices.selectors (a selector) imports devices.services (a service)",
        "devices.views (portal views) imports devices.api (the API's module)",
        "reads.selectors imports certificates.models: reads do not know certificates",
    ]


def test_the_module_map_covers_every_app():
    by_app = defaultdict(int)
    for name in modules():
        by_app[name.split(".")[0]] += 1
    assert set(by_app) == set(OUR_APPS)

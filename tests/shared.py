"""Data the tests of a module share, built once: Django's ``setUpTestData`` for pytest.

Some tests start from a costly world (tests/security's ``world``, the ``tenants`` of
tests/devices, tests/reservations and tests/organizations: two tenants, their organizations,
members and grants; the issued certificates of some tests/certificates modules; the device
fleet of tests/devices/test_api_filters.py). Where two or more tests of a module use it, the
module builds it once for them instead of once per test. ``shared_data(build, uses=...,
where=__name__)`` gives the folder's conftest.py (or the test module) two fixtures:

* ``_shared_data`` (module scope, autouse): ``build()``, a dict of name -> object, made in a
  transaction of the module before the first test that uses it, and rolled back after the last
  one. Each test runs in its own savepoint inside it (pytest-django's TestCase atomics), so
  what a test writes is gone for the next, as before.
* ``shared_copy``: for a test using a fixture named in ``uses``, a deep copy of those objects
  (a test changing an object in memory changes it for itself only); ``None`` for the others.

``shared_fixture(name, fallback)`` makes the fixture ``name`` answer the test's copy of the
module's object ``name``, or ``fallback(request)``, made for the test alone, for a test that
does not use the shared data. So each test sees the same data as before: those using the
world get the world and its personas, the others build their own and never see the world.

For that, the tests of a module that use shared data run first (``order``; in file order
otherwise). Tests that commit for real (live server, ``transaction=True``: `make test`'s second
pass) never share: a module transaction cannot hold what they commit.
"""

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

# The test being set up (tests/conftest.py's pytest_runtest_setup).
RUNNING: dict[str, pytest.Item] = {}
# Where data is shared (a test module, or a folder's conftest.py for the folder's modules):
# the fixture names whose tests share it, which run first in their module.
USES: dict[str, tuple[str, ...]] = {}


@dataclass
class _Shared:
    """A module's shared data and the transaction holding it, while open."""

    module: Any
    uses: tuple[str, ...]
    data: dict[str, Any]
    atomic: Any
    blocker: Any
    open: bool = True


# At most one module's shared data is open at a time.
_OPEN: list[_Shared] = []


def commits_for_real(item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return "live_server" in names or "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))


def _uses(item, uses: Iterable[str]) -> bool:
    names = getattr(item, "fixturenames", ())
    return not commits_for_real(item) and any(name in names for name in uses)


def _uses_here(item) -> tuple[str, ...]:
    """The names of the shared data of ``item``'s module: its own, else its folder's."""
    module = item.module.__name__
    if module in USES:
        return USES[module]
    folders = [where for where in USES if where.endswith(".conftest") and module.startswith(where[: -len("conftest")])]
    return USES[max(folders, key=len)] if folders else ()


def order(items: list) -> None:
    """In each module, the tests using its shared data first (otherwise in file order), so that
    the shared data is built once and gone before the module's other tests run."""
    first: dict[Any, int] = {}
    for index, item in enumerate(items):
        first.setdefault((commits_for_real(item), item.module), index)
    items.sort(key=lambda item: (first[commits_for_real(item), item.module], not _uses(item, _uses_here(item))))


def _close(shared: _Shared) -> None:
    if shared.open:
        shared.open = False
        _OPEN.remove(shared)
        with shared.blocker.unblock():
            transaction.set_rollback(True)
            shared.atomic.__exit__(None, None, None)


def after(item, nextitem) -> None:
    """After ``item``'s teardown: roll the module's shared data back unless ``nextitem`` uses it."""
    for shared in list(_OPEN):
        if nextitem is None or nextitem.module is not shared.module or not _uses(nextitem, shared.uses):
            _close(shared)


def shared_data(build: Callable[[], dict[str, Any]], *, uses: tuple[str, ...], where: str):
    """The ``_shared_data`` and ``shared_copy`` fixtures of the conftest.py or test module
    named ``where`` (its ``__name__``; see the module docstring)."""
    USES[where] = uses

    @pytest.fixture(scope="module", autouse=True)
    def _shared_data(request, django_db_blocker):
        item = RUNNING.get("item")
        users = [other for other in request.session.items if other.module is request.module and _uses(other, uses)]
        if item is None or item.module is not request.module or not _uses(item, uses) or len(users) < 2:
            yield None  # nobody here to share with (one user: building once for it saves nothing)
            return
        request.getfixturevalue("django_db_setup")
        for other in list(_OPEN):
            _close(other)
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                data = build()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        shared = _Shared(request.module, uses, data, atomic, django_db_blocker)
        _OPEN.append(shared)
        try:
            yield shared
        finally:
            _close(shared)

    @pytest.fixture
    def shared_copy(request, _shared_data):
        if _shared_data is None or not _shared_data.open or not _uses(request.node, uses):
            return None
        return copy.deepcopy(_shared_data.data)

    return _shared_data, shared_copy


def shared_fixture(name: str, fallback: Callable[[pytest.FixtureRequest], Any]):
    """A fixture ``name``: the test's copy of the module's shared object ``name``, else
    ``fallback(request)``, made for the test alone."""

    def fixture(request, db, shared_copy):
        if shared_copy is not None and name in shared_copy:
            return shared_copy[name]
        return fallback(request)

    fixture.__name__ = name
    fixture.__doc__ = f"``{name}``: the module's shared one (tests/shared.py), else one of the test's own."
    return pytest.fixture(name=name)(fixture)

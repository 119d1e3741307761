"""The portal's pages under hostile query strings (issue 20: ``device=abc`` on the device list
answered 500): every portal page reached by GET without a path argument, as the personas that
use the portal most, with every query parameter its page's forms offer (and the ones the pages
read besides) set at once to each of the values a user or a crawler may send. No answer may be
a 5xx; nothing is written by a GET (the database's rows are compared before and after). Each
request runs in a savepoint, so one failing request cannot hide the next.
"""

import re

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from drec.routes import routes
from tests.parity.doors import fingerprint
from tests.parity.world import world_build

PERSONAS = ("admin", "organization_admin", "buyer")
# Read by some page whether or not a form on it names them.
ALWAYS = ("device", "organizationId", "page", "receivedPage", "status", "tab", "edit", "role", "user", "job", "next")
HOSTILE = ("abc", "²", "-1", "9" * 25, "9" * 5000, "\t\n\u2028", "2024-13-45", "'; <script>", "x" * 10_000)
NAMES = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname="([^"]+)\"""")


def pages() -> list[str]:
    found = []
    for route in routes():
        if route.is_api or route.method != "GET" or route.action is not None or not route.name:
            continue
        if route.path.startswith("django-admin/"):
            continue  # Django admin's own filters: tests/drec/test_admin_*.py
        try:
            found.append(reverse(route.name))
        except NoReverseMatch:
            continue  # a page of one object (a path argument): its id is fuzzed by the form tests
    return sorted(set(found))


@pytest.fixture
def world(db, admin_user):
    return world_build(admin_user)


def test_no_portal_page_answers_a_server_error_to_a_hostile_query_string(world):
    clients = {persona: world.portal(persona) for persona in PERSONAS}  # signing in sets last_login
    before = fingerprint()
    failures = []
    sent = 0
    for persona, client in clients.items():
        client.raise_request_exception = False
        for path in pages():
            first = client.get(path)
            names = set(NAMES.findall(first.content.decode(errors="replace"))) | set(ALWAYS)
            names.discard("csrfmiddlewaretoken")
            for value in HOSTILE:
                with transaction.atomic():
                    response = client.get(path, dict.fromkeys(sorted(names), value))
                    transaction.set_rollback(True)
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{persona} GET {path} ({', '.join(sorted(names))}) = {value[:20]!r}")
    print(f"\nPortal filter fuzzing: {len(pages())} pages x {len(PERSONAS)} personas, {sent} requests")
    assert failures == []
    assert fingerprint() == before

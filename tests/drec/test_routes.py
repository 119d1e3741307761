"""The route registry: nothing of ours ships without an access rule, and an endpoint that
forgets one fails closed.

This module is also a URL configuration: the project's URLs plus two badly declared API
views, to show that the registry check finds them and that they answer 403.
"""

import re

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from drec.permissions import PUBLIC
from drec.routes import api_operations, routes
from drec.urls import urlpatterns as project_urls


class Unguarded(APIView):
    """Declares no rule at all."""

    def get(self, request):
        return Response({"leaked": "energy of every device"})


class HalfGuarded(APIView):
    """Declares a rule for GET but forgets POST."""

    acl = {"get": PUBLIC}

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"leaked": True}, status=201)


# Before the project's URLs: the API's catch-all 404 would swallow them otherwise.
urlpatterns = [
    path("api/unguarded", Unguarded.as_view()),
    path("api/half-guarded", HalfGuarded.as_view()),
    *project_urls,
]


def unguarded(route_list) -> list[tuple[str, str]]:
    """The registry check: API routes and portal routes of our apps without a rule."""
    return sorted(
        (route.path, route.method) for route in route_list if (route.is_api or route.is_ours) and not route.rule
    )


def test_every_api_route_and_every_portal_page_of_ours_declares_a_rule():
    found = routes()
    paths = {route.path for route in found}
    # The check looks at the real map: the ACL endpoints and pages are there.
    assert {"api/permission/module", "api/admin/apiusers", "admin/permission/acl_module", "dashboard"} <= paths
    assert len([route for route in found if route.is_api]) >= 25
    assert unguarded(found) == []


def test_the_registry_check_finds_exactly_the_unguarded_routes():
    assert unguarded(routes(urlconf="tests.drec.test_routes")) == [
        ("api/half-guarded", "POST"),
        ("api/unguarded", "*"),
    ]


def test_each_method_of_a_view_gets_its_own_rule():
    by_key = {(route.path, route.method): route for route in routes()}
    assert by_key[("api/access-control-layer-module-service", "GET")].rule.roles is None
    assert by_key[("api/access-control-layer-module-service", "POST")].rule.roles == frozenset({"Admin"})
    assert by_key[("api/permission", "GET")].rule.module == "PERMISSION_MANAGEMENT_CRUDL"


@pytest.mark.urls("tests.drec.test_routes")
def test_an_endpoint_without_a_rule_answers_403_to_everyone(api_client, client_for, admin_user, api_user):
    for client in (api_client, client_for(admin_user), client_for(api_user)):
        response = client.get("/api/unguarded")
        assert response.status_code == 403
        assert response.json()["statusCode"] == 403
        assert "leaked" not in response.content.decode()


@pytest.mark.urls("tests.drec.test_routes")
def test_a_method_without_a_rule_answers_403_even_to_the_admin(api_client, client_for, admin_user):
    assert api_client.get("/api/half-guarded").json() == {"ok": True}
    response = client_for(admin_user).post("/api/half-guarded", {}, format="json")
    assert response.status_code == 403
    assert "leaked" not in response.content.decode()


PROTECTED_PAGES = [
    route
    for route in routes()
    if route.is_ours and not route.is_api and route.method == "GET" and route.rule is not None and not route.rule.public
]


def _sample_path(pattern: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", pattern)


@pytest.mark.parametrize("route", PROTECTED_PAGES, ids=[route.path for route in PROTECTED_PAGES])
def test_visitors_are_sent_to_the_login_page_from_every_protected_page(client, db, route):
    url = _sample_path(route.path)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/login?next={url}")


PORTAL_ACTIONS = [route for route in routes() if route.declared is not None]
WRITES = [route for route in PORTAL_ACTIONS if route.changes]


def test_every_portal_write_names_the_api_operation_doing_the_same_and_takes_its_rule():
    """SPEC §4: a portal action that creates, changes or deletes is guarded by exactly the rule
    of its API twin. A write without a twin, with a twin that does not exist or with another
    rule (a page's Read rule guarding a delete) fails here."""
    operations = api_operations()
    problems = []
    for route in WRITES:
        twin = operations.get(route.declared.twin or "")
        if twin is None:
            problems.append(f"{route.key} /{route.path}: no API twin ({route.declared.twin!r})")
        elif twin.method == "GET":
            problems.append(f"{route.key} /{route.path}: its twin {route.declared.twin} does not write")
        elif route.rule != twin.rule and not twin.rule.public:
            problems.append(
                f"{route.key} /{route.path}: guarded by {route.rule.describe()}, "
                f"its twin {route.declared.twin} by {twin.rule.describe()}"
            )
    assert problems == []
    assert len(WRITES) >= 30


def test_every_portal_page_names_its_api_listing_or_says_why_it_has_none():
    operations = api_operations()
    problems = [
        f"{route.key} /{route.path}"
        for route in PORTAL_ACTIONS
        if route.method == "GET"
        and not route.declared.no_twin
        and (route.declared.twin not in operations or not route.declared.twin.startswith("GET "))
    ]
    assert problems == []


def test_a_form_step_that_does_not_write_is_guarded_by_the_write_it_prepares():
    steps = [route for route in PORTAL_ACTIONS if route.method == "POST" and not route.changes]
    assert {(route.name, route.key) for route in steps} >= {
        ("reservation-add", "POST filter"),
        ("reservation-add", "POST review"),
        ("device-add", "POST add_more"),
    }
    for route in steps:
        twin = api_operations()[route.declared.twin]
        assert route.rule == twin.rule, route

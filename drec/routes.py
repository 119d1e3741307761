"""The registry of routes and their access rules, read from the URL configuration.

``manage.py routes`` prints it; tests/drec/test_routes.py fails when an API endpoint or a
portal page of ours declares no rule, or when a portal action that writes names no API twin
or is guarded by another rule than its twin's, so nothing ships unguarded.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver

from drec.permissions import Action, Rule, rule_for

OUR_APPS = (
    "drec",
    "accounts",
    "acl",
    "organizations",
    "devices",
    "reads",
    "reservations",
    "certificates",
    "registry",
    "webhooks",
)


@dataclass(frozen=True)
class Route:
    path: str
    name: str | None
    method: str
    view: str
    rule: Rule | None
    # Portal routes: the form action (None for the method as a whole) and what it declares.
    action: str | None = None
    declared: Action | None = None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    @property
    def is_ours(self) -> bool:
        return self.view.split(".", 1)[0] in OUR_APPS

    @property
    def changes(self) -> bool:
        """Whether this route, method and action writes."""
        if self.declared is not None:
            return self.declared.changes
        return self.method not in ("GET", "HEAD", "*")

    @property
    def key(self) -> str:
        """``"POST delete"``, ``"GET"``: the portal declaration's key."""
        return f"{self.method} {self.action}" if self.action else self.method


def _walk(patterns: Iterable[URLPattern | URLResolver], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def routes(urlconf: str | None = None) -> list[Route]:
    found: list[Route] = []
    for path, pattern in _walk(get_resolver(urlconf).url_patterns):
        callback = pattern.callback
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        target = view_class or callback
        view = f"{target.__module__}.{target.__qualname__}"
        if view_class is not None and hasattr(view_class, "acl"):
            methods = [
                m for m in view_class.http_method_names if m not in ("options", "head") and hasattr(view_class, m)
            ]
            found += [Route(path, pattern.name, m.upper(), view, rule_for(view_class, m)) for m in methods]
        elif hasattr(callback, "portal_actions"):
            for key, declared in callback.portal_actions.items():
                method, _, action = key.partition(" ")
                found.append(Route(path, pattern.name, method, view, declared.rule, action or None, declared))
        else:
            found.append(Route(path, pattern.name, "*", view, getattr(callback, "acl", None)))
    return found


@cache
def api_operations() -> dict[str, Route]:
    """API routes by ``"METHOD url-name"``, the way portal actions name their twins."""
    return {f"{route.method} {route.name}": route for route in routes() if route.is_api and route.name}


@cache
def portal_actions() -> dict[tuple[str, str], Action]:
    """Portal actions by ``(url name, "POST delete")``: what a page may offer is what its
    target's declaration allows (the ``{% can %}`` template tag)."""
    return {(route.name, route.key): route.declared for route in routes() if route.declared is not None and route.name}

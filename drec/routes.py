"""The registry of routes and their access rules, read from the URL configuration.

``manage.py routes`` prints it; tests/drec/test_routes.py fails when an API endpoint or a
portal page of ours declares no rule, so nothing ships unguarded.
"""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from drec.permissions import Rule, rule_for

OUR_APPS = ("drec", "accounts", "acl", "organizations", "devices", "reads", "reservations", "certificates")


@dataclass(frozen=True)
class Route:
    path: str
    name: str | None
    method: str
    view: str
    rule: Rule | None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    @property
    def is_ours(self) -> bool:
        return self.view.split(".", 1)[0] in OUR_APPS


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def routes(urlconf=None) -> list[Route]:
    found = []
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
        else:
            found.append(Route(path, pattern.name, "*", view, getattr(callback, "acl", None)))
    return found

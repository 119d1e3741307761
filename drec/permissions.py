"""Access rules: every API view and portal page declares one, and one check decides.

A view declares ``acl = Rule(...)`` (all methods) or ``acl = {"get": Rule(...), ...}``.
``AclPermission`` is the API's only permission class; it fails closed: a view without a
declaration answers 403, and ``tests/drec/test_routes.py`` refuses such a view.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission

from acl.selectors import may

FORBIDDEN = "Forbidden resource"


@dataclass(frozen=True)
class Rule:
    """Who may use an endpoint: anyone (``public``), or signed-in users of ``roles`` (all when
    None) holding ``verb`` on ``module`` (no module: being signed in is enough)."""

    module: str | None = None
    verb: str | None = None
    roles: frozenset[str] | None = None
    public: bool = False

    def allows(self, user, *, masks: dict[str, int] | None = None) -> bool:
        if self.public:
            return True
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if self.roles is not None and user.role not in self.roles:
            return False
        return self.module is None or may(user, self.module, self.verb, masks=masks)

    def describe(self) -> str:
        if self.public:
            return "public"
        parts = [f"{self.module} / {self.verb}"] if self.module else []
        if self.roles is not None:
            parts.append("roles: " + ", ".join(sorted(self.roles)))
        return "; ".join(parts) or "any signed-in user"


PUBLIC = Rule(public=True)
AUTHENTICATED = Rule()


def acl(module: str, verb: str, *roles: str) -> Rule:
    """``acl("DEVICE_MANAGEMENT_CRUDL", "Read")``; roles narrow it further (Admin always passes)."""
    return Rule(module=module, verb=verb, roles=frozenset({*roles, "Admin"}) if roles else None)


def only(*roles: str) -> Rule:
    """Signed-in users of these roles (no module grant involved), e.g. ``only("Admin")``."""
    return Rule(roles=frozenset(roles))


def rule_for(view, method: str) -> Rule | None:
    declared = getattr(view, "acl", None)
    if isinstance(declared, dict):
        method = method.lower()
        if method in ("head", "options"):
            method = "get" if "get" in declared else method
        return declared.get(method)
    return declared


class AclPermission(BasePermission):
    message = FORBIDDEN

    def has_permission(self, request, view) -> bool:
        rule = rule_for(view, request.method)
        if rule is None:
            raise PermissionDenied("This endpoint declares no access rule.")
        if rule.public:
            return True
        if not request.user or not request.user.is_authenticated:
            raise NotAuthenticated()
        return rule.allows(request.user)


def portal_rule(rule: Rule) -> Callable:
    """Decorator for portal views: visitors go to the login page, others without the right
    get the 403 page. The rule is kept on the view for the route registry."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not rule.public and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not rule.allows(request.user):
                raise DjangoPermissionDenied(FORBIDDEN)
            return view(request, *args, **kwargs)

        wrapper.acl = rule
        return wrapper

    return decorate

"""Access rules: every API view and portal action declares one, and one check decides.

An API view declares ``acl = Rule(...)`` (all methods) or ``acl = {"get": Rule(...), ...}``.
``AclPermission`` is the API's only permission class; it fails closed: a view without a
declaration answers 403, and ``tests/drec/test_routes.py`` refuses such a view.

A portal view declares, per HTTP method and form action, an :class:`Action`: the rule that
guards it and the API operation that does the same thing (its *twin*), with
:func:`portal_view`. A POST is never guarded by the page's Read rule: deleting a device needs
DEVICE_MANAGEMENT Delete in both doors because both take the same ``Rule`` object from the
app's ``rules.py``; tests/parity holds each portal action to its twin, persona by persona.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, cast

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User
from acl.selectors import may
from drec.errors import InvalidInput

FORBIDDEN = "Forbidden resource"
PASSWORD_CHANGE_FIRST = "Your password was generated: change it first (PUT /api/user/password)."  # noqa: S105 (a message)


@dataclass(frozen=True)
class Rule:
    """Who may use an endpoint: anyone (``public``), or signed-in users of ``roles`` (all when
    None) holding ``verb`` on ``module`` (no module: being signed in is enough)."""

    module: str | None = None
    verb: str | None = None
    roles: frozenset[str] | None = None
    public: bool = False

    def allows(self, user: User | AnonymousUser | None, *, masks: dict[str, int] | None = None) -> bool:
        if self.public:
            return True
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if self.roles is not None and user.role not in self.roles:
            return False
        # A rule with a module names its verb (acl()); may() refuses any other with ValueError.
        return self.module is None or may(user, self.module, cast(str, self.verb), masks=masks)

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


def rule_for(view: object, method: str) -> Rule | None:
    """The rule ``view`` (an API view, its class, or a plain view function) declares for ``method``."""
    declared: Rule | dict[str, Rule] | None = getattr(view, "acl", None)
    if isinstance(declared, dict):
        method = method.lower()
        if method in ("head", "options"):
            method = "get" if "get" in declared else method
        return declared.get(method)
    return declared


class AclPermission(BasePermission):
    message = FORBIDDEN

    def has_permission(
        self, request: Request, view: object
    ) -> bool:  # any view: DRF loads this module while defining APIView
        rule = rule_for(view, cast(str, request.method))  # set on every request DRF dispatches
        if rule is None:
            raise PermissionDenied("This endpoint declares no access rule.")
        if rule.public:
            return True
        if not request.user or not request.user.is_authenticated:
            raise NotAuthenticated()
        if request.user.must_change_password and not getattr(view, "open_before_password_change", False):
            raise PermissionDenied(PASSWORD_CHANGE_FIRST)
        return rule.allows(request.user)


# --- Portal -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing a portal page does for one HTTP method and form ``action``.

    ``rule`` guards it; ``twin`` names the API operation doing the same thing, as
    ``"METHOD url-name"`` (the rule must be that operation's, which tests/drec/test_routes.py
    checks). ``changes``: whether it writes; a form step that only redraws the form (filter,
    review, "add more") does not, and is guarded by the rule of the write it prepares.
    ``no_twin`` says why a page has no API counterpart.
    """

    rule: Rule
    twin: str | None = None
    changes: bool = True
    no_twin: str = ""


def page(rule: Rule, twin: str | None = None, *, no_twin: str = "") -> Action:
    """What GET shows (a read); ``twin`` the API listing that shows the same objects."""
    return Action(rule, twin, changes=False, no_twin=no_twin)


def step(of: Action) -> Action:
    """A POST that only redraws a form on the way to ``of`` (filter, review, add a card)."""
    return Action(of.rule, of.twin, changes=False)


def _action_key(request: HttpRequest, actions: Mapping[str, Action], action_field: str) -> str | None:
    method = "GET" if request.method == "HEAD" else request.method
    if method == "GET":
        return "GET" if "GET" in actions else None
    if method != "POST":
        return None
    name = request.POST.get(action_field, "")
    key = f"POST {name}" if name else "POST"
    if key in actions:
        return key
    if "POST" in actions and not any(k.startswith("POST ") for k in actions):
        return "POST"  # a page with one write: whatever the button is called
    if any(k.startswith("POST") for k in actions):
        raise InvalidInput(f"Unknown action {name!r} for this page.", errors={action_field: ["Unknown action."]})
    return None


class RuledView(Protocol):
    """A view function carrying its access rule as ``acl`` (what drec.routes reads)."""

    acl: Rule

    def __call__(self, request: HttpRequest, /, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


class PortalView(RuledView, Protocol):
    """A view declared with :func:`portal_view`: its rule, and every action it declares."""

    portal_actions: dict[str, Action]


def portal_view(
    actions: Mapping[str, Action | Rule], *, action_field: str = "action"
) -> Callable[[Callable[..., HttpResponseBase]], PortalView]:
    """Declare a portal view's actions: ``{"GET": page(RULE), "POST delete": Action(RULE,
    twin="DELETE api-device")}``; a bare ``Rule`` is a page without a twin. Visitors go to
    the login page, users without the action's rule get the 403 page, other methods and unknown
    actions are refused. The declaration stays on the view for the route registry, the menu
    and the ``{% can %}`` template tag."""
    declared = {key: value if isinstance(value, Action) else page(value) for key, value in actions.items()}
    allowed_methods = sorted({key.split(" ", 1)[0] for key in declared} | ({"HEAD"} if "GET" in declared else set()))

    def decorate(view: Callable[..., HttpResponseBase]) -> PortalView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            key = _action_key(request, declared, action_field)
            if key is None:
                return HttpResponseNotAllowed(allowed_methods)
            rule = declared[key].rule
            if not rule.public and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not rule.allows(request.user):
                raise DjangoPermissionDenied(FORBIDDEN)
            return view(request, *args, **kwargs)

        # The declaration stays on the view: cast to the protocol that names its attributes.
        portal = cast(PortalView, wrapper)
        portal.portal_actions = declared
        portal.acl = declared["GET"].rule if "GET" in declared else next(iter(declared.values())).rule
        return portal

    return decorate

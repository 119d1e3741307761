"""The portal's side menu and landing pages: one definition for every role.

Each app adds its pages here (SPEC §10, reference ui.md §2). An item is shown when the
user passes the access rule of the page it links to (the rule the page's view declares with
``portal_rule``), so the menu and the pages cannot disagree. A section with no visible
item is hidden.
"""

from dataclasses import dataclass
from functools import cache

from django.urls import resolve, reverse

from accounts.models import Role
from acl.selectors import granted_masks
from drec.permissions import PUBLIC, Rule, only


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str = "bi-dot"
    # For pages outside the portal's views (Swagger, Django admin); portal pages declare
    # their own rule.
    rule: Rule | None = None


@dataclass(frozen=True)
class MenuSection:
    label: str
    icon: str
    items: tuple[MenuItem, ...]


MENU: tuple[MenuItem | MenuSection, ...] = (
    MenuItem("Dashboard", "dashboard", icon="bi-speedometer2"),
    MenuSection(
        "Organization",
        "bi-building",
        (MenuItem("All ApiUser", "admin-api-users"),),
    ),
    MenuSection(
        "Permission",
        "bi-key",
        (
            MenuItem("ACL Module", "admin-acl-modules"),
            MenuItem("User Role Permission", "admin-role-permissions"),
            MenuItem("ApiUser Permission", "admin-api-user-permissions"),
            MenuItem("Permission Request", "apiuser-permission-request"),
            MenuItem("My Permission", "apiuser-permissions"),
        ),
    ),
    MenuSection("Account Setting", "bi-person-gear", (MenuItem("Profile", "profile"),)),
    MenuSection(
        "Developers",
        "bi-code-slash",
        (MenuItem("API documentation", "swagger-ui", icon="bi-book", rule=PUBLIC),),
    ),
    MenuSection(
        "Administration",
        "bi-shield-lock",
        (MenuItem("Django admin", "admin:index", icon="bi-tools", rule=only(Role.ADMIN)),),
    ),
)

# Where each role lands after login (ui.md §2); roles not listed land on the dashboard.
LANDING_PAGES: dict[str, str] = {}


def landing_url(user) -> str:
    return reverse(LANDING_PAGES.get(user.role, "dashboard"))


@cache
def _target(item: MenuItem) -> tuple[str, Rule | None]:
    url = reverse(item.url_name)
    return url, item.rule or getattr(resolve(url).func, "acl", None)


def menu_for(user, current_path: str) -> list[dict]:
    """The menu entries ``user`` may use, as plain dicts for the template."""
    masks = granted_masks(user) if user.role != Role.ADMIN else {}

    def entry(item: MenuItem) -> dict | None:
        url, rule = _target(item)
        if rule is None or not rule.allows(user, masks=masks):
            return None
        active = current_path == url or (url != "/" and current_path.startswith(url.rstrip("/") + "/"))
        return {"label": item.label, "url": url, "icon": item.icon, "active": active}

    entries: list[dict] = []
    for node in MENU:
        if isinstance(node, MenuItem):
            if shown := entry(node):
                entries.append({"item": shown})
            continue
        items = [shown for item in node.items if (shown := entry(item))]
        if items:
            entries.append({"section": node.label, "icon": node.icon, "items": items})
    return entries

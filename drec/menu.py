"""The portal's side menu and landing pages: one definition for every role.

Each app adds its pages here (SPEC §10, reference ui.md §2). An item is shown only to the
roles listed (``None``: every signed-in user); a section with no visible item is hidden.
"""

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import Role


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str = "bi-dot"
    roles: frozenset[str] | None = None

    def visible_to(self, user) -> bool:
        return self.roles is None or user.role in self.roles


@dataclass(frozen=True)
class MenuSection:
    label: str
    icon: str
    items: tuple[MenuItem, ...]


ADMIN_ONLY = frozenset({Role.ADMIN})

MENU: tuple[MenuItem | MenuSection, ...] = (
    MenuItem("Dashboard", "dashboard", icon="bi-speedometer2"),
    MenuSection(
        "Developers",
        "bi-code-slash",
        (MenuItem("API documentation", "swagger-ui", icon="bi-book"),),
    ),
    MenuSection(
        "Administration",
        "bi-shield-lock",
        (MenuItem("Django admin", "admin:index", icon="bi-tools", roles=ADMIN_ONLY),),
    ),
)

# Where each role lands after login (ui.md §2); roles not listed land on the dashboard.
LANDING_PAGES: dict[str, str] = {}


def landing_url(user) -> str:
    return reverse(LANDING_PAGES.get(user.role, "dashboard"))


def menu_for(user, current_path: str) -> list[dict]:
    """The menu entries ``user`` may use, as plain dicts for the template."""

    def entry(item: MenuItem) -> dict:
        url = reverse(item.url_name)
        active = current_path == url or (url != "/" and current_path.startswith(url.rstrip("/") + "/"))
        return {"label": item.label, "url": url, "icon": item.icon, "active": active}

    entries: list[dict] = []
    for node in MENU:
        if isinstance(node, MenuItem):
            if node.visible_to(user):
                entries.append({"item": entry(node)})
            continue
        items = [entry(item) for item in node.items if item.visible_to(user)]
        if items:
            entries.append({"section": node.label, "icon": node.icon, "items": items})
    return entries

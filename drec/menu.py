"""The portal's side menu and landing pages: one definition for every role.

Each app adds its pages here (SPEC §10, reference ui.md §2). An item is shown when the
user passes the access rule of the page it links to (the rule the page's view declares with
``portal_view``), so the menu and the pages cannot disagree. A section with no visible
item is hidden.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TypedDict

from django.urls import resolve, reverse

from accounts.models import Role, User
from acl.selectors import granted_masks, pending_request_count
from drec.permissions import PUBLIC, Rule, only


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str = "bi-dot"
    # A further condition on top of the page's own rule (the same page can sit in two places
    # of the menu for different roles), or the rule of a page outside the portal's views.
    also: Rule | None = None
    # A count shown next to the label (a key of BADGES), e.g. requests waiting for the viewer.
    badge: str | None = None


@dataclass(frozen=True)
class MenuSection:
    label: str
    icon: str
    items: tuple[MenuItem, ...]


ORGANIZATION_MEMBERS = only(Role.ORGANIZATION_ADMIN, Role.DEVICE_OWNER, Role.BUYER, Role.SUB_BUYER)
DEVELOPER_SIDE = only(Role.ORGANIZATION_ADMIN, Role.DEVICE_OWNER, Role.USER)
NOT_BUYER = only(Role.ADMIN, Role.API_USER, Role.ORGANIZATION_ADMIN, Role.DEVICE_OWNER, Role.USER)
BUYER_SIDE = only(Role.BUYER, Role.SUB_BUYER, Role.API_USER)
NOT_API_USER = only(*(role for role in Role.values if role != Role.API_USER))

MENU: tuple[MenuItem | MenuSection, ...] = (
    MenuItem("Dashboard", "dashboard", icon="bi-speedometer2"),
    MenuSection(
        "Organization",
        "bi-building",
        (
            MenuItem("My Organizations", "my-organization"),
            # The page is the manual's "add organization form" (ui.md's "Add Organizations").
            MenuItem("Add Organization", "admin-add-organization", also=only(Role.ADMIN)),
            MenuItem("Add Organization", "apiuser-add-organization", also=only(Role.API_USER)),
            MenuItem("All Organizations", "all-organizations"),
            MenuItem("All Users", "all-users", also=NOT_API_USER),
            MenuItem("All Users", "apiuser-all-users", also=only(Role.API_USER)),
            MenuItem("All ApiUser", "admin-api-users"),
            MenuItem("Invitation", "organization-invitations", also=ORGANIZATION_MEMBERS),
        ),
    ),
    MenuSection(
        "Device",
        "bi-sun",
        (
            MenuItem("All Devices", "admin-device-list", also=only(Role.ADMIN)),
            MenuItem("My Devices", "device-list", also=DEVELOPER_SIDE),
            MenuItem("My Devices", "apiuser-device-list", also=only(Role.API_USER)),
            MenuItem("Add Devices", "device-add", also=NOT_BUYER),
            MenuItem("Bulk Upload", "device-bulk-upload", also=NOT_BUYER),
        ),
    ),
    MenuSection(
        "MeterRead",
        "bi-speedometer",
        (
            MenuItem("All Reads", "read-list", also=NOT_BUYER),
            MenuItem("Add MeterRead", "read-add"),
            MenuItem("Upload Reads", "read-bulk-upload", also=NOT_BUYER),
            MenuItem("Certified MeterReads", "developer-certificate-list", also=only(Role.ORGANIZATION_ADMIN)),
        ),
    ),
    MenuSection(
        "Yield Configuration",
        "bi-graph-up",
        (
            MenuItem("All Yield", "yield-list"),
            MenuItem("Add", "yield-add"),
        ),
    ),
    MenuSection(
        "Permission",
        "bi-key",
        (
            MenuItem("ACL Module", "admin-acl-modules"),
            MenuItem("User Role Permission", "admin-role-permissions"),
            MenuItem("ApiUser Permission", "admin-api-user-permissions", badge="pending_permission_requests"),
            MenuItem("Permission Request", "apiuser-permission-request"),
            MenuItem("My Permission", "apiuser-permissions"),
        ),
    ),
    MenuItem("Reservations", "reservation-list", icon="bi-calendar-check", also=BUYER_SIDE),
    MenuItem("Certificate", "certificate-list", icon="bi-patch-check", also=BUYER_SIDE),
    MenuItem("Redemption Report", "redemption-report", icon="bi-journal-check", also=BUYER_SIDE),
    MenuItem("Add Reservation", "reservation-add", icon="bi-plus-circle", also=BUYER_SIDE),
    MenuSection("Account Setting", "bi-person-gear", (MenuItem("Profile", "profile"),)),
    # For the people who write an api user's application (not the Developer organizations).
    MenuSection(
        "For software developers",
        "bi-code-slash",
        (
            MenuItem("API documentation", "swagger-ui", icon="bi-book", also=PUBLIC),
            MenuItem("Webhooks", "webhook-list", icon="bi-broadcast"),
        ),
    ),
    MenuSection(
        "Administration",
        "bi-shield-lock",
        (MenuItem("Django admin", "admin:index", icon="bi-tools", also=only(Role.ADMIN)),),
    ),
)


class MenuLink(TypedDict):
    """A link of the rendered menu."""

    label: str
    url: str
    icon: str
    active: bool
    badge: int  # 0: no badge
    badge_label: str


class MenuItemEntry(TypedDict):
    """A top-level link of the rendered menu."""

    item: MenuLink


class MenuSectionEntry(TypedDict):
    """A section of the rendered menu and its visible links."""

    section: str
    icon: str
    items: list[MenuLink]


MenuEntry = MenuItemEntry | MenuSectionEntry

# The menu's counts: what each counts (one query each), and what the number means (one, many).
BADGES: dict[str, tuple[Callable[[], int], str, str]] = {
    "pending_permission_requests": (
        pending_request_count,
        "api user waiting for approval",
        "api users waiting for approval",
    ),
}


# Where each role lands after login (ui.md §2); roles not listed land on the dashboard.
LANDING_PAGES: dict[str, str] = {}


def landing_url(user: User) -> str:
    return reverse(LANDING_PAGES.get(user.role, "dashboard"))


@cache
def _target(item: MenuItem) -> tuple[str, tuple[Rule, ...]]:
    url = reverse(item.url_name)
    rules = tuple(rule for rule in (getattr(resolve(url).func, "acl", None), item.also) if rule is not None)
    return url, rules


def menu_for(
    user: User, current_path: str, *, counts: Mapping[str, Callable[[], int]] | None = None
) -> list[MenuEntry]:
    """The menu entries ``user`` may use, as plain dicts for the template. ``counts`` gives the
    badges' counters (by default BADGES' selectors); a badge is counted only when its item shows."""
    masks = granted_masks(user) if user.role != Role.ADMIN else {}
    counters = counts if counts is not None else {name: badge[0] for name, badge in BADGES.items()}

    def entry(item: MenuItem) -> MenuLink | None:
        url, rules = _target(item)
        if not rules or not all(rule.allows(user, masks=masks) for rule in rules):
            return None
        active = current_path == url or (url != "/" and current_path.startswith(url.rstrip("/") + "/"))
        badge = counters[item.badge]() if item.badge is not None and item.badge in counters else 0
        badge_label = ""
        if badge and item.badge is not None and item.badge in BADGES:
            _count, one, many = BADGES[item.badge]
            badge_label = one if badge == 1 else many
        return {
            "label": item.label,
            "url": url,
            "icon": item.icon,
            "active": active,
            "badge": badge,
            "badge_label": badge_label,
        }

    entries: list[MenuEntry] = []
    for node in MENU:
        if isinstance(node, MenuItem):
            if shown := entry(node):
                entries.append({"item": shown})
            continue
        items = [shown for item in node.items if (shown := entry(item))]
        if items:
            entries.append({"section": node.label, "icon": node.icon, "items": items})
    return entries

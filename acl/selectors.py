"""Reads of the ACL tables, and the one check: may this user do VERB on MODULE?"""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import PermissionStatus, Role, User, UserRole
from acl.models import VERB_BITS, AclModule, EntityType, ModulePermission, ModuleStatus
from drec.errors import NotFound


def granted_masks(user: User) -> dict[str, int]:
    """Verb mask per enabled module from the user's active grants: its role's (while the role
    is switched on) and, for an api user, its own approved ones. A verb the module no longer
    offers is not granted."""
    rows = (
        ModulePermission.objects.filter(is_active=True, module__status=ModuleStatus.ENABLE)
        .filter(
            Q(entity_type=EntityType.ROLE, role__name=user.role, role__status=True)
            | Q(entity_type=EntityType.USER, user_id=user.pk)
        )
        .values_list("module__name", "permissions_value", "module__permissions_value")
    )
    masks: dict[str, int] = {}
    for module, granted, offered in rows:
        masks[module] = masks.get(module, 0) | (granted & offered)
    return masks


def granted_masks_sql(user_id: str, role: str) -> tuple[str, list[str]]:
    """:func:`granted_masks` as a PostgreSQL scalar subquery (a JSON object, module → mask) for
    the user whose id and role the SQL expressions ``user_id`` and ``role`` give, so that the
    token lookup brings the caller's grants along (accounts.selectors.access_token_user).
    tests/acl/test_check.py holds both to the same answers."""
    grant, module, role_table = ModulePermission._meta.db_table, AclModule._meta.db_table, UserRole._meta.db_table
    # Names from the models' metadata and the caller's SQL expressions; values are bound.
    sql = (
        f"(SELECT COALESCE(json_object_agg(g.name, g.mask), '{{}}')::text FROM ("  # noqa: S608
        'SELECT m."name", bit_or(p."permissions_value" & m."permissions_value") AS mask '
        f'FROM "{grant}" p JOIN "{module}" m ON m."id" = p."module_id" '
        f'LEFT JOIN "{role_table}" r ON r."id" = p."role_id" '
        'WHERE p."is_active" AND m."status" = %s AND ('
        f'(p."entity_type" = %s AND r."name" = {role} AND r."status") '
        f'OR (p."entity_type" = %s AND p."user_id" = {user_id})) '
        'GROUP BY m."name") g)'
    )
    return sql, [ModuleStatus.ENABLE, EntityType.ROLE, EntityType.USER]


def may(user: User | AnonymousUser | None, module: str, verb: str, *, masks: dict[str, int] | None = None) -> bool:
    """The access check of every API endpoint, portal page, menu item and button.

    The super admin may do everything; anyone else needs ``verb`` in an active grant of an
    enabled module. ``masks`` (from :func:`granted_masks`) saves the query when many checks
    are made for one user at once, as the side menu does.
    """
    if verb not in VERB_BITS:
        raise ValueError(f"Unknown verb {verb!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    if masks is None:
        masks = getattr(user, "acl_masks", None)  # brought along by the token lookup
    if masks is None:
        masks = granted_masks(user)
    return bool(masks.get(module, 0) & VERB_BITS[verb])


def module_list() -> QuerySet[AclModule]:
    return AclModule.objects.order_by("id")


def module_get(*, module_id: int) -> AclModule | None:
    return AclModule.objects.filter(pk=module_id).first()


def permission_list(*, user: User) -> QuerySet[ModulePermission]:
    """Grants the caller may see: every grant for the super admin, its own for an api user."""
    grants = ModulePermission.objects.select_related("module", "role", "user").order_by("-id")
    if user.role == Role.ADMIN:
        return grants
    return grants.filter(entity_type=EntityType.USER, user_id=user.pk)


def user_permission_list(*, user: User, user_id: int) -> QuerySet[ModulePermission]:
    """One api user's grants: the super admin reads anyone's, an api user only its own (404
    for anyone else's, whose existence is not revealed)."""
    if user.role != Role.ADMIN and user.pk != user_id:
        raise NotFound(f"No user found with id {user_id}")
    return permission_list(user=user).filter(entity_type=EntityType.USER, user_id=user_id)


def role_permission_list(*, role_id: int) -> QuerySet[ModulePermission]:
    return ModulePermission.objects.filter(entity_type=EntityType.ROLE, role_id=role_id).select_related(
        "module", "role"
    )


def role_permission_list_all() -> QuerySet[ModulePermission]:
    return ModulePermission.objects.filter(entity_type=EntityType.ROLE).select_related("module", "role")


def _pending_requests() -> QuerySet[ModulePermission]:
    """Api users' grants waiting for the super admin: inactive, of an api user whose request
    state is ``Request`` (a new request, or an approved grant the api user edited since)."""
    return ModulePermission.objects.filter(
        entity_type=EntityType.USER,
        is_active=False,
        user__role=Role.API_USER,
        user__api_user__permission_status=PermissionStatus.REQUEST,
    )


def pending_request_list() -> QuerySet[ModulePermission]:
    """The waiting grants with their api user, its organization and the module, oldest first."""
    return _pending_requests().select_related("module", "user", "user__organization", "user__api_user").order_by("id")


def pending_request_groups() -> list[dict[str, Any]]:
    """The waiting grants by api user, oldest request first: ``{"account", "grants", "since"}``
    (the ApiUser Permission page: one decision per api user covers all of its grants)."""
    waiting: dict[int | None, dict[str, Any]] = {}
    for grant in pending_request_list():
        row = waiting.setdefault(grant.user_id, {"account": grant.user, "grants": [], "since": grant.updated_at})
        row["grants"].append(grant)
        row["since"] = min(row["since"], grant.updated_at)
    return list(waiting.values())


def pending_request_count() -> int:
    """How many api users wait for the super admin's decision (the dashboard and the menu's
    badge; one decision per api user covers all of its waiting grants)."""
    return _pending_requests().values("user_id").distinct().count()

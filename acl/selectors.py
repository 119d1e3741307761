"""Reads of the ACL tables, and the one check: may this user do VERB on MODULE?"""

from django.db.models import Q, QuerySet

from accounts.models import Role
from acl.models import VERB_BITS, AclModule, EntityType, ModulePermission, ModuleStatus


def granted_masks(user) -> dict[str, int]:
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


def may(user, module: str, verb: str, *, masks: dict[str, int] | None = None) -> bool:
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
        masks = granted_masks(user)
    return bool(masks.get(module, 0) & VERB_BITS[verb])


def module_list() -> QuerySet[AclModule]:
    return AclModule.objects.order_by("id")


def module_get(*, module_id: int) -> AclModule | None:
    return AclModule.objects.filter(pk=module_id).first()


def permission_list(*, user) -> QuerySet[ModulePermission]:
    """Grants the caller may see: every grant for the super admin, its own for an api user."""
    grants = ModulePermission.objects.select_related("module", "role", "user").order_by("-id")
    if user.role == Role.ADMIN:
        return grants
    return grants.filter(entity_type=EntityType.USER, user_id=user.pk)


def role_permission_list(*, role_id: int) -> QuerySet[ModulePermission]:
    return ModulePermission.objects.filter(entity_type=EntityType.ROLE, role_id=role_id).select_related(
        "module", "role"
    )


def role_permission_list_all() -> QuerySet[ModulePermission]:
    return ModulePermission.objects.filter(entity_type=EntityType.ROLE).select_related("module", "role")

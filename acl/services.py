"""Writes on the ACL tables: modules, role grants, api users' requests and their approval."""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from accounts.models import ApiUser, PermissionStatus, Role, User, UserRole
from acl.models import VERB_BITS, AclModule, EntityType, ModulePermission, ModuleStatus, mask_to_verbs
from acl.selectors import permission_list
from drec.errors import Conflict, InvalidInput, NotFound
from webhooks import events

UNKNOWN_VERB = "Unknown permission {verb!r}; use Read, Write, Update or Delete."


@dataclass(frozen=True)
class RequestedGrant:
    """One item of an api user's permission request: the verbs it wants on a module."""

    module_id: int
    verbs: list[str]


def verbs_mask(verbs: list[str], *, field: str = "permissions") -> int:
    """The mask of ``verbs`` (at least one, all known); every door's forms validate with it."""
    if not verbs:
        raise InvalidInput(f"{field}: choose at least one permission.", errors={field: ["Choose at least one."]})
    mask = 0
    for verb in verbs:
        if verb not in VERB_BITS:
            raise InvalidInput(f"{field}: " + UNKNOWN_VERB.format(verb=verb), errors={field: [f"Unknown: {verb}"]})
        mask |= VERB_BITS[verb]
    return mask


def grant_mask(module: AclModule, verbs: list[str], *, field: str = "permissions") -> int:
    """The mask of ``verbs``, which must all be verbs ``module`` offers (every door's check)."""
    mask = verbs_mask(verbs, field=field)
    if mask & ~module.permissions_value:
        extra = ", ".join(mask_to_verbs(mask & ~module.permissions_value))
        offered = ", ".join(module.permissions)
        raise InvalidInput(
            f"{field}: {module.name} does not offer {extra}; it offers {offered}.",
            errors={field: [f"Not offered by {module.name}: {extra}."]},
        )
    return mask


def _module(module_id: int) -> AclModule:
    module = AclModule.objects.filter(pk=module_id).first()
    if module is None:
        raise InvalidInput(f"aclmodulesId: no ACL module with id {module_id}.", errors={"aclmodulesId": ["Unknown."]})
    return module


# --- Modules ----------------------------------------------------------------------------


def module_name_check(name: str) -> str:
    """A new module's name, stripped; taken in any case is a conflict."""
    name = name.strip()
    if AclModule.objects.filter(name__iexact=name).exists():
        raise Conflict(f"This Module Permission name {name} already exists", errors={"name": ["Already exists."]})
    return name


def module_create(*, name: str, description: str, status: str, permissions: list[str]) -> AclModule:
    """A new module (endpoints added later can declare it)."""
    mask = verbs_mask(permissions)
    if status not in ModuleStatus.values:
        raise InvalidInput("status must be Enable or Disable.", errors={"status": ["Must be Enable or Disable."]})
    name = module_name_check(name)
    try:
        return AclModule.objects.create(
            name=name, description=description.strip(), status=status, permissions_value=mask
        )
    except IntegrityError:
        raise Conflict(f"This Module Permission name {name} already exists") from None


@transaction.atomic
def module_update(*, module_id: int, permissions: list[str], status: str | None = None) -> AclModule:
    """Change a module's verbs and status. Grants keep their rows; a verb the module no longer
    offers simply stops being granted (the check masks grants with the module's verbs)."""
    module = AclModule.objects.select_for_update().filter(pk=module_id).first()
    if module is None:
        raise NotFound(f"No ACL module with id {module_id}")
    module.permissions_value = verbs_mask(permissions)
    if status is not None:
        if status not in ModuleStatus.values:
            raise InvalidInput("status must be Enable or Disable.", errors={"status": ["Must be Enable or Disable."]})
        module.status = status
    module.save(update_fields=["permissions_value", "status", "updated_at"])
    return module


# --- Grants -----------------------------------------------------------------------------


def _await_approval(grant: ModulePermission) -> None:
    """An api user's grant that changed waits, inactive, for the super admin's decision on the
    api user's request, which returns to ``Request``."""
    grant.is_active = False
    ApiUser.objects.filter(user=grant.user).update(permission_status=PermissionStatus.REQUEST)


def _changed(grant: ModulePermission) -> None:
    """An api user's grant changed: its organization's webhooks hear of it (SPEC §14)."""
    if grant.entity_type == EntityType.USER:
        events.permission_changed(ApiUser.objects.select_related("user").get(user=grant.user))


@transaction.atomic
def permission_create(
    *,
    module_id: int,
    entity_type: str,
    entity_id: int,
    permissions: list[str],
    active: bool = True,
    reapprove: bool = False,
) -> ModulePermission:
    """A grant made by the super admin: to a role, or to one api user. With ``reapprove`` (the
    back office's api-user grants) an api user's new grant waits for approval like a request."""
    module = _module(module_id)
    mask = grant_mask(module, permissions)
    grant = ModulePermission(module=module, entity_type=entity_type, permissions_value=mask, is_active=active)
    if entity_type == EntityType.ROLE:
        role = UserRole.objects.filter(pk=entity_id).first()
        if role is None:
            raise InvalidInput(f"entityId: no role with id {entity_id}.", errors={"entityId": ["Unknown role."]})
        grant.role, grantee = role, role.name
    elif entity_type == EntityType.USER:
        user = User.objects.filter(pk=entity_id, role=Role.API_USER).first()
        if user is None:
            raise InvalidInput(
                f"entityId: no api user with id {entity_id}; other accounts get their role's grants.",
                errors={"entityId": ["Not an api user."]},
            )
        grant.user, grantee = user, user.email
        if reapprove:
            _await_approval(grant)
    else:
        raise InvalidInput("entityType must be Role or User.", errors={"entityType": ["Must be Role or User."]})
    try:
        with transaction.atomic():
            grant.save()
    except IntegrityError:
        raise Conflict(
            f"{grantee} already has a grant on {module.name}; edit it instead (PUT /api/permission/update/{{id}})."
        ) from None
    _changed(grant)
    return grant


@transaction.atomic
def permission_update(
    *,
    acting_user: User,
    permission_id: int,
    permissions: list[str],
    active: bool | None = None,
    reapprove: bool = False,
) -> ModulePermission:
    """Change a grant's verbs. The super admin may change any grant (and its status); an api
    user only its own, which then waits for approval again: the grant goes inactive and the
    api user's request returns to ``Request``. ``reapprove`` makes the super admin's edit of an
    api user's grant wait the same way (the back office). Grants the caller may not see
    answer 404."""
    grant = permission_list(user=acting_user).select_for_update(of=("self",)).filter(pk=permission_id).first()
    if grant is None:
        raise NotFound(f"No permission found with id {permission_id}")
    grant.permissions_value = grant_mask(grant.module, permissions)
    if grant.entity_type == EntityType.USER and (acting_user.role == Role.API_USER or reapprove):
        _await_approval(grant)
    elif active is not None:
        grant.is_active = active
    grant.save(update_fields=["permissions_value", "is_active", "updated_at"])
    _changed(grant)
    return grant


@transaction.atomic
def api_user_permission_request(*, user: User, items: list[RequestedGrant]) -> list[ModulePermission]:
    """An api user asks for verbs on modules; the grants wait, inactive, for the admin.

    The whole request is refused if any item is invalid or asks again for a module already
    requested (that one is edited instead).
    """
    api_user = ApiUser.objects.select_for_update().get(user=user)
    if not items:
        raise InvalidInput("Choose at least one module permission.", errors=["The request is empty."])
    errors: list[dict[str, int | str]] = []
    wanted: list[tuple[AclModule, int]] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        try:
            module = _module(item.module_id)
            if module.id in seen:
                raise InvalidInput("aclmodulesId: listed twice.", errors={"aclmodulesId": ["Listed twice."]})
            seen.add(module.id)
            wanted.append((module, grant_mask(module, item.verbs, field=module.name)))
        except InvalidInput as error:
            errors.append({"index": index, "message": error.message})
    if errors:
        raise InvalidInput(f"[{errors[0]['index']}] {errors[0]['message']}", errors=errors)
    existing = ModulePermission.objects.filter(user=user, module__in=[module for module, _ in wanted])
    if existing.exists():
        names = ", ".join(sorted(grant.module.name for grant in existing.select_related("module")))
        raise Conflict(f"Permission for {names} was already requested; edit it in My Permission instead.")
    grants = ModulePermission.objects.bulk_create(
        [
            ModulePermission(
                module=module, entity_type=EntityType.USER, user=user, permissions_value=mask, is_active=False
            )
            for module, mask in wanted
        ]
    )
    api_user.permission_status = PermissionStatus.REQUEST
    api_user.save(update_fields=["permission_status"])
    return grants


@transaction.atomic
def api_user_permission_verify(*, api_user_id: uuid.UUID, status: str) -> ApiUser:
    """The super admin's decision on an api user's requests: ``Active`` activates all of its
    grants, ``Deactive`` deactivates them. Nothing else is a decision."""
    if status not in (PermissionStatus.ACTIVE, PermissionStatus.DEACTIVE):
        raise InvalidInput("status must be Active or Deactive.", errors={"status": ["Must be Active or Deactive."]})
    api_user = ApiUser.objects.select_for_update().filter(api_user_id=api_user_id).first()
    if api_user is None:
        raise NotFound(f"No api user with id {api_user_id}")
    ModulePermission.objects.filter(entity_type=EntityType.USER, user_id=api_user.user_id).update(
        is_active=status == PermissionStatus.ACTIVE
    )
    api_user.permission_status = status
    api_user.save(update_fields=["permission_status"])
    events.permission_changed(api_user)
    return api_user


@transaction.atomic
def role_permissions_set(*, role_id: int, grants: dict[int, list[str]]) -> list[ModulePermission]:
    """The super admin's "Add Permission" form: for each module, the role's grant is created,
    or replaced if it exists, and active."""
    role = UserRole.objects.filter(pk=role_id).first()
    if role is None:
        raise InvalidInput(f"No role with id {role_id}.", errors={"role": ["Unknown role."]})
    if not grants:
        raise InvalidInput("Choose at least one module.", errors={"modules": ["Choose at least one module."]})
    saved = []
    for module_id, verbs in grants.items():
        module = _module(module_id)
        mask = grant_mask(module, verbs, field=module.name)
        grant, _created = ModulePermission.objects.update_or_create(
            module=module,
            role=role,
            defaults={"entity_type": EntityType.ROLE, "permissions_value": mask, "is_active": True},
        )
        saved.append(grant)
    return saved

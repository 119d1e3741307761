"""ACL modules: named sets of endpoints with the verbs that make sense for them.

Verbs are bits of a mask (SPEC §4): Read=1, Write=2, Update=4, Delete=8. The mask is the
single stored truth; the verb list of the API is derived from it.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models

from drec.models import TimestampedModel

VERB_BITS = {"Read": 1, "Write": 2, "Update": 4, "Delete": 8}
ALL_VERBS_MASK = 15


def verbs_to_mask(verbs: list[str]) -> int:
    """Mask of a verb list; unknown verbs raise ``ValueError`` naming them."""
    unknown = [verb for verb in verbs if verb not in VERB_BITS]
    if unknown:
        raise ValueError(f"Unknown permission verb(s): {', '.join(unknown)}; use {', '.join(VERB_BITS)}.")
    mask = 0
    for verb in verbs:
        mask |= VERB_BITS[verb]
    return mask


def mask_to_verbs(mask: int) -> list[str]:
    return [verb for verb, bit in VERB_BITS.items() if mask & bit]


class ModuleStatus(models.TextChoices):
    ENABLE = "Enable"
    DISABLE = "Disable"


class AclModule(TimestampedModel):
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255)
    status = models.CharField(max_length=8, choices=ModuleStatus.choices, default=ModuleStatus.ENABLE)
    permissions_value = models.PositiveSmallIntegerField(help_text="Bit mask of the module's verbs.")

    class Meta:
        ordering = ["id"]
        verbose_name = "ACL module"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(permissions_value__gte=1, permissions_value__lte=ALL_VERBS_MASK),
                name="aclmodule_mask_in_range",
            ),
            models.CheckConstraint(condition=models.Q(status__in=ModuleStatus.values), name="aclmodule_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def permissions(self) -> list[str]:
        return mask_to_verbs(self.permissions_value)


class EntityType(models.TextChoices):
    ROLE = "Role"
    USER = "User"


class ModulePermission(TimestampedModel):
    """A grant of some of a module's verbs to a role, or to one api user (its request).

    Grants to an api user start inactive and become active when the super admin approves
    the api user's request.
    """

    module = models.ForeignKey(AclModule, on_delete=models.CASCADE, related_name="grants")
    entity_type = models.CharField(max_length=4, choices=EntityType.choices)
    role = models.ForeignKey(
        "accounts.UserRole", on_delete=models.CASCADE, null=True, blank=True, related_name="grants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="acl_grants"
    )
    permissions_value = models.PositiveSmallIntegerField()
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = "module permission"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entity_type=EntityType.ROLE, role__isnull=False, user__isnull=True)
                | models.Q(entity_type=EntityType.USER, user__isnull=False, role__isnull=True),
                name="modulepermission_one_grantee",
            ),
            models.CheckConstraint(
                condition=models.Q(permissions_value__gte=1, permissions_value__lte=ALL_VERBS_MASK),
                name="modulepermission_mask_in_range",
            ),
            models.UniqueConstraint(
                fields=["module", "role"], condition=models.Q(role__isnull=False), name="one_grant_per_module_and_role"
            ),
            models.UniqueConstraint(
                fields=["module", "user"], condition=models.Q(user__isnull=False), name="one_grant_per_module_and_user"
            ),
        ]

    def __str__(self) -> str:
        grantee = self.role.name if self.role is not None else str(self.user)
        return f"{self.module.name} → {grantee}: {', '.join(self.permissions)}"

    @property
    def permissions(self) -> list[str]:
        return mask_to_verbs(self.permissions_value)

    @property
    def entity_id(self) -> int | None:
        """The grantee's id: the role's or the api user's (None only before a grant is made)."""
        return self.role_id if self.entity_type == EntityType.ROLE else self.user_id


class RoleGrantManager(models.Manager["RoleGrant"]):
    def get_queryset(self) -> models.QuerySet["RoleGrant"]:
        return super().get_queryset().filter(entity_type=EntityType.ROLE)


class ApiUserGrantManager(models.Manager["ApiUserGrant"]):
    def get_queryset(self) -> models.QuerySet["ApiUserGrant"]:
        return super().get_queryset().filter(entity_type=EntityType.USER)


class RoleGrant(ModulePermission):
    """The role grants, on their own page of the back office (Django admin)."""

    objects: ClassVar[RoleGrantManager] = RoleGrantManager()

    class Meta:
        proxy = True
        ordering = ["role_id", "module_id"]
        verbose_name = "role grant"


class ApiUserGrant(ModulePermission):
    """The api users' grants (their requests), on their own page of the back office."""

    objects: ClassVar[ApiUserGrantManager] = ApiUserGrantManager()

    class Meta:
        proxy = True
        ordering = ["user_id", "module_id"]
        verbose_name = "API user grant"

"""ACL modules: named sets of endpoints with the verbs that make sense for them.

Verbs are bits of a mask (SPEC §4): Read=1, Write=2, Update=4, Delete=8. The mask is the
single stored truth; the verb list of the API is derived from it.
"""

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

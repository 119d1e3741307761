"""Organizations: developers, buyers, API users' own organizations and the super admin's."""

from django.db import models
from django.db.models.functions import Lower

from drec.models import TimestampedModel


class OrganizationType(models.TextChoices):
    DEVELOPER = "Developer"
    BUYER = "Buyer"
    API_USER = "ApiUser"
    ADMIN = "Admin"


class OrganizationStatus(models.TextChoices):
    SUBMITTED = "Submitted"
    DENIED = "Denied"
    ACTIVE = "Active"


class Organization(TimestampedModel):
    name = models.CharField(max_length=255)
    address = models.CharField(max_length=500, blank=True)
    zip_code = models.CharField(max_length=32, blank=True)
    city = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    organization_type = models.CharField(max_length=16, choices=OrganizationType.choices)
    org_email = models.EmailField(help_text="E-mail of the user who registered the organization.")
    status = models.CharField(max_length=16, choices=OrganizationStatus.choices, default=OrganizationStatus.ACTIVE)
    # The integrator whose tenant this organization belongs to: its own ApiUser organization
    # and the Developer/Buyer organizations it manages. Empty for directly registered ones.
    api_user = models.ForeignKey(
        "accounts.ApiUser", on_delete=models.PROTECT, null=True, blank=True, related_name="organizations"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            # Names are unique regardless of case (the original only checked in code).
            models.UniqueConstraint(Lower("name"), name="organization_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(organization_type__in=OrganizationType.values),
                name="organization_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=OrganizationStatus.values),
                name="organization_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization_type})"

    @property
    def is_managed(self) -> bool:
        """A Developer/Buyer organization run by an api user on behalf of its members."""
        return self.api_user_id is not None and self.organization_type in (
            OrganizationType.DEVELOPER,
            OrganizationType.BUYER,
        )

"""Organizations: developers, buyers, API users' own organizations and the super admin's."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

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


DEVICE_LIST_VERSIONS = "organizations_device_list_version"  # the sequence (migration 0005)
DEVICE_LIST_VERSION_NEXT = models.Func(
    models.Value(DEVICE_LIST_VERSIONS), function="nextval", output_field=models.BigIntegerField()
)


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
    # Moves on in the transaction of every write that can change what the organization's device
    # list shows (its devices, their SDG benefits and reservations, its api user), however it
    # is made: triggers of migration 0005. Taken from one sequence, so never the same twice.
    # The token lookup reads it with the caller's organization; devices.api keeps the list's
    # pages under it.
    device_list_version = models.BigIntegerField(db_default=DEVICE_LIST_VERSION_NEXT, editable=False)

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
    def is_denied(self) -> bool:
        """The super admin refused the organization: nobody signs in or acts for it."""
        return self.status == OrganizationStatus.DENIED

    @property
    def is_managed(self) -> bool:
        """A Developer/Buyer organization run by an api user on behalf of its members."""
        return self.api_user_id is not None and self.organization_type in (
            OrganizationType.DEVELOPER,
            OrganizationType.BUYER,
        )


class OrganizationUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's per-user organization access, with a real foreign key (its generic
    relation would make every tenancy filter a slow text join)."""

    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class InvitationStatus(models.TextChoices):
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class Invitation(TimestampedModel):
    """An invitation by e-mail to join an organization with a role; the invitee sets their own
    password through the single-use link of the invitation e-mail."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    sender = models.CharField(max_length=301, blank=True, help_text="Name of the person who invited")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(status="Pending"),
                name="one_pending_invitation_per_email_and_organization",
            ),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="invitation_email_lower_case"),
            models.CheckConstraint(
                condition=models.Q(status__in=InvitationStatus.values), name="invitation_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["OrganizationAdmin", "DeviceOwner", "User", "SubBuyer"]),
                name="invitation_role_is_an_organization_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization.name} ({self.role}, {self.status})"

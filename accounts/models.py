"""Users and roles.

The user logs in with an e-mail address. ``status`` is the account state of the original
(Pending/Active/Suspended/Deleted); Django's ``is_active`` is computed from it by the
database, so every login path (allauth, the API, Django admin) sees the same answer.
"""

import uuid
from typing import Any, ClassVar

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from drec.models import TimestampedModel


class Role(models.TextChoices):
    ADMIN = "Admin"
    ORGANIZATION_ADMIN = "OrganizationAdmin"
    DEVICE_OWNER = "DeviceOwner"
    BUYER = "Buyer"
    USER = "User"
    API_USER = "ApiUser"
    SUB_BUYER = "SubBuyer"


# The roles in people's words (the portal's who-box and dashboard); OrganizationAdmin is named
# after its organization's type ("Developer organization admin").
ROLE_LABELS: dict[str, str] = {
    Role.ADMIN: "Super admin",
    Role.ORGANIZATION_ADMIN: "Organization admin",
    Role.DEVICE_OWNER: "Device owner",
    Role.BUYER: "Buyer",
    Role.USER: "User",
    Role.API_USER: "API user",
    Role.SUB_BUYER: "Sub-buyer",
}


class UserStatus(models.TextChoices):
    PENDING = "Pending"
    ACTIVE = "Active"
    SUSPENDED = "Suspended"
    DELETED = "Deleted"


class UserRole(models.Model):
    """The role catalogue with the original's stable ids (ACL role grants refer to them)."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    name = models.CharField(max_length=20, unique=True, choices=Role.choices)
    description = models.CharField(max_length=255, blank=True)
    status = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        fields.setdefault("status", UserStatus.ACTIVE)
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin, TimestampedModel):
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER)
    status = models.CharField(max_length=16, choices=UserStatus.choices, default=UserStatus.PENDING)
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # Computed by the database from ``status``; Django, allauth and the API all read it.
    is_active = models.GeneratedField(
        # A Q is a valid expression here (Django resolves it); the stubs accept only Expression.
        expression=models.Q(status=UserStatus.ACTIVE),  # type: ignore[arg-type]
        output_field=models.BooleanField(),
        db_persist=True,
    )
    # Django admin access: only the super admin role.
    is_staff = models.BooleanField(default=False)
    # A password generated for the account (the first super admin of `manage.py seed`): nothing
    # but changing it is allowed until it is changed (drec.middleware, drec.permissions).
    must_change_password = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lower_case"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(condition=models.Q(status__in=UserStatus.values), name="user_status_valid"),
            models.CheckConstraint(
                condition=models.Q(role=Role.ADMIN) | models.Q(is_staff=False, is_superuser=False),
                name="user_only_admin_is_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def role_label(self) -> str:
        """The role in people's words, e.g. "Developer organization admin" for OrganizationAdmin."""
        if self.role == Role.ORGANIZATION_ADMIN and self.organization is not None:
            return f"{self.organization.organization_type} organization admin"
        return ROLE_LABELS.get(self.role, self.role)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class PermissionStatus(models.TextChoices):
    """State of an api user's permission request (SPEC §4)."""

    REQUEST = "Request"
    ACTIVE = "Active"
    DEACTIVE = "Deactive"


class ApiUser(models.Model):
    """An integrator: its ApiUser-role account, the tenant of the organizations it manages."""

    api_user_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_user")
    permission_status = models.CharField(
        max_length=10, choices=PermissionStatus.choices, default=PermissionStatus.REQUEST
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "API user"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(permission_status__in=PermissionStatus.values),
                name="apiuser_permission_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.email} ({self.api_user_id})"


class KeyAlgorithm(models.TextChoices):
    RS256 = "RS256"
    EDDSA = "EdDSA"


class ApiUserKey(models.Model):
    """A public key an api user's application signs its token requests with.

    Only the public half is ever stored; ``kid`` is the RFC 7638-style SHA-256 thumbprint of
    the key's DER encoding, so the same key cannot be registered twice.
    """

    kid = models.CharField(max_length=64, unique=True)
    api_user = models.ForeignKey(ApiUser, on_delete=models.CASCADE, related_name="keys")
    algorithm = models.CharField(max_length=8, choices=KeyAlgorithm.choices)
    public_key = models.TextField(help_text="PEM (SubjectPublicKeyInfo)")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "API user key"

    def __str__(self) -> str:
        return self.kid


class TokenKind(models.TextChoices):
    PASSWORD = "password"  # noqa: S105 (a token kind, not a secret)
    CLIENT = "client"


class AccessToken(models.Model):
    """Every access token issued, by ``jti``, so that it can be revoked (never the token itself)."""

    jti = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    kind = models.CharField(max_length=8, choices=TokenKind.choices)
    # The api-user key whose client assertion minted a client token (None for password logins):
    # revoking the key revokes its tokens. Should a key row ever be deleted, its tokens' records
    # go with it, and a token without a record is refused.
    key = models.ForeignKey(ApiUserKey, on_delete=models.CASCADE, null=True, blank=True, related_name="access_tokens")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.kind} token {self.jti} of user {self.user_id}"


class UsedClientAssertion(models.Model):
    """``jti`` of client assertions already exchanged for a token: a replay is refused."""

    api_user = models.ForeignKey(ApiUser, on_delete=models.CASCADE, related_name="used_assertions")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_user", "jti"], name="client_assertion_jti_once")]

    def __str__(self) -> str:
        return self.jti


class EmailAddressRecord(EmailAddress):
    """allauth's e-mail addresses, shown in the back office's Accounts section (one section)."""

    class Meta:
        proxy = True
        verbose_name = "e-mail address"
        verbose_name_plural = "e-mail addresses"

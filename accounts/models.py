"""Users and roles.

The user logs in with an e-mail address. ``status`` is the account state of the original
(Pending/Active/Suspended/Deleted); Django's ``is_active`` is computed from it by the
database, so every login path (allauth, the API, Django admin) sees the same answer.
"""

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


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        fields.setdefault("status", UserStatus.ACTIVE)
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
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
        expression=models.Q(status=UserStatus.ACTIVE), output_field=models.BooleanField(), db_persist=True
    )
    # Django admin access: only the super admin role.
    is_staff = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

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

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

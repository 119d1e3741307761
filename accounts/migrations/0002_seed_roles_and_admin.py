"""Seed the role catalogue (the original's ids) and the super admin from settings."""

from django.conf import settings
from django.db import migrations

ROLES = [
    (1, "Admin", "Super admin of the platform: every module, every organization."),
    (2, "OrganizationAdmin", "Administrator of a developer organization."),
    (3, "DeviceOwner", "Member of a developer organization who manages devices and reads."),
    (4, "Buyer", "Administrator of a buyer organization."),
    (5, "User", "Read-only member of an organization."),
    (6, "ApiUser", "Integrator acting by API for the organizations it manages."),
    (7, "SubBuyer", "Member of a buyer organization; like Buyer but cannot remove users."),
]


def seed(apps, schema_editor):
    from accounts.services import admin_ensure

    UserRole = apps.get_model("accounts", "UserRole")
    for role_id, name, description in ROLES:
        UserRole.objects.update_or_create(id=role_id, defaults={"name": name, "description": description})

    user, _created = admin_ensure(
        email=settings.DREC_ADMIN_EMAIL,
        password=settings.DREC_ADMIN_PASSWORD,
        user_model=apps.get_model("accounts", "User"),
        organization_model=apps.get_model("organizations", "Organization"),
    )
    if user is None:
        print("\n  No super admin yet: `python manage.py seed` creates it (DREC_ADMIN_PASSWORD, or a generated one).")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("organizations", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

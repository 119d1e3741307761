"""Give existing accounts access to their organizations (the object permissions new
registrations and accepted invitations get from now on)."""

from django.db import migrations


def backfill(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("accounts", "User")
    Organization = apps.get_model("organizations", "Organization")
    Access = apps.get_model("organizations", "OrganizationUserObjectPermission")

    content_type, _ = ContentType.objects.get_or_create(app_label="organizations", model="organization")
    view, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_organization", defaults={"name": "Can view organization"}
    )
    pairs = set(User.objects.filter(organization__isnull=False).values_list("id", "organization_id"))
    # An api user reaches its own organization and every organization it manages.
    for organization_id, manager_id in Organization.objects.filter(api_user__isnull=False).values_list(
        "id", "api_user__user_id"
    ):
        pairs.add((manager_id, organization_id))
    Access.objects.bulk_create(
        [Access(user_id=user_id, content_object_id=org_id, permission=view) for user_id, org_id in pairs],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0003_invitations_and_object_permissions"),
        ("accounts", "0003_api_users_keys_and_tokens"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

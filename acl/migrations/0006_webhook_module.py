"""The webhooks' ACL module (SPEC §14, issue 19), held by organization admins by default (a
Developer's OrganizationAdmin, a Buyer organization's Buyer); api users request it like the
others. The table in docs/access-control.md lists it."""

from django.core.management.color import no_style
from django.db import migrations

MODULE = (15, "WEBHOOK_MANAGEMENT_CRUDL", "ACL Module Name for Webhook module management", 15)
ROLES = {"OrganizationAdmin": 15, "Buyer": 15}


def seed(apps, schema_editor):
    AclModule = apps.get_model("acl", "AclModule")
    ModulePermission = apps.get_model("acl", "ModulePermission")
    UserRole = apps.get_model("accounts", "UserRole")
    module_id, name, description, mask = MODULE
    module, _created = AclModule.objects.update_or_create(
        id=module_id,
        defaults={"name": name, "description": description, "status": "Enable", "permissions_value": mask},
    )
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [AclModule]):
            cursor.execute(sql)
    for role_name, role_mask in ROLES.items():
        ModulePermission.objects.update_or_create(
            module=module,
            role=UserRole.objects.get(name=role_name),
            defaults={"entity_type": "Role", "permissions_value": role_mask, "is_active": True},
        )


def unseed(apps, schema_editor):
    apps.get_model("acl", "AclModule").objects.filter(name=MODULE[1]).delete()


class Migration(migrations.Migration):
    dependencies = [("acl", "0005_grant_proxies")]

    operations = [migrations.RunPython(seed, unseed)]

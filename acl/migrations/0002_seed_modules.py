"""Seed the 14 ACL modules of SPEC §4 with the original's ids, names and masks.

Modules 13 and 14 were referenced by the original's code but never seeded.
"""

from django.core.management.color import no_style
from django.db import migrations

MODULES = [
    (1, "USER_MANAGEMENT_CRUDL", "ACL Module Name for User module management", 15),
    (2, "ORGANIZATION_MANAGEMENT_CRUDL", "ACL Module Name for Organization module management", 15),
    (3, "FILE_MANAGEMENT_CRUDL", "ACL Module Name for File module management", 15),
    (4, "DEVICE_MANAGEMENT_CRUDL", "ACL Module Name for Device module management", 15),
    (5, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "ACL Module Name for Buyer Reservation module management", 15),
    (6, "DEVICE_BULK_MANAGEMENT_CRUDL", "ACL Module Name for Bulk Device management", 15),
    (7, "READS_MANAGEMENT_CRUDL", "ACL Module Name for Reads module management", 15),
    (8, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "ACL Module Name for Certificate Log module management", 1),
    (9, "INVITATION_MANAGEMENT_CRUDL", "ACL Module Name for Invitation module management", 15),
    (10, "ADMIN_APIUSER_ORGANIZATION_CRUDL", "ACL Module Name for getting organization information management", 15),
    (11, "PASSWORD_MANAGEMENT_CRUDL", "ACL Module Name for password management", 2),
    (12, "PERMISSION_MANAGEMENT_CRUDL", "ACL Module Name for Permission module management", 7),
    (13, "ADMIN_MANAGEMENT_CRUDL", "ACL Module Name for Admin module management", 15),
    (14, "YIELD_CONFIG_MANAGEMENT_CRUDL", "ACL Module Name for Yield Config module management", 15),
]


def seed(apps, schema_editor):
    AclModule = apps.get_model("acl", "AclModule")
    for module_id, name, description, mask in MODULES:
        AclModule.objects.update_or_create(
            id=module_id,
            defaults={"name": name, "description": description, "status": "Enable", "permissions_value": mask},
        )
    # Rows were inserted with explicit ids: move the id sequence past them (PostgreSQL).
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [AclModule]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("acl", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

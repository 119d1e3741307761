"""Default role grants: what each role needs for the flows of the seed manual (SPEC §4).

Api users get nothing by role: they request modules and the super admin approves them.
The table is documented in docs/access-control.md.
"""

from django.db import migrations

ALL, READ, PASSWORD_WRITE = 15, 1, 2
DEVELOPER_ADMIN = {
    "USER_MANAGEMENT_CRUDL": ALL,
    "ORGANIZATION_MANAGEMENT_CRUDL": ALL,
    "FILE_MANAGEMENT_CRUDL": ALL,
    "DEVICE_MANAGEMENT_CRUDL": ALL,
    "DEVICE_BULK_MANAGEMENT_CRUDL": ALL,
    "READS_MANAGEMENT_CRUDL": ALL,
    "CERTIFICATE_LOG_MANAGEMENT_CRUDL": READ,
    "INVITATION_MANAGEMENT_CRUDL": ALL,
    "PASSWORD_MANAGEMENT_CRUDL": PASSWORD_WRITE,
}
BUYER = {
    "USER_MANAGEMENT_CRUDL": ALL,
    "ORGANIZATION_MANAGEMENT_CRUDL": ALL,
    "DEVICE_MANAGEMENT_CRUDL": READ,
    "BUYER_RESERVATION_MANAGEMENT_CRUDL": ALL,
    "READS_MANAGEMENT_CRUDL": READ,
    "CERTIFICATE_LOG_MANAGEMENT_CRUDL": READ,
    "INVITATION_MANAGEMENT_CRUDL": ALL,
    "PASSWORD_MANAGEMENT_CRUDL": PASSWORD_WRITE,
}
# Organization members other than the admin may not remove users from the organization.
MEMBER_ORGANIZATION = {"ORGANIZATION_MANAGEMENT_CRUDL": 7}
GRANTS = {
    "OrganizationAdmin": DEVELOPER_ADMIN,
    "DeviceOwner": {**DEVELOPER_ADMIN, **MEMBER_ORGANIZATION},
    "Buyer": BUYER,
    "SubBuyer": {**BUYER, "ORGANIZATION_MANAGEMENT_CRUDL": READ},
    "User": {
        "USER_MANAGEMENT_CRUDL": READ,
        "ORGANIZATION_MANAGEMENT_CRUDL": READ,
        "DEVICE_MANAGEMENT_CRUDL": READ,
        "READS_MANAGEMENT_CRUDL": READ,
        "CERTIFICATE_LOG_MANAGEMENT_CRUDL": READ,
        "PASSWORD_MANAGEMENT_CRUDL": PASSWORD_WRITE,
    },
}


def seed(apps, schema_editor):
    AclModule = apps.get_model("acl", "AclModule")
    ModulePermission = apps.get_model("acl", "ModulePermission")
    UserRole = apps.get_model("accounts", "UserRole")
    modules = {module.name: module for module in AclModule.objects.all()}
    for role_name, grants in GRANTS.items():
        role = UserRole.objects.get(name=role_name)
        for module_name, mask in grants.items():
            ModulePermission.objects.update_or_create(
                module=modules[module_name],
                role=role,
                defaults={"entity_type": "Role", "permissions_value": mask, "is_active": True},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("acl", "0003_module_permissions"),
        ("accounts", "0002_seed_roles_and_admin"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

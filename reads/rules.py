"""Who may do what with meter reads and the yield configuration: one ``Rule`` per action,
used by the API view and the portal page that do it (drec/permissions.py)."""

from accounts.models import Role
from drec.permissions import acl

READS = "READS_MANAGEMENT_CRUDL"
YIELD = "YIELD_CONFIG_MANAGEMENT_CRUDL"

READS_READ = acl(READS, "Read")
# Reads come from the developer's side (its members who manage devices, its api user).
READS_WRITE = acl(READS, "Write", Role.ORGANIZATION_ADMIN, Role.DEVICE_OWNER, Role.API_USER)

YIELD_READ = acl(YIELD, "Read")
# A country's yield caps the plausible energy of every tenant's devices there: it is the
# platform's setting, changed by the super admin only (as in the original), whatever grants
# an api user or a role was given on the module.
YIELD_ADD = acl(YIELD, "Write", Role.ADMIN)
YIELD_CHANGE = acl(YIELD, "Update", Role.ADMIN)

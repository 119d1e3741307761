"""Who may do what with access control itself: one ``Rule`` per action, used by the API view
and the portal page that do it (drec/permissions.py)."""

from accounts.models import Role
from drec.permissions import AUTHENTICATED, acl, only

SUPER_ADMIN = only(Role.ADMIN)

MODULES_READ = AUTHENTICATED  # api users pick modules to request from it
MODULE_CREATE = SUPER_ADMIN
MODULE_UPDATE = SUPER_ADMIN
GRANTS_READ = acl("PERMISSION_MANAGEMENT_CRUDL", "Read")
OWN_GRANTS_READ = AUTHENTICATED  # GET /api/permission/user/{id}: one's own grants (the admin: anyone's)
GRANT_CREATE = SUPER_ADMIN
# The super admin changes any grant; an api user its own (which then waits for approval).
GRANT_UPDATE = only(Role.ADMIN, Role.API_USER)
PERMISSION_REQUEST = only(Role.API_USER)
API_USER_VERIFY = SUPER_ADMIN
API_USERS_READ = acl("ADMIN_MANAGEMENT_CRUDL", "Read")

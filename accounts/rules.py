"""Who may do what with accounts and keys: one ``Rule`` per action, used by the API view and
the portal page that do it (drec/permissions.py)."""

from accounts.models import Role
from drec.permissions import AUTHENTICATED, PUBLIC, Rule, only

SIGN_UP = PUBLIC
OWN_ACCOUNT = AUTHENTICATED  # one's profile, password, e-mail confirmation
API_USER_KEYS = only(Role.API_USER)
# An api user registers Developer and Buyer organizations it then manages
# (POST /api/user/register with its api_user_id, or the portal's Add Organizations); the
# super admin, who manages no tenant, adds direct organizations instead (POST /api/admin/users).
MANAGED_ORGANIZATION_REGISTER = Rule(module="USER_MANAGEMENT_CRUDL", verb="Write", roles=frozenset({Role.API_USER}))

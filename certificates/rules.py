"""Who may do what with certificates: one ``Rule`` per action, used by the API view and the
portal page that do it (drec/permissions.py)."""

from accounts.models import Role
from drec.permissions import Rule, acl, only
from reservations.rules import RESERVATIONS

LOGS = "CERTIFICATE_LOG_MANAGEMENT_CRUDL"

CERTIFICATE_READ = acl(LOGS, "Read")
# Claims: the buyer's side of the certificate (its members who reserve, its api user); the
# super admin owns no certificate and claims none.
CLAIM = Rule(module=RESERVATIONS, verb="Write", roles=frozenset({Role.BUYER, Role.API_USER}))
ISSUE_NOW = only(Role.ADMIN)
# Transfers: the same side as claims (SPEC §13: "under the same rule as claims").
TRANSFER = CLAIM
# Withdrawals: the issuer takes volume back; only the super admin.
WITHDRAW = only(Role.ADMIN)

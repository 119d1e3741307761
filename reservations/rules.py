"""Who may do what with buyer reservations: one ``Rule`` per action, used by the API view and
the portal page that do it (drec/permissions.py)."""

from accounts.models import Role
from drec.permissions import acl

RESERVATIONS = "BUYER_RESERVATION_MANAGEMENT_CRUDL"

RESERVATION_READ = acl(RESERVATIONS, "Read")
# A Buyer organization's admin reserves, or its api user (a sub-buyer follows them).
RESERVATION_CREATE = acl(RESERVATIONS, "Write", Role.API_USER, Role.BUYER)
RESERVATION_UPDATE = acl(RESERVATIONS, "Update")
RESERVATION_END = acl(RESERVATIONS, "Delete")

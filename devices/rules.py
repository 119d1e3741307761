"""Who may do what with devices: one ``Rule`` per action, used by the API view and the portal
page that do it (drec/permissions.py)."""

from accounts.models import Role
from drec.permissions import acl

DEVICES = "DEVICE_MANAGEMENT_CRUDL"
BULK = "DEVICE_BULK_MANAGEMENT_CRUDL"

DEVICE_READ = acl(DEVICES, "Read")
DEVICE_REGISTER = acl(DEVICES, "Write")
DEVICE_UPDATE = acl(DEVICES, "Update")
DEVICE_DELETE = acl(DEVICES, "Delete")
# The devices a Buyer organization may reserve.
DEVICE_RESERVABLE_READ = acl(DEVICES, "Read", Role.BUYER, Role.SUB_BUYER, Role.API_USER)

BULK_READ = acl(BULK, "Read")
BULK_UPLOAD = acl(BULK, "Write")
FILE_UPLOAD = acl("FILE_MANAGEMENT_CRUDL", "Write")

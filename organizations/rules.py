"""Who may do what with organizations, members and invitations: one ``Rule`` per action,
used by the API view and the portal page that do it (drec/permissions.py)."""

from accounts.models import Role
from drec.permissions import PUBLIC, acl

ORGANIZATIONS = "ORGANIZATION_MANAGEMENT_CRUDL"
ADMINISTRATION = "ADMIN_MANAGEMENT_CRUDL"
TENANT_ORGANIZATIONS = "ADMIN_APIUSER_ORGANIZATION_CRUDL"
INVITATIONS = "INVITATION_MANAGEMENT_CRUDL"
# The people an organization's own invitation page is for (api users and the super admin
# invite from an organization's page).
MEMBER_ROLES = (Role.ORGANIZATION_ADMIN, Role.DEVICE_OWNER, Role.BUYER, Role.SUB_BUYER)

ORGANIZATION_READ = acl(ORGANIZATIONS, "Read")
# "All Organizations": the organizations an api user manages (the super admin: all).
MANAGED_ORGANIZATIONS_READ = acl(ORGANIZATIONS, "Read", Role.API_USER)
MEMBER_REMOVE = acl(ORGANIZATIONS, "Delete")

ADMIN_READ = acl(ADMINISTRATION, "Read")
ADMIN_ORGANIZATION_REGISTER = acl(ADMINISTRATION, "Write")
ADMIN_UPDATE = acl(ADMINISTRATION, "Update")
ADMIN_DELETE = acl(ADMINISTRATION, "Delete")

TENANT_MEMBERS_READ = acl(TENANT_ORGANIZATIONS, "Read")
# One managed organization's page (its members, the Invite User dialog).
MANAGED_ORGANIZATION_PAGE = acl(TENANT_ORGANIZATIONS, "Read", Role.API_USER)
MEMBER_UPDATE = acl(TENANT_ORGANIZATIONS, "Write")

INVITATION_READ = acl(INVITATIONS, "Read")
# The portal's Invitation page: a member inviting into its own organization.
OWN_INVITATIONS_READ = acl(INVITATIONS, "Read", *MEMBER_ROLES)
INVITATION_SEND = acl(INVITATIONS, "Write")
INVITATION_RESPOND = PUBLIC

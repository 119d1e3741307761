"""Who may do what with webhooks: one ``Rule`` per action, used by the API view and the portal
page that do it (drec/permissions.py). Organization admins (a Developer's, a Buyer's) hold the
module by default (acl migration 0006); api users request it like any other module."""

from drec.permissions import Rule
from webhooks.selectors import WEBHOOK_ROLES

WEBHOOKS = "WEBHOOK_MANAGEMENT_CRUDL"


def _rule(verb: str) -> Rule:
    # Not the super admin: a subscription belongs to a tenant, and it has none.
    return Rule(module=WEBHOOKS, verb=verb, roles=WEBHOOK_ROLES)


WEBHOOKS_READ = _rule("Read")
WEBHOOK_CREATE = _rule("Write")
WEBHOOK_REDELIVER = _rule("Update")
WEBHOOK_DELETE = _rule("Delete")

"""Registration on the wire: the API's bodies and the portal's forms name an organization's
first user the same way (``firstName``, ``orgName``, …); mapped here, once, to the services'
:class:`accounts.services.NewAccount`."""

from collections.abc import Mapping
from typing import Any

from accounts.services import NewAccount


def new_account(data: Mapping[str, Any]) -> NewAccount:
    """A parsed registration body or form as the registration services take it (a blank or
    absent password is none: the user chooses one later, or never signs in)."""
    return NewAccount(
        first_name=data["firstName"],
        last_name=data["lastName"],
        email=data["email"],
        organization_type=data["organizationType"],
        org_name=data["orgName"],
        org_address=data.get("orgAddress") or "",
        password=data.get("password") or None,
        confirm_password=data.get("confirmPassword"),
    )

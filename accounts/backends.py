"""The authentication backend of every front door."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend

from accounts.models import Role


def login_allowed(user) -> bool:
    """Active accounts may sign in, except members of organizations run by an api user: the
    api user acts for them (SPEC §2)."""
    if not user.is_active:
        return False
    if user.role in (Role.ADMIN, Role.API_USER):
        return True
    organization = user.organization
    return organization is None or not organization.is_managed


class AuthenticationBackend(AllauthBackend):
    """allauth's e-mail + password backend, refusing accounts that may not sign in."""

    def user_can_authenticate(self, user) -> bool:
        # Also asked on every request of a signed-in session (ModelBackend.get_user), so a
        # suspension ends existing sessions too.
        return super().user_can_authenticate(user) and login_allowed(user)

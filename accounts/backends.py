"""The authentication backend of every front door."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from axes.backends import AxesStandaloneBackend

from accounts.models import Role


def login_allowed(user) -> bool:
    """Active accounts may sign in, except members of organizations run by an api user (the
    api user acts for them, SPEC §2) and of organizations the super admin denied."""
    if not user.is_active:
        return False
    if user.role in (Role.ADMIN, Role.API_USER):
        return True
    organization = user.organization
    if organization is not None and organization.is_denied and user.role != Role.ADMIN:
        return False  # the super admin set the organization's status to Denied
    return organization is None or not organization.is_managed


class AuthenticationBackend(AllauthBackend):
    """allauth's e-mail + password backend, refusing accounts that may not sign in."""

    def user_can_authenticate(self, user) -> bool:
        # Also asked on every request of a signed-in session (ModelBackend.get_user), so a
        # suspension ends existing sessions too.
        return super().user_can_authenticate(user) and login_allowed(user)


def login_name(request, credentials: dict | None) -> str | None:
    """The account a sign-in attempt names, the same way in every door (django-axes counts
    failures by it): the API's and allauth's ``email``, Django admin's ``username``."""
    credentials = credentials or {}
    name = credentials.get("email") or credentials.get("username") or credentials.get("login")
    return str(name).strip().lower() if name else None


class LoginFailureBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first of the backends. Every sign-in door passes its request
    (the API login, allauth, Django admin); a check without one (the test client's ``login()``)
    has no client to count and is left to the next backend instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

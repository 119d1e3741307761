"""django-allauth hooks."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts are created through the portal's own registration (user + organization),
        # never through allauth's bare e-mail/password sign-up form.
        return False

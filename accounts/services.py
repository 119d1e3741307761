"""Writes on accounts. Each service owns its transaction."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

SUPER_ORG_NAME = "SuperOrg"


@transaction.atomic
def admin_ensure(*, email: str, password: str | None, user_model=None, organization_model=None):
    """Create the super admin and its organization unless an account with ``email`` exists.

    Never changes an existing account (an operator's password is not reset by a redeploy).
    Returns ``(user, created)``; ``(None, False)`` when no password is configured, because an
    admin without a password could never log in. The model classes can be passed in so that
    data migrations use their historical models.
    """
    from accounts.models import Role, UserStatus

    if user_model is None or organization_model is None:
        from accounts.models import User
        from organizations.models import Organization

        user_model, organization_model = User, Organization

    email = email.strip().lower()
    existing = user_model.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    if not password:
        return None, False

    organization = organization_model.objects.filter(name__iexact=SUPER_ORG_NAME).first()
    if organization is None:
        organization = organization_model.objects.create(
            name=SUPER_ORG_NAME, organization_type="Admin", org_email=email, status="Active"
        )
    user = user_model.objects.create(
        email=email,
        password=make_password(password),
        first_name="Super",
        last_name="Admin",
        role=Role.ADMIN,
        status=UserStatus.ACTIVE,
        is_staff=True,
        is_superuser=True,
        organization=organization,
    )
    return user, True

"""Reads of accounts: who a token belongs to, the current user, api users."""

import jwt
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import QuerySet

from accounts.backends import login_allowed
from accounts.models import AccessToken, ApiUser, ApiUserKey, Role, User
from drec.errors import Unauthorized

TOKEN_REVOKED = "Token revoked. Please log in again."  # noqa: S105 (a message)


def access_token_user(token: str) -> tuple[User, AccessToken]:
    """The user an access token was issued to, if it is genuine, unexpired and not revoked."""
    try:
        claims = jwt.decode(
            token,
            settings.DREC_JWT_SECRET,
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "jti", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token expired. Please log in again.") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("Unauthorized") from None
    record = (
        AccessToken.objects.select_related("user__organization__api_user", "user__api_user")
        .filter(jti=claims["jti"], user_id=claims["sub"])
        .first()
    )
    if record is None or record.revoked_at is not None:
        raise Unauthorized(TOKEN_REVOKED)
    if not login_allowed(record.user):
        raise Unauthorized("Unauthorized")
    return record.user, record


def user_api_user_id(user: User):
    """The tenant id the original exposed as ``api_user_id``: the api user whose organization
    this is (its own or one it manages); None for directly registered organizations."""
    organization = user.organization
    if organization is not None and organization.api_user_id is not None:
        return organization.api_user.api_user_id
    return None


def email_confirmed(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def user_get(*, user_id: int) -> User | None:
    return User.objects.select_related("organization__api_user", "api_user").filter(pk=user_id).first()


def api_user_get(*, api_user_id) -> ApiUser | None:
    return ApiUser.objects.select_related("user__organization").filter(api_user_id=api_user_id).first()


def api_user_list(*, organization_name: str = "") -> QuerySet[User]:
    """ApiUser accounts with their organization and request state, newest first."""
    users = User.objects.filter(role=Role.API_USER).select_related("organization", "api_user").order_by("-id")
    if organization_name:
        users = users.filter(organization__name__icontains=organization_name)
    return users


def key_list(*, api_user: ApiUser) -> QuerySet[ApiUserKey]:
    return api_user.keys.order_by("created_at")

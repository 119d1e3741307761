"""Reads of accounts: who a token belongs to, the current user, api users."""

import json
import uuid
from functools import cache
from typing import Any, cast

import jwt
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import QuerySet

from accounts.backends import login_allowed
from accounts.models import AccessToken, ApiUser, ApiUserKey, Role, User
from acl.selectors import granted_masks_sql
from drec import rawsql
from drec.errors import Conflict, Unauthorized
from organizations.models import Organization

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
    try:  # claims we never issue (another deployment's token with the same secret) are refused, not a 500
        jti, user_id = uuid.UUID(str(claims["jti"])), int(claims["sub"])
    except (TypeError, ValueError):
        raise Unauthorized("Unauthorized") from None
    record = _token_with_user(jti, user_id)
    if record is None or record.revoked_at is not None:
        raise Unauthorized(TOKEN_REVOKED)
    if not login_allowed(record.user):
        raise Unauthorized("Unauthorized")
    return record.user, record


_TOKEN_MODELS = (("t", AccessToken), ("u", User), ("o", Organization), ("oa", ApiUser), ("ua", ApiUser))


@cache
def _token_sql() -> tuple[str, list[str], list[rawsql.Columns[Any]]]:
    """The token, its user, the user's organization with the api user managing it, the user's
    own api user record, the user's ACL grants and whether the user's e-mail address is
    confirmed (what GET /api/user/me shows), in one statement: the query behind every API
    call, written once rather than compiled by the ORM each time."""
    selected = [rawsql.columns(model, alias) for alias, model in _TOKEN_MODELS]
    columns = ", ".join(part.sql for part in selected)
    masks, params = granted_masks_sql('u."id"', 'u."role"')
    # email_confirmed below, as SQL: a verified address of the user's, the same up to case.
    confirmed = (
        f'EXISTS (SELECT 1 FROM "{EmailAddress._meta.db_table}" e WHERE e."user_id" = u."id" '  # noqa: S608
        'AND UPPER(e."email") = UPPER(u."email") AND e."verified")'
    )
    columns += f", {masks}, {confirmed}"
    table = {alias: model._meta.db_table for alias, model in _TOKEN_MODELS}
    # Names from the models' metadata only; every value is a bound parameter.
    sql = (
        f'SELECT {columns} FROM "{table["t"]}" t JOIN "{table["u"]}" u ON u."id" = t."user_id" '  # noqa: S608
        f'LEFT JOIN "{table["o"]}" o ON o."id" = u."organization_id" '
        f'LEFT JOIN "{table["oa"]}" oa ON oa."id" = o."api_user_id" '
        f'LEFT JOIN "{table["ua"]}" ua ON ua."user_id" = u."id" '
        'WHERE t."jti" = %s AND t."user_id" = %s'
    )
    return sql, params, selected


def _token_with_user(jti: uuid.UUID, user_id: int) -> AccessToken | None:
    """``AccessToken.objects.select_related("user__organization__api_user", "user__api_user")``
    for one token, with ``user.acl_masks`` (acl.selectors.may uses them) and
    ``user.email_confirmed`` (:func:`email_confirmed`) set."""
    sql, params, selected = _token_sql()
    rows = rawsql.fetch(sql, [*params, jti, user_id])
    if not rows:
        return None
    row = rows[0]
    objects, start = rawsql.instances(selected, row)
    token, user, organization, managing, own = objects
    rawsql.relate(user, "organization", organization)
    if organization is not None:
        rawsql.relate(organization, "api_user", managing)
    rawsql.relate(user, "api_user", own)
    if own is not None:
        rawsql.relate(own, "user", user)
    rawsql.relate(token, "user", user)
    user.acl_masks = json.loads(row[start])
    user.email_confirmed = row[start + 1]
    return cast(AccessToken, token)


def user_api_user_id(user: User) -> uuid.UUID | None:
    """The tenant id the original exposed as ``api_user_id``: the api user whose organization
    this is (its own or one it manages); None for directly registered organizations."""
    organization = user.organization
    api_user = organization.api_user if organization is not None else None
    return api_user.api_user_id if api_user is not None else None


def email_confirmed(user: User) -> bool:
    """Whether the user confirmed its e-mail address. The token lookup brings the answer for
    the caller of an API call along (``user.email_confirmed``, as it was when the call began),
    so GET /api/user/me does not ask again."""
    known = getattr(user, "email_confirmed", None)
    if known is not None:
        return bool(known)
    return bool(EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists())


def user_get(*, user_id: int) -> User | None:
    return User.objects.select_related("organization__api_user", "api_user").filter(pk=user_id).first()


def api_user_get(*, api_user_id: uuid.UUID | str) -> ApiUser | None:
    return ApiUser.objects.select_related("user__organization").filter(api_user_id=api_user_id).first()


def api_user_list(*, user: User, organization_name: str = "") -> QuerySet[User]:
    """ApiUser accounts with their organization and request state, newest first: every one for
    the super admin; anyone else's own account only (an api user's is itself, others have none)."""
    users = User.objects.filter(role=Role.API_USER).select_related("organization", "api_user").order_by("-id")
    if user.role != Role.ADMIN:
        users = users.filter(pk=user.pk)
    if organization_name:
        users = users.filter(organization__name__icontains=organization_name)
    return users


def key_list(*, api_user: ApiUser) -> QuerySet[ApiUserKey]:
    return api_user.keys.order_by("created_at")


def email_unused(email: str, *, user: User | None = None) -> str:
    """``email`` as accounts store it (stripped, lower case), if no account but ``user`` has it;
    a conflict otherwise. Every door's account forms check with it."""
    email = email.strip().lower()
    others = User.objects.filter(email=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise Conflict(f"User with email {email} already exists", errors={"email": ["Already registered."]})
    return email

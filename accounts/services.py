"""Writes on accounts: registration, sign-in tokens, api-user keys, e-mail flows.

Both front doors (API views and portal views) call these functions; each owns its
transaction. Field names in validation errors are the API's JSON keys, which the portal's
forms use too.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import url_str_to_user_pk, user_pk_to_url_str
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import crypto
from accounts.backends import login_allowed, login_name
from accounts.models import (
    AccessToken,
    ApiUser,
    ApiUserKey,
    Role,
    TokenKind,
    UsedClientAssertion,
    User,
    UserStatus,
)
from accounts.rules import MANAGED_ORGANIZATION_REGISTER
from accounts.selectors import email_unused
from drec.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from drec.permissions import FORBIDDEN
from drec.tasks import enqueue
from organizations.models import Organization, OrganizationStatus, OrganizationType
from organizations.services import organization_access_grant

SUPER_ORG_NAME = "SuperOrg"
ROLE_OF_ORGANIZATION_TYPE = {
    OrganizationType.DEVELOPER: Role.ORGANIZATION_ADMIN,
    OrganizationType.BUYER: Role.BUYER,
    OrganizationType.API_USER: Role.API_USER,
}
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# --- Super admin ------------------------------------------------------------------------


@transaction.atomic
def admin_ensure(
    *,
    email: str,
    password: str | None,
    generated: bool = False,
    user_model: type[User] | None = None,
    organization_model: type[Organization] | None = None,
) -> tuple[User | None, bool]:
    """Create the super admin and its organization unless an account with ``email`` exists.

    Never changes an existing account (an operator's password is not reset by a redeploy).
    Returns ``(user, created)``; ``(None, False)`` when no password is given, because an admin
    without a password could never log in. A ``generated`` password must be changed at the
    first sign-in. The model classes can be passed in so that data migrations use their
    historical models.
    """
    user_model = user_model or User
    organization_model = organization_model or Organization
    email = email.strip().lower()
    existing = user_model.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    if not password:
        return None, False

    organization = organization_model.objects.filter(name__iexact=SUPER_ORG_NAME).first()
    if organization is None:
        organization = organization_model.objects.create(
            name=SUPER_ORG_NAME,
            organization_type=OrganizationType.ADMIN,
            org_email=email,
            status=OrganizationStatus.ACTIVE,
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
        **({"must_change_password": True} if generated else {}),
    )
    return user, True


# --- Passwords --------------------------------------------------------------------------


def _password_check(password: str, confirm: str | None, *, user: User, field: str, confirm_field: str) -> None:
    """SPEC §3 password policy (Django's validators), and the confirmation must match."""
    errors: dict[str, list[str]] = {}
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        errors[field] = list(error.messages)
    if confirm is not None and confirm != password:
        errors[confirm_field] = ["Does not match the password."]
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0]}: {first[1][0]}", errors=errors)


# --- Registration -----------------------------------------------------------------------
#
# Three ways an organization and its first user come to be, one service each:
# organization_sign_up (anyone, on the sign-up page or POST /api/user/register),
# managed_organization_register (an api user, for an organization it then manages) and
# admin_organization_register (the super admin's "Add Organizations"). Members join an existing
# organization by invitation instead (organizations.services.invitation_respond).


@dataclass(frozen=True, kw_only=True)
class NewAccount:
    """An organization and its first user as someone registers them (accounts.fields maps a
    registration body or form to it)."""

    first_name: str
    last_name: str
    email: str
    organization_type: str
    org_name: str
    org_address: str = ""
    password: str | None = None  # none: the user chooses one later, or never signs in
    confirm_password: str | None = None


def _organization_type(value: str) -> OrganizationType:
    for choice in (OrganizationType.DEVELOPER, OrganizationType.BUYER, OrganizationType.API_USER):
        if value.strip().lower() == choice.lower():
            return choice
    raise InvalidInput(
        "organizationType must be Developer, Buyer or ApiUser.",
        errors={"organizationType": ["Must be one of Developer, Buyer, ApiUser."]},
    )


def _member_organization_type(account: NewAccount, *, message: str, reason: str) -> OrganizationType:
    kind = _organization_type(account.organization_type)
    if kind == OrganizationType.API_USER:
        raise InvalidInput(message, errors={"organizationType": [reason]})
    return kind


def _managing_api_user(*, acting_user: User | AnonymousUser | None, api_user_id: uuid.UUID | str) -> ApiUser:
    """The api user registering an organization under itself; it must be the caller."""
    if not isinstance(acting_user, User):
        raise Unauthorized("Sign in as the api user to register organizations under its api_user_id.")
    if not MANAGED_ORGANIZATION_REGISTER.allows(acting_user):
        raise Forbidden(FORBIDDEN)
    api_user: ApiUser = acting_user.api_user
    if str(api_user.api_user_id) != str(api_user_id):
        raise Forbidden("api_user_id must be your own: organizations can only be registered under yourself.")
    return api_user


def _organization_with_first_user(
    account: NewAccount, *, organization_type: OrganizationType, managing: ApiUser | None
) -> User:
    """The steps every registration shares: the password policy (when a password is given),
    unique e-mail and organization name, the organization with its first user (Developer →
    OrganizationAdmin, Buyer → Buyer, ApiUser → ApiUser plus its api-user record, permission
    request state ``Request``), their access and the still unconfirmed address. No password:
    the user cannot sign in with one until it chooses one. No e-mail is sent here."""
    email = account.email.strip().lower()
    org_name = account.org_name.strip()
    password = account.password
    user = User(
        email=email,
        first_name=account.first_name.strip(),
        last_name=account.last_name.strip(),
        role=ROLE_OF_ORGANIZATION_TYPE[organization_type],
        status=UserStatus.ACTIVE,
    )
    if password is not None:
        _password_check(
            password, account.confirm_password, user=user, field="password", confirm_field="confirmPassword"
        )
    email_unused(email)
    if Organization.objects.filter(name__iexact=org_name).exists():
        raise Conflict(
            f'Organization "{org_name}" already exists, please use another organization name',
            errors={"orgName": ["Already taken."]},
        )

    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                name=org_name,
                address=account.org_address.strip(),
                organization_type=organization_type,
                org_email=email,
                status=OrganizationStatus.ACTIVE,
                api_user=managing,
            )
            user.organization = organization
            if password is None:
                user.set_unusable_password()
            else:
                user.set_password(password)
            user.save()
            if organization_type == OrganizationType.API_USER:
                organization.api_user = ApiUser.objects.create(user=user)
                organization.save(update_fields=["api_user"])
    except IntegrityError:
        # Another registration with the same e-mail or organization name won the race.
        raise Conflict("This e-mail or organization name was registered a moment ago.") from None

    organization_access_grant(user=user, organization=organization)
    if managing is not None:
        organization_access_grant(user=managing.user, organization=organization)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


@transaction.atomic
def organization_sign_up(*, account: NewAccount) -> User:
    """Someone registers an organization and becomes its first user (SPEC §2): the portal's
    sign-up page, POST /api/user/register without an api_user_id. Any of Developer, Buyer or
    ApiUser, with a password; the address gets its confirmation e-mail."""
    if account.password is None:
        raise InvalidInput("password: This field is required.", errors={"password": ["This field is required."]})
    kind = _organization_type(account.organization_type)
    user = _organization_with_first_user(account, organization_type=kind, managing=None)
    enqueue("accounts.tasks.email_confirmation_send", user.pk)
    return user


@transaction.atomic
def managed_organization_register(
    *, acting_user: User | AnonymousUser | None, api_user_id: uuid.UUID | str, account: NewAccount
) -> User:
    """An api user registers a Developer or Buyer organization it then manages, with its first
    user (POST /api/user/register with its api_user_id, its "Add Organizations"). The caller
    must be the api user ``api_user_id`` names, holding USER_MANAGEMENT_CRUDL Write. The user
    cannot sign in (the api user acts for it), so its password may be omitted and it gets no
    e-mail."""
    kind = _member_organization_type(
        account,
        message="An api user registers Developer or Buyer organizations under itself, not api users.",
        reason="Must be Developer or Buyer when api_user_id is given.",
    )
    managing = _managing_api_user(acting_user=acting_user, api_user_id=api_user_id)
    return _organization_with_first_user(account, organization_type=kind, managing=managing)


@transaction.atomic
def admin_organization_register(*, account: NewAccount) -> User:
    """The super admin adds a direct Developer or Buyer organization and its first user (its
    "Add Organizations", POST /api/admin/users). Without a password the user gets an e-mail
    link to choose one; with one, the confirmation e-mail (the password is never mailed)."""
    kind = _member_organization_type(
        account,
        message="Api users register themselves (they receive their private key).",
        reason="Must be Developer or Buyer.",
    )
    user = _organization_with_first_user(account, organization_type=kind, managing=None)
    if account.password is None:
        enqueue("accounts.tasks.welcome_send", user.pk)
    else:
        enqueue("accounts.tasks.email_confirmation_send", user.pk)
    return user


def organization_register_for(*, acting_user: User, account: NewAccount) -> User:
    """A Developer or Buyer organization and its first user, registered by someone signed in
    (the "Add Organizations" pages and POST /api/admin/users): an api user's is managed by it
    (:func:`managed_organization_register`); anyone else's is a direct organization
    (:func:`admin_organization_register`)."""
    api_user: ApiUser | None = getattr(acting_user, "api_user", None) if acting_user.role == Role.API_USER else None
    if api_user is not None:
        return managed_organization_register(acting_user=acting_user, api_user_id=api_user.api_user_id, account=account)
    return admin_organization_register(account=account)


# --- Access tokens ----------------------------------------------------------------------


def access_token_issue(*, user: User, kind: str, key: ApiUserKey | None = None) -> tuple[str, int]:
    """A signed access token for ``user``, recorded by its ``jti`` so that it can be revoked.

    ``key``: the api-user key a client token was minted with; revoking the key revokes it.
    Returns ``(token, lifetime in seconds)``.
    """
    now = timezone.now()
    lifetime = settings.DREC_JWT_LIFETIME
    jti = uuid.uuid4()
    claims = {
        "sub": str(user.pk),
        "id": user.pk,
        "email": user.email,
        "role": user.role,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "jti": str(jti),
    }
    AccessToken.objects.create(
        jti=jti, user=user, kind=kind, key=key, issued_at=now, expires_at=now + timedelta(seconds=lifetime)
    )
    return jwt.encode(claims, settings.DREC_JWT_SECRET, algorithm="HS256"), lifetime


def auth_login(*, request: HttpRequest, email: str, password: str) -> str:
    """Exchange e-mail and password for an access token.

    Unknown e-mail, wrong password, inactive accounts and members of managed organizations
    all get the same 401. After DREC_LOGIN_FAILURES wrong passwords for one account (counted by
    django-axes, as for the portal's and Django admin's sign-in), the account is refused with
    429, even with the right password, until DREC_LOGIN_LOCKOUT_SECONDS have passed.
    """
    user = authenticate(request, email=email.strip().lower(), password=password)
    if getattr(request, "axes_locked_out", False):  # django-axes marks the request
        wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
        raise TooManyRequests(
            f"Too many failed logins for this account. Try again in {wait} seconds.", retry_after=wait
        )
    if user is None:
        raise Unauthorized("Unauthorized")
    axes_reset(username=login_name(request, {"email": email}))  # a success starts the count again
    token, _lifetime = access_token_issue(user=user, kind=TokenKind.PASSWORD)
    return token


def access_token_revoke(*, token: AccessToken) -> None:
    """Log out: the token is refused from now on."""
    AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _tokens_revoke_all(user: User, *, keep: AccessToken | None = None) -> None:
    tokens = AccessToken.objects.filter(user=user, revoked_at__isnull=True)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    tokens.update(revoked_at=timezone.now())


# --- Api users' keys and private_key_jwt (RFC 7523) -----------------------------------


def _lock_api_user(api_user: ApiUser) -> ApiUser:
    return ApiUser.objects.select_for_update().get(pk=api_user.pk)


def _active_key_limit(api_user: ApiUser) -> None:
    if api_user.keys.filter(revoked_at__isnull=True).count() >= settings.DREC_MAX_ACTIVE_KEYS:
        raise Conflict(
            f"At most {settings.DREC_MAX_ACTIVE_KEYS} keys can be active; revoke one first "
            "(DELETE /api/auth/keys/{kid})."
        )


@transaction.atomic
def api_user_key_add(*, api_user: ApiUser, public_key_pem: str) -> ApiUserKey:
    """Register a public key the api user generated itself (its private key never leaves it)."""
    algorithm, pem, kid = crypto.public_key_parse(public_key_pem)
    _active_key_limit(_lock_api_user(api_user))
    if ApiUserKey.objects.filter(kid=kid).exists():
        raise Conflict("This public key is already registered.", errors={"publicKey": ["Already registered."]})
    return ApiUserKey.objects.create(api_user=api_user, kid=kid, algorithm=algorithm, public_key=pem)


def _key_pair_generate(locked: ApiUser) -> tuple[ApiUserKey, bytes]:
    """Generate an RSA-2048 pair, keep the public half and return the private PKCS#8 PEM for
    the caller to stream once. Nothing of the private key is stored anywhere."""
    _active_key_limit(locked)
    private_pem, public_pem = crypto.rsa_pair_generate()
    algorithm, pem, kid = crypto.public_key_parse(public_pem)
    key = ApiUserKey.objects.create(api_user=locked, kid=kid, algorithm=algorithm, public_key=pem)
    return key, private_pem


@transaction.atomic
def api_user_key_generate(*, api_user: ApiUser) -> tuple[ApiUserKey, bytes]:
    """A new key pair for the api user: the key recorded and the private PEM, to stream once."""
    return _key_pair_generate(_lock_api_user(api_user))


@transaction.atomic
def api_user_first_key_generate(*, api_user: ApiUser) -> tuple[ApiUserKey, bytes] | None:
    """The one-time download that ends a registration: a key pair as
    :func:`api_user_key_generate` makes, only if the api user has no key yet (None otherwise)."""
    locked = _lock_api_user(api_user)
    if locked.keys.exists():
        return None
    return _key_pair_generate(locked)


@transaction.atomic
def api_user_key_revoke(*, api_user: ApiUser, kid: str) -> None:
    """Revoke one of the api user's keys and every access token minted with it.

    The key's row lock (the update) orders this against a token request signed with it
    (token_from_client_assertion locks the keys it checks): that request either sees the key
    revoked, or commits its token before the tokens below are revoked.
    """
    now = timezone.now()
    key = api_user.keys.filter(kid=kid, revoked_at__isnull=True).select_for_update().first()
    if key is None:
        raise NotFound(f"No active key with kid {kid}")
    ApiUserKey.objects.filter(pk=key.pk).update(revoked_at=now)
    AccessToken.objects.filter(key=key, revoked_at__isnull=True).update(revoked_at=now)


def _assertion_refused(reason: str) -> Unauthorized:
    return Unauthorized(f"Invalid client assertion: {reason}")


@transaction.atomic
def token_from_client_assertion(
    *, grant_type: str, assertion_type: str, assertion: str, audiences: list[str]
) -> tuple[str, int]:
    """RFC 7523 ``private_key_jwt``: an api user's application proves it holds a registered
    private key by signing a short-lived JWT (``iss`` = ``sub`` = its api_user_id, ``aud`` = the
    token endpoint, ``exp`` at most 5 minutes ahead, unique ``jti``) and gets an access token.

    Returns ``(token, lifetime in seconds)``.
    """
    if grant_type != "client_credentials":
        raise InvalidInput("grant_type must be client_credentials.", errors={"grant_type": ["Unsupported."]})
    if assertion_type != CLIENT_ASSERTION_TYPE:
        raise InvalidInput(
            f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}.",
            errors={"client_assertion_type": ["Unsupported."]},
        )
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise _assertion_refused("not a JWT") from None
    algorithm = header.get("alg")
    if algorithm not in ("RS256", "EdDSA"):
        raise _assertion_refused("alg must be RS256 or EdDSA")
    issuer = unverified.get("iss")
    if not issuer or unverified.get("sub") != issuer:
        raise _assertion_refused("iss and sub must both be your api_user_id")
    try:
        api_user = ApiUser.objects.select_related("user__organization").get(api_user_id=uuid.UUID(str(issuer)))
    except (ValueError, ApiUser.DoesNotExist):
        raise _assertion_refused("unknown api_user_id") from None
    if not api_user.user.is_active:
        raise Unauthorized("Unauthorized")

    # Locked until the token is recorded, so that a concurrent revocation of the key either
    # comes first (the key is no longer active here) or also revokes the token minted with it.
    keys = api_user.keys.filter(revoked_at__isnull=True, algorithm=algorithm).select_for_update(no_key=True)
    if header.get("kid"):
        keys = keys.filter(kid=header["kid"])
    claims, signed_by = None, None
    for key in keys:
        try:
            claims = jwt.decode(
                assertion,
                key.public_key,
                algorithms=[algorithm],
                audience=audiences,
                issuer=issuer,
                options={"require": ["exp", "jti", "aud", "iss", "sub"]},
            )
            signed_by = key
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            raise _assertion_refused("expired") from None
        except jwt.InvalidAudienceError:
            raise _assertion_refused(f"aud must be {audiences[0]}") from None
        except jwt.InvalidTokenError as error:
            raise _assertion_refused(str(error)) from None
    if claims is None or signed_by is None:
        raise _assertion_refused("signature does not match any active key")

    now = timezone.now()
    latest = now.timestamp() + settings.DREC_CLIENT_ASSERTION_MAX_SECONDS + 30  # 30 s of clock skew
    if claims["exp"] > latest:
        raise _assertion_refused(f"exp may be at most {settings.DREC_CLIENT_ASSERTION_MAX_SECONDS} seconds ahead")
    expires = datetime.fromtimestamp(claims["exp"], tz=UTC)
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.create(api_user=api_user, jti=str(claims["jti"])[:255], expires_at=expires)
    except IntegrityError:
        raise _assertion_refused("jti already used") from None
    return access_token_issue(user=api_user.user, kind=TokenKind.CLIENT, key=signed_by)


# --- Profile and password ---------------------------------------------------------------


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    password: str | None = None,
    current_token: AccessToken | None = None,
) -> User:
    """Change names and e-mail. The e-mail is the sign-in identity: changing it needs the
    current ``password`` (checked before anything else, so that a stolen token cannot even learn
    whether an address is taken), must be unique, gets confirmed again and revokes the account's
    access tokens but ``current_token``, the one making the request."""
    email = email.strip().lower()
    changes_email = email != user.email
    if changes_email:
        if not password or not user.check_password(password):
            reason = "Incorrect." if password else "Required to change the e-mail."
            raise InvalidInput(f"password: {reason}", errors={"password": [reason]})
        email_unused(email, user=user)
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        enqueue("accounts.tasks.email_confirmation_send", user.pk)
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email
    user.save(update_fields=["first_name", "last_name", "email", "updated_at"])
    if changes_email:
        _tokens_revoke_all(user, keep=current_token)
    return user


@transaction.atomic
def user_password_change(
    *, user: User, old_password: str, new_password: str, confirm_password: str | None = None
) -> User:
    """Change the password knowing the current one; all the account's access tokens are revoked
    (the portal keeps its own session)."""
    if not user.check_password(old_password):
        raise InvalidInput("oldPassword: Incorrect current password.", errors={"oldPassword": ["Incorrect."]})
    _password_check(new_password, confirm_password, user=user, field="newPassword", confirm_field="confirmPassword")
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password", "updated_at"])
    _tokens_revoke_all(user)
    return user


# --- E-mail confirmation ----------------------------------------------------------------


def email_confirmation_resend(*, user: User) -> None:
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is not None and address.verified:
        raise InvalidInput("Email already confirmed")
    if address is None:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    enqueue("accounts.tasks.email_confirmation_send", user.pk)


def _confirmed_address(key: str) -> EmailAddress | None:
    """The already confirmed address a still valid key was made for (allauth's lookup only
    finds unconfirmed ones)."""
    from allauth.account import app_settings as allauth_settings

    try:
        address_id = signing.loads(
            key,
            max_age=24 * 3600 * settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
            salt=allauth_settings.SALT,
        )
    except signing.BadSignature:
        return None
    return EmailAddress.objects.select_related("user").filter(pk=address_id, verified=True).first()


@transaction.atomic
def email_confirm(*, key: str) -> tuple[User, bool]:
    """Confirm the address a confirmation key was made for. Returns ``(user, newly confirmed)``;
    a second use of a valid key says it was already confirmed."""
    confirmation = EmailConfirmationHMAC.from_key(key)
    if confirmation is None:
        confirmed = _confirmed_address(key)
        if confirmed is not None:
            return confirmed.user, False
        raise InvalidInput(
            "The e-mail confirmation link is invalid or has expired; ask for a new one.",
            errors={"token": ["Invalid or expired."]},
        )
    address = confirmation.email_address
    address.verified = True
    address.save(update_fields=["verified"])
    return address.user, True


# --- Password reset ---------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Send a reset link if the address belongs to an account that may sign in.

    The answer is the same for unknown addresses (no account enumeration); members of
    organizations managed by an api user are refused with 401, as in the original.
    """
    user = User.objects.select_related("organization").filter(email=email.strip().lower()).first()
    if user is None:
        return
    if user.organization is not None and user.organization.is_managed:
        raise Unauthorized("Unauthorized")
    if login_allowed(user):
        enqueue("accounts.tasks.password_reset_send", user.pk)


def password_reset_token(*, user: User) -> str:
    """allauth's reset key: single use (it hashes the password) and time-limited."""
    return f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"


def password_reset_user(*, token: str) -> User:
    """The account a reset token was made for, if the token is still valid."""
    user_part, _, key = token.partition("-")
    user = None
    try:
        user = User.objects.filter(pk=url_str_to_user_pk(user_part)).first()
    except (ValueError, TypeError, OverflowError):
        user = None
    if user is None or not key or not default_token_generator.check_token(user, key):
        raise InvalidInput(
            "The password reset link is invalid, already used or expired; ask for a new one.",
            errors={"token": ["Invalid or expired."]},
        )
    return user


@transaction.atomic
def password_reset(*, token: str, new_password: str, confirm_password: str) -> User:
    """Set a new password with a reset token; the token then stops working, and so do the
    account's access tokens. Resetting through the e-mail link also confirms the address."""
    user = password_reset_user(token=token)
    _password_check(new_password, confirm_password, user=user, field="newPassword", confirm_field="confirmPassword")
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password", "updated_at"])
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    _tokens_revoke_all(user)
    return user

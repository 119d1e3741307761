"""Writes on organizations, their members and invitations."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from guardian.shortcuts import assign_perm

from accounts.models import Role, User, UserStatus
from accounts.selectors import email_unused
from drec.errors import Conflict, Forbidden, InvalidInput, NotFound
from drec.tasks import enqueue
from organizations import selectors
from organizations.models import Invitation, InvitationStatus, Organization, OrganizationStatus, OrganizationType

INVITABLE_ROLES: dict[str, tuple[str, ...]] = {
    OrganizationType.DEVELOPER: (Role.DEVICE_OWNER, Role.USER),
    OrganizationType.BUYER: (Role.SUB_BUYER, Role.USER),
}
# Members who may invite, but only read-only members.
LIMITED_INVITERS = (Role.DEVICE_OWNER, Role.SUB_BUYER)
ADMIN_ROLE_OF_TYPE: dict[str, str] = {
    OrganizationType.DEVELOPER: Role.ORGANIZATION_ADMIN,
    OrganizationType.BUYER: Role.BUYER,
}
INVITATION_SALT = "drec.invitation"


def organization_access_grant(*, user: User, organization: Organization) -> None:
    """Let ``user`` see and act in ``organization`` (django-guardian object permission)."""
    assign_perm(selectors.VIEW, user, organization)


# --- Organizations (super admin) --------------------------------------------------------


def organization_update(
    *,
    organization: Organization,
    name: str | None = None,
    address: str | None = None,
    zip_code: str | None = None,
    city: str | None = None,
    country: str | None = None,
    status: str | None = None,
) -> Organization:
    """The super admin corrects an organization's details; only those given (not None) change.
    The name stays unique, in any case; ``country`` is an ISO 3166 alpha-2 code or blank."""
    if name is not None:
        name = name.strip()
        if Organization.objects.filter(name__iexact=name).exclude(pk=organization.pk).exists():
            raise Conflict(f'Organization "{name}" already exists', errors={"name": ["Already taken."]})
        organization.name = name
    if status is not None and status not in OrganizationStatus.values:
        raise InvalidInput(
            f"status must be one of {', '.join(OrganizationStatus.values)}.", errors={"status": ["Unknown."]}
        )
    if address is not None:
        organization.address = address
    if zip_code is not None:
        organization.zip_code = zip_code
    if city is not None:
        organization.city = city
    if country is not None:
        organization.country = country
    if status is not None:
        organization.status = status
    organization.save()
    return organization


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    """Delete an organization with its members and invitations. Refused while it still owns
    data (devices, reservations, managed organizations) that must not vanish with it."""
    try:
        with transaction.atomic():
            if organization.organization_type == OrganizationType.API_USER and organization.api_user_id:
                # Its own api user record goes with its account; managed organizations still
                # pointing at it make the deletion fail below, as they must.
                Organization.objects.filter(pk=organization.pk).update(api_user=None)
            User.objects.filter(organization=organization).delete()
            organization.delete()
    except ProtectedError:
        raise Conflict(
            f"Organization {organization.name} still has devices, reservations or managed organizations; "
            "remove those first."
        ) from None


# --- Members ----------------------------------------------------------------------------


def member_update(
    *, acting_user: User, member_id: int, first_name: str, last_name: str, email: str, status: str
) -> User:
    """Edit another account (super admin: any; api user: members of its organizations)."""
    member = selectors.member_get(user=acting_user, member_id=member_id)
    if member.role == Role.ADMIN and acting_user.pk != member.pk:
        raise Forbidden("The super admin's account is edited by the super admin only.")
    if status not in UserStatus.values:
        raise InvalidInput(f"status must be one of {', '.join(UserStatus.values)}.", errors={"status": ["Unknown."]})
    email = email_unused(email, user=member)
    if email != member.email:
        EmailAddress.objects.filter(user=member).delete()
        EmailAddress.objects.create(user=member, email=email, primary=True, verified=False)
    member.first_name, member.last_name, member.email, member.status = first_name, last_name, email, status
    member.save(update_fields=["first_name", "last_name", "email", "status", "updated_at"])
    member.refresh_from_db(fields=["is_active"])
    return member


@transaction.atomic
def member_remove(*, acting_user: User, member_id: int, delete_empty_organization: bool = False) -> None:
    """Remove an account from the platform.

    Organization administrators may remove their organization's other members; only the super
    admin and the organization's api user may remove its administrator. Nobody removes
    themselves or an api user this way. With ``delete_empty_organization`` (the super admin's
    endpoint) an organization left without members goes too.
    """
    member = selectors.member_get(user=acting_user, member_id=member_id)
    if member.pk == acting_user.pk:
        raise Conflict("You cannot remove yourself.")
    if member.role in (Role.ADMIN, Role.API_USER):
        raise Forbidden(f"{member.role} accounts cannot be removed this way.")
    organization = member.organization
    if (
        acting_user.role not in (Role.ADMIN, Role.API_USER)
        and organization is not None
        and member.role == ADMIN_ROLE_OF_TYPE.get(organization.organization_type)
    ):
        raise Forbidden("Only the super admin or the organization's api user can remove its administrator.")
    Invitation.objects.filter(organization=organization, email=member.email).delete()
    member.delete()
    if delete_empty_organization and organization is not None and not organization.users.exists():
        organization_delete(organization=organization)


# --- Invitations ------------------------------------------------------------------------


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT)


def invitation_from_token(*, invitation_id: int | str, token: str) -> Invitation:
    """The pending invitation a link was made for; anything else is 404 (nothing revealed)."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=settings.DREC_INVITATION_DAYS * 24 * 3600)
    except signing.BadSignature:
        data = None
    invitation = None
    if data and str(data.get("i")) == str(invitation_id):
        invitation = (
            Invitation.objects.select_related("organization")
            .filter(pk=data["i"], email=data.get("e"), status=InvitationStatus.PENDING)
            .first()
        )
    if invitation is None:
        raise NotFound(f"No pending invitation found with id {invitation_id}")
    return invitation


def _invitation_target(acting_user: User, organization_id: int | None) -> Organization:
    if acting_user.role in (Role.ADMIN, Role.API_USER):
        if organization_id is None:
            raise InvalidInput(
                "organizationId is required: the organization to invite into.",
                errors={"organizationId": ["Required."]},
            )
        organization = selectors.organization_get(user=acting_user, organization_id=organization_id)
    else:
        own = acting_user.organization
        if own is None or (organization_id is not None and organization_id != own.pk):
            raise NotFound(f"No organization found with id {organization_id}")
        organization = own
    if organization.organization_type not in INVITABLE_ROLES:
        raise Forbidden(
            f"Nobody can be invited into the {organization.organization_type} organization {organization.name}."
        )
    return organization


def invitable_roles(*, acting_user: User, organization: Organization) -> tuple[str, ...]:
    """Roles ``acting_user`` may invite into ``organization`` (read-only members invite only
    read-only members)."""
    if acting_user.role in LIMITED_INVITERS:
        return (Role.USER,)
    return INVITABLE_ROLES.get(organization.organization_type, ())


@transaction.atomic
def invitation_create(
    *,
    acting_user: User,
    organization_id: int | None,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    """Invite someone by e-mail into an organization with a role its type allows
    (Developer: DeviceOwner, User; Buyer: SubBuyer, User). The e-mail carries a single-use
    link where the invitee sets their own password; no account exists before that."""
    organization = _invitation_target(acting_user, organization_id)
    allowed = invitable_roles(acting_user=acting_user, organization=organization)
    if role not in allowed:
        raise InvalidInput(
            f"role must be {' or '.join(allowed)} for an invitation into {organization.name}.",
            errors={"role": [f"Must be one of {', '.join(allowed)}."]},
        )
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise Conflict(
            f"User {email} already has an account; a person belongs to one organization.",
            errors={"email": ["Already registered."]},
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                role=role,
                sender=acting_user.get_full_name(),
                invited_by=acting_user,
            )
    except IntegrityError:
        raise Conflict(
            f"{email} already has a pending invitation to {organization.name}.", errors={"email": ["Already invited."]}
        ) from None
    enqueue("organizations.tasks.invitation_send", invitation.pk)
    return invitation


def _invitee_password_check(password: str | None, confirm: str | None, *, invitee: User) -> None:
    errors: dict[str, list[str]] = {}
    if not password:
        errors["password"] = ["Choose a password to accept the invitation."]
    else:
        try:
            password_validation.validate_password(password, user=invitee)
        except ValidationError as error:
            errors["password"] = list(error.messages)
        if confirm is not None and confirm != password:
            errors["confirmPassword"] = ["Does not match the password."]
    if errors:
        field, reasons = next(iter(errors.items()))
        raise InvalidInput(f"{field}: {reasons[0]}", errors=errors)


@transaction.atomic
def invitation_respond(
    *,
    invitation_id: int,
    token: str,
    status: str,
    password: str | None = None,
    confirm_password: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> User | None:
    """The invitee accepts (choosing a password: the account is created, active, in the
    organization with the invited role) or rejects. Only the holder of the e-mailed link can."""
    invitation = invitation_from_token(invitation_id=invitation_id, token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise NotFound(f"No pending invitation found with id {invitation_id}")
    if status == InvitationStatus.REJECTED:
        invitation.status = InvitationStatus.REJECTED
        invitation.save(update_fields=["status", "updated_at"])
        return None
    if status != InvitationStatus.ACCEPTED:
        raise InvalidInput("status must be Accepted or Rejected.", errors={"status": ["Must be Accepted or Rejected."]})
    if User.objects.filter(email=invitation.email).exists():
        raise Conflict(f"User {invitation.email} already has an account.")
    invitee = User(
        email=invitation.email,
        first_name=(first_name if first_name is not None else invitation.first_name).strip(),
        last_name=(last_name if last_name is not None else invitation.last_name).strip(),
        role=invitation.role,
        status=UserStatus.ACTIVE,
        organization=invitation.organization,
    )
    _invitee_password_check(password, confirm_password, invitee=invitee)
    invitee.set_password(password)
    invitee.save()
    # Following the e-mailed link proved the address.
    EmailAddress.objects.create(user=invitee, email=invitee.email, primary=True, verified=True)
    organization_access_grant(user=invitee, organization=invitation.organization)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.save(update_fields=["status", "updated_at"])
    return invitee

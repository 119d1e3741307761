"""Tenancy in one place: which organizations, members and invitations a user may see.

The super admin sees everything. Anyone else sees the organizations it holds django-guardian's
``view_organization`` permission on: its own, and for an api user also every organization it
manages. Whatever is outside answers 404 (its existence is not revealed).
"""

from django.db.models import Count, QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.models import Role, User
from drec.errors import Forbidden, InvalidInput, NotFound
from organizations.models import Invitation, Organization, OrganizationType

VIEW = "organizations.view_organization"
MEMBER_TYPES = (OrganizationType.DEVELOPER, OrganizationType.BUYER)


def organization_list(*, user: User, name: str = "", organization_type: str | None = None) -> QuerySet[Organization]:
    organizations = Organization.objects.select_related("api_user").order_by("name", "id")
    if user.role != Role.ADMIN:
        organizations = get_objects_for_user(
            user, VIEW, klass=organizations, with_superuser=False, accept_global_perms=False
        )
    if name:
        organizations = organizations.filter(name__icontains=name)
    if organization_type:
        organizations = organizations.filter(organization_type=organization_type)
    return organizations


def acting_organization_list(*, user: User, organization_type: str | None = None) -> QuerySet[Organization] | None:
    """The organizations the super admin and api users act for (the portal's organization
    pickers; never api-user organizations); None for everyone else, who act for their own."""
    if user.role not in (Role.ADMIN, Role.API_USER):
        return None
    return organization_list(user=user, organization_type=organization_type).exclude(
        organization_type=OrganizationType.API_USER
    )


def managed_organization_list(*, user: User, name: str = "") -> QuerySet[Organization]:
    """Developer and Buyer organizations (an api user's: those it manages; the super admin's:
    all), with member counts: "All Organizations" in both doors."""
    return (
        organization_list(user=user, name=name)
        .filter(organization_type__in=MEMBER_TYPES)
        .annotate(user_count=Count("users"))
    )


def organization_id_value(organization_id: object) -> int:
    """An ``organizationId`` as sent (a query string's text): a whole number, or 400."""
    if isinstance(organization_id, int | str | float):
        try:
            return int(organization_id)
        except (ValueError, OverflowError):
            pass
    raise InvalidInput("organizationId must be a whole number.", errors={"organizationId": ["Must be a whole number."]})


def organization_get(*, user: User, organization_id: object) -> Organization:
    """A visible organization by its ``organizationId`` as sent (a whole number or its text);
    anything else is a 400, a missing id or an organization out of sight a 404."""
    pk = organization_id_value(organization_id) if organization_id not in (None, "") else None
    organization = organization_list(user=user).filter(pk=pk).first() if pk else None
    if organization is None:
        raise NotFound(f"No organization found with id {organization_id}")
    return organization


def organization_for(*, user: User, organization_id: object, organization_type: str, purpose: str) -> Organization:
    """The organization an operation acts on: the one named by ``organizationId`` (the super
    admin and api users act for others) or the caller's own. It must be of
    ``organization_type``; another type answers 403 saying so."""
    if organization_id in (None, ""):
        if user.role in (Role.ADMIN, Role.API_USER):
            raise InvalidInput(
                f"organizationId is required: give the id of the {organization_type} organization {purpose}.",
                errors={"organizationId": ["Required."]},
            )
        organization = user.organization
        if organization is None:
            raise Forbidden("You do not belong to an organization.")
    else:
        organization = organization_get(user=user, organization_id=organization_id)
    if organization.is_denied and user.role != Role.ADMIN:
        raise Forbidden(
            f"Organization {organization.name} was denied by the super admin: nothing can be done for it "
            "until its status is Active again."
        )
    if organization.organization_type != organization_type:
        raise Forbidden(
            f"Organization {organization.name} is a {organization.organization_type} organization; "
            f"only a {organization_type} organization can be used {purpose}."
        )
    return organization


def member_list(*, user: User, organization: Organization | None = None, status: str = "") -> QuerySet[User]:
    """Accounts the caller may see: of one visible organization, or all it may see (an api
    user: the members of the organizations it manages, not other api users)."""
    members = User.objects.select_related("organization__api_user").order_by("-id")
    if organization is not None:
        members = members.filter(organization=organization)
    elif user.role == Role.ADMIN:
        members = members.exclude(role=Role.API_USER)
    elif user.role == Role.API_USER:
        members = members.filter(organization__in=organization_list(user=user)).exclude(role=Role.API_USER)
    elif user.organization_id is not None:
        members = members.filter(organization_id=user.organization_id)
    else:
        members = members.none()  # no organization, no members (not every account without one)
    if status:
        members = members.filter(status=status)
    return members


def member_get(*, user: User, member_id: int) -> User:
    """One account the caller may see (and act on), or 404."""
    visible = User.objects.select_related("organization").filter(pk=member_id)
    if user.role != Role.ADMIN:
        visible = visible.filter(organization__in=organization_list(user=user))
    member = visible.first()
    if member is None:
        raise NotFound(f"No user found with id {member_id}")
    return member


def invitation_list(*, user: User, organization: Organization | None = None) -> QuerySet[Invitation]:
    invitations = Invitation.objects.select_related("organization").order_by("-created_at", "-id")
    if organization is not None:
        return invitations.filter(organization=organization)
    if user.role == Role.ADMIN:
        return invitations
    return invitations.filter(organization__in=organization_list(user=user))

"""Portal screens of organizations (seed Step 4 Organization, ui.md §3.8-3.15)."""

from typing import cast

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts import services as account_services
from accounts.fields import new_account
from accounts.models import Role, UserStatus
from accounts.rules import MANAGED_ORGANIZATION_REGISTER
from drec.errors import Conflict, DomainError, NotFound
from drec.forms import show_error
from drec.inputs import object_id
from drec.pagination import paginate
from drec.permissions import PUBLIC, Action, page, portal_view
from drec.views import next_url
from organizations import selectors, services
from organizations.models import Organization
from organizations.rules import (
    ADMIN_ORGANIZATION_REGISTER,
    INVITATION_RESPOND,
    INVITATION_SEND,
    MANAGED_ORGANIZATION_PAGE,
    MANAGED_ORGANIZATIONS_READ,
    MEMBER_REMOVE,
    MEMBER_UPDATE,
    ORGANIZATION_READ,
    OWN_INVITATIONS_READ,
)

INVITE = Action(INVITATION_SEND, twin="POST api-invitations")


class InviteForm(forms.Form):
    firstName = forms.CharField(label="First Name", max_length=150, required=False)
    lastName = forms.CharField(label="Last Name", max_length=150, required=False)
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ChoiceField(label="Role", choices=())

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = [(role, role) for role in roles]


def _invite(request, form: InviteForm, organization_id) -> bool:
    """Send an invitation from a portal form; True when it went out."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        services.invitation_create(
            acting_user=request.user,
            organization_id=organization_id,
            email=data["email"],
            role=data["role"],
            first_name=data["firstName"],
            last_name=data["lastName"],
        )
    except DomainError as error:
        show_error(form, error)
        return False
    messages.success(request, f"Invitation sent to {data['email']}.")
    return True


@portal_view({"GET": page(ORGANIZATION_READ, twin="GET api-organization-me")})
def my_organization(request):
    organization = request.user.organization
    members = selectors.member_list(user=request.user, organization=organization) if organization else []
    return render(request, "organizations/my_organization.html", {"organization": organization, "members": members})


@portal_view({"GET": page(OWN_INVITATIONS_READ, twin="GET api-invitations"), "POST": INVITE})
def invitations(request):
    """Invite into one's own organization, and the invitations sent from it."""
    organization = request.user.organization
    if organization is None:
        raise NotFound("You do not belong to an organization.")
    roles = services.invitable_roles(acting_user=request.user, organization=organization)
    form = InviteForm(request.POST or None, roles=roles)
    if request.method == "POST" and _invite(request, form, None):
        return redirect(f"{reverse('organization-invitations')}?tab=list")
    tab = "invite" if request.method == "POST" else request.GET.get("tab", "invite")
    return render(
        request,
        "organizations/invitations.html",
        {
            "form": form,
            "tab": tab,
            # What GET /api/invitation lists for the caller (its organization's).
            "invitations": selectors.invitation_list(user=request.user),
        },
    )


@portal_view({"GET": page(MANAGED_ORGANIZATIONS_READ, twin="GET api-apiuser-organizations")})
def all_organizations(request):
    """All Organizations, filtered by a part of the name as one types (HTMX)."""
    name = request.GET.get("organizationName", "").strip()
    page = paginate(
        request, selectors.managed_organization_list(user=request.user, name=name), key="organizations", serialize=list
    )
    context = {"page": page, "organization_name": name}
    if request.htmx:
        return render(request, "organizations/_organizations_table.html", context)
    return render(request, "organizations/all_organizations.html", context)


@portal_view(
    {
        "GET": page(MANAGED_ORGANIZATION_PAGE, twin="GET api-admin-organization-users"),
        "POST": INVITE,
    }
)
def organization_users(request, organization_id: int):
    """One organization's details and members, with the "Invite User" dialog."""
    organization = selectors.organization_get(user=request.user, organization_id=organization_id)
    roles = services.invitable_roles(acting_user=request.user, organization=organization)
    form = InviteForm(request.POST or None, roles=roles)
    if request.method == "POST" and _invite(request, form, organization.id):
        return redirect("organization-users", organization_id=organization.id)
    page = paginate(
        request, selectors.member_list(user=request.user, organization=organization), key="users", serialize=list
    )
    return render(
        request,
        "organizations/organization_users.html",
        {
            "organization": organization,
            "page": page,
            "form": form,
            "roles": roles,
            "invite_open": request.method == "POST",
            "invitations": selectors.invitation_list(user=request.user, organization=organization)[:20],
        },
    )


class MemberForm(forms.Form):
    firstName = forms.CharField(label="First Name", max_length=150)
    lastName = forms.CharField(label="Last Name", max_length=150, required=False)
    email = forms.EmailField(label="Email", max_length=254)
    status = forms.ChoiceField(label="Status", choices=UserStatus.choices)


@portal_view({"GET": page(ORGANIZATION_READ, twin="GET api-organization-users")})
def all_users(request):
    """All Users the caller may see; the super admin and api users filter by organization."""
    filterable = request.user.role in (Role.ADMIN, Role.API_USER)
    organization = None
    if filterable and (organization_id := object_id(request.GET.get("organizationId"))) is not None:
        organization = selectors.organization_get(user=request.user, organization_id=organization_id)
    members = selectors.member_list(user=request.user, organization=organization)
    return render(
        request,
        "organizations/all_users.html",
        {
            "page": paginate(request, members, key="users", serialize=list),
            "filterable": filterable,
            "organizations": selectors.managed_organization_list(user=request.user) if filterable else None,
            "organization": organization,
        },
    )


@portal_view(
    {"GET": page(MEMBER_UPDATE, no_twin="the Edit User form"), "POST": Action(MEMBER_UPDATE, twin="PUT api-admin-user")}
)
def member_edit(request, user_id: int):
    """Edit User (the super admin, or an api user for its organizations' members)."""
    member = selectors.member_get(user=request.user, member_id=user_id)
    form = MemberForm(
        request.POST or None,
        initial={
            "firstName": member.first_name,
            "lastName": member.last_name,
            "email": member.email,
            "status": member.status,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_update(
                acting_user=request.user,
                member_id=member.id,
                first_name=data["firstName"],
                last_name=data["lastName"],
                email=data["email"],
                status=data["status"],
            )
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(request, f"{data['email']} updated.")
            return redirect(next_url(request, "all-users"))
    context = {"form": form, "member": member, "back": next_url(request, "all-users")}
    return render(request, "organizations/member_edit.html", context)


@portal_view({"POST": Action(MEMBER_REMOVE, twin="DELETE api-member-remove")})
def member_delete(request, user_id: int):
    """Remove a user (what DELETE /api/Organization/user/{id} does)."""
    try:
        services.member_remove(acting_user=request.user, member_id=user_id)
        messages.success(request, "User removed.")
    except Conflict as error:  # a refusal to show; not-yours (404) and not-allowed (403) get their pages
        messages.error(request, error.message)
    return redirect(next_url(request, "all-users"))


class AddOrganizationForm(forms.Form):
    firstName = forms.CharField(label="First Name", max_length=150)
    lastName = forms.CharField(label="Last Name", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    organizationType = forms.ChoiceField(
        label="Organization Type", choices=[("Developer", "Developer"), ("Buyer", "Buyer")]
    )
    orgName = forms.CharField(label="Organization Name", max_length=255)
    orgAddress = forms.CharField(label="Organization Address", max_length=500, required=False)

    STEPS = (
        ("User Info", ("firstName", "lastName", "email")),
        ("Organization Info", ("organizationType", "orgName", "orgAddress")),
    )


def _add_organization(request, *, done: str):
    """ "Add Organizations": a Developer or Buyer organization with its first user. The super
    admin's user gets an e-mail link to choose a password; an api user's organization is
    managed by it (its user does not sign in)."""
    form = AddOrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = account_services.organization_register_for(acting_user=request.user, account=new_account(data))
        except DomainError as error:
            show_error(form, error)
        else:
            organization = cast(Organization, user.organization)  # registered with it
            messages.success(request, f"Organization {organization.name} and its user {user.email} were added.")
            return redirect(done)
    first_step_with_error = next(
        (index for index, (_title, names) in enumerate(form.STEPS) if any(form.errors.get(n) for n in names)), 0
    )
    steps = [(title, [form[name] for name in names]) for title, names in form.STEPS]
    return render(
        request,
        "organizations/add_organization.html",
        {"form": form, "steps": steps, "current_step": first_step_with_error},
    )


@portal_view(
    {
        "GET": page(ADMIN_ORGANIZATION_REGISTER, no_twin="the Add Organizations form"),
        "POST": Action(ADMIN_ORGANIZATION_REGISTER, twin="POST api-admin-users"),
    }
)
def admin_add_organization(request):
    return _add_organization(request, done="all-users")


@portal_view(
    {
        "GET": page(MANAGED_ORGANIZATION_REGISTER, no_twin="the Add Organizations form"),
        "POST": Action(MANAGED_ORGANIZATION_REGISTER, twin="POST api-register"),
    }
)
def apiuser_add_organization(request):
    return _add_organization(request, done="apiuser-all-users")


class AcceptInvitationForm(forms.Form):
    firstName = forms.CharField(label="First Name", max_length=150)
    lastName = forms.CharField(label="Last Name", max_length=150, required=False)
    password = forms.CharField(label="Password", max_length=128, strip=False, widget=forms.PasswordInput)
    confirmPassword = forms.CharField(label="Confirm Password", max_length=128, strip=False, widget=forms.PasswordInput)


RESPOND = Action(INVITATION_RESPOND, twin="PUT api-invitation-respond")


@portal_view(
    {"GET": page(PUBLIC, no_twin="the invitation link's page"), "POST accept": RESPOND, "POST reject": RESPOND}
)
def accept_invitation(request):
    """The link of the invitation e-mail: choose a password to join, or decline."""
    params = request.POST if request.method == "POST" else request.GET
    token, invitation_id = params.get("token", ""), params.get("invitaionId", "")
    invitation = services.invitation_from_token(invitation_id=invitation_id, token=token)
    form = AcceptInvitationForm(
        request.POST if params.get("action") == "accept" else None,
        initial={"firstName": invitation.first_name, "lastName": invitation.last_name},
    )
    if request.method == "POST":
        if params.get("action") == "reject":
            services.invitation_respond(invitation_id=invitation.id, token=token, status="Rejected")
            return render(request, "organizations/invitation_declined.html", {"invitation": invitation})
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.invitation_respond(
                    invitation_id=invitation.id,
                    token=token,
                    status="Accepted",
                    password=data["password"],
                    confirm_password=data["confirmPassword"],
                    first_name=data["firstName"],
                    last_name=data["lastName"],
                )
            except DomainError as error:
                show_error(form, error)
            else:
                messages.success(request, f"Welcome to {invitation.organization.name}! Log in with your new password.")
                return redirect("account_login")
    return render(
        request,
        "organizations/accept_invitation.html",
        {"invitation": invitation, "form": form, "token": token},
    )

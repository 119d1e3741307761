"""Portal screens of access control (seed Step 2 and 3): ACL modules, role permissions,
api users and their permission requests. Every rule is in acl.services."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts import selectors as account_selectors
from accounts.models import PermissionStatus, Role, User, UserRole
from acl import selectors, services
from acl.models import VERB_BITS, ModuleStatus
from acl.rules import (
    API_USER_VERIFY,
    GRANT_CREATE,
    GRANT_UPDATE,
    MODULE_CREATE,
    MODULE_UPDATE,
    PERMISSION_REQUEST,
    SUPER_ADMIN,
)
from drec.errors import DomainError, NotFound
from drec.forms import on_form, show_error
from drec.inputs import object_id
from drec.pagination import paginate
from drec.permissions import Action, page, portal_view

VERB_CHOICES = [(verb, verb) for verb in VERB_BITS]


def _grants_from_post(post) -> dict[int, list[str]]:
    """``{module id: [verbs]}`` of the ticked rows of a module/verb matrix: a module ticked, or
    one of whose verbs is ticked (the page's script ticks the module too, but a verb ticked
    before the script runs, or without it, still counts)."""
    ticked = [*post.getlist("module"), *(key.removeprefix("verbs-") for key in post if key.startswith("verbs-"))]
    return {
        module: post.getlist(f"verbs-{module_id}")
        for module_id in dict.fromkeys(ticked)
        if (module := object_id(module_id)) is not None
    }


def _grant_id(request: HttpRequest) -> int:
    """The grant a form edits (``?edit=``); what cannot be an id is a grant nobody has (404)."""
    grant_id = object_id(request.GET.get("edit"))
    if grant_id is None:
        raise NotFound(f"No permission found with id {request.GET.get('edit', '')}")
    return grant_id


def _matrix(*, selected: dict[int, list[str]] | None = None, locked: dict[int, str] | None = None) -> list[dict]:
    """Rows of the module/verb matrix: each module with the verbs it offers."""
    selected, locked = selected or {}, locked or {}
    return [
        {
            "module": module,
            "verbs": module.permissions,
            "checked": module.id in selected,
            "selected": selected.get(module.id, []),
            "locked": locked.get(module.id),
        }
        for module in selectors.module_list()
    ]


def _error_messages(error: DomainError) -> list[str]:
    on_form(error)
    if isinstance(error.errors, list) and error.errors and isinstance(error.errors[0], dict):
        return [item["message"] for item in error.errors]
    return [error.message]


# --- ACL modules ------------------------------------------------------------------------


class ModuleForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(label="Description", max_length=255)
    status = forms.ChoiceField(label="Status", choices=ModuleStatus.choices, initial=ModuleStatus.ENABLE)
    permissions = forms.MultipleChoiceField(
        label="Permission", choices=VERB_CHOICES, widget=forms.CheckboxSelectMultiple
    )


class ModuleEditForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=ModuleStatus.choices)
    permissions = forms.MultipleChoiceField(
        label="Permission", choices=VERB_CHOICES, widget=forms.CheckboxSelectMultiple
    )


@portal_view(
    {
        "GET": page(SUPER_ADMIN, twin="GET api-acl-modules"),
        "POST create": Action(MODULE_CREATE, twin="POST api-acl-modules"),
        "POST edit": Action(MODULE_UPDATE, twin="PUT api-acl-module-update"),
    }
)
def acl_modules(request):
    action = request.POST.get("action")
    form = ModuleForm(request.POST if action == "create" else None)
    edit_id = object_id(request.GET.get("edit"))
    editing = selectors.module_get(module_id=edit_id) if edit_id is not None else None
    edit_form = None
    if action == "edit" and editing is None:
        raise NotFound(f"No ACL module with id {request.GET.get('edit', '')}")
    if editing is not None:
        edit_form = ModuleEditForm(
            request.POST if action == "edit" else None,
            initial={"status": editing.status, "permissions": editing.permissions},
        )
    if action == "create" and form.is_valid():
        try:
            data = form.cleaned_data
            module = services.module_create(
                name=data["name"],
                description=data["description"],
                status=data["status"],
                permissions=data["permissions"],
            )
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(request, f"ACL module {module.name} created.")
            return redirect("admin-acl-modules")
    if action == "edit" and editing is not None and edit_form is not None and edit_form.is_valid():
        try:
            data = edit_form.cleaned_data
            services.module_update(module_id=editing.id, permissions=data["permissions"], status=data["status"])
        except DomainError as error:
            show_error(edit_form, error)
        else:
            messages.success(request, f"ACL module {editing.name} updated.")
            return redirect("admin-acl-modules")
    return render(
        request,
        "acl/acl_modules.html",
        {
            "modules": selectors.module_list(),
            "form": form,
            "open_create": action == "create",
            "editing": editing,
            "edit_form": edit_form,
        },
    )


# --- Role permissions -------------------------------------------------------------------


@portal_view(
    {
        "GET": page(SUPER_ADMIN, no_twin="the role grants' matrix"),
        "POST add": Action(GRANT_CREATE, twin="POST api-permission-create"),
        "POST edit": Action(GRANT_UPDATE, twin="PUT api-permission-update"),
    }
)
def role_permissions(request):
    roles = UserRole.objects.exclude(name=Role.ADMIN)
    action = request.POST.get("action")
    errors: list[str] = []
    requested_role = request.POST.get("role") or request.GET.get("role") or ""
    # The role catalogue is seeded by a migration: there is always a first role.
    role_id = object_id(requested_role)
    if role_id is None:
        role_id = roles.values_list("id", flat=True)[0]
    selected: dict[int, list[str]] = {}
    if action == "add":
        selected = _grants_from_post(request.POST)
        try:
            services.role_permissions_set(role_id=role_id, grants=selected)
        except DomainError as error:
            errors = _error_messages(error)
        else:
            messages.success(request, "Role permissions saved.")
            return redirect(f"{reverse('admin-role-permissions')}?role={role_id}")
    else:
        selected = {g.module_id: g.permissions for g in selectors.role_permission_list(role_id=role_id)}

    editing = None
    if (edit_id := object_id(request.GET.get("edit"))) is not None:
        editing = selectors.role_permission_list_all().filter(pk=edit_id).first()
    if action == "edit":
        try:
            editing = services.permission_update(
                acting_user=request.user,
                permission_id=_grant_id(request),
                permissions=request.POST.getlist("permissions"),
                active=request.POST.get("active") == "1",
            )
        except DomainError as error:
            errors = _error_messages(error)
        else:
            messages.success(request, "Permission updated.")
            return redirect(f"{reverse('admin-role-permissions')}?role={editing.role_id}")
    grants = selectors.role_permission_list_all()
    return render(
        request,
        "acl/role_permissions.html",
        {
            "roles": roles,
            "role_id": role_id,
            "rows": _matrix(selected=selected),
            "grants": grants.order_by("role_id", "module_id"),
            "errors": errors,
            "editing": editing,
        },
    )


# --- Api users and their requests (admin) -----------------------------------------------


@portal_view({"GET": page(SUPER_ADMIN, twin="GET api-admin-apiusers")})
def api_users(request):
    organization_name = request.GET.get("organizationName", "").strip()
    page = paginate(
        request,
        account_selectors.api_user_list(user=request.user, organization_name=organization_name),
        key="users",
        serialize=list,
    )
    return render(request, "acl/api_users.html", {"page": page, "organization_name": organization_name})


@portal_view({"GET": page(SUPER_ADMIN, no_twin="a list to pick an api user from")})
def api_user_picker(request):
    if (user_id := object_id(request.GET.get("user"))) is not None:
        return redirect("admin-api-user-permission-detail", user_id=user_id)
    api_users = account_selectors.api_user_list(user=request.user)
    # What waits for a decision is listed right away, one row per api user (one decision each).
    pending = selectors.pending_request_groups()
    return render(
        request,
        "acl/api_user_picker.html",
        {"api_users": api_users, "pending": pending, "selected": pending[0]["account"].pk if pending else None},
    )


class VerifyForm(forms.Form):
    status = forms.ChoiceField(
        label="Permission",
        choices=[(PermissionStatus.ACTIVE, "Active"), (PermissionStatus.DEACTIVE, "Deactive")],
    )


@portal_view(
    {
        "GET": page(SUPER_ADMIN, twin="GET api-user-permissions"),
        "POST": Action(API_USER_VERIFY, twin="PUT api-permission-verify"),
    }
)
def api_user_permissions(request, user_id: int):
    account = get_object_or_404(User.objects.select_related("api_user", "organization"), pk=user_id, role=Role.API_USER)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.api_user_permission_verify(
                api_user_id=account.api_user.api_user_id, status=form.cleaned_data["status"]
            )
        except DomainError as error:
            show_error(form, error)
        else:
            messages.success(
                request, f"Permission status of {account.get_full_name()} is now {form.cleaned_data['status']}."
            )
            return redirect("admin-api-user-permission-detail", user_id=user_id)
    grants = selectors.user_permission_list(user=request.user, user_id=account.pk)
    return render(
        request,
        "acl/api_user_permissions.html",
        {"account": account, "grants": grants, "form": form, "admin_view": True},
    )


# --- The api user's own requests --------------------------------------------------------


@portal_view(
    {
        "GET": page(PERMISSION_REQUEST, no_twin="the Permission Request form"),
        "POST": Action(PERMISSION_REQUEST, twin="POST api-permission-request"),
    }
)
def permission_request(request):
    """Module Permission Request Form: tick modules and their verbs, then wait for approval."""
    requested = {
        g.module_id: ("Active" if g.is_active else "Inactive") for g in selectors.permission_list(user=request.user)
    }
    errors: list[str] = []
    selected: dict[int, list[str]] = {}
    if request.method == "POST":
        selected = _grants_from_post(request.POST)
        items = [services.RequestedGrant(module_id=module_id, verbs=verbs) for module_id, verbs in selected.items()]
        try:
            services.api_user_permission_request(user=request.user, items=items)
        except DomainError as error:
            errors = _error_messages(error)
        else:
            messages.success(request, "Request sent. The super admin will review it.")
            return redirect("apiuser-permissions")
    return render(
        request,
        "acl/permission_request.html",
        {"rows": _matrix(selected=selected, locked=requested), "errors": errors},
    )


@portal_view(
    {
        "GET": page(PERMISSION_REQUEST, twin="GET api-user-permissions"),
        "POST": Action(GRANT_UPDATE, twin="PUT api-permission-update"),
    }
)
def my_permissions(request):
    """My Permission: the api user's grants; editing one sends it back for approval."""
    grants = selectors.permission_list(user=request.user)
    edit_id = object_id(request.GET.get("edit"))
    editing = grants.filter(pk=edit_id).first() if edit_id is not None else None
    errors: list[str] = []
    if request.method == "POST":
        try:
            editing = services.permission_update(
                acting_user=request.user,
                permission_id=_grant_id(request),
                permissions=request.POST.getlist("permissions"),
            )
        except DomainError as error:
            errors = _error_messages(error)
        else:
            messages.success(
                request, f"{editing.module.name} updated; it is inactive until the super admin approves it."
            )
            return redirect("apiuser-permissions")
    account = account_selectors.user_get(user_id=request.user.pk)
    return render(
        request,
        "acl/api_user_permissions.html",
        {"account": account, "grants": grants, "editing": editing, "errors": errors, "admin_view": False},
    )

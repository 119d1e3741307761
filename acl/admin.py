"""The back office's access control: ACL modules, role grants and api users' grants.

Verbs are checkboxes (the mask is derived); forms validate with acl.services' own checks and
``save_model`` writes through acl.services, so an edit here obeys the rules of the API's
``/api/access-control-layer-module-service`` and ``/api/permission`` endpoints.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Role, User
from acl import services
from acl.models import VERB_BITS, AclModule, ApiUserGrant, EntityType, ModulePermission, RoleGrant
from drec.admin import ReadOnlyTabularInline, ServiceAdmin, staff_user
from drec.errors import DomainError
from drec.forms import show_error

VERB_CHOICES = [(verb, verb) for verb in VERB_BITS]


def verbs_field(label: str = "Permissions") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=VERB_CHOICES, widget=forms.CheckboxSelectMultiple)


class VerbsColumn:
    """A "Permissions" column: the verbs of a module or a grant, by name."""

    @admin.display(description="Permissions")
    def verbs(self, record: AclModule | ModulePermission) -> str:
        return ", ".join(record.permissions)


class VerbsForm(forms.ModelForm):
    """A module's or a grant's verbs as checkboxes, ticked from the record's mask."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["permissions"] = self.instance.permissions


class AclModuleForm(VerbsForm):
    permissions = verbs_field("Verbs it offers")

    class Meta:
        model = AclModule
        fields = ("name", "description", "status")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            services.verbs_mask(data.get("permissions") or [])
            if not self.instance.pk and "name" in data:
                data["name"] = services.module_name_check(data["name"])
        except DomainError as error:
            show_error(self, error)
        return data


class GrantInline(VerbsColumn, ReadOnlyTabularInline):
    model = ModulePermission
    fields = ("entity_type", "grantee", "verbs", "is_active")
    readonly_fields = fields
    verbose_name_plural = "grants of this module"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModulePermission]:
        return super().get_queryset(request).select_related("role", "user")

    @admin.display(description="Grantee")
    def grantee(self, grant: ModulePermission) -> str:
        return grant.role.name if grant.role is not None else str(grant.user)


@admin.register(AclModule)
class AclModuleAdmin(VerbsColumn, ServiceAdmin):
    form = AclModuleForm
    list_display = ("name", "status", "verbs", "description")
    list_filter = ("status",)
    search_fields = ("name",)
    inlines = (GrantInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: AclModule | None = None) -> tuple[str, ...]:
        # acl.services.module_update changes verbs and status only, as the API's PUT does.
        return ("name", "description") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Endpoints declare their module by name (drec/routes.py): disable a module instead.
        return False

    def save_model(self, request: HttpRequest, obj: AclModule, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.module_update(module_id=obj.pk, permissions=data["permissions"], status=data["status"])
        else:
            saved = services.module_create(
                name=data["name"],
                description=data["description"],
                status=data["status"],
                permissions=data["permissions"],
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


class GrantForm(VerbsForm):
    """Verbs as checkboxes, within the module's (acl.services.grant_mask: the API's check)."""

    permissions = verbs_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        module = data.get("module") or (self.instance.module if self.instance.module_id else None)
        if module is not None and data.get("permissions"):
            try:
                services.grant_mask(module, data["permissions"])
            except DomainError as error:
                show_error(self, error)
        grantee = {"role": data.get("role")} if "role" in self.fields else {"user": data.get("user")}
        taken = module is not None and all(grantee.values()) and not self.instance.pk
        if taken and ModulePermission.objects.filter(module=module, **grantee).exists():
            self.add_error("module", f"{next(iter(grantee.values()))} already has a grant on {module}; edit it.")
        return data


class RoleGrantForm(GrantForm):
    class Meta:
        model = RoleGrant
        fields = ("role", "module", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.entity_type = EntityType.ROLE
        if not self.instance.pk:
            self.initial.setdefault("is_active", True)  # a new role grant is active, as by the API


class ApiUserGrantForm(GrantForm):
    class Meta:
        model = ApiUserGrant
        fields = ("user", "module")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.entity_type = EntityType.USER


class GrantAdmin(VerbsColumn, ServiceAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: ModulePermission | None = None) -> tuple[str, ...]:
        # A grant stays with its module and grantee (acl.services.permission_update changes verbs).
        return ("grantee", "module") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # No door deletes grants: a role grant is set inactive, an api user's withdrawn (Deactive).
        return False


@admin.register(RoleGrant)
class RoleGrantAdmin(GrantAdmin):
    form = RoleGrantForm
    list_display = ("role", "module", "verbs", "is_active", "updated_at")
    list_filter = ("role", "is_active", "module")
    list_select_related = ("module", "role")

    @admin.display(description="Role")
    def grantee(self, grant: RoleGrant) -> str:
        return grant.role.name if grant.role is not None else ""

    def save_model(self, request: HttpRequest, obj: RoleGrant, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.permission_update(
                acting_user=staff_user(request),
                permission_id=obj.pk,
                permissions=data["permissions"],
                active=data["is_active"],
            )
        else:
            saved = services.permission_create(
                module_id=data["module"].pk,
                entity_type=EntityType.ROLE,
                entity_id=data["role"].pk,
                permissions=data["permissions"],
                active=data["is_active"],
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(ApiUserGrant)
class ApiUserGrantAdmin(GrantAdmin):
    """An api user's grants are its request: any change here waits, inactive, for the decision
    on the API users page (the same service as ``PUT /api/permission/module/verify/ByAdmin``)."""

    form = ApiUserGrantForm
    list_display = ("user", "module", "verbs", "is_active", "request_status", "updated_at")
    list_filter = ("user__api_user__permission_status", "is_active", "module")
    list_select_related = ("module", "user__api_user")
    search_fields = ("user__email",)

    def get_readonly_fields(self, request: HttpRequest, obj: ModulePermission | None = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "is_active", "request_status")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            kwargs.update(queryset=User.objects.filter(role=Role.API_USER).order_by("email"), label="API user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="API user")
    def grantee(self, grant: ApiUserGrant) -> str:
        return str(grant.user)

    @admin.display(description="Request")
    def request_status(self, grant: ApiUserGrant) -> str:
        if grant.user is None or not hasattr(grant.user, "api_user"):
            return ""
        api_user = grant.user.api_user
        url = reverse("admin:accounts_apiuser_change", args=[api_user.pk])
        return format_html('<a href="{}">{}</a>', url, api_user.permission_status)

    def save_model(self, request: HttpRequest, obj: ApiUserGrant, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.permission_update(
                acting_user=staff_user(request), permission_id=obj.pk, permissions=data["permissions"], reapprove=True
            )
        else:
            saved = services.permission_create(
                module_id=data["module"].pk,
                entity_type=EntityType.USER,
                entity_id=data["user"].pk,
                permissions=data["permissions"],
                active=False,
                reapprove=True,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

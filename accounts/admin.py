"""The back office's accounts: users, roles, api users with their requests, keys and tokens.

Accounts are created by registration and invitations (accounts.services, organizations.services),
never here; an edit goes through the service the portal's "Edit user" uses, and keys and
tokens are revoked with the services behind ``DELETE /api/auth/keys/{kid}`` and logout.
"""

from typing import Any

from allauth.account.models import EmailAddress
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import services
from accounts.models import AccessToken, ApiUser, ApiUserKey, EmailAddressRecord, PermissionStatus, Role, User, UserRole
from accounts.selectors import email_unused
from acl import services as acl_services
from acl.admin import VerbsColumn
from acl.models import ApiUserGrant, RoleGrant
from drec.admin import (
    CappedCountPaginator,
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    ServiceAdmin,
    changelist_link,
    service_call,
    staff_user,
)
from drec.errors import DomainError
from drec.forms import show_error
from organizations import services as organization_services
from organizations.models import Organization

admin.site.unregister(EmailAddress)  # shown as EmailAddressRecord, in this one Accounts section
admin.site.unregister(Group)  # no groups: access comes from roles and ACL grants


# --- Users --------------------------------------------------------------------------------


class UserForm(forms.ModelForm):
    """What organizations.services.member_update changes, with its checks."""

    class Meta:
        model = User
        fields = ("first_name", "last_name", "email", "status")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("email"):
            try:
                data["email"] = email_unused(data["email"], user=self.instance)
            except DomainError as error:
                show_error(self, error)
        return data


@admin.register(User)
class UserAdmin(ServiceAdmin):
    form = UserForm
    ordering = ("id",)
    list_display = ("email", "first_name", "last_name", "role", "status", "organization", "last_login")
    list_filter = ("role", "status")
    search_fields = ("email", "first_name", "last_name", "organization__name")
    list_select_related = ("organization",)
    readonly_fields = ("role", "organization", "is_active", "is_staff", "last_login", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "status")}),
        ("Account", {"fields": ("role", "organization", "is_active", "is_staff")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts come with their organization (registration) or an invitation: the portal's
        # "Add organization" and "Invite user" screens, or the API.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # organizations.services.member_remove's rule: never oneself, the super admin or an api user.
        if obj is not None and (obj.pk == request.user.pk or obj.role in (Role.ADMIN, Role.API_USER)):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        organization_services.member_update(
            acting_user=staff_user(request),
            member_id=obj.pk,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            status=data["status"],
        )
        obj.refresh_from_db()

    def service_delete(self, request: HttpRequest, obj: User) -> None:
        organization_services.member_remove(
            acting_user=staff_user(request), member_id=obj.pk, delete_empty_organization=True
        )


class RoleGrantInline(VerbsColumn, ReadOnlyTabularInline):
    model = RoleGrant
    fields = ("module", "verbs", "is_active")
    readonly_fields = fields


@admin.register(UserRole)
class UserRoleAdmin(ReadOnlyAdmin):
    """The fixed role catalogue (ids the API uses); its grants are edited on Role grants."""

    list_display = ("id", "name", "description", "status")
    inlines = (RoleGrantInline,)


# --- Api users ------------------------------------------------------------------------------


class KeyInline(ReadOnlyTabularInline):
    model = ApiUserKey
    fields = ("kid", "algorithm", "created_at", "revoked_at")
    readonly_fields = fields


class OrganizationInline(ReadOnlyTabularInline):
    model = Organization
    fields = ("name", "organization_type", "status", "created_at")
    readonly_fields = fields
    verbose_name_plural = "organizations it manages"


@admin.register(ApiUser)
class ApiUserAdmin(ReadOnlyAdmin):
    """Api users with their permission request; approving is the decision of
    ``PUT /api/permission/module/verify/ByAdmin/{apiuserId}`` (acl.services)."""

    list_display = ("user", "permission_status", "grants", "active_keys", "organizations", "created_at")
    list_filter = ("permission_status",)
    search_fields = ("user__email", "=api_user_id")
    list_select_related = ("user",)
    fields = ("user", "api_user_id", "permission_status", "grants", "tokens", "created_at")
    readonly_fields = fields
    inlines = (KeyInline, OrganizationInline)
    actions = ("approve", "withdraw")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiUser]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_key_count=Count("keys", filter=Q(keys__revoked_at__isnull=True), distinct=True),
                organization_count=Count("organizations", distinct=True),
                grant_count=Count("user__acl_grants", distinct=True),
            )
        )

    @admin.display(description="Grants")
    def grants(self, api_user: ApiUser) -> str:
        count = getattr(api_user, "grant_count", None)
        label = "requested grants" if count is None else f"{count} requested grant(s)"
        return changelist_link(ApiUserGrant, label, user__id__exact=api_user.user_id)

    @admin.display(description="Active keys")
    def active_keys(self, api_user: ApiUser) -> int:
        return int(getattr(api_user, "active_key_count", 0))

    @admin.display(description="Organizations")
    def organizations(self, api_user: ApiUser) -> int:
        return int(getattr(api_user, "organization_count", 0))

    @admin.display(description="Access tokens")
    def tokens(self, api_user: ApiUser) -> str:
        return changelist_link(AccessToken, "active access tokens", user__id__exact=api_user.user_id, active="yes")

    def _decide(self, request: HttpRequest, queryset: QuerySet[ApiUser], status: str) -> None:
        done = 0
        for api_user in queryset:
            done += service_call(
                self,
                request,
                api_user,
                lambda api_user=api_user: acl_services.api_user_permission_verify(
                    api_user_id=api_user.api_user_id, status=status
                ),
                done=f"Permission request set to {status}.",
            )
        self.message_user(request, f"{done} api user(s) set to {status}.")

    @admin.action(description="Approve their permission requests (Active)")
    def approve(self, request: HttpRequest, queryset: QuerySet[ApiUser]) -> None:
        self._decide(request, queryset, PermissionStatus.ACTIVE)

    @admin.action(description="Withdraw their permissions (Deactive)")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[ApiUser]) -> None:
        self._decide(request, queryset, PermissionStatus.DEACTIVE)


@admin.register(ApiUserKey)
class ApiUserKeyAdmin(ReadOnlyAdmin):
    list_display = ("kid", "api_user", "algorithm", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "algorithm")
    search_fields = ("=kid", "api_user__user__email")
    list_select_related = ("api_user__user",)
    fields = ("kid", "api_user", "algorithm", "public_key", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    @admin.action(description="Revoke the keys and every access token minted with them")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiUserKey]) -> None:
        done = 0
        for key in queryset.filter(revoked_at__isnull=True):
            done += service_call(
                self,
                request,
                key,
                lambda key=key: services.api_user_key_revoke(api_user=key.api_user, kid=key.kid),
                done="Revoked, with its access tokens.",
            )
        self.message_user(request, f"{done} key(s) revoked, with their access tokens.")


class ActiveTokenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Active"), ("no", "Revoked or expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AccessToken]) -> QuerySet[AccessToken]:
        active = Q(revoked_at__isnull=True, expires_at__gt=timezone.now())
        if self.value() == "yes":
            return queryset.filter(active)
        if self.value() == "no":
            return queryset.exclude(active)
        return queryset


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    """Every access token by its id (never the token itself); revoking is logging it out."""

    list_display = ("jti", "user", "kind", "key", "issued_at", "expires_at", "revoked_at")
    list_filter = (ActiveTokenFilter, "kind")
    search_fields = ("=jti", "user__email")
    list_select_related = ("user", "key")
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = ("jti", "user", "kind", "key", "issued_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    @admin.action(description="Revoke the access tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccessToken]) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            done += service_call(
                self, request, token, lambda token=token: services.access_token_revoke(token=token), done="Revoked."
            )
        self.message_user(request, f"{done} access token(s) revoked.")


@admin.register(EmailAddressRecord)
class EmailAddressAdmin(ReadOnlyAdmin):
    """Addresses are confirmed by their owner's link only; the back office can send it again."""

    list_display = ("email", "user", "primary", "verified")
    list_filter = ("verified", "primary")
    search_fields = ("email", "user__email")
    list_select_related = ("user",)
    actions = ("resend",)

    @admin.action(description="Send the confirmation e-mail again")
    def resend(self, request: HttpRequest, queryset: QuerySet[EmailAddressRecord]) -> None:
        done = 0
        for address in queryset.select_related("user"):
            done += service_call(
                self,
                request,
                address,
                lambda address=address: services.email_confirmation_resend(user=address.user),
                done="Confirmation e-mail sent again.",
            )
        self.message_user(request, f"{done} confirmation e-mail(s) sent.")

"""The back office's organizations, their members and invitations.

Organizations are created by registration (accounts.services), never here; a correction goes
through organizations.services.organization_update (what ``PATCH /api/admin/organizations/{id}``
calls) and a deletion through organization_delete, which refuses while the organization still
owns devices, reservations or managed organizations.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.models import User
from certificates.models import Certificate
from devices.models import Country, CsvJob, Device, UploadedFile
from drec.admin import ReadOnlyAdmin, ReadOnlyTabularInline, ServiceAdmin, changelist_link
from organizations import services
from organizations.models import Invitation, Organization, OrganizationType
from reservations.models import Reservation

# --- Organizations ---------------------------------------------------------------------------


def country_choices() -> list[tuple[str, str]]:
    return [("", "-"), *Country.objects.order_by("name").values_list("alpha2", "name")]


class OrganizationForm(forms.ModelForm):
    """What organizations.services.organization_update changes; ``country`` is a known
    ISO 3166 alpha-2 code, as the API's input requires."""

    country = forms.ChoiceField(choices=country_choices, required=False, label="Country")

    class Meta:
        model = Organization
        fields = ("name", "address", "zip_code", "city", "country", "status")

    def _get_validation_exclusions(self) -> set[str]:
        # The name's uniqueness (any case) is the service's check, with its message; the
        # model's constraint would only say that it "is violated".
        exclusions = super()._get_validation_exclusions()  # type: ignore[misc]  # Django's; not in the stubs
        return {*exclusions, "name"}


class MemberInline(ReadOnlyTabularInline):
    model = User
    fk_name = "organization"
    fields = ("email", "first_name", "last_name", "role", "status", "last_login")
    readonly_fields = fields
    verbose_name = "member"
    verbose_name_plural = "members"


class InvitationInline(ReadOnlyTabularInline):
    model = Invitation
    fields = ("email", "role", "status", "sender", "created_at")
    readonly_fields = fields


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    form = OrganizationForm
    list_display = ("name", "organization_type", "status", "api_user_email", "created_at")
    list_filter = ("organization_type", "status")
    search_fields = ("name", "org_email")
    list_select_related = ("api_user__user",)
    readonly_fields = ("organization_type", "org_email", "api_user_email", "records", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "organization_type", "status", "org_email", "api_user_email")}),
        ("Address", {"fields": ("address", "zip_code", "city", "country")}),
        ("Records", {"fields": ("records", "created_at", "updated_at")}),
    )
    inlines = (MemberInline, InvitationInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Organizations come with their first account: registration, or the portal's
        # "Add organization" screen (accounts.services).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # organization_delete takes the members with it: never the super admin's own.
        if obj is not None and obj.organization_type == OrganizationType.ADMIN:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Api user", ordering="api_user__user__email")
    def api_user_email(self, organization: Organization) -> str:
        return organization.api_user.user.email if organization.api_user else "-"

    @admin.display(description="Its records")
    def records(self, organization: Organization) -> str:
        return format_html(
            "{} · {} · {} · {}",
            changelist_link(Device, "devices", organization__id__exact=organization.pk),
            changelist_link(CsvJob, "bulk uploads", organization__id__exact=organization.pk),
            changelist_link(Reservation, "reservations", organization__id__exact=organization.pk),
            changelist_link(Certificate, "certificates", owner__id__exact=organization.pk),
        )

    def save_model(self, request: HttpRequest, obj: Organization, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        services.organization_update(
            organization=Organization.objects.get(pk=obj.pk),
            name=data["name"],
            address=data["address"],
            zip_code=data["zip_code"],
            city=data["city"],
            country=data["country"],
            status=data["status"],
        )
        obj.refresh_from_db()

    def service_delete(self, request: HttpRequest, obj: Organization) -> None:
        services.organization_delete(organization=obj)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        # What organization_delete removes with it, counted: Django's own collector would
        # load every related row, and refuse because members and invitations are read-only here.
        organizations = list(objs)
        members = User.objects.filter(organization__in=organizations).count()
        invitations = Invitation.objects.filter(organization__in=organizations).count()
        jobs = CsvJob.objects.filter(organization__in=organizations).count()
        files = UploadedFile.objects.filter(organization__in=organizations).count()
        counts = {
            "organizations": len(organizations),
            "members (their accounts)": members,
            "invitations": invitations,
            "bulk uploads": jobs,
            "uploaded files": files,
        }
        summary = [str(organization) for organization in organizations]
        summary += [f"{count} {label}" for label, count in counts.items() if count and label != "organizations"]
        return summary, counts, set(), []


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations are sent and answered by their people (organizations.services)."""

    list_display = ("email", "organization", "role", "status", "sender", "created_at")
    list_filter = ("status", "role")
    search_fields = ("email", "organization__name")
    list_select_related = ("organization",)
    fields = ("email", "first_name", "last_name", "organization", "role", "status", "sender", "invited_by")
    readonly_fields = fields

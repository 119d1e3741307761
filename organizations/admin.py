from django.contrib import admin

from organizations.models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organization_type", "status", "org_email", "created_at")
    list_filter = ("organization_type", "status")
    search_fields = ("name", "org_email")

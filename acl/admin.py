from django.contrib import admin

from acl.models import AclModule


@admin.register(AclModule)
class AclModuleAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "verbs", "permissions_value", "description")
    list_filter = ("status",)
    search_fields = ("name",)

    @admin.display(description="Permissions")
    def verbs(self, module: AclModule) -> str:
        return ", ".join(module.permissions)

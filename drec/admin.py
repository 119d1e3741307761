"""Django admin (``/django-admin/``): the super admin's back office, a third front door.

It obeys the rules of the other two: a change that has a service goes through it (a
``save_model`` or an action calls the service, the form validates with the service's own
checks), and records whose integrity the database or the ledger keeps are shown, never
written. Every app's ``admin.py`` registers its models with the pieces below; a model that is
not registered is listed in :data:`ABSENT` with the reason (``tests/drec/test_admin_registry.py``
checks that nothing is forgotten).
"""

import copy
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from accounts.models import User
from drec.errors import DomainError

admin.site.site_header = "D-REC back office"
admin.site.site_title = "D-REC back office"
admin.site.index_title = "Records and access control"

# Installed models deliberately not in the admin, by ``app_label.ModelName``, with the reason.
ABSENT: dict[str, str] = {
    "auth.Permission": "Django's model permissions are not how access works here: the ACL modules and grants are.",
    "auth.Group": "No groups: access comes from the role and its ACL grants (Role grants, API user grants).",
    "acl.ModulePermission": "Shown as its two kinds, Role grants and API user grants (proxies with their rules).",
    "account.EmailAddress": "Shown under Accounts as E-mail addresses (accounts.EmailAddressRecord), one section.",
    "contenttypes.ContentType": "Django's own bookkeeping; nothing a super admin decides.",
    "registry.Movement": "The public registry's totals, appended by database triggers as certificates change; "
    "/registry shows them.",
    "webhooks.DeliveryAttempt": "Shown on its delivery's page, in order; each attempt is a line of a log.",
    "devices.CsvDeviceReads": "Shown on its reads upload's page (a bulk job), a line per device of the file.",
    "sessions.Session": "Opaque signed data; signing a user out is done by deactivating the account.",
    "admin.LogEntry": "Shown on each record's History page and in Recent actions; never edited.",
    "guardian.UserObjectPermission": "Unused generic table: object permissions use the direct-FK models.",
    "guardian.GroupObjectPermission": "Unused generic table: object permissions use the direct-FK models.",
    "organizations.OrganizationUserObjectPermission": (
        "Derived from membership by organizations.services; editing it by hand would split the two."
    ),
    "organizations.OrganizationGroupObjectPermission": "No groups are used, so no group holds object permissions.",
    "accounts.UsedClientAssertion": "Replay guard of client assertions: expiring ids, no meaning to a person.",
    "account.EmailConfirmation": "allauth's legacy confirmation table; confirmations are HMAC links, never stored.",
    "django_q.Task": "Shown as its two outcomes, Successful tasks and Failed tasks (django-q2's proxies).",
    "axes.AccessAttemptExpiration": "The end of a lockout, part of its access attempt (delete that to unlock).",
}


class NoWrites:
    """No add, change or delete, not even for a superuser (a direct POST answers 403)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):  # type: ignore[type-arg]
    """Records whose integrity services, the database or the ledger keep: findable and readable,
    never written here."""


class ReadOnlyTabularInline(NoWrites, admin.TabularInline):  # type: ignore[type-arg]
    """A read-only list of related records, each linking to its own page."""

    extra = 0
    can_delete = False
    show_change_link = True


class CappedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Counts at most ``CAP`` rows, so that a changelist of a table with millions of rows
    never counts them all (``COUNT(*)`` over a LIMITed subquery); the pagination then says
    "more than 10,000" (templates/admin/pagination.html). Pair it with
    ``show_full_result_count = False``, which drops the changelist's second, unfiltered count.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return cast(QuerySet[Any], self.object_list)[: self.CAP + 1].count()

    @property
    def count_capped(self) -> bool:
        return self.count > self.CAP

    @property
    def cap_label(self) -> str:
        return f"{self.CAP:,}"


class BigTableAdmin(ReadOnlyAdmin):
    """A read-only changelist over a table that grows without bound (reads, certificates)."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50


def staff_user(request: HttpRequest) -> User:
    """The signed-in super admin (the admin site lets only active staff in)."""
    return cast(User, request.user)


def service_call(
    modeladmin: "admin.ModelAdmin[Any]", request: HttpRequest, obj: Model, call: Any, *, done: str = ""
) -> bool:
    """Run one service call of an admin action for ``obj``; a refusal becomes an error
    message naming the record (the other records of the action go on), a success a line in
    Django's admin log: ``done``, or what ``call`` returned if it is text. Returns whether it
    succeeded."""
    try:
        result = call()
    except DomainError as error:
        modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        return False
    modeladmin.log_change(request, obj, done or (result if isinstance(result, str) else "Changed."))
    return True


def changelist_link(model: type[Model], label: str, **filters: object) -> str:
    """A link to ``model``'s changelist filtered by ``filters`` (lookups the admin allows)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


def wh(value: int | None) -> str:
    """Energy as people read it: integer watt-hours with separators and the unit."""
    return "-" if value is None else f"{value:,} Wh"


class ServiceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose ``save_model`` and ``service_delete`` call a service: a refusal of
    the service (a DomainError) becomes an error message on the record's page, as the portal
    shows it, instead of a server error, and nothing of the refused change stays (a refused
    save rolls back the admin's transaction around the form).

    Only ``changeform_view`` and the hooks are overridden, never a view the admin's URLs call
    (drec.routes would count it as a page of ours without an access rule)."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def service_delete(self, request: HttpRequest, obj: Any) -> None:
        """Delete ``obj`` through its service (a ModelAdmin that may delete says which)."""
        raise NotImplementedError

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[LogEntry]:
        # Logged by delete_model once the service deleted: a refused deletion deleted nothing.
        return []

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record = copy.copy(obj)  # the deletion clears obj's primary key, which the log names
        try:
            self.service_delete(request, obj)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        super().log_deletions(request, [record])  # type: ignore[arg-type]  # any iterable of records

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: int) -> HttpResponse:
        if self.model._default_manager.filter(pk=obj_id).exists():
            # The service refused (its message is queued): back to the record's page.
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Django's bulk delete counts what it meant to delete, not what the service deleted:
        # delete one record at a time, from its page.
        actions.pop("delete_selected", None)
        return actions


class FirstRowsFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """An inline renders every related row it is given: show the first ``limit`` only (the
    inline's heading links to the full list)."""

    limit = 100

    def get_queryset(self) -> QuerySet[Any]:
        if not hasattr(self, "_first_rows"):
            self._first_rows = super().get_queryset()[: self.limit]
        return self._first_rows

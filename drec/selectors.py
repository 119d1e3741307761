"""Reads behind the portal shell's pages."""

from typing import Any

from django.db.models import Count

from accounts.models import Role, User
from acl.models import AclModule, ModuleStatus
from certificates.status import issuance_last_run, issuance_overdue, issuance_silence
from organizations.models import Organization


def dashboard_summary(*, user: User) -> dict[str, Any]:
    """What the landing page shows: the platform for the admin, the own organization otherwise."""
    summary: dict[str, Any] = {"organization": user.organization, "scope": "organization"}
    if user.role == Role.ADMIN:
        summary["scope"] = "platform"
        summary["organizations_by_type"] = list(
            Organization.objects.values("organization_type").annotate(count=Count("id")).order_by("organization_type")
        )
        summary["users_by_role"] = list(User.objects.values("role").annotate(count=Count("id")).order_by("role"))
        summary["modules_enabled"] = AclModule.objects.filter(status=ModuleStatus.ENABLE).count()
        summary["modules_disabled"] = AclModule.objects.filter(status=ModuleStatus.DISABLE).count()
        # The worker: a warning when it has not run the scheduled issuance for five minutes.
        last_run = issuance_last_run()
        summary["issuance_last_run"] = last_run
        summary["issuance_overdue"] = issuance_overdue(last_run=last_run)
        summary["issuance_silence_minutes"] = int(issuance_silence().total_seconds() // 60)
    elif user.organization_id is not None:
        summary["members"] = list(
            User.objects.filter(organization_id=user.organization_id)
            .order_by("id")
            .values("first_name", "last_name", "email", "role", "status")
        )
    return summary

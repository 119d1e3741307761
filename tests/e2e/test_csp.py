"""The Content-Security-Policy (no inline script, nothing from elsewhere) does not break any
page: Chromium reports no violation on the portal's pages with HTMX, charts and dialogs, on
the public pages and on the API documentation."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from devices.models import Device
from tests.devices.helpers import device_make


def test_pages_work_under_the_content_security_policy(page, login, developer_admin):
    from organizations.services import organization_access_grant

    organization_access_grant(user=developer_admin, organization=developer_admin.organization)
    device = device_make(developer_admin.organization, "Roof-1")
    Device.objects.filter(pk=device.pk).update(created_at=timezone.now() - timedelta(days=3))
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))

    response = page.goto("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    login(developer_admin.email)
    page.goto(f"/device/view/{device.pk}")
    expect(page.locator("canvas[data-generation]")).to_be_visible()  # drawn by Chart.js (HTMX-loaded)
    page.goto("/reads/add")
    page.get_by_label("External ID").fill("Roof-1")
    page.get_by_label("External ID").dispatch_event("change")
    expect(page.get_by_test_id("device-summary")).to_be_visible()  # re-drawn by HTMX
    page.goto("/swagger/")
    expect(page.get_by_text("D-REC", exact=False).first).to_be_visible()
    expect(page.locator(".swagger-ui .info")).to_be_visible()

    page.context.clear_cookies()
    login(settings.DREC_ADMIN_EMAIL, settings.DREC_ADMIN_PASSWORD)
    page.goto("/admin/permission/user_role/list")
    with page.expect_navigation():
        page.get_by_label("UserRole").select_option(index=1)  # submits itself (data-autosubmit)
    assert "role=" in page.url
    assert violations == []

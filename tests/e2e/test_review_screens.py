"""The screens issue 16 asks to be looked at, at 1366 px and on a 390 px phone, saved under
``var/screenshots/test_review_screens[<width>]/``: the buyer's dashboard, Make A Reservation
with a page of devices, a certificate, its public verification page, and the super admin's
dashboard while an api user waits for approval. Each is checked as the manual's journey is
(``page_checks``: no sideways scroll, the heading in the phone's first screen, axe-core).

Run it on an older commit (with this file and the conftest) to have the "before" pictures."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from acl.models import AclModule
from acl.services import RequestedGrant, api_user_permission_request
from tests.e2e.test_certificates import certificate_issued
from tests.reads.helpers import device_onboarded


@pytest.mark.parametrize("viewport_width", [1366, 390])
def test_review_screens(page, login, snap, page_checks, buyer, developer_admin, api_user):
    issued = certificate_issued(buyer, developer_admin)
    onboarded = timezone.now() - timedelta(days=2)
    for number in range(1, 24):  # more than a page of the device picker
        device_onboarded(developer_admin.organization, f"BULK-SCHOOL-ROOF-{number:03d}", onboarded=onboarded)
    device_module = AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
    api_user_permission_request(user=api_user, items=[RequestedGrant(module_id=device_module.pk, verbs=["Read"])])

    login(buyer.email)
    page.goto("/dashboard")
    snap("dashboard-buyer")
    page.goto("/add/reservation")
    snap("make-a-reservation")
    page.goto(f"/certificate/{issued.certificate.pk}")
    snap("certificate-detail")
    page.context.clear_cookies()
    page.goto(f"/certificate/verify/{issued.certificate.pk}")
    snap("certificate-verify")

    login(settings.DREC_ADMIN_EMAIL, settings.DREC_ADMIN_PASSWORD)
    page.goto("/dashboard")
    snap("dashboard-admin")
    assert page_checks.failures == []

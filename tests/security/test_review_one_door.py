"""Review findings of issue "One door": each test reproduces one finding, with real requests,
and failed on the code as it was (tests/parity holds every portal action to its API twin in
general; these are the cases the review found, by name)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Role
from acl.models import ModulePermission
from devices.models import CsvJob, Device
from organizations.models import Invitation, Organization, OrganizationStatus
from reads.models import YieldConfig
from tests.accounts.apihelpers import login
from tests.certificates.helpers import DAY, T0, device_reading, issue, reservation_make
from tests.devices.helpers import csv_bytes, csv_row
from tests.factories import PASSWORD
from tests.organizations.helpers import member_create


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The portal's writes were guarded by the page's Read rule ---------------------------------


def test_a_read_only_user_of_a_developer_org_cannot_delete_a_device_in_the_portal(world, bearer_for):
    """A User of a developer organization (DEVICE_MANAGEMENT Read only) deleted a device with
    POST /device/AllList action=delete; the API's DELETE answers 403."""
    reader = member_create(world.developer_org, email="reader@example.com", role=Role.USER)

    portal = browser(reader).post("/device/AllList", {"action": "delete", "device": world.device.pk})
    api = bearer_for(reader).delete(f"/api/device/{world.device.pk}")

    assert (portal.status_code, api.status_code) == (403, 403)
    assert Device.objects.filter(pk=world.device.pk).exists()


def test_an_api_user_with_bulk_read_only_cannot_queue_a_bulk_job_in_the_portal(world, bearer_for):
    """An api user with DEVICE_BULK_MANAGEMENT Read only queued a job through POST
    /device/bulk_upload (the API needs Write)."""
    ModulePermission.objects.filter(user=world.api_user, module__name="DEVICE_BULK_MANAGEMENT_CRUDL").update(
        permissions_value=1
    )
    content = csv_bytes([csv_row(1)])

    portal = browser(world.api_user).post(
        "/device/bulk_upload",
        {"organizationId": world.managed.pk, "csvFile": SimpleUploadedFile("d.csv", content, "text/csv")},
    )
    api = bearer_for(world.api_user).post(
        f"/api/device/addByAdmin/process-creation-bulk-devices-csv/{world.managed.pk}",
        {"csvFile": SimpleUploadedFile("d.csv", content, "text/csv")},
        format="multipart",
    )

    assert (portal.status_code, api.status_code) == (403, 403)
    assert not CsvJob.objects.exists()


def test_an_api_user_with_organization_read_only_cannot_send_invitations_from_the_portal(world, bearer_for):
    """An api user with ADMIN_APIUSER_ORGANIZATION Read only (and INVITATION Read) sent
    invitations from /admin/AllOrganization_users/<org>; the API needs INVITATION Write."""
    ModulePermission.objects.filter(user=world.api_user, module__name="INVITATION_MANAGEMENT_CRUDL").update(
        permissions_value=1
    )
    invitee = {"email": "guest@example.com", "role": "User", "firstName": "G", "lastName": "Uest"}

    portal = browser(world.api_user).post(f"/admin/AllOrganization_users/{world.managed.pk}", invitee)
    api = bearer_for(world.api_user).post(f"/api/invitation?organizationId={world.managed.pk}", invitee, format="json")

    assert (portal.status_code, api.status_code) == (403, 403)
    assert not Invitation.objects.filter(email="guest@example.com").exists()


def test_a_member_with_invitation_read_only_cannot_send_invitations_from_the_organizations_page(world, bearer_for):
    """/organization/user/invitation's POST was guarded by INVITATION_MANAGEMENT Read."""
    ModulePermission.objects.filter(
        role__name=Role.ORGANIZATION_ADMIN, module__name="INVITATION_MANAGEMENT_CRUDL"
    ).update(permissions_value=1)
    invitee = {"email": "guest@example.com", "role": "User"}

    portal = browser(world.developer_admin).post("/organization/user/invitation", invitee)
    api = bearer_for(world.developer_admin).post("/api/invitation", invitee, format="json")

    assert (portal.status_code, api.status_code) == (403, 403)
    assert not Invitation.objects.exists()


# --- Tenancy of reads ------------------------------------------------------------------------


@pytest.fixture
def read_device(world):
    """A direct developer's device with a day of hourly reads."""
    return device_reading(world.developer_org, "READ-1", count=24, value=1000)


def test_a_user_of_a_buyer_org_cannot_read_a_direct_developers_meter_reads(world, read_device, bearer_for):
    """readable_device narrowed only Buyer and SubBuyer: a plain User of a direct buyer org read
    any direct developer's reads and chart in the portal; the API answers 404."""
    user = member_create(world.buyer_org, email="buyer-user@example.com", role=Role.USER)
    client = browser(user)

    listing = client.get(f"/reads/All?device={read_device.pk}")
    chart = client.get(f"/device/view/{read_device.pk}/generation")
    api = bearer_for(user).get(f"/api/meter-reads/new/{read_device.pk}?readType=meterReads")

    assert listing.status_code == 200
    assert listing.context["device"] is None
    assert listing.context["page"] is None
    assert chart.status_code == 404
    assert api.status_code == 404


def test_a_buyer_orgs_user_reads_the_devices_its_organization_reserved(world, read_device, bearer_for):
    """The same rule, the other way: the reads of a reserved device are visible to every member
    of the reserving organization, in both doors."""
    reservation = reservation_make(world.buyer, [read_device], frequency="daily")
    issue(reservation, now=T0 + 2 * DAY)
    user = member_create(world.buyer_org, email="buyer-user@example.com", role=Role.USER)

    listing = browser(user).get(f"/reads/All?device={read_device.pk}")
    api = bearer_for(user).get(f"/api/meter-reads/new/{read_device.pk}?readType=meterReads")

    assert listing.context["device"] == read_device
    assert api.status_code == 200


# --- Plain bad input was a 500 ----------------------------------------------------------------


def test_a_device_that_is_not_a_number_in_the_device_list_form_is_404_not_500(world):
    response = browser(world.developer_admin).post("/device/AllList", {"action": "delete", "device": "abc"})
    assert response.status_code == 404


def test_an_unknown_action_of_a_portal_form_is_400_not_a_write(world):
    response = browser(world.developer_admin).post("/device/AllList", {"action": "drop", "device": world.device.pk})
    assert response.status_code == 400
    assert Device.objects.filter(pk=world.device.pk).exists()


def test_a_method_a_portal_page_does_not_declare_is_405(world):
    assert browser(world.admin).delete("/device/AllList").status_code == 405
    assert browser(world.admin).get(f"/admin/user/{world.developer_admin.pk}/delete").status_code == 405


# --- Open redirect --------------------------------------------------------------------------


def test_member_edit_ignores_an_offsite_next_in_its_cancel_link(world):
    """?next= was copied unchecked into the Cancel link of member_edit.html."""
    member = world.managed_admin
    page = browser(world.api_user).get(f"/admin/edit_user/{member.pk}?next=https://evil.example/phish")
    html = page.content.decode()

    assert page.status_code == 200
    assert "evil.example" not in html
    assert re.search(r'href="/admin/All_users"[^>]*>Cancel', html)
    same_site = browser(world.api_user).get(f"/admin/edit_user/{member.pk}?next=/apiuser/All_users?page=2")
    assert 'href="/apiuser/All_users?page=2"' in same_site.content.decode()


# --- The suspected items ----------------------------------------------------------------------


def test_any_yield_grantee_cannot_change_the_plausibility_caps_of_all_tenants(world, grant, bearer_for):
    """A country's yield caps every tenant's reads there: only the super admin changes it, even
    for an api user approved for YIELD_CONFIG_MANAGEMENT Write and Update."""
    grant(world.api_user, "YIELD_CONFIG_MANAGEMENT_CRUDL", "Read", "Write", "Update")
    config = YieldConfig.objects.create(country_id="IND", yield_value=1500)
    api = bearer_for(world.api_user)

    assert api.post("/api/yield/config", {"countryCode": "KEN", "yieldValue": 99999}, format="json").status_code == 403
    assert api.patch(f"/api/yield/config/{config.pk}", {"yieldValue": 99999}, format="json").status_code == 403
    assert browser(world.api_user).post(f"/admin/yield/edit/{config.pk}", {"yieldValue": 99999}).status_code == 403
    assert api.get("/api/yield/config").status_code == 200  # reading them stays open to grantees
    config.refresh_from_db()
    assert config.yield_value == 1500
    admin = bearer_for(world.admin)
    assert admin.patch(f"/api/yield/config/{config.pk}", {"yieldValue": 1600}, format="json").status_code == 200


def test_a_denied_organization_is_checked_its_members_and_its_api_user_stop(world, bearer_for, api_client):
    """Organization status Denied was checked nowhere."""
    token_client = bearer_for(world.developer_admin)
    assert token_client.get("/api/user/me").status_code == 200
    admin = bearer_for(world.admin)

    denied = admin.patch(f"/api/admin/organizations/{world.developer_org.pk}", {"status": "Denied"}, format="json")
    assert denied.status_code == 200
    assert login(api_client, world.developer_admin.email, PASSWORD).status_code == 401
    assert token_client.get("/api/user/me").status_code == 401
    assert browser(world.developer_admin).get("/dashboard").status_code == 302  # signed out

    admin.patch(f"/api/admin/organizations/{world.managed.pk}", {"status": "Denied"}, format="json")
    refused = bearer_for(world.api_user).post(
        "/api/device", {**device_body("DENIED-1"), "organizationId": world.managed.pk}, format="json"
    )
    assert refused.status_code == 403
    assert "denied" in refused.json()["message"]
    assert not Device.objects.filter(external_id="DENIED-1").exists()

    admin.patch(f"/api/admin/organizations/{world.developer_org.pk}", {"status": "Active"}, format="json")
    assert login(api_client, world.developer_admin.email, PASSWORD).status_code == 200


def test_a_submitted_organization_still_works(world, bearer_for):
    """Only Denied stops an organization; Submitted (awaiting a review) does not."""
    Organization.objects.filter(pk=world.managed.pk).update(status=OrganizationStatus.SUBMITTED)
    created = bearer_for(world.api_user).post(
        "/api/device", {**device_body("SUBMITTED-1"), "organizationId": world.managed.pk}, format="json"
    )
    assert created.status_code == 201


def device_body(external_id: str) -> dict:
    return {
        "externalId": external_id,
        "address": "1 Sun Lane",
        "latitude": "18.52",
        "longitude": "73.85",
        "countryCode": "IND",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC120",
        "capacity": "2.5",
        "commissioningDate": "2022-10-18T11:35:27Z",
    }

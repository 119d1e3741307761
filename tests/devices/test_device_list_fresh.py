"""``GET /api/device/my`` reuses a page of an organization's list (devices.api keeps it under
the organization's device_list_version): every write that changes the list, by any door, must
show in the very next answer, and the list costs the statements it is meant to.

Each test asks for the list first, so that the page is kept, then writes, then asks again."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from devices.models import Device, SdgBenefit
from organizations.models import Organization
from tests.certificates.helpers import reservation_make
from tests.devices.helpers import DEVICE_URL, MY_URL, card, csv_bytes, csv_row, device_body, device_make

pytestmark = pytest.mark.django_db


def listed(client, **query) -> dict[str, dict]:
    """The list's devices by externalId (the first page, as a client asks for it)."""
    response = client.get(MY_URL, query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totalCount"] == len(body["devices"])  # one page holds them all here
    return {device["externalId"]: device for device in body["devices"]}


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def developer(client_for, tenants):
    """The API client of the direct Developer organization's admin, with two devices listed."""
    device_make(tenants.developer_org, "Roof-1", SDGBenefits=["SDG7"])
    device_make(tenants.developer_org, "Roof-2")
    client = client_for(tenants.developer_admin)
    assert set(listed(client)) == {"Roof-1", "Roof-2"}
    return client


# --- The page is kept, and costs what it should ---------------------------------------------------


def test_an_unchanged_list_is_answered_from_the_kept_page(developer, django_assert_num_queries):
    first = developer.get(MY_URL).json()
    with django_assert_num_queries(1):  # the token lookup alone: it reads the list's version
        again = developer.get(MY_URL).json()
    assert again == first


def test_a_page_not_kept_yet_costs_the_token_lookup_and_one_statement(developer, django_assert_num_queries):
    with django_assert_num_queries(2):  # another page size: a page not asked for before
        shown = developer.get(MY_URL, {"limit": 1}).json()
    assert (len(shown["devices"]), shown["totalCount"], shown["totalPages"]) == (1, 2, 2)
    with django_assert_num_queries(2):  # a filtered list is built each time
        assert developer.get(MY_URL, {"fuelCode": "ES100"}).json()["totalCount"] == 2
    with django_assert_num_queries(2):
        assert developer.get(MY_URL, {"fuelCode": "ES100"}).json()["totalCount"] == 2


def test_each_statement_is_recorded_with_its_sql_once_prepared(developer, django_assert_num_queries):
    """The token lookup and the page are prepared statements after a few runs on a connection
    (drec.rawsql): their SQL is still what Django records."""
    for _ in range(8):
        developer.get(MY_URL, {"limit": 1})
    with django_assert_num_queries(2) as captured:
        developer.get(MY_URL, {"fuelCode": "ES100"})
    statements = [query["sql"] for query in captured.captured_queries]
    assert 'FROM "accounts_accesstoken"' in statements[0]
    assert "json_build_object" in statements[1]


# --- Writes through the API ------------------------------------------------------------------------


def test_a_device_registered_through_the_api_is_listed_at_once(developer):
    response = developer.post(DEVICE_URL, device_body(externalId="Roof-3"), format="json")
    assert response.status_code == 201, response.content
    assert set(listed(developer)) == {"Roof-1", "Roof-2", "Roof-3"}


def test_a_change_through_the_api_is_listed_at_once(developer):
    response = developer.patch(f"{DEVICE_URL}/Roof-1", {"projectName": "Bigger roof", "capacity": 9.75}, format="json")
    assert response.status_code == 200, response.content
    shown = listed(developer)["Roof-1"]
    assert (shown["projectName"], shown["capacity"]) == ("Bigger roof", 9.75)


def test_sdg_benefits_changed_through_the_api_are_listed_at_once(developer):
    response = developer.patch(f"{DEVICE_URL}/Roof-2", {"SDGBenefits": ["SDG1", "SDG13"]}, format="json")
    assert response.status_code == 200, response.content
    assert listed(developer)["Roof-2"]["SDGBenefits"] == ["No Poverty", "Climate Action"]
    assert developer.patch(f"{DEVICE_URL}/Roof-2", {"SDGBenefits": []}, format="json").status_code == 200
    assert listed(developer)["Roof-2"]["SDGBenefits"] == []


def test_a_device_deleted_through_the_api_leaves_the_list_at_once(developer):
    device = Device.objects.get(external_id="Roof-1")
    assert developer.delete(f"{DEVICE_URL}/{device.pk}").status_code == 200
    assert set(listed(developer)) == {"Roof-2"}


# --- Writes through the portal, bulk upload and the Django admin ----------------------------------


def test_a_device_registered_in_the_portal_is_listed_at_once(developer, tenants):
    response = browser_of(tenants.developer_admin).post("/device/add", {"action": "submit", "count": 1, **card()})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(listed(developer)) == {"Roof-1", "Roof-2", "Portal-1"}


def test_a_change_in_the_portal_is_listed_at_once(developer, tenants):
    device = Device.objects.get(external_id="Roof-2")
    browser = browser_of(tenants.developer_admin)
    fields = {
        "projectName": "Edited in the portal",
        "externalId": "Roof-2",
        "countryCode": "KEN",
        "commissioningDate": "2022-10-18T11:35",
        "capacity": "4",
        "address": "5 Portal Road",
        "latitude": "1.28",
        "longitude": "36.82",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC120",
        "SDGBenefits": ["SDG7"],
    }
    response = browser.post(f"/device/edit/{device.pk}", fields)
    assert response.status_code == 302, response.content.decode()[:3000]
    shown = listed(developer)["Roof-2"]
    assert (shown["projectName"], shown["countryCode"], shown["capacity"]) == ("Edited in the portal", "KEN", 4)
    assert shown["SDGBenefits"] == ["Affordable and Clean Energy"]


def test_a_device_deleted_in_the_portal_leaves_the_list_at_once(developer, tenants):
    device = Device.objects.get(external_id="Roof-2")
    response = browser_of(tenants.developer_admin).post("/device/AllList", {"action": "delete", "device": device.pk})
    assert response.status_code == 302
    assert set(listed(developer)) == {"Roof-1"}


def test_devices_of_a_bulk_upload_are_listed_at_once(developer, tenants, committed):
    upload = {
        "csvFile": SimpleUploadedFile("devices.csv", csv_bytes([csv_row(1), csv_row(2)]), content_type="text/csv")
    }
    with committed():
        response = browser_of(tenants.developer_admin).post("/device/bulk_upload", upload)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(listed(developer)) == {"Roof-1", "Roof-2", "BULK-0001", "BULK-0002"}


def test_a_device_deleted_in_the_django_admin_leaves_the_list_at_once(developer, admin_user):
    device = Device.objects.get(external_id="Roof-1")
    admin = browser_of(admin_user)
    response = admin.post(reverse("admin:devices_device_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert LogEntry.objects.filter(object_id=str(device.pk)).exists()  # the admin did delete it
    assert set(listed(developer)) == {"Roof-2"}


# --- Writes that change what the list shows of its devices ----------------------------------------


def test_a_reservation_taking_a_device_is_listed_at_once(developer, tenants):
    device = Device.objects.get(external_id="Roof-1")
    assert listed(developer)["Roof-1"]["groupId"] is None
    reservation = reservation_make(tenants.buyer, [device], frequency="daily")
    assert listed(developer)["Roof-1"]["groupId"] == reservation.pk
    reservation.memberships.update(is_active=False)  # as the reservation's end releases it
    assert listed(developer)["Roof-1"]["groupId"] is None


def test_a_device_moved_to_another_organization_moves_between_their_lists(developer, client_for, tenants):
    rival = client_for(tenants.rival_admin)
    assert listed(rival) == {}
    Device.objects.filter(external_id="Roof-1").update(organization=tenants.rival_org)  # however it is made
    assert set(listed(developer)) == {"Roof-2"}
    assert set(listed(rival)) == {"Roof-1"}


def test_the_version_moves_on_when_the_organizations_api_user_changes(tenants):
    """Each device shows its organization's api user (api_user_id). Members of a managed
    organization cannot use the API, so no kept page shows it yet: the version still moves."""
    organization = tenants.developer_org
    organization.refresh_from_db()
    before = organization.device_list_version
    Organization.objects.filter(pk=organization.pk).update(name="Renamed Solar")
    organization.refresh_from_db()
    assert organization.device_list_version == before
    Organization.objects.filter(pk=organization.pk).update(api_user=tenants.api_user.api_user)
    organization.refresh_from_db()
    assert organization.device_list_version != before


def test_a_renamed_sdg_benefit_is_listed_at_once(developer):
    benefit = SdgBenefit.objects.get(code="SDG7")
    benefit.name = "Clean Energy For All"
    benefit.save()
    assert listed(developer)["Roof-1"]["SDGBenefits"] == ["Clean Energy For All"]


def test_another_organizations_write_keeps_the_page(developer, tenants, django_assert_num_queries):
    device_make(tenants.rival_org, "Rival-1")
    with django_assert_num_queries(1):
        assert set(listed(developer)) == {"Roof-1", "Roof-2"}

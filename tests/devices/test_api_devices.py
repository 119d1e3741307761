"""Device registration, reading, update and deletion over the API (SPEC §5, backend.md §7.2-7.7)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from acl.models import AclModule, EntityType, ModulePermission
from devices.models import Device
from tests.devices.helpers import DEVICE_KEYS, DEVICE_URL, OMIT, device_body, device_make
from tests.organizations.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def developer(client_for, developer_admin):
    """An API client of the direct developer organization's admin."""
    return client_for(developer_admin)


def register(client, **overrides):
    return client.post(DEVICE_URL, device_body(**overrides), format="json")


# --- Registration: the shape of the answer -----------------------------------------------------


def test_registration_answers_the_device_with_the_originals_keys(developer, developer_admin):
    before = timezone.now()
    response = register(developer, SDGBenefits=["SDG1", "quality education", "sdg13"], offTaker="School")
    assert response.status_code == 201, response.content
    device = response.json()
    assert set(device) == DEVICE_KEYS
    assert device["externalId"] == "SHS-0001"
    assert device["organizationId"] == developer_admin.organization_id
    assert device["latitude"] == "18.5204"
    assert device["longitude"] == "73.8567"
    assert device["countryCode"] == "IND"
    assert device["capacity"] == 2.5
    assert device["offTaker"] == "School"
    assert sorted(device["SDGBenefits"]) == ["Climate Action", "No Poverty", "Quality Education"]
    assert parse_datetime(device["commissioningDate"]) == datetime(2022, 10, 18, 11, 35, 27, 640000, tzinfo=UTC)
    assert device["yieldValue"] == 2000
    assert device["version"] == "1.0"
    assert device["IREC_Status"] == "NotRegistered"
    assert device["timezone"] == "Asia/Kolkata"  # the country's zone until a read says otherwise
    assert device["groupId"] is None
    assert device["api_user_id"] is None  # a direct developer's device
    assert uuid.UUID(device["internalexternalId"])
    assert before <= parse_datetime(device["createdAt"]) <= timezone.now()
    stored = Device.objects.get(pk=device["id"])
    assert str(stored.uid) == device["internalexternalId"]
    assert sorted(stored.sdg_benefits.values_list("code", flat=True)) == ["SDG1", "SDG13", "SDG4"]


def test_coordinates_may_be_numbers_and_are_answered_as_strings(developer):
    response = register(developer, latitude=-33.5, longitude=151)
    assert response.status_code == 201, response.content
    assert (response.json()["latitude"], response.json()["longitude"]) == ("-33.5", "151")


def test_the_extremes_of_the_coordinates_are_accepted(developer):
    response = register(developer, latitude="-90", longitude="180")
    assert response.status_code == 201, response.content
    assert (response.json()["latitude"], response.json()["longitude"]) == ("-90", "180")


def test_external_id_is_trimmed(developer):
    response = register(developer, externalId="  Roof 7_b-2  ")
    assert response.status_code == 201, response.content
    assert response.json()["externalId"] == "Roof 7_b-2"
    assert Device.objects.get().external_id == "Roof 7_b-2"


def test_country_code_in_lower_case_is_accepted_and_stored_upper_case(developer):
    response = register(developer, countryCode="ken")
    assert response.status_code == 201, response.content
    assert response.json()["countryCode"] == "KEN"
    assert response.json()["timezone"] == "Africa/Nairobi"


def test_optional_fields_are_kept(developer):
    response = register(
        developer,
        gridInterconnection=True,
        energyStorage=True,
        energyStorageCapacity=0,
        deviceDescription="Mini Grid",
        impactStory="Lights for the school",
        qualityLabels="IEC",
        images=["https://example.org/a.png"],
    )
    assert response.status_code == 201, response.content
    device = response.json()
    assert device["gridInterconnection"] is True
    assert device["energyStorage"] is True
    assert device["energyStorageCapacity"] == 0
    assert device["deviceDescription"] == "Mini Grid"
    assert device["impactStory"] == "Lights for the school"
    assert device["qualityLabels"] == "IEC"
    assert device["images"] == ["https://example.org/a.png"]


# --- Registration: field rules -------------------------------------------------------------------

INVALID = [
    pytest.param({"externalId": OMIT}, "externalId", id="externalId-missing"),
    pytest.param({"externalId": ""}, "externalId", id="externalId-empty"),
    pytest.param({"externalId": "   "}, "externalId", id="externalId-blank"),
    pytest.param({"externalId": "SHS/01"}, "externalId", id="externalId-slash"),
    pytest.param({"externalId": "SHS.01"}, "externalId", id="externalId-dot"),
    pytest.param({"externalId": "Ünï"}, "externalId", id="externalId-non-ascii"),
    pytest.param({"externalId": 5}, "externalId", id="externalId-number"),
    pytest.param({"address": OMIT}, "address", id="address-missing"),
    pytest.param({"address": ""}, "address", id="address-empty"),
    pytest.param({"address": "   "}, "address", id="address-blank"),
    pytest.param({"latitude": OMIT}, "latitude", id="latitude-missing"),
    pytest.param({"latitude": "91"}, "latitude", id="latitude-91"),
    pytest.param({"latitude": -90.5}, "latitude", id="latitude--90.5"),
    pytest.param({"latitude": 123}, "latitude", id="latitude-123"),
    pytest.param({"latitude": "north"}, "latitude", id="latitude-text"),
    pytest.param({"longitude": OMIT}, "longitude", id="longitude-missing"),
    pytest.param({"longitude": "180.5"}, "longitude", id="longitude-180.5"),
    pytest.param({"longitude": -181}, "longitude", id="longitude--181"),
    pytest.param({"longitude": "1000"}, "longitude", id="longitude-1000"),
    pytest.param({"countryCode": OMIT}, "countryCode", id="countryCode-missing"),
    pytest.param({"countryCode": "XYZ"}, "countryCode", id="countryCode-unknown"),
    pytest.param({"countryCode": "IN"}, "countryCode", id="countryCode-alpha2"),
    pytest.param({"countryCode": "INDIA"}, "countryCode", id="countryCode-name"),
    pytest.param({"fuelCode": OMIT}, "fuelCode", id="fuelCode-missing"),
    pytest.param({"fuelCode": "ES990"}, "fuelCode", id="fuelCode-unknown"),
    pytest.param({"deviceTypeCode": OMIT}, "deviceTypeCode", id="deviceTypeCode-missing"),
    pytest.param({"deviceTypeCode": "TC999"}, "deviceTypeCode", id="deviceTypeCode-unknown"),
    pytest.param({"offTaker": "Spaceport"}, "offTaker", id="offTaker-unknown"),
    pytest.param({"deviceDescription": "Nuclear Plant"}, "deviceDescription", id="deviceDescription-unknown"),
    pytest.param({"capacity": OMIT}, "capacity", id="capacity-missing"),
    pytest.param({"capacity": 0}, "capacity", id="capacity-0"),
    pytest.param({"capacity": -1.5}, "capacity", id="capacity-negative"),
    pytest.param({"capacity": "abc"}, "capacity", id="capacity-text"),
    pytest.param({"capacity": "NaN"}, "capacity", id="capacity-nan"),
    pytest.param({"energyStorageCapacity": -0.1}, "energyStorageCapacity", id="energyStorageCapacity-negative"),
    pytest.param({"energyStorageCapacity": "lots"}, "energyStorageCapacity", id="energyStorageCapacity-text"),
    pytest.param({"commissioningDate": OMIT}, "commissioningDate", id="commissioningDate-missing"),
    pytest.param({"commissioningDate": "18/10/2022"}, "commissioningDate", id="commissioningDate-not-iso"),
    pytest.param({"commissioningDate": "2022-02-30T10:00:00Z"}, "commissioningDate", id="commissioningDate-feb-30"),
    pytest.param({"commissioningDate": "yesterday"}, "commissioningDate", id="commissioningDate-word"),
    pytest.param({"SDGBenefits": ["SDG1", "SDG99"]}, "SDGBenefits", id="SDGBenefits-unknown-code"),
    pytest.param({"SDGBenefits": ["Happiness"]}, "SDGBenefits", id="SDGBenefits-unknown-title"),
    pytest.param({"SDGBenefits": "SDG1"}, "SDGBenefits", id="SDGBenefits-not-a-list"),
    pytest.param({"gridInterconnection": "maybe"}, "gridInterconnection", id="gridInterconnection-maybe"),
    pytest.param({"energyStorage": "perhaps"}, "energyStorage", id="energyStorage-perhaps"),
    pytest.param({"images": "photo.png"}, "images", id="images-not-a-list"),
    pytest.param({"address": ["1 Road"]}, "address", id="address-list"),
    pytest.param({"projectName": 42}, "projectName", id="projectName-number"),
]


@pytest.mark.parametrize(("overrides", "field"), INVALID)
def test_an_invalid_field_is_a_400_naming_it_and_registers_nothing(developer, overrides, field):
    response = register(developer, **overrides)
    assert_error(response, 400, field)
    assert not Device.objects.exists()


def test_a_commissioning_date_in_the_future_is_refused(developer):
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    body = assert_error(register(developer, commissioningDate=tomorrow), 400, "commissioningDate")
    assert "must not be in the future" in body["errors"]["commissioningDate"][0]
    assert not Device.objects.exists()


def test_every_bad_field_is_named_at_once(developer):
    body = assert_error(register(developer, capacity="abc", latitude="north", countryCode=7), 400)
    assert {"capacity", "latitude", "countryCode"} <= set(body["errors"])


def test_rule_errors_are_all_named_together(developer):
    body = assert_error(register(developer, capacity=0, countryCode="XYZ", deviceTypeCode="TC999"), 400)
    assert {"capacity", "countryCode", "deviceTypeCode"} <= set(body["errors"])


def test_malformed_json_is_a_400(developer):
    response = developer.post(DEVICE_URL, data='{"externalId": "SHS-1",', content_type="application/json")
    assert_error(response, 400)
    assert not Device.objects.exists()


def test_a_json_list_instead_of_an_object_is_a_400(developer):
    response = developer.post(DEVICE_URL, [device_body()], format="json")
    assert_error(response, 400)


def test_sdg_benefits_accept_codes_and_titles_in_any_case(developer):
    response = register(developer, SDGBenefits=["sdg7", "Clean Water and Sanitation", "SDG7"])
    assert response.status_code == 201, response.content
    assert sorted(response.json()["SDGBenefits"]) == ["Affordable and Clean Energy", "Clean Water and Sanitation"]


# --- Registration: uniqueness of externalId ---------------------------------------------------


def test_external_id_is_unique_in_the_organization_whatever_its_case(developer):
    assert register(developer, externalId="Roof-7").status_code == 201
    body = assert_error(register(developer, externalId="  rOOF-7 "), 409)
    assert body["message"].startswith("ExternalId already exist in this organization")
    assert "externalId" in body["errors"]
    assert Device.objects.count() == 1


def test_the_same_external_id_in_another_organization_is_fine(developer, client_for, tenants):
    assert register(developer, externalId="Roof-7").status_code == 201
    response = register(client_for(tenants.rival_admin), externalId="ROOF-7")
    assert response.status_code == 201, response.content
    assert response.json()["organizationId"] == tenants.rival_org.pk
    assert Device.objects.filter(external_id__iexact="roof-7").count() == 2


# --- Registration: no mass assignment --------------------------------------------------------


def test_server_owned_fields_in_the_body_are_ignored(developer, tenants):
    other = uuid.uuid4()
    response = register(
        developer,
        createdAt="2015-01-01T00:00:00Z",
        updatedAt="2015-01-01T00:00:00Z",
        yieldValue=99999,
        meterReadtype="Delta",
        timezone="Asia/Tokyo",
        IREC_Status="Approved",
        IREC_ID="IREC-1",
        api_user_id=str(tenants.api_user.api_user.api_user_id),
        id=424242,
        internalexternalId=str(other),
        groupId=7,
        organization=tenants.rival_org.pk,
    )
    assert response.status_code == 201, response.content
    device = response.json()
    onboarded = parse_datetime(device["createdAt"])
    assert timezone.now() - onboarded < timedelta(minutes=1)
    assert device["yieldValue"] == 2000
    assert device["meterReadtype"] is None
    assert device["timezone"] == "Asia/Kolkata"
    assert device["IREC_Status"] == "NotRegistered"
    assert device["IREC_ID"] is None
    assert device["api_user_id"] is None
    assert device["id"] != 424242
    assert device["internalexternalId"] != str(other)
    assert device["groupId"] is None
    assert device["organizationId"] == tenants.developer_org.pk
    stored = Device.objects.get(pk=device["id"])
    assert stored.created_at == onboarded
    assert (stored.yield_value, stored.meter_read_type, stored.timezone, stored.irec_status) == (
        2000,
        "",
        "",
        "NotRegistered",
    )


# --- Registration: tenancy and roles -----------------------------------------------------------


def test_an_api_user_registers_into_a_developer_organization_it_manages(client_for, tenants):
    response = register(client_for(tenants.api_user), organizationId=tenants.managed.pk)
    assert response.status_code == 201, response.content
    device = response.json()
    assert device["organizationId"] == tenants.managed.pk
    assert device["api_user_id"] == str(tenants.api_user.api_user.api_user_id)
    assert Device.objects.get().organization == tenants.managed


def test_an_api_user_must_name_the_organization(client_for, tenants):
    assert_error(register(client_for(tenants.api_user)), 400, "organizationId")
    assert not Device.objects.exists()


def test_an_api_users_buyer_organization_cannot_hold_devices(client_for, tenants):
    body = assert_error(register(client_for(tenants.api_user), organizationId=tenants.managed_buyer.pk), 403)
    assert "Buyer organization" in body["message"]
    assert not Device.objects.exists()


@pytest.mark.parametrize("target", ["other_managed", "developer_org", "rival_org"])
def test_an_api_user_cannot_register_into_another_tenants_organization(client_for, tenants, target):
    response = register(client_for(tenants.api_user), organizationId=getattr(tenants, target).pk)
    assert_error(response, 404)
    assert not Device.objects.exists()


def test_an_api_user_without_the_device_grant_is_refused(client_for, tenants):
    ModulePermission.objects.filter(
        entity_type=EntityType.USER, user=tenants.api_user, module__name="DEVICE_MANAGEMENT_CRUDL"
    ).delete()
    response = register(client_for(tenants.api_user), organizationId=tenants.managed.pk)
    assert_error(response, 403)
    assert not Device.objects.exists()


def test_a_developer_cannot_register_into_another_organization(developer, tenants):
    assert_error(register(developer, organizationId=tenants.rival_org.pk), 404)
    assert not Device.objects.exists()


def test_a_device_owner_registers_into_its_own_organization(client_for, device_owner):
    response = register(client_for(device_owner))
    assert response.status_code == 201, response.content
    assert response.json()["organizationId"] == device_owner.organization_id


def test_the_super_admin_registers_for_a_named_developer_organization(client_for, admin_user, tenants):
    assert_error(register(client_for(admin_user)), 400, "organizationId")
    assert_error(register(client_for(admin_user), organizationId=tenants.buyer_org.pk), 403)
    response = register(client_for(admin_user), organizationId=tenants.managed.pk)
    assert response.status_code == 201, response.content
    assert response.json()["organizationId"] == tenants.managed.pk


@pytest.mark.parametrize("persona", ["buyer", "sub_buyer"])
def test_buyers_cannot_register_devices(client_for, request, persona):
    user = request.getfixturevalue(persona)
    assert_error(register(client_for(user)), 403)
    assert not Device.objects.exists()


def test_anonymous_callers_are_401(api_client):
    assert_error(api_client.post(DEVICE_URL, device_body(), format="json"), 401)
    assert_error(api_client.get("/api/device/my"), 401)
    assert_error(api_client.get(f"{DEVICE_URL}/1"), 401)
    assert_error(api_client.patch(f"{DEVICE_URL}/SHS-1", {"projectName": "x"}, format="json"), 401)
    assert_error(api_client.delete(f"{DEVICE_URL}/1"), 401)
    assert not Device.objects.exists()


# --- One device ----------------------------------------------------------------------------------


def test_get_one_device(developer, developer_org):
    device = device_make(developer_org, "Roof-1", SDGBenefits=["SDG7"])
    response = developer.get(f"{DEVICE_URL}/{device.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == DEVICE_KEYS
    assert (body["id"], body["externalId"], body["SDGBenefits"]) == (
        device.pk,
        "Roof-1",
        ["Affordable and Clean Energy"],
    )


def test_an_api_user_gets_a_device_of_its_tenant_with_or_without_the_organization(client_for, tenants):
    device = device_make(tenants.managed, "M-1")
    client = client_for(tenants.api_user)
    assert client.get(f"{DEVICE_URL}/{device.pk}").json()["externalId"] == "M-1"
    response = client.get(
        f"{DEVICE_URL}/{device.pk}",
        {"organizationId": tenants.managed.pk, "apiUserId": str(tenants.api_user.api_user.api_user_id)},
    )
    assert response.status_code == 200
    assert response.json()["api_user_id"] == str(tenants.api_user.api_user.api_user_id)
    # Named with another of its organizations, the device is not there.
    assert_error(client.get(f"{DEVICE_URL}/{device.pk}", {"organizationId": tenants.managed2.pk}), 404)


def test_an_unknown_device_is_404(developer):
    assert_error(developer.get(f"{DEVICE_URL}/987654"), 404)


OUTSIDERS = [
    ("other_api_user", "managed"),
    ("developer_admin", "managed"),
    ("rival_admin", "developer_org"),
    ("api_user", "developer_org"),
    ("api_user", "other_managed"),
    ("buyer", "managed"),  # a direct buyer's tenant has only the direct developers
]


@pytest.mark.parametrize(("caller", "owner"), OUTSIDERS)
def test_another_tenants_device_is_404_for_get_patch_and_delete(client_for, tenants, caller, owner):
    organization = getattr(tenants, owner)
    device = device_make(organization, "Secret-1")
    client = client_for(getattr(tenants, caller))
    assert_error(client.get(f"{DEVICE_URL}/{device.pk}"), 404)
    patch_query = f"?organizationId={organization.pk}" if caller.endswith("api_user") else ""
    if caller != "buyer":  # a buyer holds no Update grant: refused before any lookup
        response = client.patch(f"{DEVICE_URL}/Secret-1{patch_query}", {"projectName": "Stolen"}, format="json")
        assert_error(response, 404)
        assert_error(client.delete(f"{DEVICE_URL}/{device.pk}"), 404)
    device.refresh_from_db()
    assert device.project_name == ""


def test_a_buyer_sees_the_devices_of_its_tenants_developers_but_cannot_change_them(client_for, tenants):
    device = device_make(tenants.developer_org, "Roof-9")
    client = client_for(tenants.buyer)
    assert client.get(f"{DEVICE_URL}/{device.pk}").json()["externalId"] == "Roof-9"
    # The default grants give buyers Read only on devices.
    assert_error(client.patch(f"{DEVICE_URL}/Roof-9", {"projectName": "Mine"}, format="json"), 403)
    assert_error(client.delete(f"{DEVICE_URL}/{device.pk}"), 403)
    device.refresh_from_db()
    assert device.project_name == ""


def test_a_buyer_cannot_delete_a_developers_device_even_when_its_role_may_delete(client_for, tenants):
    """Object-level tenancy holds on its own: with Update and Delete added to the Buyer role,
    the device still is not the buyer's to change (404, its existence stays hidden)."""
    ModulePermission.objects.filter(
        entity_type=EntityType.ROLE, role__name="Buyer", module=AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
    ).update(permissions_value=15)
    device = device_make(tenants.developer_org, "Roof-9")
    client = client_for(tenants.buyer)
    assert_error(client.delete(f"{DEVICE_URL}/{device.pk}"), 404)
    response = client.patch(f"{DEVICE_URL}/Roof-9", {"projectName": "Mine"}, format="json")
    assert "Buyer organization" in assert_error(response, 403)["message"]  # devices live in Developer orgs
    device.refresh_from_db()
    assert device.project_name == ""
    assert Device.objects.filter(pk=device.pk).exists()


# --- Update ---------------------------------------------------------------------------------------


def patch(client, external_id: str, organization=None, **body):
    query = f"?organizationId={organization.pk}" if organization is not None else ""
    return client.patch(f"{DEVICE_URL}/{external_id}{query}", body, format="json")


def test_patch_changes_the_given_fields_only(developer, developer_org):
    device = device_make(developer_org, "Roof-1", SDGBenefits=["SDG1"], offTaker="School")
    response = patch(
        developer,
        "Roof-1",
        projectName="Renamed",
        capacity=7.25,
        countryCode="ken",
        SDGBenefits=["SDG13", "Quality Education"],
        gridInterconnection=True,
        latitude=-1.5,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == DEVICE_KEYS
    assert (body["projectName"], body["capacity"], body["countryCode"], body["latitude"]) == (
        "Renamed",
        7.25,
        "KEN",
        "-1.5",
    )
    assert sorted(body["SDGBenefits"]) == ["Climate Action", "Quality Education"]
    assert body["gridInterconnection"] is True
    assert body["offTaker"] == "School"  # untouched
    assert body["externalId"] == "Roof-1"
    again = developer.get(f"{DEVICE_URL}/{device.pk}").json()
    assert again["projectName"] == "Renamed"
    assert again["capacity"] == 7.25
    assert sorted(again["SDGBenefits"]) == ["Climate Action", "Quality Education"]


def test_patch_finds_the_device_by_external_id_in_any_case(developer, developer_org):
    device_make(developer_org, "Roof-AbC")
    response = patch(developer, "rOOF-abc", projectName="Found")
    assert response.status_code == 200, response.content
    assert response.json()["externalId"] == "Roof-AbC"
    assert Device.objects.get().project_name == "Found"


def test_patch_finds_an_external_id_with_spaces(developer, developer_org):
    device_make(developer_org, "Roof 12")
    response = patch(developer, "Roof%2012", projectName="Spaced")
    assert response.status_code == 200, response.content
    assert Device.objects.get().project_name == "Spaced"


def test_patch_finds_an_all_digit_external_id(developer, developer_org):
    """The externalId pattern allows digits only (e.g. a meter serial): such a device can be
    changed like any other."""
    device_make(developer_org, "1001")
    response = patch(developer, "1001", projectName="Serial")
    assert response.status_code == 200, response.content
    assert Device.objects.get().project_name == "Serial"


PATCH_INVALID = [
    pytest.param({"capacity": 0}, "capacity", id="capacity-0"),
    pytest.param({"capacity": "abc"}, "capacity", id="capacity-text"),
    pytest.param({"countryCode": "XYZ"}, "countryCode", id="countryCode"),
    pytest.param({"latitude": 95}, "latitude", id="latitude"),
    pytest.param({"longitude": "-200"}, "longitude", id="longitude"),
    pytest.param({"externalId": "bad/id"}, "externalId", id="externalId-chars"),
    pytest.param({"externalId": "  "}, "externalId", id="externalId-blank"),
    pytest.param({"address": ""}, "address", id="address-empty"),
    pytest.param({"fuelCode": "ES990"}, "fuelCode", id="fuelCode"),
    pytest.param({"deviceTypeCode": "TC100"}, "deviceTypeCode", id="deviceTypeCode"),
    pytest.param({"offTaker": "Moon"}, "offTaker", id="offTaker"),
    pytest.param({"deviceDescription": "Windmill"}, "deviceDescription", id="deviceDescription"),
    pytest.param({"energyStorageCapacity": -1}, "energyStorageCapacity", id="energyStorageCapacity"),
    pytest.param({"commissioningDate": "2022/01/01"}, "commissioningDate", id="commissioningDate-format"),
    pytest.param({"SDGBenefits": ["SDG18"]}, "SDGBenefits", id="SDGBenefits"),
    pytest.param({"gridInterconnection": "maybe"}, "gridInterconnection", id="gridInterconnection"),
]


@pytest.mark.parametrize(("body", "field"), PATCH_INVALID)
def test_patch_checks_the_same_rules_as_registration(developer, developer_org, body, field):
    device_make(developer_org, "Roof-1", SDGBenefits=["SDG1"])
    assert_error(patch(developer, "Roof-1", **body), 400, field)
    device = Device.objects.get()
    assert (device.external_id, device.capacity, device.country_id, device.address) == (
        "Roof-1",
        2.5,
        "IND",
        "Roof-1 Solar Lane",
    )
    assert list(device.sdg_benefits.values_list("code", flat=True)) == ["SDG1"]


def test_patch_refuses_a_future_commissioning_date(developer, developer_org):
    device_make(developer_org, "Roof-1")
    future = (timezone.now() + timedelta(days=3)).isoformat()
    assert_error(patch(developer, "Roof-1", commissioningDate=future), 400, "commissioningDate")


def test_patch_refuses_a_commissioning_date_after_the_onboarding_date(developer, developer_org):
    device = device_make(developer_org, "Roof-1")
    Device.objects.filter(pk=device.pk).update(created_at=datetime(2023, 1, 1, tzinfo=UTC))
    body = assert_error(patch(developer, "Roof-1", commissioningDate="2023-06-01T00:00:00Z"), 400, "commissioningDate")
    assert "onboarding" in body["errors"]["commissioningDate"][0]
    device.refresh_from_db()
    assert device.commissioning_date == datetime(2022, 10, 18, 11, 35, tzinfo=UTC)
    # Before the onboarding date it may move.
    response = patch(developer, "Roof-1", commissioningDate="2022-12-01T00:00:00Z")
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert device.commissioning_date == datetime(2022, 12, 1, tzinfo=UTC)


def test_patch_refuses_renaming_to_an_external_id_of_the_organization(developer, developer_org):
    device_make(developer_org, "Roof-1")
    device_make(developer_org, "Roof-2")
    body = assert_error(patch(developer, "Roof-1", externalId="ROOF-2"), 409)
    assert "externalId" in body["errors"]
    assert sorted(Device.objects.values_list("external_id", flat=True)) == ["Roof-1", "Roof-2"]


def test_patch_may_rename_to_another_case_of_its_own_id_or_a_free_one(developer, tenants):
    device_make(tenants.developer_org, "Roof-1")
    device_make(tenants.rival_org, "Roof-Free")  # another organization's id does not block
    assert patch(developer, "Roof-1", externalId="ROOF-1").status_code == 200
    response = patch(developer, "roof-1", externalId="  Roof-Free ")
    assert response.status_code == 200, response.content
    assert response.json()["externalId"] == "Roof-Free"
    assert Device.objects.filter(organization=tenants.developer_org).get().external_id == "Roof-Free"


def test_patch_ignores_server_owned_fields(developer, developer_org):
    device = device_make(developer_org, "Roof-1")
    onboarded = device.created_at
    response = patch(
        developer,
        "Roof-1",
        projectName="Legit",
        createdAt="2010-01-01T00:00:00Z",
        yieldValue=1,
        meterReadtype="Aggregate",
        timezone="Asia/Tokyo",
        IREC_Status="Approved",
        api_user_id=str(uuid.uuid4()),
    )
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert device.project_name == "Legit"
    assert (device.created_at, device.yield_value, device.meter_read_type, device.timezone, device.irec_status) == (
        onboarded,
        2000,
        "",
        "",
        "NotRegistered",
    )


def test_patch_of_an_unknown_external_id_is_404(developer, developer_org):
    device_make(developer_org, "Roof-1")
    assert_error(patch(developer, "Roof-404", projectName="x"), 404)


def test_patch_with_a_nul_character_in_the_external_id_is_refused(developer, developer_org):
    device_make(developer_org, "Roof-1")
    assert_error(patch(developer, "Roof%00", projectName="x"), 400)


def test_an_api_user_patches_with_the_organization(client_for, tenants):
    device_make(tenants.managed, "M-1")
    device_make(tenants.managed2, "M-1")  # same id in its other organization
    client = client_for(tenants.api_user)
    assert_error(patch(client, "M-1", projectName="Which?"), 400, "organizationId")
    assert_error(patch(client, "M-1", tenants.managed_buyer, projectName="x"), 403)
    response = patch(client, "M-1", tenants.managed2, projectName="Second")
    assert response.status_code == 200, response.content
    assert response.json()["organizationId"] == tenants.managed2.pk
    assert Device.objects.get(organization=tenants.managed2).project_name == "Second"
    assert Device.objects.get(organization=tenants.managed).project_name == ""


# --- Delete ---------------------------------------------------------------------------------------


def test_delete_removes_the_device(developer, tenants):
    device = device_make(tenants.developer_org, "Roof-1", SDGBenefits=["SDG1"])
    keep = device_make(tenants.developer_org, "Roof-2")
    response = developer.delete(f"{DEVICE_URL}/{device.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True
    assert response.json()["message"]
    assert list(Device.objects.values_list("pk", flat=True)) == [keep.pk]
    assert_error(developer.get(f"{DEVICE_URL}/{device.pk}"), 404)
    assert_error(developer.delete(f"{DEVICE_URL}/{device.pk}"), 404)
    # Its externalId is free again.
    assert register(developer, externalId="Roof-1").status_code == 201


def test_an_api_user_deletes_a_device_of_its_tenant(client_for, tenants):
    device = device_make(tenants.managed, "M-1")
    response = client_for(tenants.api_user).delete(f"{DEVICE_URL}/{device.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True
    assert not Device.objects.exists()

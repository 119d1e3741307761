"""The per-country yield configuration (``/api/yield/config``): the super admin's by default,
one per country, and it sets the plausibility cap of the country's devices' reads."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reads.models import YieldConfig
from tests.organizations.helpers import assert_error
from tests.reads.expect import assert_refused, assert_stored, at, cap_wh, send
from tests.reads.helpers import ONBOARDED, device_onboarded

pytestmark = pytest.mark.django_db

URL = "/api/yield/config"
YIELD_KEYS = {"id", "countryName", "countryCode", "yieldValue", "status", "createdAt", "updatedAt"}


def update_url(config_id) -> str:
    return f"/api/yield/config/update/{config_id}"


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def india(admin):
    response = admin.post(URL, {"countryCode": "IND", "yieldValue": 1500}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_the_admin_configures_a_countrys_yield(admin, admin_user):
    before = timezone.now()
    response = admin.post(URL, {"countryCode": " ken ", "yieldValue": 1700, "status": "N"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == YIELD_KEYS
    assert (body["countryCode"], body["countryName"], body["yieldValue"], body["status"]) == ("KEN", "Kenya", 1700, "N")
    assert parse_datetime(body["createdAt"]) >= before
    config = YieldConfig.objects.get()
    assert (config.country_id, config.yield_value, config.status) == ("KEN", 1700, "N")
    assert config.created_by == admin_user


def test_the_status_is_active_by_default(india):
    assert india["status"] == "Y"


def test_the_admin_lists_and_reads_the_configurations(admin, india):
    admin.post(URL, {"countryCode": "KEN", "yieldValue": 1700}, format="json")
    listed = admin.get(URL).json()
    assert [(item["countryName"], item["yieldValue"]) for item in listed] == [("India", 1500), ("Kenya", 1700)]
    assert admin.get(f"{URL}/{india['id']}").json() == india


def test_the_admin_changes_a_configuration(admin, admin_user, india):
    response = admin.patch(update_url(india["id"]), {"yieldValue": 1800, "status": "N"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["yieldValue"], response.json()["status"], response.json()["countryCode"]) == (
        1800,
        "N",
        "IND",
    )
    config = YieldConfig.objects.get()
    assert (config.yield_value, config.status, config.updated_by) == (1800, "N", admin_user)
    # Moving it to another free country is a change too.
    assert admin.patch(update_url(india["id"]), {"countryCode": "KEN"}, format="json").json()["countryCode"] == "KEN"


def test_one_configuration_per_country(admin, india):
    assert_error(admin.post(URL, {"countryCode": "ind", "yieldValue": 1000}, format="json"), 409)
    kenya = admin.post(URL, {"countryCode": "KEN", "yieldValue": 1700}, format="json").json()
    assert_error(admin.patch(update_url(kenya["id"]), {"countryCode": "IND"}, format="json"), 409)
    assert dict(YieldConfig.objects.values_list("country_id", "yield_value")) == {"IND": 1500, "KEN": 1700}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"countryCode": "XYZ", "yieldValue": 1500}, "countryCode"),
        ({"countryCode": "IN", "yieldValue": 1500}, "countryCode"),
        ({"countryCode": "INDIA", "yieldValue": 1500}, "countryCode"),
        ({"yieldValue": 1500}, "countryCode"),
        ({"countryCode": "IND"}, "yieldValue"),
        ({"countryCode": "IND", "yieldValue": 0}, "yieldValue"),
        ({"countryCode": "IND", "yieldValue": -100}, "yieldValue"),
        ({"countryCode": "IND", "yieldValue": "high"}, "yieldValue"),
        ({"countryCode": "IND", "yieldValue": 1500, "status": "Active"}, "status"),
    ],
)
def test_a_bad_configuration_is_a_400_naming_the_field(admin, body, field):
    assert_error(admin.post(URL, body, format="json"), 400, field)
    assert not YieldConfig.objects.exists()


def test_a_bad_change_is_a_400_and_changes_nothing(admin, india):
    assert_error(admin.patch(update_url(india["id"]), {"countryCode": "XYZ"}, format="json"), 400, "countryCode")
    assert_error(admin.patch(update_url(india["id"]), {"yieldValue": 0}, format="json"), 400, "yieldValue")
    assert YieldConfig.objects.get().yield_value == 1500


def test_an_unknown_configuration_is_not_found(admin):
    assert_error(admin.patch(update_url(999), {"yieldValue": 1000}, format="json"), 404)
    assert_error(admin.get(f"{URL}/999"), 404)


@pytest.mark.parametrize("persona", ["developer_admin", "device_owner", "buyer", "sub_buyer", "api_user"])
def test_only_the_admin_by_default(request, client_for, india, persona):
    client = client_for(request.getfixturevalue(persona))
    assert_error(client.get(URL), 403)
    assert_error(client.get(f"{URL}/{india['id']}"), 403)
    assert_error(client.post(URL, {"countryCode": "KEN", "yieldValue": 1700}, format="json"), 403)
    assert_error(client.patch(update_url(india["id"]), {"yieldValue": 1}, format="json"), 403)
    assert dict(YieldConfig.objects.values_list("country_id", "yield_value")) == {"IND": 1500}


def test_anonymous_callers_are_refused(api_client, india):
    assert_error(api_client.get(URL), 401)
    assert_error(api_client.post(URL, {"countryCode": "KEN", "yieldValue": 1700}, format="json"), 401)


def test_an_api_user_granted_the_module_may_read_it(client_for, grant, api_user, india):
    grant(api_user, "YIELD_CONFIG_MANAGEMENT_CRUDL", "Read")
    client = client_for(api_user)
    assert [item["countryCode"] for item in client.get(URL).json()] == ["IND"]
    assert_error(client.post(URL, {"countryCode": "KEN", "yieldValue": 1700}, format="json"), 403)


def test_a_configured_yield_sets_the_cap_of_the_countrys_devices(admin, client_for, developer_admin):
    device = device_onboarded(developer_admin.organization)  # in India
    developer = client_for(developer_admin)
    hour = timedelta(hours=1)
    assert_stored(send(developer, device, "Delta", [at(ONBOARDED + hour, 1)]), 1)
    between = int((cap_wh(device, 10, yield_value=1000) + cap_wh(device, 10)) / 2)
    config = admin.post(URL, {"countryCode": "IND", "yieldValue": 1000}, format="json").json()
    assert_refused(send(developer, device, "Delta", [at(ONBOARDED + 11 * hour, between)]), (0, "value"))
    admin.patch(update_url(config["id"]), {"status": "N"}, format="json")
    assert_stored(send(developer, device, "Delta", [at(ONBOARDED + 11 * hour, between)]), 1)

"""Journey: an integrator discovers the API before it has an account.

API journeys in this folder follow the seed manual step by step through the public API;
later features extend them.
"""

import pytest

pytestmark = pytest.mark.django_db


def test_discover_the_platform_and_its_code_lists(api_client):
    assert api_client.get("/api/health").json()["status"] == "ok"

    schema = api_client.get("/swagger-json").json()
    assert schema["info"]["title"] == "D-REC portal API"

    countries = api_client.get("/api/countrycode/list", {"searchKeyWord": "india"}).json()
    assert [c["country"] for c in countries] == ["British Indian Ocean Territory", "India"]
    india = countries[1]
    assert india["countryCode"] == "IND"
    assert india["timezones"][0]["name"] == "Asia/Kolkata"

    fuel_codes = {item["code"] for item in api_client.get("/api/device/fuel-type").json()}
    device_types = {item["code"] for item in api_client.get("/api/device/device-type").json()}
    sdg_codes = [item["name"] for item in api_client.get("/api/sdgbenefit/code").json()]
    assert fuel_codes == {"ES100"}
    assert device_types == {"TC110", "TC120", "TC130", "TC140", "TC150"}
    assert sdg_codes == [f"SDG{n}" for n in range(1, 18)]

    missing = api_client.get("/api/devices/fuel-type")
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"

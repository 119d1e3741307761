"""Public code-list endpoints with the original's shapes."""

import pytest

pytestmark = pytest.mark.django_db


def test_country_list_has_every_iso_country_with_timezones(api_client):
    response = api_client.get("/api/countrycode/list")
    assert response.status_code == 200
    countries = response.json()
    assert len(countries) == 249
    india = next(c for c in countries if c["alpha3"] == "IND")
    assert india == {
        "country": "India",
        "alpha2": "IN",
        "alpha3": "IND",
        "numeric": "356",
        "countryCode": "IND",
        "timezones": [{"name": "Asia/Kolkata", "offset": -330}],
    }


def test_country_search_is_a_case_insensitive_substring(api_client):
    names = [c["country"] for c in api_client.get("/api/countrycode/list", {"searchKeyWord": "KINGDOM"}).json()]
    assert "United Kingdom" in names
    assert all("kingdom" in name.lower() for name in names)
    codes = [c["countryCode"] for c in api_client.get("/api/countrycode/list", {"searchKeyWord": "deu"}).json()]
    assert codes == ["DEU"]


@pytest.mark.parametrize("keyword", ["[a-", ".*", "a{99999}", "%", "_"])
def test_country_search_treats_regex_and_like_characters_as_text(api_client, keyword):
    response = api_client.get("/api/countrycode/list", {"searchKeyWord": keyword})
    assert response.status_code == 200
    assert response.json() == []


def test_country_search_for_a_parenthesis_finds_names_with_one(api_client):
    names = [c["country"] for c in api_client.get("/api/countrycode/list", {"searchKeyWord": "("}).json()]
    assert "Cocos (Keeling) Islands" in names
    assert all("(" in name for name in names)


def test_timezone_offsets_follow_daylight_saving(api_client):
    from datetime import UTC, datetime

    from devices.selectors import timezone_offset_minutes

    assert timezone_offset_minutes("Europe/Berlin", at=datetime(2026, 1, 15, tzinfo=UTC)) == -60
    assert timezone_offset_minutes("Europe/Berlin", at=datetime(2026, 7, 15, tzinfo=UTC)) == -120
    assert timezone_offset_minutes("America/New_York", at=datetime(2026, 1, 15, tzinfo=UTC)) == 300


def test_fuel_types(api_client):
    assert api_client.get("/api/device/fuel-type").json() == [{"code": "ES100", "name": "Solar"}]


def test_device_types(api_client):
    assert api_client.get("/api/device/device-type").json() == [
        {"code": "TC110", "name": "PV Ground mounted"},
        {"code": "TC120", "name": "PV Roof Mounted (single installation)"},
        {"code": "TC130", "name": "PV Floating"},
        {"code": "TC140", "name": "PV Aggregated"},
        {"code": "TC150", "name": "Solar Thermal Concentration"},
    ]


def test_sdg_benefit_codes(api_client):
    codes = api_client.get("/api/sdgbenefit/code").json()
    assert len(codes) == 17
    assert codes[0] == {"name": "SDG1", "value": "No Poverty"}
    assert codes[8] == {"name": "SDG9", "value": "Industry, Innovation and Infrastructure"}
    assert codes[16] == {"name": "SDG17", "value": "Partnerships to achieve the SDG"}


def test_off_takers_and_device_descriptions_are_seeded():
    from devices.models import DeviceDescription, OffTaker

    assert list(OffTaker.objects.values_list("code", flat=True)) == [
        "School",
        "Education",
        "Health Facility",
        "Residential",
        "Commercial",
        "Industrial",
        "Public Sector",
        "Agriculture",
        "Utility",
        "Off-Grid Community",
    ]
    assert list(DeviceDescription.objects.values_list("code", flat=True)) == [
        "Solar Lantern",
        "Solar Home System",
        "Mini Grid",
        "Rooftop Solar",
        "Ground Mount Solar",
    ]

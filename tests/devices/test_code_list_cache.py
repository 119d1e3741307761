"""The public code lists prepared once (devices.lookups, devices.middleware): the same bytes
as before, with ``ETag`` and ``Cache-Control``, 304 for a copy that is current, no query on a
warm cache, and a change of a list in the very next answer, in this process and in others."""

import hashlib
import json
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection

from devices.lookups import CODE_LISTS, COUNTRIES, answer_build, offsets_change_at
from devices.models import Country, DeviceType, FuelType, SdgBenefit

pytestmark = pytest.mark.django_db

COUNTRY_LIST = "/api/countrycode/list"
FUEL_TYPES = "/api/device/fuel-type"
DEVICE_TYPES = "/api/device/device-type"
SDG_CODES = "/api/sdgbenefit/code"
EVERY_LIST = [COUNTRY_LIST, FUEL_TYPES, DEVICE_TYPES, SDG_CODES]


def wire(items) -> bytes:
    """JSON as the API writes it: compact, UTF-8 unescaped (DRF's JSONRenderer settings)."""
    return json.dumps(items, separators=(",", ":"), ensure_ascii=False).encode()


def offset_now(zone: str) -> int:
    """Minutes with the sign of JavaScript's getTimezoneOffset, as the original answered."""
    return -int(datetime.now(UTC).astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


def expected_body(url: str) -> bytes:
    """Each list written from the database, independently of the code that serves it."""
    if url == COUNTRY_LIST:
        return wire(
            [
                {
                    "country": country.name,
                    "alpha2": country.alpha2,
                    "alpha3": country.alpha3,
                    "numeric": country.numeric,
                    "countryCode": country.alpha3,
                    "timezones": [{"name": zone, "offset": offset_now(zone)} for zone in country.timezones],
                }
                for country in Country.objects.order_by("name")
            ]
        )
    if url == SDG_CODES:
        return wire([{"name": code, "value": name} for code, name in SdgBenefit.objects.values_list("code", "name")])
    model = FuelType if url == FUEL_TYPES else DeviceType
    return wire([{"code": code, "name": name} for code, name in model.objects.values_list("code", "name")])


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


@pytest.mark.parametrize("url", EVERY_LIST)
def test_each_list_answers_the_same_bytes_with_a_strong_etag_and_an_hour_of_caching(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == expected_body(url)
    assert response["Content-Length"] == str(len(response.content))
    assert response["ETag"] == etag_of(response.content)
    max_age = int(response["Cache-Control"].removeprefix("public, max-age="))
    assert 0 < max_age <= 3600
    if url != COUNTRY_LIST:  # the country list keeps less when a zone's offset changes within the hour
        assert response["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize("url", EVERY_LIST)
def test_a_copy_that_is_current_gets_304_without_a_body(api_client, url):
    etag = api_client.get(url)["ETag"]
    for if_none_match in (etag, "*", f'"some-old-list", {etag}', f"W/{etag}"):
        response = api_client.get(url, HTTP_IF_NONE_MATCH=if_none_match)
        assert response.status_code == 304, if_none_match
        assert response.content == b""
        assert response["ETag"] == etag
        assert response["Cache-Control"].startswith("public, max-age=")


def test_a_stale_copy_gets_the_list(api_client):
    response = api_client.get(FUEL_TYPES, HTTP_IF_NONE_MATCH='"an-older-list"')
    assert response.status_code == 200
    assert response.json() == [{"code": "ES100", "name": "Solar"}]


def test_a_head_request_answers_the_headers_of_the_list(api_client):
    got = api_client.get(COUNTRY_LIST)
    head = api_client.head(COUNTRY_LIST)
    assert head.status_code == 200
    assert head.content == b""
    assert (head["ETag"], head["Content-Length"]) == (got["ETag"], got["Content-Length"])


@pytest.mark.parametrize("url", EVERY_LIST)
def test_a_warm_list_is_answered_without_a_query(api_client, django_assert_num_queries, url):
    first = api_client.get(url)
    with django_assert_num_queries(0):
        again = api_client.get(url)
    assert again.status_code == 200
    assert again.content == first.content


def test_a_new_country_is_in_the_very_next_answer_with_a_new_etag(api_client):
    before = api_client.get(COUNTRY_LIST)
    Country.objects.create(alpha3="XKX", alpha2="XK", numeric="983", name="Kosovo", timezones=["Europe/Belgrade"])

    after = api_client.get(COUNTRY_LIST, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert len(after.json()) == len(before.json()) + 1
    kosovo = next(country for country in after.json() if country["alpha3"] == "XKX")
    assert kosovo["timezones"] == [{"name": "Europe/Belgrade", "offset": offset_now("Europe/Belgrade")}]
    assert api_client.get(COUNTRY_LIST, {"searchKeyWord": "kosovo"}).json() == [kosovo]


def test_changed_and_deleted_rows_are_in_the_very_next_answer(api_client):
    api_client.get(FUEL_TYPES)
    FuelType.objects.create(code="ES200", name="Wind", sort_order=2)
    assert api_client.get(FUEL_TYPES).json() == [{"code": "ES100", "name": "Solar"}, {"code": "ES200", "name": "Wind"}]

    goal = SdgBenefit.objects.get(code="SDG7")
    api_client.get(SDG_CODES)
    goal.name = "Affordable and clean energy for all"
    goal.save()
    assert api_client.get(SDG_CODES).json()[6] == {"name": "SDG7", "value": "Affordable and clean energy for all"}

    api_client.get(DEVICE_TYPES)
    DeviceType.objects.filter(code="TC150").delete()
    assert "TC150" not in [item["code"] for item in api_client.get(DEVICE_TYPES).json()]


def test_a_country_search_answers_from_the_prepared_list_with_its_own_etag(api_client):
    response = api_client.get(COUNTRY_LIST, {"searchKeyWord": " india "})
    assert [country["country"] for country in response.json()] == ["British Indian Ocean Territory", "India"]
    assert response["ETag"] == etag_of(response.content)
    assert response["Cache-Control"].startswith("public, max-age=")
    again = api_client.get(COUNTRY_LIST, {"searchKeyWord": "india"}, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_query_parameters_that_change_nothing_answer_the_same_list(api_client):
    plain = api_client.get(COUNTRY_LIST)
    for params in ({"searchKeyWord": ""}, {"searchKeyWord": "  "}, {"cacheBuster": "1"}, {"format": "json"}):
        response = api_client.get(COUNTRY_LIST, params)
        assert response.content == plain.content, params
        assert response["ETag"] == plain["ETag"]


def test_what_the_json_renderer_negotiates_still_holds(api_client):
    indented = api_client.get(FUEL_TYPES, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content == b'[\n  {\n    "code": "ES100",\n    "name": "Solar"\n  }\n]'
    assert indented["ETag"] == etag_of(indented.content)
    assert api_client.get(FUEL_TYPES, HTTP_ACCEPT="text/html").status_code == 406
    assert api_client.get(FUEL_TYPES, {"format": "xml"}).status_code == 404
    assert api_client.post(FUEL_TYPES, {}).status_code == 405


def test_the_fast_path_still_refuses_a_host_not_allowed(api_client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    assert api_client.get(FUEL_TYPES, HTTP_HOST="evil.example").status_code == 400
    assert api_client.get(FUEL_TYPES).status_code == 200


def test_offsets_are_those_of_the_moment_and_the_list_is_rebuilt_when_one_changes():
    # Central Europe moves its clocks at 01:00 UTC on 29 March 2026; India never does.
    ten_to = datetime(2026, 3, 29, 0, 50, tzinfo=UTC)
    change = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert offsets_change_at(["Asia/Kolkata", "Europe/Berlin"], ten_to, within=3600) == change
    assert offsets_change_at(["Asia/Kolkata"], ten_to, within=3600) is None

    before = answer_build(CODE_LISTS[COUNTRIES], generation=1, now=ten_to)
    germany = next(country for country in before.items if country["alpha3"] == "DEU")
    assert germany["timezones"] == [
        {"name": "Europe/Berlin", "offset": -60},
        {"name": "Europe/Busingen", "offset": -60},
    ]
    # A client keeps it until the change, not an hour; this process does not serve it after.
    assert before.cache_control_at(ten_to.timestamp()) == "public, max-age=600"
    last_minute = answer_build(CODE_LISTS[COUNTRIES], generation=1, now=datetime(2026, 3, 29, 0, 59, 30, tzinfo=UTC))
    assert last_minute.reusable(1, change.timestamp() - 1)
    assert not last_minute.reusable(1, change.timestamp())

    after = answer_build(CODE_LISTS[COUNTRIES], generation=1, now=change)
    germany = next(country for country in after.items if country["alpha3"] == "DEU")
    assert {zone["offset"] for zone in germany["timezones"]} == {-120}
    assert after.etag != before.etag


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_committed_by_another_process_is_served_without_waiting_for_the_cache(client):
    """Another process's write reaches this one only as PostgreSQL's notice (no signal here)."""
    assert client.get(FUEL_TYPES).json() == [{"code": "ES100", "name": "Solar"}]
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("INSERT INTO devices_fueltype (code, name, sort_order) VALUES ('ES200', 'Wind', 2)")
    try:
        # The notice travels asynchronously (well under a millisecond here); the prepared list
        # would otherwise be served for another minute (REBUILD_SECONDS).
        deadline = time.monotonic() + 2
        while len(client.get(FUEL_TYPES).json()) == 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.get(FUEL_TYPES).json()[-1] == {"code": "ES200", "name": "Wind"}
    finally:
        FuelType.objects.filter(code="ES200").delete()

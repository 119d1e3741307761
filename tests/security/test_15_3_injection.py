"""backend.md §15.3 (injection and input handling), items 22-27: each weakness of the original,
tried against our API, must stay absent."""

import json
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from certificates.models import Certificate
from devices.models import Country, CsvJob, Device, UploadedFile
from reads.models import MeterRead
from reservations.models import Reservation
from tests.devices.helpers import (
    FILE_URL,
    JOBS_URL,
    MY_URL,
    UNGROUPED_URL,
    bulk_url,
    csv_bytes,
    csv_row,
    ids,
    job_url,
)
from tests.organizations.helpers import assert_error
from tests.reads.expect import rows
from tests.reads.helpers import ONBOARDED, batch, device_onboarded, hourly, iso, reads_url
from tests.reservations.helpers import RESERVATIONS_URL, end_url, reservation_url, reserve

pytestmark = [pytest.mark.django_db]

CERTIFICATES_URL = "/api/certificate-log/issuer/certifiedlogOfdevices"
# What the original interpolated into ILIKE ANY(ARRAY['%<term>%']) and its id lists.
SQL_PAYLOADS = [
    "%'] OR 1=1 --",
    "'; DROP TABLE devices_device; --",
    "' OR '1'='1",
    "1 OR 1=1",
    "1; DROP TABLE reservations_reservation",
    "0) UNION SELECT id FROM accounts_user --",
]
TABLES = [
    "accounts_user",
    "organizations_organization",
    "devices_device",
    "devices_csvjob",
    "reads_meterread",
    "reservations_reservation",
    "certificates_certificate",
]


def _counts() -> dict[str, int]:
    return {
        "devices": Device.objects.count(),
        "reservations": Reservation.objects.count(),
        "certificates": Certificate.objects.count(),
        "jobs": CsvJob.objects.count(),
    }


def _device_page(client, url, **query) -> list[str]:
    response = client.get(url, {"limit": 1000, **query})
    assert response.status_code == 200, (query, response.status_code, response.content[:300])
    return ids(response.json()["devices"])


# --- 22 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_15_22_sql_injection_in_filters_and_ids_finds_nothing_and_drops_nothing(client_for, world, certified, payload):
    """The original built ``ILIKE ANY(ARRAY['%<term>%'])`` from SDGBenefits, deviceTypeCode and
    offTaker, and interpolated apiuserId/organizationId and certificate id lists into SQL.
    Ours binds every value: a payload is a value that matches nothing (200, never another
    tenant's rows) or a malformed id (400 naming it); no table is touched."""
    before = _counts()
    api = client_for(world.api_user)
    developer = client_for(world.developer_admin)
    buyer = client_for(world.buyer)

    # Device filters: the payload alone matches nothing; next to a real code, only the caller's own.
    for name in ("deviceTypeCode", "offTaker", "fuelCode"):
        assert _device_page(api, MY_URL, **{name: payload}) == []
        assert _device_page(developer, MY_URL, **{name: payload}) == []
    assert _device_page(api, MY_URL, deviceTypeCode=f"TC120,{payload}") == ["MANAGED-1"]
    assert sorted(_device_page(developer, MY_URL, deviceTypeCode=f"TC120,{payload}")) == ["CERT-1", "DEV-1"]
    assert _device_page(api, MY_URL, fuelCode=f"ES100,{payload}", organizationId=world.managed.pk) == ["MANAGED-1"]
    ungrouped = {"deviceTypeCode": f"TC120,{payload}", "organizationId": world.managed_buyer.pk}
    assert _device_page(api, UNGROUPED_URL, **ungrouped) == ["MANAGED-1"]
    assert_error(api.get(MY_URL, {"SDGBenefits": payload}), 400, "SDGBenefits")
    assert_error(api.get(MY_URL, {"organizationId": payload}), 400, "organizationId")
    assert_error(api.get(f"/api/device/{world.managed_device.pk}", {"organizationId": payload}), 400, "organizationId")
    assert_error(api.get(f"/api/device/{quote(payload, safe='')}"), 404)

    # Reservations and bulk-upload jobs: apiuserId / organizationId are a UUID and a number.
    for client in (api, client_for(world.admin)):
        assert_error(client.get(RESERVATIONS_URL, {"apiuserId": payload}), 400, "apiuserId")
        assert_error(client.get(RESERVATIONS_URL, {"organizationId": payload}), 400, "organizationId")
        assert_error(client.get(JOBS_URL, {"organizationId": payload}), 400, "organizationId")
        assert_error(client.get(JOBS_URL, {"orgId": payload}), 400, "organizationId")
        assert_error(client.get(job_url(1), {"orgId": payload}), 400, "organizationId")
    page = buyer.get(RESERVATIONS_URL, {"name": payload, "offTaker": payload, "fuelCode": payload})
    assert page.status_code == 200, page.content
    assert page.json()["groupedData"] == []
    assert buyer.get(RESERVATIONS_URL).json()["totalCount"] == 1  # its own reservation is still there

    # Certificate filters and ids: the buyer's own certificate, or nothing; another buyer never sees it.
    def certificate_count(client, **query) -> int:
        response = client.get(CERTIFICATES_URL, query)
        assert response.status_code == 200, (query, response.content[:300])
        return response.json()["totalCount"]

    for name in ("country", "fuelCode", "offTaker"):
        assert certificate_count(buyer, **{name: payload}) == 0
    assert certificate_count(buyer, country=f"IND,{payload}") == 1
    assert certificate_count(client_for(world.rival_buyer), country=f"IND,{payload}") == 0
    assert certificate_count(api, country=f"IND,{payload}") == 0
    assert_error(buyer.get(CERTIFICATES_URL, {"SDGBenefits": payload}), 400, "SDGBenefits")
    assert_error(buyer.get(CERTIFICATES_URL, {"organizationId": payload}), 400, "organizationId")
    assert_error(buyer.get(CERTIFICATES_URL, {"fromAmountread": payload}), 400, "fromAmountread")
    path = f"/api/certificate-log/issuer/certified/new/{quote(payload, safe='')}"
    assert_error(buyer.get(path), 400, "groupUid")
    assert_error(buyer.get(f"/api/certificate-log/expoert_perdevice/{quote(payload, safe='')}"), 400, "groupUid")

    # Nothing was dropped, nothing changed.
    assert set(TABLES) <= set(connection.introspection.table_names())
    assert _counts() == before


# --- 23 -----------------------------------------------------------------------------------

FLUX_PAYLOADS = [
    '2020-01-01T00:00:00Z) |> drop(columns: ["_value"]) //',
    "-30d",
    "now()",
    "2020-01-01T00:00:00Z' OR '1'='1",
    "0",
    "2020-01-01T00:00:00Z; DROP MEASUREMENT read",
]


@pytest.mark.parametrize("payload", FLUX_PAYLOADS)
def test_15_23_read_listing_bounds_are_date_times_not_query_text(client_for, world, payload):
    """The original interpolated ``start``/``end`` into Flux (and sent InfluxQL with the admin
    password in a URL). Ours keeps reads in PostgreSQL, holds no time-series credentials, and
    answers a bound that is not an ISO 8601 date-time with 400 naming it."""
    assert not [name for name in dir(settings) if "INFLUX" in name.upper()]
    device = device_onboarded(world.developer_org, "FLUX-1")
    developer = client_for(world.developer_admin)
    stored = developer.post(reads_url("FLUX-1"), batch("Delta", hourly(ONBOARDED, 6)), format="json")
    assert stored.status_code == 201, stored.content
    before = rows(device)
    url = reads_url("FLUX-1")

    for name in ("start", "end"):
        assert_error(developer.get(url, {"readType": "meterReads", name: payload}), 400, name)
    for name in ("Year", "Month"):
        query = {"readType": "accumulated", "accumulationType": "Monthly", "Year": 2024, "Month": 1, name: payload}
        assert_error(developer.get(url, query), 400, name)

    # The same request with real bounds lists the reads, which are all still there.
    listed = developer.get(
        url, {"readType": "meterReads", "start": iso(ONBOARDED), "end": iso(ONBOARDED + timedelta(hours=6))}
    )
    assert listed.status_code == 200, listed.content
    assert listed.json()["numberOfReads"] == 6
    assert rows(device) == before
    assert MeterRead.objects.filter(device=device).count() == 6


# --- 24 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keyword",
    ["(a+)+$", "[", "(", ")", "*", "+", "?", "\\", ".*", "^I", "a{1000000}", "(x+x+)+y", "%", "_", "(" * 500],
)
def test_15_24_country_search_is_literal_text_and_quick(api_client, keyword):
    """The original compiled the search as a regular expression: an invalid pattern was a 500,
    a catastrophic one hung the process. Ours matches the text literally (case-insensitive
    substring of the name or alpha-3 code), quickly, for any input."""
    started = time.monotonic()
    response = api_client.get("/api/countrycode/list", {"searchKeyWord": keyword})
    elapsed = time.monotonic() - started

    assert response.status_code == 200, response.content[:300]
    assert elapsed < 2, elapsed
    expected = sorted(
        country.alpha3
        for country in Country.objects.all()
        if keyword.lower() in country.name.lower() or keyword.lower() in country.alpha3.lower()
    )
    assert sorted(country["countryCode"] for country in response.json()) == expected
    if keyword == "(":
        assert expected  # e.g. "Bolivia (Plurinational State of)": text, not a group


# --- 25 -----------------------------------------------------------------------------------


def test_15_25_numbers_and_dates_sent_as_text_are_coerced(client_for, world):
    """The original compared query strings to numbers with ``!==`` (an explicit
    ``organizationId`` always failed) and validated JSON date strings with ``@IsDate`` (ending a
    reservation always failed). Ours converts: ``organizationId`` given as text, even
    "0<id>", names the same organization as the number; numbers and dates in JSON strings work."""
    api = client_for(world.api_user)
    as_text = f"0{world.managed.pk}"

    # Query numbers as text.
    assert _device_page(api, MY_URL, organizationId=as_text) == ["MANAGED-1"]
    one = api.get(f"/api/device/{world.managed_device.pk}", {"organizationId": as_text})
    assert one.status_code == 200, one.content
    assert one.json()["organizationId"] == world.managed.pk

    # Reads for a managed organization, its id in the body as text and as a number, then listed by it.
    device = device_onboarded(world.managed, "COERCE-1")
    reads = hourly(ONBOARDED, 4)
    for organization_id, part in ((as_text, reads[:2]), (world.managed.pk, reads[2:])):
        body = batch("Delta", part, organizationId=organization_id)
        stored = api.post(reads_url("COERCE-1"), body, format="json")
        assert stored.status_code == 201, stored.content
        assert stored.json() == {"success": True, "stored": 2}
    listed = api.get(reads_url("COERCE-1"), {"readType": "meterReads", "organizationId": as_text, "limit": 10})
    assert listed.status_code == 200, listed.content
    assert [read["value"] for read in listed.json()["ongoing"]] == [1000] * 4
    assert MeterRead.objects.filter(device=device).count() == 4

    # A reservation whose numbers are JSON strings; listed and ended with organizationId as text,
    # the end carrying the original's JSON date string.
    buyer_org = f"0{world.managed_buyer.pk}"
    made = reserve(
        api,
        [str(world.managed_device.pk)],
        org=buyer_org,
        targetCapacityInMegaWattHour="1.5",
        authorityToExceed="false",
        name="Typed as text",
    )
    assert made["deviceIds"] == [world.managed_device.pk]
    assert made["targetVolumeInMegaWattHour"] == 1.5
    assert made["authorityToExceed"] is False
    page = api.get(RESERVATIONS_URL, {"organizationId": buyer_org}).json()
    assert [item["id"] for item in page["groupedData"]] == [made["id"]]
    assert api.get(reservation_url(made["id"]), {"organizationId": buyer_org}).status_code == 200
    ended = api.delete(
        f"{end_url(made['id'])}?organizationId={buyer_org}",
        {"endresavationdate": made["reservationEndDate"]},
        format="json",
    )
    assert ended.status_code == 200, ended.content
    assert ended.json()["reservationActive"] is False
    assert Reservation.objects.get(pk=made["id"]).is_active is False
    certificates = api.get(CERTIFICATES_URL, {"organizationId": buyer_org})
    assert certificates.status_code == 200, certificates.content


# --- 26 -----------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def _files(*named: tuple[str, bytes, str]) -> dict:
    return {"files": [SimpleUploadedFile(name, content, content_type) for name, content, content_type in named]}


def test_15_26_uploaded_files_are_private_and_only_csv_is_accepted(api_client, client_for, world, committed):
    """The original put uploads in S3 with ACL ``public-read``, named every key ``.csv``
    whatever it held, answered a refused MIME type twice, and ``GET /file/:id`` served another
    store. Ours keeps a file for the tenant side that uploaded it: no URL serves it, no one
    else can use its key; a file that is not a CSV is refused once, with one clear 400."""
    api = client_for(world.api_user)
    content = csv_bytes([csv_row(1), csv_row(2)])
    uploaded = api.post(FILE_URL, _files(("devices.csv", content, "text/csv")), format="multipart")
    assert uploaded.status_code == 201, uploaded.content
    [key] = uploaded.json()

    # Not served anywhere: not to anonymous callers, not to another tenant, not as a static or media file.
    for client in (api_client, client_for(world.other_api_user), client_for(world.admin), api):
        for path in (f"/api/file/{key}", f"/api/file/{UploadedFile.objects.get().pk}", f"/files/{key}"):
            response = client.get(path)
            assert response.status_code == 404, (path, response.status_code)
            assert content not in response.content
    for path in (f"/static/{key}", f"/media/{key}", f"/{key}"):
        assert api_client.get(path).status_code == 404, path
    # Its key is no capability: another tenant (or an anonymous caller) cannot load it into a job.
    other = client_for(world.other_api_user)
    body = {"fileName": key}
    assert_error(other.post(bulk_url(world.other_managed.pk), body), 404)
    assert_error(api_client.post(bulk_url(world.managed.pk), body), 401)
    assert not CsvJob.objects.exists()
    # Its owner can, and another tenant cannot see the job it made.
    with committed():
        job = api.post(bulk_url(world.managed.pk), body, format="json")
    assert job.status_code == 201, job.content
    assert_error(other.get(job_url(job.json()["jobId"])), 404)
    assert Device.objects.filter(organization=world.managed, external_id__startswith="BULK-").count() == 2

    # Anything but a CSV is refused, once, with one JSON error body, and nothing is kept.
    refusals = [
        (FILE_URL, _files(("photo.png", PNG, "image/png")), "files"),
        (FILE_URL, _files(("report.pdf", b"%PDF-1.4 binary", "application/pdf")), "files"),
        (FILE_URL, _files(("devices.csv", content, "text/csv"), ("photo.png", PNG, "image/png")), "files"),
        (
            bulk_url(world.managed.pk),
            {"csvFile": SimpleUploadedFile("photo.png", PNG, "image/png")},
            "csvFile",
        ),
    ]
    for url, data, field in refusals:
        response = api.post(url, data, format="multipart")
        body = assert_error(response, 400, field)
        assert json.loads(response.content) == body  # one body, not two answers run together
        assert ".csv" in body["message"] or "CSV" in body["message"]
    assert UploadedFile.objects.count() == 1
    assert CsvJob.objects.count() == 1
    # The one upload kept is still the CSV it was.
    assert bytes(UploadedFile.objects.get(key=key).data) == content


# --- 27 -----------------------------------------------------------------------------------

EVIL = "https://evil.example"


def test_15_27_no_cross_origin_access_and_api_docs_without_secrets(api_client, bearer_for, world):
    """The original allowed every origin (CORS ``*``) and exposed Swagger in production. Ours
    sends no CORS headers, so browsers on other origins cannot read answers (with or without
    credentials); the API documentation is served on purpose (SPEC §1: Swagger UI at
    ``/swagger/``, schema at ``/swagger-json``) and holds no secret."""
    signed_in = bearer_for(world.api_user)
    requests = [
        (api_client, "get", "/api/health", {}),
        (api_client, "get", "/api/countrycode/list", {}),
        (api_client, "get", "/swagger-json", {}),
        (signed_in, "get", "/api/user/me", {}),
        (signed_in, "get", MY_URL, {}),
        (api_client, "post", "/api/auth/login", {"data": {"username": "a@b.c", "password": "x"}, "format": "json"}),
    ]
    for client, method, path, extra in requests:
        response = getattr(client, method)(path, HTTP_ORIGIN=EVIL, **extra)
        assert response.status_code != 500, path
        cors = {name for name in response.headers if name.lower().startswith("access-control-")}
        assert cors == set(), (path, cors)
        # A preflight from that origin is granted nothing either.
        preflight = client.options(
            path,
            HTTP_ORIGIN=EVIL,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
        )
        assert not {name for name in preflight.headers if name.lower().startswith("access-control-")}, path
    # Signed-in answers are not readable cross-origin with credentials either (no wildcard + credentials).
    assert signed_in.get("/api/user/me", HTTP_ORIGIN="null").get("Access-Control-Allow-Credentials") is None

    schema = api_client.get("/swagger-json")
    ui = api_client.get("/swagger/")
    assert schema.status_code == 200
    assert ui.status_code == 200
    assert "/api/device/my" in schema.json()["paths"]
    secrets = [settings.SECRET_KEY, settings.DREC_JWT_SECRET, settings.DREC_ADMIN_PASSWORD, "PRIVATE KEY"]
    if connection.settings_dict.get("PASSWORD"):
        secrets.append(connection.settings_dict["PASSWORD"])
    for document in (schema.content.decode(), ui.content.decode()):
        for secret in filter(None, secrets):
            assert secret not in document
    # The key export of the original is not an operation of ours.
    assert not [path for path in schema.json()["paths"] if "export-accesskey" in path or path.startswith("/api/file/")]

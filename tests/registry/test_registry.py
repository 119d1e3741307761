"""The public registry (SPEC §13): totals issued, claimed and withdrawn per country and month,
kept by the database as certificates are issued, claimed and withdrawn (never recomputed
from the certificates per request), and a certificate search; no login, nothing personal."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.models import Certificate
from certificates.services import claim_create, withdrawal_create
from tests.certificates.helpers import DAY, T0, claim_request, device_reading, issue, reservation_make

pytestmark = pytest.mark.django_db

SUMMARY_URL = "/api/public/registry/summary"
LIST_URL = "/api/public/registry/certificates"
APRIL = T0 + timedelta(days=30)  # 2026-04-01


@pytest.fixture
def issued(developer, buyer):
    """India: 2 daily certificates of 6,000 Wh in March. Kenya: 1 of 3,000 Wh in March and
    1 of 3,000 Wh in April (its device's reads go on past the month's end)."""
    india = device_reading(developer, "IND-1", count=48, value=250)
    assert issue(reservation_make(buyer, [india], frequency="daily"), T0 + 2 * DAY) == [6000, 6000]
    kenya = device_reading(developer, "KEN-1", count=24, value=125, country="KEN")
    assert issue(reservation_make(buyer, [kenya], frequency="daily"), T0 + DAY) == [3000]
    april = device_reading(developer, "KEN-2", start=APRIL, count=24, value=125, country="KEN")
    assert issue(reservation_make(buyer, [april], frequency="daily", start=APRIL), APRIL + DAY) == [3000]
    return {"buyer": buyer, "certificates": list(Certificate.objects.order_by("id"))}


def test_the_totals_follow_issuance_claims_and_withdrawals(issued, api_client, admin_user):
    summary = api_client.get(SUMMARY_URL).json()
    assert (summary["issuedWh"], summary["claimedWh"], summary["withdrawnWh"]) == (18000, 0, 0)
    assert (summary["certificates"], summary["devices"]) == (4, 3)
    assert [(c["countryCode"], c["issuedWh"], c["certificates"]) for c in summary["countries"]] == [
        ("IND", 12000, 2),
        ("KEN", 6000, 2),
    ]
    assert [(m["month"], m["issuedWh"]) for m in summary["months"]] == [("2026-03", 15000), ("2026-04", 3000)]

    first, _second, kenya, _april = issued["certificates"]
    claim_create(acting_user=issued["buyer"], certificate=first, request=claim_request(2500))
    withdrawal_create(acting_user=admin_user, certificate=kenya, reason="Meter replaced", amount_wh=1000)
    summary = api_client.get(SUMMARY_URL).json()
    assert (summary["issuedWh"], summary["claimedWh"], summary["withdrawnWh"]) == (18000, 2500, 1000)
    by_country = {c["countryCode"]: (c["claimedWh"], c["withdrawnWh"]) for c in summary["countries"]}
    assert by_country == {"IND": (2500, 0), "KEN": (0, 1000)}
    assert summary["months"][0] | {"month": "2026-03"} == {
        "month": "2026-03",
        "issuedWh": 15000,
        "claimedWh": 2500,
        "withdrawnWh": 1000,
        "certificates": 3,
    }


def test_the_summary_reads_the_totals_not_the_certificates(issued, api_client):
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(SUMMARY_URL).status_code == 200
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "certificates_certificate" not in sql
    assert "registry_movement" in sql


def test_the_search_filters_by_country_period_and_status(issued, api_client, admin_user):
    first, second, kenya, april = issued["certificates"]
    withdrawal_create(acting_user=admin_user, certificate=kenya, reason="Meter replaced")
    claim_create(acting_user=issued["buyer"], certificate=second, request=claim_request(6000))

    def ids(**query) -> list[int]:
        response = api_client.get(LIST_URL, query)
        assert response.status_code == 200, response.content
        return [row["internalCertificateId"] for row in response.json()["certificates"]]

    assert ids() == [april.pk, kenya.pk, second.pk, first.pk]
    assert ids(countryCode="ken") == [april.pk, kenya.pk]
    assert ids(**{"from": "2026-04-01"}) == [april.pk]
    assert ids(to="2026-03-03") == [kenya.pk, first.pk]
    assert ids(status="active") == [april.pk, first.pk]
    assert ids(status="claimed") == [second.pk]
    assert ids(status="withdrawn") == [kenya.pk]
    row = api_client.get(LIST_URL, {"status": "withdrawn"}).json()["certificates"][0]
    assert (row["energyWh"], row["withdrawnWh"], row["status"]) == (3000, 3000, "withdrawn")
    assert row["verificationUrl"] == f"/certificate/verify/{kenya.pk}"


@pytest.mark.parametrize(("query", "field"), [({"status": "gone"}, "status"), ({"from": "March"}, "from")])
def test_a_bad_filter_is_a_400_naming_it(issued, api_client, query, field):
    response = api_client.get(LIST_URL, query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_nothing_personal_is_published(issued, api_client):
    buyer = issued["buyer"]
    text = api_client.get(LIST_URL).content.decode() + api_client.get(SUMMARY_URL).content.decode()
    for private in (buyer.email, buyer.organization.name, "Reservation 1", "IND-1"):
        assert private not in text


def test_the_registry_page_needs_no_login_and_links_each_certificate_to_its_proof(issued, client):
    response = client.get("/registry")
    assert response.status_code == 200
    page = response.content.decode()
    assert "18 kWh" in page  # issued
    for certificate in issued["certificates"]:
        assert f'href="/certificate/verify/{certificate.pk}"' in page
    filtered = client.get("/registry", {"countryCode": "KEN", "status": "active"}).content.decode()
    assert f'href="/certificate/verify/{issued["certificates"][0].pk}"' not in filtered
    assert f'href="/certificate/verify/{issued["certificates"][3].pk}"' in filtered
    bad = client.get("/registry", {"status": "gone"})
    assert bad.status_code == 200
    assert "status must be one of active, claimed, withdrawn" in bad.content.decode()

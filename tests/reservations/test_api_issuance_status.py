"""GET /api/buyer-reservation/{id}/issuance-status (SPEC §14) through both doors: the API's
answer (camelCase, hand-computed figures), its tenancy exactly as GET /api/buyer-reservation/{id}
(404 for what is not the caller's), and the reservation page showing the same figures from the
same selector (certificates.status)."""

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from certificates.services import certificates_issue_scheduled
from drec.formats import iso, people_moment
from tests.certificates.helpers import DAY, HOUR, device_reading, issue, ongoing, reservation_make
from tests.devices.helpers import device_make
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import reservation_url, reserve
from tests.reservations.test_portal import browser_of

pytestmark = pytest.mark.django_db

DASH = "\u2013"  # the page writes a window from its start to its end with an en dash


def status_url(reservation_id) -> str:
    return f"{reservation_url(reservation_id)}/issuance-status"


@pytest.fixture
def waiting(tenants):
    """The direct buyer's daily reservation from three days before today (midnight UTC), of two
    devices of the direct developer (1,000 Wh units):
    - SUN-1: 26 hourly reads of 300 Wh (day 0: 7,200 Wh; day 1: 2 reads, 600 Wh), then one read
      of 100 Wh ending on day 2 at 03:00;
    - QUIET-1: its baseline read only: no read in the reservation.
    A run after day 0 closed issued 7,000 Wh and carries 200; days 1 and 2 are closed now, with
    600 + 100 + 200 = 900 Wh: below one unit."""
    start = (timezone.now() - timedelta(minutes=1)).astimezone(UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - 3 * DAY
    sun = device_reading(tenants.developer_org, "SUN-1", start=start, count=26, value=300)
    ongoing(sun, [(start + 2 * DAY + 3 * HOUR, 100)])
    quiet = device_reading(tenants.developer_org, "QUIET-1", start=start, count=0, value=0)
    reservation = reservation_make(tenants.buyer, [sun, quiet], frequency="daily", start=start)
    assert issue(reservation, start + DAY + HOUR) == [7000]
    return reservation, start, quiet


def test_the_buyer_reads_why_its_energy_waits(client_for, tenants, waiting):
    reservation, start, quiet = waiting
    response = client_for(tenants.buyer).get(status_url(reservation.pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body.pop("nextWindowClosesAt") in (iso(start + 4 * DAY), iso(start + 5 * DAY))  # past midnight
    assert body == {
        "issuedWh": 7000,
        "pendingWh": 700,
        "carriedWh": 200,
        "windowsWaiting": [
            {
                "start": iso(start + DAY),
                "end": iso(start + 2 * DAY),
                "countryCode": "IND",
                "source": "ongoing",
                "energyWh": 600,
                "reads": 2,
                "reason": "below one unit",
            },
            {
                "start": iso(start + 2 * DAY),
                "end": iso(start + 3 * DAY),
                "countryCode": "IND",
                "source": "ongoing",
                "energyWh": 100,
                "reads": 1,
                "reason": "below one unit",
            },
        ],
        "lastRunAt": None,
        "devicesWithoutReads": [{"deviceId": quiet.pk, "externalId": "QUIET-1", "reason": "no reads yet"}],
        "lateReadsAcceptedUntil": iso(reservation.expiry),
    }

    ran = timezone.now()
    certificates_issue_scheduled(now=ran)  # nothing to issue, but the run is recorded
    assert client_for(tenants.buyer).get(status_url(reservation.pk)).json()["lastRunAt"] == iso(ran)


@pytest.fixture
def theirs(client_for, tenants):
    """A reservation of api_user's managed buyer, of a device that has sent no reads."""
    device = device_make(tenants.managed, "MANAGED-1")
    answer = reserve(client_for(tenants.api_user), [device.pk], org=tenants.managed_buyer, name="Theirs")
    return answer["id"], device


def test_the_owner_side_sees_the_status(client_for, admin_user, tenants, theirs):
    rid, device = theirs
    for user in (tenants.api_user, admin_user):
        response = client_for(user).get(status_url(rid))
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["devicesWithoutReads"] == [
            {"deviceId": device.pk, "externalId": "MANAGED-1", "reason": "no reads yet"}
        ]
        assert (body["issuedWh"], body["pendingWh"], body["carriedWh"], body["windowsWaiting"]) == (0, 0, 0, [])
    found = client_for(tenants.api_user).get(f"{status_url(rid)}?organizationId={tenants.managed_buyer.pk}")
    assert found.status_code == 200, found.content


@pytest.mark.parametrize("outsider", ["buyer", "other_api_user", "rival_buyer"])
def test_another_tenants_or_organizations_reservation_is_not_found(client_for, request, theirs, outsider):
    rid, _device = theirs
    body = assert_error(client_for(request.getfixturevalue(outsider)).get(status_url(rid)), 404)
    assert "Theirs" not in repr(body)
    assert "MANAGED-1" not in repr(body)


def test_a_reservation_is_found_only_with_its_own_organization_id(client_for, tenants, theirs):
    rid, _device = theirs
    client = client_for(tenants.api_user)
    assert_error(client.get(f"{status_url(rid)}?organizationId={tenants.managed_buyer2.pk}"), 404)
    assert_error(client.get(f"{status_url(rid)}?organizationId={tenants.other_managed_buyer.pk}"), 404)
    assert_error(client.get(status_url(424_242)), 404)


def test_developers_are_refused_and_visitors_unauthenticated(client_for, api_client, tenants, theirs):
    rid, _device = theirs
    assert_error(client_for(tenants.developer_admin).get(status_url(rid)), 403)  # as GET reservation
    assert_error(api_client.get(status_url(rid)), 401)


# --- The reservation page: the same figures --------------------------------------------------


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"(.*?)</section>', html, re.S)
    assert match, html[:2000]
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_reservation_page_shows_the_same_figures(tenants, waiting):
    reservation, start, _quiet = waiting
    html = browser_of(tenants.buyer).get(f"/reservation/{reservation.pk}").content.decode()
    text = section(html, "issuance-status")
    assert "Issued 7 kWh" in text
    assert "Pending 700 Wh not certified yet" in text
    assert "Carried 200 Wh less than one unit (1 kWh), added to the next certificate" in text
    assert f"Late reads accepted until {people_moment(reservation.expiry, UTC)}" in text
    assert "Last run Issuance has not run yet" in text
    day1 = f"{people_moment(start + DAY, UTC)} {DASH} {people_moment(start + 2 * DAY, UTC)} IND 600 Wh 2 below one unit"
    day2 = f"{people_moment(start + 2 * DAY, UTC)} {DASH} {people_moment(start + 3 * DAY, UTC)} IND 100 Wh 1"
    assert day1 in text
    assert f"{day2} below one unit" in text
    assert text.count("below one unit : less than one certificate unit, with what is carried") == 2
    assert "QUIET-1: no reads yet" in text
    assert "The current daily window closes at" in text
    # The summary line of the page counts the same reads.
    assert "3 reads (700 Wh) waiting to be certified" in " ".join(re.sub(r"<[^>]+>", " ", html).split())

    certificates_issue_scheduled(now=start + 3 * DAY + HOUR)
    text = section(browser_of(tenants.buyer).get(f"/reservation/{reservation.pk}").content.decode(), "issuance-status")
    assert f"Last run {people_moment(start + 3 * DAY + HOUR, UTC)}" in text

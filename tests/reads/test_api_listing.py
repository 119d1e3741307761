"""Reading reads back (backend.md §8.6-8.7): the paged list of a device's reads, its energy per
day or month in the device's time zone, and its latest read."""

import itertools
from datetime import timedelta

import pytest
from django.utils.dateparse import parse_datetime

from devices.models import Device
from tests.organizations.helpers import assert_error
from tests.reads.expect import assert_stored, at, period, send, utc
from tests.reads.helpers import ONBOARDED, device_onboarded, hourly, iso, reads_url

pytestmark = pytest.mark.django_db

T = ONBOARDED
HOUR = timedelta(hours=1)
JUNE = utc(2023, 6, 1)
LIST_KEYS = {"historyread", "ongoing", "numberOfReads", "numberOfPages", "currentPageNumber", "timezone"}


@pytest.fixture
def developer(client_for, developer_admin):
    return client_for(developer_admin)


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


@pytest.fixture
def with_reads(developer, device):
    """3 daily History reads in June 2023 and 12 hourly Delta reads from onboarding (values 1..12)."""
    history = [period(JUNE + timedelta(days=n), hours=24, value=100 + n) for n in range(3)]
    assert_stored(send(developer, device, "History", history), 3)
    ongoing = [at(T + (n + 1) * HOUR, n + 1) for n in range(12)]
    assert_stored(send(developer, device, "Delta", ongoing), 12)
    return device


def listing(client, ref, **query):
    return client.get(reads_url(ref), {"readType": "meterReads", **query})


def test_the_first_page_of_reads(developer, with_reads):
    response = listing(developer, "SHS-1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == LIST_KEYS
    assert body["historyread"] == [
        {
            "startdate": iso(JUNE + timedelta(days=n)),
            "enddate": iso(JUNE + timedelta(days=n + 1)),
            "value": 100 + n,
            "certificateId": None,  # not certified (yet)
        }
        for n in range(3)
    ]
    # Each ongoing read starts where the previous one ended; the first at onboarding.
    assert body["ongoing"] == [
        {"startdate": iso(T + n * HOUR), "enddate": iso(T + (n + 1) * HOUR), "value": n + 1, "certificateId": None}
        for n in range(5)
    ]
    assert body["numberOfReads"] == 15
    assert body["numberOfPages"] == 3  # ceil(max(3, 12) / 5)
    assert body["currentPageNumber"] == 1
    assert body["timezone"] == "Asia/Kolkata"  # the country's until a read gives one


def test_later_pages(developer, with_reads):
    body = listing(developer, "SHS-1", pagenumber=3).json()
    assert body["historyread"] == []
    assert [read["value"] for read in body["ongoing"]] == [11, 12]
    assert (body["numberOfReads"], body["numberOfPages"], body["currentPageNumber"]) == (15, 3, 3)
    beyond = listing(developer, "SHS-1", pagenumber=4).json()
    assert (beyond["historyread"], beyond["ongoing"]) == ([], [])


def test_limit_sets_the_page_size(developer, with_reads):
    body = listing(developer, "SHS-1", limit=20).json()
    assert [read["value"] for read in body["ongoing"]] == list(range(1, 13))
    assert len(body["historyread"]) == 3
    assert body["numberOfPages"] == 1
    body = listing(developer, "SHS-1", limit=2, pagenumber=2).json()
    assert [read["value"] for read in body["historyread"]] == [102]
    assert [read["value"] for read in body["ongoing"]] == [3, 4]
    assert body["numberOfPages"] == 6


def test_start_and_end_select_the_reads(developer, with_reads):
    body = listing(developer, "SHS-1", start=iso(T + 2 * HOUR), end=iso(T + 5 * HOUR)).json()
    assert body["historyread"] == []
    assert [read["enddate"] for read in body["ongoing"]] == [iso(T + n * HOUR) for n in (3, 4, 5)]
    assert body["numberOfReads"] == 3
    # History periods overlapping the window.
    body = listing(developer, "SHS-1", start=iso(JUNE + timedelta(hours=30)), end=iso(T + HOUR)).json()
    assert [read["value"] for read in body["historyread"]] == [101, 102]
    assert [read["value"] for read in body["ongoing"]] == [1]


def test_an_offset_in_start_is_understood(developer, with_reads):
    # "+" in a query string is a space once decoded; the list still reads it as an offset.
    body = listing(developer, "SHS-1", start="2024-01-01T07:30:00+05:30", end="2024-01-01T10:30:00+05:30").json()
    assert [read["enddate"] for read in body["ongoing"]] == [iso(T + n * HOUR) for n in (3, 4, 5)]


def test_a_device_without_reads(developer, device):
    body = listing(developer, "SHS-1").json()
    assert (body["historyread"], body["ongoing"], body["numberOfReads"], body["numberOfPages"]) == ([], [], 0, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"readType": "everything"}, "readType"),
        ({"readType": ""}, "readType"),
        ({"readType": "meterReads", "start": "yesterday"}, "start"),
        ({"readType": "meterReads", "start": "2024-01-01T00:00:00"}, "start"),
        ({"readType": "meterReads", "start": "2024-02-30T00:00:00Z"}, "start"),
        ({"readType": "meterReads", "end": "2024-13-01T00:00:00Z"}, "end"),
        ({"readType": "meterReads", "start": "2024-01-02T00:00:00Z", "end": "2024-01-02T00:00:00Z"}, "start"),
        ({"readType": "meterReads", "start": "2024-01-03T00:00:00Z", "end": "2024-01-02T00:00:00Z"}, "start"),
        ({"readType": "meterReads", "pagenumber": "two"}, "pagenumber"),
        ({"readType": "meterReads", "pagenumber": "0"}, "pagenumber"),
        ({"readType": "meterReads", "limit": "-1"}, "limit"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(developer, with_reads, query, field):
    assert_error(developer.get(reads_url("SHS-1"), query), 400, field)


def test_the_read_type_is_required(developer, with_reads):
    assert_error(developer.get(reads_url("SHS-1")), 400, "readType")


# --- Energy per day or month -------------------------------------------------------------------


@pytest.fixture
def march(developer, device):
    """Delta reads around March 2024; in India (+05:30) 18:00 UTC is 23:30 and 19:00 UTC is 00:30."""
    reads = [
        at(utc(2024, 2, 28, 12), 100),  # baseline, February
        at(utc(2024, 3, 1, 18), 1000),  # 1 March, 23:30
        at(utc(2024, 3, 1, 19), 1200),  # 2 March, 00:30
        at(utc(2024, 3, 15, 18, 30), 400),  # 16 March, 00:00 exactly: energy of the 15th
        at(utc(2024, 3, 31, 18), 500),  # 31 March, 23:30
        at(utc(2024, 3, 31, 19), 900),  # 1 April, 00:30
    ]
    assert_stored(send(developer, device, "Delta", reads), 6)
    return device


def accumulated(client, ref, **query):
    return client.get(reads_url(ref), {"readType": "accumulated", **query})


def test_monthly_gives_the_energy_of_each_local_day(developer, march):
    response = accumulated(developer, "SHS-1", accumulationType="Monthly", Year=2024, Month=3)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["aggregateType"], body["timezone"]) == ("Monthly", "Asia/Kolkata")
    days = body["accumulatedReads"]
    assert len(days) == 31
    assert days[0] == {"startTime": "2024-02-29T18:30:00Z", "endTime": "2024-03-01T18:30:00Z", "value": 1000}
    assert days[1]["value"] == 1200
    assert days[14]["value"] == 400
    assert days[15]["value"] == 0
    assert days[30] == {"startTime": "2024-03-30T18:30:00Z", "endTime": "2024-03-31T18:30:00Z", "value": 500}
    assert sum(day["value"] for day in days) == 3100
    for before, after in itertools.pairwise(days):
        assert before["endTime"] == after["startTime"]


def test_yearly_gives_the_energy_of_each_local_month(developer, march):
    body = accumulated(developer, "SHS-1", accumulationType="Yearly", Year=2024).json()
    months = body["accumulatedReads"]
    assert body["aggregateType"] == "Yearly"
    assert len(months) == 12
    assert months[0]["startTime"] == "2023-12-31T18:30:00Z"
    assert months[11]["endTime"] == "2024-12-31T18:30:00Z"
    assert [month["value"] for month in months[:5]] == [0, 100, 3100, 900, 0]


def test_the_devices_own_time_zone_is_used(developer, device):
    Device.objects.filter(pk=device.pk).update(timezone="America/New_York")  # -05:00 in January
    assert_stored(send(developer, device, "Delta", [at(utc(2024, 1, 2, 3), 10), at(utc(2024, 1, 2, 6), 20)]), 2)
    days = accumulated(developer, "SHS-1", accumulationType="Monthly", Year=2024, Month=1).json()["accumulatedReads"]
    assert days[0]["startTime"] == "2024-01-01T05:00:00Z"
    assert [day["value"] for day in days[:3]] == [10, 20, 0]  # 22:00 on the 1st, 01:00 on the 2nd


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"accumulationType": "Weekly", "Year": "2024"}, "accumulationType"),
        ({"Year": "2024"}, "accumulationType"),
        ({"accumulationType": "Yearly"}, "Year"),
        ({"accumulationType": "Monthly", "Month": "3"}, "Year"),
        ({"accumulationType": "Monthly", "Year": "2024"}, "Month"),
        ({"accumulationType": "Monthly", "Year": "2024", "Month": "13"}, "Month"),
        ({"accumulationType": "Yearly", "Year": "twenty"}, "Year"),
        ({"accumulationType": "Yearly", "Year": "0"}, "Year"),
        ({"accumulationType": "Yearly", "Year": "9999"}, "Year"),
        ({"accumulationType": "Monthly", "Year": "9999", "Month": "12"}, "Year"),
    ],
)
def test_a_bad_accumulation_query_is_a_400_naming_the_parameter(developer, march, query, field):
    assert_error(accumulated(developer, "SHS-1", **query), 400, field)


# --- The latest read ---------------------------------------------------------------------------


def test_the_latest_read_of_a_device(developer, with_reads):
    response = developer.get(f"/api/meter-reads/latestread/{with_reads.external_id}")
    assert response.status_code == 200, response.content
    assert response.json() == {"externalId": "SHS-1", "enddate": iso(T + 12 * HOUR), "value": 12, "type": "Delta"}
    assert parse_datetime(response.json()["enddate"]) == T + 12 * HOUR


def test_the_latest_read_may_be_a_history_read(developer, device):
    assert_stored(send(developer, device, "History", [period(JUNE, value=77)]), 1)
    assert developer.get("/api/meter-reads/latestread/SHS-1").json()["type"] == "History"


def test_a_device_without_reads_has_no_latest_read(developer, device):
    assert_error(developer.get("/api/meter-reads/latestread/SHS-1"), 404)


def test_the_latest_read_of_another_organizations_device_is_not_found(client_for, developer_admin):
    from organizations.models import OrganizationType
    from tests.factories import OrganizationFactory
    from tests.organizations.helpers import member_create

    rival = member_create(
        OrganizationFactory(name="Rival Solar", organization_type=OrganizationType.DEVELOPER),
        email="rival@example.com",
    )
    device = device_onboarded(developer_admin.organization)
    assert_stored(send(client_for(developer_admin), device, "Delta", hourly(T, 2)), 2)
    assert_error(client_for(rival).get("/api/meter-reads/latestread/SHS-1"), 404)

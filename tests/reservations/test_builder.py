"""Make A Reservation as a builder (issue 16): search by External ID or project name, "select
all" over every matching device (every page), a reads column per device, the selection summary;
and the reservation page saying when the next issuance run is and which reads wait for it."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from devices.models import Device
from drec.management.commands.seed import schedules_ensure
from reservations import views
from reservations.models import Reservation
from tests.certificates.helpers import DAY, HOUR, T0, device_reading, issue, reservation_make
from tests.devices.helpers import device_make
from tests.reservations.test_portal import browser_of, reservation_form

pytestmark = pytest.mark.django_db


def picker_rows(html: str) -> list[str]:
    """The External IDs of the device picker's rows, in order."""
    table = re.search(r'data-testid="devices".*?</table>', html, re.S)
    assert table, html[:3000]
    return re.findall(r'aria-label="Select ([^"]+)"', table.group(0).split("</thead>")[1])


def reads_cells(html: str) -> dict[str, str]:
    """{External ID: its reads cell} of the picker's rows."""
    body = html.split('data-testid="devices"')[1].split("</thead>")[1]
    return dict(re.findall(r'aria-label="Select ([^"]+)".*?data-testid="reads">(.*?)</td>', body, re.S))


def selection(html: str) -> str:
    match = re.search(r'data-testid="selection"[^>]*>(.*?)</strong>', html, re.S)
    assert match
    return " ".join(match.group(1).split())


def hidden_ids(html: str) -> set[int]:
    value = re.search(r'name="selectedIds" value="([^"]*)"', html).group(1)
    return {int(pk) for pk in value.split(",") if pk}


def filter_post(browser, **fields):
    return browser.post("/add/reservation", {"action": "filter", **fields}).content.decode()


@pytest.fixture
def devices(developer_admin):
    made = [device_make(developer_admin.organization, f"Roof-{n}", capacity=Decimal(10)) for n in range(3)]
    Device.objects.filter(pk=made[2].pk).update(project_name="Village School")
    return made


# --- Search and select all -------------------------------------------------------------------


def test_the_search_finds_devices_by_external_id_or_project_name(buyer, devices):
    browser = browser_of(buyer)
    assert sorted(picker_rows(filter_post(browser))) == ["Roof-0", "Roof-1", "Roof-2"]
    assert picker_rows(filter_post(browser, **{"f-search": "roof-1"})) == ["Roof-1"]
    assert picker_rows(filter_post(browser, **{"f-search": " school "})) == ["Roof-2"]
    html = filter_post(browser, **{"f-search": "nothing like it"})
    assert picker_rows(html) == []
    assert "No device available for reservation" in html


def test_select_all_ticks_every_matching_device_on_every_page_and_unticking_clears_them(
    buyer, devices, developer_admin, monkeypatch
):
    monkeypatch.setattr(views, "DEVICE_PAGE", 2)  # three matching devices: two pages
    other = device_make(developer_admin.organization, "Meter-9", capacity=Decimal(7))
    browser = browser_of(buyer)
    html = filter_post(browser, **{"f-search": "roof", "selectAll": "1", "selectAllWas": "0"})
    assert selection(html) == "Selected: 3 devices (30 kW)"
    assert len(picker_rows(html)) == 2  # the first page...
    assert len(hidden_ids(html)) == 1  # ...and the third device, on the next page, is selected too
    assert re.search(r'name="selectAll" value="1"[^>]*checked', html)
    assert 'name="selectAllWas" value="1"' in html
    assert "3 devices match" in html
    assert other.pk not in hidden_ids(html)

    # With everything matching selected, the page sends the ticks back: unticking "select all" clears them.
    ticked = {"f-search": "roof", "selectAllWas": "1", "deviceIds": [str(d.pk) for d in devices[:2]]}
    html = filter_post(browser, selectedIds=str(devices[2].pk), **ticked)
    assert selection(html) == "Selected: 0 devices"
    assert not re.search(r'name="selectAll" value="1"[^>]*checked', html)

    # A device picked before, outside the filter, stays selected through "select all".
    select_all = {"f-search": "roof", "selectAll": "1", "selectAllWas": "0"}
    html = filter_post(browser, selectedIds=str(other.pk), **select_all)
    assert selection(html) == "Selected: 4 devices (37 kW)"


def test_select_all_then_submit_reserves_every_matching_device_without_javascript(buyer, devices, monkeypatch):
    monkeypatch.setattr(views, "DEVICE_PAGE", 2)
    browser = browser_of(buyer)
    form = reservation_form(**{"f-search": "roof-", "selectAll": "1", "selectAllWas": "0"})
    response = browser.post("/add/reservation", form)
    assert response.status_code == 302
    assert sorted(Reservation.objects.get().devices.values_list("external_id", flat=True)) == [
        "Roof-0",
        "Roof-1",
        "Roof-2",
    ]


# --- The reads column and the summary ----------------------------------------------------------


def test_the_reads_column_shows_the_last_read_and_the_energy_in_the_period(buyer, developer_admin):
    # A baseline ending at T0, then 10 reads of 300 Wh ending T0 + 1 h ... T0 + 10 h.
    reading = device_reading(developer_admin.organization, "Read-1", count=10, value=300)
    device_make(developer_admin.organization, "Silent-1", capacity=Decimal(10))
    browser = browser_of(buyer)
    period = {"reservationStartDate": "2026-03-02T00:00", "reservationEndDate": "2026-03-02T05:00"}

    html = filter_post(browser, **period, targetCapacityInMegaWattHour="1")
    rows = reads_cells(html)
    assert picker_rows(html) == ["Silent-1", "Read-1"]
    assert "Last read 2 Mar 2026, 10:00 UTC" in rows["Read-1"]
    assert "1.5 kWh in the period" in rows["Read-1"]  # 5 reads of 300 Wh end by 05:00; the baseline is not counted
    assert "No reads yet" in rows["Silent-1"]

    html = filter_post(browser)  # no period: no energy
    rows = reads_cells(html)
    assert "Last read 2 Mar 2026, 10:00 UTC" in rows["Read-1"]
    assert "in the period" not in rows["Read-1"]
    assert "Enter the start and end dates" in html

    # Ticking the device: the summary adds its capacity and what it could reach over the period.
    html = filter_post(browser, **period, targetCapacityInMegaWattHour="1", deviceIds=[str(reading.pk)])
    assert selection(html) == "Selected: 1 device (10 kW)"
    assert "up to 0.050 MWh over the period at full capacity, target 1 MWh" in html  # 10 kW x 5 h
    assert "(below the target)" in html


def test_the_reads_column_costs_one_query_whatever_the_number_of_devices(buyer, developer_admin):
    browser = browser_of(buyer)
    period = {"reservationStartDate": "2026-03-01T00:00", "reservationEndDate": "2026-04-01T00:00"}
    device_reading(developer_admin.organization, "Read-1", count=3, value=300)
    with CaptureQueriesContext(connection) as one:
        filter_post(browser, **period)
    for n in range(2, 5):
        device_reading(developer_admin.organization, f"Read-{n}", count=3, value=300)
    with CaptureQueriesContext(connection) as four:
        html = filter_post(browser, **period)
    assert html.count("900 Wh in the period") == 4
    reads_queries = [q["sql"] for q in four.captured_queries if "reads_meterread" in q["sql"]]
    assert len(reads_queries) == 1
    assert len(four.captured_queries) == len(one.captured_queries)


# --- What the background issuance does next -------------------------------------------------


def issuance_text(browser, reservation) -> str:
    html = browser.get(f"/reservation/{reservation.pk}").content.decode()
    match = re.search(r'data-testid="issuance">(.*?)</dd>', html, re.S)
    assert match
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_reservation_page_says_when_the_next_run_is_and_what_waits_for_it(buyer, developer_admin):
    device = device_reading(developer_admin.organization, "Read-1", count=10, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", end=datetime.now(UTC) + timedelta(days=30))
    browser = browser_of(buyer)

    text = issuance_text(browser, reservation)
    assert "no issuance run is scheduled" in text  # nothing scheduled: the page does not pretend

    schedules_ensure()  # what `manage.py seed` sets up (certificates.tasks.SCHEDULES)
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    Schedule.objects.filter(func="certificates.tasks.certificates_issue").update(next_run=soon)
    text = issuance_text(browser, reservation)
    assert f"Certificates are issued every minute; next run at {soon.day} {soon:%b %Y, %H:%M} UTC." in text
    assert "10 reads (3 kWh) waiting to be certified" in text  # the baseline is never certified
    assert "daily window" in text

    Schedule.objects.filter(func="certificates.tasks.certificates_issue").update(minutes=5)
    assert "Certificates are issued every 5 minutes" in issuance_text(browser, reservation)

    assert issue(reservation, T0 + DAY + HOUR) == [3000]  # the day closed: its reads are certified
    text = issuance_text(browser, reservation)
    assert "No reads waiting to be certified" in text


def test_an_overdue_run_is_said_and_an_expired_reservation_issues_no_more(buyer, developer_admin):
    device = device_reading(developer_admin.organization, "Read-1", count=2, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily", end=datetime.now(UTC) + timedelta(days=30))
    browser = browser_of(buyer)
    schedules_ensure()
    Schedule.objects.filter(func="certificates.tasks.certificates_issue").update(
        next_run=datetime.now(UTC) - timedelta(hours=1)
    )
    assert "That run is overdue" in issuance_text(browser, reservation)

    Reservation.objects.filter(pk=reservation.pk).update(
        is_active=False, end=T0 + DAY, expiry=T0 + 2 * DAY, ended_at=T0 + DAY
    )
    text = issuance_text(browser, reservation)
    assert "No more certificates are issued" in text
    assert "next run" not in text

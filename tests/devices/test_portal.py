"""Portal screens of devices (seed Step 4, ui.md §3.16-3.21), with Django's test client."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from devices.models import CsvJob, Device
from tests.devices.helpers import card, csv_bytes, csv_row, device_make

pytestmark = pytest.mark.django_db


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def developer(tenants) -> Client:
    return browser_of(tenants.developer_admin)


def rows_of(html: str) -> str:
    """The device table of a list page."""
    match = re.search(r'<table[^>]*data-testid="devices".*?</table>', html, re.S)
    assert match, html[:2000]
    return match.group(0)


def field_error(html: str, name: str) -> str:
    """The error text shown under the input named ``name`` ('' when none)."""
    match = re.search(rf'name="{re.escape(name)}".*?(?=<label|</section>)', html, re.S)
    assert match, f"no field {name}"
    errors = re.findall(r'<div class="invalid-feedback">(.*?)</div>', match.group(0), re.S)
    return " ".join(errors)


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/device/AllList", "/device/add", "/device/view/1", "/device/edit/1", "/device/bulk_upload"]
)
def test_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    assert "next=" in response["Location"]


def test_buyers_may_not_add_edit_or_bulk_upload_devices(tenants):
    device = device_make(tenants.developer_org, "Roof-1")
    buyer = browser_of(tenants.buyer)
    assert buyer.get("/device/add").status_code == 403
    assert buyer.post("/device/add", {"action": "submit", "count": 1, **card()}).status_code == 403
    assert buyer.get(f"/device/edit/{device.pk}").status_code == 403
    assert buyer.get("/device/bulk_upload").status_code == 403
    assert Device.objects.count() == 1


def test_a_buyer_views_a_reservable_device_without_an_edit_button(tenants):
    device = device_make(tenants.developer_org, "Roof-1")
    response = browser_of(tenants.buyer).get(f"/device/view/{device.pk}")
    assert response.status_code == 200
    assert "Roof-1" in response.content.decode()
    assert f"/device/edit/{device.pk}" not in response.content.decode()


# --- List, filters, delete ------------------------------------------------------------------------


@pytest.fixture
def fleet(tenants):
    device_make(tenants.developer_org, "Roof-India", countryCode="IND", deviceTypeCode="TC120")
    device_make(
        tenants.developer_org,
        "Ground-Kenya",
        countryCode="KEN",
        deviceTypeCode="TC110",
        capacity=Decimal("40"),
        commissioningDate=datetime(2021, 5, 5, tzinfo=UTC),
    )
    device_make(tenants.rival_org, "Rival-Roof", countryCode="IND")
    device_make(tenants.managed, "Managed-Roof", countryCode="IND")
    return tenants


def test_my_devices_lists_the_organizations_devices(developer, fleet):
    response = developer.get("/device/AllList")
    assert response.status_code == 200
    table = rows_of(response.content.decode())
    assert "Roof-India" in table
    assert "Ground-Kenya" in table
    assert "Rival-Roof" not in table
    assert "Managed-Roof" not in table
    assert table.index("Ground-Kenya") < table.index("Roof-India")  # newest first


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"country": "KEN"}, "Ground-Kenya", "Roof-India"),
        ({"deviceTypeCode": "TC120"}, "Roof-India", "Ground-Kenya"),
        ({"capacity": "10"}, "Roof-India", "Ground-Kenya"),
        ({"start_date": "2022-01-01"}, "Roof-India", "Ground-Kenya"),
        ({"end_date": "2021-12-31"}, "Ground-Kenya", "Roof-India"),
    ],
)
def test_the_list_filters_by_query_string(developer, fleet, query, shown, hidden):
    table = rows_of(developer.get("/device/AllList", query).content.decode())
    assert shown in table
    assert hidden not in table


def test_an_htmx_filter_request_gets_only_the_table(developer, fleet):
    response = developer.get("/device/AllList", {"country": "KEN"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Ground-Kenya" in rows_of(html)
    assert "Roof-India" not in html


@pytest.mark.parametrize("value", ["'; DROP TABLE devices_device; --", "%", "' OR '1'='1"])
def test_hostile_filter_values_do_not_break_the_list(developer, fleet, value):
    response = developer.get("/device/AllList", {"deviceTypeCode": value, "country": value, "capacity": value})
    assert response.status_code == 200
    assert Device.objects.count() == 4


def test_an_api_user_lists_its_managed_devices_with_their_organization(fleet):
    browser = browser_of(fleet.api_user)
    table = rows_of(browser.get("/apiuser/All_devices").content.decode())
    assert "Managed-Roof" in table
    assert "Sunrise Homes" in table
    assert "Roof-India" not in table
    device_make(fleet.managed2, "Second-Org")
    only_managed2 = rows_of(browser.get("/apiuser/All_devices", {"organizationId": fleet.managed2.pk}).content.decode())
    assert "Second-Org" in only_managed2
    assert "Managed-Roof" not in only_managed2


def test_the_delete_action_removes_a_device(developer, fleet):
    device = Device.objects.get(external_id="Roof-India")
    response = developer.post("/device/AllList", {"action": "delete", "device": device.pk}, follow=True)
    assert response.status_code == 200
    assert "Roof-India deleted" in response.content.decode()
    assert not Device.objects.filter(pk=device.pk).exists()
    assert "Roof-India" not in rows_of(response.content.decode())


def test_the_delete_action_cannot_reach_another_organizations_device(developer, fleet):
    device = Device.objects.get(external_id="Rival-Roof")
    response = developer.post("/device/AllList", {"action": "delete", "device": device.pk}, follow=True)
    assert response.status_code == 404  # as DELETE /api/device/{id} answers: not yours
    assert Device.objects.filter(pk=device.pk).exists()


# --- Registration ---------------------------------------------------------------------------------


def test_the_registration_form_registers_one_device(developer, tenants):
    assert developer.get("/device/add").status_code == 200
    response = developer.post("/device/add", {"action": "submit", "count": 1, **card()})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/device/AllList"
    device = Device.objects.get()
    assert (device.external_id, device.organization, device.country_id, device.capacity) == (
        "Portal-1",
        tenants.developer_org,
        "IND",
        Decimal("2.5"),
    )
    assert device.commissioning_date == datetime(2022, 10, 18, 11, 35, tzinfo=UTC)
    assert list(device.sdg_benefits.values_list("code", flat=True)) == ["SDG7"]


def test_add_more_shows_another_card_and_both_are_registered(developer, tenants):
    response = developer.post("/device/add", {"action": "add_more", "count": 1, **card()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Device 2" in html
    assert 'value="Portal-1"' in html  # the first card keeps what was typed
    assert "invalid-feedback" not in html  # the empty new card is not scolded
    assert 'name="count" value="2"' in html
    assert not Device.objects.exists()

    response = developer.post(
        "/device/add",
        {"action": "submit", "count": 2, **card(), **card("d1", externalId="Portal-2", countryCode="KEN")},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(Device.objects.values_list("external_id", "country_id")) == [
        ("Portal-1", "IND"),
        ("Portal-2", "KEN"),
    ]


def test_a_rule_error_is_shown_next_to_its_field(developer):
    response = developer.post("/device/add", {"action": "submit", "count": 1, **card(capacity="0")})
    assert response.status_code == 200
    assert "greater than 0" in field_error(response.content.decode(), "d0-capacity")
    assert not Device.objects.exists()


def test_a_form_error_is_shown_next_to_its_field(developer):
    response = developer.post("/device/add", {"action": "submit", "count": 1, **card(latitude="north")})
    assert response.status_code == 200
    assert field_error(response.content.decode(), "d0-latitude")
    assert not field_error(response.content.decode(), "d0-capacity")
    assert not Device.objects.exists()


def test_several_cards_are_all_or_nothing(developer):
    """The first card is valid, the second repeats its externalId: nothing is registered."""
    data = {"action": "submit", "count": 2, **card(), **card("d1", externalId="PORTAL-1")}
    response = developer.post("/device/add", data)
    assert response.status_code == 200
    assert "already exist" in field_error(response.content.decode(), "d1-externalId").lower()
    assert not Device.objects.exists()


def test_several_cards_with_a_future_date_register_nothing(developer):
    data = {
        "action": "submit",
        "count": 2,
        **card(),
        **card("d1", externalId="Portal-2", commissioningDate="2099-01-01T00:00"),
    }
    response = developer.post("/device/add", data)
    assert response.status_code == 200
    assert "must not be in the future" in field_error(response.content.decode(), "d1-commissioningDate")
    assert not Device.objects.exists()


def test_an_api_user_registers_into_a_chosen_organization(tenants):
    browser = browser_of(tenants.api_user)
    page = browser.get("/device/add").content.decode()
    assert "Sunrise Homes" in page
    assert "Moonlight Buyers" not in page  # a Buyer organization holds no devices
    assert "Far Away Solar" not in page
    refused = browser.post("/device/add", {"action": "submit", "count": 1, **card()})
    assert refused.status_code == 200
    assert re.search(r'role="alert">organizationId is required', refused.content.decode())
    assert not Device.objects.exists()
    done = browser.post("/device/add", {"action": "submit", "count": 1, "organizationId": tenants.managed.pk, **card()})
    assert done.status_code == 302
    assert Device.objects.get().organization == tenants.managed


# --- View and edit --------------------------------------------------------------------------------


def test_the_device_page_shows_its_details(developer, tenants):
    device = device_make(tenants.developer_org, "Roof-1", SDGBenefits=["SDG7"], projectName="Sunny roofs")
    response = developer.get(f"/device/view/{device.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Roof-1", str(device.uid), "Sunny roofs", "India", "Affordable and Clean Energy", "2.5 kW"):
        assert text in html
    assert f"/device/edit/{device.pk}" in html


def test_another_organizations_device_page_is_404(developer, tenants):
    device = device_make(tenants.rival_org, "Rival-1")
    assert developer.get(f"/device/view/{device.pk}").status_code == 404
    assert developer.get(f"/device/edit/{device.pk}").status_code == 404
    assert developer.post(f"/device/edit/{device.pk}", edit_fields(externalId="Mine")).status_code == 404
    device.refresh_from_db()
    assert device.external_id == "Rival-1"


def edit_fields(**overrides) -> dict:
    return {key.removeprefix("-"): value for key, value in card("", **overrides).items()}


def test_the_edit_form_is_filled_in_and_changes_the_device(developer, tenants):
    device = device_make(tenants.developer_org, "Portal-1", SDGBenefits=["SDG7"])
    page = developer.get(f"/device/edit/{device.pk}").content.decode()
    assert 'value="Portal-1"' in page
    response = developer.post(f"/device/edit/{device.pk}", edit_fields(capacity="9.75", projectName="Bigger"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == f"/device/view/{device.pk}"
    device.refresh_from_db()
    assert (device.capacity, device.project_name) == (Decimal("9.75"), "Bigger")


def rendered_commissioning_date(page: str) -> str:
    tag = re.search(r'<input[^>]*name="commissioningDate"[^>]*>', page)
    assert tag, page
    value = re.search(r'value="([^"]*)"', tag.group(0))
    assert value, tag.group(0)
    return value.group(1)


def test_the_edit_form_shows_the_commissioning_date_for_the_date_input(developer, tenants):
    """A datetime-local input takes "YYYY-MM-DDThh:mm[:ss]" (or a space for the T); anything
    else shows an empty field the user must fill in again."""
    device = device_make(tenants.developer_org, "Portal-1")
    value = rendered_commissioning_date(developer.get(f"/device/edit/{device.pk}").content.decode())
    assert re.fullmatch(r"2022-10-18[T ]11:35(:00(\.0+)?)?", value), value


def test_editing_other_fields_keeps_the_commissioning_date_exactly(developer, tenants):
    """The form posts back the date it showed; a device registered by API with seconds and
    milliseconds must keep its commissioning date when only its project name is edited."""
    commissioned = datetime(2022, 10, 18, 11, 35, 27, 640000, tzinfo=UTC)
    device = device_make(tenants.developer_org, "Portal-1", commissioningDate=commissioned)
    value = rendered_commissioning_date(developer.get(f"/device/edit/{device.pk}").content.decode())
    response = developer.post(f"/device/edit/{device.pk}", edit_fields(commissioningDate=value, projectName="Renamed"))
    assert response.status_code == 302, response.content.decode()[:3000]
    device.refresh_from_db()
    assert device.project_name == "Renamed"
    assert device.commissioning_date == commissioned


def test_the_edit_form_shows_rule_errors_next_to_the_field(developer, tenants):
    device = device_make(tenants.developer_org, "Portal-1")
    device_make(tenants.developer_org, "Portal-2")
    response = developer.post(f"/device/edit/{device.pk}", edit_fields(capacity="0"))
    assert response.status_code == 200
    assert "greater than 0" in field_error(response.content.decode(), "capacity")
    response = developer.post(f"/device/edit/{device.pk}", edit_fields(externalId="portal-2"))
    assert response.status_code == 200
    assert "already exist" in field_error(response.content.decode(), "externalId").lower()
    device.refresh_from_db()
    assert (device.capacity, device.external_id) == (Decimal("2.5"), "Portal-1")


# --- Bulk upload ----------------------------------------------------------------------------------


def csv_file(rows: list[dict], name: str = "devices.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")


def test_bulk_upload_page_uploads_and_lists_the_job(committed, developer, tenants):
    assert developer.get("/device/bulk_upload").status_code == 200
    with committed():
        response = developer.post(
            "/device/bulk_upload", {"csvFile": csv_file([csv_row(1), csv_row(2, countryCode="QQQ")])}
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    job = CsvJob.objects.get()
    assert (job.organization, job.status, job.rows_created, job.rows_failed) == (
        tenants.developer_org,
        "Completed",
        1,
        1,
    )
    page = developer.get("/device/bulk_upload").content.decode()
    assert f'data-job="{job.pk}"' in page
    assert "Completed" in page
    assert Device.objects.get().external_id == "BULK-0001"


def test_the_jobs_table_alone_answers_an_htmx_request(committed, developer):
    with committed():
        developer.post("/device/bulk_upload", {"csvFile": csv_file([csv_row(1)])})
    response = developer.get("/device/bulk_upload", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "<form" not in html
    assert 'data-testid="jobs"' in html
    assert f'data-job="{CsvJob.objects.get().pk}"' in html


def test_a_bad_bulk_file_is_refused_on_the_form(developer, settings):
    response = developer.post("/device/bulk_upload", {"csvFile": csv_file([csv_row(1)], name="devices.txt")})
    assert response.status_code == 200
    assert "Not a .csv file" in field_error(response.content.decode(), "csvFile")
    settings.DREC_CSV_MAX_ROWS = 1
    response = developer.post("/device/bulk_upload", {"csvFile": csv_file([csv_row(1), csv_row(2)])})
    assert response.status_code == 200
    assert "More than 1 rows" in field_error(response.content.decode(), "csvFile")
    assert not CsvJob.objects.exists()


def test_the_job_page_lists_the_row_errors(committed, developer):
    with committed():
        developer.post(
            "/device/bulk_upload",
            {"csvFile": csv_file([csv_row(1), csv_row(2, capacity="0"), csv_row(3, deviceTypeCode="TC999")])},
        )
    job = CsvJob.objects.get()
    response = developer.get(f"/device/bulk_upload/{job.pk}")
    assert response.status_code == 200
    table = re.search(r'<table[^>]*data-testid="row-errors".*?</table>', response.content.decode(), re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>.*?</td>", table, re.S)]
    assert cells[:3] == ["2", "BULK-0002", "capacity"]
    assert "greater than 0" in cells[3]
    assert cells[5:8] == ["3", "BULK-0003", "deviceTypeCode"]
    assert len(cells) == 10


def test_another_organizations_job_page_is_404(committed, developer, tenants):
    with committed():
        browser_of(tenants.rival_admin).post("/device/bulk_upload", {"csvFile": csv_file([csv_row(1)])})
    job = CsvJob.objects.get()
    assert job.organization == tenants.rival_org
    assert developer.get(f"/device/bulk_upload/{job.pk}").status_code == 404
    assert f'data-job="{job.pk}"' not in developer.get("/device/bulk_upload").content.decode()


def test_an_api_user_uploads_for_a_chosen_organization(committed, tenants):
    browser = browser_of(tenants.api_user)
    refused = browser.post("/device/bulk_upload", {"csvFile": csv_file([csv_row(1)])})
    assert refused.status_code == 200
    assert field_error(refused.content.decode(), "organizationId")
    assert not CsvJob.objects.exists()
    with committed():
        done = browser.post(
            "/device/bulk_upload", {"organizationId": tenants.managed.pk, "csvFile": csv_file([csv_row(1)])}
        )
    assert done.status_code == 302
    assert Device.objects.get().organization == tenants.managed

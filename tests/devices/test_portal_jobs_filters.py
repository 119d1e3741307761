"""Device screens of issue 16: the multiple-choice filters are dropdowns of checkboxes (no
Ctrl-click, no JavaScript needed), and a bulk upload says how its job ends: amber "Completed
with N errors" with a link to them, and no "being processed" once it is done."""

import re

import pytest

from devices.models import CsvJob, Device
from tests.devices.helpers import device_make
from tests.devices.test_portal import browser_of, csv_file, csv_row, rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def developer(tenants):
    return browser_of(tenants.developer_admin)


# --- Filters -------------------------------------------------------------------------------


def dropdown(html: str, name: str) -> str:
    pattern = rf'<fieldset[^>]*data-check-dropdown>(?:(?!</fieldset>).)*name="{name}".*?</fieldset>'
    match = re.search(pattern, html, re.S)
    assert match, f"no dropdown {name}"
    return match.group(0)


def summary(fieldset: str) -> str:
    return re.search(r"data-check-summary>(.*?)</span>", fieldset, re.S).group(1).strip()


def test_type_off_taker_and_sdg_filters_are_checkbox_dropdowns(developer):
    html = developer.get("/device/AllList").content.decode()
    form = re.search(r'<form method="get".*?</form>', html, re.S).group(0)
    assert re.findall(r'<select[^>]*name="([^"]+)"', form) == ["country"]  # the one single choice left
    assert "multiple" not in form
    for name in ("deviceTypeCode", "offTaker", "SDGBenefits"):
        fieldset = dropdown(html, name)
        assert "<details" in fieldset
        assert summary(fieldset) == "Any"
        assert len(re.findall(rf'type="checkbox" name="{name}"', fieldset)) > 1
        assert "multiple" not in fieldset


def test_ticked_options_filter_the_list_and_the_summary_counts_them(developer, tenants):
    device_make(tenants.developer_org, "School-1", offTaker="School")
    device_make(tenants.developer_org, "Clinic-1", offTaker="Health Facility")
    device_make(tenants.developer_org, "Home-1", offTaker="Residential")

    html = developer.get("/device/AllList", {"offTaker": ["School", "Health Facility"]}).content.decode()
    assert summary(dropdown(html, "offTaker")) == "2 selected"
    assert re.search(r'name="offTaker" value="School"[^>]*checked', html)
    table = rows_of(html)
    assert "School-1" in table
    assert "Clinic-1" in table
    assert "Home-1" not in table

    html = developer.get("/device/AllList", {"offTaker": "Residential"}).content.decode()
    assert summary(dropdown(html, "offTaker")) == "Residential"
    assert "School-1" not in rows_of(html)


# --- Bulk upload jobs ------------------------------------------------------------------------------


def test_a_job_with_row_errors_ends_amber_with_a_link_to_them(committed, developer):
    with committed():
        response = developer.post(
            "/device/bulk_upload",
            {"csvFile": csv_file([csv_row(1), csv_row(2, countryCode="QQQ"), csv_row(3, capacity="0")])},
        )
    job = CsvJob.objects.get()
    assert (job.status, job.rows_failed) == ("Completed", 2)
    assert response.status_code == 302
    assert response["Location"] == f"/device/bulk_upload?job={job.pk}"

    html = developer.get(response["Location"]).content.decode()
    status = re.search(r'data-testid="job-status">(.*?)</td>', html, re.S).group(1)
    assert f'href="/device/bulk_upload/{job.pk}#row-errors"' in status
    assert ">Completed with 2 errors</a>" in status
    assert "bg-warning" in html
    assert "bg-success" not in html
    notice = re.search(r'data-testid="upload-notice">(.*?)</div>\s*</div>', html, re.S).group(1)
    assert f"job {job.pk} completed with 2 errors: 1 device created" in notice
    assert "being processed" not in html
    assert "alert-warning" in notice
    assert "hx-trigger" not in html  # nothing left to follow: the page stops polling

    log = developer.get(f"/device/bulk_upload/{job.pk}").content.decode()
    assert 'id="row-errors"' in log
    assert "Completed with 2 errors" in log


def test_a_clean_job_is_green_and_a_running_one_says_so_until_it_ends(committed, developer, tenants):
    with committed():
        developer.post("/device/bulk_upload", {"csvFile": csv_file([csv_row(1)])})
    job = CsvJob.objects.get()
    html = developer.get(f"/device/bulk_upload?job={job.pk}").content.decode()
    assert re.search(r'data-testid="job-status">Completed</td>', html)
    assert "bg-success" in html
    assert f"job {job.pk} completed: 1 device created" in html

    CsvJob.objects.filter(pk=job.pk).update(status="Running", rows_processed=0)
    html = developer.get(f"/device/bulk_upload?job={job.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert f"job {job.pk} is being processed" in html
    assert f'hx-get="/device/bulk_upload?job={job.pk}"' in html  # the poll keeps the notice's job

    CsvJob.objects.filter(pk=job.pk).update(status="Completed", rows_processed=1)
    html = developer.get(f"/device/bulk_upload?job={job.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert "being processed" not in html
    assert Device.objects.count() == 1

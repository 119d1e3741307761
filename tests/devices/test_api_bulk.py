"""Bulk upload endpoints: creating jobs, limits, the two-step fileName flow, job lists and
status, the template (SPEC §5, backend.md §7.9)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from devices.bulk import COLUMNS
from devices.models import CsvJob, Device
from tests.devices.helpers import (
    FILE_URL,
    JOBS_URL,
    PAGE_KEYS,
    TEMPLATE_URL,
    bulk_url,
    csv_bytes,
    csv_row,
    csv_upload,
    job_url,
)
from tests.organizations.helpers import assert_error

pytestmark = pytest.mark.django_db

JOB_KEYS = {
    "jobId",
    "kind",
    "createdAt",
    "updatedAt",
    "fileId",
    "userId",
    "organizationId",
    "status",
    "api_user_id",
    "organization",
    "rowsTotal",
    "rowsProcessed",
    "rowsCreated",
    "rowsFailed",
    "error",
}


@pytest.fixture
def integrator(client_for, tenants):
    return client_for(tenants.api_user)


def two_rows() -> bytes:
    return csv_bytes([csv_row(1), csv_row(2)])


def test_an_upload_answers_the_queued_job(committed, integrator, tenants):
    with committed():
        response = csv_upload(integrator, tenants.managed.pk, two_rows(), name="my devices.csv")
    assert response.status_code == 201, response.content
    job = response.json()
    assert set(job) == JOB_KEYS
    assert job["status"] == "Added"
    assert job["kind"] == "devices"
    assert job["organizationId"] == tenants.managed.pk
    assert job["organization"] == {"name": "Sunrise Homes"}
    assert job["fileId"] == "my devices.csv"
    assert job["userId"] == tenants.api_user.pk
    assert job["api_user_id"] == str(tenants.api_user.api_user.api_user_id)
    stored = CsvJob.objects.get(pk=job["jobId"])
    assert stored.status == "Completed"
    assert sorted(Device.objects.filter(organization=tenants.managed).values_list("external_id", flat=True)) == [
        "BULK-0001",
        "BULK-0002",
    ]


def test_a_developer_uploads_into_its_own_organization_only(committed, client_for, tenants):
    client = client_for(tenants.developer_admin)
    with committed():
        response = csv_upload(client, tenants.developer_org.pk, two_rows())
    assert response.status_code == 201, response.content
    assert Device.objects.filter(organization=tenants.developer_org).count() == 2
    with committed():
        assert_error(csv_upload(client, tenants.rival_org.pk, two_rows()), 404)
    assert not Device.objects.filter(organization=tenants.rival_org).exists()


def test_a_file_over_the_size_limit_is_413_naming_it(integrator, tenants, settings):
    settings.DREC_CSV_MAX_BYTES = 300
    content = csv_bytes([csv_row(number) for number in range(1, 5)])
    assert len(content) > 300
    body = assert_error(csv_upload(integrator, tenants.managed.pk, content), 413)
    assert "300" in body["message"]
    assert not CsvJob.objects.exists()


def test_a_file_at_the_size_limit_is_accepted(integrator, tenants, settings):
    content = two_rows()
    settings.DREC_CSV_MAX_BYTES = len(content)
    assert csv_upload(integrator, tenants.managed.pk, content).status_code == 201


def test_more_rows_than_the_limit_is_400_naming_it(integrator, tenants, settings):
    settings.DREC_CSV_MAX_ROWS = 3
    body = assert_error(
        csv_upload(integrator, tenants.managed.pk, csv_bytes([csv_row(n) for n in range(1, 5)])), 400, "csvFile"
    )
    assert "3" in body["message"]
    assert not CsvJob.objects.exists()


def test_rows_up_to_the_limit_are_processed(committed, integrator, tenants, settings):
    settings.DREC_CSV_MAX_ROWS = 3
    with committed():
        response = csv_upload(integrator, tenants.managed.pk, csv_bytes([csv_row(n) for n in range(1, 4)]))
    assert response.status_code == 201, response.content
    job = CsvJob.objects.get()
    assert (job.status, job.rows_total, job.rows_created) == ("Completed", 3, 3)


@pytest.mark.parametrize("name", ["devices.txt", "devices.xlsx", "devices.csv.exe", "devices"])
def test_a_file_not_named_csv_is_refused(integrator, tenants, name):
    assert_error(csv_upload(integrator, tenants.managed.pk, two_rows(), name=name), 400)
    assert not CsvJob.objects.exists()


def test_a_file_name_in_upper_case_is_fine(integrator, tenants):
    assert csv_upload(integrator, tenants.managed.pk, two_rows(), name="DEVICES.CSV").status_code == 201


def test_a_file_that_is_not_utf8_text_is_refused(integrator, tenants):
    assert_error(csv_upload(integrator, tenants.managed.pk, b"\xff\xfe\x00bad\x00"), 400)
    assert not CsvJob.objects.exists()


def test_neither_a_file_nor_a_file_name_is_400(integrator, tenants):
    assert_error(integrator.post(bulk_url(tenants.managed.pk), {}, format="json"), 400)
    assert not CsvJob.objects.exists()


def test_bulk_upload_into_a_buyer_organization_is_403(integrator, tenants):
    body = assert_error(csv_upload(integrator, tenants.managed_buyer.pk, two_rows()), 403)
    assert "Buyer organization" in body["message"]
    assert not CsvJob.objects.exists()


def test_bulk_upload_into_another_tenants_organization_is_404(integrator, tenants):
    assert_error(csv_upload(integrator, tenants.other_managed.pk, two_rows()), 404)
    assert_error(csv_upload(integrator, tenants.developer_org.pk, two_rows()), 404)
    assert not CsvJob.objects.exists()


def test_a_buyer_cannot_bulk_upload(client_for, tenants):
    assert_error(csv_upload(client_for(tenants.buyer), tenants.buyer_org.pk, two_rows()), 403)
    assert not CsvJob.objects.exists()


def test_anonymous_callers_are_401(api_client, tenants):
    assert_error(csv_upload(api_client, tenants.managed.pk, two_rows()), 401)
    assert_error(api_client.get(JOBS_URL), 401)
    assert_error(api_client.get(job_url(1)), 401)
    assert_error(api_client.get(TEMPLATE_URL), 401)


# --- Two steps: POST /api/file, then the fileName --------------------------------------------


def upload_file(client, content: bytes, name: str = "devices.csv"):
    return client.post(FILE_URL, {"files": SimpleUploadedFile(name, content, "text/csv")}, format="multipart")


def test_a_file_uploaded_first_is_processed_by_its_name(committed, integrator, tenants):
    response = upload_file(integrator, two_rows())
    assert response.status_code == 201, response.content
    [key] = response.json()
    assert key.startswith("devices-")
    assert key.endswith(".csv")
    with committed():
        created = integrator.post(bulk_url(tenants.managed.pk), {"fileName": key}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["fileId"] == key
    status = integrator.get(job_url(created.json()["jobId"]), {"orgId": tenants.managed.pk}).json()
    assert (status["status"], status["rowsCreated"]) == ("Completed", 2)
    assert Device.objects.filter(organization=tenants.managed).count() == 2


def test_another_users_file_name_is_404(committed, integrator, client_for, tenants):
    [key] = upload_file(client_for(tenants.other_api_user), two_rows()).json()
    with committed():
        assert_error(integrator.post(bulk_url(tenants.managed.pk), {"fileName": key}, format="json"), 404)
        assert_error(
            integrator.post(bulk_url(tenants.managed.pk), {"fileName": "nothing-here.csv"}, format="json"), 404
        )
    assert not CsvJob.objects.exists()
    assert not Device.objects.exists()


def test_file_upload_limits(integrator, settings):
    assert_error(integrator.post(FILE_URL, {}, format="multipart"), 400, "files")
    settings.DREC_CSV_MAX_BYTES = 100
    body = assert_error(upload_file(integrator, two_rows()), 413)
    assert "100" in body["message"]


# --- Job lists and status ---------------------------------------------------------------------


@pytest.fixture
def jobs(committed, integrator, client_for, tenants):
    """Two jobs in ``managed`` (one with a bad row), one in ``managed2``, one of the other tenant."""
    with committed():
        first = csv_upload(integrator, tenants.managed.pk, two_rows()).json()["jobId"]
        bad = csv_upload(integrator, tenants.managed.pk, csv_bytes([csv_row(3), csv_row(4, countryCode="ZZZ")])).json()[
            "jobId"
        ]
        second_org = csv_upload(integrator, tenants.managed2.pk, two_rows()).json()["jobId"]
        other = csv_upload(client_for(tenants.other_api_user), tenants.other_managed.pk, two_rows()).json()["jobId"]
    return {"first": first, "bad": bad, "second_org": second_org, "other": other}


def test_the_jobs_list_is_a_page_newest_first_filtered_by_organization(integrator, tenants, jobs):
    body = integrator.get(JOBS_URL, {"orgId": tenants.managed.pk}).json()
    assert set(body) == {"csvJobs", *PAGE_KEYS}
    assert [job["jobId"] for job in body["csvJobs"]] == [jobs["bad"], jobs["first"]]
    assert (body["currentPage"], body["totalPages"], body["totalCount"]) == (1, 1, 2)
    assert set(body["csvJobs"][0]) == JOB_KEYS
    assert {job["organizationId"] for job in body["csvJobs"]} == {tenants.managed.pk}
    everything = integrator.get(JOBS_URL).json()
    assert [job["jobId"] for job in everything["csvJobs"]] == [jobs["second_org"], jobs["bad"], jobs["first"]]
    paged = integrator.get(JOBS_URL, {"pageNumber": 2, "limit": 2}).json()
    assert [job["jobId"] for job in paged["csvJobs"]] == [jobs["first"]]
    assert (paged["currentPage"], paged["totalPages"], paged["totalCount"]) == (2, 2, 3)


def test_the_jobs_list_stays_in_the_tenant(client_for, tenants, jobs):
    other = client_for(tenants.other_api_user)
    assert [job["jobId"] for job in other.get(JOBS_URL).json()["csvJobs"]] == [jobs["other"]]
    assert_error(other.get(JOBS_URL, {"orgId": tenants.managed.pk}), 404)
    assert client_for(tenants.developer_admin).get(JOBS_URL).json()["totalCount"] == 0


def test_the_status_lists_the_rows_with_errors(integrator, tenants, jobs):
    response = integrator.get(job_url(jobs["bad"]), {"orgId": tenants.managed.pk})
    assert response.status_code == 200, response.content
    job = response.json()
    assert set(job) == {*JOB_KEYS, "errorDetails"}
    assert (job["status"], job["rowsTotal"], job["rowsCreated"], job["rowsFailed"]) == ("Completed", 2, 1, 1)
    [row] = job["errorDetails"]["log"]["errorDetails"]
    assert (row["rowNumber"], row["externalId"], row["status"]) == (2, "BULK-0004", "Failed")
    assert row["errorsList"][0]["property"] == "countryCode"
    assert row["errorsList"][0]["value"] == "ZZZ"
    assert job["errorDetails"]["log"]["successfullyAddedRowsAndExternalIds"] == [
        {"rowNumber": 1, "externalId": "BULK-0003"}
    ]
    # organizationId is accepted as an alias of orgId.
    assert integrator.get(job_url(jobs["bad"]), {"organizationId": tenants.managed.pk}).status_code == 200


def test_another_tenants_job_is_404(client_for, integrator, tenants, jobs):
    other = client_for(tenants.other_api_user)
    assert_error(other.get(job_url(jobs["first"])), 404)
    assert_error(other.get(job_url(jobs["first"]), {"orgId": tenants.managed.pk}), 404)
    assert_error(other.get(job_url(jobs["first"]), {"orgId": tenants.other_managed.pk}), 404)
    assert_error(client_for(tenants.developer_admin).get(job_url(jobs["first"])), 404)
    assert_error(integrator.get(job_url(jobs["other"])), 404)


def test_a_job_named_with_another_of_the_tenants_organizations_is_404(integrator, tenants, jobs):
    assert_error(integrator.get(job_url(jobs["first"]), {"orgId": tenants.managed2.pk}), 404)
    assert_error(integrator.get(job_url(987654)), 404)


# --- Template -----------------------------------------------------------------------------------


def test_the_template_has_the_exact_header_and_an_example_that_uploads_cleanly(committed, integrator, tenants):
    response = integrator.get(TEMPLATE_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == COLUMNS
    assert len(rows) == 2
    with committed():
        created = csv_upload(integrator, tenants.managed.pk, content, name="devices-template.csv")
    assert created.status_code == 201, created.content
    job = integrator.get(job_url(created.json()["jobId"]), {"orgId": tenants.managed.pk}).json()
    assert (job["status"], job["rowsTotal"], job["rowsCreated"], job["rowsFailed"]) == ("Completed", 1, 1, 0)
    assert job["errorDetails"]["log"]["errorDetails"] == []
    assert Device.objects.get().external_id == rows[1][0]

"""The portal's reads by file and several reads at once (SPEC §14, issue 19), with Django's test
client: "Upload Reads" queues the job the API queues and follows it live; the Add MeterRead form
stores several reads in one batch or none; both under the Write rule of POST
/api/meter-reads/new/{externalId}."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from devices import bulk
from devices.models import CsvJob
from reads.models import MeterRead
from tests.factories import api_user_create
from tests.organizations.helpers import member_create
from tests.personas import approved
from tests.reads.helpers import ONBOARDED, csv_read, device_onboarded, reads_csv
from tests.reads.test_portal import browser_of, field_error, local, read_form, recent_device

pytestmark = pytest.mark.django_db

T = ONBOARDED
HOUR = timedelta(hours=1)


def upload(content: bytes) -> dict:
    return {"csvFile": SimpleUploadedFile("reads.csv", content, content_type="text/csv")}


def test_a_developer_uploads_reads_and_follows_the_job_live(developer_admin, django_capture_on_commit_callbacks):
    organization = developer_admin.organization
    device_onboarded(organization, "METER-A")
    device_onboarded(organization, "METER-B")
    content = reads_csv(
        [
            csv_read("METER-A", T + HOUR),
            csv_read("METER-B", T + HOUR),
            csv_read("METER-A", T + 2 * HOUR),
            csv_read("METER-B", T + 2 * HOUR, value=-5),
        ]
    )
    browser = browser_of(developer_admin)
    html = browser.get("/reads/upload").content.decode()
    assert 'href="/api/meter-reads/bulk-csv/template.csv"' in html
    assert 'name="csvFile"' in html

    with django_capture_on_commit_callbacks() as queued:  # the worker has not taken it yet
        response = browser.post("/reads/upload", upload(content))
    job = CsvJob.objects.get()
    assert (job.kind, job.status, job.organization_id) == ("reads", "Added", organization.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/reads/upload?job={job.pk}"
    html = browser.get(response["Location"]).content.decode()
    assert f"job {job.pk} is being processed" in html
    assert 'hx-trigger="every 1s"' in html  # the list follows the job

    for task in queued:
        task()
    partial = browser.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert f"job {job.pk} completed with 1 error: 2 reads stored, 2 rows not stored" in partial
    assert "every 1s" not in partial  # done: it stops asking
    assert f'href="/reads/upload/{job.pk}#row-errors"' in partial
    assert MeterRead.objects.filter(device__external_id="METER-A").count() == 2
    assert not MeterRead.objects.filter(device__external_id="METER-B").exists()

    log = browser.get(f"/reads/upload/{job.pk}").content.decode()
    assert "Reads Upload Status Log" in log
    devices = log.split('data-testid="device-reads"', 1)[1].split("</table>", 1)[0]
    assert "METER-A" in devices
    assert "Stored" in devices
    assert "Not stored" in devices
    errors = log.split('data-testid="row-errors"', 1)[1].split("</table>", 1)[0]
    assert "<td>4</td><td>METER-B</td><td>value</td><td>The value must be greater than 0.</td>" in errors

    # The device uploads' page lists device uploads only.
    assert f'data-job="{job.pk}"' not in browser.get("/device/bulk_upload").content.decode()


def test_the_upload_page_and_its_post_need_the_write_rule_of_reads(developer_admin):
    content = reads_csv([csv_read("SHS-1", T + HOUR)])
    # A member who may read the organization's reads, not add them.
    reader = member_create(developer_admin.organization, email="reader@example.com", role=Role.USER)
    # An api user who may upload devices in bulk and read reads: the bulk grant is not the rule.
    bulk_only = approved(
        api_user_create(email="bulk@example.com", organization_name="Bulk only"),
        (("DEVICE_BULK_MANAGEMENT_CRUDL", "Read", "Write"), ("READS_MANAGEMENT_CRUDL", "Read")),
    )
    for user in (reader, bulk_only):
        browser = browser_of(user)
        assert browser.get("/reads/upload").status_code == 403
        assert browser.post("/reads/upload", upload(content)).status_code == 403
    assert not CsvJob.objects.exists()


def test_a_reads_log_is_shown_to_who_may_read_the_reads(developer_admin, buyer):
    job = bulk.csv_job_create(
        acting_user=developer_admin,
        organization=developer_admin.organization,
        file_name="reads.csv",
        data=reads_csv([csv_read("SHS-1", T + HOUR)]),
        kind="reads",
    )
    reader = member_create(developer_admin.organization, email="reader@example.com", role=Role.USER)
    assert browser_of(reader).get(f"/reads/upload/{job.pk}").status_code == 200
    assert browser_of(buyer).get(f"/reads/upload/{job.pk}").status_code == 404


# --- Add MeterRead: several reads at once -----------------------------------------------------------


def test_several_reads_are_added_at_once_or_none(developer_admin):
    device = recent_device(developer_admin.organization)
    browser = browser_of(developer_admin)
    ends = [(timezone.now() - timedelta(days=days)).replace(second=0, microsecond=0) for days in (3, 2, 1)]

    # "Add another read" draws one more read, stores nothing and shows no error yet.
    html = browser.post("/reads/add", {**read_form("Roof-1", ends[0]), "action": "add_more"}).content.decode()
    assert 'name="r1-value"' in html
    assert 'name="count" value="2"' in html
    assert "invalid-feedback" not in html
    assert not MeterRead.objects.exists()

    form = {
        **read_form("Roof-1", ends[0], value="2"),
        "count": "4",
        "r1-endtimestamp": local(ends[1]),
        "r1-value": "-1",
        "r2-endtimestamp": local(ends[2]),
        "r2-value": "3",
        # r3: left empty, ignored
    }
    html = browser.post("/reads/add", form).content.decode()
    assert "The value must be greater than 0." in field_error(html, "r1-value")
    assert field_error(html, "value") == ""
    assert field_error(html, "r2-value") == ""
    assert field_error(html, "r3-value") == ""
    assert not MeterRead.objects.exists()

    # Each read's own reasons under its own fields, all at once.
    bad_end = {**form, "r1-value": "2.5", "r2-endtimestamp": local(ends[0])}
    html = browser.post("/reads/add", bad_end).content.decode()
    assert "must be after the previous read&#x27;s end" in field_error(html, "r2-endtimestamp")
    assert not MeterRead.objects.exists()

    response = browser.post("/reads/add", {**form, "r1-value": "2.5"}, follow=True)
    assert "3 reads added for Roof-1." in response.content.decode()
    reads = MeterRead.objects.filter(device=device).order_by("end")
    assert [(read.end, read.value_wh) for read in reads] == list(zip(ends, [2000, 2500, 3000], strict=True))
    assert reads[0].is_baseline


def test_a_further_read_left_half_filled_is_refused_with_the_rest(developer_admin):
    recent_device(developer_admin.organization)
    end = (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)
    form = {**read_form("Roof-1", end), "count": "2", "r1-value": "4"}

    html = browser_of(developer_admin).post("/reads/add", form).content.decode()

    assert "This field is required." in field_error(html, "r1-endtimestamp")
    assert not MeterRead.objects.exists()

"""Reads by file in Chromium (issue 19, must-show 4): a developer uploads a CSV of reads of
three devices on "Upload Reads", watches the job's progress move while a worker stores the
devices one by one, then reads in its log which device was refused and why."""

import re
import threading
import time
from datetime import timedelta

from django.db import connection
from django_q.conf import Conf
from playwright.sync_api import expect

from devices.models import CsvJob
from organizations.services import organization_access_grant
from reads import bulk
from reads.models import MeterRead
from tests.reads.helpers import ONBOARDED, csv_read, device_onboarded, reads_csv


def test_upload_reads_shows_live_progress_then_the_refused_device(
    page, login, snap, developer_admin, monkeypatch, tmp_path
):
    organization_access_grant(user=developer_admin, organization=developer_admin.organization)
    devices = [device_onboarded(developer_admin.organization, f"Roof-{n}") for n in (1, 2, 3)]
    lines = [
        csv_read(device.external_id, ONBOARDED + timedelta(hours=hour)) for device in devices for hour in range(1, 201)
    ]
    lines[2 * 200 + 49]["value"] = "-1"  # Roof-3's 50th read: row 450
    path = tmp_path / "reads.csv"
    path.write_bytes(reads_csv(lines))
    # Work goes to the queue, as in production, and a "worker" thread stores the devices slowly
    # enough (a batch a device, a pause each) for the page to show the job moving.
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(bulk, "BATCH_ROWS", 200)
    store = bulk._store_batch

    def slow_store(job, batch):
        time.sleep(0.6)
        return store(job, batch)

    monkeypatch.setattr(bulk, "_store_batch", slow_store)

    login(developer_admin.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Upload Reads").click()
    expect(page.get_by_role("heading", name="Upload Reads")).to_be_visible()
    expect(page.get_by_role("link", name="CSV template")).to_have_attribute(
        "href", "/api/meter-reads/bulk-csv/template.csv"
    )
    page.get_by_label("CSV file").set_input_files(path)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("is being processed")
    job = CsvJob.objects.get()
    assert job.kind == "reads"

    def worker():
        try:
            bulk.reads_csv_job_process(job.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    bar = page.get_by_role("progressbar", name=f"Progress of job {job.pk}")
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        value = int(bar.get_attribute("aria-valuenow"))
        if 0 < value < 100 and not any(0 < old < 100 for old in seen):
            snap("reads-upload-in-progress")
        seen.add(value)
        if page.get_by_test_id("job-status").first.inner_text().startswith("Completed"):
            break
        page.wait_for_timeout(150)
    thread.join()
    assert any(0 < value < 100 for value in seen), f"no intermediate progress seen: {sorted(seen)}"
    expect(page.get_by_test_id("job-status").first).to_have_text("Completed with 1 error")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(bar.locator(".progress-bar")).to_have_class(re.compile(r"\bbg-warning\b"))
    expect(page.get_by_test_id("jobs")).to_contain_text("600 / 600 rows · 400 stored · 1 with errors")
    expect(page.get_by_role("status")).to_contain_text(
        f"job {job.pk} completed with 1 error: 400 reads stored, 200 rows not stored"
    )
    snap("reads-upload-completed-with-errors")
    assert [MeterRead.objects.filter(device=device).count() for device in devices] == [200, 200, 0]

    page.get_by_role("link", name="Logs").click()
    expect(page.get_by_role("heading", name="Reads Upload Status Log")).to_be_visible()
    outcomes = page.get_by_test_id("device-reads").locator("tbody tr")
    expect(outcomes).to_have_count(3)
    expect(outcomes.nth(0)).to_contain_text("Roof-1")
    expect(outcomes.nth(0)).to_contain_text("Stored")
    expect(outcomes.nth(2)).to_contain_text("Roof-3")
    expect(outcomes.nth(2)).to_contain_text("Not stored")
    errors = page.get_by_test_id("row-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("450")
    expect(errors.first).to_contain_text("The value must be greater than 0.")
    page.get_by_role("link", name="Go Back").click()
    expect(page.get_by_role("heading", name="Upload Reads")).to_be_visible()

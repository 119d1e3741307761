"""Bulk device upload in Chromium: the progress bar moves while a worker processes the job,
then the job's error log names the bad rows."""

import re
import threading
import time

from django.db import connection
from django_q.conf import Conf
from playwright.sync_api import expect

from devices import bulk
from devices.benchmarks import device_csv
from devices.models import CsvJob


def test_bulk_upload_shows_live_progress_and_the_error_log(page, login, snap, developer_admin, monkeypatch, tmp_path):
    from organizations.services import organization_access_grant

    organization_access_grant(user=developer_admin, organization=developer_admin.organization)
    # Work goes to the queue, as in production, and a "worker" thread processes it slowly
    # enough (small batches, a pause each) for the page to show it moving.
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(bulk, "BATCH_SIZE", 100)
    insert = bulk._insert

    def slow_insert(devices, errors, job):
        time.sleep(0.25)
        return insert(devices, errors, job)

    monkeypatch.setattr(bulk, "_insert", slow_insert)

    rows = device_csv(1200).decode().splitlines()
    rows[5] = rows[5].replace(",IND,", ",XXX,")  # row 5: unknown country
    rows[800] = rows[800].replace(",2.5,", ",0,")  # row 800: capacity 0
    path = tmp_path / "devices.csv"
    path.write_text("\n".join(rows) + "\n")

    login(developer_admin.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Bulk Upload").click()
    page.get_by_label("CSV file").set_input_files(path)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("is being processed")
    job = CsvJob.objects.get()

    def worker():
        try:
            bulk.csv_job_process(job.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    bar = page.get_by_role("progressbar", name=f"Progress of job {job.pk}")
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        value = int(bar.get_attribute("aria-valuenow"))
        if 30 < value < 70 and not any(30 < old < 70 for old in seen):
            snap("bulk-upload-in-progress")
        seen.add(value)
        if page.get_by_test_id("job-status").first.inner_text().startswith("Completed"):
            break
        page.wait_for_timeout(150)
    thread.join()
    assert any(0 < value < 100 for value in seen), f"no intermediate progress seen: {sorted(seen)}"
    # Done with row errors: amber, "Completed with 2 errors", and the banner no longer says "being processed".
    expect(page.get_by_test_id("job-status").first).to_have_text("Completed with 2 errors")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(bar.locator(".progress-bar")).to_have_class(re.compile(r"\bbg-warning\b"))
    expect(page.get_by_test_id("jobs")).to_contain_text("1198 created · 2 with errors")
    expect(page.get_by_role("status")).to_contain_text(f"job {job.pk} completed with 2 errors")
    expect(page.get_by_role("status")).not_to_contain_text("being processed")
    snap("bulk-upload-completed-with-errors")

    page.get_by_test_id("job-status").first.get_by_role("link", name="Completed with 2 errors").click()
    expect(page.get_by_role("heading", name="Device Bulk Registration Status Log")).to_be_visible()
    page.go_back()
    page.get_by_role("link", name="Logs").click()
    errors = page.get_by_test_id("row-errors")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("5")
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("countryCode")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("800")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("Capacity should be greater than 0")

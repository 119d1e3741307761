"""Webhooks in Chromium (issue 19 must-show 4): an organization admin adds a webhook and copies
its secret, uploads devices in bulk, and finds the signed ``bulk_job.finished`` delivery in the
webhook's log; a receiver on loopback got it once, verified with that secret."""

from playwright.sync_api import expect
from standardwebhooks import Webhook as Verifier

from devices.benchmarks import device_csv
from devices.models import CsvJob
from organizations.services import organization_access_grant
from tests.webhooks.receiver import receiver
from webhooks.models import Webhook


def test_add_a_webhook_upload_devices_and_see_the_delivery(
    page, login, snap, page_checks, developer_admin, settings, tmp_path
):
    settings.DREC_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    organization_access_grant(user=developer_admin, organization=developer_admin.organization)
    path = tmp_path / "devices.csv"
    path.write_bytes(device_csv(3))
    with receiver() as end:
        login(developer_admin.email)
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Webhooks").click()
        expect(page.get_by_test_id("webhooks")).to_contain_text("No webhook yet.")
        page.get_by_label("Endpoint URL").fill(end.url)
        page.get_by_label("bulk_job.finished", exact=False).check()
        page.get_by_label("Description").fill("Our ERP")
        page.get_by_role("button", name="Add webhook").click()
        secret = page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        snap("webhook-secret-once")
        expect(page.get_by_test_id("webhook-url")).to_have_text(end.url)
        page.reload()  # the secret is not shown again, and nothing is posted again
        expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
        assert Webhook.objects.count() == 1

        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Bulk Upload").click()
        page.get_by_label("CSV file").set_input_files(path)
        page.get_by_role("button", name="Upload").click()
        job = CsvJob.objects.get()  # processed at once: the task queue runs in sync mode here
        expect(page.get_by_test_id("job-status").first).to_have_text("Completed")

        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name="Deliveries of webhook").first.click()
        row = page.get_by_test_id("deliveries").locator("tbody tr").first
        expect(row).to_contain_text("bulk_job.finished")
        expect(row).to_contain_text("Succeeded")
        expect(row).to_contain_text("200")
        snap("webhook-deliveries")

        (event,) = [Verifier(secret).verify(item.body, item.headers) for item in end.received]
        assert (event["type"], event["data"]["jobId"], event["data"]["rowsCreated"]) == ("bulk_job.finished", job.pk, 3)
    assert page_checks.failures == []

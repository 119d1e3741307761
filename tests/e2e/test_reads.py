"""Meter reads in Chromium: a developer adds a read through the portal's form, then finds it in
the read list and in the device's generation chart."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from devices.models import Device
from reads.models import MeterRead
from tests.devices.helpers import device_make


def test_add_a_read_then_see_it_in_the_list_and_the_chart(page, login, snap, developer_admin):
    from organizations.services import organization_access_grant

    organization_access_grant(user=developer_admin, organization=developer_admin.organization)
    device = device_make(developer_admin.organization, "Roof-7")
    Device.objects.filter(pk=device.pk).update(created_at=timezone.now() - timedelta(days=10))
    local_now = timezone.localtime(timezone=timezone.get_fixed_timezone(330))  # Asia/Kolkata, the device's zone
    baseline_end = (local_now - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    read_end = (local_now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    login(developer_admin.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Add MeterRead").click()
    expect(page.get_by_role("heading", name="Add Read")).to_be_visible()
    page.get_by_label("External ID").fill("Roof-7")
    page.get_by_label("External ID").dispatch_event("change")
    expect(page.get_by_test_id("device-summary")).to_contain_text("read type not set yet")
    expect(page.get_by_label("Select Timezone")).to_have_value("Asia/Kolkata")

    def add(end, value):
        page.get_by_label("Read Type").select_option("Delta")
        page.get_by_label("Unit").select_option("kWh")
        page.get_by_label("Meter Read").fill(value)
        page.get_by_label("End Datetime").fill(end.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("status")).to_contain_text("Read added:")

    add(baseline_end, "1")  # the first Delta read is the device's baseline
    add(read_end, "4.5")
    snap("read-added")
    reads = MeterRead.objects.filter(device=device).order_by("end")
    assert [read.value_wh for read in reads] == [1000, 4500]
    assert reads[1].end == read_end

    # The read list: the device's reads, newest first, in the device's time zone.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="All Reads").click()
    page.get_by_label("External ID").fill("Roof-7")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_test_id("reads")
    expect(table.locator("tbody tr")).to_have_count(2)
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("4500")
    expect(first).to_contain_text(read_end.strftime("%d %b %Y %H:%M"))
    expect(first).to_contain_text("Ongoing")
    snap("read-list")

    # The device page: its generation chart holds the day's energy.
    page.get_by_role("link", name="Device and generation chart").click()
    expect(page.get_by_test_id("generation-total")).to_contain_text("5.500 kWh")
    chart_values = page.wait_for_function(
        "() => { const c = document.querySelector('canvas[data-generation]');"
        " const chart = c && Chart.getChart(c); return chart && chart.data.datasets[0].data; }"
    ).json_value()
    assert 4.5 in chart_values
    assert 1 in chart_values
    assert len(chart_values) == 30
    snap("generation-chart")

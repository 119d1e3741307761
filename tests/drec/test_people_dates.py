"""The portal shows moments as people read them ("1 Dec 2026, 21:00 UTC"), in a device's zone
when one is named, never as the API's ISO strings."""

from datetime import UTC, date, datetime

from django.template import Context, Template

from drec.templatetags.portal import when


def test_a_moment_in_utc_reads_as_day_month_year_and_time():
    assert when(datetime(2026, 12, 1, 21, 0, tzinfo=UTC)) == "1 Dec 2026, 21:00 UTC"


def test_a_moment_in_a_devices_zone_carries_that_zones_name():
    assert when(datetime(2026, 12, 1, 21, 0, tzinfo=UTC), "Africa/Nairobi") == "2 Dec 2026, 00:00 EAT"


def test_an_api_answers_iso_string_is_read_first():
    assert when("2026-12-01T21:00:00Z") == "1 Dec 2026, 21:00 UTC"


def test_a_date_has_no_time_and_nothing_is_a_dash():
    assert (when(date(2026, 2, 9)), when(None), when("")) == ("9 Feb 2026", "—", "—")


def test_an_unknown_zone_falls_back_to_the_portals():
    assert when(datetime(2026, 12, 1, 21, 0, tzinfo=UTC), "Mars/Olympus") == "1 Dec 2026, 21:00 UTC"


def test_templates_use_it_as_a_filter():
    template = Template('{% load portal %}{{ at|when:"Asia/Kolkata" }}')
    html = template.render(Context({"at": datetime(2026, 1, 1, tzinfo=UTC)}))
    assert html == "1 Jan 2026, 05:30 IST"

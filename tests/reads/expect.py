"""What the meter-read tests expect, written independently of the service: the plausibility
cap of backend.md §8.4, the error list of a refused batch, the stored reads of a device."""

import math
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from django.utils import timezone

from reads.models import MeterRead
from tests.reads.helpers import batch, iso, reads_url


def cap_wh(device, hours: float, *, yield_value: int = 2000, now: datetime | None = None) -> float:
    """maxWh = capacity_kW * 1000 * hours * (yield / 8760) * 0.995^(age_years - 1) * 1.2 (backend.md §8.4)."""
    now = now or timezone.now()
    age_years = (now - device.commissioning_date).total_seconds() / (365.25 * 86400)
    if age_years <= 0:
        age_years = 1
    return float(device.capacity) * 1000 * hours * (yield_value / 8760) * 0.995 ** (age_years - 1) * 1.2


def under_cap(cap: float) -> int:
    """The largest whole Wh clearly below the cap (the service's clock is a moment later)."""
    return math.floor(cap) - 1


def over_cap(cap: float) -> int:
    """The smallest whole Wh clearly at or above the cap."""
    return math.ceil(cap) + 1


def send(client, device, read_type: str, reads: list, unit: str = "Wh", **extra):
    """POST a batch of reads for ``device`` (by its developer's externalId)."""
    return client.post(reads_url(device.external_id), batch(read_type, reads, unit, **extra), format="json")


def period(start: datetime, hours: float = 1, value=100) -> dict:
    """A History read covering ``hours`` from ``start``."""
    return {"starttimestamp": iso(start), "endtimestamp": iso(start + timedelta(hours=hours)), "value": value}


def at(end: datetime, value=1000) -> dict:
    """An ongoing read ending at ``end``."""
    return {"endtimestamp": iso(end), "value": value}


def assert_stored(response, count: int) -> None:
    assert response.status_code == 201, (response.status_code, response.content[:800])
    assert response.json() == {"success": True, "stored": count}


def assert_refused(response, *problems: tuple[int, str]) -> list[dict]:
    """A 400 whose ``errors`` names exactly ``problems`` as (index, field) pairs, each with a message."""
    assert response.status_code == 400, (response.status_code, response.content[:800])
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == 400
    assert body["error"] == HTTPStatus(400).phrase
    assert "nothing was stored" in body["message"]
    errors = body["errors"]
    assert isinstance(errors, list), body
    for error in errors:
        assert set(error) == {"index", "field", "message"}, error
        assert error["message"], error
    assert {(error["index"], error["field"]) for error in errors} == set(problems), errors
    return errors


def rows(device, *types: str) -> list[tuple]:
    """The device's stored reads, oldest first: (type, start, end, value_wh, meter_wh, is_baseline)."""
    reads = MeterRead.objects.filter(device=device).order_by("end")
    if types:
        reads = reads.filter(read_type__in=types)
    return list(reads.values_list("read_type", "start", "end", "value_wh", "meter_wh", "is_baseline"))


def assert_valid_sequence(device, onboarded: datetime) -> list[MeterRead]:
    """The ongoing reads of ``device`` chain from the onboarding date: one baseline first, strictly
    increasing ends, each start the previous end."""
    ongoing = list(MeterRead.objects.filter(device=device).exclude(read_type="History").order_by("end", "id"))
    previous_end = onboarded
    for number, read in enumerate(ongoing):
        assert read.is_baseline is (number == 0), read
        assert read.start == previous_end, (number, read)
        assert read.end > read.start, read
        previous_end = read.end
    return ongoing


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)

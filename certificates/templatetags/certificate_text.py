"""Certificates in people's words: ``{% load certificate_text %}``, then ``{{ wh|energy }}``
("12 kWh"), ``{{ certificate|period }}`` ("1-31 Dec 2026", with an en dash) and ``{{ certificate|devices }}``
("Village school roof" or "12 devices")."""

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template

from certificates.models import Certificate
from drec.formats import people_energy

register = template.Library()

DASH = "\u2013"  # an en dash, as ranges are written


@register.filter
def energy(wh: int | str | None) -> str:
    """An energy in Wh as people read it: 500 → "500 Wh", 12000 → "12 kWh", 2500000 → "2.5 MWh"."""
    if wh is None or wh == "":
        return "—"
    return people_energy(int(wh))


def _zone_of(device) -> str:
    return device.timezone or (device.country.timezones[0] if device.country.timezones else "UTC")


def certificate_zone(certificate: Certificate) -> str:
    """The devices' zone when they share one (their local days), else UTC."""
    zones = {_zone_of(contribution.device) for contribution in certificate.contributions.all()}
    return zones.pop() if len(zones) == 1 else "UTC"


def _day(day: date, *, year: bool = True, month: bool = True) -> str:
    return f"{day.day}" + (f" {day:%b}" if month else "") + (f" {day:%Y}" if year else "")


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def days_text(first: date, last: date) -> str:
    """Days from ``first`` to ``last`` (both included): "2 Mar 2026", "1-31 Dec 2026"."""
    if first == last:
        return _day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{DASH}{_day(last)}"
    if first.year == last.year:
        return f"{_day(first, year=False)} {DASH} {_day(last)}"
    return f"{_day(first)} {DASH} {_day(last)}"


def span(start: datetime, end: datetime, zone: str = "UTC") -> str:
    """A period ``[start, end)`` for people: whole days (in UTC, as issuance windows are, or in
    ``zone``) as dates ("2 Mar 2026", "1-31 Dec 2026", "30 Nov - 6 Dec 2026", with en dashes),
    anything else with times in ``zone`` and its name."""
    midnight = datetime.min.time()
    for tz in (UTC, _zone(zone)):
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        if local_start.time() == midnight and local_end.time() == midnight and end > start:
            return days_text(local_start.date(), (local_end - timedelta(days=1)).date())
    start, end = start.astimezone(_zone(zone)), end.astimezone(_zone(zone))
    name = end.tzname() or "UTC"
    if start.date() == end.date():
        return f"{_day(start.date())}, {start:%H:%M}{DASH}{end:%H:%M} {name}"
    return f"{_day(start.date())}, {start:%H:%M} {DASH} {_day(end.date())}, {end:%H:%M} {name}"


def days_of(certificate: Certificate) -> tuple[date, date]:
    """The first and last day of a certificate's generation (its end is exclusive: a day's
    certificate ends at the next midnight, which is not a day of it), as ``period`` reads them."""
    zone = certificate_zone(certificate)
    midnight = datetime.min.time()
    for tz in (UTC, _zone(zone)):
        start, end = certificate.generation_start.astimezone(tz), certificate.generation_end.astimezone(tz)
        if start.time() == midnight and end.time() == midnight:
            return start.date(), (end - timedelta(days=1)).date()
    tz = _zone(zone)
    return certificate.generation_start.astimezone(tz).date(), certificate.generation_end.astimezone(tz).date()


@register.filter
def period(certificate: Certificate) -> str:
    """A certificate's generation period, in its devices' zone when they share one."""
    return span(certificate.generation_start, certificate.generation_end, certificate_zone(certificate))


@register.filter
def iso_period(start: str, end: str) -> str:
    """``period`` of a certificate given as JSON gives it (the public registry's listing): its
    generation start and end as ISO 8601 text, read as days in UTC."""
    return span(datetime.fromisoformat(start), datetime.fromisoformat(end))


@register.filter
def claim_period(claim) -> str:
    """A claim's period (whole days, in UTC as it is stored)."""
    return days_text(claim.period_start.astimezone(UTC).date(), claim.period_end.astimezone(UTC).date())


@register.filter
def devices(certificate: Certificate) -> str:
    """The device a certificate was issued for, by name, or how many there were."""
    contributions = list(certificate.contributions.all())
    if len(contributions) == 1:
        return contributions[0].device.external_id
    return f"{len(contributions)} devices"

"""How values are written in answers (the original's formats), for both doors."""

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal


def decimal_text(value: Decimal | None) -> str | None:
    """A coordinate as the original returned it: a string without trailing zeros."""
    if value is None:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def people_date(value: date) -> str:
    """A day as people read it: "9 Feb 2026"."""
    return f"{value.day} {value:%b %Y}"


def people_moment(value: datetime, zone: tzinfo | None = None) -> str:
    """A moment as people read it: "1 Dec 2026, 21:00 UTC", in ``zone`` (else in its own
    zone; a naive one is taken as it is). A fixed offset is named "UTC+03:00"."""
    local = value.astimezone(zone) if zone is not None and value.tzinfo is not None else value
    name = local.tzname() or "UTC"
    return f"{local.day} {local:%b %Y, %H:%M} {name}"


ENERGY_UNITS = ((1_000_000_000, "GWh"), (1_000_000, "MWh"), (1_000, "kWh"))


def people_energy(wh: int) -> str:
    """An energy in Wh as people read it: 500 → "500 Wh", 12000 → "12 kWh", 2500000 → "2.5 MWh"."""
    for size, unit in ENERGY_UNITS:
        if abs(wh) >= size:
            return f"{wh / size:,.3f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{wh:,} Wh"

"""How values are written in answers (the original's formats), for both doors."""

from datetime import UTC, datetime
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

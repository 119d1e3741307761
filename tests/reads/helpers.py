"""Plain helpers of the meter-read tests: devices with a chosen onboarding date, batches."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from devices.models import Device
from tests.devices.helpers import device_make

ONBOARDED = datetime(2024, 1, 1, tzinfo=UTC)
COMMISSIONED = datetime(2022, 1, 1, tzinfo=UTC)


def reads_url(ref) -> str:
    return f"/api/meter-reads/new/{ref}"


def device_onboarded(
    organization, external_id: str = "SHS-1", *, onboarded=ONBOARDED, commissioned=COMMISSIONED, capacity="5"
) -> Device:
    """A device registered through the service, then moved back in time to ``onboarded``."""
    device = device_make(organization, external_id, commissioningDate=commissioned, capacity=Decimal(capacity))
    Device.objects.filter(pk=device.pk).update(created_at=onboarded)
    device.refresh_from_db()
    return device


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def hourly(start: datetime, count: int, value=1000) -> list[dict]:
    """``count`` ongoing reads, one per hour after ``start``."""
    return [{"endtimestamp": iso(start + timedelta(hours=n + 1)), "value": value} for n in range(count)]


def batch(read_type: str, reads: list[dict], unit: str = "Wh", **extra) -> dict:
    return {"type": read_type, "unit": unit, "reads": reads, **extra}

"""Reads of buyer reservations."""

from django.db.models import QuerySet

from devices.models import Device
from organizations.models import Organization


def devices_reserved_by(*, organization: Organization | None) -> QuerySet[Device]:
    """Devices in any reservation (active or ended) of the buyer organization: their reads
    and certificates stay visible to the buyer."""
    if organization is None:
        return Device.objects.none()
    return Device.objects.filter(pk__in=Device.objects.filter(memberships__reservation__organization=organization))

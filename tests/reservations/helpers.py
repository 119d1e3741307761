"""Plain helpers of the reservation tests: URLs, request bodies, reservations made over the API."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from drec.formats import iso
from tests.devices.helpers import device_make

RESERVATIONS_URL = "/api/buyer-reservation"
MY_URL = "/api/buyer-reservation/my"
UNGROUPED_URL = "/api/device/ungrouped/buyerreservation"
PAGE_KEYS = {"currentPage", "totalPages", "totalCount"}
UNAVAILABLE = "unavailableDeviceIDsDueToAreIncludedInBuyerReservation"
CONTINUE_DEVICES = "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation"
CONTINUE_TARGET = "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration"

# A period of exactly 100 days (2,400 hours) that started ten days ago, midnight UTC: recent
# enough never to be "more than 3 years ago", whatever day the suite runs.
_today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
START = _today - timedelta(days=10)
END = START + timedelta(days=100)
HOURS = 2400

OMIT = object()


def reservation_url(reservation_id) -> str:
    return f"{RESERVATIONS_URL}/{reservation_id}"


def end_url(reservation_id) -> str:
    return f"{RESERVATIONS_URL}/endreservation/{reservation_id}"


def device_url(device_id) -> str:
    return f"/api/device/{device_id}"


def stamp(moment: datetime) -> str:
    """A moment as the API writes it (ISO 8601, UTC, ``Z``)."""
    return iso(moment)


def reservation_body(device_ids, **overrides) -> dict:
    """A valid create body for ``device_ids``: a small target, no continuing; ``field=OMIT``
    leaves a field out."""
    body = {
        "name": "Reservation One",
        "deviceIds": list(device_ids),
        "targetCapacityInMegaWattHour": 1,
        "reservationStartDate": stamp(START),
        "reservationEndDate": stamp(END),
        CONTINUE_DEVICES: False,
        CONTINUE_TARGET: False,
        "authorityToExceed": True,
        "frequency": "hourly",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not OMIT}


def create(client, device_ids, *, org=None, **overrides):
    """POST a reservation (``?orgId=`` when ``org`` is given: an organization or its id)."""
    url = RESERVATIONS_URL
    if org is not None:
        url += f"?orgId={getattr(org, 'pk', org)}"
    return client.post(url, reservation_body(device_ids, **overrides), format="json")


def reserve(client, device_ids, *, org=None, **overrides) -> dict:
    """Create a reservation that must succeed; its JSON."""
    response = create(client, device_ids, org=org, **overrides)
    assert response.status_code == 201, response.content[:500]
    return response.json()


def devices_make(organization, prefix: str, count: int, **fields) -> list:
    return [device_make(organization, f"{prefix}-{number}", **fields) for number in range(1, count + 1)]


def unavailable_ids(answer: dict) -> set[int]:
    """The ids of ``unavailableDeviceIDsDueToAreIncludedInBuyerReservation`` ("" or "id , id")."""
    text = answer[UNAVAILABLE]
    return {int(part) for part in text.split(" , ")} if text else set()


def names(page: dict) -> list[str]:
    return [reservation["name"] for reservation in page["groupedData"]]


def ungrouped_ids(client, organization_id=None) -> set[int]:
    url = UNGROUPED_URL + "?limit=1000"
    if organization_id is not None:
        url += f"&organizationId={organization_id}"
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return {device["id"] for device in response.json()["devices"]}

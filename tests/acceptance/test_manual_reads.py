"""Journey: the seed manual's API §5.1-5.2 (add meter reads, get meter reads by external id),
as an api user acting for its Developer and Buyer organizations, with the manual's payload and
the response of its screenshots (0146b5eb, a24be8f3)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from devices.models import Device
from reads.models import MeterRead
from reservations.models import Reservation, ReservationDevice
from tests.acceptance.test_manual_devices import managed

pytestmark = pytest.mark.django_db

SEED_RESPONSE = {
    "historyread": [{"startdate": "2023-12-27T06:47:00.000Z", "enddate": "2024-04-23T03:33:03.000Z", "value": 40000}],
    "ongoing": [],
    "numberOfReads": 1,
    "numberOfPages": 1,
    "currentPageNumber": 1,
    "timezone": "Asia/Kolkata",
}


def register_device(api, organization_id: int, external_id: str, onboarded: datetime) -> Device:
    body = {
        "externalId": external_id,
        "address": "string",
        "latitude": "23.67686",
        "longitude": "25.56754",
        "countryCode": "IND",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC110",
        "capacity": 2000,
        "commissioningDate": "2023-10-18T11:35:27.640Z",
        "organizationId": organization_id,
    }
    response = api.post("/api/device", body, format="json")
    assert response.status_code == 201, response.json()
    Device.objects.filter(pk=response.json()["id"]).update(created_at=onboarded)  # onboarded back then
    return Device.objects.get(pk=response.json()["id"])


def same_moments(answer: dict, expected: dict) -> bool:
    """Equal, reading every startdate/enddate as an instant (``…:00Z`` is ``…:00.000Z``)."""

    def normal(reads):
        return [(parse_datetime(r["startdate"]), parse_datetime(r["enddate"]), r["value"]) for r in reads]

    keys = ("numberOfReads", "numberOfPages", "currentPageNumber", "timezone")
    return (
        all(answer[key] == expected[key] for key in keys)
        and normal(answer["historyread"]) == normal(expected["historyread"])
        and normal(answer["ongoing"]) == normal(expected["ongoing"])
    )


def test_manual_reads(api_user, grant, token_for):
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    grant(api_user, "READS_MANAGEMENT_CRUDL", "Read", "Write")
    developer = managed(api_user, email="dev@example.com", organization_type="Developer", name="Developer 25")
    buyer = managed(api_user, email="buyer@example.com", organization_type="Buyer", name="Buyer 11")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_user)}")

    # §5.1: the manual's payload (a Delta read in Asia/Kolkata wall time) for device Ext2.
    ext2 = register_device(api, developer.pk, "Ext2", onboarded=datetime(2023, 12, 27, 2, 30, tzinfo=UTC))
    payload = {
        "organizationId": developer.pk,
        "timezone": "Asia/Kolkata",
        "type": "Delta",
        "unit": "Wh",
        "reads": [{"starttimestamp": "2023-12-27 12:17:00", "endtimestamp": "2023-12-27 14:17:00", "value": 4000}],
    }
    response = api.post("/api/meter-reads/new/Ext2", payload, format="json")
    assert response.status_code == 201, response.json()
    read = MeterRead.objects.get(device=ext2)
    assert (read.end, read.value_wh, read.read_type) == (datetime(2023, 12, 27, 8, 47, tzinfo=UTC), 4000, "Delta")
    ext2.refresh_from_db()
    assert (ext2.timezone, ext2.meter_read_type) == ("Asia/Kolkata", "Delta")

    # "If the buyer's organizationId in body payload is given, the unauthorized exception will be thrown."
    refused = api.post("/api/meter-reads/new/Ext2", {**payload, "organizationId": buyer.pk}, format="json")
    assert refused.status_code == 403
    assert MeterRead.objects.count() == 1

    # §5.2 with the developer's organizationId: the path holds the developer's externalId.
    ext1 = register_device(api, developer.pk, "Ext1", onboarded=datetime(2024, 4, 23, 10, tzinfo=UTC))
    history = {
        "organizationId": developer.pk,
        "timezone": "Asia/Kolkata",
        "type": "History",
        "unit": "Wh",
        "reads": [{"starttimestamp": "2023-12-27 12:17:00", "endtimestamp": "2024-04-23 09:03:03", "value": 40000}],
    }
    assert api.post("/api/meter-reads/new/Ext1", history, format="json").status_code == 201
    query = {
        "readType": "meterReads",
        "start": "2020-01-01T00:00:00Z",
        "end": "2024-04-24T00:00:00Z",
        "organizationId": developer.pk,
        "pagenumber": 1,
    }
    answer = api.get("/api/meter-reads/new/Ext1", query)
    assert answer.status_code == 200
    assert same_moments(answer.json(), SEED_RESPONSE), answer.json()

    # §5.2 with the buyer's organizationId: the path holds the device id, of a reserved device.
    reservation = Reservation.objects.create(
        name="Buyer 11 reservation",
        organization=buyer,
        buyer=api_user,
        start=datetime(2023, 12, 1, tzinfo=UTC),
        end=timezone.now() + timedelta(days=30),
        expiry=timezone.now() + timedelta(days=90),
        frequency="daily",
        target_wh=1_000_000,
    )
    ReservationDevice.objects.create(reservation=reservation, device=ext1, covers_from=reservation.start)
    answer = api.get(f"/api/meter-reads/new/{ext1.pk}", {**query, "organizationId": buyer.pk})
    assert answer.status_code == 200
    assert same_moments(answer.json(), SEED_RESPONSE), answer.json()
    by_external_id = api.get("/api/meter-reads/new/Ext1", {**query, "organizationId": buyer.pk})
    assert by_external_id.status_code == 400
    assert "device id" in by_external_id.json()["message"]

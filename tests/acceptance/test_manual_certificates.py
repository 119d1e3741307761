"""Journey: the seed manual's API §8.1-8.2 (certificate log, issuer certified) after a
reservation with reads has been issued, as an api user acting for its Developer and Buyer
organizations; keys as in the seed's responses (21c1dadd, 2ad51611)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from devices.models import Device
from tests.acceptance.test_manual_devices import managed

pytestmark = pytest.mark.django_db

ITEM_KEYS = {  # the certificate-log item of 21c1dadd and 2ad51611
    "createdAt", "internalCertificateId", "blockchainCertificateId", "deviceId", "generationStartTime",
    "generationEndTime", "creationTime", "owners", "claimers", "claims", "creationBlockHash", "metadata", "isSynced",
    "transactions", "updatedAt", "perDeviceCertificateLog",
}  # fmt: skip
METADATA_KEYS = {
    "version", "buyerReservationId", "isStandardIssuanceRequested", "type", "deviceIds", "certificateTransactionUID",
    "groupId",
}  # fmt: skip


def test_manual_certificate_logs(api_user, admin_user, grant, token_for):
    for module, *verbs in (
        ("USER_MANAGEMENT_CRUDL", "Write"),
        ("DEVICE_MANAGEMENT_CRUDL", "Read", "Write"),
        ("READS_MANAGEMENT_CRUDL", "Read", "Write"),
        ("BUYER_RESERVATION_MANAGEMENT_CRUDL", "Read", "Write"),
        ("CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read"),
    ):
        grant(api_user, module, *verbs)
    developer = managed(api_user, email="dev@example.com", organization_type="Developer", name="Developer 25")
    buyer = managed(api_user, email="buyer@example.com", organization_type="Buyer", name="Buyer 26")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_user)}")

    day = (timezone.now() - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    body = {
        "externalId": "Ext1",
        "address": "string",
        "latitude": "23.67686",
        "longitude": "25.56754",
        "countryCode": "IND",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC110",
        "capacity": 10,
        "commissioningDate": "2023-10-18T11:35:27.640Z",
        "organizationId": developer.pk,
    }
    device = api.post("/api/device", body, format="json").json()
    Device.objects.filter(pk=device["id"]).update(created_at=day - timedelta(hours=1))
    reads = [{"endtimestamp": (day + timedelta(hours=h)).isoformat(), "value": 1000} for h in range(25)]
    posted = api.post(
        "/api/meter-reads/new/Ext1",
        {"type": "Delta", "unit": "Wh", "organizationId": developer.pk, "reads": reads},
        format="json",
    )
    assert posted.status_code == 201, posted.json()
    reservation = api.post(
        f"/api/buyer-reservation?orgId={buyer.pk}",
        {
            "name": "ReservationForExt1",
            "deviceIds": [device["id"]],
            "targetCapacityInMegaWattHour": 1,
            "reservationStartDate": day.isoformat(),
            "reservationEndDate": (day + timedelta(days=30)).isoformat(),
            "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation": True,
            "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration": True,
            "authorityToExceed": True,
            "frequency": "daily",
        },
        format="json",
    ).json()

    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(admin_user)}")
    run = admin.post("/api/drec-issuer/run")
    assert run.status_code == 200
    assert run.json()["issued"] == 1  # the closed day: 24 reads of 1,000 Wh after the baseline

    # §8.1: the certificate log of the buyer organization's reservations.
    log = api.get("/api/certificate-log/issuer/certifiedlogOfdevices", {"pageNumber": 1, "organizationId": buyer.pk})
    assert log.status_code == 200
    page = log.json()
    assert (page["currentpage"], page["totalPages"], page["totalCount"]) == (1, 1, 1)
    item = page["certificatelog"][0]
    assert item.keys() >= ITEM_KEYS
    assert item["metadata"].keys() >= METADATA_KEYS
    assert item["deviceId"] == str(reservation["id"])
    assert item["metadata"]["groupId"] == str(reservation["id"])
    assert item["metadata"]["buyerReservationId"] == reservation["devicegroup_uid"]
    assert list(item["owners"].values()) == ["24000"]
    assert item["generationStartTime"] == int(day.timestamp())
    assert item["generationEndTime"] == int((day + timedelta(days=1)).timestamp())
    assert [row["externalId"] for row in item["perDeviceCertificateLog"]] == ["Ext1"]
    assert item["perDeviceCertificateLog"][0]["readvalue_watthour"] == 24000

    # The same certificate in the developer organization's view.
    developer_view = api.get("/api/certificate-log/issuer/certifiedlogOfdevices", {"organizationId": developer.pk})
    assert [c["internalCertificateId"] for c in developer_view.json()["certificatelog"]] == [
        item["internalCertificateId"]
    ]

    # §8.2: the certificates of the reservation by its uid.
    certified = api.get(
        f"/api/certificate-log/issuer/certified/new/{reservation['devicegroup_uid']}", {"pageNumber": 1}
    )
    assert certified.status_code == 200
    answer = certified.json()
    assert (answer["totalItems"], answer["currentPage"], answer["totalPages"]) == (1, 1, 1)
    assert answer["certificatelog"][0]["metadata"]["buyerReservationId"] == reservation["devicegroup_uid"]
    assert answer["certificatelog"][0]["internalCertificateId"] == item["internalCertificateId"]

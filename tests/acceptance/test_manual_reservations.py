"""Journey: the seed manual's API §7.1-7.3 (reservation, get reservations, get reservation by
id), as an api user acting for its Buyer organization, with the manual's payload (f1a5d9cf)
and the keys of its responses (a2cd27ac, 33363a7c, ae6a57eb, 40b56370)."""

import pytest
from rest_framework.test import APIClient

from tests.acceptance.test_manual_devices import managed

pytestmark = pytest.mark.django_db

CREATED_KEYS = {  # the create response of a2cd27ac, lines 1-28
    "organizationId", "name", "deviceIds", "fuelCode", "countryCode", "deviceTypeCodes", "offTakers",
    "gridInterconnection", "aggregatedCapacity", "capacityRange", "commissioningDateRange", "reservationStartDate",
    "reservationEndDate", "authorityToExceed", "targetVolumeInMegaWattHour",
}  # fmt: skip
LISTED_KEYS = {  # the list items of 33363a7c (deviceIdsInt was the original's internal copy of deviceIds)
    "targetVolumeCertificateGenerationSucceededInMegaWattHour",
    "targetVolumeCertificateGenerationRequestedInMegaWattHour",
    "targetVolumeCertificateGenerationFailedInMegaWattHour", "authorityToExceed", "deviceIds", "reservationStartDate",
    "reservationEndDate", "reservationActive", "api_user_id", "organization",
}  # fmt: skip
DETAIL_KEYS = {  # 40b56370 (yieldValue, leftoverReads and buyerAddress were unused or belong to issuance)
    "createdAt", "updatedAt", "id", "devicegroup_uid", "name", "organizationId", "fuelCode", "countryCode",
    "deviceTypeCodes", "offTakers", "commissioningDateRange", "gridInterconnection", "aggregatedCapacity",
    "capacityRange", "buyerId",
}  # fmt: skip


def test_manual_reservations(api_user, grant, token_for):
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    grant(api_user, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete")
    developer = managed(api_user, email="dev@example.com", organization_type="Developer", name="Developer 25")
    buyer = managed(api_user, email="buyer@example.com", organization_type="Buyer", name="Local_apiusr_Buyer1")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_user)}")
    device = api.post(
        "/api/device",
        {
            "externalId": "EXT5",
            "address": "string",
            "latitude": "23.67686",
            "longitude": "25.56754",
            "countryCode": "IND",
            "fuelCode": "ES100",
            "deviceTypeCode": "TC110",
            "capacity": 1900,
            "commissioningDate": "2025-10-18T11:35:27.640Z",
            "offTaker": "Residential",
            "gridInterconnection": True,
            "organizationId": developer.pk,
        },
        format="json",
    ).json()

    # §7.1 with the manual's payload.
    payload = {
        "name": "ReservationForEXT5Fresh4",
        "deviceIds": [device["id"]],
        "targetCapacityInMegaWattHour": 100,
        "reservationStartDate": "2025-12-27T18:00:00.399Z",
        "reservationEndDate": "2026-02-27T19:08:31.399Z",
        "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation": True,
        "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration": True,
        "authorityToExceed": True,
        "frequency": "hourly",
    }
    # "If the Developer's organizationId given, will throw unauthorized error."
    assert api.post(f"/api/buyer-reservation?orgId={developer.pk}", payload, format="json").status_code == 403
    response = api.post(f"/api/buyer-reservation?orgId={buyer.pk}", payload, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created.keys() >= CREATED_KEYS
    assert created["deviceIds"] == [device["id"]]
    assert (created["fuelCode"], created["countryCode"], created["deviceTypeCodes"]) == (["ES100"], ["IND"], ["TC110"])
    assert (created["offTakers"], created["gridInterconnection"]) == (["Residential"], True)
    assert (created["aggregatedCapacity"], created["capacityRange"]) == (1900, "500kW - 5MW")
    assert created["commissioningDateRange"] == ["Year 2"]
    assert created["targetVolumeInMegaWattHour"] == 100
    assert created["reservationStartDate"].startswith("2025-12-27T18:00:00.399")
    assert created["unavailableDeviceIDsDueToAreIncludedInBuyerReservation"] == ""

    # §7.2: by apiuserId, then also by organization; paging as in the screenshots.
    tenant = str(api_user.api_user.api_user_id)
    listed = api.get("/api/buyer-reservation", {"apiuserId": tenant, "pageNumber": 1, "limit": 3}).json()
    assert (listed["currentPage"], listed["totalPages"], listed["totalCount"]) == (1, 1, 1)
    item = listed["groupedData"][0]
    assert item.keys() >= LISTED_KEYS
    assert (item["api_user_id"], item["organization"], item["reservationActive"]) == (
        tenant,
        {"name": "Local_apiusr_Buyer1"},
        True,
    )
    by_organization = api.get(
        "/api/buyer-reservation", {"apiuserId": tenant, "organizationId": buyer.pk, "pageNumber": 1, "limit": 3}
    ).json()
    assert [r["id"] for r in by_organization["groupedData"]] == [created["id"]]

    # §7.3: one reservation by id, with its devices.
    detail = api.get(f"/api/buyer-reservation/{created['id']}", {"organizationId": buyer.pk}).json()
    assert detail.keys() >= DETAIL_KEYS
    assert (detail["organizationId"], detail["buyerId"]) == (buyer.pk, api_user.pk)
    assert [d["externalId"] for d in detail["devices"]] == ["EXT5"]
    assert detail["devices"][0]["groupId"] == created["id"]

"""Journey: the seed manual's API §4 (devices, bulk upload, ungrouped devices) and §7.4-7.5
(bulk upload jobs), as an api user acting for its Developer and Buyer organizations."""

import io

import pytest
from rest_framework.test import APIClient

from accounts.services import NewAccount, managed_organization_register
from devices.benchmarks import device_csv

pytestmark = pytest.mark.django_db

DEVICE_KEYS = {
    "createdAt", "updatedAt", "id", "externalId", "internalexternalId", "organizationId", "projectName", "address",
    "latitude", "longitude", "countryCode", "fuelCode", "deviceTypeCode", "capacity", "SDGBenefits",
    "commissioningDate", "gridInterconnection", "offTaker", "yieldValue", "impactStory", "images", "groupId",
    "deviceDescription", "energyStorage", "energyStorageCapacity", "qualityLabels", "meterReadtype", "timezone",
    "version", "IREC_Status", "IREC_ID", "api_user_id",
}  # fmt: skip


def managed(api_user, *, email: str, organization_type: str, name: str):
    account = NewAccount(
        first_name="test", last_name="test", email=email, organization_type=organization_type, org_name=name
    )
    return managed_organization_register(
        acting_user=api_user, api_user_id=api_user.api_user.api_user_id, account=account
    ).organization  # fmt: skip


def test_manual_devices(api_user, grant, token_for, django_capture_on_commit_callbacks):
    grant(api_user, "USER_MANAGEMENT_CRUDL", "Write")
    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete")
    grant(api_user, "DEVICE_BULK_MANAGEMENT_CRUDL", "Read", "Write")
    grant(api_user, "FILE_MANAGEMENT_CRUDL", "Write")
    developer = managed(api_user, email="dev@example.com", organization_type="Developer", name="Developer 25")
    buyer = managed(api_user, email="buyer@example.com", organization_type="Buyer", name="Buyer 26")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_user)}")
    payload = {
        "externalId": "Ext1",
        "projectName": "test",
        "address": "string",
        "latitude": "23.67686",
        "longitude": "25.56754",
        "countryCode": "IND",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC110",
        "capacity": 2000,
        "commissioningDate": "2023-10-18T11:35:27.640Z",
        "gridInterconnection": True,
        "offTaker": "Residential",
        "impactStory": "string",
        "images": ["string"],
        "deviceDescription": "Ground Mount Solar",
        "energyStorage": True,
        "energyStorageCapacity": 600,
        "qualityLabels": "string",
        "SDGBenefits": ["SDG1", "SDG7"],
        "version": "1",
    }

    # 4.1 Register a device in the developer organization; a buyer organization is refused.
    response = api.post("/api/device", {**payload, "organizationId": developer.id}, format="json")
    assert response.status_code == 201
    device = response.json()
    assert set(device) == DEVICE_KEYS
    assert device["externalId"] == "Ext1"
    assert device["latitude"] == "23.67686"
    assert device["SDGBenefits"] == ["No Poverty", "Affordable and Clean Energy"]
    assert device["api_user_id"] == str(api_user.api_user.api_user_id)
    response = api.post("/api/device", {**payload, "externalId": "Ext2", "organizationId": buyer.id}, format="json")
    assert response.status_code == 403
    assert "Buyer organization" in response.json()["message"]

    # 4.2 Get the device by id.
    response = api.get(
        f"/api/device/{device['id']}", {"apiUserId": str(api_user.api_user.api_user_id), "organizationId": developer.id}
    )
    assert response.status_code == 200
    assert response.json()["internalexternalId"] == device["internalexternalId"]

    # 4.3 My devices: all of the api user's, one developer organization's, not a buyer's.
    page = api.get("/api/device/my", {"pagenumber": 1}).json()
    assert set(page) == {"devices", "currentPage", "totalPages", "totalCount"}
    assert [item["externalId"] for item in page["devices"]] == ["Ext1"]
    assert api.get("/api/device/my", {"pagenumber": 1, "organizationId": developer.id}).json()["totalCount"] == 1
    assert api.get("/api/device/my", {"pagenumber": 1, "organizationId": buyer.id}).status_code == 403

    # 4.4 Bulk upload: a file uploaded with POST /api/file, then the job for the developer organization.
    upload = io.BytesIO(device_csv(3, prefix="Bulk"))
    upload.name = "Bulk dev reg (3).csv"
    response = api.post("/api/file", {"files": [upload]}, format="multipart")
    assert response.status_code == 201
    (file_name,) = response.json()
    assert file_name.startswith("Bulk dev reg (3)-")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/device/addByAdmin/process-creation-bulk-devices-csv/{developer.id}",
            {"fileName": file_name},
            format="json",
        )
    assert response.status_code == 201
    job = response.json()
    assert job["status"] == "Added"
    assert job["fileId"] == file_name
    assert {"jobId", "userId", "organizationId", "api_user_id", "createdAt", "updatedAt"} <= set(job)
    response = api.post(
        f"/api/device/addByAdmin/process-creation-bulk-devices-csv/{buyer.id}", {"fileName": file_name}, format="json"
    )
    assert response.status_code == 403

    # 7.4 The jobs of the developer organization, 7.5 the job's status and log.
    jobs = api.get(
        "/api/buyer-reservation/bulk-upload/get-all-csv-jobs-of-organization",
        {"orgId": developer.id, "pageNumber": 1, "limit": 1},
    ).json()
    assert jobs["totalCount"] == 1
    assert jobs["csvJobs"][0]["status"] == "Completed"
    assert jobs["csvJobs"][0]["organization"] == {"name": "Developer 25"}
    status = api.get(f"/api/buyer-reservation/bulk-upload-status/{job['jobId']}", {"orgId": developer.id}).json()
    assert status["errorDetails"]["log"]["errorDetails"] == []
    assert len(status["errorDetails"]["log"]["successfullyAddedRowsAndExternalIds"]) == 3

    # 4.5 Ungrouped devices a buyer organization may reserve: the four devices of the tenant.
    page = api.get("/api/device/ungrouped/buyerreservation", {"pagenumber": 1, "organizationId": buyer.id}).json()
    assert page["totalCount"] == 4
    assert api.get("/api/device/ungrouped/buyerreservation", {"organizationId": developer.id}).status_code == 403

"""ACL module endpoints: /api/access-control-layer-module-service (backend.md §3.5)."""

import pytest

from acl.models import AclModule, ModuleStatus
from acl.selectors import may

# These tests create ACL modules; later tests expect the module ids unchanged.
pytestmark = pytest.mark.usefixtures("restore_id_sequences")

URL = "/api/access-control-layer-module-service"
MODULE_KEYS = {"id", "name", "description", "status", "permissions", "permissionsValue", "createdAt", "updatedAt"}
NON_ADMINS = ["api_user", "developer_admin", "device_owner", "buyer", "sub_buyer"]


def update_url(module_id: int) -> str:
    return f"{URL}/update/{module_id}"


def test_any_signed_in_user_lists_the_modules(client_for, persona):
    response = client_for(persona).get(URL)
    assert response.status_code == 200
    modules = response.json()
    assert len(modules) == 15  # SPEC §4's fourteen and the webhooks' (§14)
    assert all(set(module) == MODULE_KEYS for module in modules)
    device = next(module for module in modules if module["name"] == "DEVICE_MANAGEMENT_CRUDL")
    assert device["permissions"] == ["Read", "Write", "Update", "Delete"]
    assert device["permissionsValue"] == 15
    assert device["status"] == "Enable"


def test_visitors_cannot_list_the_modules(api_client, db):
    assert api_client.get(URL).status_code == 401


def test_admin_creates_a_module(client_for, admin_user):
    body = {"name": "REPORTS_CRUDL", "description": "Reports", "status": "Disable", "permissions": ["Read", "Update"]}
    response = client_for(admin_user).post(URL, body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == MODULE_KEYS
    assert (data["name"], data["status"], data["permissions"], data["permissionsValue"]) == (
        "REPORTS_CRUDL",
        "Disable",
        ["Read", "Update"],
        5,
    )
    stored = AclModule.objects.get(pk=data["id"])
    assert (stored.name, stored.status, stored.permissions_value) == ("REPORTS_CRUDL", ModuleStatus.DISABLE, 5)


@pytest.mark.parametrize("persona_name", NON_ADMINS)
def test_only_the_admin_creates_modules(request, client_for, persona_name):
    user = request.getfixturevalue(persona_name)
    body = {"name": "REPORTS_CRUDL", "description": "Reports", "permissions": ["Read"]}
    response = client_for(user).post(URL, body, format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden resource"
    assert not AclModule.objects.filter(name="REPORTS_CRUDL").exists()


@pytest.mark.parametrize("name", ["DEVICE_MANAGEMENT_CRUDL", "device_management_crudl"])
def test_a_duplicate_module_name_answers_409(client_for, admin_user, name):
    body = {"name": name, "description": "again", "permissions": ["Read"]}
    response = client_for(admin_user).post(URL, body, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == f"This Module Permission name {name} already exists"
    assert response.json()["success"] is False
    assert AclModule.objects.count() == 15


@pytest.mark.parametrize("permissions", [["Read", "List"], [], "Read", ["read"]])
def test_bad_verbs_answer_400(client_for, admin_user, permissions):
    body = {"name": "REPORTS_CRUDL", "description": "Reports", "permissions": permissions}
    response = client_for(admin_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert "permissions" in response.json()["errors"]
    assert not AclModule.objects.filter(name="REPORTS_CRUDL").exists()


def test_a_bad_status_answers_400(client_for, admin_user):
    body = {"name": "REPORTS_CRUDL", "description": "Reports", "status": "Paused", "permissions": ["Read"]}
    response = client_for(admin_user).post(URL, body, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_admin_updates_a_modules_verbs_and_status(client_for, admin_user, developer_admin):
    device = AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
    body = {"permissions": ["Read", "Write"], "status": "Disable"}
    response = client_for(admin_user).put(update_url(device.id), body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["status"], data["permissions"], data["permissionsValue"]) == (
        device.id,
        "Disable",
        ["Read", "Write"],
        3,
    )
    device.refresh_from_db()
    assert (device.status, device.permissions_value) == (ModuleStatus.DISABLE, 3)
    # The status applies at once: the module's role grants stop working.
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")


def test_an_update_without_status_keeps_it(client_for, admin_user):
    device = AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
    response = client_for(admin_user).put(update_url(device.id), {"permissions": ["Read"]}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "Enable"
    device.refresh_from_db()
    assert (device.status, device.permissions_value) == (ModuleStatus.ENABLE, 1)


def test_updating_an_unknown_module_answers_404(client_for, admin_user):
    response = client_for(admin_user).put(update_url(9999), {"permissions": ["Read"]}, format="json")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


@pytest.mark.parametrize(
    "body", [{"permissions": []}, {"permissions": ["List"]}, {"permissions": ["Read"], "status": "Off"}]
)
def test_a_bad_update_answers_400_and_changes_nothing(client_for, admin_user, body):
    device = AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
    response = client_for(admin_user).put(update_url(device.id), body, format="json")
    assert response.status_code == 400
    device.refresh_from_db()
    assert (device.status, device.permissions_value) == (ModuleStatus.ENABLE, 15)


@pytest.mark.parametrize("persona_name", NON_ADMINS)
def test_only_the_admin_updates_modules(request, db, client_for, persona_name):
    device = AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
    user = request.getfixturevalue(persona_name)
    response = client_for(user).put(
        update_url(device.id), {"permissions": ["Read"], "status": "Disable"}, format="json"
    )
    assert response.status_code == 403
    device.refresh_from_db()
    assert (device.status, device.permissions_value) == (ModuleStatus.ENABLE, 15)

"""Grant endpoints under /api/permission and the admin's api-user list (backend.md §3.6, §5.2)."""

import pytest

from accounts.models import ApiUser, PermissionStatus, Role, UserRole
from acl.models import AclModule, ModulePermission
from acl.selectors import may
from tests.factories import UserFactory

PERMISSION_KEYS = {
    "id",
    "aclmodulesId",
    "entityType",
    "entityId",
    "permissions",
    "permissionValue",
    "status",
    "createdAt",
    "updatedAt",
    "aclmodules",
}
NON_ADMINS = ["api_user", "developer_admin", "device_owner", "buyer", "sub_buyer"]


def module_id(name: str) -> int:
    return AclModule.objects.get(name=name).id


def role_id(name: str) -> int:
    return UserRole.objects.get(name=name).id


# --- GET /api/permission and /api/permission/role/{id} -------------------------------------------


def test_admin_lists_every_grant_newest_first(client_for, admin_user, api_user, grant):
    newest = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    response = client_for(admin_user).get("/api/permission")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == ModulePermission.objects.count()
    assert all(set(row) == PERMISSION_KEYS for row in rows)
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    first = rows[0]
    assert (first["id"], first["entityType"], first["entityId"], first["permissions"], first["status"]) == (
        newest.id,
        "User",
        api_user.id,
        ["Read"],
        1,
    )
    assert first["aclmodules"]["name"] == "DEVICE_MANAGEMENT_CRUDL"


@pytest.mark.parametrize("path", ["/api/permission", "/api/permission/role/2"])
@pytest.mark.parametrize("persona_name", NON_ADMINS)
def test_reading_grants_needs_permission_management_read(request, client_for, persona_name, path):
    response = client_for(request.getfixturevalue(persona_name)).get(path)
    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden resource"


def test_admin_reads_the_grants_of_one_role(client_for, admin_user):
    response = client_for(admin_user).get(f"/api/permission/role/{role_id('OrganizationAdmin')}")
    assert response.status_code == 200
    rows = response.json()
    assert {(row["entityType"], row["entityId"]) for row in rows} == {("Role", role_id("OrganizationAdmin"))}
    by_module = {row["aclmodules"]["name"]: row["permissions"] for row in rows}
    assert by_module["DEVICE_MANAGEMENT_CRUDL"] == ["Read", "Write", "Update", "Delete"]
    assert "BUYER_RESERVATION_MANAGEMENT_CRUDL" not in by_module
    assert client_for(admin_user).get(f"/api/permission/role/{role_id('ApiUser')}").json() == []


# --- GET /api/permission/user/{id} ----------------------------------------------------------------


def test_an_api_user_reads_its_own_grants_active_or_not(client_for, api_user, grant):
    active = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    waiting = grant(api_user, "READS_MANAGEMENT_CRUDL", "Read", "Write")
    waiting.is_active = False
    waiting.save()
    response = client_for(api_user).get(f"/api/permission/user/{api_user.id}")
    assert response.status_code == 200
    assert {(row["id"], row["status"]) for row in response.json()} == {(active.id, 1), (waiting.id, 0)}


@pytest.mark.parametrize("persona_name", ["api_user", "developer_admin", "buyer"])
def test_another_users_grants_answer_404(request, client_for, other_api_user, grant, persona_name):
    grant(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    response = client_for(request.getfixturevalue(persona_name)).get(f"/api/permission/user/{other_api_user.id}")
    assert response.status_code == 404
    assert "DEVICE_MANAGEMENT_CRUDL" not in response.content.decode()


def test_admin_reads_any_api_users_grants(client_for, admin_user, api_user, other_api_user, grant):
    theirs = grant(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    response = client_for(admin_user).get(f"/api/permission/user/{other_api_user.id}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [theirs.id]


# --- POST /api/permission/module ----------------------------------------------------------------


def test_admin_grants_a_role_and_its_members_get_it_at_once(client_for, admin_user):
    member = UserFactory(role=Role.USER)
    body = {
        "aclmodulesId": module_id("FILE_MANAGEMENT_CRUDL"),
        "entityType": "Role",
        "entityId": role_id("User"),
        "permissions": ["Read", "Write"],
    }
    response = client_for(admin_user).post("/api/permission/module", body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == PERMISSION_KEYS
    assert (data["entityType"], data["entityId"], data["permissions"], data["permissionValue"], data["status"]) == (
        "Role",
        role_id("User"),
        ["Read", "Write"],
        3,
        1,
    )
    assert may(member, "FILE_MANAGEMENT_CRUDL", "Write")
    assert not may(member, "FILE_MANAGEMENT_CRUDL", "Delete")


def test_admin_grants_an_api_user_active_or_inactive(client_for, admin_user, api_user, other_api_user):
    admin = client_for(admin_user)
    body = {"aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"), "entityType": "User", "permissions": ["Read"]}
    response = admin.post("/api/permission/module", {**body, "entityId": api_user.id}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == 1
    assert may(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    response = admin.post("/api/permission/module", {**body, "entityId": other_api_user.id, "status": 0}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == 0
    assert not may(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")


def test_granted_verbs_must_be_offered_by_the_module(client_for, admin_user, api_user):
    body = {
        "aclmodulesId": module_id("CERTIFICATE_LOG_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": api_user.id,
        "permissions": ["Read", "Write"],
    }
    response = client_for(admin_user).post("/api/permission/module", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert "permissions" in data["errors"]
    assert "Write" in data["message"]
    assert not ModulePermission.objects.filter(user=api_user).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"permissions": ["Read", "List"]}, "permissions"),
        ({"permissions": []}, "permissions"),
        ({"aclmodulesId": 9999}, "aclmodulesId"),
        ({"entityType": "Group"}, "entityType"),
        ({"entityType": "Role", "entityId": 99}, "entityId"),
        ({"status": 2}, "status"),
    ],
)
def test_bad_grants_answer_400(client_for, admin_user, api_user, change, field):
    body = {
        "aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": api_user.id,
        "permissions": ["Read"],
        **change,
    }
    count = ModulePermission.objects.count()
    response = client_for(admin_user).post("/api/permission/module", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert ModulePermission.objects.count() == count


@pytest.mark.parametrize("persona_name", ["admin_user", "developer_admin", "buyer"])
def test_user_grants_go_to_api_user_accounts_only(request, client_for, admin_user, persona_name):
    account = request.getfixturevalue(persona_name)
    body = {
        "aclmodulesId": module_id("FILE_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": account.id,
        "permissions": ["Read"],
    }
    response = client_for(admin_user).post("/api/permission/module", body, format="json")
    assert response.status_code == 400
    assert "entityId" in response.json()["errors"]
    assert not ModulePermission.objects.filter(user=account).exists()


def test_a_second_grant_for_the_same_module_and_grantee_answers_409(client_for, admin_user, api_user):
    admin = client_for(admin_user)
    body = {
        "aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": api_user.id,
        "permissions": ["Read"],
    }
    assert admin.post("/api/permission/module", body, format="json").status_code == 201
    response = admin.post("/api/permission/module", {**body, "permissions": ["Read", "Delete"]}, format="json")
    assert response.status_code == 409
    assert ModulePermission.objects.get(user=api_user).permissions == ["Read"]
    # A seeded role grant is a duplicate too.
    role_body = {**body, "entityType": "Role", "entityId": role_id("OrganizationAdmin")}
    assert admin.post("/api/permission/module", role_body, format="json").status_code == 409


# --- PUT /api/permission/update/{id} ------------------------------------------------------------


def test_admin_edits_a_role_grant_and_its_status(client_for, admin_user, developer_admin):
    seeded = ModulePermission.objects.get(role__name=Role.ORGANIZATION_ADMIN, module__name="DEVICE_MANAGEMENT_CRUDL")
    admin = client_for(admin_user)
    response = admin.put(f"/api/permission/update/{seeded.id}", {"permissions": ["Read"]}, format="json")
    assert response.status_code == 200
    assert (response.json()["permissions"], response.json()["status"]) == (["Read"], 1)
    assert may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Write")
    response = admin.put(f"/api/permission/update/{seeded.id}", {"permissions": ["Read"], "status": 0}, format="json")
    assert response.json()["status"] == 0
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")


def test_admin_edits_of_api_user_grants_keep_the_request_state(client_for, admin_user, api_user, grant):
    ApiUser.objects.filter(user=api_user).update(permission_status=PermissionStatus.ACTIVE)
    own = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    body = {"permissions": ["Read", "Write"]}
    response = client_for(admin_user).put(f"/api/permission/update/{own.id}", body, format="json")
    assert response.status_code == 200
    own.refresh_from_db()
    assert (own.permissions, own.is_active) == (["Read", "Write"], True)
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.ACTIVE


def test_an_api_user_edits_its_own_grant_which_then_waits_for_approval(client_for, api_user, grant):
    ApiUser.objects.filter(user=api_user).update(permission_status=PermissionStatus.ACTIVE)
    own = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    body = {"permissions": ["Read", "Update"], "status": 1}
    response = client_for(api_user).put(f"/api/permission/update/{own.id}", body, format="json")
    assert response.status_code == 200
    assert (response.json()["permissions"], response.json()["status"]) == (["Read", "Update"], 0)
    own.refresh_from_db()
    assert (own.permissions, own.is_active) == (["Read", "Update"], False)
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST
    assert not may(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")


def test_an_edit_must_stay_within_the_modules_verbs(client_for, admin_user, api_user, grant):
    own = grant(api_user, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")
    for client in (client_for(admin_user), client_for(api_user)):
        response = client.put(f"/api/permission/update/{own.id}", {"permissions": ["Read", "Delete"]}, format="json")
        assert response.status_code == 400
        assert "Delete" in response.json()["message"]
    own.refresh_from_db()
    assert (own.permissions, own.is_active) == (["Read"], True)


def test_editing_an_unknown_grant_answers_404(client_for, admin_user):
    response = client_for(admin_user).put("/api/permission/update/999999", {"permissions": ["Read"]}, format="json")
    assert response.status_code == 404


# --- GET /api/admin/apiusers ----------------------------------------------------------------------

API_USER_KEYS = {
    "id",
    "firstName",
    "lastName",
    "email",
    "status",
    "role",
    "api_user_id",
    "permission_status",
    "organization",
    "createdAt",
}


def test_admin_lists_api_users_with_their_permission_status(client_for, admin_user, api_user, other_api_user):
    ApiUser.objects.filter(user=other_api_user).update(permission_status=PermissionStatus.ACTIVE)
    response = client_for(admin_user).get("/api/admin/apiusers")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"users", "currentPage", "totalPages", "totalCount"}
    assert (data["currentPage"], data["totalPages"], data["totalCount"]) == (1, 1, 2)
    assert all(set(user) == API_USER_KEYS for user in data["users"])
    by_email = {user["email"]: user for user in data["users"]}
    assert by_email["apiuser1@example.com"]["permission_status"] == "Request"
    assert by_email["apiuser2@example.com"]["permission_status"] == "Active"
    assert by_email["apiuser1@example.com"]["api_user_id"] == str(api_user.api_user.api_user_id)
    assert by_email["apiuser1@example.com"]["organization"]["name"] == "Integrator One"


def test_api_users_filter_by_organization_name_and_page(client_for, admin_user, api_user, other_api_user, buyer):
    admin = client_for(admin_user)
    data = admin.get("/api/admin/apiusers", {"organizationName": "two"}).json()
    assert [user["email"] for user in data["users"]] == ["apiuser2@example.com"]
    assert data["totalCount"] == 1
    data = admin.get("/api/admin/apiusers", {"pageNumber": 2, "limit": 1}).json()
    assert (data["currentPage"], data["totalPages"], data["totalCount"], len(data["users"])) == (2, 2, 2, 1)
    assert admin.get("/api/admin/apiusers", {"organizationName": "Green"}).json()["users"] == []


@pytest.mark.parametrize("query", [{"pageNumber": "abc"}, {"pageNumber": "0"}, {"limit": "-1"}])
def test_bad_paging_of_api_users_answers_400(client_for, admin_user, query):
    response = client_for(admin_user).get("/api/admin/apiusers", query)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(query)


@pytest.mark.parametrize("persona_name", NON_ADMINS)
def test_only_the_admin_lists_api_users(request, client_for, persona_name):
    response = client_for(request.getfixturevalue(persona_name)).get("/api/admin/apiusers")
    assert response.status_code == 403
    assert "users" not in response.json()

"""An api user's permission request and the admin's decision (SPEC §4, backend.md §3.7)."""

import uuid

import pytest

from accounts.models import ApiUser, PermissionStatus
from acl.models import AclModule, ModulePermission
from acl.selectors import may

REQUEST_URL = "/api/permission/module/apiuser/request"
SENT = {"statsu": "success", "message": "Your permission request send successfully"}


def module_id(name: str) -> int:
    return AclModule.objects.get(name=name).id


def verify_url(account) -> str:
    return f"/api/permission/module/verify/ByAdmin/{account.api_user.api_user_id}"


def permission_status(account) -> str:
    return ApiUser.objects.get(user=account).permission_status


def grants_of(account) -> dict[str, tuple[list[str], bool]]:
    return {
        grant.module.name: (grant.permissions, grant.is_active)
        for grant in ModulePermission.objects.filter(user=account).select_related("module")
    }


@pytest.fixture
def requested(client_for, api_user):
    """The api user has asked for devices (Read, Write) and reads (Read)."""
    items = [
        {"aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"), "permissions": ["Read", "Write"]},
        {"aclmodulesId": module_id("READS_MANAGEMENT_CRUDL"), "permissions": ["Read"]},
    ]
    assert client_for(api_user).post(REQUEST_URL, items, format="json").status_code == 201
    return api_user


# --- The request ----------------------------------------------------------------------------------


def test_a_request_creates_inactive_grants_and_answers_like_the_original(client_for, api_user):
    ApiUser.objects.filter(user=api_user).update(permission_status=PermissionStatus.ACTIVE)
    items = [{"aclmodulesId": 4, "permissions": ["Read", "Write"]}]
    assert AclModule.objects.get(pk=4).name == "DEVICE_MANAGEMENT_CRUDL"
    response = client_for(api_user).post(REQUEST_URL, items, format="json")
    assert response.status_code == 201
    assert response.json() == SENT
    assert grants_of(api_user) == {"DEVICE_MANAGEMENT_CRUDL": (["Read", "Write"], False)}
    assert permission_status(api_user) == PermissionStatus.REQUEST
    assert not may(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"aclmodulesId": 4, "permissions": ["Read"]},
        "DEVICE_MANAGEMENT_CRUDL",
        [{"aclmodulesId": 4}],
        [{"aclmodulesId": "four", "permissions": ["Read"]}],
        [{"aclmodulesId": 9999, "permissions": ["Read"]}],
        [{"aclmodulesId": 4, "permissions": []}],
        [{"aclmodulesId": 4, "permissions": ["Read", "List"]}],
        [{"aclmodulesId": 4, "permissions": ["Read"]}, {"aclmodulesId": 4, "permissions": ["Write"]}],
    ],
    ids=[
        "empty",
        "not-an-array",
        "a-string",
        "no-permissions",
        "module-not-a-number",
        "unknown-module",
        "no-verbs",
        "unknown-verb",
        "module-twice",
    ],
)
def test_bad_requests_answer_400_and_store_nothing(client_for, api_user, body):
    response = client_for(api_user).post(REQUEST_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert grants_of(api_user) == {}


def test_verbs_a_module_does_not_offer_are_refused_item_by_item(client_for, api_user):
    items = [
        {"aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"), "permissions": ["Read"]},
        {"aclmodulesId": module_id("CERTIFICATE_LOG_MANAGEMENT_CRUDL"), "permissions": ["Read", "Write"]},
        {"aclmodulesId": module_id("PASSWORD_MANAGEMENT_CRUDL"), "permissions": ["Delete"]},
    ]
    response = client_for(api_user).post(REQUEST_URL, items, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert isinstance(errors, list)
    assert [error["index"] for error in errors] == [1, 2]
    assert "Write" in errors[0]["message"]
    assert "Delete" in errors[1]["message"]
    # The valid first item is not stored either.
    assert grants_of(api_user) == {}


def test_asking_again_for_a_requested_module_answers_409_and_stores_nothing(client_for, requested):
    items = [
        {"aclmodulesId": module_id("BUYER_RESERVATION_MANAGEMENT_CRUDL"), "permissions": ["Read"]},
        {"aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"), "permissions": ["Read", "Write", "Delete"]},
    ]
    response = client_for(requested).post(REQUEST_URL, items, format="json")
    assert response.status_code == 409
    assert "DEVICE_MANAGEMENT_CRUDL" in response.json()["message"]
    assert grants_of(requested) == {
        "DEVICE_MANAGEMENT_CRUDL": (["Read", "Write"], False),
        "READS_MANAGEMENT_CRUDL": (["Read"], False),
    }


def test_a_module_granted_by_the_admin_counts_as_requested(client_for, api_user, grant):
    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    items = [{"aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"), "permissions": ["Read", "Write"]}]
    assert client_for(api_user).post(REQUEST_URL, items, format="json").status_code == 409
    assert grants_of(api_user) == {"DEVICE_MANAGEMENT_CRUDL": (["Read"], True)}


def test_requests_of_two_api_users_are_independent(client_for, requested, other_api_user):
    items = [{"aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"), "permissions": ["Read"]}]
    assert client_for(other_api_user).post(REQUEST_URL, items, format="json").status_code == 201
    assert grants_of(other_api_user) == {"DEVICE_MANAGEMENT_CRUDL": (["Read"], False)}


@pytest.mark.parametrize("persona_name", ["admin_user", "developer_admin", "device_owner", "buyer", "sub_buyer"])
def test_only_api_users_request_permissions(request, client_for, persona_name):
    user = request.getfixturevalue(persona_name)
    items = [{"aclmodulesId": module_id("DEVICE_MANAGEMENT_CRUDL"), "permissions": ["Read"]}]
    response = client_for(user).post(REQUEST_URL, items, format="json")
    assert response.status_code == 403
    assert not ModulePermission.objects.filter(user=user).exists()


def test_visitors_cannot_request(api_client, db):
    assert (
        api_client.post(REQUEST_URL, [{"aclmodulesId": 4, "permissions": ["Read"]}], format="json").status_code == 401
    )


# --- The admin's decision -------------------------------------------------------------------------


def test_active_approves_every_grant_of_the_api_user(client_for, admin_user, requested, other_api_user, grant):
    theirs = grant(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    theirs.is_active = False
    theirs.save()
    response = client_for(admin_user).put(verify_url(requested), {"status": "Active"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"statsu": "success"}
    assert grants_of(requested) == {
        "DEVICE_MANAGEMENT_CRUDL": (["Read", "Write"], True),
        "READS_MANAGEMENT_CRUDL": (["Read"], True),
    }
    assert permission_status(requested) == PermissionStatus.ACTIVE
    assert may(requested, "DEVICE_MANAGEMENT_CRUDL", "Write")
    assert not may(requested, "DEVICE_MANAGEMENT_CRUDL", "Delete")
    # Another api user's request is not decided with it.
    assert grants_of(other_api_user) == {"DEVICE_MANAGEMENT_CRUDL": (["Read"], False)}
    assert permission_status(other_api_user) == PermissionStatus.REQUEST


def test_deactive_withdraws_every_grant(client_for, admin_user, requested):
    admin = client_for(admin_user)
    assert admin.put(verify_url(requested), {"status": "Active"}, format="json").status_code == 200
    response = admin.put(verify_url(requested), {"status": "Deactive"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"statsu": "success"}
    assert {active for _verbs, active in grants_of(requested).values()} == {False}
    assert permission_status(requested) == PermissionStatus.DEACTIVE
    assert not may(requested, "DEVICE_MANAGEMENT_CRUDL", "Read")


@pytest.mark.parametrize("status", ["Request", "Inactive", "active", "", "Enable", 1, None, ["Active"]])
def test_any_other_decision_answers_400_and_changes_nothing(client_for, admin_user, requested, status):
    before = grants_of(requested)
    response = client_for(admin_user).put(verify_url(requested), {"status": status}, format="json")
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert grants_of(requested) == before
    assert permission_status(requested) == PermissionStatus.REQUEST


def test_a_missing_status_answers_400(client_for, admin_user, requested):
    response = client_for(admin_user).put(verify_url(requested), {}, format="json")
    assert response.status_code == 400
    assert permission_status(requested) == PermissionStatus.REQUEST


def test_an_unknown_api_user_answers_404(client_for, admin_user, db):
    response = client_for(admin_user).put(
        f"/api/permission/module/verify/ByAdmin/{uuid.uuid4()}", {"status": "Active"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


@pytest.mark.parametrize("persona_name", ["api_user", "other_api_user", "developer_admin", "buyer"])
def test_only_the_admin_decides(request, client_for, requested, persona_name):
    response = client_for(request.getfixturevalue(persona_name)).put(
        verify_url(requested), {"status": "Active"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden resource"
    assert {active for _verbs, active in grants_of(requested).values()} == {False}
    assert permission_status(requested) == PermissionStatus.REQUEST

"""The original's access-control flaws (backend.md §15.2, items 11-15) are absent."""

from django.db import connection

from accounts.models import ApiUser, PermissionStatus, Role, UserRole
from acl.models import AclModule, ModulePermission, ModuleStatus
from acl.selectors import may
from organizations.models import OrganizationType
from tests.factories import OrganizationFactory, UserFactory

REQUEST_URL = "/api/permission/module/apiuser/request"


def module_id(name: str) -> int:
    return AclModule.objects.get(name=name).id


def snapshot(grant: ModulePermission) -> tuple:
    grant.refresh_from_db()
    return grant.permissions_value, grant.is_active


def verify(client, account, status: str):
    return client.put(
        f"/api/permission/module/verify/ByAdmin/{account.api_user.api_user_id}", {"status": status}, format="json"
    )


def test_flaw_11_grants_are_edited_by_their_owner_or_the_admin_only(
    client_for, api_user, other_api_user, developer_admin, buyer, grant
):
    theirs = grant(other_api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    role_grant = ModulePermission.objects.get(
        role__name=Role.ORGANIZATION_ADMIN, module__name="DEVICE_MANAGEMENT_CRUDL"
    )
    weak_role_grant = ModulePermission.objects.get(role__name=Role.BUYER, module__name="DEVICE_MANAGEMENT_CRUDL")
    before = {grant.id: snapshot(grant) for grant in (theirs, role_grant, weak_role_grant)}
    escalate = {"permissions": ["Read", "Write", "Update", "Delete"], "status": 1}

    # Another tenant's grant, and a role grant: not found for an api user.
    attacker = client_for(api_user)
    for target in (theirs, role_grant):
        response = attacker.put(f"/api/permission/update/{target.id}", escalate, format="json")
        assert response.status_code == 404
    # Members of organizations may not edit grants at all, not even their own role's.
    for user, target in ((developer_admin, role_grant), (buyer, weak_role_grant), (buyer, theirs)):
        response = client_for(user).put(f"/api/permission/update/{target.id}", escalate, format="json")
        assert response.status_code in (403, 404)

    assert {grant.id: snapshot(grant) for grant in (theirs, role_grant, weak_role_grant)} == before
    assert not may(buyer, "DEVICE_MANAGEMENT_CRUDL", "Write")
    assert not may(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")


def test_flaw_12_a_user_grant_never_applies_to_a_role_with_the_same_id(client_for, admin_user, restore_id_sequences):
    buyer_role = UserRole.objects.get(name=Role.BUYER)
    # Move the id sequence past the role ids, so that the account below can take the role's id.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), "
            "GREATEST(nextval(pg_get_serial_sequence('accounts_user', 'id')), 1000))"
        )
    buyer = UserFactory(role=Role.BUYER, organization=OrganizationFactory(organization_type=OrganizationType.BUYER))
    namesake = UserFactory(
        id=buyer_role.id,
        role=Role.API_USER,
        organization=OrganizationFactory(organization_type=OrganizationType.API_USER),
    )
    ApiUser.objects.create(user=namesake)
    assert namesake.id == buyer_role.id

    # A User grant to the api user whose id is the Buyer role's id ...
    body = {
        "aclmodulesId": module_id("FILE_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": namesake.id,
        "permissions": ["Read", "Write", "Update", "Delete"],
    }
    assert client_for(admin_user).post("/api/permission/module", body, format="json").status_code == 201
    assert may(namesake, "FILE_MANAGEMENT_CRUDL", "Delete")
    # ... gives buyers nothing.
    assert [verb for verb in ("Read", "Write", "Update", "Delete") if may(buyer, "FILE_MANAGEMENT_CRUDL", verb)] == []

    # Nor does a Role grant to the Buyer role reach the api user with that id.
    body = {**body, "aclmodulesId": module_id("DEVICE_BULK_MANAGEMENT_CRUDL"), "entityType": "Role"}
    assert client_for(admin_user).post("/api/permission/module", body, format="json").status_code == 201
    assert may(buyer, "DEVICE_BULK_MANAGEMENT_CRUDL", "Write")
    assert not may(namesake, "DEVICE_BULK_MANAGEMENT_CRUDL", "Read")


def test_flaw_13_only_the_admin_creates_grants_and_never_twice(
    client_for, admin_user, api_user, other_api_user, developer_admin, buyer
):
    body = {
        "aclmodulesId": module_id("FILE_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": other_api_user.id,
        "permissions": ["Read", "Write", "Update", "Delete"],
        "status": 1,
    }
    role_body = {**body, "entityType": "Role", "entityId": UserRole.objects.get(name=Role.ORGANIZATION_ADMIN).id}
    own_body = {**body, "entityId": api_user.id}
    count = ModulePermission.objects.count()
    attempts = [
        (developer_admin, body),
        (developer_admin, role_body),
        (buyer, body),
        (api_user, own_body),  # an api user cannot approve itself
        (api_user, body),
    ]
    for user, attempt in attempts:
        response = client_for(user).post("/api/permission/module", attempt, format="json")
        assert response.status_code == 403, (user.role, attempt)
    assert ModulePermission.objects.count() == count
    assert not may(other_api_user, "FILE_MANAGEMENT_CRUDL", "Read")

    admin = client_for(admin_user)
    assert admin.post("/api/permission/module", body, format="json").status_code == 201
    assert admin.post("/api/permission/module", body, format="json").status_code == 409
    assert admin.post("/api/permission/module", {**body, "permissions": ["Read"]}, format="json").status_code == 409
    assert ModulePermission.objects.filter(user=other_api_user).count() == 1


def test_flaw_14_verify_with_request_activates_nothing(client_for, admin_user, api_user):
    items = [{"aclmodulesId": module_id("PERMISSION_MANAGEMENT_CRUDL"), "permissions": ["Read"]}]
    assert client_for(api_user).post(REQUEST_URL, items, format="json").status_code == 201
    assert verify(client_for(admin_user), api_user, "Request").status_code == 400
    assert not ModulePermission.objects.get(user=api_user).is_active
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST
    assert client_for(api_user).get("/api/permission").status_code == 403


def test_flaw_14_a_disabled_module_is_enforced(client_for, admin_user, api_user, developer_admin, grant):
    grant(api_user, "PERMISSION_MANAGEMENT_CRUDL", "Read")
    assert client_for(api_user).get("/api/permission").status_code == 200
    AclModule.objects.filter(name="PERMISSION_MANAGEMENT_CRUDL").update(status=ModuleStatus.DISABLE)
    AclModule.objects.filter(name="DEVICE_MANAGEMENT_CRUDL").update(status=ModuleStatus.DISABLE)
    assert client_for(api_user).get("/api/permission").status_code == 403
    assert not may(developer_admin, "DEVICE_MANAGEMENT_CRUDL", "Read")
    assert client_for(admin_user).get("/api/permission").status_code == 200


def test_flaw_14_a_disabled_role_grants_nothing(admin_user, buyer, sub_buyer):
    # The super admin can switch a role off in Django admin (UserRole.status); the original
    # ignored it. Members of a disabled role keep their account but lose the role's grants.
    assert may(buyer, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Write")
    UserRole.objects.filter(name=Role.BUYER).update(status=False)
    assert not may(buyer, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Write")
    assert not may(buyer, "DEVICE_MANAGEMENT_CRUDL", "Read")
    assert may(sub_buyer, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Write")  # another role is not concerned
    assert may(admin_user, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Write")
    UserRole.objects.filter(name=Role.BUYER).update(status=True)
    assert may(buyer, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Write")


def test_flaw_14_an_edited_grant_waits_for_the_admin_again(client_for, admin_user, api_user):
    api, admin = client_for(api_user), client_for(admin_user)
    items = [{"aclmodulesId": module_id("PERMISSION_MANAGEMENT_CRUDL"), "permissions": ["Read"]}]
    assert api.post(REQUEST_URL, items, format="json").status_code == 201
    assert api.get("/api/permission").status_code == 403
    assert verify(admin, api_user, "Active").status_code == 200
    assert api.get("/api/permission").status_code == 200

    own = ModulePermission.objects.get(user=api_user)
    response = api.put(f"/api/permission/update/{own.id}", {"permissions": ["Read", "Update"]}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == 0
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.REQUEST
    assert api.get("/api/permission").status_code == 403  # the old Read is not kept meanwhile

    assert verify(admin, api_user, "Active").status_code == 200
    assert ApiUser.objects.get(user=api_user).permission_status == PermissionStatus.ACTIVE
    assert api.get("/api/permission").status_code == 200
    assert may(api_user, "PERMISSION_MANAGEMENT_CRUDL", "Update")


def test_flaw_15_subset_validation_stays_strict_over_repeated_calls(client_for, admin_user, api_user, grant):
    admin = client_for(admin_user)
    wide = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read")
    narrow = grant(api_user, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")
    password = grant(api_user, "PASSWORD_MANAGEMENT_CRUDL", "Write")
    valid = [
        (wide, ["Read", "Write", "Update", "Delete"]),
        (narrow, ["Read"]),
        (password, ["Write"]),
    ]
    invalid = [
        (narrow, ["Read", "Write"]),
        (narrow, ["Delete"]),
        (password, ["Read"]),
        (password, ["Write", "Update"]),
    ]
    for _ in range(25):
        for target, verbs in valid:
            response = admin.put(f"/api/permission/update/{target.id}", {"permissions": verbs}, format="json")
            assert response.status_code == 200, verbs
        for target, verbs in invalid:
            response = admin.put(f"/api/permission/update/{target.id}", {"permissions": verbs}, format="json")
            assert response.status_code == 400, (target.module.name, verbs)
    # The request path keeps refusing too, after all those calls.
    other = [{"aclmodulesId": module_id("CERTIFICATE_LOG_MANAGEMENT_CRUDL"), "permissions": ["Read", "Write"]}]
    ModulePermission.objects.filter(pk=narrow.pk).delete()
    for _ in range(10):
        assert client_for(api_user).post(REQUEST_URL, other, format="json").status_code == 400
    assert snapshot(password) == (2, True)
    assert snapshot(wide) == (15, True)
    assert not ModulePermission.objects.filter(user=api_user, module__name="CERTIFICATE_LOG_MANAGEMENT_CRUDL").exists()

"""The one check (SPEC §4): ``acl.selectors.may`` and the rules and API permission built on it."""

import re
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role, UserRole, UserStatus
from acl.models import VERB_BITS, AclModule, EntityType, ModulePermission, ModuleStatus
from acl.selectors import may
from drec.permissions import AUTHENTICATED, PUBLIC, acl, only
from drec.routes import routes
from tests.factories import UserFactory

VERBS = list(VERB_BITS)
ALL_MODULES = [
    "USER_MANAGEMENT_CRUDL",
    "ORGANIZATION_MANAGEMENT_CRUDL",
    "FILE_MANAGEMENT_CRUDL",
    "DEVICE_MANAGEMENT_CRUDL",
    "BUYER_RESERVATION_MANAGEMENT_CRUDL",
    "DEVICE_BULK_MANAGEMENT_CRUDL",
    "READS_MANAGEMENT_CRUDL",
    "CERTIFICATE_LOG_MANAGEMENT_CRUDL",
    "INVITATION_MANAGEMENT_CRUDL",
    "ADMIN_APIUSER_ORGANIZATION_CRUDL",
    "PASSWORD_MANAGEMENT_CRUDL",
    "PERMISSION_MANAGEMENT_CRUDL",
    "ADMIN_MANAGEMENT_CRUDL",
    "YIELD_CONFIG_MANAGEMENT_CRUDL",
    "WEBHOOK_MANAGEMENT_CRUDL",
]
FORBIDDEN_BODY = {"success": False, "statusCode": 403, "error": "Forbidden", "message": "Forbidden resource"}
UNAUTHORIZED_BODY = {"success": False, "statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}


def allowed(user, module: str) -> list[str]:
    return [verb for verb in VERBS if may(user, module, verb)]


def role_grant(role: str, module: str, *verbs: str, active: bool = True) -> ModulePermission:
    grant, _ = ModulePermission.objects.update_or_create(
        module=AclModule.objects.get(name=module),
        role=UserRole.objects.get(name=role),
        defaults={
            "entity_type": EntityType.ROLE,
            "permissions_value": sum(VERB_BITS[v] for v in verbs),
            "is_active": active,
        },
    )
    return grant


def set_module(name: str, **fields) -> None:
    assert AclModule.objects.filter(name=name).update(**fields) == 1


# --- acl.selectors.may ----------------------------------------------------------------------


def test_admin_may_everything_even_on_a_disabled_module(admin_user):
    assert set(AclModule.objects.values_list("name", flat=True)) == set(ALL_MODULES)
    set_module("DEVICE_MANAGEMENT_CRUDL", status=ModuleStatus.DISABLE)
    for module in ALL_MODULES:
        assert allowed(admin_user, module) == VERBS, module


def test_a_role_grant_allows_exactly_its_verbs_to_every_member_of_the_role(db):
    member, colleague, buyer = (
        UserFactory(role=Role.USER),
        UserFactory(role=Role.USER),
        UserFactory(role=Role.BUYER),
    )
    assert allowed(member, "FILE_MANAGEMENT_CRUDL") == []
    role_grant("User", "FILE_MANAGEMENT_CRUDL", "Read", "Update")
    assert allowed(member, "FILE_MANAGEMENT_CRUDL") == ["Read", "Update"]
    assert allowed(colleague, "FILE_MANAGEMENT_CRUDL") == ["Read", "Update"]
    # Another role is not concerned, and other modules are not opened.
    assert allowed(buyer, "FILE_MANAGEMENT_CRUDL") == []
    assert allowed(member, "DEVICE_BULK_MANAGEMENT_CRUDL") == []


def test_an_inactive_role_grant_allows_nothing(developer_admin):
    assert allowed(developer_admin, "DEVICE_MANAGEMENT_CRUDL") == VERBS
    ModulePermission.objects.filter(role__name=Role.ORGANIZATION_ADMIN, module__name="DEVICE_MANAGEMENT_CRUDL").update(
        is_active=False
    )
    assert allowed(developer_admin, "DEVICE_MANAGEMENT_CRUDL") == []
    # Its other grants are untouched.
    assert allowed(developer_admin, "READS_MANAGEMENT_CRUDL") == VERBS


def test_a_disabled_module_denies_everyone_but_the_admin(admin_user, developer_admin, buyer, api_user, grant):
    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    set_module("DEVICE_MANAGEMENT_CRUDL", status=ModuleStatus.DISABLE)
    assert allowed(developer_admin, "DEVICE_MANAGEMENT_CRUDL") == []
    assert allowed(buyer, "DEVICE_MANAGEMENT_CRUDL") == []
    assert allowed(api_user, "DEVICE_MANAGEMENT_CRUDL") == []
    assert allowed(admin_user, "DEVICE_MANAGEMENT_CRUDL") == VERBS
    # Other modules keep working, and enabling the module again restores the grants.
    assert allowed(developer_admin, "READS_MANAGEMENT_CRUDL") == VERBS
    set_module("DEVICE_MANAGEMENT_CRUDL", status=ModuleStatus.ENABLE)
    assert allowed(developer_admin, "DEVICE_MANAGEMENT_CRUDL") == VERBS
    assert allowed(api_user, "DEVICE_MANAGEMENT_CRUDL") == ["Read", "Write"]


def test_an_api_users_own_grant_allows_only_once_approved(api_user, other_api_user, grant):
    own = grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    assert allowed(api_user, "DEVICE_MANAGEMENT_CRUDL") == ["Read", "Write"]
    assert allowed(other_api_user, "DEVICE_MANAGEMENT_CRUDL") == []
    own.is_active = False
    own.save()
    assert allowed(api_user, "DEVICE_MANAGEMENT_CRUDL") == []


def test_a_verb_removed_from_a_module_stops_being_granted(developer_admin):
    from acl.services import module_update

    device = AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
    module_update(module_id=device.id, permissions=["Read", "Write"])
    row = ModulePermission.objects.get(role__name=Role.ORGANIZATION_ADMIN, module=device)
    assert row.permissions == VERBS  # the grant row still lists them ...
    assert allowed(developer_admin, "DEVICE_MANAGEMENT_CRUDL") == ["Read", "Write"]  # ... but they are gone
    module_update(module_id=device.id, permissions=VERBS)
    assert allowed(developer_admin, "DEVICE_MANAGEMENT_CRUDL") == VERBS


def test_suspended_users_may_nothing(db):
    member = UserFactory(role=Role.ORGANIZATION_ADMIN, status=UserStatus.SUSPENDED)
    member.refresh_from_db()
    assert allowed(member, "DEVICE_MANAGEMENT_CRUDL") == []
    assert not AUTHENTICATED.allows(member)
    assert allowed(AnonymousUser(), "DEVICE_MANAGEMENT_CRUDL") == []


def test_an_unknown_verb_is_a_programming_error_not_a_silent_answer(admin_user):
    with pytest.raises(ValueError, match="List"):
        may(admin_user, "DEVICE_MANAGEMENT_CRUDL", "List")


# --- Default role grants (migration 0004) -----------------------------------------------------


@pytest.mark.parametrize(
    ("persona_name", "module", "expected"),
    [
        ("developer_admin", "DEVICE_MANAGEMENT_CRUDL", ["Read", "Write", "Update", "Delete"]),
        ("buyer", "BUYER_RESERVATION_MANAGEMENT_CRUDL", ["Read", "Write", "Update", "Delete"]),
        ("buyer", "DEVICE_MANAGEMENT_CRUDL", ["Read"]),
        ("sub_buyer", "ORGANIZATION_MANAGEMENT_CRUDL", ["Read"]),
        ("developer_admin", "PERMISSION_MANAGEMENT_CRUDL", []),
        ("buyer", "PERMISSION_MANAGEMENT_CRUDL", []),
        ("buyer", "FILE_MANAGEMENT_CRUDL", []),
    ],
)
def test_default_role_grants(request, persona_name, module, expected):
    assert allowed(request.getfixturevalue(persona_name), module) == expected


def test_default_grants_of_the_user_role_are_read_only(db):
    member = UserFactory(role=Role.USER)
    reads = {module for module in ALL_MODULES if may(member, module, "Read")}
    assert {"USER_MANAGEMENT_CRUDL", "DEVICE_MANAGEMENT_CRUDL", "READS_MANAGEMENT_CRUDL"} <= reads
    changes = {(module, verb) for module in ALL_MODULES for verb in VERBS[1:] if may(member, module, verb)}
    # Changing one's own password is the only write (that module offers nothing but Write).
    assert changes <= {("PASSWORD_MANAGEMENT_CRUDL", "Write")}


def test_the_api_user_role_has_no_grants(api_user):
    assert not ModulePermission.objects.filter(role__name=Role.API_USER).exists()
    assert {module: allowed(api_user, module) for module in ALL_MODULES} == {module: [] for module in ALL_MODULES}


# --- Rules --------------------------------------------------------------------------------------


def test_roles_of_a_rule_narrow_the_grants(admin_user, buyer, sub_buyer):
    rule = acl("BUYER_RESERVATION_MANAGEMENT_CRUDL", "Write", Role.BUYER)
    assert may(sub_buyer, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Write")  # the grant is there ...
    assert not rule.allows(sub_buyer)  # ... but the role is not
    assert rule.allows(buyer)
    assert rule.allows(admin_user)


def test_role_only_and_public_rules(admin_user, api_user, developer_admin):
    assert only(Role.ADMIN).allows(admin_user)
    assert not only(Role.ADMIN).allows(api_user)
    assert only(Role.API_USER).allows(api_user)
    assert not only(Role.API_USER).allows(developer_admin)
    assert PUBLIC.allows(AnonymousUser())
    assert not AUTHENTICATED.allows(AnonymousUser())
    assert AUTHENTICATED.allows(developer_admin)
    assert not acl("DEVICE_MANAGEMENT_CRUDL", "Read").allows(api_user)
    assert acl("DEVICE_MANAGEMENT_CRUDL", "Read").allows(developer_admin)


# --- Through the API --------------------------------------------------------------------------


def test_a_denied_call_answers_403_forbidden_resource(client_for, developer_admin, buyer, api_user):
    for user in (developer_admin, buyer, api_user):
        response = client_for(user).get("/api/permission")
        assert response.status_code == 403
        assert response.json() == FORBIDDEN_BODY


def test_an_approved_grant_opens_an_endpoint_through_a_real_token(api_client, api_user, token_for, grant):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(api_user)}")
    assert api_client.get("/api/permission").status_code == 403
    own = grant(api_user, "PERMISSION_MANAGEMENT_CRUDL", "Read")
    assert api_client.get("/api/permission").status_code == 200
    own.is_active = False
    own.save()
    assert api_client.get("/api/permission").json() == FORBIDDEN_BODY


def test_disabling_a_module_closes_its_endpoints_to_all_but_the_admin(client_for, admin_user, api_user, grant):
    grant(api_user, "PERMISSION_MANAGEMENT_CRUDL", "Read")
    module = AclModule.objects.get(name="PERMISSION_MANAGEMENT_CRUDL")
    url = f"/api/access-control-layer-module-service/update/{module.id}"
    admin = client_for(admin_user)
    assert client_for(api_user).get("/api/permission").status_code == 200
    assert admin.put(url, {"permissions": module.permissions, "status": "Disable"}, format="json").status_code == 200
    response = client_for(api_user).get("/api/permission")
    assert (response.status_code, response.json()) == (403, FORBIDDEN_BODY)
    assert admin.get("/api/permission").status_code == 200
    assert admin.put(url, {"permissions": module.permissions, "status": "Enable"}, format="json").status_code == 200
    assert client_for(api_user).get("/api/permission").status_code == 200


def test_removing_a_verb_from_a_module_closes_its_endpoints(client_for, admin_user, api_user, grant):
    grant(api_user, "PERMISSION_MANAGEMENT_CRUDL", "Read")
    module = AclModule.objects.get(name="PERMISSION_MANAGEMENT_CRUDL")
    url = f"/api/access-control-layer-module-service/update/{module.id}"
    admin = client_for(admin_user)
    assert admin.put(url, {"permissions": ["Write", "Update"]}, format="json").status_code == 200
    assert client_for(api_user).get("/api/permission").json() == FORBIDDEN_BODY
    assert admin.put(url, {"permissions": ["Read", "Write", "Update"]}, format="json").status_code == 200
    assert client_for(api_user).get("/api/permission").status_code == 200


def _sample_path(path: str) -> str:
    """A concrete URL for a route pattern: a sample value for each converter."""
    samples = {"int": "1", "uuid": str(uuid.uuid4()), "str": "sample", "slug": "sample", "path": "sample"}
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: samples[m.group(1) or "str"], path)


PROTECTED_API_ROUTES = [
    route for route in routes() if route.is_api and route.rule is not None and not route.rule.public
]


def test_the_registry_lists_protected_api_routes():
    paths = {route.path for route in PROTECTED_API_ROUTES}
    assert "api/permission/module" in paths
    assert "api/admin/apiusers" in paths


@pytest.mark.parametrize(
    "route", PROTECTED_API_ROUTES, ids=[f"{route.method} {route.path}" for route in PROTECTED_API_ROUTES]
)
def test_unauthenticated_calls_to_protected_endpoints_answer_401(api_client, db, route):
    method = "get" if route.method == "*" else route.method.lower()
    response = getattr(api_client, method)(_sample_path(route.path), {}, format="json")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED_BODY


def test_a_bad_token_answers_401(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get("/api/permission")
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401


# --- The grants the token lookup brings along -----------------------------------------------


def test_the_token_lookup_brings_the_same_grants_as_the_check(api_user, buyer, token_for, grant):
    """accounts.selectors.access_token_user reads the caller's grants in the token's own query
    (acl.selectors.granted_masks_sql); they are the grants granted_masks reads: role grants of
    switched-on roles and the api user's own, active ones of enabled modules, verbs the module
    still offers."""
    from accounts.selectors import access_token_user
    from acl.selectors import granted_masks

    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    grant(api_user, "READS_MANAGEMENT_CRUDL", "Read")
    ModulePermission.objects.filter(user=api_user, module__name="READS_MANAGEMENT_CRUDL").update(is_active=False)
    role_grant(Role.BUYER, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")
    set_module("FILE_MANAGEMENT_CRUDL", status=ModuleStatus.DISABLE)
    set_module("USER_MANAGEMENT_CRUDL", permissions_value=VERB_BITS["Read"])
    for user in (api_user, buyer):
        looked_up, _token = access_token_user(token_for(user))
        assert looked_up.acl_masks == granted_masks(user), user.role
    assert granted_masks(api_user)["DEVICE_MANAGEMENT_CRUDL"] == VERB_BITS["Read"] | VERB_BITS["Write"]
    assert "READS_MANAGEMENT_CRUDL" not in granted_masks(api_user)
    assert "FILE_MANAGEMENT_CRUDL" not in granted_masks(buyer)

    UserRole.objects.filter(name=Role.BUYER).update(status=False)  # the role switched off
    looked_up, _token = access_token_user(token_for(buyer))
    assert looked_up.acl_masks == granted_masks(buyer) == {}

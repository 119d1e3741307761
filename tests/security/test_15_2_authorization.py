"""backend.md §15.2 (authorization and multi-tenancy), items 11-21: each weakness of the
original, tried against our API with real access tokens, must stay absent. A refusal is
checked the way a user would notice it: the status code, an answer that names nothing of
the other tenant, and a database that did not change."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.urls import resolve
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccessToken, ApiUser, ApiUserKey, PermissionStatus, Role, TokenKind, User, UserRole
from acl.models import AclModule, ModulePermission
from acl.selectors import may
from certificates.models import Certificate, Claim, LedgerEntry
from devices import bulk
from devices.models import CsvJob, Device, SdgBenefit
from drec.permissions import FORBIDDEN, AclPermission
from drec.routes import routes
from organizations.models import Invitation, InvitationStatus, Organization, OrganizationType
from organizations.models import OrganizationUserObjectPermission as OrganizationAccess
from organizations.services import INVITATION_SALT, invitation_token
from reads.models import MeterRead
from reservations.models import Reservation, ReservationDevice
from tests.accounts.apihelpers import KEYS_URL, bearer, client_assertion, ed25519_key, public_pem, token_request
from tests.devices.helpers import JOBS_URL, csv_bytes, csv_row, csv_upload, device_body, job_url
from tests.factories import OrganizationFactory, UserFactory
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import CONTINUE_DEVICES, MY_URL, create, reservation_url, unavailable_ids

pytestmark = [pytest.mark.django_db]

ALL_VERBS = ["Read", "Write", "Update", "Delete"]
PASSWORD = "Bright-Orbit-2031"
REQUEST_URL = "/api/permission/module/apiuser/request"
GRANT_URL = "/api/permission/module"
TEMPLATE_URL = "/api/device/bulk-upload/template.csv"
WATCHED = [
    User,
    ApiUser,
    UserRole,
    Organization,
    OrganizationAccess,
    Invitation,
    AclModule,
    ModulePermission,
    Device,
    CsvJob,
    MeterRead,
    Reservation,
    ReservationDevice,
    Certificate,
    Claim,
    LedgerEntry,
    SdgBenefit,
]


def state() -> dict:
    """Every row a refused request must leave as it was (tokens aside: signing in writes them)."""

    def plain(row: dict) -> dict:
        return {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items() if k != "last_login"}

    return {model.__name__: [plain(row) for row in model.objects.order_by("pk").values()] for model in WATCHED}


def module_id(name: str) -> int:
    return AclModule.objects.get(name=name).pk


def update_url(grant) -> str:
    return f"/api/permission/update/{grant.pk}"


def verify_url(user) -> str:
    return f"/api/permission/module/verify/ByAdmin/{user.api_user.api_user_id}"


def text(response) -> str:
    return response.content.decode()


def reveals(response, value: str) -> bool:
    """Whether the answer carries ``value``, unless the caller sent it in the URL itself (an
    error message may repeat what was asked for)."""
    asked = f"{response.request['PATH_INFO']}?{response.request.get('QUERY_STRING', '')}"
    return value in text(response) and value not in asked


def refused(response, status: int | tuple[int, ...], *hidden: str) -> None:
    """An error answer with ``status`` (or one of them) that names none of ``hidden``."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert_error(response, response.status_code if response.status_code in statuses else statuses[0])
    for value in hidden:
        assert not reveals(response, value), value


def client_token(bearer_for, user) -> APIClient:
    """An API client with the access token an api user's application gets for a client
    assertion signed with its registered key (the original's "client JWT")."""
    key = ed25519_key(f"15.2 {user.email}")
    if not ApiUserKey.objects.filter(api_user=user.api_user, revoked_at__isnull=True).exists():
        registered = bearer_for(user).post(KEYS_URL, {"publicKey": public_pem(key)}, format="json")
        assert registered.status_code == 201, registered.content
    answer = token_request(APIClient(), client_assertion(user, key))
    assert answer.status_code == 200, answer.content
    token = answer.json()["accessToken"]
    assert AccessToken.objects.filter(user=user, kind=TokenKind.CLIENT).exists()
    return bearer(token)


# --- 11 -----------------------------------------------------------------------------------


def test_15_11_nobody_rewrites_a_grant_that_is_not_theirs(world, bearer_for):
    """The original's ``PUT /permission/update/:id`` had no ACL guard and no ownership check:
    any signed-in user (or client token) rewrote any grant, role grants included. Ours: the
    super admin edits any grant, an api user only its own (which then waits for approval);
    members of organizations none."""
    buyer_role_grant = ModulePermission.objects.get(role__name=Role.BUYER, module__name="DEVICE_MANAGEMENT_CRUDL")
    api_user_grant = world.api_user.acl_grants.get(module__name="CERTIFICATE_LOG_MANAGEMENT_CRUDL")
    # Api users attack with their application's client token, the others with a login token.
    attacks = [
        (world.developer_admin, buyer_role_grant),
        (world.buyer, buyer_role_grant),
        (world.device_owner, api_user_grant),
        (world.rival_buyer, api_user_grant),
        (world.api_user, buyer_role_grant),
        (world.other_api_user, api_user_grant),
        (world.other_api_user, buyer_role_grant),
    ]
    before = state()

    for attacker, grant in attacks:
        api_user = attacker.role == Role.API_USER
        client = client_token(bearer_for, attacker) if api_user else bearer_for(attacker)
        for change in ({"permissions": ALL_VERBS, "status": 1}, {"permissions": ["Read"], "status": 0}):
            answer = assert_error(client.put(update_url(grant), change, format="json"), 404 if api_user else 403)
            if not api_user:
                assert answer["message"] == FORBIDDEN

    assert state() == before
    # What the escalation was for stays out of reach.
    assert_error(bearer_for(world.buyer).post("/api/device", device_body(externalId="ESCALATED"), format="json"), 403)
    assert not Device.objects.filter(external_id="ESCALATED").exists()
    # The endpoint works with a client token for the grant's owner (so the refusals are about
    # ownership): the edited grant goes inactive and waits for the admin.
    own = world.api_user.acl_grants.get(module__name="DEVICE_MANAGEMENT_CRUDL")
    edited = client_token(bearer_for, world.api_user).put(update_url(own), {"permissions": ["Read"]}, format="json")
    assert edited.status_code == 200, edited.content
    assert (edited.json()["permissions"], edited.json()["status"]) == (["Read"], 0)


# --- 12 -----------------------------------------------------------------------------------


@pytest.fixture
def namesake(restore_user_id_sequence):
    """An api user whose user id is the Buyer role's id. The users' id sequence is moved past
    the role ids first, so that no persona of the test takes that id."""
    role = UserRole.objects.get(name=Role.BUYER)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), "
            "GREATEST(nextval(pg_get_serial_sequence('accounts_user', 'id')), 1000))"
        )
    assert not User.objects.filter(pk=role.pk).exists()
    organization = OrganizationFactory(name="Namesake Integrator", organization_type=OrganizationType.API_USER)
    user = UserFactory(id=role.pk, email="namesake@example.com", role=Role.API_USER, organization=organization)
    organization.api_user = ApiUser.objects.create(user=user)
    organization.save(update_fields=["api_user"])
    return user


def test_15_12_a_user_grant_and_a_role_grant_never_stand_in_for_each_other(
    namesake, admin_user, buyer, sub_buyer, bearer_for
):
    """The original's guard matched ``entityId = user.roleId`` without looking at the entity
    type: a User grant to the user whose id equals a role id (1-7) applied to the whole role,
    and the role's grants to that user. Ours keeps role and user grants apart."""
    buyer_role = UserRole.objects.get(name=Role.BUYER)
    assert namesake.pk == buyer_role.pk
    assert_error(bearer_for(buyer).get(TEMPLATE_URL), 403)

    body = {
        "aclmodulesId": module_id("DEVICE_BULK_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": buyer_role.pk,
        "permissions": ["Read"],
        "status": 1,
    }
    granted = bearer_for(admin_user).post(GRANT_URL, body, format="json")
    assert granted.status_code == 201, granted.content
    assert (granted.json()["entityType"], granted.json()["entityId"]) == ("User", namesake.pk)

    # The api user got it; the Buyer role (same id) did not.
    template = bearer_for(namesake).get(TEMPLATE_URL)
    assert template.status_code == 200
    assert b"externalId" in template.content
    for member in (buyer, sub_buyer):
        assert_error(bearer_for(member).get(TEMPLATE_URL), 403)
    # The other way round: the Buyer role's grants do not reach the api user with its id.
    assert bearer_for(buyer).get(MY_URL).status_code == 200
    assert assert_error(bearer_for(namesake).get("/api/buyer-reservation"), 403)["message"] == FORBIDDEN
    assert not may(namesake, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Read")


# --- 13 -----------------------------------------------------------------------------------


def test_15_13_only_the_super_admin_creates_grants_for_real_api_users_and_never_twice(world, bearer_for):
    """The original let an OrganizationAdmin create User grants for any user id (other
    organizations, other tenants) and never detected duplicates. Ours: only the super admin
    creates grants, only for an existing api user, one per module."""
    target = world.other_api_user
    body = {
        "aclmodulesId": module_id("PERMISSION_MANAGEMENT_CRUDL"),
        "entityType": "User",
        "entityId": target.pk,
        "permissions": ["Read"],
        "status": 1,
    }
    organization_admin_role = UserRole.objects.get(name=Role.ORGANIZATION_ADMIN).pk
    attempts = [
        (bearer_for(world.developer_admin), body),
        (bearer_for(world.developer_admin), {**body, "entityId": world.rival_admin.pk}),
        (bearer_for(world.developer_admin), {**body, "entityType": "Role", "entityId": organization_admin_role}),
        (bearer_for(world.buyer), body),
        (client_token(bearer_for, world.api_user), {**body, "entityId": world.api_user.pk}),  # approve itself
        (client_token(bearer_for, world.api_user), body),
    ]
    before = state()
    for client, attempt in attempts:
        assert assert_error(client.post(GRANT_URL, attempt, format="json"), 403)["message"] == FORBIDDEN
    assert state() == before
    assert_error(bearer_for(target).get("/api/permission"), 403)

    admin = bearer_for(world.admin)
    # Not an api user, or nobody: refused, not granted to whoever has that id.
    for entity_id in (world.developer_admin.pk, 987_654):
        assert_error(admin.post(GRANT_URL, {**body, "entityId": entity_id}, format="json"), 400, "entityId")
    assert state() == before

    assert admin.post(GRANT_URL, body, format="json").status_code == 201
    assert bearer_for(target).get("/api/permission").status_code == 200
    assert_error(admin.post(GRANT_URL, body, format="json"), 409)
    assert_error(admin.post(GRANT_URL, {**body, "permissions": ["Read", "Write", "Update"]}, format="json"), 409)
    assert ModulePermission.objects.filter(user=target, module__name="PERMISSION_MANAGEMENT_CRUDL").count() == 1


# --- 14 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "problem", ["verify-with-request", "deactivated-api-user", "edited-grant", "disabled-module", "disabled-role"]
)
def test_15_14_only_approved_grants_of_enabled_modules_and_roles_count(world, bearer_for, problem):
    """The original activated an api user's grants when the admin "verified" with status
    Request, never consulted the api user's permission status, kept an edited grant active,
    and ignored the status of ACL modules and roles. Ours enforces all four."""
    admin, api = bearer_for(world.admin), bearer_for(world.api_user)
    devices = "/api/device/my"
    assert api.get(devices).status_code == 200
    if problem == "verify-with-request":
        request = [{"aclmodulesId": module_id("PERMISSION_MANAGEMENT_CRUDL"), "permissions": ["Read"]}]
        asked = api.post(REQUEST_URL, request, format="json")
        assert asked.status_code == 201, asked.content
        before = state()
        assert_error(admin.put(verify_url(world.api_user), {"status": "Request"}, format="json"), 400, "status")
        assert state() == before
        assert_error(api.get("/api/permission"), 403)
        assert admin.put(verify_url(world.api_user), {"status": "Active"}, format="json").status_code == 200
        assert api.get("/api/permission").status_code == 200
    elif problem == "deactivated-api-user":
        assert admin.put(verify_url(world.api_user), {"status": "Deactive"}, format="json").status_code == 200
        assert ApiUser.objects.get(user=world.api_user).permission_status == PermissionStatus.DEACTIVE
        assert_error(api.get(devices), 403)
        assert_error(api.get("/api/Organization/users"), 403)
        assert bearer_for(world.other_api_user).get(devices).status_code == 200  # another tenant is not concerned
    elif problem == "edited-grant":
        own = world.api_user.acl_grants.get(module__name="DEVICE_MANAGEMENT_CRUDL")
        edited = api.put(update_url(own), {"permissions": ALL_VERBS, "status": 1}, format="json")
        assert edited.status_code == 200, edited.content
        assert edited.json()["status"] == 0  # the api user cannot keep it active itself
        assert ApiUser.objects.get(user=world.api_user).permission_status == PermissionStatus.REQUEST
        assert_error(api.get(devices), 403)  # not even the Read it had before
        assert admin.put(verify_url(world.api_user), {"status": "Active"}, format="json").status_code == 200
        assert api.get(devices).status_code == 200
    elif problem == "disabled-module":
        module = AclModule.objects.get(name="DEVICE_MANAGEMENT_CRUDL")
        url = f"/api/access-control-layer-module-service/update/{module.pk}"
        assert admin.put(url, {"permissions": ALL_VERBS, "status": "Disable"}, format="json").status_code == 200
        for user in (world.api_user, world.developer_admin, world.device_owner):
            assert_error(bearer_for(user).get(devices), 403)
        assert admin.get(devices).status_code == 200
        assert admin.put(url, {"permissions": ALL_VERBS, "status": "Enable"}, format="json").status_code == 200
        assert bearer_for(world.developer_admin).get(devices).status_code == 200
    else:
        UserRole.objects.filter(name=Role.ORGANIZATION_ADMIN).update(status=False)
        assert_error(bearer_for(world.developer_admin).get(devices), 403)
        assert_error(bearer_for(world.rival_admin).get(devices), 403)
        assert bearer_for(world.device_owner).get(devices).status_code == 200  # another role is not concerned


# --- 15 -----------------------------------------------------------------------------------


def test_15_15_subset_validation_stays_strict_however_many_requests_came_before(world, bearer_for):
    """The original's permission-bit helper was a singleton whose module flags were never
    reset, so validation grew permissive over the process lifetime. Ours: after many valid
    requests for wide modules, by several users, a verb a module does not offer is still
    refused, every time."""
    admin = bearer_for(world.admin)
    api = client_token(bearer_for, world.api_user)
    other = bearer_for(world.other_api_user)
    wide = world.api_user.acl_grants.get(module__name="DEVICE_MANAGEMENT_CRUDL")
    narrow = world.api_user.acl_grants.get(module__name="CERTIFICATE_LOG_MANAGEMENT_CRUDL")  # offers Read only
    narrow_before = (narrow.permissions_value, narrow.is_active)
    password_module = module_id("PASSWORD_MANAGEMENT_CRUDL")  # offers Write only

    for _ in range(6):
        assert admin.put(update_url(wide), {"permissions": ALL_VERBS, "status": 1}, format="json").status_code == 200
        assert api.put(update_url(wide), {"permissions": ALL_VERBS}, format="json").status_code == 200
        for client, verbs in ((admin, ["Read", "Write"]), (api, ["Read", "Delete"]), (admin, ["Update"])):
            response = client.put(update_url(narrow), {"permissions": verbs}, format="json")
            assert_error(response, 400, "permissions")
        request = [{"aclmodulesId": password_module, "permissions": ["Write", "Read"]}]
        assert_error(other.post(REQUEST_URL, request, format="json"), 400)
        grant = {"aclmodulesId": password_module, "entityType": "User", "entityId": world.other_api_user.pk}
        assert_error(admin.post(GRANT_URL, {**grant, "permissions": ["Read"]}, format="json"), 400, "permissions")

    narrow.refresh_from_db()
    assert (narrow.permissions_value, narrow.is_active) == narrow_before
    assert not ModulePermission.objects.filter(module_id=password_module, user=world.other_api_user).exists()
    assert not may(world.api_user, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Write")


# --- 16 -----------------------------------------------------------------------------------

FORGED_ISSUANCE = {
    "deviceId": "CERT-1",
    "energyValue": "1000000000",
    "fromTime": "2026-01-01T00:00:00Z",
    "toTime": "2026-02-01T00:00:00Z",
    "toAddress": "0x000000000000000000000000000000000000dEaD",
    "userId": "attacker",
    "metadata": {"forged": True},
}
RAW_READS = {"unit": "Wh", "reads": [{"timestamp": "2026-03-04T00:00:00Z", "value": 999_999_999}]}
VALID_READS = {"type": "Delta", "unit": "Wh", "reads": [{"endtimestamp": "2026-03-04T01:00:00Z", "value": 500}]}
SDG_BODY = {"SdgbenefitName": "SDG99", "sdgbenefitdescription": "Forged goal", "sdgbenefitBitposition": 99}
# (method, path, body, the original's unauthenticated route that we do not have at all)
UNAUTHENTICATED = [
    ("post", "/api/drec-issuer", FORGED_ISSUANCE, True),
    ("get", "/api/drec-issuer/ongoing", None, True),
    ("get", "/api/drec-issuer/history", None, True),
    ("get", "/api/drec-issuer/lateongoing", None, True),
    ("post", "/api/drec-issuer/missinglateongoing/onetimerun", {}, True),
    ("post", "/api/meter-reads/CERT-1", RAW_READS, True),
    ("post", "/api/meter-reads/{device_id}", RAW_READS, True),
    ("get", "/api/meter-reads/CERT-1", None, True),
    ("get", "/api/meter-reads/CERT-1/difference?start=2026-01-01T00:00:00Z&end=2026-12-01T00:00:00Z", None, True),
    ("get", "/api/meter-reads/CERT-1/aggregate?start=2026-01-01T00:00:00Z&end=2026-12-01T00:00:00Z", None, True),
    ("get", "/api/meter-reads/CERT-1/latest", None, True),
    ("get", "/api/buyer-reservation/certificatelog/{reservation_id}", None, True),
    ("get", "/api/buyer-reservation/certificatelog/{reservation_uid}", None, True),
    ("post", "/api/sdgbenefit", SDG_BODY, True),
    ("get", "/api/sdgbenefit", None, True),
    ("post", "/api/sdgbenefit/code", SDG_BODY, False),
    # Ours, which need a token: the issuance trigger, reads, certificate logs.
    ("post", "/api/drec-issuer/run", {}, False),
    ("post", "/api/meter-reads/new/CERT-1", VALID_READS, False),
    ("get", "/api/meter-reads/new/CERT-1?readType=meterReads", None, False),
    ("get", "/api/meter-reads/new/{device_id}?readType=meterReads", None, False),
    ("get", "/api/meter-reads/latestread/CERT-1", None, False),
    ("get", "/api/certificate-log/issuer/certified/new/{reservation_uid}", None, False),
    ("get", "/api/certificate-log/issuer/certifiedlogOfdevices", None, False),
    ("get", "/api/certificate-log/expoert_perdevice/{reservation_uid}", None, False),
    ("get", "/api/certificate-log/redemption-report", None, False),
]


def test_15_16_issuance_reads_and_certificate_logs_need_a_token_and_the_raw_routes_do_not_exist(
    world, certified, api_client, bearer_for
):
    """The original answered without any token: the issuer's triggers (``POST /drec-issuer``
    issued any energy to any address), the Energy Web base controller's raw read routes
    (written straight to the time series), ``/buyer-reservation/certificatelog/:id`` and
    ``POST /sdgbenefit``. Ours: the raw routes do not exist (404 even for the super admin),
    the rest answer 401 without a token, and nothing is issued, stored or revealed."""
    device = Device.objects.get(external_id="CERT-1")
    certificate = Certificate.objects.get(reservation=certified)
    values = {"device_id": device.pk, "reservation_id": certified.pk, "reservation_uid": certified.uid}
    secrets = [certified.name, str(certified.uid), str(certificate.uid), "24000"]
    admin = bearer_for(world.admin)
    before = state()

    for method, path, body, gone in UNAUTHENTICATED:
        url = path.format(**values)
        call = getattr(api_client, method)
        response = call(url, body, format="json") if body is not None else call(url)
        expected = 405 if url == "/api/sdgbenefit/code" else 404 if gone else 401
        refused(response, expected, *secrets)
        if gone:
            signed_in = getattr(admin, method)(url, body, format="json") if body else getattr(admin, method)(url)
            assert signed_in.status_code in (404, 405), (url, signed_in.status_code)

    assert state() == before
    assert not SdgBenefit.objects.filter(code="SDG99").exists()
    # The issuance trigger is the super admin's alone.
    for member in (world.buyer, world.developer_admin):
        assert assert_error(bearer_for(member).post("/api/drec-issuer/run"), 403)["message"] == FORBIDDEN
    client = client_token(bearer_for, world.api_user)
    assert_error(client.post("/api/drec-issuer/run"), 403)
    assert state() == before
    run = admin.post("/api/drec-issuer/run")
    assert run.status_code == 200
    assert "issued" in run.json()


# --- 17 -----------------------------------------------------------------------------------


class Leak:
    """What each case gets: the world, clients signed in as any of its users, and fixtures."""

    def __init__(self, world, bearer_for, request):
        self.w = world
        self.bearer_for = bearer_for
        self.request = request
        self.clients: dict[int, APIClient] = {}
        self.frozen: dict | None = None

    def freeze(self) -> None:
        """What the database holds once the case has arranged its rows: the refusals that
        follow must leave it so."""
        self.frozen = state()

    def as_(self, user) -> APIClient:
        if user.pk not in self.clients:
            self.clients[user.pk] = self.bearer_for(user)
        return self.clients[user.pk]

    def certified(self) -> Reservation:
        reservation = self.request.getfixturevalue("certified")
        self.freeze()
        return reservation


def leak_device_by_id(c: Leak):
    w = c.w
    for attacker, device in (
        (w.developer_admin, w.rival_device),
        (w.api_user, w.other_device),
        (w.api_user, w.device),
        (w.other_api_user, w.managed_device),
    ):
        refused(c.as_(attacker).get(f"/api/device/{device.pk}"), 404, device.external_id, str(device.uid))
    assert c.as_(w.developer_admin).get(f"/api/device/{w.device.pk}").json()["externalId"] == "DEV-1"


def leak_organization_by_id(c: Leak):
    w = c.w
    for attacker, organization, hidden in (
        (w.developer_admin, w.rival_org, w.rival_admin.email),
        (w.buyer, w.rival_buyer_org, w.rival_buyer.email),
        (w.api_user, w.other_managed, w.other_managed_admin.email),
        (w.api_user, w.developer_org, w.developer_admin.email),
    ):
        refused(c.as_(attacker).get(f"/api/Organization/{organization.pk}"), 404, organization.name, hidden)
    own = c.as_(w.developer_admin).get(f"/api/Organization/{w.developer_org.pk}")
    assert w.device_owner.email in text(own)


def leak_all_organizations(c: Leak):
    w = c.w
    expected = {
        w.developer_admin: {w.developer_org.name},
        w.buyer: {w.buyer_org.name},
        w.api_user: {w.managed.name, w.managed_buyer.name},
        w.other_api_user: {w.other_managed.name, w.other_managed_buyer.name},
    }
    for user, names in expected.items():
        answer = c.as_(user).get("/api/Organization/apiuser/all_organization?limit=100")
        assert answer.status_code == 200
        assert {organization["name"] for organization in answer.json()["organizations"]} == names


def leak_admin_organization_users(c: Leak):
    w = c.w
    for attacker, organization in ((w.developer_admin, w.developer_org), (w.developer_admin, w.rival_org)):
        refused(c.as_(attacker).get(f"/api/admin/organizations/user/{organization.pk}"), 403, w.rival_admin.email)
    for organization in (w.other_managed, w.rival_org):
        refused(
            c.as_(w.api_user).get(f"/api/admin/organizations/user/{organization.pk}"),
            404,
            w.other_managed_admin.email,
            w.rival_admin.email,
        )
    mine = c.as_(w.api_user).get(f"/api/admin/organizations/user/{w.managed.pk}")
    assert [user["email"] for user in mine.json()["users"]] == [w.managed_admin.email]


def leak_admin_user_edit(c: Leak):
    w = c.w
    body = {"firstName": "Hijacked", "lastName": "Account", "email": "hijacked@example.com", "status": "Suspended"}
    for victim in (w.other_managed_admin, w.rival_admin, w.developer_admin, w.admin):
        refused(c.as_(w.api_user).put(f"/api/admin/users/{victim.pk}", body, format="json"), 404, victim.email)
    for attacker, victim in ((w.developer_admin, w.device_owner), (w.buyer, w.sub_buyer)):
        refused(c.as_(attacker).put(f"/api/admin/users/{victim.pk}", body, format="json"), 403)
    assert not User.objects.filter(email="hijacked@example.com").exists()


def leak_member_removal(c: Leak):
    w = c.w
    for attacker, victim in (
        (w.developer_admin, w.rival_admin),
        (w.developer_admin, w.buyer),
        (w.buyer, w.rival_buyer),
        (w.api_user, w.other_managed_admin),
        (w.api_user, w.device_owner),
    ):
        refused(c.as_(attacker).delete(f"/api/Organization/user/{victim.pk}"), 404, victim.email)


def leak_invitation_acceptance(c: Leak):
    w = c.w
    invitation = Invitation.objects.create(
        organization=w.developer_org, email="invitee@example.com", role=Role.DEVICE_OWNER
    )
    own = Invitation.objects.create(organization=w.rival_org, email="mallory@example.com", role=Role.DEVICE_OWNER)
    c.freeze()
    forged = [
        invitation.email,
        f"{invitation.pk}-{invitation.email}",
        signing.dumps({"i": invitation.pk, "e": invitation.email}),  # no salt
        signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT, key="my-secret"),
        invitation_token(invitation=own),  # the attacker's own, genuine link, aimed at another invitation
    ]
    for token in forged:
        body = {"token": token, "status": "Accepted", "password": PASSWORD, "confirmPassword": PASSWORD}
        url = f"/api/invitation/{invitation.pk}"
        response = APIClient().put(url, body, format="json")
        assert response.status_code in (400, 404), (token, response.content)
        rejected = c.as_(w.rival_admin).put(url, {**body, "status": "Rejected"}, format="json")
        assert rejected.status_code in (400, 404), (token, rejected.content)
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.PENDING
    assert not User.objects.filter(email=invitation.email).exists()


def leak_csv_jobs(c: Leak):
    w = c.w
    content = csv_bytes([csv_row(1)])
    job = bulk.csv_job_create(acting_user=w.rival_admin, organization=w.rival_org, file_name="rival.csv", data=content)
    c.freeze()
    for attacker, organization in (
        (w.developer_admin, w.rival_org),
        (w.api_user, w.other_managed),
        (w.api_user, w.developer_org),
        (w.other_api_user, w.managed),
    ):
        refused(csv_upload(c.as_(attacker), organization.pk, content), 404, organization.name)
    assert list(CsvJob.objects.all()) == [job]
    # The rival's job: its status and the job lists stay the rival's.
    for attacker in (w.developer_admin, w.api_user, w.other_api_user):
        refused(c.as_(attacker).get(job_url(job.pk)), 404, "rival.csv", w.rival_org.name)
        refused(c.as_(attacker).get(f"{job_url(job.pk)}?orgId={w.rival_org.pk}"), 404, "rival.csv")
        listed = c.as_(attacker).get(JOBS_URL)
        assert listed.status_code == 200
        assert listed.json()["csvJobs"] == []
    assert [item["jobId"] for item in c.as_(w.rival_admin).get(JOBS_URL).json()["csvJobs"]] == [job.pk]


def leak_certificate_logs(c: Leak):
    w = c.w
    reservation = c.certified()
    certificate = Certificate.objects.get(reservation=reservation)
    hidden = (reservation.name, str(reservation.uid), str(certificate.uid))
    for attacker in (w.rival_buyer, w.rival_admin, w.api_user, w.other_api_user):
        client = c.as_(attacker)
        listed = client.get("/api/certificate-log/issuer/certifiedlogOfdevices")
        assert listed.status_code == 200
        assert listed.json()["totalCount"] == 0
        assert not any(value in text(listed) for value in hidden)
        for url in (
            f"/api/certificate-log/issuer/certified/new/{reservation.uid}",
            f"/api/certificate-log/expoert_perdevice/{reservation.uid}",
            f"/api/buyer-reservation/current-information/{reservation.uid}",
            f"/api/certificate-log/by-reservation-groupId?groupId={reservation.pk}",
            "/api/certificate-log",
        ):
            refused(client.get(url), 404, *hidden)
        assert client.get("/api/certificate-log/redemption-report").json() == []
    assert c.as_(w.buyer).get("/api/certificate-log/issuer/certifiedlogOfdevices").json()["totalCount"] == 1


def leak_reads(c: Leak):
    w = c.w
    c.certified()
    device = Device.objects.get(external_id="CERT-1")
    for attacker in (w.rival_admin, w.rival_buyer, w.api_user, w.other_api_user):
        client = c.as_(attacker)
        for ref in (device.external_id, str(device.pk)):
            # Buyers name devices by id: an externalId is a 400 for them, never the reads.
            refused(client.get(f"/api/meter-reads/new/{ref}?readType=meterReads"), (404, 400), "50000", "1000")
            refused(client.get(f"/api/meter-reads/latestread/{ref}"), (404, 400), "50000", "1000")
    # The developer's own side and the buyer who reserved it do see them.
    assert c.as_(w.developer_admin).get("/api/meter-reads/latestread/CERT-1").json()["value"] == 1000
    listed = c.as_(w.buyer).get(f"/api/meter-reads/new/{device.pk}?readType=meterReads")
    assert listed.json()["numberOfReads"] == 25


def leak_reservations(c: Leak):
    w = c.w
    reservation = c.certified()
    # Developers' members have no reservation grant at all (the original listed every
    # reservation to an OrganizationAdmin), even the developer whose device it holds.
    for attacker in (w.rival_admin, w.developer_admin, w.device_owner):
        for url in (MY_URL, "/api/buyer-reservation", reservation_url(reservation.pk)):
            refused(c.as_(attacker).get(url), 403, reservation.name)
    # Buyers of another organization and api users: their own (empty) lists, not this one.
    for attacker in (w.rival_buyer, w.api_user, w.other_api_user):
        client = c.as_(attacker)
        for url in (MY_URL, "/api/buyer-reservation"):
            listed = client.get(url)
            assert listed.status_code == 200, url
            assert listed.json()["groupedData"] == []
            assert reservation.name not in text(listed)
        refused(client.get(reservation_url(reservation.pk)), 404, reservation.name)
        refused(client.patch(reservation_url(reservation.pk), {"name": "Renamed"}, format="json"), 404)
        refused(client.delete(f"/api/buyer-reservation/endreservation/{reservation.pk}"), 404)
    assert [r["name"] for r in c.as_(w.buyer).get(MY_URL).json()["groupedData"]] == [reservation.name]


def leak_invitation_lists(c: Leak):
    w = c.w
    Invitation.objects.create(organization=w.rival_org, email="secret.invitee@example.com", role=Role.DEVICE_OWNER)
    Invitation.objects.create(organization=w.other_managed, email="far.invitee@example.com", role=Role.DEVICE_OWNER)
    c.freeze()
    for attacker in (w.developer_admin, w.buyer, w.api_user, w.rival_buyer):
        listed = c.as_(attacker).get("/api/invitation")
        assert listed.status_code == 200
        assert listed.json()["invitations"] == []
    refused(c.as_(w.developer_admin).get(f"/api/invitation?organizationId={w.rival_org.pk}"), 404, "secret.invitee")
    refused(c.as_(w.api_user).get(f"/api/invitation?organizationId={w.other_managed.pk}"), 404, "far.invitee")
    rival = c.as_(w.rival_admin).get("/api/invitation").json()["invitations"]
    assert [invitation["email"] for invitation in rival] == ["secret.invitee@example.com"]


LEAKS = {
    "GET device/:id": leak_device_by_id,
    "GET Organization/:id": leak_organization_by_id,
    "GET Organization/apiuser/all_organization": leak_all_organizations,
    "GET admin/organizations/user/:id": leak_admin_organization_users,
    "PUT admin/users/:id": leak_admin_user_edit,
    "DELETE Organization/user/:id": leak_member_removal,
    "PUT invitation/:id": leak_invitation_acceptance,
    "CSV jobs": leak_csv_jobs,
    "certificate logs": leak_certificate_logs,
    "reads and latestread": leak_reads,
    "buyer-reservation/my": leak_reservations,
    "invitation lists": leak_invitation_lists,
}


@pytest.mark.parametrize("leak", LEAKS)
def test_15_17_objects_of_another_organization_or_tenant_are_not_found(world, bearer_for, request, leak):
    """The original's IDORs: any device by id, any organization with its users and
    invitations, every organization for non-api users, another tenant's users edited or
    removed, any invitation accepted knowing its id and e-mail, CSV jobs of any organization,
    all certificate logs and reads, all reservations, invitations tenant-wide. Ours answers
    404 (or 403 without the grant), names nothing of the other side, and changes nothing."""
    case = Leak(world, bearer_for, request)
    case.freeze()
    LEAKS[leak](case)
    assert state() == case.frozen


# --- 18 -----------------------------------------------------------------------------------


def test_15_18_reservations_hold_only_devices_of_the_buyers_tenant(world, bearer_for):
    """The original reserved devices of any organization or tenant, put the super admin's
    reservations in the admin's own organization, stored unavailable ids, and checked no
    BUYER_RESERVATION permission on create. Ours: only devices of Developer organizations of
    the Buyer organization's tenant, for a Buyer organization, with the grant."""
    w = world
    api, buyer, admin = bearer_for(w.api_user), bearer_for(w.buyer), bearer_for(w.admin)
    before = state()
    foreign = [
        (buyer, None, w.managed_device),  # an api user's device, for a direct buyer
        (buyer, None, w.other_device),
        (api, w.managed_buyer, w.other_device),  # another tenant's device
        (api, w.managed_buyer, w.device),  # a direct developer's device
        (bearer_for(w.other_api_user), w.other_managed_buyer, w.managed_device),
    ]
    for number, (client, organization, device) in enumerate(foreign):
        body = assert_error(create(client, [device.pk], org=organization, name=f"Foreign {number}"), 409)
        assert device.external_id not in str(body)
        assert device.organization.name not in str(body)
    # Another tenant's Buyer organization, a Developer organization: not for this caller.
    assert_error(create(api, [w.managed_device.pk], org=w.other_managed_buyer, name="Theirs"), 404)
    assert_error(create(api, [w.managed_device.pk], org=w.managed, name="Developer"), 403)
    # The super admin names the Buyer organization; its own organization is never used.
    assert_error(create(admin, [w.device.pk], name="Admin's own"), 400, "organizationId")
    assert_error(create(admin, [w.device.pk], org=w.admin.organization_id, name="Admin's org"), 403)
    # Without the module grant (or the role), nothing is reserved.
    assert_error(create(bearer_for(w.sub_buyer), [w.device.pk], name="Sub buyer"), 403)
    assert_error(create(bearer_for(w.developer_admin), [w.device.pk], name="Developer admin"), 403)
    w.api_user.acl_grants.filter(module__name="BUYER_RESERVATION_MANAGEMENT_CRUDL").update(is_active=False)
    assert_error(create(api, [w.managed_device.pk], org=w.managed_buyer, name="Without grant"), 403)
    w.api_user.acl_grants.filter(module__name="BUYER_RESERVATION_MANAGEMENT_CRUDL").update(is_active=True)
    assert state() == before

    # Continuing past unavailable devices: only the tenant's device is stored.
    answer = create(
        api,
        [w.managed_device.pk, w.other_device.pk, w.device.pk, 987_654],
        org=w.managed_buyer,
        name="Mixed",
        **{CONTINUE_DEVICES: True},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["deviceIds"] == [w.managed_device.pk]
    assert unavailable_ids(answer.json()) == {w.other_device.pk, w.device.pk, 987_654}
    reservation = Reservation.objects.get(name="Mixed")
    assert reservation.organization == w.managed_buyer
    assert list(reservation.memberships.values_list("device_id", flat=True)) == [w.managed_device.pk]
    assert not ReservationDevice.objects.filter(device__in=[w.other_device, w.device]).exists()
    by_admin = create(admin, [w.device.pk], org=w.buyer_org, name="For the buyer")
    assert by_admin.status_code == 201, by_admin.content
    assert Reservation.objects.get(name="For the buyer").organization == w.buyer_org


# --- 19 -----------------------------------------------------------------------------------

SERVER_SIDE_FIELDS = {
    "createdAt": "2001-01-01T00:00:00.000Z",
    "updatedAt": "2001-01-01T00:00:00.000Z",
    "id": 999_999,
    "internalexternalId": "00000000-0000-4000-8000-000000000001",
    "api_user_id": "00000000-0000-4000-8000-000000000002",
    "meterReadtype": "Delta",
    "IREC_Status": "Registered",
    "IREC_ID": "IREC-FORGED",
    "yieldValue": 99_999,
    "groupId": 1,
    "timezone": "Pacific/Kiritimati",
}


def device_columns(device: Device) -> dict:
    device.refresh_from_db()
    return {
        "organization_id": device.organization_id,
        "meter_read_type": device.meter_read_type,
        "irec_status": device.irec_status,
        "irec_id": device.irec_id,
        "yield_value": device.yield_value,
        "timezone": device.timezone,
    }


def test_15_19_clients_cannot_set_server_side_device_fields_or_put_devices_in_buyer_organizations(world, bearer_for):
    """The original kept unknown properties: device create/update persisted the client's
    ``createdAt`` (the onboarding date that drives issuance), ``api_user_id``,
    ``meterReadtype``, ``IREC_*``, ``yieldValue``; and admins or direct callers created
    devices in Buyer organizations. Ours ignores server-side fields and refuses Buyer orgs."""
    w = world
    developer = bearer_for(w.developer_admin)
    plain = developer.post("/api/device", device_body(externalId="PLAIN-1"), format="json")
    assert plain.status_code == 201, plain.content
    started = timezone.now()
    sent = developer.post("/api/device", device_body(externalId="MASS-1", **SERVER_SIDE_FIELDS), format="json")
    assert sent.status_code == 201, sent.content
    answer = sent.json()

    device = Device.objects.get(external_id="MASS-1")
    assert device.pk != 999_999
    assert answer["id"] == device.pk
    assert str(device.uid) != SERVER_SIDE_FIELDS["internalexternalId"]
    assert abs(device.created_at - started) < timedelta(minutes=1)
    assert answer["createdAt"].startswith(str(device.created_at.year))
    assert answer["api_user_id"] is None
    assert answer["groupId"] is None
    assert device_columns(device) == device_columns(Device.objects.get(external_id="PLAIN-1"))

    # An update changes what it may (the name) and nothing server-side.
    columns, created = device_columns(device), device.created_at
    patched = developer.patch("/api/device/MASS-1", {"projectName": "Renamed", **SERVER_SIDE_FIELDS}, format="json")
    assert patched.status_code == 200, patched.content
    assert device_columns(device) == columns
    assert (device.project_name, device.created_at) == ("Renamed", created)

    # No device in a Buyer organization, whoever asks.
    before = state()
    attempts = [
        (bearer_for(w.admin), {"organizationId": w.buyer_org.pk}),
        (bearer_for(w.admin), {"organizationId": w.managed_buyer.pk}),
        (bearer_for(w.admin), {"organizationId": w.admin.organization_id}),
        (bearer_for(w.api_user), {"organizationId": w.managed_buyer.pk}),
        (client_token(bearer_for, w.api_user), {"organizationId": w.api_user.organization_id}),
    ]
    for number, (client, extra) in enumerate(attempts):
        body = device_body(externalId=f"IN-BUYER-{number}", **extra)
        assert_error(client.post("/api/device", body, format="json"), 403)
    assert_error(bearer_for(w.buyer).post("/api/device", device_body(externalId="IN-BUYER-X"), format="json"), 403)
    # A developer names another organization: not found, not created there.
    body = device_body(externalId="IN-RIVAL", organizationId=w.rival_org.pk)
    assert_error(developer.post("/api/device", body, format="json"), 404)
    assert state() == before
    assert not Device.objects.filter(organization__organization_type=OrganizationType.BUYER).exists()


# --- 20 -----------------------------------------------------------------------------------


def test_15_20_invitations_go_into_the_named_own_organization_and_create_no_account(world, bearer_for):
    """The original's non-admins passing their own organizationId invited into the first
    organization of the table, created the invitee's account before acceptance, and answered
    every error 403. Ours invites into the caller's organization (or, for an api user, the
    managed one named), creates no account, and tells errors apart."""
    w = world
    first = Organization.objects.order_by("pk").first()
    for organization in (w.developer_org, w.buyer_org, w.managed):
        assert organization != first
    invite = {"firstName": "Amina", "lastName": "Diallo", "role": "DeviceOwner"}

    developer = bearer_for(w.developer_admin)
    url = f"/api/invitation?organizationId={w.developer_org.pk}"
    assert developer.post(url, {**invite, "email": "amina@example.com"}, format="json").status_code == 201
    buyer_url = f"/api/invitation?organizationId={w.buyer_org.pk}"
    sub_buyer = {**invite, "email": "kofi@example.com", "role": "SubBuyer"}
    response = bearer_for(w.buyer).post(buyer_url, sub_buyer, format="json")
    assert response.status_code == 201, response.content
    api_url = f"/api/invitation?organizationId={w.managed.pk}"
    response = client_token(bearer_for, w.api_user).post(api_url, {**invite, "email": "nia@example.com"}, format="json")
    assert response.status_code == 201, response.content
    placed = dict(Invitation.objects.values_list("email", "organization_id"))
    assert placed == {
        "amina@example.com": w.developer_org.pk,
        "kofi@example.com": w.buyer_org.pk,
        "nia@example.com": w.managed.pk,
    }
    assert set(Invitation.objects.values_list("status", flat=True)) == {InvitationStatus.PENDING}
    assert not User.objects.filter(email__in=placed).exists()

    api = bearer_for(w.api_user)
    before = state()
    errors = [
        (developer, f"/api/invitation?organizationId={w.rival_org.pk}", {"email": "x@example.com"}, 404),
        (developer, f"/api/invitation?organizationId={first.pk}", {"email": "x@example.com"}, 404),
        (developer, "/api/invitation?organizationId=abc", {"email": "x@example.com"}, 404),
        (api, f"/api/invitation?organizationId={w.other_managed.pk}", {"email": "x@example.com"}, 404),
        (api, "/api/invitation", {"email": "x@example.com"}, 400),
        (developer, url, {"email": "x@example.com", "role": "Admin"}, 400),
        (developer, url, {"email": "x@example.com", "role": "OrganizationAdmin"}, 400),
        (developer, url, {"email": w.rival_admin.email}, 409),
        (developer, url, {"email": "amina@example.com"}, 409),
    ]
    for client, target, extra, status in errors:
        body = assert_error(client.post(target, {**invite, **extra}, format="json"), status)
        assert w.rival_org.name not in body["message"]
    assert state() == before


# --- 21 -----------------------------------------------------------------------------------

SAMPLE_UUID = "3f0d2c1e-9a47-4b6e-8d2a-5c3b1a0f9e77"


def sample_url(pattern: str) -> str:
    def value(match):
        return SAMPLE_UUID if match.group(1) == "uuid" else "1"

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", value, pattern)


API_ROUTES = [route for route in routes() if route.is_api and "^" not in route.path]


def test_15_21_every_api_route_is_guarded_and_client_tokens_work_on_organization_routes(world, api_client, bearer_for):
    """The original declared roles without the roles guard and ACL modules without the
    permission guard on some handlers, and its class-level session guard silently refused
    client tokens on /Organization/*. Ours: every API view declares its rule and goes
    through the one permission class; visitors get 401 everywhere but on public routes; a
    declared role list is enforced even for a user holding the module verb; client tokens
    are accepted on /Organization/* like login tokens."""
    assert len(API_ROUTES) >= 40
    unguarded, anonymous_passed, roles_checked = [], [], []
    signed_in: dict[int, APIClient] = {}
    personas = [
        world.api_user,
        world.developer_admin,
        world.device_owner,
        world.buyer,
        world.sub_buyer,
        world.rival_admin,
        world.rival_buyer,
    ]
    for route in API_ROUTES:
        url = sample_url(route.path)
        view = getattr(resolve(url).func, "cls", None)
        if route.rule is None or view is None or not hasattr(view, "acl"):
            unguarded.append((route.path, route.method))
            continue
        if not any(isinstance(permission, AclPermission) for permission in view().get_permissions()):
            unguarded.append((route.path, route.method))
        if route.rule.public:
            continue
        method = route.method.lower()
        response = getattr(api_client, method)(url)
        if response.status_code != 401:
            anonymous_passed.append((route.method, url, response.status_code))
        if route.rule.roles is None:
            continue
        rule = route.rule
        outsider = next(
            (
                user
                for user in personas
                if user.role not in rule.roles and (rule.module is None or may(user, rule.module, rule.verb))
            ),
            None,
        )
        if outsider is not None:
            if outsider.pk not in signed_in:
                signed_in[outsider.pk] = bearer_for(outsider)
            response = getattr(signed_in[outsider.pk], method)(url)
            assert response.status_code == 403, (route.method, url, outsider.role, response.content[:200])
            assert response.json()["message"] == FORBIDDEN
            roles_checked.append((route.method, route.path, outsider.role))
    assert unguarded == []
    assert anonymous_passed == []
    # The role check was really tried where a role list narrows a module grant.
    checked = {(method, path) for method, path, _ in roles_checked}
    assert {
        ("GET", "api/device/ungrouped/buyerreservation"),
        ("POST", "api/buyer-reservation"),
        ("POST", "api/certificate-log/claim"),
        ("POST", "api/permission/module"),
        ("POST", "api/drec-issuer/run"),
    } <= checked

    # Client tokens on /api/Organization/*: the same answers as a login token.
    by_client = client_token(bearer_for, world.api_user)
    by_login = bearer_for(world.api_user)
    for url in (
        "/api/Organization/me",
        "/api/Organization/users",
        "/api/Organization/apiuser/all_organization",
        f"/api/Organization/{world.managed.pk}",
        f"/api/Organization/{world.managed_buyer.pk}",
    ):
        answer = by_client.get(url)
        assert answer.status_code == 200, (url, answer.content[:300])
        assert answer.json() == by_login.get(url).json()
    assert world.managed_admin.email in text(by_client.get("/api/Organization/users"))
    assert world.other_managed.name not in text(by_client.get("/api/Organization/apiuser/all_organization"))
    removed = by_client.delete(f"/api/Organization/user/{world.managed_admin.pk}")
    assert removed.status_code == 200, removed.content
    assert not User.objects.filter(pk=world.managed_admin.pk).exists()
    assert_error(by_client.get(f"/api/Organization/{world.other_managed.pk}"), 404)

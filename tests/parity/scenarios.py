"""One scenario per portal action that writes: the portal request and the request to its API
twin that do the same thing, for a persona, aimed at what that persona would aim at.

A scenario is registered for the ``(url name, "POST action")`` keys of the route registry
(drec.routes) it covers; tests/parity/test_door_parity.py fails for a portal write that has
none, so a new page cannot ship without being held to its twin.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import UserRole
from accounts.services import password_reset_token
from acl.models import AclModule, EntityType, ModulePermission
from tests.certificates.helpers import HOUR, T0
from tests.devices.helpers import csv_bytes, csv_row
from tests.factories import PASSWORD
from tests.parity.world import ANONYMOUS, PERSONAS, World
from tests.reads.helpers import csv_read, reads_csv

NEW_PASSWORD = "Bright-Orbit-2031"


@dataclass
class Call:
    """One request: ``data`` is a form (portal) or a JSON body (API); ``files`` a multipart
    upload; ``session`` values the portal's session holds first."""

    method: str
    path: str
    data: dict | list | None = None
    files: dict | None = None
    session: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    keys: tuple[tuple[str, str], ...]
    build: Callable[[World, str, str, str], tuple[Call, Call]]
    personas: tuple[str, ...] = PERSONAS


SCENARIOS: dict[tuple[str, str], Scenario] = {}


def scenario(*keys: tuple[str, str], personas: tuple[str, ...] = PERSONAS):
    def register(build):
        found = Scenario(keys=keys, build=build, personas=personas)
        for key in keys:
            assert key not in SCENARIOS, key
            SCENARIOS[key] = found
        return build

    return register


def org(world: World, persona: str, organization) -> dict:
    """``organizationId`` when the persona acts for organizations it names."""
    return {"organizationId": organization.pk} if world.acts_for_others(persona) else {}


def query(params: dict) -> str:
    return "?" + "&".join(f"{key}={value}" for key, value in params.items()) if params else ""


# --- Accounts -----------------------------------------------------------------------------

PUBLIC_ONLY = (ANONYMOUS,)


@scenario(("register", "POST"), personas=PUBLIC_ONLY)
def register(world, persona, name, key):
    body = {
        "firstName": "Nia",
        "lastName": "Sol",
        "email": "nia@example.com",
        "password": NEW_PASSWORD,
        "confirmPassword": NEW_PASSWORD,
        "organizationType": "Developer",
        "orgName": "Nia Solar",
        "orgAddress": "1 Sun Road",
    }
    return Call("post", reverse(name), body), Call("post", "/api/user/register", body)


@scenario(("api-user-key-download", "POST"))
def key_download(world, persona, name, key):
    return (
        Call("post", reverse(name), {}, session={"api_user_key_pending": True}),
        Call("post", "/api/auth/keys", {}),
    )


@scenario(("confirm-email", "POST"), personas=PUBLIC_ONLY)
def confirm_email(world, persona, name, key):
    address = EmailAddress.objects.get(user=world.members["organization_admin"])
    key = EmailConfirmationHMAC(address).key
    return Call("post", reverse(name), {"token": key}), Call("put", f"/api/user/confirm-email/{key}", {})


@scenario(("forgot-password", "POST"), personas=PUBLIC_ONLY)
def forgot_password(world, persona, name, key):
    body = {"email": world.members["organization_admin"].email}
    return Call("post", reverse(name), body), Call("post", "/api/user/forget-password", body)


@scenario(("reset-password", "POST"), personas=PUBLIC_ONLY)
def reset_password(world, persona, name, key):
    token = password_reset_token(user=world.members["organization_admin"])
    body = {"newPassword": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD}
    return (
        Call("post", reverse(name), {"token": token, **body}),
        Call("put", f"/api/user/reset/password/{token}", body),
    )


@scenario(("profile", "POST details"))
def profile_details(world, persona, name, key):
    user = world.user(persona)
    body = {"firstName": "Renamed", "lastName": "Person", "email": user.email if user else "visitor@example.com"}
    return Call("post", reverse(name), {"tab": "details", **body}), Call("put", "/api/user/profile", body)


@scenario(("profile", "POST password"))
def profile_password(world, persona, name, key):
    body = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD}
    return Call("post", reverse(name), {"tab": "password", **body}), Call("put", "/api/user/password", body)


@scenario(("profile", "POST resend"))
def profile_resend(world, persona, name, key):
    return Call("post", reverse(name), {"tab": "resend"}), Call("put", "/api/user/resend-confirm-email", {})


# --- Access control -------------------------------------------------------------------------


@scenario(("admin-acl-modules", "POST create"))
def module_create(world, persona, name, key):
    body = {"name": "REPORTS_CRUDL", "description": "Reports", "status": "Enable", "permissions": ["Read"]}
    return (
        Call("post", reverse(name), {"action": "create", **body}),
        Call("post", "/api/access-control-layer-module-service", body),
    )


@scenario(("admin-acl-modules", "POST edit"))
def module_edit(world, persona, name, key):
    module = AclModule.objects.get(name="FILE_MANAGEMENT_CRUDL")
    body = {"status": "Enable", "permissions": ["Read", "Write"]}
    return (
        Call("post", f"{reverse(name)}?edit={module.pk}", {"action": "edit", **body}),
        Call("put", f"/api/access-control-layer-module-service/update/{module.pk}", body),
    )


def _role_without_yield() -> tuple[UserRole, AclModule]:
    """A role and a module it has no grant on."""
    return UserRole.objects.get(name="User"), AclModule.objects.get(name="YIELD_CONFIG_MANAGEMENT_CRUDL")


@scenario(("admin-role-permissions", "POST add"))
def role_grant_create(world, persona, name, key):
    role, module = _role_without_yield()
    return (
        Call(
            "post", reverse(name), {"action": "add", "role": role.pk, "module": module.pk, f"verbs-{module.pk}": "Read"}
        ),
        Call(
            "post",
            "/api/permission/module",
            {"aclmodulesId": module.pk, "entityType": EntityType.ROLE, "entityId": role.pk, "permissions": ["Read"]},
        ),
    )


@scenario(("admin-role-permissions", "POST edit"))
def role_grant_edit(world, persona, name, key):
    grant = ModulePermission.objects.get(role__name="User", module__name="DEVICE_MANAGEMENT_CRUDL")
    return (
        Call("post", f"{reverse(name)}?edit={grant.pk}", {"action": "edit", "permissions": ["Read"], "active": "0"}),
        Call("put", f"/api/permission/update/{grant.pk}", {"permissions": ["Read"], "status": 0}),
    )


@scenario(("admin-api-user-permission-detail", "POST"))
def api_user_verify(world, persona, name, key):
    api_user = world.tenant_a.developer.api_user
    return (
        Call("post", reverse(name, args=[api_user.user_id]), {"status": "Deactive"}),
        Call("put", f"/api/permission/module/verify/ByAdmin/{api_user.api_user_id}", {"status": "Deactive"}),
    )


@scenario(("apiuser-permission-request", "POST"))
def permission_request(world, persona, name, key):
    module, _ = AclModule.objects.get_or_create(  # a module nobody has requested yet
        name="REPORTS_CRUDL", defaults={"description": "Reports", "permissions_value": 1}
    )
    return (
        Call("post", reverse(name), {"module": module.pk, f"verbs-{module.pk}": "Read"}),
        Call("post", "/api/permission/module/apiuser/request", [{"aclmodulesId": module.pk, "permissions": ["Read"]}]),
    )


@scenario(("apiuser-permissions", "POST"))
def own_grant_edit(world, persona, name, key):
    grant = ModulePermission.objects.get(user=world.api_user, module__name="FILE_MANAGEMENT_CRUDL")
    return (
        Call("post", f"{reverse(name)}?edit={grant.pk}", {"permissions": ["Read"]}),
        Call("put", f"/api/permission/update/{grant.pk}", {"permissions": ["Read"]}),
    )


# --- Organizations ----------------------------------------------------------------------------


def _invitee() -> dict:
    return {"email": "new-colleague@example.com", "role": "User", "firstName": "New", "lastName": "Colleague"}


@scenario(("organization-invitations", "POST"))
def invite_own(world, persona, name, key):
    return Call("post", reverse(name), _invitee()), Call("post", "/api/invitation", _invitee())


@scenario(("organization-users", "POST"))
def invite_into(world, persona, name, key):
    developer = world.tenant(persona).developer
    return (
        Call("post", reverse(name, args=[developer.pk]), _invitee()),
        Call("post", f"/api/invitation?organizationId={developer.pk}", _invitee()),
    )


@scenario(("member-edit", "POST"))
def member_edit(world, persona, name, key):
    member = world.tenant(persona).developer_member
    body = {"firstName": "Edited", "lastName": "Member", "email": member.email, "status": "Active"}
    return Call("post", reverse(name, args=[member.pk]), body), Call("put", f"/api/admin/users/{member.pk}", body)


@scenario(("member-delete", "POST"))
def member_delete(world, persona, name, key):
    member = world.tenant(persona).developer_member
    return Call("post", reverse(name, args=[member.pk]), {}), Call("delete", f"/api/Organization/user/{member.pk}")


def _new_organization() -> dict:
    return {
        "firstName": "Ada",
        "lastName": "Grid",
        "email": "ada@example.com",
        "organizationType": "Developer",
        "orgName": "Ada Solar",
        "orgAddress": "2 Grid Lane",
    }


@scenario(("admin-add-organization", "POST"))
def admin_add_organization(world, persona, name, key):
    return Call("post", reverse(name), _new_organization()), Call("post", "/api/admin/users", _new_organization())


@scenario(("apiuser-add-organization", "POST"))
def apiuser_add_organization(world, persona, name, key):
    user = world.user(persona)
    api_user = getattr(user, "api_user", None) if user is not None and user.role == "ApiUser" else None
    # Anyone else would name the tenant it aims at.
    api_user_id = str((api_user or world.api_user.api_user).api_user_id)
    return (
        Call("post", reverse(name), _new_organization()),
        Call(
            "post",
            "/api/user/register",
            # The API wants a password; the user of a managed organization never signs in with it.
            {
                **_new_organization(),
                "password": NEW_PASSWORD,
                "confirmPassword": NEW_PASSWORD,
                "api_user_id": api_user_id,
            },
        ),
    )


@scenario(("accept-invitation", "POST accept"), personas=PUBLIC_ONLY)
def invitation_accept(world, persona, name, key):
    tenant = world.direct
    body = {"password": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD, "firstName": "Ivy", "lastName": "Invited"}
    return (
        Call(
            "post",
            reverse(name),
            {"action": "accept", "token": tenant.invitation_token, "invitaionId": tenant.invitation.pk, **body},
        ),
        Call(
            "put",
            f"/api/invitation/{tenant.invitation.pk}",
            {"token": tenant.invitation_token, "status": "Accepted", **body},
        ),
    )


@scenario(("accept-invitation", "POST reject"), personas=PUBLIC_ONLY)
def invitation_reject(world, persona, name, key):
    tenant = world.direct
    return (
        Call(
            "post",
            reverse(name),
            {"action": "reject", "token": tenant.invitation_token, "invitaionId": tenant.invitation.pk},
        ),
        Call(
            "put", f"/api/invitation/{tenant.invitation.pk}", {"token": tenant.invitation_token, "status": "Rejected"}
        ),
    )


# --- Devices -----------------------------------------------------------------------------------


@scenario(("device-list", "POST delete"), ("apiuser-device-list", "POST delete"), ("admin-device-list", "POST delete"))
def device_delete(world, persona, name, key):
    spare = world.tenant(persona).spare
    return (
        Call("post", reverse(name), {"action": "delete", "device": spare.pk}),
        Call("delete", f"/api/device/{spare.pk}"),
    )


def _device_fields(external_id: str) -> dict:
    return {
        "projectName": "Parity homes",
        "externalId": external_id,
        "countryCode": "IND",
        "capacity": "2.5",
        "address": "5 Parity Road",
        "latitude": "18.52",
        "longitude": "73.85",
        "fuelCode": "ES100",
        "deviceTypeCode": "TC120",
        "SDGBenefits": ["SDG7"],
    }


@scenario(("device-add", "POST submit"))
def device_register(world, persona, name, key):
    developer = world.tenant(persona).developer
    fields = _device_fields("PARITY-1")
    card = {f"d0-{key}": value for key, value in {**fields, "commissioningDate": "2022-10-18T11:35"}.items()}
    form = {"action": "submit", "count": "1", **card, **org(world, persona, developer)}
    body = {**fields, "commissioningDate": "2022-10-18T11:35:00Z", **org(world, persona, developer)}
    return Call("post", reverse(name), form), Call("post", "/api/device", body)


@scenario(("device-edit", "POST"))
def device_edit(world, persona, name, key):
    tenant = world.tenant(persona)
    device = tenant.spare
    form = {**_device_fields(device.external_id), "commissioningDate": "2022-10-18T11:35", "projectName": "Renamed"}
    return (
        Call("post", reverse(name, args=[device.pk]), form),
        Call(
            "patch",
            f"/api/device/{device.external_id}{query(org(world, persona, tenant.developer))}",
            {"projectName": "Renamed"},
        ),
    )


@scenario(("device-bulk-upload", "POST"))
def bulk_upload(world, persona, name, key):
    developer = world.tenant(persona).developer
    content = csv_bytes([csv_row(7, externalId="PARITY-BULK")])

    def upload():
        return {"csvFile": SimpleUploadedFile("devices.csv", content, content_type="text/csv")}

    return (
        Call("post", reverse(name), org(world, persona, developer), files=upload()),
        Call("post", f"/api/device/addByAdmin/process-creation-bulk-devices-csv/{developer.pk}", {}, files=upload()),
    )


# --- Reads and yield -------------------------------------------------------------------------------


@scenario(("read-add", "POST"))
def read_add(world, persona, name, key):
    tenant = world.tenant(persona)
    device = tenant.spare
    form = {
        "externalId": device.external_id,
        "timezone": "Asia/Kolkata",  # the device's zone: the form offers its country's
        "type": "Delta",
        "unit": "kWh",
        "value": "2",
        "endtimestamp": "2026-06-01T15:30",
        **org(world, persona, tenant.developer),
    }
    body = {
        "type": "Delta",
        "unit": "kWh",
        "timezone": "UTC",
        "reads": [{"endtimestamp": "2026-06-01T10:00:00Z", "value": 2}],
        **org(world, persona, tenant.developer),
    }
    return Call("post", reverse(name), form), Call("post", f"/api/meter-reads/new/{device.external_id}", body)


@scenario(("read-bulk-upload", "POST"))
def read_bulk_upload(world, persona, name, key):
    tenant = world.tenant(persona)
    content = reads_csv([csv_read(tenant.spare.external_id, T0 + HOUR)])

    def upload():
        return {"csvFile": SimpleUploadedFile("reads.csv", content, content_type="text/csv")}

    return (
        Call("post", reverse(name), org(world, persona, tenant.developer), files=upload()),
        Call("post", f"/api/meter-reads/bulk-csv{query(org(world, persona, tenant.developer))}", {}, files=upload()),
    )


@scenario(("yield-add", "POST"))
def yield_add(world, persona, name, key):
    body = {"countryCode": "KEN", "yieldValue": 1700, "status": "Y"}
    return Call("post", reverse(name), body), Call("post", "/api/yield/config", body)


@scenario(("yield-edit", "POST"))
def yield_edit(world, persona, name, key):
    config = world.yield_config
    return (
        Call("post", reverse(name, args=[config.pk]), {"countryCode": "IND", "yieldValue": 1600, "status": "Y"}),
        Call("patch", f"/api/yield/config/{config.pk}", {"yieldValue": 1600}),
    )


# --- Reservations ----------------------------------------------------------------------------------


@scenario(("reservation-add", "POST create"))
def reservation_create(world, persona, name, key):
    tenant = world.tenant(persona)
    fields = {
        "name": "Parity 2026",
        "targetCapacityInMegaWattHour": "1",
        "frequency": "daily",
        "authorityToExceed": "true",
        "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation": "true",
        "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration": "true",
    }
    form = {
        **fields,
        "action": "create",
        "reservationStartDate": "2026-01-01T00:00",
        "reservationEndDate": "2026-12-31T00:00",
        "deviceIds": [str(tenant.spare.pk)],
        **org(world, persona, tenant.buyer),
    }
    body = {
        **fields,
        "authorityToExceed": True,
        "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation": True,
        "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration": True,
        "targetCapacityInMegaWattHour": 1,
        "reservationStartDate": "2026-01-01T00:00:00Z",
        "reservationEndDate": "2026-12-31T00:00:00Z",
        "deviceIds": [tenant.spare.pk],
    }
    return (
        Call("post", reverse(name), form),
        Call(
            "post",
            "/api/buyer-reservation" + (f"?orgId={tenant.buyer.pk}" if world.acts_for_others(persona) else ""),
            body,
        ),
    )


@scenario(("reservation-detail", "POST change"), ("reservation-detail", "POST"))
def reservation_change(world, persona, name, key):
    reservation = world.tenant(persona).reservation
    form = {
        "name": "Renamed Schools",
        "targetCapacityInMegaWattHour": str(reservation.target_wh / 1_000_000),
        "reservationEndDate": reservation.end.strftime("%Y-%m-%dT%H:%M"),
        "reservationExpiryDate": reservation.expiry.strftime("%Y-%m-%dT%H:%M"),
        "authorityToExceed": "true" if reservation.authority_to_exceed else "false",
    }
    return (
        # "POST": the change form sent without its button's name.
        Call("post", reverse(name, args=[reservation.pk]), {"action": "change", **form} if key != "POST" else form),
        Call("patch", f"/api/buyer-reservation/{reservation.pk}", {"name": "Renamed Schools"}),
    )


@scenario(("reservation-detail", "POST end"))
def reservation_end(world, persona, name, key):
    reservation = world.tenant(persona).reservation
    return (
        Call("post", reverse(name, args=[reservation.pk]), {"action": "end"}),
        Call("delete", f"/api/buyer-reservation/endreservation/{reservation.pk}"),
    )


# --- Certificates ------------------------------------------------------------------------------------


@scenario(("certificate-detail", "POST"))
def claim(world, persona, name, key):
    certificate = world.tenant(persona).certificate
    fields = {"amount": 1000, "beneficiary": "Village school", "location": "Pune", "countryCode": "IND"}
    fields["purpose"] = "Scope 2"
    start, end = T0.date(), (T0 + timedelta(days=1)).date()
    return (
        Call(
            "post",
            reverse(name, args=[certificate.pk]),
            # "confirm": the confirmation screen's "Claim" (the form's own POST only reviews).
            {**fields, "periodStartDate": start.isoformat(), "periodEndDate": end.isoformat(), "confirm": "1"},
        ),
        Call(
            "post",
            "/api/certificate-log/claim",
            {
                **fields,
                "certificateId": certificate.pk,
                "periodStartDate": f"{start.isoformat()}T00:00:00Z",
                "periodEndDate": f"{end.isoformat()}T23:59:59Z",
            },
        ),
    )


@scenario(("certificate-transfer", "POST"))
def transfer(world, persona, name, key):
    """Part of the persona's side's certificate to the other side's Buyer organization (any
    active Buyer organization may receive: transfers cross tenants by design)."""
    tenant = world.tenant(persona)
    receiver = (world.direct if tenant is world.tenant_a else world.tenant_a).buyer
    fields = {"amount": 1000, "toOrganizationId": receiver.pk}
    return (
        # "confirm": the confirmation screen's "Transfer" (the form's own POST only reviews).
        Call("post", reverse(name, args=[tenant.certificate.pk]), {**fields, "confirm": "1"}),
        Call("post", "/api/certificate-log/transfer", {**fields, "certificateId": tenant.certificate.pk}),
    )


@scenario(("certificate-withdraw", "POST"))
def withdraw(world, persona, name, key):
    certificate = world.tenant(persona).certificate
    fields = {"amount": 1000, "reason": "Meter found miscalibrated"}
    return (
        Call("post", reverse(name, args=[certificate.pk]), {**fields, "confirm": "1"}),
        Call("post", "/api/certificate-log/withdraw", {**fields, "certificateId": certificate.pk}),
    )


@scenario(("webhook-list", "POST"))
def webhook_add(world, persona, name, key):
    # A public address written as one: nothing to resolve, nothing sent at subscription.
    fields = {"url": "https://192.0.32.10/drec", "events": ["claim.created"], "description": "ERP"}
    return Call("post", reverse(name), fields), Call("post", "/api/webhooks", fields)


@scenario(("webhook-detail", "POST delete"))
def webhook_delete(world, persona, name, key):
    webhook_id = world.tenant(persona).webhook_id
    return (
        Call("post", reverse(name, args=[webhook_id]), {"action": "delete"}),
        Call("delete", f"/api/webhooks/{webhook_id}"),
    )


@scenario(("webhook-detail", "POST redeliver"))
def webhook_redeliver(world, persona, name, key):
    tenant = world.tenant(persona)
    return (
        Call("post", reverse(name, args=[tenant.webhook_id]), {"action": "redeliver", "delivery": tenant.delivery_id}),
        Call("post", f"/api/webhooks/{tenant.webhook_id}/deliveries/{tenant.delivery_id}/redeliver"),
    )

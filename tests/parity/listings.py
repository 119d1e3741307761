"""One scenario per portal page that shows what an API operation lists (its GET twin): the
objects each door shows a persona, as comparable ids.

A **listing** scenario names one portal page and one API request and how to read the ids of
each answer (the page's context, the API's JSON). A **lookup** scenario names every object of
the world: the persona sees an object in a door when that door shows its page (200) rather
than refusing it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse

from certificates.models import Certificate, Claim
from devices.models import CsvJob, Device
from organizations.models import Organization
from reservations.models import Reservation
from tests.parity.world import World
from webhooks.models import Webhook


@dataclass(frozen=True)
class Listing:
    portal: str
    api: str
    portal_ids: Callable[[dict], Iterable]
    api_ids: Callable[[object], Iterable]


@dataclass(frozen=True)
class Lookup:
    """Per object: the portal page and the API request that show it."""

    targets: list[tuple[object, str, str]]  # (id, portal path, api path)
    shown: Callable[[object], bool] | None = None  # the portal's page shows it (default: 200)


LISTINGS: dict[tuple[str, str], Callable[[World, str, str], Listing | Lookup]] = {}


def listing(*keys: tuple[str, str]):
    def register(build):
        for key in keys:
            assert key not in LISTINGS, key
            LISTINGS[key] = build
        return build

    return register


def pks(objects) -> set:
    return {getattr(item, "pk", item) for item in objects}


def rows(key: str) -> Callable[[object], set]:
    return lambda body: {row["id"] for row in body[key]}


# --- Organizations and people -------------------------------------------------------------------


@listing(("my-organization", "GET"))
def my_organization(world, persona, name):
    return Listing(
        reverse(name),
        "/api/Organization/me",
        lambda context: pks([context["organization"]] if context["organization"] else []),
        lambda body: {body["id"]},
    )


@listing(("organization-invitations", "GET"))
def own_invitations(world, persona, name):
    return Listing(reverse(name), "/api/invitation?limit=1000", lambda c: pks(c["invitations"]), rows("invitations"))


@listing(("all-organizations", "GET"))
def organizations(world, persona, name):
    return Listing(
        reverse(name),
        "/api/Organization/apiuser/all_organization?limit=1000",
        lambda c: pks(c["page"]["organizations"]),
        rows("organizations"),
    )


@listing(("organization-users", "GET"))
def organization_members(world, persona, name):
    organizations = Organization.objects.exclude(name="SuperOrg").order_by("pk")
    return Lookup(
        [(o.pk, reverse(name, args=[o.pk]), f"/api/admin/organizations/user/{o.pk}?limit=1000") for o in organizations]
    )


@listing(("all-users", "GET"), ("apiuser-all-users", "GET"))
def users(world, persona, name):
    return Listing(
        reverse(name), "/api/Organization/users?limit=1000", lambda c: pks(c["page"]["users"]), rows("users")
    )


@listing(("profile", "GET"))
def profile(world, persona, name):
    return Listing(reverse(name), "/api/user/me", lambda c: {c["request"].user.email}, lambda body: {body["email"]})


# --- Access control ------------------------------------------------------------------------------


@listing(("admin-acl-modules", "GET"))
def modules(world, persona, name):
    return Listing(
        reverse(name),
        "/api/access-control-layer-module-service",
        lambda c: pks(c["modules"]),
        lambda body: {row["id"] for row in body},
    )


@listing(("admin-api-users", "GET"))
def api_users(world, persona, name):
    return Listing(
        reverse(name), "/api/admin/apiusers?limit=1000", lambda c: {u.pk for u in c["page"]["users"]}, rows("users")
    )


@listing(("admin-api-user-permission-detail", "GET"))
def api_user_grants(world, persona, name):
    return Lookup(
        [
            (user.pk, reverse(name, args=[user.pk]), f"/api/permission/user/{user.pk}")
            for user in (world.api_user, world.outsider)
        ]
    )


@listing(("apiuser-permissions", "GET"))
def own_grants(world, persona, name):
    user = world.user(persona)
    return Listing(
        reverse(name),
        f"/api/permission/user/{user.pk if user else 0}",
        lambda c: pks(c["grants"]),
        lambda body: {row["id"] for row in body},
    )


# --- Devices and reads ----------------------------------------------------------------------------


@listing(("device-list", "GET"), ("apiuser-device-list", "GET"), ("admin-device-list", "GET"))
def devices(world, persona, name):
    return Listing(
        reverse(name) + "?limit=1000", "/api/device/my?limit=1000", lambda c: pks(c["page"]["devices"]), rows("devices")
    )


def _every_device() -> list[Device]:
    return list(Device.objects.select_related("organization").order_by("pk"))


@listing(("device-detail", "GET"))
def device(world, persona, name):
    return Lookup([(d.pk, reverse(name, args=[d.pk]), f"/api/device/{d.pk}") for d in _every_device()])


def _reads_api(world, persona, device: Device) -> str:
    """The API names a device by its externalId on the developer's side, by its id otherwise."""
    user = world.user(persona)
    developer_member = user is not None and user.organization_id == device.organization_id
    if developer_member:
        return f"/api/meter-reads/new/{device.external_id}?readType=meterReads"
    return f"/api/meter-reads/new/{device.pk}?readType=meterReads"


@listing(("read-list", "GET"))
def read_list(world, persona, name):
    return Lookup(
        [(d.pk, f"{reverse(name)}?device={d.pk}", _reads_api(world, persona, d)) for d in _every_device()],
        shown=lambda response: response.context["device"] is not None,
    )


@listing(("device-generation", "GET"))
def generation(world, persona, name):
    return Lookup(
        [(d.pk, reverse(name, args=[d.pk]), _reads_api(world, persona, d)) for d in _every_device()],
    )


@listing(("device-bulk-upload", "GET"))
def csv_jobs(world, persona, name):
    return Listing(
        reverse(name) + "?limit=1000",
        "/api/buyer-reservation/bulk-upload/get-all-csv-jobs-of-organization?limit=1000&kind=devices",
        lambda c: pks(c["page"]["jobs"]),
        lambda body: {row["jobId"] for row in body["csvJobs"]},
    )


@listing(("device-bulk-upload-job", "GET"))
def csv_job(world, persona, name):
    return Lookup(
        [
            (job.pk, reverse(name, args=[job.pk]), f"/api/buyer-reservation/bulk-upload-status/{job.pk}")
            for job in CsvJob.objects.order_by("pk")
        ]
    )


@listing(("read-bulk-upload", "GET"))
def reads_jobs(world, persona, name):
    return Listing(
        reverse(name) + "?limit=1000",
        "/api/meter-reads/bulk-csv?limit=1000",
        lambda c: pks(c["page"]["jobs"]),
        lambda body: {row["jobId"] for row in body["csvJobs"]},
    )


@listing(("read-bulk-upload-job", "GET"))
def reads_job(world, persona, name):
    return Lookup(
        [
            (job.pk, reverse(name, args=[job.pk]), f"/api/meter-reads/bulk-csv/{job.pk}")
            for job in CsvJob.objects.order_by("pk")
        ]
    )


@listing(("yield-list", "GET"))
def yields(world, persona, name):
    return Listing(
        reverse(name), "/api/yield/config", lambda c: pks(c["page"]["configs"]), lambda body: {r["id"] for r in body}
    )


# --- Reservations and certificates ----------------------------------------------------------------


@listing(("reservation-list", "GET"))
def reservations(world, persona, name):
    return Listing(
        reverse(name) + "?limit=1000",
        "/api/buyer-reservation?limit=1000",
        lambda c: {row["reservation"].pk for row in c["page"]["reservations"]},
        rows("groupedData"),
    )


@listing(("reservation-detail", "GET"))
def reservation(world, persona, name):
    return Lookup(
        [
            (r.pk, reverse(name, args=[r.pk]), f"/api/buyer-reservation/{r.pk}")
            for r in Reservation.objects.order_by("pk")
        ]
    )


@listing(("reservation-certificates", "GET"))
def reservation_certificates(world, persona, name):
    return Lookup(
        [
            (r.pk, reverse(name, args=[r.pk]), f"/api/certificate-log/issuer/certified/new/{r.uid}")
            for r in Reservation.objects.order_by("pk")
        ]
    )


def _certificate_ids(body) -> set:
    return {int(row["internalCertificateId"]) for row in body["certificatelog"]}


@listing(("certificate-list", "GET"), ("developer-certificate-list", "GET"))
def certificates(world, persona, name):
    return Listing(
        reverse(name) + "?limit=1000",
        "/api/certificate-log/issuer/certifiedlogOfdevices?limit=1000",
        lambda c: {card["certificate"].pk for card in c["page"]["certificates"]},
        _certificate_ids,
    )


@listing(("certificate-verify", "GET"))
def certificate_verify(world, persona, name):
    return Lookup(
        [
            (c.pk, reverse(name, args=[c.pk]), f"/api/certificate-log/verify/{c.pk}")
            for c in Certificate.objects.order_by("pk")
        ]
    )


@listing(("redemption-report", "GET"))
def redemption(world, persona, name):
    return Listing(
        reverse(name),
        "/api/certificate-log/redemption-report",
        lambda c: {row["certificateId"] for row in c["rows"]},
        lambda body: {row["certificateId"] for row in body},
    )


@listing(("claim-statement", "GET"))
def claim_statement(world, persona, name):
    return Lookup(
        [
            (c.pk, reverse(name, args=[c.pk]), f"/api/certificate-log/claim/{c.pk}/statement.pdf")
            for c in Claim.objects.order_by("pk")
        ]
    )


@listing(("registry", "GET"))
def public_registry(world, persona, name):
    """The public registry's first page of certificates, the same for everyone."""
    return Listing(
        reverse(name),
        "/api/public/registry/certificates",
        lambda c: {row["internalCertificateId"] for row in c["page"]["certificates"]},
        lambda body: {row["internalCertificateId"] for row in body["certificates"]},
    )


# --- Webhooks ---------------------------------------------------------------------------------------


@listing(("webhook-list", "GET"))
def webhooks(world, persona, name):
    return Listing(
        reverse(name) + "?limit=1000",
        "/api/webhooks?limit=1000",
        lambda c: pks(c["page"]["webhooks"]),
        rows("webhooks"),
    )


@listing(("webhook-detail", "GET"))
def webhook_log(world, persona, name):
    """A subscription's page and its delivery log: each tenant's own."""
    return Lookup(
        [
            (webhook.pk, reverse(name, args=[webhook.pk]), f"/api/webhooks/{webhook.pk}/deliveries")
            for webhook in Webhook.objects.order_by("pk")
        ]
    )

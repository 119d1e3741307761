"""The world the door-parity tests act in: two tenants side by side, each persona with the
objects it would naturally aim at, and the two doors to aim at them through.

- The **direct** tenant: a Developer organization (OrganizationAdmin, DeviceOwner, User) and a
  Buyer organization (Buyer, SubBuyer, User), registered on their own; the super admin acts
  on it too.
- Tenant **A**: an api user with every grant approved, managing a Developer and a Buyer
  organization. ``api_user_without`` is the same api user lacking the one verb the action
  needs; ``outsider`` is another tenant's api user (every grant) aiming at A's objects.

Each tenant has a certified device (reads, a reservation by its buyer, an issued certificate
with a claim on it), a spare device (no reads, no reservation), a member to edit or remove, a
pending invitation and a CSV job of each kind: enough for every portal action and its API twin to succeed
for who may do it.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiUser, PermissionStatus, Role, TokenKind, User
from accounts.services import access_token_issue
from acl.models import AclModule, EntityType, ModulePermission
from certificates.models import Certificate
from certificates.services import claim_create
from devices import bulk
from devices.models import Device
from organizations.models import Invitation, Organization, OrganizationType
from organizations.services import invitation_create, invitation_token, organization_access_grant
from reads.models import YieldConfig
from reservations.models import Reservation
from tests.certificates.helpers import (
    DAY,
    HOUR,
    T0,
    claim_request,
    device_at,
    device_reading,
    issue,
    reservation_make,
)
from tests.devices.helpers import csv_bytes, csv_row
from tests.factories import PASSWORD, OrganizationFactory, api_user_create
from tests.organizations.helpers import managed_create, member_create
from tests.reads.helpers import csv_read, reads_csv
from webhooks.models import Delivery, Event, Webhook

# Signed-in personas (SPEC §2 roles; ARCHITECTURE.md "One permission path"), and the visitor.
PERSONAS = (
    "admin",
    "api_user",
    "api_user_without",
    "organization_admin",
    "device_owner",
    "developer_user",
    "buyer",
    "sub_buyer",
    "buyer_user",
    "outsider",
    "anonymous",
)
ANONYMOUS = "anonymous"
ON_TENANT_A = ("api_user", "api_user_without", "outsider")


@dataclass
class Tenant:
    """What a persona aims at: its side's organizations and their objects."""

    developer: Organization
    buyer: Organization
    device: Device  # read, reserved by ``buyer``, certified
    spare: Device  # no reads, no reservation: deletable, reservable
    reservation: Reservation
    certificate: Certificate
    developer_member: User  # a User of ``developer`` to edit or remove
    buyer_member: User
    invitation: Invitation  # pending, into ``developer``
    invitation_token: str
    csv_job_id: int
    webhook_id: int  # the buyer side's subscription (an api user's: on its own organization)
    delivery_id: int  # one failed delivery of it, to redeliver

    @property
    def managed(self) -> bool:
        return self.developer.api_user_id is not None


@dataclass
class World:
    admin: User
    api_user: User
    outsider: User
    members: dict[str, User]
    direct: Tenant
    tenant_a: Tenant
    yield_config: YieldConfig
    tokens: dict[int, str] = field(default_factory=dict)

    def user(self, persona: str) -> User | None:
        if persona == ANONYMOUS:
            return None
        if persona == "admin":
            return self.admin
        if persona in ("api_user", "api_user_without"):
            return self.api_user
        if persona == "outsider":
            return self.outsider
        return self.members[persona]

    def tenant(self, persona: str) -> Tenant:
        """The objects ``persona`` aims at: tenant A's for the api users (the outsider's
        requests are A's, made by another tenant), the direct tenant's for everyone else."""
        return self.tenant_a if persona in ON_TENANT_A else self.direct

    def acts_for_others(self, persona: str) -> bool:
        """Whether ``persona`` names the organization it acts for (organizationId)."""
        return persona in ("admin", *ON_TENANT_A)

    def portal(self, persona: str) -> Client:
        client = Client()
        user = self.user(persona)
        if user is not None:
            client.force_login(user)
        return client

    def api(self, persona: str) -> APIClient:
        """An API client sending a real access token (the whole authentication path runs)."""
        client = APIClient()
        user = self.user(persona)
        if user is not None:
            if user.pk not in self.tokens:
                self.tokens[user.pk] = access_token_issue(user=user, kind=TokenKind.PASSWORD)[0]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[user.pk]}")
        return client


def _approve_every_grant(user: User) -> None:
    ModulePermission.objects.bulk_create(
        [
            ModulePermission(
                module=module,
                entity_type=EntityType.USER,
                user=user,
                permissions_value=module.permissions_value,
                is_active=True,
            )
            for module in AclModule.objects.all()
        ]
    )
    ApiUser.objects.filter(user=user).update(permission_status=PermissionStatus.ACTIVE)


def withhold(user: User, module: str, verb: str) -> None:
    """Take ``verb`` on ``module`` away from the api user's approved grants."""
    bit = {"Read": 1, "Write": 2, "Update": 4, "Delete": 8}[verb]
    for grant in ModulePermission.objects.filter(user=user, module__name=module):
        grant.permissions_value &= ~bit
        grant.save(update_fields=["permissions_value"])


def _webhook(organization: Organization) -> tuple[int, int]:
    """A subscription of ``organization`` and one failed delivery (made as the services leave
    them; the address is loopback's discard port: a redelivery fails at once, off the network)."""
    webhook = Webhook.objects.create(
        organization=organization, url="http://127.0.0.1:9/drec", events=["claim.created"], secret="whsec_" + "A" * 32
    )
    event = Event.objects.create(type="claim.created", organization=organization, data={"claimId": 1})
    delivery = Delivery.objects.create(webhook=webhook, event=event, status="failed", attempts=8)
    return webhook.pk, delivery.pk


def _tenant(
    developer: Organization, buyer: Organization, buyer_admin: User, inviter: User, tag: str, subscriber: Organization
) -> Tenant:
    device = device_reading(developer, f"{tag}-READ", count=24, value=1000)
    reservation = reservation_make(
        buyer_admin, [device], frequency="daily", end=T0 + timedelta(days=400), name=f"{tag} Schools"
    )
    issue(reservation, now=T0 + 2 * DAY)
    claim_create(
        acting_user=buyer_admin,
        certificate=reservation.certificates.get(),
        request=claim_request(1000, beneficiary=f"{tag} school"),
    )
    spare = device_at(developer, f"{tag}-SPARE", onboarded=T0 - HOUR)
    invitation = invitation_create(
        acting_user=inviter, organization_id=developer.pk, email=f"invited-{tag.lower()}@example.com", role=Role.USER
    )
    job = bulk.csv_job_create(
        acting_user=inviter,
        organization=developer,
        file_name="devices.csv",
        data=csv_bytes([csv_row(1, externalId=f"{tag}-BULK")]),
    )
    # A reads upload too: the job lists and logs show both kinds.
    bulk.csv_job_create(
        acting_user=inviter,
        organization=developer,
        file_name="reads.csv",
        data=reads_csv([csv_read(f"{tag}-SPARE", T0 + HOUR)]),
        kind="reads",
    )
    webhook_id, delivery_id = _webhook(subscriber)
    return Tenant(
        developer=developer,
        buyer=buyer,
        device=device,
        spare=spare,
        reservation=reservation,
        certificate=reservation.certificates.get(),
        developer_member=member_create(developer, email=f"dev-member-{tag.lower()}@example.com", role=Role.USER),
        buyer_member=member_create(buyer, email=f"buyer-member-{tag.lower()}@example.com", role=Role.USER),
        invitation=invitation,
        invitation_token=invitation_token(invitation=invitation),
        csv_job_id=job.pk,
        webhook_id=webhook_id,
        delivery_id=delivery_id,
    )


def world_build(admin: User) -> World:
    admin.set_password(PASSWORD)
    admin.save(update_fields=["password"])
    api_user = api_user_create(email="integrator-a@example.com", organization_name="Integrator A")
    outsider = api_user_create(email="integrator-b@example.com", organization_name="Integrator B")
    for user in (api_user, outsider):
        organization_access_grant(user=user, organization=user.organization)
        _approve_every_grant(user)

    developer = OrganizationFactory(name="Direct Solar", organization_type=OrganizationType.DEVELOPER)
    buyer = OrganizationFactory(name="Direct Buyers", organization_type=OrganizationType.BUYER)
    members = {
        "organization_admin": member_create(developer, email="orgadmin@example.com", role=Role.ORGANIZATION_ADMIN),
        "device_owner": member_create(developer, email="owner@example.com", role=Role.DEVICE_OWNER),
        "developer_user": member_create(developer, email="devuser@example.com", role=Role.USER),
        "buyer": member_create(buyer, email="buyer@example.com", role=Role.BUYER),
        "sub_buyer": member_create(buyer, email="subbuyer@example.com", role=Role.SUB_BUYER),
        "buyer_user": member_create(buyer, email="buyeruser@example.com", role=Role.USER),
    }
    direct = _tenant(developer, buyer, members["buyer"], members["organization_admin"], "DIRECT", buyer)

    managed_developer, _ = managed_create(api_user, name="A Solar", email="a-solar@example.com")
    managed_buyer, managed_buyer_admin = managed_create(
        api_user, name="A Buyers", organization_type=OrganizationType.BUYER, email="a-buyers@example.com"
    )
    tenant_a = _tenant(managed_developer, managed_buyer, managed_buyer_admin, api_user, "A", api_user.organization)
    # The outsider's own tenant, so that it acts for organizations too.
    managed_create(outsider, name="B Solar", email="b-solar@example.com")

    for user in (admin, api_user, outsider, *members.values()):
        EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"primary": True, "verified": False})
    return World(
        admin=admin,
        api_user=api_user,
        outsider=outsider,
        members=members,
        direct=direct,
        tenant_a=tenant_a,
        yield_config=YieldConfig.objects.create(country_id="IND", yield_value=1500, status="Y"),
    )

"""Webhooks (SPEC §14, issue 19 must-show 1) against a real HTTP server on loopback: each event
type reaches each subscription that asked for it exactly once, signed as Standard Webhooks
says; a receiver failing twice gets it on the third attempt; a tenant never hears another
tenant's events; private addresses are refused when DREC_WEBHOOK_ALLOW_PRIVATE is off, at
subscription and again at delivery."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook as Verifier

from acl.services import api_user_permission_verify
from certificates.models import Certificate
from certificates.services import certificates_issue_due, claim_create, transfer_create
from certificates.services.claims import ClaimRequest
from devices.bulk import csv_job_create
from drec.errors import InvalidInput
from organizations.models import OrganizationType
from reservations.services import reservation_close
from tests.certificates.helpers import DAY, T0, device_reading, reservation_make
from tests.factories import OrganizationFactory, UserFactory, managed_organization_create
from tests.webhooks.receiver import receiver
from webhooks.models import Delivery, DeliveryStatus, EventType
from webhooks.services import RETRY_DELAYS, deliveries_sweep, webhook_create

pytestmark = pytest.mark.django_db

DEVICES_CSV = (
    "externalId,projectName,address,latitude,longitude,countryCode,fuelCode,deviceTypeCode,capacity,"
    "commissioningDate,gridInterconnection,offTaker\n"
    "HOOK-1,Roofs,1 Main St,18.5,73.8,IND,ES100,TC120,2.5,2024-01-15T10:30:00.000Z,false,Residential\n"
)


@pytest.fixture
def private_allowed(settings):
    settings.DREC_WEBHOOK_ALLOW_PRIVATE = True


def events_of(hook_receiver, secret: str) -> list[dict]:
    """What the receiver got, each verified with the subscription's secret (raises otherwise)."""
    return [Verifier(secret).verify(item.body, item.headers) for item in hook_receiver.received]


def test_each_event_type_reaches_its_subscriber_once_signed(
    private_allowed, developer_admin, developer, buyer, api_user, django_capture_on_commit_callbacks
):
    blue = OrganizationFactory(name="Blue Buyers", organization_type=OrganizationType.BUYER)
    blue_buyer = UserFactory(email="blue@example.com", role="Buyer", organization=blue)
    with receiver() as developer_end, receiver() as buyer_end, receiver() as api_end, receiver() as blue_end:
        dev_hook = webhook_create(acting_user=developer_admin, url=developer_end.url, events=["bulk_job.finished"])
        buyer_hook = webhook_create(
            acting_user=buyer,
            url=buyer_end.url,
            events=["certificate.issued", "certificate.transferred", "claim.created", "reservation.ended"],
        )
        api_hook = webhook_create(acting_user=api_user, url=api_end.url, events=["permission.changed"])
        blue_hook = webhook_create(acting_user=blue_buyer, url=blue_end.url, events=list(EventType.values))

        with django_capture_on_commit_callbacks(execute=True):
            job = csv_job_create(
                acting_user=developer_admin, organization=developer, file_name="d.csv", data=DEVICES_CSV.encode()
            )
        device = device_reading(developer, "ROOF-1", count=24, value=500)  # 12,000 Wh on T0's day
        reservation = reservation_make(buyer, [device], frequency="daily")
        with django_capture_on_commit_callbacks(execute=True):
            assert certificates_issue_due(now=T0 + DAY) == 1
        certificate = Certificate.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            transfer = transfer_create(acting_user=buyer, certificate=certificate, amount_wh=2000, receiver=blue)
        with django_capture_on_commit_callbacks(execute=True):
            claim = claim_create(
                acting_user=buyer,
                certificate=certificate,
                request=ClaimRequest(1000, "Pune School", "Pune", "IND", T0, T0, "GHG accounting"),
            )
        with django_capture_on_commit_callbacks(execute=True):
            reservation_close(reservation=reservation, at=T0 + 2 * DAY)
        with django_capture_on_commit_callbacks(execute=True):
            api_user_permission_verify(api_user_id=api_user.api_user.api_user_id, status="Active")

        assert [
            (e["type"], e["data"]["jobId"], e["data"]["status"]) for e in events_of(developer_end, dev_hook.secret)
        ] == [("bulk_job.finished", job.pk, "Completed")]
        got = events_of(buyer_end, buyer_hook.secret)
        assert [e["type"] for e in got] == [
            "certificate.issued",
            "certificate.transferred",
            "claim.created",
            "reservation.ended",
        ]
        issued, transferred, claimed, ended = (e["data"] for e in got)
        assert (issued["certificateId"], issued["energyWh"], issued["organizationId"]) == (
            certificate.pk,
            12000,
            buyer.organization_id,
        )
        assert (transferred["transferId"], transferred["amountWh"], transferred["toOrganizationId"]) == (
            transfer.pk,
            2000,
            blue.pk,
        )
        assert (claimed["claimId"], claimed["amountWh"]) == (claim.pk, 1000)
        assert ended["reservationId"] == reservation.pk
        assert [(e["type"], e["data"]["permissionStatus"]) for e in events_of(api_end, api_hook.secret)] == [
            ("permission.changed", "Active")
        ]
        # Blue subscribed to everything, and hears only of the transfer it received.
        assert [(e["type"], e["data"]["transferId"]) for e in events_of(blue_end, blue_hook.secret)] == [
            ("certificate.transferred", transfer.pk)
        ]
        # Every body is {"id", "type", "createdAt", "data"}; the id is the webhook-id header.
        for item in buyer_end.received:
            body = json.loads(item.body)
            assert set(body) == {"id", "type", "createdAt", "data"}
            assert body["id"] == item.headers["webhook-id"]
            assert item.headers["webhook-signature"].startswith("v1,")
            assert item.path == "/hooks"
    assert Delivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).count() == 0


def test_an_api_user_hears_of_the_organizations_it_manages_only(
    private_allowed, api_user, other_api_user, developer, buyer, django_capture_on_commit_callbacks
):
    managed = managed_organization_create(api_user, name="Managed Buyer", organization_type=OrganizationType.BUYER)
    managed_buyer = UserFactory(email="managed@example.com", role="Buyer", organization=managed)
    with receiver() as api_end, receiver() as other_end, receiver() as buyer_end:
        api_hook = webhook_create(acting_user=api_user, url=api_end.url, events=["certificate.issued"])
        webhook_create(acting_user=other_api_user, url=other_end.url, events=["certificate.issued"])
        webhook_create(acting_user=buyer, url=buyer_end.url, events=["claim.created"])  # not certificate.issued
        ours = reservation_make(
            managed_buyer, [device_reading(developer, "M-1", count=24, value=500)], frequency="daily"
        )
        reservation_make(buyer, [device_reading(developer, "G-1", count=24, value=500)], frequency="daily")
        with django_capture_on_commit_callbacks(execute=True):
            assert certificates_issue_due(now=T0 + DAY) == 2
        got = events_of(api_end, api_hook.secret)
        assert [(e["data"]["reservationId"], e["data"]["organizationId"]) for e in got] == [(ours.pk, managed.pk)]
        assert other_end.received == []
        assert buyer_end.received == []


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(
    private_allowed, api_user, django_capture_on_commit_callbacks
):
    with receiver() as end:
        end.statuses = [500, 500]
        hook = webhook_create(acting_user=api_user, url=end.url, events=["permission.changed"])
        with django_capture_on_commit_callbacks(execute=True):
            api_user_permission_verify(api_user_id=api_user.api_user.api_user_id, status="Active")
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        # Not due before its back-off (5 s after the first attempt), then due.
        assert deliveries_sweep(now=delivery.next_attempt_at - timedelta(seconds=1)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert deliveries_sweep(now=delivery.next_attempt_at) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 2)
        assert delivery.next_attempt_at - timezone.now() > timedelta(minutes=4)  # then 5 minutes
        with django_capture_on_commit_callbacks(execute=True):
            assert deliveries_sweep(now=delivery.next_attempt_at) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 3, None)
        assert [a.status_code for a in delivery.attempt_log.all()] == [500, 500, 200]
        assert len({item.headers["webhook-id"] for item in end.received}) == 1  # one event, three tries
        assert len(events_of(end, hook.secret)) == 3
        assert deliveries_sweep(now=timezone.now() + timedelta(days=2)) == 0  # nothing more


def test_a_delivery_fails_after_its_last_retry_about_a_day_later(
    private_allowed, api_user, django_capture_on_commit_callbacks
):
    with receiver() as end:
        end.statuses = [503] * 8
        webhook_create(acting_user=api_user, url=end.url, events=["permission.changed"])
        with django_capture_on_commit_callbacks(execute=True):
            api_user_permission_verify(api_user_id=api_user.api_user.api_user_id, status="Active")
        delivery = Delivery.objects.get()
        waits = []  # from each attempt to the next
        while delivery.status == "pending":
            waits.append(delivery.next_attempt_at - delivery.attempt_log.order_by("-id").first().attempted_at)
            with django_capture_on_commit_callbacks(execute=True):
                deliveries_sweep(now=delivery.next_attempt_at)
            delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, len(end.received)) == ("failed", 8, 8)
        assert waits == RETRY_DELAYS  # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
        assert timedelta(hours=27) < sum(waits, timedelta()) < timedelta(hours=28)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/hooks", "https"),
        ("https://127.0.0.1/hooks", "not a public address"),
        ("https://localhost/hooks", "not a public address"),
        ("https://10.1.2.3/hooks", "not a public address"),
        ("https://192.168.0.10/hooks", "not a public address"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://[::1]/hooks", "not a public address"),
        ("https://[::ffff:10.0.0.1]/hooks", "not a public address"),
        ("https://user:pw@example.com/hooks", "without a user"),
    ],
)
def test_private_and_plain_addresses_are_refused_when_the_setting_is_off(settings, buyer, url, reason):
    settings.DREC_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(InvalidInput) as refused:
        webhook_create(acting_user=buyer, url=url, events=["claim.created"])
    assert reason in refused.value.message
    assert refused.value.errors["url"]


def test_the_address_is_checked_again_at_delivery(settings, api_user, django_capture_on_commit_callbacks):
    """A subscription made while private addresses were allowed (or whose name now resolves to
    one) gets nothing once they are not: the attempt is logged as refused."""
    with receiver() as end:
        settings.DREC_WEBHOOK_ALLOW_PRIVATE = True
        webhook_create(acting_user=api_user, url=end.url, events=["permission.changed"])
        settings.DREC_WEBHOOK_ALLOW_PRIVATE = False
        with django_capture_on_commit_callbacks(execute=True):
            api_user_permission_verify(api_user_id=api_user.api_user.api_user_id, status="Active")
        attempt = Delivery.objects.get().attempt_log.get()
        assert attempt.status_code is None
        assert "https" in attempt.error or "not a public address" in attempt.error
        assert end.received == []


def test_nothing_is_sent_for_a_change_that_rolls_back(private_allowed, api_user, django_capture_on_commit_callbacks):
    """The event and its deliveries are written with the change: a change that rolls back
    leaves neither, and nothing is sent."""
    with receiver() as end:
        webhook_create(acting_user=api_user, url=end.url, events=["permission.changed"])

        def change_then_fail():
            with transaction.atomic():
                api_user_permission_verify(api_user_id=api_user.api_user.api_user_id, status="Active")
                assert Delivery.objects.count() == 1  # written in the change's transaction
                raise RuntimeError("the caller's transaction fails after the change")

        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            change_then_fail()
        assert not Delivery.objects.exists()
        assert end.received == []

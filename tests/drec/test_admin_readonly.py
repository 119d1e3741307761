"""The back office (/django-admin/) obeys the rules of the other doors: what the ledger and the
database keep (ledger entries, contributions, certified meter reads, certificates) is never
added, changed or deleted there, not even by the superuser, and what may change goes through
its service, whose refusal is an error message (never a server error) and leaves the data as
it was."""

from types import SimpleNamespace

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.messages import get_messages
from django.forms.models import model_to_dict
from django.urls import reverse

from certificates.models import Certificate, Claim, Contribution, LedgerEntry
from certificates.services import claim_create
from devices.models import Device
from organizations.models import Organization, OrganizationStatus
from reads.models import MeterRead, YieldConfig
from reservations.models import Reservation
from tests.certificates.helpers import DAY, T0, claim_request, device_reading, issue, reservation_make
from tests.devices.helpers import device_make
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def url(obj_or_model, view: str, *args) -> str:
    opts = obj_or_model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def issued(developer_admin, buyer):
    """A device's reads certified into daily certificates of a reservation, one of them claimed."""
    device = device_reading(developer_admin.organization, "ADMIN-SUN", count=48, value=500)
    reservation = reservation_make(buyer, [device], frequency="daily", name="Admin schools")
    assert issue(reservation, T0 + 2 * DAY) == [12000, 12000]
    certificate = Certificate.objects.filter(reservation=reservation).order_by("id").first()
    claim = claim_create(acting_user=buyer, certificate=certificate, request=claim_request(1000))
    certificate.refresh_from_db()
    contribution = Contribution.objects.get(certificate=certificate)
    certified = MeterRead.objects.filter(
        device=device, is_baseline=False, start__gte=contribution.start, end__lte=contribution.end
    ).first()
    assert certified is not None
    return SimpleNamespace(
        device=device,
        reservation=reservation,
        certificate=certificate,
        claim=claim,
        contribution=contribution,
        read=certified,
        entry=LedgerEntry.objects.filter(certificate=certificate).order_by("index").first(),
    )


@pytest.fixture
def superuser_client(client, admin_user):
    client.force_login(admin_user)
    return client


KEPT = ("entry", "contribution", "read", "certificate", "claim")


@pytest.mark.parametrize("name", KEPT)
def test_what_the_ledger_and_database_keep_is_never_written_in_the_admin(name, issued, superuser_client):
    obj = getattr(issued, name)
    before = model_to_dict(obj)
    count = type(obj).objects.count()

    assert superuser_client.get(url(obj, "add")).status_code == 403
    assert superuser_client.post(url(obj, "add"), {}).status_code == 403

    page = superuser_client.get(url(obj, "change", obj.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # view only: no Save button
    assert b"/delete/" not in page.content  # no Delete link
    posted = {key: "" if value is None else str(value) for key, value in before.items()}
    assert superuser_client.post(url(obj, "change", obj.pk), posted).status_code == 403

    assert superuser_client.get(url(obj, "delete", obj.pk)).status_code == 403
    assert superuser_client.post(url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403

    changelist = superuser_client.get(url(obj, "changelist"))
    assert changelist.status_code == 200
    assert b"delete_selected" not in changelist.content
    bulk = superuser_client.post(
        url(obj, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes", "index": 0}
    )
    assert bulk.status_code in (200, 302)

    obj.refresh_from_db()
    assert model_to_dict(obj) == before
    assert type(obj).objects.count() == count


def test_a_device_with_reads_is_not_deleted_and_the_refusal_is_a_message(issued, superuser_client):
    device = issued.device
    confirm = superuser_client.get(url(device, "delete", device.pk))
    assert confirm.status_code == 200

    response = superuser_client.post(url(device, "delete", device.pk), {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url(device, "change", device.pk)
    assert any("cannot be deleted" in text and "meter reads" in text for text in messages_of(response))
    assert Device.objects.filter(pk=device.pk).exists()
    assert MeterRead.objects.filter(device=device).exists()
    assert not LogEntry.objects.filter(object_id=str(device.pk), action_flag=DELETION).exists()


def test_a_device_without_reads_is_deleted_through_the_service(developer_admin, superuser_client):
    device = device_make(developer_admin.organization, "NO-READS")
    response = superuser_client.post(url(device, "delete", device.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Device.objects.filter(pk=device.pk).exists()
    entry = LogEntry.objects.get(object_id=str(device.pk), action_flag=DELETION)
    assert entry.object_repr == str(device)


def test_devices_have_no_bulk_delete(issued, superuser_client):
    changelist = superuser_client.get(url(Device, "changelist"))
    assert changelist.status_code == 200
    assert b"delete_selected" not in changelist.content


# --- What may change goes through its service -------------------------------------------------


def organization_form(organization: Organization, **changes) -> dict:
    data = {
        "name": organization.name,
        "address": organization.address,
        "zip_code": organization.zip_code,
        "city": organization.city,
        "country": organization.country,
        "status": organization.status,
        # The read-only inlines' management forms.
        **{f"{prefix}-{key}": value for prefix in ("users", "invitations") for key, value in MANAGEMENT.items()},
    }
    data.update(changes)
    return data


MANAGEMENT = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}


def test_an_organization_is_corrected_through_its_service(developer_org, superuser_client):
    response = superuser_client.post(
        url(developer_org, "change", developer_org.pk),
        organization_form(developer_org, name="  Renamed Developers ", country="IN", status=OrganizationStatus.DENIED),
    )
    assert response.status_code == 302, response.content[:2000]
    developer_org.refresh_from_db()
    assert (developer_org.name, developer_org.country, developer_org.status) == ("Renamed Developers", "IN", "Denied")


def test_a_taken_name_is_refused_with_the_services_message(developer_org, superuser_client):
    OrganizationFactory(name="Taken Name")
    before = model_to_dict(developer_org)
    response = superuser_client.post(
        url(developer_org, "change", developer_org.pk), organization_form(developer_org, name="taken name", city="X")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert 'Organization "taken name" already exists' in messages_of(response)
    developer_org.refresh_from_db()
    assert model_to_dict(developer_org) == before


def test_an_organization_that_owns_devices_is_not_deleted(issued, superuser_client):
    organization = issued.device.organization
    assert superuser_client.get(url(organization, "delete", organization.pk)).status_code == 200
    response = superuser_client.post(url(organization, "delete", organization.pk), {"post": "yes"})
    assert response.status_code == 302
    assert any("still has devices" in text for text in messages_of(response))
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_an_empty_organization_is_deleted_with_its_members(superuser_client):
    organization = OrganizationFactory(name="Short Lived")
    response = superuser_client.post(url(organization, "delete", organization.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=organization.pk).exists()


def test_the_admins_own_organization_cannot_be_deleted(admin_user, superuser_client):
    organization = admin_user.organization
    assert superuser_client.post(url(organization, "delete", organization.pk), {"post": "yes"}).status_code == 403
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_ending_a_reservation_is_the_services_action(issued, superuser_client):
    changelist = url(Reservation, "changelist")
    action = {"action": "end", "_selected_action": [issued.reservation.pk], "index": 0}
    response = superuser_client.post(changelist, action)
    assert response.status_code == 302
    issued.reservation.refresh_from_db()
    assert not issued.reservation.is_active
    assert not issued.reservation.memberships.filter(is_active=True).exists()

    again = superuser_client.post(changelist, action)
    assert any("already ended" in text for text in messages_of(again))


def test_a_yield_is_saved_through_its_service(admin_user, superuser_client):
    response = superuser_client.post(url(YieldConfig, "add"), {"country": "KEN", "yield_value": 1500, "status": "Y"})
    assert response.status_code == 302
    config = YieldConfig.objects.get(country_id="KEN")
    assert (config.yield_value, config.created_by, config.updated_by) == (1500, admin_user, admin_user)

    refused = superuser_client.post(
        url(config, "change", config.pk), {"country": "KEN", "yield_value": 0, "status": "Y"}
    )
    assert refused.status_code == 302, refused.context["adminform"].form.errors
    assert any("greater than 0" in text for text in messages_of(refused))
    config.refresh_from_db()
    assert config.yield_value == 1500
    assert superuser_client.post(url(config, "delete", config.pk), {"post": "yes"}).status_code == 403


def test_claims_are_unchanged_by_a_bulk_action_post(issued, superuser_client):
    claims = list(Claim.objects.values())
    superuser_client.post(
        url(Claim, "changelist"), {"action": "delete_selected", "_selected_action": [issued.claim.pk], "index": 0}
    )
    assert list(Claim.objects.values()) == claims

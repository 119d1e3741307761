"""Who may add and read a device's reads: the developer's members in their own organization, an
api user for the Developer organizations it manages, the super admin for any; buyers read (by
device id) only the devices of their organization's reservations. Whatever is outside answers
404, without a trace of the device."""

from datetime import timedelta

import pytest

from accounts.models import Role
from organizations.models import OrganizationType
from reads.models import MeterRead
from reservations.models import Reservation, ReservationDevice
from tests.factories import OrganizationFactory, UserFactory, api_user_create
from tests.organizations.helpers import assert_error, managed_create, member_create
from tests.reads.expect import assert_stored, rows
from tests.reads.helpers import ONBOARDED, batch, device_onboarded, hourly, reads_url

pytestmark = pytest.mark.django_db

T = ONBOARDED
LATEST = "/api/meter-reads/latestread/{}"


def post_reads(client, ref, read_type="Delta", reads=None, **extra):
    return client.post(reads_url(ref), batch(read_type, reads or hourly(T, 2), **extra), format="json")


def get_reads(client, ref, **query):
    return client.get(reads_url(ref), {"readType": "meterReads", **query})


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


@pytest.fixture
def rival(db):
    """The admin of another direct Developer organization, which has a device of the same externalId."""
    organization = OrganizationFactory(name="Rival Solar", organization_type=OrganizationType.DEVELOPER)
    admin = member_create(organization, email="rival@example.com", role=Role.ORGANIZATION_ADMIN)
    device_onboarded(organization, "RIVAL-1")
    return admin


@pytest.fixture
def managed(api_user):
    """A Developer organization managed by ``api_user``, with a device."""
    organization, _ = managed_create(api_user, name="Sunrise Homes", email="sunrise@example.com")
    return device_onboarded(organization, "MANAGED-1")


# --- The developer's side ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["developer_admin", "device_owner"])
def test_members_of_the_developer_add_and_read_its_reads(request, client_for, device, persona):
    client = client_for(request.getfixturevalue(persona))
    assert_stored(post_reads(client, "SHS-1"), 2)
    assert get_reads(client, "shs-1").json()["numberOfReads"] == 2  # the externalId in any case
    assert client.get(LATEST.format("SHS-1")).json()["value"] == 1000


def test_another_developer_cannot_add_or_read_the_reads_of_a_device_not_theirs(
    client_for, developer_admin, device, rival
):
    assert_stored(post_reads(client_for(developer_admin), "SHS-1"), 2)
    before = rows(device)
    outsider = client_for(rival)
    assert_error(post_reads(outsider, "SHS-1", reads=hourly(T + timedelta(hours=2), 1)), 404)
    assert_error(get_reads(outsider, "SHS-1"), 404)
    assert_error(outsider.get(LATEST.format("SHS-1")), 404)
    assert rows(device) == before
    # Nor through the other organization's id, nor through the device's numeric id.
    assert_error(
        post_reads(
            outsider, "SHS-1", organizationId=developer_admin.organization_id, reads=hourly(T + timedelta(hours=2), 1)
        ),
        404,
    )
    assert_error(get_reads(outsider, str(device.pk)), 404)
    assert rows(device) == before
    # Its own device is found.
    assert_stored(post_reads(outsider, "RIVAL-1"), 2)


def test_a_member_without_reads_write_may_read_but_not_add(client_for, developer_admin, device):
    assert_stored(post_reads(client_for(developer_admin), "SHS-1"), 2)
    viewer = member_create(developer_admin.organization, email="viewer@example.com", role=Role.USER)
    client = client_for(viewer)
    assert_error(post_reads(client, "SHS-1", reads=hourly(T + timedelta(hours=2), 1)), 403)
    assert MeterRead.objects.count() == 2
    assert get_reads(client, "SHS-1").json()["numberOfReads"] == 2


def test_anonymous_callers_are_refused(api_client, device):
    assert_error(post_reads(api_client, "SHS-1"), 401)
    assert_error(get_reads(api_client, "SHS-1"), 401)
    assert_error(api_client.get(LATEST.format("SHS-1")), 401)
    assert not MeterRead.objects.exists()


def test_a_real_token_is_accepted(api_client, token_for, developer_admin, device):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(developer_admin)}")
    assert_stored(post_reads(api_client, "SHS-1"), 2)


@pytest.mark.parametrize("persona", ["buyer", "sub_buyer"])
def test_buyers_cannot_add_reads(request, client_for, device, persona):
    assert_error(post_reads(client_for(request.getfixturevalue(persona)), "SHS-1"), 403)
    assert not MeterRead.objects.exists()


# --- Api users --------------------------------------------------------------------------------


def test_an_api_user_adds_and_reads_for_its_developer_organization(client_for, api_user, managed):
    client = client_for(api_user)
    assert_stored(post_reads(client, "MANAGED-1", organizationId=managed.organization_id), 2)
    assert len(rows(managed)) == 2
    body = get_reads(client, "MANAGED-1", organizationId=managed.organization_id).json()
    assert body["numberOfReads"] == 2
    # Without organizationId an api user names the device by its id.
    assert get_reads(client, str(managed.pk)).json()["numberOfReads"] == 2
    assert client.get(LATEST.format(managed.pk)).json()["externalId"] == "MANAGED-1"


def test_an_api_user_must_say_which_organization(client_for, api_user, managed):
    assert_error(post_reads(client_for(api_user), "MANAGED-1"), 400, "organizationId")
    assert not MeterRead.objects.exists()


def test_an_api_user_cannot_act_for_another_api_users_organization(client_for, api_user, other_api_user, managed):
    client = client_for(other_api_user)
    assert_error(post_reads(client, "MANAGED-1", organizationId=managed.organization_id), 404)
    assert_error(get_reads(client, "MANAGED-1", organizationId=managed.organization_id), 404)
    assert_error(get_reads(client, str(managed.pk)), 404)
    assert not MeterRead.objects.exists()


def test_an_api_user_cannot_add_reads_for_a_buyer_organization(client_for, api_user, managed):
    buyers, _ = managed_create(
        api_user, name="Moonlight Buyers", organization_type=OrganizationType.BUYER, email="moon@example.com"
    )
    assert_error(post_reads(client_for(api_user), "MANAGED-1", organizationId=buyers.pk), 403)
    assert not MeterRead.objects.exists()


@pytest.mark.parametrize("verbs", [(), ("Read",)], ids=["no-grant", "read-only"])
def test_an_api_user_needs_the_reads_write_grant(client_for, grant, verbs):
    from organizations.services import organization_access_grant

    api_user = api_user_create(email="apiuser3@example.com", organization_name="Integrator Three")
    organization_access_grant(user=api_user, organization=api_user.organization)
    grant(api_user, "DEVICE_MANAGEMENT_CRUDL", "Read", "Write")
    if verbs:
        grant(api_user, "READS_MANAGEMENT_CRUDL", *verbs)
    organization, _ = managed_create(api_user, name="Dawn Homes", email="dawn@example.com")
    device_onboarded(organization, "DAWN-1")
    assert_error(post_reads(client_for(api_user), "DAWN-1", organizationId=organization.pk), 403)
    assert not MeterRead.objects.exists()


def test_the_super_admin_acts_for_any_developer_organization(client_for, admin_user, device):
    client = client_for(admin_user)
    assert_error(post_reads(client, "SHS-1"), 400, "organizationId")
    assert_stored(post_reads(client, "SHS-1", organizationId=device.organization_id), 2)
    assert get_reads(client, str(device.pk)).json()["numberOfReads"] == 2
    assert get_reads(client, "SHS-1", organizationId=device.organization_id).json()["numberOfReads"] == 2


# --- Buyers -----------------------------------------------------------------------------------


def reserve(buyer, *devices, name="Green 2024") -> Reservation:
    reservation = Reservation.objects.create(
        name=name,
        organization=buyer.organization,
        buyer=buyer,
        start=T,
        end=T + timedelta(days=365),
        expiry=T + timedelta(days=400),
        frequency="monthly",
        target_wh=1_000_000,
    )
    for device in devices:
        ReservationDevice.objects.create(reservation=reservation, device=device, covers_from=reservation.start)
    return reservation


@pytest.fixture
def two_devices(client_for, developer_admin, device):
    """SHS-1 and SHS-2 of the developer, each with two reads."""
    other = device_onboarded(developer_admin.organization, "SHS-2")
    developer = client_for(developer_admin)
    assert_stored(post_reads(developer, "SHS-1"), 2)
    assert_stored(post_reads(developer, "SHS-2"), 2)
    return device, other


@pytest.mark.parametrize("persona", ["buyer", "sub_buyer"])
def test_buyers_read_the_devices_of_their_reservations_by_id(request, client_for, buyer, two_devices, persona):
    reserved, not_reserved = two_devices
    client = client_for(request.getfixturevalue(persona))
    assert_error(get_reads(client, str(reserved.pk)), 404)  # before any reservation
    reserve(buyer, reserved)
    response = get_reads(client, str(reserved.pk))
    assert response.status_code == 200, response.content
    assert response.json()["numberOfReads"] == 2
    assert client.get(LATEST.format(reserved.pk)).json()["externalId"] == "SHS-1"
    assert_error(get_reads(client, str(not_reserved.pk)), 404)
    assert_error(client.get(LATEST.format(not_reserved.pk)), 404)


def test_an_ended_reservation_still_shows_its_devices_reads(client_for, buyer, two_devices):
    reserved, _ = two_devices
    ReservationDevice.objects.filter(reservation=reserve(buyer, reserved)).update(is_active=False)
    assert get_reads(client_for(buyer), str(reserved.pk)).json()["numberOfReads"] == 2


def test_another_buyers_reservation_does_not_open_the_device(client_for, buyer, two_devices):
    reserved, _ = two_devices
    other_org = OrganizationFactory(name="Other Buyers", organization_type=OrganizationType.BUYER)
    other_buyer = UserFactory(email="otherbuyer@example.com", role=Role.BUYER, organization=other_org)
    reserve(other_buyer, reserved)
    assert_error(get_reads(client_for(buyer), str(reserved.pk)), 404)


@pytest.mark.parametrize("ref", ["SHS-1", "1e3", "-1"])
def test_buyers_name_a_device_by_its_number(client_for, buyer, two_devices, ref):
    reserve(buyer, two_devices[0])
    assert_error(get_reads(client_for(buyer), ref), 400, "externalId")

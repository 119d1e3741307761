"""Who may reserve which devices, and who may see or change a reservation (SPEC §2, §7, §9).

Only devices of the Developer organizations of the buyer's own tenant are reservable; any
other id is refused exactly as an id that does not exist (nothing about it is revealed).
Objects outside the caller's tenant answer 404; the wrong organization type answers 403.
"""

import re

import pytest

from acl.models import ModulePermission
from reservations.models import Reservation, ReservationDevice
from tests.devices.helpers import device_make
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import (
    CONTINUE_DEVICES,
    MY_URL,
    RESERVATIONS_URL,
    create,
    end_url,
    names,
    reservation_body,
    reservation_url,
    reserve,
    unavailable_ids,
)

pytestmark = pytest.mark.django_db

NO_SUCH_DEVICE = 987_654


@pytest.fixture
def devices(tenants):
    """One device in each Developer organization: direct, api_user's, other_api_user's."""
    return {
        "direct": device_make(tenants.developer_org, "DIRECT-1", projectName="Direct Secret Project"),
        "managed": device_make(tenants.managed, "MANAGED-1", projectName="Managed Secret Project"),
        "other": device_make(tenants.other_managed, "FAR-1", projectName="Far Secret Project"),
    }


def _masked(body: dict, device_id: int) -> dict:
    """The error body with the id replaced, so that two answers can be compared."""
    text = re.sub(rf"\b{device_id}\b", "<id>", repr(body))
    return {"text": text}


def _reveals_nothing(body: dict, device) -> None:
    text = repr(body)
    assert device.external_id not in text
    assert device.organization.name not in text
    assert device.project_name not in text


# --- Which devices a buyer may reserve -------------------------------------------------------


def test_an_api_user_reserves_its_own_tenants_devices_for_its_buyer(client_for, tenants, devices):
    answer = reserve(client_for(tenants.api_user), [devices["managed"].pk], org=tenants.managed_buyer)
    assert answer["organizationId"] == tenants.managed_buyer.pk
    assert answer["api_user_id"] == str(tenants.api_user.api_user.api_user_id)
    assert ReservationDevice.objects.get(device=devices["managed"]).reservation_id == answer["id"]


def test_organization_id_is_an_alias_of_org_id(client_for, tenants, devices):
    url = f"{RESERVATIONS_URL}?organizationId={tenants.managed_buyer.pk}"
    response = client_for(tenants.api_user).post(url, reservation_body([devices["managed"].pk]), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["organizationId"] == tenants.managed_buyer.pk


@pytest.mark.parametrize(
    ("caller", "organization_name", "foreign"),
    [
        ("api_user", "managed_buyer", "other"),  # another tenant's device
        ("api_user", "managed_buyer", "direct"),  # a direct developer's device
        ("buyer", "buyer_org", "managed"),  # an api user's device, for a direct buyer
        ("other_api_user", "other_managed_buyer", "managed"),
    ],
)
def test_a_device_of_another_tenant_is_refused_exactly_like_an_unknown_id(
    client_for, tenants, devices, caller, organization_name, foreign
):
    client = client_for(getattr(tenants, caller))
    organization = getattr(tenants, organization_name)
    device = devices[foreign]

    for_foreign = create(client, [device.pk], org=organization, name="Foreign")
    for_unknown = create(client, [NO_SUCH_DEVICE], org=organization, name="Foreign")
    foreign_body = assert_error(for_foreign, 409)
    unknown_body = assert_error(for_unknown, 409)
    assert str(device.pk) in foreign_body["message"]
    assert _masked(foreign_body, device.pk) == _masked(unknown_body, NO_SUCH_DEVICE)
    _reveals_nothing(foreign_body, device)

    # The same with continuing, next to a device that is reservable: listed as unavailable, like an unknown id.
    own = {"api_user": "managed", "buyer": "direct", "other_api_user": "other"}[caller]
    answer = reserve(client, [devices[own].pk, device.pk, NO_SUCH_DEVICE], org=organization, **{CONTINUE_DEVICES: True})
    assert answer["deviceIds"] == [devices[own].pk]
    assert unavailable_ids(answer) == {device.pk, NO_SUCH_DEVICE}
    _reveals_nothing(answer, device)
    assert not ReservationDevice.objects.filter(device=device).exists()


def test_only_devices_of_developer_organizations_are_reservable(client_for, tenants, devices, rival_buyer):
    """Devices are registered in Developer organizations only; should one sit in another kind of
    organization of the same tenant (a Buyer's, the api user's own), it is not reservable."""
    in_buyer = device_make(rival_buyer.organization, "IN-BUYER-1")
    in_api_user = device_make(tenants.api_user.organization, "IN-APIUSER-1")
    for client, organization, device in [
        (client_for(tenants.buyer), None, in_buyer),
        (client_for(tenants.api_user), tenants.managed_buyer, in_api_user),
    ]:
        assert_error(create(client, [device.pk], org=organization), 409)
    assert not ReservationDevice.objects.exists()


def test_the_super_admin_reserves_for_any_buyer_organization_its_tenants_devices(
    client_for, admin_user, tenants, devices
):
    admin = client_for(admin_user)
    direct = reserve(admin, [devices["direct"].pk], org=tenants.buyer_org, name="For the direct buyer")
    assert direct["organizationId"] == tenants.buyer_org.pk
    managed = reserve(
        admin,
        [devices["managed"].pk, devices["other"].pk],
        org=tenants.managed_buyer,
        name="For the managed buyer",
        **{CONTINUE_DEVICES: True},
    )
    assert managed["deviceIds"] == [devices["managed"].pk]
    assert unavailable_ids(managed) == {devices["other"].pk}


# --- Which organization a reservation is for ------------------------------------------------------


def test_a_developer_organization_as_org_id_is_forbidden(client_for, tenants, devices, admin_user):
    for client, organization in [
        (client_for(tenants.api_user), tenants.managed),
        (client_for(admin_user), tenants.developer_org),
    ]:
        body = assert_error(create(client, [devices["managed"].pk], org=organization), 403)
        assert "Developer" in body["message"]
    assert not Reservation.objects.exists()


def test_another_api_users_buyer_organization_is_not_found(client_for, tenants, devices):
    response = create(client_for(tenants.api_user), [devices["managed"].pk], org=tenants.other_managed_buyer)
    body = assert_error(response, 404)
    assert tenants.other_managed_buyer.name not in body["message"]
    assert not Reservation.objects.exists()


def test_a_direct_buyer_organization_is_not_an_api_users(client_for, tenants, devices):
    assert_error(create(client_for(tenants.api_user), [devices["managed"].pk], org=tenants.buyer_org), 404)


def test_an_api_user_must_name_the_buyer_organization(client_for, tenants, devices):
    assert_error(create(client_for(tenants.api_user), [devices["managed"].pk]), 400, "organizationId")
    assert not Reservation.objects.exists()


def test_an_org_id_that_is_not_a_number_is_invalid(client_for, tenants, devices):
    assert_error(create(client_for(tenants.api_user), [devices["managed"].pk], org="abc"), 400, "organizationId")


def test_a_buyer_may_name_its_own_organization_but_no_other(client_for, tenants, devices, rival_buyer):
    client = client_for(tenants.buyer)
    assert_error(create(client, [devices["direct"].pk], org=rival_buyer.organization), 404)
    answer = reserve(client, [devices["direct"].pk], org=tenants.buyer_org)
    assert answer["organizationId"] == tenants.buyer_org.pk


# --- Roles ------------------------------------------------------------------------------------


def test_a_sub_buyer_cannot_reserve_but_sees_its_organizations_reservations(client_for, buyer, sub_buyer, devices):
    reserve(client_for(buyer), [devices["direct"].pk], name="Ours")
    sub = client_for(sub_buyer)
    assert_error(create(sub, [devices["direct"].pk], name="Mine"), 403)
    assert Reservation.objects.count() == 1
    for url in (RESERVATIONS_URL, MY_URL):
        response = sub.get(url)
        assert response.status_code == 200, response.content
        assert names(response.json()) == ["Ours"]


@pytest.mark.parametrize("persona", ["developer_admin", "device_owner"])
def test_developers_have_no_access_to_reservations(client_for, request, devices, buyer, persona):
    answer = reserve(client_for(buyer), [devices["direct"].pk])
    client = client_for(request.getfixturevalue(persona))
    assert_error(create(client, [devices["direct"].pk], name="Theirs"), 403)
    assert_error(client.get(RESERVATIONS_URL), 403)
    assert_error(client.get(reservation_url(answer["id"])), 403)
    assert_error(client.patch(reservation_url(answer["id"]), {"name": "Renamed"}, format="json"), 403)
    assert_error(client.delete(end_url(answer["id"])), 403)
    assert Reservation.objects.get().is_active


def test_an_api_user_without_the_reservation_grant_is_forbidden(client_for, tenants, devices):
    bare = tenants.other_api_user
    ModulePermission.objects.filter(user=bare, module__name="BUYER_RESERVATION_MANAGEMENT_CRUDL").delete()
    client = client_for(bare)
    assert_error(create(client, [devices["other"].pk], org=tenants.other_managed_buyer), 403)
    assert_error(client.get(RESERVATIONS_URL), 403)


def test_anonymous_callers_are_unauthenticated(api_client, client_for, buyer, devices):
    answer = reserve(client_for(buyer), [devices["direct"].pk])
    responses = [
        api_client.post(RESERVATIONS_URL, reservation_body([devices["direct"].pk], name="Anon"), format="json"),
        api_client.get(RESERVATIONS_URL),
        api_client.get(MY_URL),
        api_client.get(reservation_url(answer["id"])),
        api_client.patch(reservation_url(answer["id"]), {"name": "Renamed"}, format="json"),
        api_client.delete(end_url(answer["id"])),
    ]
    for response in responses:
        assert_error(response, 401)
    stored = Reservation.objects.get()
    assert stored.name == "Reservation One"
    assert stored.is_active


# --- Another organization's reservation --------------------------------------------------------


@pytest.fixture
def theirs(client_for, tenants, devices):
    """A reservation of api_user's managed buyer."""
    return reserve(client_for(tenants.api_user), [devices["managed"].pk], org=tenants.managed_buyer, name="Theirs")


@pytest.mark.parametrize("outsider", ["buyer", "other_api_user", "rival_buyer"])
def test_another_organizations_reservation_is_not_found(client_for, request, theirs, outsider):
    client = client_for(request.getfixturevalue(outsider))
    rid = theirs["id"]
    for response in (
        client.get(reservation_url(rid)),
        client.patch(reservation_url(rid), {"name": "Hijacked", "authorityToExceed": False}, format="json"),
        client.delete(end_url(rid)),
    ):
        body = assert_error(response, 404)
        assert "Theirs" not in repr(body)
    stored = Reservation.objects.get(pk=rid)
    assert stored.name == "Theirs"
    assert stored.authority_to_exceed is True
    assert stored.is_active
    assert ReservationDevice.objects.filter(reservation=stored, is_active=True).count() == 1


def test_a_reservation_is_found_only_with_its_own_organization_id(client_for, tenants, theirs):
    client = client_for(tenants.api_user)
    found = client.get(f"{reservation_url(theirs['id'])}?organizationId={tenants.managed_buyer.pk}")
    assert found.status_code == 200, found.content
    assert found.json()["name"] == "Theirs"
    assert_error(client.get(f"{reservation_url(theirs['id'])}?organizationId={tenants.managed_buyer2.pk}"), 404)
    assert_error(client.get(f"{reservation_url(theirs['id'])}?organizationId={tenants.other_managed_buyer.pk}"), 404)


def test_an_unknown_reservation_is_not_found(client_for, buyer):
    assert_error(client_for(buyer).get(reservation_url(424_242)), 404)


def test_the_owner_side_sees_the_reservation(client_for, admin_user, tenants, theirs):
    for user in (tenants.api_user, admin_user):
        response = client_for(user).get(reservation_url(theirs["id"]))
        assert response.status_code == 200, response.content
        assert response.json()["id"] == theirs["id"]

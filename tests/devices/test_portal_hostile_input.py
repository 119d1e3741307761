"""The device list's delete action given what cannot be a device id (the portal fuzzing's find,
issue 20, tests/fuzz/test_portal_forms.py): no such device (the 404 page, as the API's
DELETE answers), never a 500."""

import pytest

from devices.models import Device
from tests.parity.world import world_build


@pytest.fixture
def world(admin_user):
    return world_build(admin_user)


@pytest.mark.parametrize("value", ["\u00b2", "1\u00b9", "9" * 5000, "abc"])
@pytest.mark.parametrize("persona", ["device_owner", "admin"])
def test_deleting_a_device_id_that_is_no_number_finds_no_device(world, persona, value):
    count = Device.objects.count()
    response = world.portal(persona).post("/device/AllList", {"action": "delete", "device": value})

    assert response.status_code == 404
    assert Device.objects.count() == count

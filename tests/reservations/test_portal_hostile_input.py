"""The reservation form given device ids that are no numbers ("²" passes ``str.isdigit()``,
not ``int()``; 5000 digits are more than ``int()`` converts): the same defect as the portal
fuzzing found elsewhere (issue 20, tests/fuzz/test_portal_forms.py). No such device, no 500."""

import pytest

from reservations.models import Reservation
from tests.parity.world import world_build


@pytest.fixture
def world(admin_user):
    return world_build(admin_user)


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000])
def test_device_ids_that_are_no_numbers_reserve_nothing(world, value):
    count = Reservation.objects.count()
    form = {
        "action": "create",
        "name": "Hostile ids",
        "targetCapacityInMegaWattHour": "1",
        "frequency": "daily",
        "reservationStartDate": "2026-01-01T00:00",
        "reservationEndDate": "2026-12-31T00:00",
        "deviceIds": [value],
        "selectedIds": f"{value},{value}",
    }
    response = world.portal("buyer").post("/add/reservation", form)

    assert response.status_code < 500
    assert Reservation.objects.count() == count

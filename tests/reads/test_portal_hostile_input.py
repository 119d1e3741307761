"""The Add Read form given an externalId holding a NUL character (the portal fuzzing's find,
issue 20, tests/fuzz/test_portal_forms.py): the device was looked up with it before the form
was checked, and PostgreSQL refused the query (a 500). Now the field says why, nothing stored."""

import pytest

from reads.models import MeterRead
from tests.parity.world import world_build


@pytest.fixture
def world(admin_user):
    return world_build(admin_user)


@pytest.mark.parametrize("external_id", ["DIRECT-SPARE\x00", "\x00", "A\x00B"])
def test_an_external_id_with_a_nul_is_refused_on_its_field(world, external_id):
    count = MeterRead.objects.count()
    form = {
        "externalId": external_id,
        "timezone": "Asia/Kolkata",
        "type": "Delta",
        "unit": "kWh",
        "value": "2",
        "endtimestamp": "2026-06-01T15:30",
    }
    response = world.portal("organization_admin").post("/reads/add", form)

    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.context["form"].errors["externalId"]
    assert MeterRead.objects.count() == count

"""Redelivering a delivery whose id is no number ("²" passes ``str.isdigit()``, not ``int()``;
5000 digits are more than ``int()`` converts): the same defect as the portal fuzzing found
elsewhere (issue 20, tests/fuzz/test_portal_forms.py). No such delivery (404), nothing queued."""

import pytest

from tests.parity.world import world_build
from webhooks.models import Delivery


@pytest.fixture
def world(admin_user):
    return world_build(admin_user)


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000])
def test_redelivering_a_delivery_id_that_is_no_number_finds_none(world, value, django_capture_on_commit_callbacks):
    before = list(Delivery.objects.order_by("pk").values_list("pk", "status", "attempts"))
    with django_capture_on_commit_callbacks() as queued:
        response = world.portal("buyer").post(
            f"/webhooks/{world.direct.webhook_id}", {"action": "redeliver", "delivery": value}
        )

    assert response.status_code == 404
    assert queued == []
    assert list(Delivery.objects.order_by("pk").values_list("pk", "status", "attempts")) == before

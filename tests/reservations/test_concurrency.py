"""Two buyers reserving the same device at the same moment (SPEC §7: a device is in at most one
active reservation, whatever the timing).

Each request runs in its own thread, with its own client and database connection, against the
real PostgreSQL; a barrier starts them together. Each race is run a few times with fresh
devices. The two requests do the same work, but the interpreter lets one run ahead of the
other, so without help the loser often starts its availability check only after the winner
committed; a short pause at the target check (after the check of the devices' availability,
before the reservation is written) makes the requests overlap where it matters, so a missing
lock shows as a failure rather than as a lucky order.
"""

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from reservations import services
from reservations.models import Reservation, ReservationDevice
from tests.devices.helpers import device_make
from tests.reservations.helpers import CONTINUE_DEVICES, UNAVAILABLE, reservation_body, unavailable_ids

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUNDS = 5
PAUSE = 0.05  # seconds


@pytest.fixture(autouse=True)
def _slow_target_check(monkeypatch):
    """Pause each request between the availability check and the write (see the module doc)."""
    check = services.reachable_mwh

    def slow(*args, **kwargs):
        time.sleep(PAUSE)
        return check(*args, **kwargs)

    monkeypatch.setattr(services, "reachable_mwh", slow)


@pytest.fixture
def rivals(buyer, rival_buyer):
    """Two direct buyers of different organizations, both allowed to reserve direct devices."""
    return [buyer, rival_buyer]


def _post_together(users, bodies: list[dict]) -> list:
    """POST the bodies at the same moment, each from its own thread, client and connection."""
    responses: list = [None] * len(bodies)
    failures: list = []
    start = threading.Barrier(len(bodies))

    def post(number: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=users[number])
            start.wait(timeout=30)
            responses[number] = client.post("/api/buyer-reservation", bodies[number], format="json")
        except Exception as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(number,)) for number in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert all(response is not None for response in responses)
    return responses


def _active_holders(device) -> list[int]:
    return list(
        ReservationDevice.objects.filter(device=device, is_active=True).values_list("reservation_id", flat=True)
    )


def test_of_two_requests_for_the_same_device_exactly_one_gets_it(rivals, developer_admin):
    for round_number in range(ROUNDS):
        device = device_make(developer_admin.organization, f"RACE-{round_number}")
        bodies = [reservation_body([device.pk], name=f"Race {round_number} by {side}") for side in ("A", "B")]

        responses = _post_together(rivals, bodies)

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201, 409], (round_number, [response.content[:300] for response in responses])
        winner = next(response for response in responses if response.status_code == 201).json()
        loser = next(response for response in responses if response.status_code == 409).json()
        assert winner["deviceIds"] == [device.pk]
        assert loser["success"] is False
        assert "already included in buyer reservation" in loser["message"]
        assert str(device.pk) in loser["message"]
        assert _active_holders(device) == [winner["id"]]
        # The loser stored nothing.
        assert Reservation.objects.filter(name__startswith=f"Race {round_number} ").count() == 1


def test_a_loser_that_continues_proceeds_without_the_contested_device(rivals, developer_admin):
    organization = developer_admin.organization
    for round_number in range(ROUNDS):
        contested = device_make(organization, f"SHARED-{round_number}")
        own = [device_make(organization, f"OWN-{round_number}-{side}") for side in ("A", "B")]
        bodies = [
            reservation_body(
                [contested.pk, own[number].pk], name=f"Round {round_number} by {side}", **{CONTINUE_DEVICES: True}
            )
            for number, side in enumerate(("A", "B"))
        ]

        responses = _post_together(rivals, bodies)

        assert [response.status_code for response in responses] == [201, 201], [r.content[:300] for r in responses]
        answers = [response.json() for response in responses]
        holders = [answer for answer in answers if contested.pk in answer["deviceIds"]]
        assert len(holders) == 1, answers
        winner = holders[0]
        loser = answers[1] if winner is answers[0] else answers[0]
        loser_own = own[answers.index(loser)]
        assert winner[UNAVAILABLE] == ""
        assert loser["deviceIds"] == [loser_own.pk]
        assert unavailable_ids(loser) == {contested.pk}
        assert _active_holders(contested) == [winner["id"]]
        assert _active_holders(loser_own) == [loser["id"]]

"""The reservation form in people's words (SPEC §10, issue 16 item 3): the target's limits said
in the field's label and normal notation (never "1e-06"), and a confirmation without "!!"."""

import html
import re

import pytest

from reservations.models import Reservation
from tests.devices.helpers import device_make
from tests.reservations.test_portal import browser_of, reservation_form

pytestmark = pytest.mark.django_db


def target_errors(page: str) -> list[str]:
    match = re.search(r'name="targetCapacityInMegaWattHour".*?(?=<label|<legend|</section>)', page, re.S)
    assert match, "no target field"
    return [
        html.unescape(text) for text in re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>', match.group(0))
    ]


@pytest.fixture
def device(developer_admin):
    return device_make(developer_admin.organization, "Roof-1", capacity=10)


@pytest.mark.parametrize(
    ("target", "messages"),
    [
        ("0", ["Target Capacity(MWh) must be at least 0.000001 MWh (1 Wh)."]),
        ("-2", ["Target Capacity(MWh) must be at least 0.000001 MWh (1 Wh)."]),
        (
            "0.0000001",
            [
                "Target Capacity(MWh) must be at least 0.000001 MWh (1 Wh).",
                "Target Capacity(MWh) can have at most 6 decimal places.",
            ],
        ),
    ],
)
def test_the_targets_limits_are_said_in_words(buyer, device, target, messages):
    form = reservation_form(device.pk, targetCapacityInMegaWattHour=target, action="review")

    page = browser_of(buyer).post("/add/reservation", form).content.decode()

    assert target_errors(page) == messages
    assert "1e-06" not in page
    assert "greater than or equal" not in page
    assert not Reservation.objects.exists()


def test_a_new_reservation_is_confirmed_without_exclamation_marks(buyer, device):
    page = browser_of(buyer).post("/add/reservation", reservation_form(device.pk), follow=True).content.decode()

    assert "Reservation added. Schools 2026 holds 1 devices." in page
    assert "!!" not in page
    assert Reservation.objects.count() == 1

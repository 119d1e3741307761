"""The reservation JSON: the seed's keys (screens.md #87, #89, #92) and the device summaries
computed from the reserved devices (backend.md §9.1 step 5)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tests.devices.helpers import device_make
from tests.reservations.helpers import (
    CONTINUE_DEVICES,
    CONTINUE_TARGET,
    END,
    START,
    UNAVAILABLE,
    reservation_url,
    reserve,
    stamp,
)

pytestmark = pytest.mark.django_db

# The keys of the seed's create answer (screens.md #87) that the re-implementation keeps.
SEED_CREATE_KEYS = {
    "organizationId",
    "name",
    "deviceIds",
    "fuelCode",
    "countryCode",
    "deviceTypeCodes",
    "offTakers",
    "gridInterconnection",
    "aggregatedCapacity",
    "capacityRange",
    "commissioningDateRange",
    "reservationStartDate",
    "reservationEndDate",
    "authorityToExceed",
    "targetVolumeInMegaWattHour",
}
# The further keys of a listed or read reservation (screens.md #89, #92).
SEED_READ_KEYS = {
    "createdAt",
    "updatedAt",
    "id",
    "devicegroup_uid",
    "frequency",
    "buyerId",
    "reservationActive",
    "reservationExpiryDate",
    "targetVolumeCertificateGenerationRequestedInMegaWattHour",
    "targetVolumeCertificateGenerationSucceededInMegaWattHour",
    "targetVolumeCertificateGenerationFailedInMegaWattHour",
    "api_user_id",
    "organization",
}


@pytest.fixture
def client(client_for, buyer):
    return client_for(buyer)


def _this_year(month: int) -> datetime:
    return datetime(timezone.now().year, month, 1, tzinfo=UTC)


def _years_ago(years: int) -> datetime:
    return datetime(timezone.now().year - years, 6, 1, tzinfo=UTC)


def test_the_create_answer_has_the_seeds_keys_and_summaries(client, buyer, developer_admin):
    organization = developer_admin.organization
    big = device_make(
        organization,
        "BIG-1",
        capacity=Decimal("1000.7"),
        deviceTypeCode="TC110",
        offTaker="Residential",
        gridInterconnection=True,
        commissioningDate=_years_ago(2),
    )
    small = device_make(
        organization,
        "SMALL-1",
        capacity=Decimal("899.6"),
        deviceTypeCode="TC120",
        offTaker="School",
        gridInterconnection=True,
        commissioningDate=_this_year(1),
    )
    answer = reserve(
        client, [big.pk, small.pk], name="ReservationForEXT5Fresh4", targetCapacityInMegaWattHour=100, frequency="daily"
    )

    assert SEED_CREATE_KEYS | SEED_READ_KEYS | {UNAVAILABLE} <= set(answer)
    assert answer["organizationId"] == buyer.organization_id
    assert answer["name"] == "ReservationForEXT5Fresh4"
    assert answer["deviceIds"] == [big.pk, small.pk]
    assert answer["fuelCode"] == ["ES100"]
    assert answer["countryCode"] == ["IND"]
    assert answer["deviceTypeCodes"] == ["TC110", "TC120"]
    assert answer["offTakers"] == ["Residential", "School"]
    assert answer["gridInterconnection"] is True
    assert answer["aggregatedCapacity"] == 1900  # floor of 1900.3 kW
    assert answer["capacityRange"] == "500kW - 5MW"
    assert answer["commissioningDateRange"] == ["Year 1 - Q1", "Year 3"]
    assert parse_datetime(answer["reservationStartDate"]) == START
    assert parse_datetime(answer["reservationEndDate"]) == END
    assert answer["authorityToExceed"] is True
    assert answer["targetVolumeInMegaWattHour"] == 100
    assert answer["frequency"] == "daily"
    assert answer["buyerId"] == buyer.pk
    assert answer["api_user_id"] is None  # a direct buyer's
    assert answer["organization"] == {"name": buyer.organization.name}
    assert answer["targetVolumeCertificateGenerationRequestedInMegaWattHour"] == 0
    assert answer["targetVolumeCertificateGenerationSucceededInMegaWattHour"] == 0
    assert answer["targetVolumeCertificateGenerationFailedInMegaWattHour"] == 0
    assert answer[UNAVAILABLE] == ""
    for key in ("reservationStartDate", "reservationEndDate", "reservationExpiryDate", "createdAt"):
        assert answer[key].endswith("Z"), key


def test_the_read_and_listed_reservation_agree_with_the_create_answer(client, developer_admin):
    device = device_make(developer_admin.organization, "ONE-1", capacity=Decimal("12.5"))
    answer = reserve(client, [device.pk])
    del answer[UNAVAILABLE]

    read = client.get(reservation_url(answer["id"])).json()
    devices = read.pop("devices")
    assert read == answer
    assert [item["id"] for item in devices] == [device.pk]
    listed = client.get("/api/buyer-reservation").json()["groupedData"]
    assert listed == [answer]


def test_a_device_off_the_grid_makes_the_reservation_off_the_grid(client, developer_admin):
    on = device_make(developer_admin.organization, "ON-1", gridInterconnection=True)
    off = device_make(developer_admin.organization, "OFF-1", gridInterconnection=False)
    assert reserve(client, [on.pk, off.pk])["gridInterconnection"] is False


@pytest.mark.parametrize(
    ("kw", "bucket"),
    [
        ("0.5", "0.1W - 1kW"),
        ("1", "0.1W - 1kW"),
        ("1.01", "1.01kW - 50kW"),
        ("12.9", "1.01kW - 50kW"),  # aggregatedCapacity 12: rounded down
        ("50", "1.01kW - 50kW"),
        ("50.5", "51kW - 500kW"),
        ("500", "51kW - 500kW"),
        ("1900", "500kW - 5MW"),
        ("5000", "500kW - 5MW"),
        ("5000.5", "5MW+"),
    ],
)
def test_the_capacity_range_buckets_the_total_capacity(client, developer_admin, kw, bucket):
    device = device_make(developer_admin.organization, "CAP-1", capacity=Decimal(kw))
    answer = reserve(client, [device.pk], **{CONTINUE_TARGET: True})
    assert answer["capacityRange"] == bucket
    assert answer["aggregatedCapacity"] == int(Decimal(kw))


def test_the_summaries_describe_only_the_devices_reserved(client, developer_admin):
    organization = developer_admin.organization
    taken = device_make(organization, "TAKEN-1", countryCode="KEN", capacity=Decimal("600"))
    free = device_make(organization, "FREE-1", countryCode="IND", capacity=Decimal("20"))
    reserve(client, [taken.pk], name="First", **{CONTINUE_TARGET: True})
    answer = reserve(client, [taken.pk, free.pk], name="Second", **{CONTINUE_DEVICES: True, CONTINUE_TARGET: True})
    assert answer["deviceIds"] == [free.pk]
    assert answer["countryCode"] == ["IND"]
    assert answer["aggregatedCapacity"] == 20
    assert answer["capacityRange"] == "1.01kW - 50kW"
    assert answer[UNAVAILABLE] == str(taken.pk)


def test_dates_given_with_an_offset_are_answered_in_utc(client, developer_admin):
    device = device_make(developer_admin.organization, "TZ-1")
    start = START.astimezone(UTC).replace(tzinfo=None).isoformat() + "+05:30"
    answer = reserve(client, [device.pk], reservationStartDate=start, reservationEndDate=stamp(END))
    assert answer["reservationStartDate"] == stamp(parse_datetime(start))

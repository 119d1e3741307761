"""A device listing's page is written by PostgreSQL (devices.api.device_page_json): it must
answer what DeviceOut answers, device for device and key for key."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from devices.api import device_page_json, devices_json
from devices.models import Device
from drec.pagination import Page, page_rows
from tests.certificates.helpers import reservation_make
from tests.devices.helpers import device_make
from tests.organizations.helpers import managed_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_devices(developer_admin, api_user, buyer):
    """Devices of a direct and of a managed organization, with and without SDGs (in and out
    of the catalogue's order), storage, a time zone, a reservation holding one."""
    managed, _ = managed_create(api_user, name="Managed Solar", email="managed@example.com")
    direct = developer_admin.organization
    made = [
        device_make(direct, "D-1", SDGBenefits=["SDG13", "SDG1", "SDG7"]),
        device_make(direct, "D-2", energyStorage=True, energyStorageCapacity=Decimal("12.125")),
        device_make(direct, "D-3", latitude=Decimal("-33.9"), longitude=Decimal("151.2"), countryCode="AUS"),
        device_make(managed, "M-1", SDGBenefits=["SDG5"]),
        device_make(managed, "M-2"),
    ]
    Device.objects.filter(pk=made[2].pk).update(
        timezone="Australia/Sydney",
        meter_read_type="Delta",
        irec_id="IREC-7",
        images=["a.png", "b.png"],
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds
    )
    Device.objects.filter(pk=made[1].pk).update(
        latitude=Decimal("0"), longitude=Decimal("-0.500000000"), capacity=Decimal("100"), project_name="Dam"
    )
    reservation_make(buyer, [made[0]], frequency="daily")
    return made


@pytest.mark.parametrize("page", [Page(1, 2), Page(2, 2), Page(3, 2), Page(4, 2), Page(1, 1000)])
def test_a_page_from_sql_is_the_page_from_the_orm(varied_devices, page):
    devices = Device.objects.select_related("organization__api_user", "country").order_by("-created_at", "-id")

    shown, total = device_page_json(devices, page)
    orm_rows, orm_total = page_rows(devices, page)

    assert total == orm_total == 5
    # As JSON text too, apart from floats (100 and 100.0 are the same number to every client).
    assert json.loads(json.dumps(shown)) == devices_json(orm_rows)
    assert [device["externalId"] for device in shown] == [device.external_id for device in orm_rows]


def test_the_sql_page_names_sdgs_reservation_and_tenant(varied_devices, api_user):
    devices = Device.objects.select_related("organization__api_user", "country").order_by("external_id")
    rows, _total = device_page_json(devices, Page(1, 20))
    shown = {device["externalId"]: device for device in rows}

    assert len(shown["D-1"]["SDGBenefits"]) == 3
    assert shown["D-1"]["groupId"] is not None
    assert shown["D-2"]["groupId"] is None
    assert shown["D-3"]["timezone"] == "Australia/Sydney"
    assert shown["D-3"]["createdAt"] == "2026-01-02T03:04:05Z"
    assert shown["D-2"]["timezone"] == "Asia/Kolkata"  # the country's first zone
    assert (shown["D-2"]["latitude"], shown["D-2"]["longitude"]) == ("0", "-0.5")
    assert shown["M-1"]["api_user_id"] == str(api_user.api_user.api_user_id)
    assert shown["D-1"]["api_user_id"] is None

"""A device listing's page comes from hand-written SQL on PostgreSQL (devices.selectors.
device_page): it must answer what the ORM path answers, device for device and key for key."""

from decimal import Decimal

import pytest

from devices import selectors
from devices.api import devices_json
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
    Device.objects.filter(pk=made[2].pk).update(timezone="Australia/Sydney", meter_read_type="Delta")
    reservation_make(buyer, [made[0]], frequency="daily")
    return made


@pytest.mark.parametrize("page", [Page(1, 2), Page(2, 2), Page(3, 2), Page(4, 2), Page(1, 1000)])
def test_a_page_from_sql_is_the_page_from_the_orm(varied_devices, page):
    devices = Device.objects.select_related("organization__api_user", "country").order_by("-created_at", "-id")

    rows, total = selectors.device_page(devices, page)
    orm_rows, orm_total = page_rows(devices, page)

    assert total == orm_total == 5
    assert devices_json(rows) == devices_json(orm_rows)
    assert [device.external_id for device in rows] == [device.external_id for device in orm_rows]


def test_the_sql_page_names_sdgs_reservation_and_tenant(varied_devices, api_user):
    devices = Device.objects.select_related("organization__api_user", "country").order_by("external_id")
    rows, _total = selectors.device_page(devices, Page(1, 20))
    shown = {device["externalId"]: device for device in devices_json(rows)}

    assert len(shown["D-1"]["SDGBenefits"]) == 3
    assert shown["D-1"]["groupId"] is not None
    assert shown["D-2"]["groupId"] is None
    assert shown["D-3"]["timezone"] == "Australia/Sydney"
    assert shown["M-1"]["api_user_id"] == str(api_user.api_user.api_user_id)
    assert shown["D-1"]["api_user_id"] is None

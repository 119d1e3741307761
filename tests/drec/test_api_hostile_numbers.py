"""Numbers in API paths and query strings that are not whole numbers a bigint holds: "²" (a
digit to ``str.isdigit()`` but not to ``int()``), 100,000 digits (past ``int()``'s limit) and
20 digits (past a bigint) answer 400 or 404 naming the parameter, never a 500 (issue 20: the
portal fuzz found this pattern in the portal; these are its API twins)."""

import pytest

from tests.reads.helpers import device_onboarded

pytestmark = pytest.mark.django_db

NOT_NUMBERS = ["²", "1²", "9" * 100_000, "9" * 20]


@pytest.fixture
def device(developer_admin):
    return device_onboarded(developer_admin.organization)


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_device_id_that_is_no_number_is_not_found(client_for, admin_user, device, value):
    response = client_for(admin_user).get(f"/api/device/{value}")
    assert response.status_code == 404


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_reads_device_id_that_is_no_number_is_refused(client_for, admin_user, device, value):
    response = client_for(admin_user).get(f"/api/meter-reads/new/{value}", {"readType": "meterReads"})
    assert response.status_code == 400
    assert "externalId" in response.json()["errors"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("name", ["Year", "Month"])
def test_an_accumulation_year_or_month_that_is_no_number_is_refused(client_for, developer_admin, device, name, value):
    params = {"readType": "accumulated", "accumulationType": "Monthly", "Year": "2024", "Month": "3", name: value}
    response = client_for(developer_admin).get(f"/api/meter-reads/new/{device.external_id}", params)
    assert response.status_code == 400
    assert name in response.json()["errors"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_ledger_index_that_is_no_number_is_refused(client, value):
    response = client.get("/api/certificate-log/ledger", {"fromIndex": value})
    assert response.status_code == 400
    assert "fromIndex" in response.json()["errors"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_an_amount_filter_that_is_no_number_is_refused(client_for, admin_user, value):
    response = client_for(admin_user).get(
        "/api/certificate-log/issuer/certifiedlogOfdevices", {"fromAmountread": value}
    )
    assert response.status_code == 400
    assert "fromAmountread" in response.json()["errors"]

"""A device's reads say which certificate certified them (API read list and portal list)."""

import pytest
from django.test import Client

from certificates.models import Certificate
from tests.certificates.helpers import DAY, T0, device_reading, issue, reservation_make

pytestmark = pytest.mark.django_db


def test_each_read_names_the_certificate_that_certified_it(client_for, developer_admin, buyer):
    device = device_reading(developer_admin.organization, "Roof-1", count=30, value=500)  # 24 in day 1, 6 in day 2
    reservation = reservation_make(buyer, [device], frequency="daily")
    assert issue(reservation, T0 + 3 * DAY) == [12000, 3000]  # day 1: 24 x 500 Wh; day 2: 6 x 500 Wh
    certificate, second = Certificate.objects.order_by("id")

    body = (
        client_for(developer_admin).get("/api/meter-reads/new/Roof-1", {"readType": "meterReads", "limit": 100}).json()
    )
    by_end = {read["enddate"]: read["certificateId"] for read in body["ongoing"]}
    certified = [end for end, certificate_id in by_end.items() if certificate_id == certificate.pk]
    assert len(certified) == 24
    assert list(by_end.values()).count(second.pk) == 6
    assert list(by_end.values()).count(None) == 1  # the baseline is never certified

    browser = Client()
    browser.force_login(developer_admin)
    html = browser.get("/reads/All", {"device": device.pk, "limit": 100}).content.decode()
    assert html.count(f'href="/certificate/verify/{certificate.pk}"') == 24

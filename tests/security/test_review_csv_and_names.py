"""Security-review findings on the CSV files and on reservation names.

1. CSV injection: user text (a reservation's name, a claim's beneficiary, address and
   purpose) written raw into the per-device export and the redemption report became a live
   formula in a spreadsheet. Text cells starting like a formula are now prefixed with ``'``;
   the numbers we write stay numbers.
2. A reservation name holding a line break was accepted, then every export of it failed with
   a 500 (``BadHeaderError``: the name goes into ``Content-Disposition``). Names with control
   characters are now refused by the service (both doors), and the download header drops
   them, so an old row still downloads.
3. Reservation names were unique across all tenants, so a 409 told one tenant another's
   names; they are now unique per buyer organization.
"""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from certificates.services import claim_create
from drec.csvfiles import csv_text
from drec.http import content_disposition
from reservations.models import Reservation
from tests.certificates.helpers import DAY, T0, claim_request, device_reading, issue, reservation_make
from tests.devices.helpers import device_make
from tests.organizations.helpers import assert_error
from tests.reservations.helpers import create, reservation_url, reserve

pytestmark = pytest.mark.django_db

EXPORT_URL = "/api/certificate-log/expoert_perdevice/{uid}"
HYPERLINK = '=HYPERLINK("http://evil","x")'
LINE_BREAKS = ["Schools\n2026", "Schools\r2026", "Schools\r\n2026", "Schools\t2026"]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_errors(html: str, name: str) -> str:
    """The messages shown under the form field ``name``."""
    match = re.search(rf'name="{re.escape(name)}".*?(?=<label|<legend|</section>)', html, re.S)
    assert match, f"no field {name}"
    return " ".join(re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>', match.group(0), re.S))


def certified(world, name: str) -> Reservation:
    """The buyer's reservation ``name`` of a device with a day of reads, issued."""
    device = device_reading(world.developer_org, "CSV-1", count=24, value=1000)
    reservation = reservation_make(world.buyer, [device], frequency="daily", name=name)
    assert issue(reservation, now=T0 + 2 * DAY) == [24_000]
    return reservation


# --- 1. CSV injection -------------------------------------------------------------------------


def test_csv_export_neutralises_formulas_in_user_text(world, client_for):
    reservation = certified(world, HYPERLINK)
    certificate = reservation.certificates.get()

    rows = csv_rows(client_for(world.buyer).get(EXPORT_URL.format(uid=reservation.uid)))

    assert rows[0][:2] == ["externalId", "reservation_name"]  # our header, as it was
    [row] = rows[1:]
    assert row[1] == "'" + HYPERLINK
    # Plain text and the numbers we write are unchanged.
    assert row[0] == "CSV-1"
    assert row[4] == "24000"
    assert row[7] == str(certificate.pk)
    assert row[8].isdigit()


def test_redemption_report_csv_neutralises_formulas_in_user_text(world):
    certificate = certified(world, "Schools").certificates.get()
    claims = [
        # (Wh, beneficiary, address, purpose)
        (1000, "+cmd", "@SUM(1)", "-2+3"),
        (2000, "@SUM(1)", HYPERLINK, "Scope 2"),
        (3000, "-2+3", "Pune", "\tpadded"),
        (4000, "\tTabbed", "\rReturned", "Scope 2"),
        (5000, "Village school", "Pune, India", "Scope 2 - reporting"),
        # A lone carriage return must not start a new row whose first cell is a formula.
        (6000, "Clinic\r=1+1", "Pune", "Scope 2"),
    ]
    for amount, beneficiary, location, purpose in claims:
        request = claim_request(amount, beneficiary=beneficiary, location=location, purpose=purpose)
        claim_create(acting_user=world.buyer, certificate=certificate, request=request)

    rows = csv_rows(browser_of(world.buyer).get("/redemption-report", {"format": "csv"}))

    header, *body = rows
    assert header[:3] == ["CertificateId", "Redemption Date", "Certified Energy (MWh)"]
    found = {
        row["Certified Energy (MWh)"]: (row["Beneficiary"], row["Beneficiary Address"], row["Purpose"])
        for row in (dict(zip(header, values, strict=True)) for values in body)
    }
    assert found == {
        "0.001": ("'+cmd", "'@SUM(1)", "'-2+3"),
        "0.002": ("'@SUM(1)", "'" + HYPERLINK, "Scope 2"),
        "0.003": ("'-2+3", "Pune", "'\tpadded"),
        "0.004": ("'\tTabbed", "'\rReturned", "Scope 2"),
        "0.005": ("Village school", "Pune, India", "Scope 2 - reporting"),
        "0.006": ("Clinic\r=1+1", "Pune", "Scope 2"),
    }
    assert {row[0] for row in body} == {str(certificate.pk)}


def test_csv_injection_helper_keeps_numbers_and_neutralises_every_formula_start():
    text = csv_text(
        ["name", "count"],
        [
            ["=1+1", -5],
            ["+1", -1.5],
            ["-1", Decimal("-2.50")],
            ["@A1", None],
            ["\tx", 0],
            ["\rx", True],
            ["plain - text", "a=b"],
        ],
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["name", "count"],
        ["'=1+1", "-5"],
        ["'+1", "-1.5"],
        ["'-1", "-2.50"],
        ["'@A1", ""],
        ["'\tx", "0"],
        ["'\rx", "True"],
        ["plain - text", "a=b"],
    ]


# --- 2. Names that reach headers ------------------------------------------------------------------


@pytest.mark.parametrize("name", LINE_BREAKS)
def test_reservation_name_with_control_characters_is_refused_by_the_api(world, client_for, name):
    buyer = client_for(world.buyer)
    body = assert_error(create(buyer, [world.device.pk], name=name), 400, "name")
    assert "name" in body["message"]
    assert not Reservation.objects.exists()

    answer = reserve(buyer, [world.device.pk], name="Village Power")
    body = assert_error(buyer.patch(reservation_url(answer["id"]), {"name": name}, format="json"), 400, "name")
    assert "name" in body["message"]
    assert Reservation.objects.get().name == "Village Power"


@pytest.mark.parametrize("name", LINE_BREAKS)
def test_reservation_name_with_control_characters_is_refused_by_the_portal(world, name):
    browser = browser_of(world.buyer)
    form = {
        "name": name,
        "targetCapacityInMegaWattHour": "1",
        "reservationStartDate": "2026-01-01T00:00",
        "reservationEndDate": "2026-12-31T00:00",
        "frequency": "daily",
        "authorityToExceed": "true",
        "continueWithReservationIfOneOrMoreDevicesUnavailableForReservation": "true",
        "continueWithReservationIfTargetCapacityIsLessThanDeviceTotalCapacityBetweenDuration": "true",
        "deviceIds": [str(world.device.pk)],
        "action": "create",
    }
    response = browser.post("/add/reservation", form)
    assert response.status_code == 200  # the form again, not a redirect to a new reservation
    assert "control characters" in field_errors(response.content.decode(), "name")
    assert not Reservation.objects.exists()

    browser.post("/add/reservation", {**form, "name": "Village Power"})
    reservation = Reservation.objects.get()
    change = {
        "action": "change",
        "name": name,
        "targetCapacityInMegaWattHour": "1",
        "reservationEndDate": "2026-12-31T00:00",
        "reservationExpiryDate": "2027-03-01T00:00",
        "authorityToExceed": "false",
    }
    response = browser.post(f"/reservation/{reservation.pk}", change)
    assert response.status_code == 200
    assert "control characters" in field_errors(response.content.decode(), "name")
    reservation.refresh_from_db()
    assert (reservation.name, reservation.authority_to_exceed) == ("Village Power", True)


def test_reservation_name_with_a_newline_stored_earlier_still_exports(world, client_for):
    reservation = certified(world, "Schools\r\n2026\tQ1")

    response = client_for(world.buyer).get(EXPORT_URL.format(uid=reservation.uid))

    rows = csv_rows(response)
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Schools')
    assert disposition.endswith('.csv"')
    assert not re.search(r"[\x00-\x1f\x7f]", disposition)
    assert rows[1][1] == "Schools\r\n2026\tQ1"  # the cell keeps the name (CSV quotes it)


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("private_key.pem", 'attachment; filename="private_key.pem"'),
        ("Schools\n2026.csv", 'attachment; filename="Schools 2026.csv"'),
        ("A\r\n\tB \u2028C.csv", 'attachment; filename="A B C.csv"'),
        ('Say "hi".csv', 'attachment; filename="Say \\"hi\\".csv"'),
        ("Écoles 2026.csv", "attachment; filename*=utf-8''%C3%89coles%202026.csv"),
    ],
)
def test_reservation_name_with_a_newline_makes_a_safe_download_header(filename, header):
    assert content_disposition(filename) == header


# --- 3. Names unique per buyer organization -------------------------------------------------------


def test_reservation_names_are_unique_per_buyer_organization_not_across_tenants(world, client_for):
    api, other_api = client_for(world.api_user), client_for(world.other_api_user)
    ours = reserve(api, [world.managed_device.pk], org=world.managed_buyer, name="Schools 2026")
    theirs = reserve(other_api, [world.other_device.pk], org=world.other_managed_buyer, name="Schools 2026")
    assert (ours["organizationId"], theirs["organizationId"]) == (world.managed_buyer.pk, world.other_managed_buyer.pk)

    # The same organization twice, whatever the case: a conflict that names nothing of another tenant's.
    second = device_make(world.managed, "MANAGED-2")
    body = assert_error(create(api, [second.pk], org=world.managed_buyer, name="SCHOOLS 2026"), 409, "name")
    assert world.other_managed_buyer.name not in str(body)
    assert Reservation.objects.filter(organization=world.managed_buyer).count() == 1

    # A rename to a name another tenant uses is fine; to one of the same organization, a conflict.
    renamed = api.patch(reservation_url(ours["id"]), {"name": "Clinics 2026"}, format="json")
    assert renamed.status_code == 200, renamed.content
    other_device = device_make(world.other_managed, "OTHER-2")
    clinics = reserve(other_api, [other_device.pk], org=world.other_managed_buyer, name="clinics 2026")
    back = api.patch(reservation_url(ours["id"]), {"name": "Schools 2026"}, format="json")
    assert back.status_code == 200, back.content
    assert_error(other_api.patch(reservation_url(clinics["id"]), {"name": "schools 2026"}, format="json"), 409, "name")

    # The database keeps it too, for writes that do not go through the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        reservation_make(world.managed_buyer_admin, [], frequency="daily", name="schools 2026")
    reservation_make(world.rival_buyer, [], frequency="daily", name="Schools 2026")
    assert Reservation.objects.filter(name__iexact="schools 2026").count() == 3

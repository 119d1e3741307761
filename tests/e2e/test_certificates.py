"""Certificates in Chromium: after issuance, the buyer opens a reservation's certificates,
claims part of one, finds the claim in the redemption report, and the certificate's public
verification page (no login) says it is valid."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from certificates.models import Certificate, Claim
from certificates.services import certificates_issue_due
from organizations.services import organization_access_grant
from reads.services import reads_ingest
from reservations.models import Reservation, ReservationDevice
from tests.reads.helpers import device_onboarded


def certificate_issued(buyer, developer_admin):
    """Buyer's "School roofs" of Roof-9, with one daily certificate of 12,000 Wh three days ago."""
    organization_access_grant(user=buyer, organization=buyer.organization)
    day = (timezone.now() - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    device = device_onboarded(developer_admin.organization, "Roof-9", onboarded=day - timedelta(hours=1))
    # A baseline read, then 24 hourly reads of 500 Wh: 12,000 Wh in the day.
    reads = [{"endtimestamp": (day + timedelta(hours=h)).isoformat(), "value": 500} for h in range(25)]
    reads_ingest(device=device, read_type="Delta", unit="Wh", timezone_name=None, reads=reads)
    reservation = Reservation.objects.create(
        name="School roofs",
        organization=buyer.organization,
        buyer=buyer,
        start=day,
        end=day + timedelta(days=30),
        expiry=day + timedelta(days=90),
        frequency="daily",
        target_wh=100_000_000,
    )
    ReservationDevice.objects.create(reservation=reservation, device=device, covers_from=day)
    assert certificates_issue_due() == 1
    certificate = Certificate.objects.get()
    assert certificate.energy_wh == 12_000
    return SimpleNamespace(day=day, device=device, reservation=reservation, certificate=certificate)


def test_claim_part_of_a_certificate_then_verify_it(page, login, snap, buyer, developer_admin):
    issued = certificate_issued(buyer, developer_admin)
    day, device, reservation, certificate = issued.day, issued.device, issued.reservation, issued.certificate

    login(buyer.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Reservations").click()
    page.get_by_role("link", name="Certificates of School roofs").click()
    expect(page.get_by_role("heading", name="Reservation Name: School roofs")).to_be_visible()
    card = page.get_by_test_id("certificate").first
    expect(card.get_by_test_id("owned")).to_contain_text("12 kWh unclaimed")
    expect(card.get_by_test_id("devices")).to_have_text("Roof-9")
    expect(card.get_by_test_id("owner")).to_have_text(buyer.organization.name)
    snap("reservation-certificates")

    card.get_by_role("link", name="Details & claim").click()
    # Nothing claimed by default; the certificate's country and day are filled in.
    expect(page.get_by_label("Amount (Wh)")).to_have_value("")
    expect(page.get_by_label("Country")).to_have_value(device.country_id)
    expect(page.get_by_label("Period start")).to_have_value(day.date().isoformat())
    expect(page.get_by_label("Period end")).to_have_value(day.date().isoformat())
    page.get_by_label("Amount (Wh)").fill("5000")
    page.get_by_label("Beneficiary").fill("Pune Girls School")
    page.get_by_label("Location").fill("Pune, India")
    page.get_by_role("button", name="Review claim").click()

    # The confirmation restates the claim; nothing is stored until "Claim".
    summary = page.get_by_test_id("claim-summary")
    expect(summary).to_contain_text("5 kWh (5000 Wh)")
    expect(summary).to_contain_text("Pune Girls School")
    snap("claim-confirmation")
    assert not Claim.objects.exists()
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_label("Beneficiary")).to_have_value("Pune Girls School")
    page.get_by_role("button", name="Review claim").click()
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Claimed 5,000 Wh of certificate")
    expect(page.get_by_test_id("volumes")).to_contain_text("5 kWh claimed · 7 kWh unclaimed")
    snap("claimed")
    assert Claim.objects.get().amount_wh == 5000

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Redemption Report").click()
    row = page.get_by_test_id("redemptions").locator("tbody tr").first
    expect(row).to_contain_text(str(certificate.pk))
    expect(row).to_contain_text("Pune Girls School")
    expect(row).to_contain_text("0.005")  # MWh
    snap("redemption-report")

    # The public verification page needs no account.
    page.context.clear_cookies()
    page.goto(f"/certificate/verify/{certificate.pk}")
    expect(page.get_by_test_id("verdict")).to_contain_text("Valid")
    expect(page.get_by_test_id("volume")).to_contain_text("12 kWh issued, of which 5 kWh claimed")
    expect(page.get_by_test_id("issuer")).to_contain_text("D-REC registry")
    expect(page.get_by_test_id("owner")).to_have_text(buyer.organization.name)
    expect(page.get_by_test_id("device-count")).to_have_text("1")
    expect(page.get_by_text(str(reservation.uid))).to_be_hidden()  # inside the closed "Ledger proof"
    page.get_by_text("Ledger proof").click()
    expect(page.get_by_text(str(reservation.uid))).to_be_visible()
    snap("verification")
    assert datetime.now(UTC) > day


@pytest.mark.parametrize("viewport_width", [390])
def test_certificate_screens_on_a_phone(page, login, snap, page_checks, buyer, developer_admin):
    """The cards, the certificate, the claim's confirmation and the verification page at 390 px:
    no sideways scroll, the heading on the first screen, no serious axe violation."""
    issued = certificate_issued(buyer, developer_admin)
    login(buyer.email)
    page.goto(f"/certificate/reservation/{issued.reservation.pk}")
    expect(page.get_by_test_id("certificate").first.get_by_test_id("devices")).to_have_text("Roof-9")
    page.goto(f"/certificate/{issued.certificate.pk}")
    expect(page.get_by_test_id("contributions")).to_contain_text("Roof-9")
    page.get_by_label("Amount (Wh)").fill("12000")
    page.get_by_label("Beneficiary").fill("Pune Girls School")
    page.get_by_label("Location").fill("Pune, India")
    page.get_by_role("button", name="Review claim").click()
    expect(page.get_by_test_id("claim-summary")).to_contain_text("12 kWh (12000 Wh)")
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_test_id("volumes")).to_contain_text("0 Wh unclaimed")
    page.get_by_text("Ledger proof").click()
    snap("ledger-proof-open")
    page.context.clear_cookies()
    page.goto(f"/certificate/verify/{issued.certificate.pk}")
    page.get_by_text("Ledger proof").click()
    snap("verify-ledger-proof-open")
    assert page_checks.failures == []

"""Certificates in Chromium: after issuance, the buyer opens a reservation's certificates,
claims part of one, finds the claim in the redemption report, and the certificate's public
verification page (no login) says it is valid."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from certificates.models import Certificate, Claim
from certificates.services import certificates_issue_due
from reads.services import reads_ingest
from reservations.models import Reservation, ReservationDevice
from tests.reads.helpers import device_onboarded


def test_claim_part_of_a_certificate_then_verify_it(page, login, snap, buyer, developer_admin):
    from organizations.services import organization_access_grant

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

    login(buyer.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Reservations").click()
    page.get_by_role("link", name="Certificates of School roofs").click()
    expect(page.get_by_role("heading", name="Reservation Name: School roofs")).to_be_visible()
    card = page.get_by_test_id("certificate").first
    expect(card.get_by_test_id("owned")).to_contain_text("12000 (Wh)")
    snap("reservation-certificates")

    card.get_by_role("link", name="Details & claim").click()
    page.get_by_label("Amount (Wh)").fill("5000")
    page.get_by_label("Beneficiary").fill("Pune Girls School")
    page.get_by_label("Location").fill("Pune, India")
    page.get_by_label("Country").select_option("IND")
    page.get_by_label("Period start").fill(day.date().isoformat())
    page.get_by_label("Period end").fill(day.date().isoformat())
    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_role("status")).to_contain_text("Claimed 5000 Wh of certificate")
    expect(page.get_by_test_id("volumes")).to_contain_text("5000 Wh claimed · 7000 Wh unclaimed")
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
    expect(page.get_by_text("12000 Wh, of which 5000 Wh claimed")).to_be_visible()
    snap("verification")
    assert datetime.now(UTC) > day

"""The certificate lifecycle in Chromium (SPEC §13): a buyer transfers part of a certificate to
another tenant's Buyer organization after reviewing it; the receiver finds it among its
received certificates, claims part of it and downloads the claim's redemption statement; the
public registry (no login) shows the claimed volume before and after."""

import io

from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Role
from certificates.models import Claim, Holding
from certificates.templatetags.certificate_text import period
from organizations.models import OrganizationType
from organizations.services import organization_access_grant
from tests.e2e.test_certificates import certificate_issued
from tests.factories import OrganizationFactory, UserFactory


def test_transfer_then_the_receiver_claims_and_downloads_its_statement(
    page, login, snap, page_checks, buyer, developer_admin
):
    certificate = certificate_issued(buyer, developer_admin).certificate  # 12,000 Wh, Green Buyers'
    blue = OrganizationFactory(name="Blue Buyers", organization_type=OrganizationType.BUYER)
    receiver = UserFactory(email="blue@example.com", role=Role.BUYER, organization=blue)
    organization_access_grant(user=receiver, organization=blue)

    page.goto("/registry")
    totals = page.get_by_test_id("registry-totals")
    expect(totals.get_by_test_id("issued")).to_have_text("12 kWh")
    expect(totals.get_by_test_id("claimed")).to_have_text("0 Wh")
    snap("registry-before")

    login(buyer.email)
    page.goto(f"/certificate/{certificate.pk}")
    transfer = page.get_by_test_id("transfer")
    transfer.get_by_label("Amount to transfer (Wh)").fill("5000")
    transfer.get_by_label("Receiver organization ID").fill(str(blue.pk))
    transfer.get_by_role("button", name="Review transfer").click()
    summary = page.get_by_test_id("transfer-summary")
    expect(summary).to_contain_text("5 kWh (5000 Wh) of the 12 kWh unclaimed")
    expect(summary).to_contain_text(f"Organization {blue.pk}")
    snap("transfer-confirmation")
    assert not Holding.objects.filter(organization=blue).exists()  # nothing stored before "Transfer"
    page.get_by_role("button", name="Transfer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Transferred 5,000 Wh of certificate {certificate.pk} to organization {blue.pk}."
    )
    # The sender sees what it holds now, not the receiver's holding (another tenant's).
    expect(page.get_by_test_id("holdings")).to_contain_text("Green Buyers7 kWh")
    expect(page.get_by_test_id("holdings")).not_to_contain_text("Blue Buyers")
    snap("transferred")

    page.context.clear_cookies()
    login(receiver.email)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Certificate", exact=True).click()
    received = page.get_by_test_id("received-certificates")
    expect(received.locator(f'tr[data-certificate="{certificate.pk}"]')).to_contain_text("5 kWh")
    snap("received-list")
    received.get_by_role("link", name=f"Certificate {certificate.pk}").click()
    expect(page.get_by_test_id("received")).to_have_text("Received")
    page.get_by_label("Amount (Wh)").fill("3000")
    page.get_by_label("Beneficiary").fill("Lagos Clinic")
    page.get_by_label("Location").fill("Lagos, Nigeria")
    page.get_by_role("button", name="Review claim").click()
    expect(page.get_by_test_id("claim-summary")).to_contain_text("3 kWh (3000 Wh)")
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Claimed 3,000 Wh of certificate")
    claim = Claim.objects.get()
    assert (claim.organization, claim.amount_wh) == (blue, 3000)
    snap("receiver-claimed")

    with page.expect_download() as download:
        page.get_by_role("link", name=f"Statement (PDF) of claim {claim.pk}").click()
    with open(download.value.path(), "rb") as pdf:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages)
    assert f"of certificate {certificate.pk} were claimed" in text
    assert "3,000 Wh (3 kWh)" in text
    assert "Lagos Clinic" in text
    assert f"/certificate/verify/{certificate.pk}" in text

    page.context.clear_cookies()
    page.goto("/registry")
    expect(totals.get_by_test_id("issued")).to_have_text("12 kWh")  # a transfer moves, not issues
    expect(totals.get_by_test_id("claimed")).to_have_text("3 kWh")
    # The certificate's day as every other page says it (its end is the next midnight, exclusive).
    row = page.get_by_test_id("registry-certificates").locator("tbody tr").first
    expect(row).to_contain_text(period(certificate))
    expect(row).to_contain_text("Active")  # 2 kWh of it still unclaimed
    snap("registry-after")
    assert page_checks.failures == []  # axe-core on every screen of the way, no sideways scroll

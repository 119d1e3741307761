"""The certificate lifecycle of SPEC §13 in the portal, with Django's test client: a buyer
transfers part of a certificate to another tenant's Buyer organization through the two-step
form; the receiver finds it under "Received certificates" and claims part of it from a
reduced certificate page that shows nothing of the sender's; the super admin withdraws the
rest with a reason, which the public verification page shows; and whoever may not transfer
(another role, a non-holder, a visitor) is refused with nothing stored."""

import re
from types import SimpleNamespace

import pytest
from django.test import Client

from certificates.models import Claim, Holding, LedgerEntry, Transfer, Withdrawal
from certificates.services import claim_create, transfer_create
from organizations.models import OrganizationType
from tests.certificates.helpers import DAY, T0, certificates, claim_request, device_reading, issue, reservation_make
from tests.certificates.test_portal import claim_form, field_error, text_of
from tests.factories import OrganizationFactory
from tests.organizations.helpers import managed_create, member_create

pytestmark = pytest.mark.django_db

SECRET_RESERVATION = "Pune Schools Secret Plan"
SENDER_BENEFICIARY = "Green Buyers Head Office"


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def account(organization) -> str:
    return f"drec:org:{organization.pk}"


def holdings(certificate) -> dict[str, tuple[int, int]]:
    """(held, claimed) Wh per account, as the database says."""
    return {
        account_of: (held, claimed)
        for account_of, held, claimed in (
            (f"drec:org:{h.organization_id}", h.held_wh, h.claimed_wh)
            for h in Holding.objects.filter(certificate=certificate).order_by("id")
        )
        if held or claimed
    }


def stored() -> tuple:
    """Everything a transfer, claim or withdrawal writes, comparably."""
    return (
        Transfer.objects.count(),
        Claim.objects.count(),
        Withdrawal.objects.count(),
        LedgerEntry.objects.count(),
        sorted(Holding.objects.values_list("certificate_id", "organization_id", "held_wh", "claimed_wh")),
    )


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</(?:table|dl|section)>', html, re.S)
    assert match, f"no {testid} on the page"
    return match.group(0)


@pytest.fixture
def world(developer, buyer):
    """Green Buyers (``buyer``) hold a certificate of 12,000 Wh of SUN-1 from their reservation
    "Pune Schools Secret Plan"; Blue Buyers and Red Buyers are other tenants' Buyer
    organizations (their Buyer users); the Developer organization cannot receive."""
    device = device_reading(developer, "SUN-1", count=24, value=500)
    reservation = reservation_make(buyer, [device], frequency="daily", name=SECRET_RESERVATION)
    assert issue(reservation, T0 + DAY) == [12000]
    blue = member_create(
        OrganizationFactory(name="Blue Buyers", organization_type=OrganizationType.BUYER), email="blue@example.com"
    )
    red = member_create(
        OrganizationFactory(name="Red Buyers", organization_type=OrganizationType.BUYER), email="red@example.com"
    )
    return SimpleNamespace(
        certificate=certificates(reservation)[0],
        reservation=reservation,
        green=buyer,
        blue=blue,
        red=red,
        developer=developer,
    )


def transfer_error(html: str, name: str) -> str:
    """The errors next to a field of the transfer form (the claim form's come first on the page)."""
    return field_error(section(html, "transfer"), name)


def transfer_form(amount, to, **extra) -> dict:
    return {"amount": str(amount), "toOrganizationId": str(to), **extra}


# --- Transfer --------------------------------------------------------------------------------------


def test_the_holder_transfers_part_after_reviewing_it(world):
    certificate, green, blue = world.certificate, world.green.organization, world.blue.organization
    client = browser_of(world.green)
    page_url, url = f"/certificate/{certificate.pk}", f"/certificate/{certificate.pk}/transfer"

    html = client.get(page_url).content.decode()
    form = section(html, "transfer")
    assert f'action="{url}"' in form
    assert "Receiver organization ID" in form
    assert re.search(r'<input type="number" name="toOrganizationId"', form)
    assert "any active Buyer organization on the platform" in form
    assert "At most 12,000 Wh (12 kWh) are unclaimed." in form
    # A number, not a list of every tenant's Buyer organizations.
    assert "Blue Buyers" not in html
    assert "Red Buyers" not in html
    before = stored()

    # The form's POST only shows the transfer: nothing is stored.
    review = client.post(url, transfer_form(5000, blue.pk))
    assert review.status_code == 200
    confirmation = review.content.decode()
    summary = text_of(section(confirmation, "transfer-summary"))
    assert "Amount 5 kWh (5000 Wh) of the 12 kWh unclaimed" in summary
    assert f"To Organization {blue.pk}" in summary
    assert "cannot be undone" in confirmation
    assert 'name="csrfmiddlewaretoken"' in confirmation
    assert re.search(r'<button[^>]*name="confirm"[^>]*>Transfer</button>', confirmation)
    assert "Blue Buyers" not in confirmation  # the receiver's name is not the sender's to learn
    assert stored() == before

    # "Change" goes back to the certificate's page, the form still filled in.
    back = client.post(url, {**transfer_form(5000, blue.pk), "edit": "1"}).content.decode()
    assert 'data-testid="certificate-details"' in back
    assert f'<input type="number" name="toOrganizationId" value="{blue.pk}"' in back
    assert stored() == before

    # Only the confirmation's POST transfers.
    response = client.post(url, {**transfer_form(5000, blue.pk), "confirm": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == page_url
    done = response.content.decode()
    assert f"Transferred 5,000 Wh of certificate {certificate.pk} to organization {blue.pk}." in done
    transfer = Transfer.objects.get()
    assert (transfer.certificate, transfer.sender, transfer.receiver, transfer.amount_wh, transfer.transferred_by) == (
        certificate,
        green,
        blue,
        5000,
        world.green,
    )
    assert LedgerEntry.objects.filter(transfer=transfer, kind="transfer").exists()
    assert holdings(certificate) == {account(green): (7000, 0), account(blue): (5000, 0)}
    # What Green holds now is what it may claim or transfer.
    assert "Green Buyers 7 kWh 0 Wh" in text_of(section(done, "holdings"))
    assert "At most 7,000 Wh (7 kWh) are unclaimed." in done
    refused = client.post(page_url, {**claim_form(7001), "confirm": "1"}).content.decode()
    assert "claim at most that" in field_error(refused, "amount")
    assert Claim.objects.count() == 0


def test_transfer_errors_show_next_to_their_fields_and_store_nothing(world):
    client = browser_of(world.green)
    url = f"/certificate/{world.certificate.pk}/transfer"
    before = stored()
    for confirm in ({}, {"confirm": "1"}):  # the confirmation's POST is checked again
        over = client.post(url, {**transfer_form(12001, world.blue.organization.pk), **confirm}).content.decode()
        assert "Only 12,000 Wh of this certificate are unclaimed: transfer at most that." in transfer_error(
            over, "amount"
        )
        assert 'data-testid="transfer-confirmation"' not in over
        unknown = client.post(url, {**transfer_form(100, 999999), **confirm}).content.decode()
        assert "No organization found with id 999999" in transfer_error(unknown, "toOrganizationId")
        developer = client.post(url, {**transfer_form(100, world.developer.pk), **confirm}).content.decode()
        assert "Not a Buyer organization." in transfer_error(developer, "toOrganizationId")
    itself = client.post(url, {**transfer_form(100, world.green.organization.pk), "confirm": "1"}).content.decode()
    assert "The sender itself." in transfer_error(itself, "toOrganizationId")
    missing = client.post(url, {"amount": "", "toOrganizationId": "abc"}).content.decode()
    assert "required" in transfer_error(missing, "amount")
    assert "whole number" in transfer_error(missing, "toOrganizationId")
    assert stored() == before


@pytest.mark.parametrize("who", ["developer_admin", "sub_buyer", "admin_user", "red", "blue"])
def test_who_does_not_hold_it_cannot_transfer_and_nothing_is_stored(world, request, who):
    """Other roles get the 403 (as POST /api/certificate-log/transfer answers them); a Buyer
    organization that holds none of it (Red, or Blue before anything was transferred to it)
    gets the 404 of a certificate out of its sight."""
    user = getattr(world, who) if who in ("red", "blue") else request.getfixturevalue(who)
    client = browser_of(user)
    url = f"/certificate/{world.certificate.pk}/transfer"
    before = stored()
    for confirm in ({}, {"confirm": "1"}):
        response = client.post(url, {**transfer_form(1000, world.red.organization.pk), **confirm})
        assert response.status_code == (404 if who in ("red", "blue") else 403), response.status_code
    assert stored() == before
    if who in ("red", "blue"):
        assert client.get(f"/certificate/{world.certificate.pk}").status_code == 404
    elif who != "admin_user":
        assert 'name="toOrganizationId"' not in client.get(f"/certificate/{world.certificate.pk}").content.decode()


def test_a_visitor_is_sent_to_sign_in_and_a_buyer_may_not_withdraw(world):
    before = stored()
    response = Client().post(f"/certificate/{world.certificate.pk}/transfer", transfer_form(1000, 1))
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    client = browser_of(world.green)
    refused = client.post(f"/certificate/{world.certificate.pk}/withdraw", {"reason": "Mine", "confirm": "1"})
    assert refused.status_code == 403
    assert 'name="reason"' not in client.get(f"/certificate/{world.certificate.pk}").content.decode()
    assert stored() == before


# --- The receiver -----------------------------------------------------------------------------------


def test_the_receiver_finds_it_under_received_and_claims_part_of_it(world):
    certificate, green, blue = world.certificate, world.green.organization, world.blue.organization
    claim_create(
        acting_user=world.green, certificate=certificate, request=claim_request(1000, beneficiary=SENDER_BENEFICIARY)
    )
    transfer_create(acting_user=world.green, certificate=certificate, amount_wh=5000, receiver=blue)
    client = browser_of(world.blue)

    listing = client.get("/All_certificate").content.decode()
    received = section(listing, "received-certificates")
    assert f'href="/certificate/{certificate.pk}"' in received
    assert "Received" in received
    assert "Blue Buyers 2 Mar 2026 India 5 kWh 0 Wh" in text_of(received)
    assert f'id="certificate-{certificate.pk}"' not in listing  # not among the certificates issued to it
    assert SECRET_RESERVATION not in listing
    # The sender's list has no received section: nothing was transferred to it.
    assert 'data-testid="received-certificates"' not in browser_of(world.green).get("/All_certificate").content.decode()

    url = f"/certificate/{certificate.pk}"
    html = client.get(url).content.decode()
    assert 'data-testid="received"' in html
    details = text_of(section(html, "certificate-details"))
    assert "Generation period 2 Mar 2026" in details
    assert "Volume 12 kWh issued" in details
    assert "Country India" in details
    assert "Blue Buyers Received 5 kWh 0 Wh" in text_of(section(html, "holdings"))
    assert f'href="/certificate/verify/{certificate.pk}"' in html
    # Nothing of the sender's: its reservation, its devices, its claims, its name, its ledger account.
    for private in (
        SECRET_RESERVATION,
        str(world.reservation.uid),
        "SUN-1",
        SENDER_BENEFICIARY,
        "Green Buyers",
        account(green),
    ):
        assert private not in html, private
    assert 'data-testid="contributions"' not in html
    # It may claim what it holds, not the certificate's unclaimed 11,000 Wh.
    assert "At most 5,000 Wh (5 kWh) are unclaimed." in html
    assert 'name="toOrganizationId"' in html
    over = client.post(url, {**claim_form(5001), "confirm": "1"}).content.decode()
    assert "Only 5,000 Wh of this certificate are unclaimed: claim at most that." in field_error(over, "amount")
    assert Claim.objects.count() == 1

    review = client.post(url, claim_form(2000, beneficiary="Blue school"))
    assert 'data-testid="claim-confirmation"' in review.content.decode()
    assert "2 kWh (2000 Wh) of the 5 kWh unclaimed" in text_of(section(review.content.decode(), "claim-summary"))
    assert Claim.objects.count() == 1
    response = client.post(url, {**claim_form(2000, beneficiary="Blue school"), "confirm": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    done = response.content.decode()
    assert f"Claimed 2,000 Wh of certificate {certificate.pk} for Blue school." in done
    claim = Claim.objects.get(beneficiary="Blue school")
    assert (claim.organization, claim.claimed_by, claim.amount_wh) == (blue, world.blue, 2000)
    assert holdings(certificate) == {account(green): (6000, 1000), account(blue): (3000, 2000)}
    claims = section(done, "claims")
    assert "Blue school" in claims
    assert SENDER_BENEFICIARY not in claims
    assert f'href="/certificate/claim/{claim.pk}/statement.pdf"' in claims
    assert "Blue Buyers Received 3 kWh 2 kWh" in text_of(section(done, "holdings"))

    # The receiver passes some on; the sender's page still shows its own holding only.
    client.post(f"{url}/transfer", {**transfer_form(1000, world.red.organization.pk), "confirm": "1"})
    assert holdings(certificate)[account(world.red.organization)] == (1000, 0)
    sender = browser_of(world.green).get(url).content.decode()
    assert "Green Buyers 6 kWh 1 kWh" in text_of(section(sender, "holdings"))
    assert "Blue Buyers" not in section(sender, "holdings")
    # The sender's statement links are its own claims' only.
    assert f"/certificate/claim/{claim.pk}/statement.pdf" not in sender


def test_the_received_section_lists_what_the_owned_api_lists_as_received(world, client_for):
    transfer_create(
        acting_user=world.green, certificate=world.certificate, amount_wh=4000, receiver=world.blue.organization
    )
    shown = {}
    for user in (world.blue, world.green, world.red):
        html = browser_of(user).get("/All_certificate").content.decode()
        shown[user] = set(re.findall(r'<tr data-certificate="(\d+)"', html))
        owned = client_for(user).get("/api/certificate-log/owned").json()["owned"]
        assert shown[user] == {str(row["internalCertificateId"]) for row in owned if row["received"]}, user.email
    assert (shown[world.blue], shown[world.green], shown[world.red]) == ({str(world.certificate.pk)}, set(), set())


def test_an_api_user_picks_which_of_its_organizations_claims(api_user, grant, developer):
    """Two of the api user's Buyer organizations hold the certificate: the forms ask which one
    acts, and hold the amount to what that one holds."""
    grant(api_user, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")
    grant(api_user, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Read", "Write")
    first, member = managed_create(
        api_user, name="Tenant North", organization_type=OrganizationType.BUYER, email="north@example.com"
    )
    second, _ = managed_create(
        api_user, name="Tenant South", organization_type=OrganizationType.BUYER, email="south@example.com"
    )
    device = device_reading(developer, "API-1", count=24, value=500)
    reservation = reservation_make(member, [device], frequency="daily", name="North's")
    assert issue(reservation, T0 + DAY) == [12000]
    certificate = certificates(reservation)[0]
    transfer_create(
        acting_user=api_user, certificate=certificate, amount_wh=5000, receiver=second, organization_id=first.pk
    )
    client = browser_of(api_user)
    url = f"/certificate/{certificate.pk}"
    html = client.get(url).content.decode()
    options = re.search(r'<select name="organizationId".*?</select>', html, re.S).group(0)
    assert "Tenant North (7 kWh unclaimed)" in options
    assert "Tenant South (5 kWh unclaimed)" in options

    over = client.post(url, {**claim_form(6000), "organizationId": str(second.pk), "confirm": "1"}).content.decode()
    assert "Tenant South holds only 5,000 Wh of this certificate unclaimed" in field_error(over, "amount")
    review = client.post(url, {**claim_form(6000), "organizationId": str(first.pk)}).content.decode()
    assert "Claimed by Tenant North" in text_of(section(review, "claim-summary"))
    assert Claim.objects.count() == 0
    assert client.post(url, {**claim_form(6000), "organizationId": str(first.pk), "confirm": "1"}).status_code == 302
    assert Claim.objects.get().organization == first
    assert holdings(certificate) == {account(first): (1000, 6000), account(second): (5000, 0)}


# --- Withdrawal and the verification page -------------------------------------------------------------


def test_the_super_admin_withdraws_the_rest_with_a_reason(world, admin_user):
    certificate, green, blue = world.certificate, world.green.organization, world.blue.organization
    transfer_create(acting_user=world.green, certificate=certificate, amount_wh=5000, receiver=blue)
    claim_create(acting_user=world.blue, certificate=certificate, request=claim_request(2000))
    client = browser_of(admin_user)
    page_url, url = f"/certificate/{certificate.pk}", f"/certificate/{certificate.pk}/withdraw"

    html = client.get(page_url).content.decode()
    form = section(html, "withdraw")
    assert f'action="{url}"' in form
    assert "Leave it empty to withdraw all that is unclaimed (10,000 Wh now)" in form
    assert 'name="toOrganizationId"' not in html  # the super admin holds nothing to transfer
    before = stored()

    reason = "Meter SUN-1 found miscalibrated"
    missing = client.post(url, {"reason": ""}).content.decode()
    assert "required" in field_error(missing, "reason")
    over = client.post(url, {"amount": "10001", "reason": reason, "confirm": "1"}).content.decode()
    assert "Only 10,000 Wh of this certificate are unclaimed: withdraw at most that." in field_error(over, "amount")
    review = client.post(url, {"reason": reason}).content.decode()
    summary = text_of(section(review, "withdraw-summary"))
    assert "All that is unclaimed when you confirm (10000 Wh now)" in summary
    assert f"Reason {reason}" in summary
    assert re.search(r'<button[^>]*name="confirm"[^>]*>Withdraw</button>', review)
    assert stored() == before

    response = client.post(url, {"amount": "", "reason": reason, "confirm": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == page_url
    done = response.content.decode()
    assert f"Withdrew 10,000 Wh of certificate {certificate.pk}: {reason}" in done
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.amount_wh, withdrawal.reason, withdrawal.withdrawn_by) == (10000, reason, admin_user)
    certificate.refresh_from_db()
    assert (certificate.claimed_wh, certificate.withdrawn_wh, certificate.unclaimed_wh) == (2000, 10000, 0)
    assert holdings(certificate) == {account(blue): (0, 2000)}
    assert "12 kWh issued · 2 kWh claimed · 0 Wh unclaimed · 10 kWh withdrawn" in text_of(done)
    assert reason in section(done, "withdrawals")
    assert 'data-testid="withdraw"' not in done  # nothing left to withdraw
    assert LedgerEntry.objects.filter(withdrawal=withdrawal, kind="withdrawal").exists()

    # The public verification page: the withdrawn volume, the reason and who holds what.
    verify = Client().get(f"/certificate/verify/{certificate.pk}").content.decode()
    assert "Valid: signed by the D-REC issuer key" in verify
    facts = text_of(section(verify, "certificate-facts"))
    assert "Volume 12 kWh issued, of which 2 kWh claimed and 10 kWh withdrawn" in facts
    assert "Withdrawn 10 kWh on " in facts
    assert reason in text_of(section(verify, "withdrawals"))
    holders = text_of(section(verify, "holders"))
    assert f"{account(blue)} 0 2000" in holders
    assert account(green) not in holders  # holds nothing any more
    assert "Blue Buyers" not in verify  # accounts, not organizations' names
    # The receiver's page says what happened to the volume it held.
    assert reason in browser_of(world.blue).get(page_url).content.decode()


def test_a_partial_withdrawal_leaves_the_rest_and_the_verification_page_lists_each(world, admin_user):
    client = browser_of(admin_user)
    url = f"/certificate/{world.certificate.pk}/withdraw"
    assert client.post(url, {"amount": "1500", "reason": "First audit", "confirm": "1"}).status_code == 302
    assert client.post(url, {"amount": "500", "reason": "Second audit", "confirm": "1"}).status_code == 302
    world.certificate.refresh_from_db()
    assert (world.certificate.withdrawn_wh, world.certificate.unclaimed_wh) == (2000, 10000)
    assert holdings(world.certificate) == {account(world.green.organization): (10000, 0)}
    verify = Client().get(f"/certificate/verify/{world.certificate.pk}").content.decode()
    withdrawals = text_of(section(verify, "withdrawals"))
    assert re.search(r"1.5 kWh on .*: First audit 500 Wh on .*: Second audit", withdrawals)

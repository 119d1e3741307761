"""Transfers, withdrawals and what each organization owns (SPEC §13) over the API, with the
owners computed by hand after each step: a partial transfer, a transfer onward, a claim by
the receiver, a withdrawal of the rest; and each refusal stores nothing."""

import pytest

from certificates.models import Claim, Holding, LedgerEntry, Transfer, Withdrawal
from organizations.models import OrganizationType
from tests.certificates.helpers import DAY, T0, certificates, device_reading, issue, reservation_make
from tests.certificates.test_api_claims import claim_body
from tests.factories import OrganizationFactory
from tests.organizations.helpers import member_create
from tests.personas import grants_give

pytestmark = pytest.mark.django_db

TRANSFER_URL = "/api/certificate-log/transfer"
WITHDRAW_URL = "/api/certificate-log/withdraw"
OWNED_URL = "/api/certificate-log/owned"
CLAIM_URL = "/api/certificate-log/claim"
LOGS = "CERTIFICATE_LOG_MANAGEMENT_CRUDL"
RESERVATIONS = "BUYER_RESERVATION_MANAGEMENT_CRUDL"


def account(organization) -> str:
    return f"drec:org:{organization.pk}"


@pytest.fixture
def world(developer, buyer, client_for, admin_user):
    """Green Buyers (``buyer``) hold a certificate of 12,000 Wh; Blue and Red Buyers are other
    tenants' Buyer organizations; a Developer organization cannot receive."""
    device = device_reading(developer, "SUN-1", count=24, value=500)
    reservation = reservation_make(buyer, [device], frequency="daily")
    assert issue(reservation, T0 + DAY) == [12000]
    blue = member_create(
        OrganizationFactory(name="Blue Buyers", organization_type=OrganizationType.BUYER), email="b@x.org"
    )
    red = member_create(
        OrganizationFactory(name="Red Buyers", organization_type=OrganizationType.BUYER), email="r@x.org"
    )
    for user in (buyer, blue, red):
        grants_give(user, ((LOGS, "Read"), (RESERVATIONS, "Read", "Write")))
    return {
        "certificate": certificates(reservation)[0],
        "green": buyer,
        "blue": blue,
        "red": red,
        "developer": developer,
        "client": client_for,
        "admin": client_for(admin_user),
    }


def owners(certificate) -> dict[str, tuple[int, int]]:
    """(held, claimed) Wh per account, as the holdings say."""
    return {
        account_id: (held, claimed)
        for account_id, held, claimed in (
            (f"drec:org:{h.organization_id}", h.held_wh, h.claimed_wh)
            for h in Holding.objects.filter(certificate=certificate).order_by("id")
        )
        if held or claimed
    }


def transfer(world, user, amount, to, **extra):
    body = {"certificateId": world["certificate"].pk, "amount": amount, "toOrganizationId": to, **extra}
    return world["client"](world[user]).post(TRANSFER_URL, body, format="json")


def log_owners(world, user) -> dict:
    response = world["client"](world[user]).get("/api/certificate-log/issuer/certifiedlogOfdevices")
    assert response.status_code == 200, response.content
    (item,) = response.json()["certificatelog"]
    return {"owners": item["owners"], "claimers": item["claimers"]}


def test_transfer_onward_claim_and_withdraw_with_owners_computed_by_hand(world):
    certificate = world["certificate"]
    green, blue, red = (world[name].organization for name in ("green", "blue", "red"))

    response = transfer(world, "green", 5000, blue.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["transfer"]["amountWh"] == 5000
    assert body["transfer"]["from"] == account(green)
    assert body["transfer"]["to"] == account(blue)
    assert body["ledgerEntry"]["kind"] == "transfer"
    assert body["ledgerEntry"]["payload"] == {
        "transferId": body["transfer"]["id"],
        "amountWh": 5000,
        "from": account(green),
        "to": account(blue),
    }
    assert owners(certificate) == {account(green): (7000, 0), account(blue): (5000, 0)}
    assert log_owners(world, "green") == {"owners": {account(green): "7000", account(blue): "5000"}, "claimers": {}}

    # The receiver passes part of it on, then claims part of what it still holds.
    assert transfer(world, "blue", 2000, red.pk).status_code == 201
    assert owners(certificate) == {account(green): (7000, 0), account(blue): (3000, 0), account(red): (2000, 0)}
    claimed = world["client"](world["blue"]).post(CLAIM_URL, claim_body(certificate, 1000), format="json")
    assert claimed.status_code == 201, claimed.content
    assert claimed.json()["ledgerEntry"]["payload"]["claimer"] == account(blue)
    assert owners(certificate) == {account(green): (7000, 0), account(blue): (2000, 1000), account(red): (2000, 0)}
    certificate.refresh_from_db()
    assert (certificate.claimed_wh, certificate.unclaimed_wh) == (1000, 11000)

    # The issuer withdraws the rest: the 11,000 Wh nobody claimed, from every holder.
    withdrawn = world["admin"].post(
        WITHDRAW_URL, {"certificateId": certificate.pk, "reason": "Meter found miscalibrated"}, format="json"
    )
    assert withdrawn.status_code == 201, withdrawn.content
    assert withdrawn.json()["withdrawal"]["amountWh"] == 11000
    assert withdrawn.json()["unclaimedWh"] == 0
    assert withdrawn.json()["ledgerEntry"]["payload"] == {
        "withdrawalId": withdrawn.json()["withdrawal"]["id"],
        "amountWh": 11000,
        "reason": "Meter found miscalibrated",
        "from": {account(green): 7000, account(blue): 2000, account(red): 2000},
    }
    assert owners(certificate) == {account(blue): (0, 1000)}
    assert log_owners(world, "green") == {"owners": {account(green): "0"}, "claimers": {account(blue): "1000"}}
    certificate.refresh_from_db()
    assert (certificate.energy_wh, certificate.claimed_wh, certificate.withdrawn_wh) == (12000, 1000, 11000)
    kinds = list(LedgerEntry.objects.filter(certificate=certificate).values_list("kind", flat=True))
    assert kinds == ["issue", "transfer", "transfer", "claim", "withdrawal"]

    # The redemption reports: the claim is the receiver's, not the issuer's buyer's.
    report = world["client"](world["blue"]).get("/api/certificate-log/redemption-report").json()
    assert [row["certificateId"] for row in report] == [certificate.pk]
    assert world["client"](world["green"]).get("/api/certificate-log/redemption-report").json() == []


def test_owned_lists_received_certificates_and_only_the_callers(world):
    assert transfer(world, "green", 4000, world["blue"].organization.pk).status_code == 201
    owned = world["client"](world["blue"]).get(OWNED_URL).json()
    assert owned["totalCount"] == 1
    (row,) = owned["owned"]
    assert (row["internalCertificateId"], row["ownedWh"], row["claimedWh"], row["received"]) == (
        world["certificate"].pk,
        4000,
        0,
        True,
    )
    assert "reservationName" not in row
    assert "perDeviceCertificateLog" not in row
    (mine,) = world["client"](world["green"]).get(OWNED_URL).json()["owned"]
    assert (mine["ownedWh"], mine["received"]) == (8000, False)
    assert world["client"](world["red"]).get(OWNED_URL).json()["owned"] == []


def _unchanged(world, transfers=0):
    assert owners(world["certificate"]) == {account(world["green"].organization): (12000, 0)}
    assert Transfer.objects.count() == transfers
    assert LedgerEntry.objects.filter(certificate=world["certificate"]).count() == 1


def test_more_than_held_is_409_and_stores_nothing(world):
    response = transfer(world, "green", 12001, world["blue"].organization.pk)
    assert response.status_code == 409, response.content
    assert "12000" in response.json()["message"]
    _unchanged(world)


def test_to_a_developer_organization_is_400(world):
    response = transfer(world, "green", 100, world["developer"].pk)
    assert response.status_code == 400, response.content
    assert "toOrganizationId" in str(response.json())
    _unchanged(world)


def test_to_an_unknown_organization_is_404(world):
    response = transfer(world, "green", 100, 10**8)
    assert response.status_code == 404, response.content
    _unchanged(world)


def test_to_itself_is_400(world):
    assert transfer(world, "green", 100, world["green"].organization.pk).status_code == 400
    _unchanged(world)


def test_a_certificate_you_do_not_hold_is_404(world):
    assert transfer(world, "blue", 100, world["red"].organization.pk).status_code == 404
    claimed = world["client"](world["blue"]).post(CLAIM_URL, claim_body(world["certificate"], 100), format="json")
    assert claimed.status_code == 404
    _unchanged(world)
    assert not Claim.objects.exists()


def test_the_receiver_claims_no_more_than_it_received(world):
    assert transfer(world, "green", 3000, world["blue"].organization.pk).status_code == 201
    over = world["client"](world["blue"]).post(CLAIM_URL, claim_body(world["certificate"], 3001), format="json")
    assert over.status_code == 409, over.content
    assert not Claim.objects.exists()


def test_withdrawal_of_claimed_volume_is_409(world):
    certificate = world["certificate"]
    claimed = world["client"](world["green"]).post(CLAIM_URL, claim_body(certificate, 10000), format="json")
    assert claimed.status_code == 201
    response = world["admin"].post(
        WITHDRAW_URL, {"certificateId": certificate.pk, "amount": 2001, "reason": "Wrong reads"}, format="json"
    )
    assert response.status_code == 409, response.content
    assert not Withdrawal.objects.exists()
    certificate.refresh_from_db()
    assert (certificate.withdrawn_wh, certificate.unclaimed_wh) == (0, 2000)


def test_withdrawal_needs_a_reason_and_the_super_admin(world):
    certificate = world["certificate"]
    no_reason = world["admin"].post(WITHDRAW_URL, {"certificateId": certificate.pk, "reason": " "}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in str(no_reason.json())
    by_buyer = world["client"](world["green"]).post(
        WITHDRAW_URL, {"certificateId": certificate.pk, "reason": "Mine"}, format="json"
    )
    assert by_buyer.status_code == 403
    _unchanged(world)
    assert not Withdrawal.objects.exists()

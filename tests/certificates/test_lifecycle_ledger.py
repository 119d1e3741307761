"""The ledger over a certificate's whole lifecycle (SPEC §13): ``verify_ledger`` passes after
issue, a partial transfer, a transfer onward, a claim by the receiver and the withdrawal of
the rest, and names the entry a tamperer touched: a transfer's amount altered in the
database; a holding that no longer says what the ledger gives. A withdrawal entry records
its reason; the public verify page shows the withdrawal and says the certificate is valid.

The lifecycle, on the first of two certificates of 6,000 Wh (entries #0 and #1 issue them):

- #2: Green Buyers transfers 4,000 Wh to Receiver One (Green Buyers keeps 2,000);
- #3: Receiver One transfers 1,500 Wh on to Receiver Two (Receiver One keeps 2,500);
- #4: Receiver Two claims 1,000 Wh (it keeps 500 unclaimed);
- #5: the super admin withdraws the rest, 5,000 Wh: 2,000 + 2,500 + 500 from the holders.
"""

import io
import json
import re
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from certificates import ledger
from certificates.models import EntryKind, Holding, LedgerEntry, Transfer
from certificates.services import claim_create, receiver_get, transfer_create
from organizations.models import OrganizationType
from tests.certificates.helpers import DAY, T0, certificates, claim_request, device_reading, issue, reservation_make
from tests.factories import OrganizationFactory
from tests.organizations.helpers import member_create

pytestmark = pytest.mark.django_db

TRANSFER_URL = "/api/certificate-log/transfer"
WITHDRAW_URL = "/api/certificate-log/withdraw"
REASON = "Meter SUN-9 was found miscalibrated"


def verify_url(certificate_id) -> str:
    return f"/api/certificate-log/verify/{certificate_id}"


@pytest.fixture
def lifecycle(developer, buyer, admin_user, client_for):
    """The lifecycle of the module's doc, through the API where it answers for it."""
    device = device_reading(developer, "SUN-9", count=48, value=250)
    reservation = reservation_make(buyer, [device], frequency="daily")
    assert issue(reservation, T0 + 2 * DAY) == [6000, 6000]
    certificate, untouched = certificates(reservation)
    one = OrganizationFactory(name="Receiver One", organization_type=OrganizationType.BUYER)
    two = OrganizationFactory(name="Receiver Two", organization_type=OrganizationType.BUYER)
    one_member = member_create(one, email="one@example.com")
    two_member = member_create(two, email="two@example.com")

    # #2: a partial transfer, over the API.
    response = client_for(buyer).post(
        TRANSFER_URL, {"certificateId": certificate.pk, "amount": 4000, "toOrganizationId": one.pk}, format="json"
    )
    assert response.status_code == 201, response.content[:500]
    first = Transfer.objects.get(receiver=one)
    assert response.json()["transfer"]["amountWh"] == 4000
    assert response.json()["ledgerEntry"]["index"] == 2

    # #3: the receiver transfers part of it onward.
    second = transfer_create(
        acting_user=one_member, certificate=certificate, amount_wh=1500, receiver=receiver_get(two.pk)
    )
    # #4: the second receiver claims part of what it received.
    claim = claim_create(acting_user=two_member, certificate=certificate, request=claim_request(1000))
    # #5: the super admin withdraws all that is left unclaimed.
    response = client_for(admin_user).post(
        WITHDRAW_URL, {"certificateId": certificate.pk, "reason": REASON}, format="json"
    )
    assert response.status_code == 201, response.content[:500]
    assert response.json()["withdrawal"]["amountWh"] == 5000
    assert response.json()["unclaimedWh"] == 0

    return SimpleNamespace(
        certificate=certificate,
        untouched=untouched,
        buyer_org=buyer.organization,
        one=one,
        two=two,
        first=first,
        second=second,
        claim=claim,
    )


def verify_ledger() -> str:
    output = io.StringIO()
    call_command("verify_ledger", stdout=output)
    return output.getvalue()


def verify_ledger_fails() -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", stdout=io.StringIO())
    return str(failure.value)


def test_verify_ledger_passes_after_the_whole_lifecycle(lifecycle):
    assert "The ledger is valid: 6 entries checked" in verify_ledger()
    assert ledger.chain_verify() == (6, None)

    entries = list(LedgerEntry.objects.order_by("index"))
    assert [(e.index, e.kind) for e in entries] == [
        (0, "issue"),
        (1, "issue"),
        (2, "transfer"),
        (3, "transfer"),
        (4, "claim"),
        (5, "withdrawal"),
    ]
    certificate = lifecycle.certificate
    assert [e.certificate_id for e in entries[2:]] == [certificate.pk] * 4
    assert (entries[2].transfer, entries[3].transfer, entries[4].claim) == (
        lifecycle.first,
        lifecycle.second,
        lifecycle.claim,
    )
    assert entries[3].payload["amountWh"] == 1500
    assert entries[3].payload["from"] == ledger.account_of(lifecycle.one.pk)
    assert entries[3].payload["to"] == ledger.account_of(lifecycle.two.pk)
    assert entries[4].payload["claimer"] == ledger.account_of(lifecycle.two.pk)

    # What each holds at the end: all spent, 1,000 Wh claimed by the second receiver.
    holdings = {h.organization_id: (h.held_wh, h.claimed_wh) for h in Holding.objects.filter(certificate=certificate)}
    assert holdings == {lifecycle.buyer_org.pk: (0, 0), lifecycle.one.pk: (0, 0), lifecycle.two.pk: (0, 1000)}
    certificate.refresh_from_db()
    assert (certificate.energy_wh, certificate.claimed_wh, certificate.withdrawn_wh) == (6000, 1000, 5000)
    assert certificate.unclaimed_wh == 0
    # The other certificate is untouched: its buyer still holds all of it.
    assert list(Holding.objects.filter(certificate=lifecycle.untouched).values_list("organization", "held_wh")) == [
        (lifecycle.buyer_org.pk, 6000)
    ]


def test_verify_ledger_proves_a_head_published_after_the_lifecycle(lifecycle, tmp_path):
    head = tmp_path / "head.json"
    head.write_text(json.dumps(ledger.head()))
    output = io.StringIO()
    call_command("verify_ledger", "--head", str(head), stdout=output)
    assert "The published head (entry #5) is in the chain." in output.getvalue()
    assert "The ledger is valid: 6 entries checked" in output.getvalue()


def test_a_withdrawal_entry_records_the_reason_and_whom_it_took_from(lifecycle):
    entry = LedgerEntry.objects.get(kind=EntryKind.WITHDRAWAL)
    withdrawal = lifecycle.certificate.withdrawals.get()
    assert entry.withdrawal == withdrawal
    assert (withdrawal.amount_wh, withdrawal.reason) == (5000, REASON)
    assert entry.payload == {
        "withdrawalId": withdrawal.pk,
        "amountWh": 5000,
        "reason": REASON,
        "from": {
            ledger.account_of(lifecycle.buyer_org.pk): 2000,
            ledger.account_of(lifecycle.one.pk): 2500,
            ledger.account_of(lifecycle.two.pk): 500,
        },
    }


@pytest.mark.parametrize(("which", "index", "altered"), [("first", 2, 4500), ("second", 3, 1000)])
def test_a_transfer_whose_amount_is_altered_in_the_database_is_named(lifecycle, which, index, altered):
    transfer = getattr(lifecycle, which)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE certificates_transfer SET amount_wh = %s WHERE id = %s", [altered, transfer.pk])

    message = verify_ledger_fails()
    assert re.search(rf"entry #{index} \(transfer of certificate {lifecycle.certificate.pk}\)", message), message
    assert "the transfer no longer matches it (amountWh changed)" in message
    assert f"after {index} good entries" in message
    count, finding = ledger.chain_verify()
    assert (count, finding.entry.index, finding.entry.transfer_id) == (index, index, transfer.pk)


def test_a_holding_altered_in_the_database_is_found(lifecycle):
    # Receiver One "gets back" the 2,500 Wh withdrawn from it.
    Holding.objects.filter(certificate=lifecycle.certificate, organization=lifecycle.one).update(held_wh=2500)

    count, finding = ledger.chain_verify()
    assert count == 6  # every entry is good; the holdings are not what they give
    account = ledger.account_of(lifecycle.one.pk)
    assert finding.reason == (
        f"the holding of {account} in certificate {lifecycle.certificate.pk} says (2500, 0) (held, claimed Wh) "
        "where the ledger gives (0, 0)"
    )
    assert finding.entry.index == 5  # named by the certificate's newest entry
    message = verify_ledger_fails()
    assert "holding of " + account in message
    assert "entry #5 (withdrawal" in message


def test_the_public_verify_page_shows_the_withdrawal_and_says_valid(lifecycle, api_client):
    body = api_client.get(verify_url(lifecycle.certificate.pk)).json()

    assert body["valid"] is True, body["problems"]
    assert body["problems"] == []
    shown = body["certificate"]
    assert (shown["energyWh"], shown["claimedWh"], shown["withdrawnWh"]) == (6000, 1000, 5000)
    assert [(w["amountWh"], w["reason"]) for w in shown["withdrawals"]] == [(5000, REASON)]
    assert [(e["index"], e["kind"], e["valid"]) for e in body["entries"]] == [
        (0, "issue", True),
        (2, "transfer", True),
        (3, "transfer", True),
        (4, "claim", True),
        (5, "withdrawal", True),
    ]
    assert body["entries"][-1]["payload"]["reason"] == REASON


def test_the_public_verify_page_names_an_altered_transfer(lifecycle, api_client):
    Transfer.objects.filter(pk=lifecycle.first.pk).update(amount_wh=4500)
    body = api_client.get(verify_url(lifecycle.certificate.pk)).json()
    assert body["valid"] is False
    assert "entry #2: the transfer no longer matches it (amountWh changed)" in body["problems"]

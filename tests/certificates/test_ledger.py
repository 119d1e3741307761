"""The signed ledger and claims (SPEC §8): every issue and claim appends an entry chained by
hash and signed with the issuer's Ed25519 key; ``verify_ledger`` passes on an honest chain
and names the first entry a tamperer touched (a payload, a certificate, a removed entry, a
signature); anyone with the public key can check entries with ``cryptography`` alone; the
database refuses to change or remove entries. Claims retire part or all of a certificate,
never more."""

import base64
import hashlib
import io
import json
import re
from datetime import UTC
from itertools import pairwise

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from certificates import ledger
from certificates.models import Certificate, Claim, Contribution, EntryKind, LedgerEntry
from certificates.services import claim_create
from drec.errors import Conflict, InvalidInput
from tests.certificates.helpers import (
    DAY,
    T0,
    certificates,
    claim_request,
    device_reading,
    issue,
    ledger_trigger,
    reservation_make,
)
from tests.personas import persona_fixture, personas_make
from tests.shared import shared_data, shared_fixture

pytestmark = pytest.mark.django_db


def issued_make(developer, buyer):
    """Three certificates of 7000 Wh (three days of 7200 Wh: carries 200, 400, 600)."""
    device = device_reading(developer, "LEDGER", count=3 * 24, value=300)
    reservation = reservation_make(buyer, [device], frequency="daily")
    assert issue(reservation, T0 + 3 * DAY) == [7000, 7000, 7000]
    return certificates(reservation)


def _shared_build() -> dict:
    """``issued``, once for the module's tests using it (tests/shared.py), with the personas it holds."""
    personas = personas_make(("developer_admin", "buyer"), None)
    return {**personas, "issued": issued_make(personas["developer_admin"].organization, personas["buyer"])}


_shared_data, shared_copy = shared_data(_shared_build, uses=("issued",), where=__name__)
developer_org, developer_admin, buyer_org, buyer = (
    persona_fixture(name, None) for name in ("developer_org", "developer_admin", "buyer_org", "buyer")
)
issued = shared_fixture("issued", lambda request: issued_make(*map(request.getfixturevalue, ("developer", "buyer"))))


@pytest.fixture
def chain(issued, buyer):
    """Entries #0-#2 issue the certificates; #3 and #4 are claims on the first one."""
    claim_create(acting_user=buyer, certificate=issued[0], request=claim_request(2000))
    claim_create(acting_user=buyer, certificate=issued[0], request=claim_request(1000))
    return issued


def verify_fails(entry_index: int) -> str:
    """Run verify_ledger, which must fail naming entry #``entry_index``; its message."""
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", stdout=io.StringIO())
    message = str(failure.value)
    assert re.search(rf"entry #{entry_index} \(", message), message
    return message


def entry(index: int) -> LedgerEntry:
    return LedgerEntry.objects.get(index=index)


# --- An honest chain ------------------------------------------------------------------------


def test_verify_ledger_passes_on_a_fresh_chain_of_issues_and_claims(chain):
    output = io.StringIO()
    call_command("verify_ledger", stdout=output)
    assert "The ledger is valid: 5 entries checked" in output.getvalue()
    assert ledger.key_id() in output.getvalue()
    assert ledger.chain_verify() == (5, None)

    entries = list(LedgerEntry.objects.order_by("index"))
    assert [e.index for e in entries] == [0, 1, 2, 3, 4]
    assert [e.kind for e in entries] == ["issue", "issue", "issue", "claim", "claim"]
    assert [e.certificate_id for e in entries] == [c.pk for c in chain] + [chain[0].pk, chain[0].pk]
    assert entries[0].previous_hash == ledger.GENESIS_HASH
    for before, after in pairwise(entries):
        assert after.previous_hash == before.hash
    assert len({e.hash for e in entries}) == 5
    assert {e.key_id for e in entries} == {ledger.key_id()}
    assert entries[3].claim.amount_wh == 2000
    assert entries[3].payload["amountWh"] == 2000


def test_the_public_key_verifies_entries_offline_with_cryptography_alone(chain):
    """What an outsider does with the published key: rebuild each entry's canonical body, hash
    it, check the link to the previous entry and the Ed25519 signature."""
    public_key = serialization.load_pem_public_key(ledger.public_key_pem().encode())
    previous_hash = "0" * 64
    for row in LedgerEntry.objects.order_by("index"):
        body = {
            "index": row.index,
            "kind": row.kind,
            "certificateId": row.certificate_id,
            "payload": row.payload,
            "createdAt": row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "previousHash": row.previous_hash,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(canonical).hexdigest() == row.hash
        assert row.previous_hash == previous_hash
        public_key.verify(base64.b64decode(row.signature), bytes.fromhex(row.hash))  # raises if forged
        previous_hash = row.hash
    # The same check refuses a signature over another hash.
    with pytest.raises(InvalidSignature):
        public_key.verify(base64.b64decode(entry(0).signature), bytes.fromhex(entry(1).hash))


def test_an_issue_entry_records_what_was_issued(issued):
    certificate = issued[1]
    payload = certificate.ledger_entries.get(kind=EntryKind.ISSUE).payload
    assert payload["energyWh"] == 7000
    assert payload["country"] == "IND"
    assert payload["source"] == "ongoing"
    assert payload["generationStart"] == "2026-03-03T00:00:00Z"
    assert payload["generationEnd"] == "2026-03-04T00:00:00Z"
    # The digest of its contributions: SHA-256 over [device uid, start, end, Wh, reads] by device.
    rows = [
        [str(c.device.uid), ledger.moment(c.start), ledger.moment(c.end), c.energy_wh, c.reads]
        for c in certificate.contributions.order_by("device_id")
    ]
    assert payload["contributions"] == hashlib.sha256(ledger.canonical(rows)).hexdigest()


# --- Tampering ------------------------------------------------------------------------------


def test_an_altered_entry_payload_is_named(chain):
    ledger_trigger(enabled=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certificates_ledgerentry SET payload = jsonb_set(payload, '{energyWh}', '70000') WHERE index = 1"
        )
    ledger_trigger(enabled=True)
    message = verify_fails(1)
    assert "altered" in message
    assert "after 1 good entries" in message
    count, finding = ledger.chain_verify()
    assert count == 1
    assert finding.entry.index == 1


def test_an_altered_certificate_is_named_by_its_issue_entry(chain):
    # No trigger guards the certificates: the ledger must notice by itself.
    Certificate.objects.filter(pk=chain[2].pk).update(energy_wh=9000)
    message = verify_fails(2)
    assert "energyWh changed" in message
    assert f"certificate {chain[2].pk}" in message


def test_an_altered_contribution_is_named_by_its_certificates_issue_entry(chain):
    Contribution.objects.filter(certificate=chain[1]).update(energy_wh=F("energy_wh") + 1000)
    message = verify_fails(1)
    assert "contributions changed" in message


def test_an_altered_claim_is_named_by_its_entry(chain):
    Claim.objects.filter(amount_wh=1000).update(beneficiary="Someone else")
    message = verify_fails(4)
    assert "beneficiary changed" in message


def test_a_removed_entry_is_named(chain):
    ledger_trigger(enabled=False)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM certificates_ledgerentry WHERE index = 2")
    ledger_trigger(enabled=True)
    message = verify_fails(3)  # the entry after the gap
    assert "missing" in message


@pytest.mark.parametrize(
    ("removed_from", "reason"),
    [
        (4, "claim"),  # the last claim's entry
        (2, "the certificate has no issue entry"),  # the last certificate's entry and the claims'
        (0, "the certificate has no issue entry"),  # all of it
    ],
)
def test_a_ledger_cut_at_its_end_is_named_by_the_first_missing_entry(chain, removed_from, reason):
    """What is left is a valid chain; what it no longer records is not."""
    ledger_trigger(enabled=False)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM certificates_ledgerentry WHERE index >= %s", [removed_from])
    ledger_trigger(enabled=True)
    message = verify_fails(removed_from)
    assert "missing" in message
    assert reason in message
    assert ledger.chain_verify()[0] == removed_from


def test_a_broken_signature_is_named(chain):
    ledger_trigger(enabled=False)
    LedgerEntry.objects.filter(index=3).update(signature=base64.b64encode(bytes(64)).decode())
    ledger_trigger(enabled=True)
    message = verify_fails(3)
    assert "signature is not the issuer's" in message


def test_an_entry_rewritten_and_signed_with_another_key_is_named(chain):
    """A tamperer who changes the last entry and its certificate consistently, rehashes the
    entry (no later entry links to it) and signs with a key of their own."""
    last = entry(4)
    payload = {**last.payload, "amountWh": 3000}
    body = {
        "index": last.index,
        "kind": last.kind,
        "certificateId": last.certificate_id,
        "payload": payload,
        "createdAt": ledger.moment(last.created_at),
        "previousHash": last.previous_hash,
    }
    forged_hash = ledger.entry_hash(body)
    forged_signature = base64.b64encode(Ed25519PrivateKey.generate().sign(bytes.fromhex(forged_hash))).decode()
    Claim.objects.filter(pk=last.claim_id).update(amount_wh=3000)
    ledger_trigger(enabled=False)
    LedgerEntry.objects.filter(index=4).update(payload=payload, hash=forged_hash, signature=forged_signature)
    ledger_trigger(enabled=True)
    message = verify_fails(4)
    assert "signature is not the issuer's" in message


def test_the_database_refuses_to_change_or_remove_entries(chain):
    statements = [
        lambda: LedgerEntry.objects.filter(index=0).update(payload={}),
        lambda: LedgerEntry.objects.filter(index=4).delete(),
        lambda: connection.cursor().execute("UPDATE certificates_ledgerentry SET signature = '' WHERE index = 1"),
        lambda: connection.cursor().execute("DELETE FROM certificates_ledgerentry"),
    ]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    assert LedgerEntry.objects.count() == 5
    assert ledger.chain_verify() == (5, None)


def test_the_certificate_proof_checks_its_entries(chain):
    proof = ledger.certificate_verify(Certificate.objects.get(pk=chain[0].pk))
    assert proof["valid"]
    assert [check["entry"].index for check in proof["entries"]] == [0, 3, 4]
    Certificate.objects.filter(pk=chain[0].pk).update(claimed_wh=0)  # claims no longer add up
    assert not ledger.certificate_verify(Certificate.objects.get(pk=chain[0].pk))["valid"]


# --- Claims ---------------------------------------------------------------------------------


def test_a_partial_claim_then_a_claim_of_the_rest(issued, buyer):
    certificate = issued[0]
    first = claim_create(acting_user=buyer, certificate=certificate, request=claim_request(3000, country_code="ind"))
    certificate.refresh_from_db()
    assert (certificate.claimed_wh, certificate.unclaimed_wh) == (3000, 4000)
    assert first.country_id == "IND"
    assert first.claimed_by == buyer
    assert first.ledger_entry.kind == EntryKind.CLAIM
    assert first.ledger_entry.index == 3
    assert first.ledger_entry.payload["amountWh"] == 3000
    assert first.ledger_entry.payload["beneficiary"] == "Village school"

    second = claim_create(acting_user=buyer, certificate=certificate, request=claim_request(4000))
    certificate.refresh_from_db()
    assert (certificate.claimed_wh, certificate.unclaimed_wh) == (7000, 0)
    assert second.ledger_entry.index == 4
    assert ledger.chain_verify() == (5, None)


def test_an_over_claim_is_a_conflict_and_stores_nothing(issued, buyer):
    certificate = issued[0]
    claim_create(acting_user=buyer, certificate=certificate, request=claim_request(5000))
    entries, claims = LedgerEntry.objects.count(), Claim.objects.count()

    for amount in (2001, 10**12):
        with pytest.raises(Conflict) as refused:
            claim_create(acting_user=buyer, certificate=certificate, request=claim_request(amount))
        assert refused.value.status_code == 409
        assert "2000 Wh" in refused.value.message
    # A certificate never claimed: more than its energy.
    with pytest.raises(Conflict):
        claim_create(acting_user=buyer, certificate=issued[1], request=claim_request(7001))

    assert (LedgerEntry.objects.count(), Claim.objects.count()) == (entries, claims)
    certificate.refresh_from_db()
    assert certificate.claimed_wh == 5000
    assert Certificate.objects.get(pk=issued[1].pk).claimed_wh == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country_code": "XXX"}, "countryCode"),
        ({"amount_wh": 0}, "amount"),
        ({"amount_wh": -5}, "amount"),
        ({"period_start": T0 + DAY, "period_end": T0}, "periodEndDate"),
    ],
)
def test_invalid_claims_are_refused_with_400_and_store_nothing(issued, buyer, overrides, field):
    request = claim_request(overrides.pop("amount_wh", 1000), **overrides)
    with pytest.raises(InvalidInput) as refused:
        claim_create(acting_user=buyer, certificate=issued[0], request=request)
    assert refused.value.status_code == 400
    assert field in refused.value.errors
    assert Claim.objects.count() == 0
    assert LedgerEntry.objects.count() == 3
    assert Certificate.objects.get(pk=issued[0].pk).claimed_wh == 0


def test_the_database_keeps_claimed_within_energy(issued):
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=issued[0].pk).update(claimed_wh=F("energy_wh") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=issued[0].pk).update(claimed_wh=-1)
    Certificate.objects.filter(pk=issued[0].pk).update(claimed_wh=F("energy_wh"))  # all of it is fine


# --- The head: published, then checked (SPEC §13) -----------------------------------------------


def published_head(tmp_path, api_client) -> str:
    """The head as anyone gets it without logging in, saved as a file (published)."""
    response = api_client.get("/api/certificate-log/ledger/head")
    assert response.status_code == 200
    path = tmp_path / "head.json"
    path.write_text(json.dumps(response.json()))
    return str(path)


def test_the_head_is_the_newest_entry_signed(chain, api_client):
    head = api_client.get("/api/certificate-log/ledger/head").json()
    newest = entry(4)
    assert head == {
        "index": 4,
        "hash": newest.hash,
        "signature": newest.signature,
        "time": ledger.moment(newest.created_at),
        "keyId": ledger.key_id(),
    }
    ledger.public_key().verify(base64.b64decode(head["signature"]), bytes.fromhex(head["hash"]))


def test_an_empty_ledger_has_no_head(db, api_client):
    response = api_client.get("/api/certificate-log/ledger/head")
    assert response.status_code == 404
    assert response.json()["message"] == "The ledger has no entry yet."


def test_verify_ledger_finds_a_published_head_in_the_chain(chain, buyer, api_client, tmp_path):
    head = published_head(tmp_path, api_client)
    # Entries added since are fine: the head is still in the chain.
    claim_create(acting_user=buyer, certificate=chain[1], request=claim_request(1000))
    output = io.StringIO()
    call_command("verify_ledger", "--head", head, stdout=output)
    assert "The ledger is valid: 6 entries checked" in output.getvalue()
    assert "The published head (entry #4) is in the chain." in output.getvalue()


def test_verify_ledger_head_detects_removed_recent_entries_the_chain_alone_does_not(chain, api_client, tmp_path):
    """A tamperer removes the newest claim and its entry: what is left is a valid chain that
    records everything still there, and only the published head shows the cut."""
    head = published_head(tmp_path, api_client)
    last = entry(4)
    ledger_trigger(enabled=False)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM certificates_ledgerentry WHERE index = 4")
        cursor.execute("UPDATE certificates_certificate SET claimed_wh = claimed_wh - %s WHERE id = %s",
                       [last.claim.amount_wh, last.certificate_id])  # fmt: skip
        cursor.execute("DELETE FROM certificates_claim WHERE id = %s", [last.claim_id])
        cursor.execute(  # and the claimer's holding as it was (else the holdings show the cut)
            "UPDATE certificates_holding SET held_wh = held_wh + %s, claimed_wh = claimed_wh - %s "
            "WHERE certificate_id = %s AND organization_id = %s",
            [last.claim.amount_wh, last.claim.amount_wh, last.certificate_id, last.claim.organization_id],
        )
    ledger_trigger(enabled=True)
    call_command("verify_ledger", stdout=io.StringIO())  # the chain alone passes

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", "--head", head, stdout=io.StringIO())
    assert "entry #4 of the published head is missing: the chain now ends at entry #3" in str(failure.value)


def test_verify_ledger_head_refuses_a_head_not_signed_by_the_issuer(chain, api_client, tmp_path):
    head = published_head(tmp_path, api_client)
    forged = json.loads((tmp_path / "head.json").read_text()) | {"hash": "ab" * 32}
    (tmp_path / "head.json").write_text(json.dumps(forged))
    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", "--head", head, stdout=io.StringIO())
    assert "not a head signed with the issuer's key" in str(failure.value)

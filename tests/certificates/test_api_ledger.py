"""The public side of the ledger (SPEC §8): anyone, without logging in, gets the issuer's
Ed25519 public key and the entries and can check them with ``cryptography`` alone; the verify
endpoint says a certificate is valid, and not valid (naming the problem) once someone with
database access changed an entry, a certificate or a claim. And the admin's issuance trigger."""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db.models import F

from certificates.models import Certificate, Claim, LedgerEntry
from certificates.services import claim_create
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
from tests.organizations.helpers import assert_error

pytestmark = pytest.mark.django_db

KEY_URL = "/api/certificate-log/ledger/public-key"
LEDGER_URL = "/api/certificate-log/ledger"
RUN_URL = "/api/drec-issuer/run"
GENESIS = "0" * 64


def verify_url(certificate_id) -> str:
    return f"/api/certificate-log/verify/{certificate_id}"


def outsider_hash(entry: dict) -> str:
    """The hash as the public-key endpoint describes it, computed without the project's code."""
    body = {key: entry[key] for key in ("index", "kind", "certificateId", "payload", "createdAt", "previousHash")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def chain(developer, buyer):
    """Entries #0-#2 issue three daily certificates of 6,000 Wh; #3 claims 2,500 Wh of the first."""
    device = device_reading(developer, "LEDGER-1", count=72, value=250)
    reservation = reservation_make(buyer, [device], frequency="daily")
    assert issue(reservation, T0 + 3 * DAY) == [6000, 6000, 6000]
    issued = certificates(reservation)
    claim_create(acting_user=buyer, certificate=issued[0], request=claim_request(2500))
    return issued


def public_key(api_client) -> Ed25519PublicKey:
    response = api_client.get(KEY_URL)
    assert response.status_code == 200
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(response.json()["publicKey"]))


# --- Key and entries, checked by an outsider -----------------------------------------------------


def test_the_public_key_is_public_in_two_forms(chain, api_client):
    response = api_client.get(KEY_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    raw = base64.b64decode(body["publicKey"])
    assert len(raw) == 32
    from_pem = serialization.load_pem_public_key(body["publicKeyPem"].encode())
    assert from_pem.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw
    assert body["keyId"] == hashlib.sha256(raw).hexdigest()[:16]
    assert {entry.key_id for entry in LedgerEntry.objects.all()} == {body["keyId"]}
    assert "PRIVATE" not in response.content.decode()


def test_an_outsider_checks_every_entry_with_the_public_key(chain, api_client):
    key = public_key(api_client)
    response = api_client.get(LEDGER_URL)
    assert response.status_code == 200
    entries = response.json()["entries"]
    assert [(e["index"], e["kind"]) for e in entries] == [(0, "issue"), (1, "issue"), (2, "issue"), (3, "claim")]
    previous = GENESIS
    for entry in entries:
        assert entry["previousHash"] == previous
        assert outsider_hash(entry) == entry["hash"]
        key.verify(base64.b64decode(entry["signature"]), bytes.fromhex(entry["hash"]))
        previous = entry["hash"]
    issue_entry, claim_entry = entries[0], entries[3]
    assert issue_entry["payload"]["energyWh"] == 6000
    assert issue_entry["payload"]["certificateTransactionUID"] == str(chain[0].uid)
    assert (claim_entry["certificateId"], claim_entry["payload"]["amountWh"]) == (chain[0].pk, 2500)


def test_the_entries_page_from_an_index(chain, api_client):
    def indexes(**query) -> list[int]:
        response = api_client.get(LEDGER_URL, query)
        assert response.status_code == 200
        return [entry["index"] for entry in response.json()["entries"]]

    assert indexes(fromIndex=2) == [2, 3]
    assert indexes(fromIndex=1, limit=2) == [1, 2]
    assert indexes(fromIndex=9) == []
    assert indexes(limit=1) == [0]
    assert_error(api_client.get(LEDGER_URL, {"limit": "many"}), 400, "limit")


# --- The verify endpoint -----------------------------------------------------------------------


def test_verify_says_valid_for_an_honest_certificate(chain, buyer, api_client):
    certificate = chain[0]
    response = api_client.get(verify_url(certificate.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["keyId"] == api_client.get(KEY_URL).json()["keyId"]
    assert body["certificate"]["internalCertificateId"] == certificate.pk
    assert body["certificate"]["buyerReservationId"] == str(certificate.reservation.uid)
    assert (body["certificate"]["energyWh"], body["certificate"]["claimedWh"]) == (6000, 2500)
    assert body["certificate"]["owner"] == f"drec:org:{buyer.organization_id}"
    assert [(e["index"], e["kind"], e["valid"], e["problem"]) for e in body["entries"]] == [
        (0, "issue", True, None),
        (3, "claim", True, None),
    ]
    assert body["problems"] == []
    second = api_client.get(verify_url(chain[1].pk)).json()
    assert (second["valid"], [e["index"] for e in second["entries"]]) == (True, [1])


def test_verify_ignores_credentials_and_answers_404_for_an_unknown_certificate(chain, api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get(verify_url(chain[0].pk)).json()["valid"] is True
    assert api_client.get(KEY_URL).status_code == 200
    assert_error(api_client.get(verify_url(999_999)), 404)


def test_verify_names_an_altered_entry(chain, api_client):
    ledger_trigger(False)
    entry = LedgerEntry.objects.get(index=0)
    entry.payload["energyWh"] = 9000
    entry.save(update_fields=["payload"])
    ledger_trigger(True)
    body = api_client.get(verify_url(chain[0].pk)).json()
    assert body["valid"] is False
    problems = {e["index"]: e["problem"] for e in body["entries"]}
    assert "altered" in problems[0]
    assert problems[3] is None
    assert body["problems"] == [f"entry #0: {problems[0]}"]
    # The next certificate's entry still chains to the stored hash: it stays valid.
    assert api_client.get(verify_url(chain[1].pk)).json()["valid"] is True


def test_verify_names_a_certificate_changed_behind_the_ledger(chain, api_client):
    Certificate.objects.filter(pk=chain[1].pk).update(energy_wh=F("energy_wh") * 10)
    body = api_client.get(verify_url(chain[1].pk)).json()
    assert body["valid"] is False
    (entry,) = body["entries"]
    assert entry["valid"] is False
    assert "energyWh" in entry["problem"]
    assert "certificate no longer matches" in entry["problem"]


def test_verify_names_a_changed_claim(chain, api_client):
    Claim.objects.update(beneficiary="Someone else")
    body = api_client.get(verify_url(chain[0].pk)).json()
    assert body["valid"] is False
    problems = {e["kind"]: e["problem"] for e in body["entries"]}
    assert problems["issue"] is None
    assert "beneficiary" in problems["claim"]


def test_verify_names_a_replaced_signature(chain, api_client):
    other = LedgerEntry.objects.get(index=1).signature
    ledger_trigger(False)
    LedgerEntry.objects.filter(index=2).update(signature=other)
    ledger_trigger(True)
    body = api_client.get(verify_url(chain[2].pk)).json()
    assert body["valid"] is False
    assert "signature" in body["entries"][0]["problem"]


# --- The admin's issuance run ------------------------------------------------------------------


def test_only_the_super_admin_runs_the_issuance(developer, buyer, request, api_client, client_for, grant):
    device = device_reading(developer, "DUE-1", count=48, value=500)
    reservation = reservation_make(buyer, [device], frequency="daily")
    api_user = request.getfixturevalue("api_user")
    grant(api_user, "CERTIFICATE_LOG_MANAGEMENT_CRUDL", "Read")
    grant(api_user, "BUYER_RESERVATION_MANAGEMENT_CRUDL", "Read", "Write", "Update", "Delete")
    for persona in ("buyer", "sub_buyer", "developer_admin", "device_owner"):
        assert_error(client_for(request.getfixturevalue(persona)).post(RUN_URL), 403)
    assert_error(client_for(api_user).post(RUN_URL), 403)
    assert_error(api_client.post(RUN_URL), 401)
    assert not Certificate.objects.exists()

    admin = client_for(request.getfixturevalue("admin_user"))
    response = admin.post(RUN_URL)
    assert response.status_code == 200
    assert response.json() == {"success": True, "issued": 2}
    assert list(reservation.certificates.order_by("id").values_list("energy_wh", flat=True)) == [12000, 12000]
    # Nothing is due any more: a second run issues nothing.
    assert admin.post(RUN_URL).json()["issued"] == 0
    assert Certificate.objects.count() == 2


def test_verify_names_a_claimed_volume_changed_behind_the_ledger(chain, api_client):
    """Un-claiming in the database (claimed volume back to 0): the claims on the ledger say otherwise."""
    Certificate.objects.filter(pk=chain[0].pk).update(claimed_wh=0)
    body = api_client.get(verify_url(chain[0].pk)).json()
    assert body["valid"] is False
    assert any("claim" in problem for problem in body["problems"]), body


def test_verify_names_a_removed_entry(chain, api_client):
    ledger_trigger(False)
    LedgerEntry.objects.filter(index=1).delete()
    ledger_trigger(True)
    gone = api_client.get(verify_url(chain[1].pk)).json()
    assert (gone["valid"], gone["entries"]) == (False, [])
    assert any("ledger" in problem for problem in gone["problems"]), gone
    after = api_client.get(verify_url(chain[2].pk)).json()
    assert after["valid"] is False
    assert "missing" in after["entries"][0]["problem"]
    assert after["problems"] == ["entry #2: " + after["entries"][0]["problem"]]

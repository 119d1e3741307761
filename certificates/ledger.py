"""The ledger: an append-only chain of entries (issue, claim, transfer), each holding the
hash of the previous one and its own hash over a canonical serialisation, signed with the
platform's Ed25519 issuer key. Anyone with the public key can check a certificate, or the
whole chain, offline (``manage.py verify_ledger``).

The key comes from ``DREC_LEDGER_PRIVATE_KEY`` (PEM), else from the file
``DREC_LEDGER_KEY_FILE``, which is created (mode 0600) on first use. Keep a backup of it: a
lost key cannot sign again, a leaked one can forge entries.
"""

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import cast
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from certificates.models import Certificate, Claim, EntryKind, Holding, LedgerEntry, Transfer, Withdrawal

GENESIS_HASH = "0" * 64
LEDGER_LOCK = 0x0D4EC1ED  # the advisory lock serialising appends


def canonical(value) -> bytes:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@lru_cache(maxsize=4096)
def moment(value: datetime) -> str:
    """An instant as the ledger writes it (UTC, ``Z``). Cached: an issuing batch formats the
    same few window bounds tens of thousands of times (0.15 s of 720k reads' issuance)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=65536)
def _uid_text(uid: UUID) -> str:
    return str(uid)  # (cached as ``moment``: each device's uid once per batch, not per share)


# --- The issuer key --------------------------------------------------------------------------


@cache
def issuer_key() -> Ed25519PrivateKey:
    pem = settings.DREC_LEDGER_PRIVATE_KEY
    if pem:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    else:
        key_file = settings.DREC_LEDGER_KEY_FILE
        if not key_file:
            raise ImproperlyConfigured("Set DREC_LEDGER_PRIVATE_KEY or DREC_LEDGER_KEY_FILE (the issuer key).")
        path = Path(key_file).expanduser()
        if not path.exists():
            _key_file_create(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("The ledger issuer key must be an Ed25519 private key.")
    return key


def _key_file_create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created with 0600 from the start; O_EXCL: two processes starting together keep one key.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)


def public_key() -> Ed25519PublicKey:
    return issuer_key().public_key()


def public_key_raw(key: Ed25519PublicKey | None = None) -> bytes:
    return (key or public_key()).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem() -> str:
    return (
        public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )


def key_id(key: Ed25519PublicKey | None = None) -> str:
    """A short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key_raw(key)).hexdigest()[:16]


# --- Entries ---------------------------------------------------------------------------------


def entry_body(*, index: int, kind: str, certificate_id: int, payload: dict, created_at: str, previous_hash: str):
    """What an entry's hash covers."""
    return {
        "index": index,
        "kind": kind,
        "certificateId": certificate_id,
        "payload": payload,
        "createdAt": created_at,
        "previousHash": previous_hash,
    }


def entry_hash(body: dict) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def _body_of(entry: LedgerEntry) -> dict:
    return entry_body(
        index=entry.index,
        kind=entry.kind,
        certificate_id=entry.certificate_id,
        payload=entry.payload,
        created_at=moment(entry.created_at),
        previous_hash=entry.previous_hash,
    )


def contributions_digest(rows) -> str:
    """SHA-256 over per-device contributions: (device uid, start, end, Wh, reads), by device."""
    return hashlib.sha256(
        canonical([[_uid_text(uid), moment(start), moment(end), wh, reads] for uid, start, end, wh, reads in rows])
    ).hexdigest()


def stored_contributions(certificate: Certificate) -> list[tuple]:
    return list(
        certificate.contributions.order_by("device_id").values_list("device__uid", "start", "end", "energy_wh", "reads")
    )


def issue_payload(certificate: Certificate, contributions: list[tuple] | None = None) -> dict:
    """What an issue entry records; ``contributions`` as ``stored_contributions`` gives them
    (read from the database when not given)."""
    rows = stored_contributions(certificate) if contributions is None else contributions
    return {
        "certificateTransactionUID": str(certificate.uid),
        "buyerReservationId": str(certificate.reservation.uid),
        "owner": account_of(certificate.owner_id),
        "country": certificate.country_id,
        "source": certificate.source,
        "energyWh": certificate.energy_wh,
        "generationStart": moment(certificate.generation_start),
        "generationEnd": moment(certificate.generation_end),
        "contributions": contributions_digest(rows),
    }


def claim_payload(claim: Claim) -> dict:
    return {
        "claimId": claim.pk,
        "amountWh": claim.amount_wh,
        "claimer": account_of(claim.organization_id),
        "beneficiary": claim.beneficiary,
        "location": claim.location,
        "countryCode": claim.country_id,
        "periodStartDate": moment(claim.period_start),
        "periodEndDate": moment(claim.period_end),
        "purpose": claim.purpose,
    }


def transfer_payload(transfer: Transfer) -> dict:
    return {
        "transferId": transfer.pk,
        "amountWh": transfer.amount_wh,
        "from": account_of(transfer.sender_id),
        "to": account_of(transfer.receiver_id),
    }


def withdrawal_payload(withdrawal: Withdrawal, taken: dict[int, int]) -> dict:
    """``taken``: the Wh withdrawn from each holder (organization id), as the holdings show."""
    return {
        "withdrawalId": withdrawal.pk,
        "amountWh": withdrawal.amount_wh,
        "reason": withdrawal.reason,
        "from": {account_of(organization_id): wh for organization_id, wh in sorted(taken.items())},
    }


def account_of(organization_id: int) -> str:
    """The registry account of an organization (the original's owner "address")."""
    return f"drec:org:{organization_id}"


def append(
    *,
    kind: str,
    certificate: Certificate,
    payload: dict,
    claim: Claim | None = None,
    transfer: Transfer | None = None,
    withdrawal: Withdrawal | None = None,
) -> LedgerEntry:
    """Append a signed entry; call inside the transaction that makes what it records."""
    links = {"transfer": transfer, "withdrawal": withdrawal}
    return append_many(kind=kind, records=[(certificate, payload, claim)], links=links)[0]


def append_many(
    *, kind: str, records: list[tuple[Certificate, dict, Claim | None]], links: dict | None = None
) -> list[LedgerEntry]:
    """Append one signed entry per (certificate, payload, claim), in that order, in one
    statement (an issuing batch records its certificates together); call inside the
    transaction that makes what they record. ``links``: the entry's transfer or withdrawal."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK])
    last = LedgerEntry.objects.order_by("-index").only("index", "hash").first()
    index = last.index + 1 if last else 0
    previous_hash = last.hash if last else GENESIS_HASH
    created_at = timezone.now()
    signer, signer_id = issuer_key(), key_id()
    entries = []
    for certificate, payload, claim in records:
        body = entry_body(
            index=index,
            kind=kind,
            certificate_id=certificate.pk,
            payload=payload,
            created_at=moment(created_at),
            previous_hash=previous_hash,
        )
        digest = entry_hash(body)
        entries.append(
            LedgerEntry(
                index=index,
                kind=kind,
                certificate=certificate,
                claim=claim,
                payload=payload,
                created_at=created_at,
                previous_hash=previous_hash,
                hash=digest,
                signature=base64.b64encode(signer.sign(bytes.fromhex(digest))).decode(),
                key_id=signer_id,
                **(links or {}),
            )
        )
        index, previous_hash = index + 1, digest
    return LedgerEntry.objects.bulk_create(entries)


# --- Verification ----------------------------------------------------------------------------


@dataclass
class Finding:
    entry: LedgerEntry
    reason: str

    def __str__(self) -> str:
        return (
            f"entry #{self.entry.index} ({self.entry.kind} of certificate {self.entry.certificate_id}): {self.reason}"
        )


def entry_problem(entry: LedgerEntry, previous: LedgerEntry | None, key: Ed25519PublicKey) -> str | None:
    """Why ``entry`` is not a valid successor of ``previous`` (None: it is)."""
    expected_index = previous.index + 1 if previous else 0
    if entry.index != expected_index:
        return f"index {entry.index} where {expected_index} was expected (an entry is missing)"
    if entry.previous_hash != (previous.hash if previous else GENESIS_HASH):
        return "it does not chain to the previous entry's hash"
    if entry_hash(_body_of(entry)) != entry.hash:
        return "its content does not match its hash (it was altered)"
    try:
        key.verify(base64.b64decode(entry.signature), bytes.fromhex(entry.hash))
    except (InvalidSignature, ValueError):
        return "its signature is not the issuer's"
    return record_problem(entry)


def record_problem(entry: LedgerEntry) -> str | None:
    """Whether the certificate, claim, transfer or withdrawal in the database still says what
    the entry recorded."""
    payload = entry.payload
    if entry.kind == EntryKind.ISSUE:
        recorded = issue_payload(Certificate.objects.select_related("reservation").get(pk=entry.certificate_id))
        return _changed("certificate", payload, recorded, payload)
    if entry.kind == EntryKind.CLAIM and entry.claim_id is not None:
        recorded = claim_payload(Claim.objects.select_related("certificate").get(pk=entry.claim_id))
        return _changed("claim", payload, recorded, payload)
    if entry.kind == EntryKind.TRANSFER:
        transfer = Transfer.objects.filter(pk=entry.transfer_id or 0).first()
        if transfer is None:
            return "its transfer is missing"
        recorded = transfer_payload(transfer)
        return _changed("transfer", payload, recorded, recorded)
    if entry.kind == EntryKind.WITHDRAWAL:
        withdrawal = Withdrawal.objects.filter(pk=entry.withdrawal_id or 0).first()
        if withdrawal is None:
            return "its withdrawal is missing"
        recorded = withdrawal_payload(withdrawal, {})  # (its holders' shares: the Holdings replay checks them)
        return _changed("withdrawal", payload, recorded, [key for key in recorded if key != "from"])
    return None


def _changed(what: str, payload: dict, recorded: dict, keys) -> str | None:
    """Which of ``keys`` the database (``recorded``) no longer says as the entry's payload does."""
    changed = sorted(key for key in keys if payload.get(key) != recorded.get(key))
    return f"the {what} no longer matches it ({', '.join(changed)} changed)" if changed else None


class Holdings:
    """What each account holds and has claimed of each certificate, replayed from ledger
    entries in order: what the ``Holding`` rows must say (SPEC §13)."""

    def __init__(self) -> None:
        self.held: dict[tuple[int, str], int] = {}
        self.claimed: dict[tuple[int, str], int] = {}

    def _move(self, book: dict, certificate_id: int, account: str, wh: int) -> None:
        book[certificate_id, account] = book.get((certificate_id, account), 0) + wh

    def replay(self, entry: LedgerEntry) -> str | None:
        """Apply one entry; why it cannot be applied (spends more than was held), or None."""
        payload, certificate = entry.payload, entry.certificate_id
        if entry.kind == EntryKind.ISSUE:
            self._move(self.held, certificate, payload["owner"], payload["energyWh"])
            return None
        spent: dict[str, int] = {}
        if entry.kind == EntryKind.CLAIM:
            spent = {payload["claimer"]: payload["amountWh"]}
            self._move(self.claimed, certificate, payload["claimer"], payload["amountWh"])
        elif entry.kind == EntryKind.TRANSFER:
            spent = {payload["from"]: payload["amountWh"]}
            self._move(self.held, certificate, payload["to"], payload["amountWh"])
        elif entry.kind == EntryKind.WITHDRAWAL:
            spent = dict(payload["from"])
            if sum(spent.values()) != payload["amountWh"]:
                return "its holders' shares do not add up to the volume withdrawn"
        for account, wh in spent.items():
            if self.held.get((certificate, account), 0) < wh:
                return f"{account} spends {wh} Wh of certificate {certificate} it did not hold"
            self._move(self.held, certificate, account, -wh)
        return None

    def problem(self, certificate_ids: set[int] | None = None) -> str | None:
        """Whether the stored holdings (of ``certificate_ids``, or all) say what was replayed."""
        stored = (
            Holding.objects.all()
            if certificate_ids is None
            else Holding.objects.filter(certificate_id__in=certificate_ids)
        )
        found: dict[tuple[int, str], tuple[int, int]] = {}
        for certificate_id, organization_id, held, claimed in stored.values_list(
            "certificate_id", "organization_id", "held_wh", "claimed_wh"
        ).iterator(chunk_size=2000):
            found[certificate_id, account_of(organization_id)] = (held, claimed)
        keys = set(self.held) | set(self.claimed) | set(found)
        for key in sorted(keys):
            replayed = (self.held.get(key, 0), self.claimed.get(key, 0))
            if found.get(key, (0, 0)) != replayed:
                certificate_id, account = key
                return (
                    f"the holding of {account} in certificate {certificate_id} says {found.get(key, (0, 0))} "
                    f"(held, claimed Wh) where the ledger gives {replayed}"
                )
        return None


def chain_verify(entries=None, key: Ed25519PublicKey | None = None) -> tuple[int, Finding | None]:
    """Check the whole chain in order; (entries checked, the first bad one or None). For the
    whole table, also that every certificate and claim is on it (a chain cut at its end is
    still a valid chain: the first missing entry is then the bad one)."""
    key = key or public_key()
    whole = entries is None
    entries = LedgerEntry.objects.order_by("index").iterator(chunk_size=500) if whole else entries
    previous, count = None, 0
    holdings = Holdings()
    for entry in entries:
        problem = entry_problem(entry, previous, key) or holdings.replay(entry)
        if problem:
            return count, Finding(entry, problem)
        previous, count = entry, count + 1
    if not whole:
        return count, None
    return count, _unrecorded(count) or _holdings_finding(holdings)


def _holdings_finding(holdings: Holdings) -> Finding | None:
    """Stored holdings that are not what the whole ledger gives, named by the certificate's
    newest entry."""
    problem = holdings.problem()
    if problem is None:
        return None
    certificate_id = int(problem.split(" in certificate ", 1)[1].split(" ", 1)[0])
    newest = LedgerEntry.objects.filter(certificate_id=certificate_id).order_by("-index").first()
    return Finding(newest or LedgerEntry(index=-1, kind="-", certificate_id=certificate_id), problem)


def _unrecorded(next_index: int) -> Finding | None:
    """A certificate without its issue entry or a claim without its entry (each is written in
    the transaction of its entry): named as the entry expected next, which is missing."""
    certificate = Certificate.objects.exclude(ledger_entries__kind=EntryKind.ISSUE).order_by("pk").first()
    if certificate is not None:
        missing = LedgerEntry(index=next_index, kind=EntryKind.ISSUE, certificate_id=certificate.pk)
        return Finding(missing, "it is missing: the certificate has no issue entry (the ledger was cut)")
    for kind, model in ((EntryKind.CLAIM, Claim), (EntryKind.TRANSFER, Transfer), (EntryKind.WITHDRAWAL, Withdrawal)):
        record = model.objects.filter(ledger_entry__isnull=True).order_by("pk").first()
        if record is not None:
            missing = LedgerEntry(index=next_index, kind=kind, certificate_id=record.certificate_id)
            return Finding(missing, f"it is missing: {kind} {record.pk} has no entry (the ledger was cut)")
    return None


# --- The head: the newest entry, published so that removing recent entries shows --------------


def head() -> dict | None:
    """The newest entry's index, hash, signature and time (None: no entry yet): publish it
    somewhere outside the database from time to time (SPEC §13)."""
    newest = LedgerEntry.objects.order_by("-index").only("index", "hash", "signature", "created_at", "key_id").first()
    if newest is None:
        return None
    return {
        "index": newest.index,
        "hash": newest.hash,
        "signature": newest.signature,
        "time": moment(newest.created_at),
        "keyId": newest.key_id,
    }


def head_problem(published: dict, key: Ed25519PublicKey | None = None) -> str | None:
    """Why a head published earlier is no longer in the chain (None: it is): its entry is
    missing (removed, the chain cut before it) or is another entry now. Its signature is checked
    first, so that a forged head is not taken for a removed entry."""
    try:
        index, digest, signature = int(published["index"]), str(published["hash"]), str(published["signature"])
        (key or public_key()).verify(base64.b64decode(signature), bytes.fromhex(digest))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return "the published head is not a head signed with the issuer's key (index, hash, signature)"
    entry = LedgerEntry.objects.filter(index=index).only("hash").first()
    if entry is None:
        newest = LedgerEntry.objects.order_by("-index").values_list("index", flat=True).first()
        return (
            f"entry #{index} of the published head is missing: the chain now ends at "
            f"{'no entry' if newest is None else f'entry #{newest}'} (recent entries were removed)"
        )
    if entry.hash != digest:
        return f"entry #{index} is not the one the published head names (its hash differs): the chain was rewritten"
    return None


def certificate_verify(certificate: Certificate) -> dict:
    """The proof of one certificate: its entries, each checked against its predecessor and
    the key, and whether the certificate still says what its issue entry recorded."""
    key = public_key()
    checks = []
    for entry in certificate.ledger_entries.order_by("index"):
        previous = LedgerEntry.objects.filter(index=entry.index - 1).first() if entry.index else None
        problem = entry_problem(entry, previous, key)
        checks.append({"entry": entry, "valid": problem is None, "problem": problem})
    claimed = sum(c.amount_wh for c in certificate.claims.all())
    holdings = Holdings()
    for check in checks:
        replayed = holdings.replay(cast(LedgerEntry, check["entry"]))
        if replayed and check["valid"]:
            check.update(valid=False, problem=replayed)
    # (against entries that verify: an altered one is the problem already named)
    holdings_problem = holdings.problem({certificate.pk}) if all(check["valid"] for check in checks) else None
    valid = (
        bool(checks)
        and all(check["valid"] for check in checks)
        and claimed == certificate.claimed_wh
        and holdings_problem is None
    )
    return {"valid": valid, "entries": checks, "keyId": key_id(key), "holdings": holdings_problem}

"""Certificates as both doors show them: the original's certificate-log item (with the ledger
proof), a claim, a ledger entry, a row of the redemption report, and why a certificate does not
verify. The API answers them as JSON; the portal's pages show the same dicts."""

from django.utils import timezone

from certificates import ledger
from devices.formats import capacity_range, commissioning_date_range
from drec.formats import iso

OTHER_DEVICES = "Other Devices"


def unix(moment) -> int:
    return int(moment.timestamp())


def claim_json(claim, entry=None) -> dict:
    return {
        "id": claim.pk,
        "value": str(claim.amount_wh),
        "claimData": {
            "beneficiary": claim.beneficiary,
            "location": claim.location,
            "countryCode": claim.country_id,
            "periodStartDate": iso(claim.period_start),
            "periodEndDate": iso(claim.period_end),
            "purpose": claim.purpose,
        },
        "createdAt": iso(claim.created_at),
        "ledgerIndex": entry.index if entry else None,
    }


def certificate_json(certificate, *, developer=None) -> dict:
    """A certificate as the original's certificate log item, plus its ledger proof. In a
    developer's view the shares of other organizations' devices are one "Other Devices" row."""
    reservation = certificate.reservation
    holdings = list(certificate.holdings.all())
    entries = list(certificate.ledger_entries.all())
    issue = next((entry for entry in entries if entry.kind == "issue"), None)
    claim_entries = {entry.claim_id: entry for entry in entries if entry.claim_id}
    contributions = list(certificate.contributions.all())
    return {
        "createdAt": iso(certificate.created_at),
        "internalCertificateId": certificate.pk,
        "blockchainCertificateId": None,
        "deviceId": str(reservation.pk),
        "generationStartTime": unix(certificate.generation_start),
        "generationEndTime": unix(certificate.generation_end),
        "creationTime": unix(certificate.created_at),
        # Who holds what (SPEC §13: transfers move it), unclaimed and claimed, by account.
        "owners": {
            ledger.account_of(h.organization_id): str(h.held_wh)
            for h in holdings
            if h.held_wh or h.organization_id == certificate.owner_id  # (the buyer's, as the original: even 0)
        },
        "claimers": {ledger.account_of(h.organization_id): str(h.claimed_wh) for h in holdings if h.claimed_wh},
        "claims": [claim_json(claim, claim_entries.get(claim.pk)) for claim in certificate.claims.all()],
        "creationBlockHash": "",
        "metadata": {
            "version": "v1.0",
            "buyerReservationId": str(reservation.uid),
            "isStandardIssuanceRequested": "I-REC",
            "type": "REC",
            "deviceIds": [c.device_id for c in contributions],
            "groupId": str(reservation.pk),
            "certificateTransactionUID": str(certificate.uid),
        },
        "isSynced": issue is not None,
        "transactions": [],
        "updatedAt": iso(certificate.created_at),
        "certificateStartDate": iso(certificate.generation_start),
        "certificateEndDate": iso(certificate.generation_end),
        "energyWh": certificate.energy_wh,
        "claimedWh": certificate.claimed_wh,
        "withdrawnWh": certificate.withdrawn_wh,
        "countryCode": certificate.country_id,
        "source": certificate.source,
        "reservationName": reservation.name,
        "ledgerIndex": issue.index if issue else None,
        "hash": issue.hash if issue else None,
        "signature": issue.signature if issue else None,
        "perDeviceCertificateLog": _per_device(certificate, contributions, developer),
    }


def _per_device(certificate, contributions, developer) -> list[dict]:
    ours = [c for c in contributions if developer is None or c.device.organization_id == developer.pk]
    others = [c for c in contributions if c not in ours]
    rows = [_contribution_json(certificate, c) for c in ours]
    if others:
        row = _contribution_json(certificate, others[0])
        row.update(
            {
                "id": 0,
                "deviceId": 0,
                "externalId": OTHER_DEVICES,
                "timezone": None,
                "reads": sum(c.reads for c in others),
                "readvalue_watthour": sum(c.energy_wh for c in others),
                "certificate_issuance_startdate": iso(min(c.start for c in others)),
                "certificate_issuance_enddate": iso(max(c.end for c in others)),
            }
        )
        rows.append(row)
    return rows


def _contribution_json(certificate, contribution) -> dict:
    device = contribution.device
    ongoing = certificate.source == "ongoing"
    return {
        "createdAt": iso(certificate.created_at),
        "updatedAt": iso(certificate.created_at),
        "id": contribution.pk,
        "certificate_issuance_startdate": iso(contribution.start),
        "certificate_issuance_enddate": iso(contribution.end),
        "readvalue_watthour": contribution.energy_wh,
        "reads": contribution.reads,
        "status": "Succeeded",
        "externalId": device.external_id,
        "deviceId": device.pk,
        "groupId": certificate.reservation_id,
        "certificateTransactionUID": str(certificate.uid),
        "ongoing_start_date": iso(certificate.window_start) if ongoing else None,
        "ongoing_end_date": iso(certificate.window_end) if ongoing else None,
        "timezone": device.timezone or (device.country.timezones[0] if device.country.timezones else "UTC"),
    }


def redemption_row(claim) -> dict:
    certificate = claim.certificate
    devices = [c.device for c in certificate.contributions.all()]
    today = timezone.localdate()
    return {
        "compliance": "I-REC",
        "certificateId": certificate.pk,
        # (a received certificate's reservation is the sender's: not the receiver's to see)
        "reservationName": certificate.reservation.name if claim.organization_id == certificate.owner_id else None,
        "fuelCode": sorted({d.fuel_code_id for d in devices}),
        "country": sorted({d.country.name for d in devices}),
        "capacityRange": capacity_range(sum(d.capacity for d in devices)),
        "offTakers": sorted({d.off_taker_id for d in devices if d.off_taker_id}),
        "commissioningDateRange": sorted({commissioning_date_range(d.commissioning_date, today) for d in devices}),
        "redemptionDate": iso(claim.created_at),
        "certifiedEnergy": claim.amount_wh / 1_000_000,
        "beneficiary": claim.beneficiary,
        "beneficiary_address": claim.location,
        "claimCoiuntryCode": claim.country_id,
        "purpose": claim.purpose,
        "periodStartDate": iso(claim.period_start),
        "periodEndDate": iso(claim.period_end),
    }


def entry_json(entry) -> dict:
    return {
        "index": entry.index,
        "kind": entry.kind,
        "certificateId": entry.certificate_id,
        "payload": entry.payload,
        "createdAt": ledger.moment(entry.created_at),
        "previousHash": entry.previous_hash,
        "hash": entry.hash,
        "signature": entry.signature,
        "keyId": entry.key_id,
    }


def proof_problems(certificate, proof) -> list[str]:
    """Why a certificate does not verify, in words (empty when it does): a bad entry, no entry
    at all, or a claimed volume that its claims do not add up to."""
    problems = [f"entry #{check['entry'].index}: {check['problem']}" for check in proof["entries"] if check["problem"]]
    if not proof["entries"]:
        problems.append("no ledger entry records this certificate")
    claimed = sum(claim.amount_wh for claim in certificate.claims.all())
    if claimed != certificate.claimed_wh:
        problems.append(
            f"its claimed volume ({certificate.claimed_wh} Wh) is not what its claims add up to ({claimed} Wh)"
        )
    if proof.get("holdings"):
        problems.append(proof["holdings"])
    return problems

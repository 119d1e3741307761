"""Claims: a buyer (or its api user) retires all or part of a certificate for a
beneficiary; the claim is recorded on the ledger, and claimed volume cannot be claimed again."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from accounts.models import User
from certificates import ledger
from certificates.models import Certificate, Claim, EntryKind
from certificates.services.lifecycle import holding_lock
from devices.models import Country
from drec.errors import Conflict, InvalidInput
from webhooks import events


@dataclass
class ClaimRequest:
    amount_wh: int
    beneficiary: str
    location: str
    country_code: str
    period_start: datetime
    period_end: datetime
    purpose: str

    @classmethod
    def of(cls, fields: dict[str, Any], *, period_start: datetime, period_end: datetime) -> "ClaimRequest":
        """A claim from its fields under their wire names (the API's body, the portal's form),
        text trimmed; the period as the door reads it."""
        return cls(
            amount_wh=fields["amount"],
            beneficiary=fields["beneficiary"].strip(),
            location=fields["location"].strip(),
            country_code=fields["countryCode"],
            period_start=period_start,
            period_end=period_end,
            purpose=fields["purpose"].strip(),
        )


@transaction.atomic
def claim_create(
    *, acting_user: User, certificate: Certificate, request: ClaimRequest, organization_id: object = None
) -> Claim:
    """Retire ``amount_wh`` of the caller's holding of the certificate for a beneficiary
    (never more than it holds unclaimed), recorded on the ledger. ``organization_id``: which
    of the caller's organizations claims, when several hold the certificate."""
    holding = holding_lock(user=acting_user, certificate=certificate, organization_id=organization_id)
    certificate = holding.certificate
    if request.amount_wh <= 0:
        raise InvalidInput("amount must be a whole number of Wh above 0.", errors={"amount": ["Must be above 0."]})
    if request.period_start > request.period_end:
        raise InvalidInput(
            "periodStartDate must not be after periodEndDate.", errors={"periodEndDate": ["Before periodStartDate."]}
        )
    country = Country.objects.filter(alpha3=request.country_code.strip().upper()).first()
    if country is None:
        raise InvalidInput(
            f"countryCode: unknown country {request.country_code!r}; use ISO 3166 alpha-3.",
            errors={"countryCode": ["Unknown."]},
        )
    if request.amount_wh > holding.held_wh:
        raise Conflict(
            f"Only {holding.held_wh} Wh of certificate {certificate.pk} are unclaimed"
            f"{'' if holding.organization_id == certificate.owner_id else f' in {holding.organization.name}'}; "
            f"{request.amount_wh} Wh cannot be claimed.",
            errors={"amount": [f"At most {holding.held_wh} Wh."]},
        )
    claim = Claim.objects.create(
        certificate=certificate,
        organization=holding.organization,
        amount_wh=request.amount_wh,
        beneficiary=request.beneficiary,
        location=request.location,
        country=country,
        period_start=request.period_start,
        period_end=request.period_end,
        purpose=request.purpose,
        claimed_by=acting_user,
    )
    holding.held_wh -= request.amount_wh
    holding.claimed_wh += request.amount_wh
    holding.save(update_fields=["held_wh", "claimed_wh"])
    certificate.claimed_wh += request.amount_wh
    certificate.save(update_fields=["claimed_wh"])
    claim.certificate = certificate
    ledger.append(kind=EntryKind.CLAIM, certificate=certificate, payload=ledger.claim_payload(claim), claim=claim)
    events.claim_created(claim)
    return claim

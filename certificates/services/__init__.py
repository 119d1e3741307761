"""Writes of certificates: issuance (exactly once) and claims."""

from certificates.services.claims import ClaimRequest, claim_create
from certificates.services.issuance import certificates_issue_due, reservation_issue

__all__ = ["ClaimRequest", "certificates_issue_due", "claim_create", "reservation_issue"]

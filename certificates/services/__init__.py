"""Writes of certificates: issuance (exactly once), claims, transfers and withdrawals."""

from certificates.services.claims import ClaimRequest, claim_create
from certificates.services.issuance import certificates_issue_due, certificates_issue_scheduled, reservation_issue
from certificates.services.lifecycle import (
    holding_lock,
    receiver_get,
    transfer_create,
    withdrawal_create,
)

__all__ = [
    "ClaimRequest",
    "certificates_issue_due",
    "certificates_issue_scheduled",
    "claim_create",
    "holding_lock",
    "receiver_get",
    "reservation_issue",
    "transfer_create",
    "withdrawal_create",
]

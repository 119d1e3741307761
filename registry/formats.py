"""A certificate as the public registry shows it (both doors): what the ledger makes public."""

from django.urls import reverse

from certificates.models import Certificate
from drec.formats import iso


def certificate_status(certificate: Certificate) -> str:
    """active: volume left to claim; otherwise claimed, or withdrawn when some was withdrawn
    (the registry's ``status`` filter: registry.selectors.STATUSES)."""
    if certificate.unclaimed_wh > 0:
        return "active"
    return "withdrawn" if certificate.withdrawn_wh else "claimed"


def registry_certificate_json(certificate: Certificate) -> dict:
    return {
        "internalCertificateId": certificate.pk,
        "certificateTransactionUID": str(certificate.uid),
        "countryCode": certificate.country_id,
        "source": certificate.source,
        "generationStart": iso(certificate.generation_start),
        "generationEnd": iso(certificate.generation_end),
        "energyWh": certificate.energy_wh,
        "claimedWh": certificate.claimed_wh,
        "withdrawnWh": certificate.withdrawn_wh,
        "status": certificate_status(certificate),
        "issuedAt": iso(certificate.created_at),
        "verificationUrl": reverse("certificate-verify", args=[certificate.pk]),
    }

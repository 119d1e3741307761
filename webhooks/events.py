"""The events of SPEC §14, each built from what the change made and recorded by
``services.events_emit`` in the caller's transaction (so only what commits is delivered).
Each names its tenant: the organization it concerns (an api user managing that organization
hears of it too)."""

from collections.abc import Sequence

from accounts.models import ApiUser
from certificates.models import Certificate, Claim, Transfer
from devices.models import CsvJob
from drec.formats import iso
from reservations.models import Reservation
from webhooks.models import EventType
from webhooks.services import event_emit, events_emit


def bulk_job_finished(job: CsvJob) -> None:
    data = {
        "jobId": job.pk,
        "kind": job.kind,
        "status": job.status,
        "rowsTotal": job.rows_total,
        "rowsCreated": job.rows_created,
        "rowsFailed": job.rows_failed,
        "error": job.error,
        "organizationId": job.organization_id,
        "finishedAt": iso(job.finished_at),
    }
    event_emit(EventType.BULK_JOB_FINISHED, job.organization_id, data)


def certificates_issued(certificates: Sequence[Certificate]) -> None:
    """A batch of issuance (one statement for all of it, one query when nobody subscribes)."""
    events_emit(
        EventType.CERTIFICATE_ISSUED,
        (
            (
                certificate.owner_id,
                {
                    "certificateId": certificate.pk,
                    "reservationId": certificate.reservation_id,
                    "organizationId": certificate.owner_id,
                    "energyWh": certificate.energy_wh,
                    "countryCode": certificate.country_id,
                    "generationStart": iso(certificate.generation_start),
                    "generationEnd": iso(certificate.generation_end),
                },
            )
            for certificate in certificates
        ),
    )


def certificate_transferred(transfer: Transfer) -> None:
    """Both sides hear of it, each in its own tenant."""
    data = {
        "transferId": transfer.pk,
        "certificateId": transfer.certificate_id,
        "fromOrganizationId": transfer.sender_id,
        "toOrganizationId": transfer.receiver_id,
        "amountWh": transfer.amount_wh,
    }
    events_emit(EventType.CERTIFICATE_TRANSFERRED, [(transfer.sender_id, data), (transfer.receiver_id, data)])


def claim_created(claim: Claim) -> None:
    data = {
        "claimId": claim.pk,
        "certificateId": claim.certificate_id,
        "organizationId": claim.organization_id,
        "amountWh": claim.amount_wh,
        "beneficiary": claim.beneficiary,
        "purpose": claim.purpose,
    }
    event_emit(EventType.CLAIM_CREATED, claim.organization_id, data)


def reservation_ended(reservation: Reservation) -> None:
    data = {
        "reservationId": reservation.pk,
        "reservationUid": str(reservation.uid),
        "organizationId": reservation.organization_id,
        "endedAt": iso(reservation.ended_at),
    }
    event_emit(EventType.RESERVATION_ENDED, reservation.organization_id, data)


def permission_changed(api_user: ApiUser) -> None:
    """An api user's grants or their approval changed: its own organization hears of it."""
    user = api_user.user
    if user.organization_id is None:
        return
    data = {"apiUserId": str(api_user.api_user_id), "permissionStatus": api_user.permission_status}
    event_emit(EventType.PERMISSION_CHANGED, user.organization_id, data)

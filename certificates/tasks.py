"""Background work of certificates (django-q2)."""

from django.conf import settings

from certificates.services import certificates_issue_scheduled

# Recurring tasks, ensured by `manage.py seed`: (name, function, every N minutes).
SCHEDULES = [("Issue due certificates", "certificates.tasks.certificates_issue", settings.DREC_ISSUANCE_MINUTES)]


def certificates_issue() -> int:
    """Issue every certificate that is due (safe with several workers: reservations are locked),
    and note when this scheduled run ran (certificates.status reads it)."""
    return certificates_issue_scheduled()

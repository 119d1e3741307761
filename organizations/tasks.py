"""E-mails of organizations, sent by the task cluster."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.http import urlencode

from organizations.models import Invitation, InvitationStatus
from organizations.services import invitation_token


def invitation_send(invitation_id: int) -> None:
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(pk=invitation_id, status=InvitationStatus.PENDING)
        .first()
    )
    if invitation is None:
        return
    params: dict[str, str | int] = {
        "token": invitation_token(invitation=invitation),
        "invitaionId": invitation.pk,
        "email": invitation.email,
    }
    query = urlencode(params)
    context = {
        "invitation": invitation,
        "link": f"{settings.DREC_PUBLIC_URL}/user/acceptInvitaion?{query}",
        "days": settings.DREC_INVITATION_DAYS,
        "portal_url": settings.DREC_PUBLIC_URL,
    }
    subject = render_to_string("organizations/email/invitation_subject.txt", context).strip()
    send_mail(
        subject, render_to_string("organizations/email/invitation_message.txt", context), None, [invitation.email]
    )

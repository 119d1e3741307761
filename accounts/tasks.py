"""E-mails of the account flows, sent by the task cluster.

Tasks receive ids only and make the links themselves, so no token ever sits in the queue.
"""

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.http import urlencode

from accounts.models import User
from accounts.services import password_reset_token


def _send(template: str, *, to: str, context: dict) -> None:
    context = {"portal_url": settings.DREC_PUBLIC_URL, **context}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/email/{template}_message.txt", context)
    send_mail(subject, body, None, [to])


def email_confirmation_send(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    address = EmailAddress.objects.filter(user_id=user_id, verified=False).order_by("-id").first()
    if user is None or address is None or address.email != user.email:
        return  # confirmed meanwhile, or the address changed again
    key = EmailConfirmationHMAC(address).key
    link = f"{settings.DREC_PUBLIC_URL}/confirm-email?{urlencode({'token': key})}"
    _send("confirm_email", to=address.email, context={"user": user, "link": link, "token": key})


def password_reset_send(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, status="Active").first()
    if user is None:
        return
    token = password_reset_token(user=user)
    link = f"{settings.DREC_PUBLIC_URL}/reset-password?{urlencode({'token': token, 'email': user.email})}"
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    _send("password_reset", to=user.email, context={"user": user, "link": link, "token": token, "minutes": minutes})


def welcome_send(user_id: int) -> None:
    """An account the super admin created: a link to choose a password (none is ever mailed)."""
    user = User.objects.select_related("organization").filter(pk=user_id, status="Active").first()
    if user is None:
        return
    token = password_reset_token(user=user)
    link = f"{settings.DREC_PUBLIC_URL}/reset-password?{urlencode({'token': token, 'email': user.email})}"
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    _send("welcome", to=user.email, context={"user": user, "link": link, "minutes": minutes})

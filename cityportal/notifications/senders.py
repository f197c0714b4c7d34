"""Delivery of inbox messages by email and SMS. The email sender is Django's mail backend
(EMAIL_URL); the SMS sender is identity's pluggable SMS_SENDER, the same gateway that sends
sign-in codes."""

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from cityportal.notifications.models import Message
from identity.adapters import sms_sender

logger = logging.getLogger(__name__)


def deliver(message: Message, *, mail_connection: Any = None) -> list[str]:
    """Send `message` by every channel the recipient has, or those of them it is to be sent
    by; returns the channels used. A batch passes one open mail connection for all its
    messages (one SMTP session, not one each)."""
    person = message.recipient
    used: list[str] = []
    user = person.user
    wanted = message.send_by
    email = person.contact_email or (user.email if user is not None else "")
    if email and (wanted is None or "email" in wanted):
        send_mail(
            subject=message.title,
            message=message.body or message.title,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
            connection=mail_connection,
        )
        used.append("email")
    phone = person.contact_phone or ((user.phone or "") if user is not None else "")
    if phone and getattr(settings, "NOTIFY_BY_SMS", True) and (wanted is None or "sms" in wanted):
        sms_sender().send(to=phone, body=message.title)
        used.append("sms")
    return used

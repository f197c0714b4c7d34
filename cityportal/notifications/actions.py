"""Writing and delivering inbox messages."""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from cityportal.notifications.models import Message
from identity.models import Person


def _render(text: str | Promise, context: Mapping[str, Any]) -> str:
    rendered = str(text)
    return rendered % dict(context) if context else rendered


def _value(value: Any) -> Any:
    if callable(value):
        value = value()
    return str(value) if isinstance(value, Promise) else value


def notify(
    *,
    person: Person,
    kind: str,
    title: str | Promise,
    body: str | Promise = "",
    context: Mapping[str, Any] | None = None,
    link: str = "",
    data: Mapping[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> Message | None:
    """Put a message in `person`'s inbox in their language and deliver it by email and SMS
    after commit. With a `dedupe_key`, a second call for the same person writes nothing."""
    context = context or {}
    language = person.preferred_language or "en"
    with translation.override(language):
        # Lazy translations (a status name) and callables (a translated model field, read as
        # `lambda: service.name`) render in the recipient's language.
        values = {key: _value(value) for key, value in context.items()}
        rendered_title = _render(title, values)[:300]
        rendered_body = _render(body, values) if body else ""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                recipient=person,
                kind=kind,
                language=language,
                title=rendered_title,
                body=rendered_body,
                link=link,
                data=dict(data or {}),
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    from cityportal.notifications.tasks import deliver_message_task

    deliver_message_task.delay_on_commit(message_id=message.pk)
    return message


@transaction.atomic
def deliver_message(*, message_id: int) -> Message | None:
    """Send a pending message by the recipient's channels once; a second run does nothing."""
    from cityportal.notifications.senders import deliver

    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("recipient__user")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.delivery != Message.Delivery.PENDING:
        return message
    channels = deliver(message)
    message.channels = channels
    message.delivery = Message.Delivery.SENT if channels else Message.Delivery.INBOX_ONLY
    message.save(update_fields=["channels", "delivery"])
    return message


@transaction.atomic
def mark_read(*, message: Message) -> Message:
    """The recipient has read the message; reading it again keeps the first time."""
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message

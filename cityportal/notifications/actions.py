"""Writing and delivering inbox messages."""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict, Unpack

from django.core.cache import cache
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from cityportal.notifications.models import Message
from identity.models import Person


def _render(text: str | Promise, context: Mapping[str, Any]) -> str:
    rendered = str(text)
    return rendered % dict(context) if context else rendered


SCHEDULED_FLAG = "notifications:delivery-scheduled"
SCHEDULE_WINDOW_SECONDS = 2
DELIVERY_BATCH = 200


def _value(value: Any) -> Any:
    if callable(value):
        value = value()
    return str(value) if isinstance(value, Promise) else value


class MessageFields(TypedDict):
    """What a message is made of: its recipient, kind and title; the body and the link; the
    values `title` and `body` are filled with; data for the app; a dedupe key; the channels
    to send it by besides the inbox (None: every channel the recipient has; empty: none)."""

    person: Person
    kind: str
    title: str | Promise
    body: NotRequired[str | Promise]
    context: NotRequired[Mapping[str, Any] | None]
    link: NotRequired[str]
    data: NotRequired[Mapping[str, Any] | None]
    dedupe_key: NotRequired[str | None]
    send_by: NotRequired[Sequence[str] | None]


def compose_message(**fields: Unpack[MessageFields]) -> Message:
    """An inbox message for `person`, written in their language; not saved."""
    person = fields["person"]
    body = fields.get("body", "")
    context = fields.get("context") or {}
    language = person.preferred_language or "en"
    with translation.override(language):
        # Lazy translations (a status name) and callables (a translated model field, read as
        # `lambda: service.name`) render in the recipient's language.
        values = {key: _value(value) for key, value in context.items()}
        rendered_title = _render(fields["title"], values)[:300]
        rendered_body = _render(body, values) if body else ""
    send_by = fields.get("send_by")
    return Message(
        recipient=person,
        kind=fields["kind"],
        language=language,
        title=rendered_title,
        body=rendered_body,
        link=fields.get("link", ""),
        data=dict(fields.get("data") or {}),
        dedupe_key=fields.get("dedupe_key"),
        send_by=None if send_by is None else list(send_by),
        # Nothing to send beyond the inbox: no delivery run needs to look at it.
        delivery=Message.Delivery.PENDING
        if send_by is None or send_by
        else Message.Delivery.INBOX_ONLY,
    )


def notify(**fields: Unpack[MessageFields]) -> Message | None:
    """Put a message in `person`'s inbox in their language and deliver it by email and SMS
    after commit. With a `dedupe_key`, a second call for the same person writes nothing."""
    message = compose_message(**fields)
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        if message.dedupe_key is None:
            raise
        return None
    if message.delivery == Message.Delivery.PENDING:
        transaction.on_commit(schedule_delivery)
    return message


def notify_many(messages: list[Message]) -> None:
    """Put composed messages in their inboxes in one statement, and deliver them after commit.
    Each must carry a dedupe_key: one already written (a batch run twice) is skipped."""
    if any(message.dedupe_key is None for message in messages):
        raise ValueError("notify_many writes only messages with a dedupe_key")
    if messages:
        Message.objects.bulk_create(messages, ignore_conflicts=True)
    if any(message.delivery == Message.Delivery.PENDING for message in messages):
        transaction.on_commit(schedule_delivery)


def schedule_delivery() -> None:
    """Queue one delivery run for the messages committed in the next moment, not one task per
    message: under load a run sends hundreds. Each run that sent something queues a follow-up
    a moment later for what was committed meanwhile; the minute's sweep (PERIODIC_TASKS)
    makes up any run missed in between."""
    from cityportal.notifications.tasks import deliver_pending_messages_task

    if cache.add(SCHEDULED_FLAG, 1, timeout=SCHEDULE_WINDOW_SECONDS):
        deliver_pending_messages_task.delay()


def deliver_pending_messages(*, batch: int = DELIVERY_BATCH) -> int:
    """Send every pending message by its recipient's channels, once: rows are claimed with
    SKIP LOCKED, so parallel runs share the work and none is sent twice. Returns how many."""
    sent = 0
    while True:
        done = _deliver_batch(batch)
        sent += done
        if done < batch:
            return sent


@transaction.atomic
def _deliver_batch(size: int) -> int:
    from cityportal.notifications.senders import deliver

    messages = list(
        Message.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("recipient__user")
        .filter(delivery=Message.Delivery.PENDING)
        .order_by("pk")[:size]
    )
    if not messages:
        return 0
    with get_connection() as mail_connection:  # one SMTP session for the batch
        for message in messages:
            channels = deliver(message, mail_connection=mail_connection)
            message.channels = channels
            message.delivery = Message.Delivery.SENT if channels else Message.Delivery.INBOX_ONLY
    Message.objects.bulk_update(messages, ["channels", "delivery"])
    return len(messages)


@transaction.atomic
def mark_read(*, message: Message) -> Message:
    """The recipient has read the message; reading it again keeps the first time."""
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message

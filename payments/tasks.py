"""Payments tasks (queue `payments`). Each takes ids, re-reads its rows, returns early when there
is nothing left to do, and calls one action; redelivery is harmless because the actions are
idempotent (unique constraints on provider events, receipts and ledger postings)."""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

# Celery autodiscovery imports only payments.tasks: the other task modules are listed here.
from payments import bill_tasks, refund_tasks  # noqa: F401
from payments.actions import attempts as actions
from payments.models import PaymentAttempt, ProviderEvent, Receipt

logger = logging.getLogger("cityportal.payments")

BATCH = 200  # attempts handled per sweep run; the next run takes the rest


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def process_provider_event_task(*, event_id: int) -> str:
    """Apply one stored provider webhook to its payment attempt."""
    event = ProviderEvent.objects.filter(pk=event_id).first()
    if event is None or event.processed_at is not None:
        return "nothing to do"
    return actions.process_provider_event(event=event)


@shared_task(acks_late=True)
def poll_unfinished_attempts_task() -> int:
    """Every 15 minutes: ask the provider about unfinished attempts 15 to 30 minutes old."""
    ids = list(actions.attempts_to_poll().values_list("pk", flat=True)[:BATCH])
    for attempt_id in ids:
        settle_attempt_task.delay(attempt_id=attempt_id)
    return len(ids)


@shared_task(acks_late=True)
def settle_attempt_task(*, attempt_id: int) -> None:
    attempt = PaymentAttempt.objects.filter(pk=attempt_id, finished=False).first()
    if attempt is None:
        return
    actions.settle_with_provider(attempt=attempt, source="poll")


@shared_task(acks_late=True)
def expire_abandoned_attempts_task() -> int:
    """Every 5 minutes: attempts unfinished after 90 minutes (and untouched for 5) expire."""
    ids = list(actions.abandoned_attempts().values_list("pk", flat=True)[:BATCH])
    for attempt_id in ids:
        expire_attempt_task.delay(attempt_id=attempt_id)
    return len(ids)


@shared_task(acks_late=True)
def expire_attempt_task(*, attempt_id: int) -> None:
    attempt = PaymentAttempt.objects.filter(pk=attempt_id, finished=False).first()
    if attempt is None:
        return
    actions.expire_abandoned_attempt(attempt=attempt)


@shared_task(acks_late=True)
def deliver_sandbox_webhooks_task(*, deliveries: list[dict[str, Any]]) -> int:
    """The sandbox provider sending its webhooks, in order, to the same ingest action as the
    public endpoint (payments.providers.sandbox)."""
    for delivery in deliveries:
        try:
            actions.receive_provider_webhook(
                provider_name="sandbox",
                body=delivery["body"].encode(),
                headers=delivery["headers"],
            )
        except actions.WebhookSignatureInvalid:
            logger.error("The sandbox signed a webhook that does not verify")
    return len(deliveries)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_receipt_task(*, receipt_id: int) -> bool:
    """Email the payer their receipt, in their language (a payer without an email address gets
    none). Queued once, when the receipt is issued."""
    receipt = (
        Receipt.objects.select_related("attempt__payer__user", "biller")
        .filter(pk=receipt_id)
        .first()
    )
    if receipt is None or receipt.attempt.payer is None:
        return False
    payer = receipt.attempt.payer
    address = payer.contact_email or (payer.user.email if payer.user else "")
    if not address:
        return False
    with translation.override(payer.preferred_language or settings.LANGUAGE_CODE):
        amount = f"{receipt.amount_minor / 100:.2f} {receipt.currency}"
        subject = _("Receipt %(number)s from %(biller)s") % {
            "number": receipt.number,
            "biller": receipt.biller.name,
        }
        body = _(
            "Thank you for your payment of %(amount)s to %(biller)s.\n"
            "Receipt number: %(number)s\nPaid at: %(issued_at)s\n"
        ) % {
            "amount": amount,
            "biller": receipt.biller.name,
            "number": receipt.number,
            "issued_at": receipt.issued_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
    send_mail(subject, body, None, [address])
    return True

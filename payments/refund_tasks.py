"""Celery tasks of refunds, outbound webhooks and reconciliation. Thin: each calls one action in
payments.actions.{refunds,webhooks,reconciliation}; each takes ids and may run any number of
times.

Registered through `from payments import refund_tasks` in payments/tasks.py (Celery's
autodiscovery imports only `<app>.tasks`). Periodic ones are scheduled in cityportal/schedules.py.
"""

from celery import shared_task

from payments.actions import reconciliation, refunds, webhooks


@shared_task(name="payments.refund_tasks.deliver_webhook_task", acks_late=True)
def deliver_webhook_task(*, delivery_id: int) -> str:
    """Send one outbound webhook if it is due; a delivered, failed or not-yet-due one is left
    alone. Retries are not Celery's: the delivery row holds its schedule, the sweeper below
    queues it again when the next attempt is due."""
    delivery = webhooks.deliver_webhook(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "not due"


@shared_task(name="payments.refund_tasks.send_due_webhooks_task")
def send_due_webhooks_task() -> int:
    """Sweeper: queue every pending delivery whose next attempt is due, including any whose task
    was lost."""
    due = webhooks.due_webhook_deliveries()
    for delivery_id in due:
        deliver_webhook_task.delay(delivery_id=delivery_id)
    return len(due)


@shared_task(name="payments.refund_tasks.resend_refund_task", acks_late=True)
def resend_refund_task(*, refund_id: int) -> str:
    """Send again a refund the provider never acknowledged; an answered one is left alone."""
    refund = refunds.resend_refund(refund_id=refund_id)
    return refund.state if refund is not None else "nothing to do"


@shared_task(name="payments.refund_tasks.resend_unacknowledged_refunds_task")
def resend_unacknowledged_refunds_task() -> int:
    """Sweeper: refunds left submitted with no answer from the provider (their process died
    around the provider call) are sent again with the same reference."""
    stuck = refunds.unacknowledged_refunds()
    for refund_id in stuck:
        resend_refund_task.delay(refund_id=refund_id)
    return len(stuck)


@shared_task(name="payments.refund_tasks.reconcile_settlement_inbox_task", acks_late=True)
def reconcile_settlement_inbox_task() -> int:
    """Reconcile the settlement files dropped in SETTLEMENT_INBOX that have no report yet."""
    return len(reconciliation.reconcile_settlement_inbox())

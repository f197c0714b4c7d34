"""Tasks that move applications on when their fee is paid (queue `approvals`). The payments app
queues `fee_paid_task` by name when a service-fee bill is paid
(settings.PAYMENTS_SERVICE_BILL_PAID_TASKS); a sweeper catches the ones whose task was lost."""

from celery import shared_task

from services.actions.applications import fee_paid, paid_bills_waiting


@shared_task(acks_late=True)
def fee_paid_task(*, bill_id: int) -> str:
    """A service-fee bill was paid: its application goes to be decided."""
    application = fee_paid(bill_id=bill_id)
    return application.status if application is not None else "nothing to do"


@shared_task(acks_late=True)
def advance_paid_applications_task() -> int:
    """Every minute: applications still awaiting payment of a bill that is paid move on."""
    bill_ids = paid_bills_waiting()
    for bill_id in bill_ids:
        fee_paid(bill_id=bill_id)
    return len(bill_ids)

"""Other apps hear that a service-fee bill was paid through Celery tasks named in settings
(PAYMENTS_SERVICE_BILL_PAID_TASKS, e.g. "services.payment_tasks.fee_paid_task"), queued after
the capture commits with `bill_id`. Payments never imports the apps that raise fee bills."""

import functools

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from payments.models import Bill


def service_bill_paid(bill: Bill) -> None:
    """Queue each configured task for a paid service-fee bill, once the capture has committed."""
    if bill.source != Bill.Source.SERVICE:
        return
    for name in getattr(settings, "PAYMENTS_SERVICE_BILL_PAID_TASKS", ()):
        task = import_string(name)
        transaction.on_commit(functools.partial(task.delay, bill_id=bill.pk))

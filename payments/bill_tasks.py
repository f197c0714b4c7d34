"""Celery tasks of the bills area, run by beat (schedules in the database: cityportal/schedules.py).
Thin: each calls one action in payments.actions.bills.

Registered through `from payments import bill_tasks` in payments/tasks.py (Celery's autodiscovery
imports only `<app>.tasks`). They go to the payments queue by the route "payments.bill_tasks.*"
in CELERY_TASK_ROUTES.
"""

from celery import shared_task
from django.utils import timezone

from payments.actions.bills import mark_overdue_and_expired_bills


@shared_task(name="payments.bill_tasks.mark_overdue_and_expired_bills_task", acks_late=True)
def mark_overdue_and_expired_bills_task() -> dict[str, int]:
    """Bills past their due date become overdue, those past their expiry expire; running it
    twice is harmless."""
    sweep = mark_overdue_and_expired_bills(now=timezone.now())
    return {"overdue": sweep.overdue, "expired": sweep.expired}

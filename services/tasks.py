"""Services tasks (queue `approvals`). Each re-reads its rows (by id, or those waiting) and
returns early when there is nothing left to do; the actions hold the logic, so a redelivered
task is harmless (the application row lock and one decision record per submission round)."""

import datetime

from celery import shared_task
from django.utils import timezone

# Celery autodiscovery imports only services.tasks: the other task modules are imported below.
from services import offer_tasks, payment_tasks, upload_tasks  # noqa: F401
from services.actions import decisions

STUCK_AFTER = datetime.timedelta(minutes=1)


@shared_task(acks_late=True)
def decide_waiting_applications_task() -> int:
    """Decide every application in `checking` by the rule set in force (seconds approval; one
    run serves many submissions: cityportal/runs.py); returns how many it decided."""
    return decisions.decide_waiting_applications()


@shared_task(acks_late=True)
def requeue_stuck_checks_task() -> int:
    """Every minute: an application still `checking` a minute after it got there lost its run
    (a worker died, the broker restarted); queue a run. Returns how many wait."""
    cutoff = timezone.now() - STUCK_AFTER
    return decisions.DECIDING_RUN.sweep(
        decisions.waiting_applications().filter(updated_at__lt=cutoff)
    )

"""Complaints tasks (queue `routing`). Each takes ids, re-reads its rows and returns early when
there is nothing left to do; the actions hold the logic, so a redelivered task is harmless."""

import datetime

from celery import shared_task
from django.utils import timezone

# Celery autodiscovery imports only complaints.tasks: the other task modules are imported below.
from complaints import escalation_tasks  # noqa: F401
from complaints.actions import notifications
from complaints.actions.routing import route_complaint
from complaints.models import Complaint

STUCK_AFTER = datetime.timedelta(minutes=1)
BATCH = 500


@shared_task(acks_late=True)
def route_complaint_task(*, complaint_id: int) -> str:
    """Route one submitted complaint by its jurisdiction's rules."""
    complaint = route_complaint(complaint_id=complaint_id)
    return complaint.status if complaint is not None else "missing"


@shared_task(acks_late=True)
def announce_complaint_events_task() -> int:
    """Tell reporters and followers about the public history entries in the outbox (queued
    after commit, and every minute by beat in case a run was missed)."""
    return notifications.announce_pending_events()


@shared_task(acks_late=True)
def requeue_unrouted_complaints_task() -> int:
    """Every minute: a complaint still `submitted`, and not in the dispatch queue, a minute
    after submission lost its routing task (a worker died, the broker restarted); queue it
    again."""
    cutoff = timezone.now() - STUCK_AFTER
    ids = list(
        Complaint.objects.filter(
            status=Complaint.Status.SUBMITTED, dispatch_since__isnull=True, created_at__lt=cutoff
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for complaint_id in ids:
        route_complaint_task.delay(complaint_id=complaint_id)
    return len(ids)

"""Complaints tasks (queue `routing`). Each re-reads its rows (by id, or those waiting) and
returns early when there is nothing left to do; the actions hold the logic, so a redelivered
task is harmless."""

import datetime

from celery import shared_task
from django.utils import timezone

# Celery autodiscovery imports only complaints.tasks: the other task modules are imported below.
from complaints import escalation_tasks  # noqa: F401
from complaints.actions import notifications, routing

STUCK_AFTER = datetime.timedelta(minutes=1)


@shared_task(acks_late=True)
def route_waiting_complaints_task() -> int:
    """Route every submitted complaint waiting for the rules (one run serves many submissions:
    cityportal/runs.py); returns how many it routed."""
    return routing.route_waiting_complaints()


@shared_task(acks_late=True)
def announce_complaint_events_task() -> int:
    """Tell reporters and followers about the public history entries in the outbox (queued
    after commit, and every minute by beat in case a run was missed)."""
    return notifications.announce_pending_events()


@shared_task(acks_late=True)
def requeue_unrouted_complaints_task() -> int:
    """Every minute: a complaint still waiting for the rules a minute after submission lost its
    routing run (a worker died, the broker restarted); queue a run. Returns how many wait."""
    cutoff = timezone.now() - STUCK_AFTER
    return routing.ROUTING_RUN.sweep(routing.waiting_complaints().filter(created_at__lt=cutoff))

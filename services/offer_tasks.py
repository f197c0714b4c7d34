"""Proactive offers on a schedule (queue `approvals`, like every services task).

Every hour `run_proactive_offers_task` starts one task per proactive service whose pass is
running or due; that task checks chunks of persons for about half a minute, inside Celery's
time limits, and queues itself again until the pass is finished. Two tasks on one service are
harmless: a chunk locks its run, and a task that finds the run locked stops.
"""

import datetime
import time

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from services.actions.decisions import rule_set_in_force
from services.actions.offers import expire_offers, proactive_services, run_offers
from services.models import OfferRun, Service

# A finished pass is repeated after a day: people turn 65, move, receive a card.
RUN_EVERY = datetime.timedelta(days=1)
TIME_BUDGET_SECONDS = 30.0


def _is_due(service: Service, now: datetime.datetime) -> bool:
    """A pass is running, or none finished within RUN_EVERY with the rule set now in force."""
    rule_set = rule_set_in_force(service, now)
    if rule_set is None:
        return False
    runs = OfferRun.objects.filter(service=service)
    if runs.filter(status=OfferRun.Status.RUNNING).exists():
        return True
    return not runs.filter(
        Q(finished_at__gt=now - RUN_EVERY), rule_set=rule_set, status=OfferRun.Status.FINISHED
    ).exists()


@shared_task(acks_late=True)
def run_proactive_offers_task() -> int:
    """Hourly: one offers task per proactive service with a pass running or due."""
    now = timezone.now()
    due = [service.pk for service in proactive_services() if _is_due(service, now)]
    for service_id in due:
        run_offers_for_service_task.delay(service_id=service_id)
    return len(due)


@shared_task(acks_late=True)
def run_offers_for_service_task(*, service_id: int) -> str:
    """Check chunks of persons for one proactive service for about TIME_BUDGET_SECONDS, then
    queue the rest of the pass as a new task."""
    service = proactive_services().filter(pk=service_id).first()
    if service is None or rule_set_in_force(service, timezone.now()) is None:
        return "not proactive"
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    run = run_offers(service=service, max_chunks=1)
    while run.status == OfferRun.Status.RUNNING and time.monotonic() < deadline:
        before = run.last_person_id
        run = run_offers(service=service, max_chunks=1)
        if run.last_person_id == before:  # another worker holds the run
            return "busy"
    if run.status == OfferRun.Status.RUNNING:
        run_offers_for_service_task.delay(service_id=service_id)
    return str(run.status)


@shared_task(acks_late=True)
def expire_offers_task() -> int:
    """Daily: offers nobody answered within their validity expire."""
    return expire_offers()

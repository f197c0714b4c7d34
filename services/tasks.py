"""Services tasks (queue `approvals`). Each takes ids, re-reads its rows and returns early when
there is nothing left to do; the actions hold the logic, so a redelivered task is harmless
(the application row lock and one decision record per submission round)."""

import datetime

from celery import shared_task
from django.utils import timezone

# Celery autodiscovery imports only services.tasks: the other task modules are imported below.
from services import offer_tasks, payment_tasks, upload_tasks  # noqa: F401
from services.actions.decisions import decide_application
from services.models import Application

STUCK_AFTER = datetime.timedelta(minutes=1)
BATCH = 500


@shared_task(acks_late=True)
def decide_application_task(*, application_id: int) -> str:
    """Decide one application by the rule set in force (seconds approval)."""
    application = decide_application(application_id=application_id)
    return application.status if application is not None else "missing"


@shared_task(acks_late=True)
def requeue_stuck_checks_task() -> int:
    """Every minute: an application still `checking` a minute after it got there lost its task
    (a worker died, the broker restarted); queue it again."""
    cutoff = timezone.now() - STUCK_AFTER
    ids = list(
        Application.objects.filter(status=Application.Status.CHECKING, updated_at__lt=cutoff)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for application_id in ids:
        decide_application_task.delay(application_id=application_id)
    return len(ids)

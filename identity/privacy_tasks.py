"""Celery tasks of the privacy area: building data exports, and the sweepers that re-queue lost
exports and drop expired ones. Thin: each calls one action in identity.actions.privacy.

Registered through `from identity import privacy_tasks` in identity/tasks.py (Celery's
autodiscovery imports only `<app>.tasks`)."""

import datetime
import logging
from typing import Any

from celery import shared_task

from identity.actions import privacy

logger = logging.getLogger(__name__)

# A pending export older than this lost its task (a dead worker, a lost message).
STUCK_AFTER = datetime.timedelta(minutes=2)


@shared_task(
    bind=True,
    name="identity.privacy_tasks.build_data_export_task",
    max_retries=3,
    default_retry_delay=30,
)
def build_data_export_task(self: Any, *, export_id: int) -> str:
    """Build one export; returns its status. Running it again for a built export does nothing."""
    try:
        export = privacy.build_data_export(export_id=export_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            # Only the id: the content of an export is personal data and is never logged.
            logger.exception("Data export %s failed for good", export_id)
            privacy.fail_data_export(export_id=export_id)
            return "failed"
        raise self.retry(exc=error) from error
    return export.status if export is not None else "gone"


@shared_task(name="identity.privacy_tasks.requeue_stuck_data_exports_task")
def requeue_stuck_data_exports_task() -> int:
    """Sweeper: queue again every export whose task was lost."""
    stuck = privacy.stuck_data_exports(older_than=STUCK_AFTER)
    for export_id in stuck:
        build_data_export_task.delay(export_id=export_id)
    return len(stuck)


@shared_task(name="identity.privacy_tasks.purge_expired_data_exports_task")
def purge_expired_data_exports_task() -> int:
    """Drop the content of exports past their seven days."""
    return privacy.purge_expired_data_exports()

"""Housekeeping of evidence uploads (queue `approvals`)."""

from celery import shared_task

from services.actions.uploads import delete_unused_uploads


@shared_task(acks_late=True)
def delete_unused_uploads_task() -> int:
    """Every hour: uploads nobody used as evidence within a day are deleted."""
    return delete_unused_uploads()

"""Identity tasks, run by beat (schedules in the database: cityportal/schedules.py)."""

from celery import shared_task
from django.utils import timezone

from identity import privacy_tasks  # noqa: F401 - Celery autodiscovery imports only identity.tasks
from identity.actions.credentials import expire_credentials


@shared_task(name="identity.tasks.expire_credentials_task", acks_late=True)
def expire_credentials_task() -> int:
    """Expire the cards whose last valid day has passed; running it twice is harmless."""
    return expire_credentials(today=timezone.localdate())

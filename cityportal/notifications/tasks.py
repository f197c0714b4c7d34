from celery import shared_task

from cityportal.notifications import actions


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def deliver_message_task(*, message_id: int) -> None:
    actions.deliver_message(message_id=message_id)

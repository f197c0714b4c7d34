from celery import shared_task

from cityportal.notifications import actions


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def deliver_pending_messages_task() -> int:
    """Send the inbox messages not yet sent by email/SMS (queued after commit, and every
    minute by beat in case a run was missed). A run that sent something looks again a moment
    later, for the messages committed while it ran; a run that found nothing stops."""
    sent = actions.deliver_pending_messages()
    if sent:
        deliver_pending_messages_task.apply_async(countdown=actions.SCHEDULE_WINDOW_SECONDS)
    return sent

"""The platform's periodic jobs, kept in the database by django-celery-beat so that supervisors
see and change them in admin. Created once after migrate; an edit made in admin is kept."""

from typing import Any

from django_celery_beat.models import IntervalSchedule, PeriodicTask

# name → (task, every, period). Later issues add their sweepers here.
PERIODIC_TASKS: dict[str, tuple[str, int, str]] = {
    "Worker heartbeat": (
        "cityportal.tasks.record_heartbeat_task",
        30,
        IntervalSchedule.SECONDS,
    ),
    "Send inbox messages by email and SMS": (
        "cityportal.notifications.tasks.deliver_pending_messages_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Announce complaint updates a run missed": (
        "complaints.tasks.announce_complaint_events_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Purge expired idempotency keys": (
        "cityportal.tasks.purge_expired_idempotency_keys_task",
        1,
        IntervalSchedule.HOURS,
    ),
    "Expire credentials past their validity": (
        "identity.tasks.expire_credentials_task",
        1,
        IntervalSchedule.DAYS,
    ),
    "Re-queue data exports whose task was lost": (
        "identity.privacy_tasks.requeue_stuck_data_exports_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Poll unfinished payments 15 to 30 minutes old": (
        "payments.tasks.poll_unfinished_attempts_task",
        15,
        IntervalSchedule.MINUTES,
    ),
    "Expire abandoned payments": (
        "payments.tasks.expire_abandoned_attempts_task",
        5,
        IntervalSchedule.MINUTES,
    ),
    "Send due outbound webhooks": (
        "payments.refund_tasks.send_due_webhooks_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Re-send refunds the provider never acknowledged": (
        "payments.refund_tasks.resend_unacknowledged_refunds_task",
        5,
        IntervalSchedule.MINUTES,
    ),
    "Reconcile settlement files in the inbox": (
        "payments.refund_tasks.reconcile_settlement_inbox_task",
        1,
        IntervalSchedule.DAYS,
    ),
    "Mark overdue and expired bills": (
        "payments.bill_tasks.mark_overdue_and_expired_bills_task",
        1,
        IntervalSchedule.HOURS,
    ),
    "Re-queue applications whose decision task was lost": (
        "services.tasks.requeue_stuck_checks_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Decide applications whose fee was paid": (
        "services.payment_tasks.advance_paid_applications_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Delete evidence uploads nobody used": (
        "services.upload_tasks.delete_unused_uploads_task",
        1,
        IntervalSchedule.HOURS,
    ),
    "Purge expired data exports": (
        "identity.privacy_tasks.purge_expired_data_exports_task",
        1,
        IntervalSchedule.HOURS,
    ),
    "Offer proactive services to those who qualify": (
        "services.offer_tasks.run_proactive_offers_task",
        1,
        IntervalSchedule.HOURS,
    ),
    "Expire unanswered offers": (
        "services.offer_tasks.expire_offers_task",
        1,
        IntervalSchedule.DAYS,
    ),
    "Re-queue complaints whose routing task was lost": (
        "complaints.tasks.requeue_unrouted_complaints_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Escalate overdue complaints": (
        "complaints.escalation_tasks.escalate_overdue_complaints_task",
        1,
        IntervalSchedule.MINUTES,
    ),
    "Close resolved complaints nobody rated in time": (
        "complaints.escalation_tasks.close_unrated_complaints_task",
        15,
        IntervalSchedule.MINUTES,
    ),
    "Anonymise complaints closed longer than the retention period": (
        "complaints.escalation_tasks.anonymise_closed_complaints_task",
        1,
        IntervalSchedule.DAYS,
    ),
}


def ensure_periodic_tasks(**_: Any) -> None:
    for name, (task, every, period) in PERIODIC_TASKS.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _created = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.create(name=name, task=task, interval=interval)

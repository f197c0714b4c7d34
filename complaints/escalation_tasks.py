"""Periodic complaint sweeps and the escalation notices (queue `default`). Thin: each calls one
action, which holds the rules and is safe to run twice (unique constraints, row locks with SKIP
LOCKED), so a redelivered or overlapping run changes nothing."""

from celery import shared_task

from complaints.actions.escalation import escalate_overdue_complaints, notify_escalation
from complaints.actions.privacy import anonymise_closed_complaints
from complaints.actions.satisfaction import close_unrated_complaints


@shared_task(acks_late=True)
def escalate_overdue_complaints_task() -> int:
    """Every minute: overdue complaints climb the escalation levels now due."""
    return escalate_overdue_complaints()


@shared_task(acks_late=True)
def notify_escalation_task(*, escalation_id: int) -> int:
    """Tell the supervisors of the target agency about one escalation."""
    return notify_escalation(escalation_id=escalation_id)


@shared_task(acks_late=True)
def close_unrated_complaints_task() -> int:
    """Every 15 minutes: close resolved complaints nobody rated within the window."""
    return close_unrated_complaints()


@shared_task(acks_late=True)
def anonymise_closed_complaints_task() -> int:
    """Daily: anonymise complaints closed longer than the retention period."""
    return anonymise_closed_complaints()

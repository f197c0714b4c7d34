"""What a citizen does with a complaint after reporting it: withdraw it (the reporter, or an
anonymous reporter with the secret tracking token), and follow someone else's complaint
instead of reporting the same problem again."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from complaints.actions.transitions import lock_complaint, transition
from complaints.errors import CannotFollowOwnComplaint, ComplaintNotActive, ComplaintNotFound
from complaints.models import Complaint, ComplaintEvent, Follower
from complaints.states import ACTIVE
from identity.models import Person

REASON_MAX = 2000


@transaction.atomic
def withdraw_complaint(
    *,
    complaint: Complaint,
    reporter: Person | None = None,
    tracking_token: str | None = None,
    reason: str = "",
) -> Complaint:
    """The reporter withdraws their complaint before it is resolved (the transition table
    says from which statuses); it leaves the dispatch queue with it. Anyone else is told the
    complaint does not exist."""
    complaint = lock_complaint(complaint.pk)
    is_reporter = reporter is not None and complaint.reporter_id == reporter.pk
    if not is_reporter and not complaint.holds_token(tracking_token):
        raise ComplaintNotFound()
    # A withdrawn complaint no longer waits for the dispatcher.
    changes: dict[str, Any] = {"dispatch_since": None} if complaint.dispatch_since else {}
    transition(
        complaint,
        Complaint.Status.WITHDRAWN,
        actor_kind=ComplaintEvent.ActorKind.REPORTER,
        actor=reporter.user if reporter is not None and reporter.user_id else None,
        note=reason.strip()[:REASON_MAX],
        **changes,
    )
    return complaint


@transaction.atomic
def follow_complaint(*, complaint: Complaint, person: Person) -> tuple[Follower, bool]:
    """A citizen follows an active complaint they did not report, to hear of its progress
    instead of reporting the same problem. Following twice is following once: returns the
    follower and whether it is new."""
    if complaint.reporter_id == person.pk:
        raise CannotFollowOwnComplaint()
    if complaint.status not in ACTIVE:
        raise ComplaintNotActive(complaint_status=complaint.status)
    existing = Follower.objects.filter(complaint=complaint, person=person).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Follower.objects.create(complaint=complaint, person=person), True
    except IntegrityError:  # a concurrent follow by the same person won the race
        return Follower.objects.get(complaint=complaint, person=person), False


def unfollow_complaint(*, complaint: Complaint, person: Person) -> bool:
    """The citizen stops following; whether they were following."""
    deleted, _ = Follower.objects.filter(complaint=complaint, person=person).delete()
    return deleted > 0

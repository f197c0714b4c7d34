"""The one way a complaint changes status: checked against the transition table
(complaints.states), written to the append-only history in the same transaction, and announced
to the reporter and followers after commit."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from complaints.errors import ComplaintNotFound, TransitionNotAllowed
from complaints.models import Complaint, ComplaintEvent
from complaints.states import FINAL, can_move


def lock_complaint(pk: int) -> Complaint:
    """SELECT … FOR UPDATE of one complaint (its category read with it)."""
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("category", "jurisdiction")
        .filter(pk=pk)
        .first()
    )
    if complaint is None:
        raise ComplaintNotFound()
    return complaint


def transition(
    complaint: Complaint,
    to_status: str,
    *,
    actor_kind: str,
    actor: Any = None,
    note: str = "",
    is_public: bool = True,
    **changes: Any,
) -> ComplaintEvent:
    """Move a (locked) complaint to `to_status`, recording who and why; `changes` are other
    fields saved with it. Runs in the caller's transaction (an action's), or in its own."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return transition(
                complaint, to_status, actor_kind=actor_kind, actor=actor, note=note,
                is_public=is_public, **changes,
            )  # fmt: skip
    from_status = complaint.status
    if not can_move(from_status, to_status, actor_kind):
        raise TransitionNotAllowed(from_status=from_status, to_status=to_status, actor=actor_kind)
    now = timezone.now()
    if to_status in FINAL and complaint.closed_at is None and "closed_at" not in changes:
        changes["closed_at"] = now  # the retention clock of anonymisation starts here
    complaint.status = to_status
    for name, value in changes.items():
        setattr(complaint, name, value)
    complaint.updated_at = now
    complaint.save(update_fields=["status", "updated_at", *changes])
    return _write_event(
        complaint, from_status=from_status, to_status=to_status, actor_kind=actor_kind,
        actor=actor, note=note, is_public=is_public, at=now,
    )  # fmt: skip


def add_note(
    complaint: Complaint,
    *,
    actor_kind: str,
    actor: Any = None,
    note: str,
    is_public: bool = True,
) -> ComplaintEvent:
    """A history entry that does not change the status (a progress update, a pause)."""
    now = timezone.now()
    Complaint.objects.filter(pk=complaint.pk).update(updated_at=now)
    complaint.updated_at = now
    return _write_event(
        complaint, from_status=complaint.status, to_status=complaint.status,
        actor_kind=actor_kind, actor=actor, note=note, is_public=is_public, at=now,
    )  # fmt: skip


def record_submission(complaint: Complaint, *, actor_kind: str, actor: Any = None) -> None:
    """The first history entry of a new complaint (∅ → submitted); nobody is notified."""
    ComplaintEvent.objects.create(
        complaint=complaint,
        from_status="",
        to_status=complaint.status,
        actor_kind=actor_kind,
        actor=_recorded_actor(actor_kind, actor),
        at=complaint.created_at,
    )


def _write_event(
    complaint: Complaint,
    *,
    from_status: str,
    to_status: str,
    actor_kind: str,
    actor: Any,
    note: str,
    is_public: bool,
    at: Any,
) -> ComplaintEvent:
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        from_status=from_status,
        to_status=to_status,
        actor_kind=actor_kind,
        actor=_recorded_actor(actor_kind, actor),
        agency_id=complaint.agency_id,
        note=note[:4000],
        is_public=is_public,
        at=at,
    )
    if is_public:
        from complaints.actions.notifications import announce_later

        announce_later(event)
    return event


def _recorded_actor(actor_kind: str, actor: Any) -> Any:
    """The staff account behind an entry. A reporter's own moves are recorded by kind only:
    history is append-only, so a link to the reporter's account written here could never be
    removed when old complaints are anonymised."""
    if actor_kind == ComplaintEvent.ActorKind.REPORTER:
        return None
    return actor if getattr(actor, "pk", None) else None

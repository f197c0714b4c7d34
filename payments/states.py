"""The payment attempt state machine: the one table of allowed transitions, the public status of
each internal state, and the compare-and-set update every change goes through."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict
from payments.models import PaymentAllocation, PaymentAttempt, PaymentEvent

S = PaymentAttempt.State

# Internal state → public status (GOV.UK Pay's set). The *_submitted states are written before a
# provider call, so a crash leaves a state the reconciliation sweeper resolves by asking.
PUBLIC_STATUS: dict[str, str] = {
    S.CREATED: "created",
    S.AUTHORISATION_SUBMITTED: "created",
    S.STARTED: "started",
    S.SUBMITTED: "submitted",
    S.CAPTURE_SUBMITTED: "submitted",
    S.CANCEL_SUBMITTED: "started",
    S.SUCCESS: "success",
    S.FAILED: "failed",
    S.CANCELLED: "cancelled",
    S.ERROR: "error",
}
FINISHED = frozenset({S.SUCCESS, S.FAILED, S.CANCELLED, S.ERROR})

# (from, to) → the event that names the edge. Nothing else is allowed. `failed` and `error` are
# not absorbing: a verified provider report of a capture moves them to `success`.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.CREATED, S.AUTHORISATION_SUBMITTED): "authorisation_requested",
    (S.CREATED, S.FAILED): "expired",
    (S.CREATED, S.CANCELLED): "cancelled_by_service",
    (S.AUTHORISATION_SUBMITTED, S.STARTED): "checkout_created",
    (S.AUTHORISATION_SUBMITTED, S.ERROR): "provider_error",
    (S.AUTHORISATION_SUBMITTED, S.FAILED): "expired",
    (S.STARTED, S.SUBMITTED): "authorised",
    (S.STARTED, S.SUCCESS): "captured",
    (S.STARTED, S.FAILED): "declined_or_expired",
    (S.STARTED, S.CANCEL_SUBMITTED): "cancel_requested",
    (S.STARTED, S.ERROR): "provider_error",
    (S.SUBMITTED, S.CAPTURE_SUBMITTED): "capture_requested",
    (S.SUBMITTED, S.SUCCESS): "captured",
    (S.SUBMITTED, S.FAILED): "declined_or_expired",
    (S.SUBMITTED, S.ERROR): "provider_error",
    (S.CAPTURE_SUBMITTED, S.SUCCESS): "captured",
    (S.CAPTURE_SUBMITTED, S.ERROR): "provider_error",
    (S.CANCEL_SUBMITTED, S.CANCELLED): "cancelled",
    (S.CANCEL_SUBMITTED, S.SUCCESS): "captured",
    (S.FAILED, S.SUCCESS): "late_capture",
    (S.ERROR, S.SUCCESS): "late_capture",
}


class IllegalTransition(Conflict):
    code = "payment_state_conflict"
    title = _("The payment is no longer in a state that allows this.")


def public_status(state: str) -> str:
    return PUBLIC_STATUS[state]


def can_move(from_state: str, to_state: str) -> bool:
    return (from_state, to_state) in TRANSITIONS


@transaction.atomic
def move(
    attempt: PaymentAttempt, to_state: str, *, detail: dict[str, Any] | None = None, **fields: Any
) -> PaymentAttempt:
    """Compare-and-set: change state only if the row is still in the state we read, and only
    along an edge of TRANSITIONS. Writes the timeline event in the same transaction; a finished
    attempt releases its bills (one unfinished attempt per bill)."""
    from_state = attempt.state
    event = TRANSITIONS.get((from_state, to_state))
    if event is None:
        raise IllegalTransition(from_state=from_state, to_state=to_state)
    finished = to_state in FINISHED
    updated = PaymentAttempt.objects.filter(pk=attempt.pk, state=from_state).update(
        state=to_state, finished=finished, **fields
    )
    if updated != 1:
        raise IllegalTransition(
            from_state=from_state, to_state=to_state, reason="concurrent change"
        )
    PaymentEvent.objects.create(
        attempt=attempt, from_state=from_state, to_state=to_state, event=event, detail=detail or {}
    )
    if finished:
        PaymentAllocation.objects.filter(attempt=attempt, is_open=True).update(is_open=False)
    attempt.refresh_from_db()
    return attempt

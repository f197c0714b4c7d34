"""The application state machine: every allowed transition, and who may make it.

draft ──► submitted ──► awaiting_payment ──► checking ──► approved
             │                 │                 ├──────► rejected ──► manual_review (human
             │                 │                 │                     review requested)
             │                 │                 ├──────► returned (evidence requested)
             └─────────────────┴─────────────────┴──────► manual_review ──► approved
                                                                         ├► rejected
                                                                         └► returned ──► submitted
withdrawn: from draft, submitted, awaiting_payment, manual_review and returned (before a
decision).
"""

from services.models import Application, ApplicationEvent

S = Application.Status
A = ApplicationEvent.ActorKind

# (from, to) → who may make the move.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.DRAFT, S.SUBMITTED): frozenset({A.APPLICANT}),
    (S.DRAFT, S.WITHDRAWN): frozenset({A.APPLICANT}),
    (S.SUBMITTED, S.AWAITING_PAYMENT): frozenset({A.SYSTEM}),
    (S.SUBMITTED, S.CHECKING): frozenset({A.SYSTEM}),
    (S.SUBMITTED, S.MANUAL_REVIEW): frozenset({A.SYSTEM}),
    (S.SUBMITTED, S.WITHDRAWN): frozenset({A.APPLICANT}),
    (S.AWAITING_PAYMENT, S.CHECKING): frozenset({A.SYSTEM}),
    (S.AWAITING_PAYMENT, S.MANUAL_REVIEW): frozenset({A.SYSTEM}),
    (S.AWAITING_PAYMENT, S.WITHDRAWN): frozenset({A.APPLICANT}),
    (S.CHECKING, S.APPROVED): frozenset({A.SYSTEM}),
    (S.CHECKING, S.REJECTED): frozenset({A.SYSTEM}),
    (S.CHECKING, S.MANUAL_REVIEW): frozenset({A.SYSTEM}),
    (S.CHECKING, S.RETURNED): frozenset({A.SYSTEM}),
    (S.MANUAL_REVIEW, S.APPROVED): frozenset({A.OFFICER}),
    (S.MANUAL_REVIEW, S.REJECTED): frozenset({A.OFFICER}),
    (S.MANUAL_REVIEW, S.RETURNED): frozenset({A.OFFICER}),
    (S.MANUAL_REVIEW, S.WITHDRAWN): frozenset({A.APPLICANT}),
    (S.RETURNED, S.SUBMITTED): frozenset({A.APPLICANT}),
    (S.RETURNED, S.WITHDRAWN): frozenset({A.APPLICANT}),
    # The applicant asks a human to look again at an automatic rejection.
    (S.REJECTED, S.MANUAL_REVIEW): frozenset({A.APPLICANT}),
}

DECIDED = frozenset({S.APPROVED, S.REJECTED})
FINAL = frozenset({S.APPROVED, S.WITHDRAWN})
OPEN = frozenset({S.SUBMITTED, S.AWAITING_PAYMENT, S.CHECKING, S.MANUAL_REVIEW, S.RETURNED})


def can_move(from_status: str, to_status: str, actor_kind: str) -> bool:
    return actor_kind in TRANSITIONS.get((from_status, to_status), frozenset())


def next_statuses(from_status: str, actor_kind: str) -> list[str]:
    return [
        to for (frm, to), who in TRANSITIONS.items() if frm == from_status and actor_kind in who
    ]

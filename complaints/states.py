"""The complaint state machine: every allowed transition, and who may make it.

submitted ──► routed ──► accepted ──► in_progress ──► resolved ──► closed
    │           │  ▲         │             │              │
    │           │  │         │             │              └──► rework ──► in_progress / resolved
    │           ▼  │         ▼             ▼
    │        rejected (not ours: back to the dispatcher, who routes it again)
    │        transferred (to another agency, which then accepts it like a routed one)
    └──────► duplicate (of another complaint; its updates reach this reporter)
withdrawn: by the reporter, before resolution.

A complaint no rule could route stays "submitted" in the jurisdiction's dispatch queue
(dispatch_since set) until the dispatcher routes it; a rejected one waits there too.
"""

from complaints.models import Complaint, ComplaintEvent

S = Complaint.Status
A = ComplaintEvent.ActorKind

STAFF = frozenset({A.OFFICER, A.SUPERVISOR})
TRIAGE = frozenset({A.DISPATCHER, A.SYSTEM})
REPORTER = frozenset({A.REPORTER})

# (from, to) → who may make the move.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.SUBMITTED, S.ROUTED): frozenset({A.SYSTEM, A.DISPATCHER}),
    (S.SUBMITTED, S.DUPLICATE): TRIAGE | STAFF,
    (S.SUBMITTED, S.WITHDRAWN): REPORTER,
    # The handling agency makes first contact, or refuses the case.
    (S.ROUTED, S.ACCEPTED): STAFF,
    (S.ROUTED, S.REJECTED): STAFF,
    (S.ROUTED, S.TRANSFERRED): STAFF | {A.DISPATCHER},
    (S.ROUTED, S.DUPLICATE): STAFF | {A.DISPATCHER},
    (S.ROUTED, S.WITHDRAWN): REPORTER,
    (S.TRANSFERRED, S.ACCEPTED): STAFF,
    (S.TRANSFERRED, S.REJECTED): STAFF,
    (S.TRANSFERRED, S.TRANSFERRED): STAFF | {A.DISPATCHER},
    (S.TRANSFERRED, S.DUPLICATE): STAFF | {A.DISPATCHER},
    (S.TRANSFERRED, S.WITHDRAWN): REPORTER,
    # A rejected complaint waits for the dispatcher, who routes it to the right agency.
    (S.REJECTED, S.ROUTED): frozenset({A.DISPATCHER}),
    (S.REJECTED, S.TRANSFERRED): frozenset({A.DISPATCHER}),
    (S.REJECTED, S.DUPLICATE): frozenset({A.DISPATCHER}),
    (S.REJECTED, S.WITHDRAWN): REPORTER,
    (S.ACCEPTED, S.IN_PROGRESS): STAFF,
    (S.ACCEPTED, S.RESOLVED): STAFF,
    (S.ACCEPTED, S.TRANSFERRED): STAFF,
    (S.ACCEPTED, S.DUPLICATE): STAFF,
    (S.ACCEPTED, S.WITHDRAWN): REPORTER,
    (S.IN_PROGRESS, S.RESOLVED): STAFF,
    (S.IN_PROGRESS, S.TRANSFERRED): STAFF,
    (S.IN_PROGRESS, S.DUPLICATE): STAFF,
    (S.IN_PROGRESS, S.WITHDRAWN): REPORTER,
    # The reporter rates: satisfied closes, dissatisfied reopens; no rating closes it too.
    (S.RESOLVED, S.CLOSED): frozenset({A.REPORTER, A.SYSTEM}),
    (S.RESOLVED, S.REWORK): frozenset({A.REPORTER}),
    (S.REWORK, S.IN_PROGRESS): STAFF,
    (S.REWORK, S.RESOLVED): STAFF,
}

# Where the handling agency is still working on it (SLA clocks run, escalation applies).
OPEN = frozenset({S.ROUTED, S.TRANSFERRED, S.ACCEPTED, S.IN_PROGRESS, S.REWORK})
# Waiting for first contact.
AWAITING_CONTACT = frozenset({S.ROUTED, S.TRANSFERRED})
# Nothing more happens.
FINAL = frozenset({S.CLOSED, S.DUPLICATE, S.WITHDRAWN})
# Open311's two statuses.
OPEN311_CLOSED = frozenset({S.RESOLVED, S.CLOSED, S.DUPLICATE, S.WITHDRAWN})
# Shown to the public and counted as a possible duplicate of a new report.
ACTIVE = frozenset(
    {S.SUBMITTED, S.ROUTED, S.TRANSFERRED, S.REJECTED, S.ACCEPTED, S.IN_PROGRESS, S.REWORK}
)


def can_move(from_status: str, to_status: str, actor_kind: str) -> bool:
    return actor_kind in TRANSITIONS.get((from_status, to_status), frozenset())


def next_statuses(from_status: str, actor_kind: str) -> list[str]:
    return [
        to for (frm, to), who in TRANSITIONS.items() if frm == from_status and actor_kind in who
    ]

"""What the handling agency does with a complaint: make first contact, work on it, resolve it,
refuse it back to the dispatcher, pass it to another agency, mark it a duplicate, wait for the
reporter, and write progress notes. The staff API and the admin screens call these same actions.

Who acts is an officer or a supervisor of the handling agency (history: `officer` or
`supervisor`), a dispatcher for the moves the transition table gives dispatchers, or the
agency's integrator (an ApiClient with `complaints:write`). The transition table has no
integrator actor: an integrator's move is recorded as an officer's without a user, followed by
an internal history entry naming the integrator.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityportal.errors import field_error
from complaints.actions.routing import dispatch_complaint
from complaints.actions.transitions import add_note, lock_complaint, transition
from complaints.deadlines import extend_for_pause, first_contact_due
from complaints.errors import (
    ClockNotPaused,
    ClockPaused,
    InvalidComplaint,
    NotDispatcher,
    NotHandlingAgency,
    TransitionNotAllowed,
)
from complaints.models import Complaint, ComplaintEvent
from complaints.permissions import agency_serves, can_handle, is_dispatcher_for, is_supervisor_of
from complaints.states import FINAL, OPEN
from identity.access import record_access
from identity.models import AccessLogEntry, Agency, ApiClient

S = Complaint.Status
A = ComplaintEvent.ActorKind

# A member of staff (identity.User) or an agency system (identity.ApiClient).
Principal = Any


@transaction.atomic
def accept_complaint(*, complaint: Complaint, by: Principal, note: str) -> Complaint:
    """The handling agency made first contact with the reporter; the note says how."""
    complaint = _locked_for_handling(complaint, by)
    note = _required(note, "note", _("Say how the reporter was contacted."))
    _not_paused(complaint)
    now = timezone.now()
    _move(complaint, S.ACCEPTED, by=by, note=note, accepted_at=now)
    return complaint


@transaction.atomic
def start_work(*, complaint: Complaint, by: Principal, note: str = "") -> Complaint:
    """Work starts on an accepted complaint, or on one reopened for rework."""
    complaint = _locked_for_handling(complaint, by)
    _not_paused(complaint)
    _move(complaint, S.IN_PROGRESS, by=by, note=note.strip() or _("Work has started."))
    return complaint


@transaction.atomic
def resolve_complaint(*, complaint: Complaint, by: Principal, note: str) -> Complaint:
    """The agency resolved the complaint and says what it did; on time if by the resolution
    deadline. A clock stopped for the reporter must run again first."""
    complaint = _locked_for_handling(complaint, by)
    note = _required(note, "note", _("Say what was done, in words the reporter reads."))
    _not_paused(complaint)
    now = timezone.now()
    on_time = None if complaint.resolution_due is None else now <= complaint.resolution_due
    _move(
        complaint, S.RESOLVED, by=by, note=note,
        resolved_at=now, resolved_on_time=on_time, resolution_note=note,
    )  # fmt: skip
    return complaint


@transaction.atomic
def reject_complaint(*, complaint: Complaint, by: Principal, reason: str) -> Complaint:
    """Not this agency's: the complaint goes back to the dispatch queue with the reason, and
    the rejecting agency no longer handles it."""
    complaint = _locked_for_handling(complaint, by)
    reason = _required(reason, "reason", _("Say why this is not your agency's."))
    _not_paused(complaint)
    _move(complaint, S.REJECTED, by=by, note=reason, agency=None, dispatch_since=timezone.now())
    return complaint


@transaction.atomic
def transfer_complaint(
    *, complaint: Complaint, by: Principal, agency: Agency, reason: str
) -> Complaint:
    """The complaint goes to another active agency of its jurisdiction or one above it, which
    makes first contact anew (from now); the resolution deadline stays."""
    complaint = lock_complaint(complaint.pk)
    kind, actor = _actor(complaint, by, dispatchers=True)
    reason = _required(reason, "reason", _("Say why the other agency should handle it."))
    _not_paused(complaint)
    if agency.pk == complaint.agency_id or not agency_serves(agency, complaint.jurisdiction):
        raise InvalidComplaint(
            errors=[field_error(
                "agency", "invalid_agency",
                _("Choose another active agency of this complaint's jurisdiction."),
            )]
        )  # fmt: skip
    now = timezone.now()
    _move(
        complaint, S.TRANSFERRED, by=by, kind=kind, actor=actor, note=reason, agency=agency,
        first_contact_due=first_contact_due(complaint.category, now), accepted_at=None,
        dispatch_since=None, handovers=complaint.handovers + 1,
    )  # fmt: skip
    return complaint


@transaction.atomic
def mark_duplicate(
    *, complaint: Complaint, by: Principal, original: Complaint, note: str = ""
) -> Complaint:
    """The complaint reports the same thing as an open one of its jurisdiction; from now on
    the original's updates reach this reporter and followers too. Complaints already marked
    duplicates of this one follow the original instead."""
    first, second = sorted([complaint.pk, original.pk])
    locked = {first: lock_complaint(first), second: lock_complaint(second)}  # in pk order
    complaint, original = locked[complaint.pk], locked[original.pk]
    kind, actor = _actor(complaint, by, dispatchers=True)
    _not_paused(complaint)
    if (
        original.pk == complaint.pk
        or original.jurisdiction_id != complaint.jurisdiction_id
        or original.duplicate_of_id is not None
        or original.status in FINAL
    ):
        raise InvalidComplaint(errors=[_invalid_original()])
    said = _("Reported already as %(number)s; its updates reach you too.") % {
        "number": original.tracking_number
    }
    _move(
        complaint, S.DUPLICATE, by=by, kind=kind, actor=actor,
        note=f"{said} {note.strip()}".strip(), duplicate_of=original, dispatch_since=None,
    )  # fmt: skip
    for earlier in Complaint.objects.filter(duplicate_of=complaint).order_by("pk"):
        Complaint.objects.filter(pk=earlier.pk).update(duplicate_of=original)
        add_note(
            earlier, actor_kind=kind, actor=actor, is_public=False,
            note=_("Now a duplicate of %(original)s, as %(number)s is.")
            % {"original": original.tracking_number, "number": complaint.tracking_number},
        )  # fmt: skip
    return complaint


@transaction.atomic
def pause_clock(*, complaint: Complaint, by: Principal, question: str) -> Complaint:
    """The agency waits for the reporter's answer to a question: the deadlines stand still
    until the clock is resumed."""
    complaint = _locked_for_handling(complaint, by)
    question = _required(question, "question", _("Ask the reporter what you need to know."))
    if complaint.paused_at is not None:
        raise ClockPaused(_("The clock is already stopped for the reporter."))
    if complaint.status not in OPEN:
        raise TransitionNotAllowed(
            _("Only a complaint the agency is working on waits for its reporter."),
            from_status=complaint.status, to_status=complaint.status, actor=_kind(complaint, by),
        )  # fmt: skip
    complaint.paused_at = timezone.now()
    complaint.save(update_fields=["paused_at"])
    _note(complaint, by=by, note=question, is_public=True)
    return complaint


@transaction.atomic
def resume_clock(*, complaint: Complaint, by: Principal, note: str = "") -> Complaint:
    """The reporter answered (or the wait is over): the deadlines move on by the time the
    clock stood still — working time for the resolution, clock time for first contact, which
    runs through nights and weekends."""
    complaint = _locked_for_handling(complaint, by)
    if complaint.paused_at is None:
        raise ClockNotPaused()
    paused_at, now = complaint.paused_at, timezone.now()
    changes: dict[str, datetime | None] = {"paused_at": None}
    if complaint.resolution_due is not None:
        changes["resolution_due"] = extend_for_pause(
            complaint, complaint.resolution_due, paused_at=paused_at, resumed_at=now
        )
    if complaint.accepted_at is None and complaint.first_contact_due is not None:
        changes["first_contact_due"] = complaint.first_contact_due + (now - paused_at)
    for name, value in changes.items():
        setattr(complaint, name, value)
    complaint.save(update_fields=list(changes))
    _note(complaint, by=by, note=note.strip() or _("The work goes on."), is_public=True)
    return complaint


@transaction.atomic
def add_progress_note(
    *, complaint: Complaint, by: Principal, note: str, is_public: bool = True
) -> Complaint:
    """A progress update for the reporter and followers, or an internal note for staff."""
    complaint = _locked_for_handling(complaint, by)
    note = _required(note, "note", _("Write the note."))
    if complaint.status in FINAL:
        raise TransitionNotAllowed(
            _("Nothing more happens to this complaint."),
            from_status=complaint.status, to_status=complaint.status, actor=_kind(complaint, by),
        )  # fmt: skip
    _note(complaint, by=by, note=note, is_public=is_public)
    return complaint


def dispatch_to_agency(
    *, complaint: Complaint, by: Principal, agency: Agency, note: str = ""
) -> Complaint:
    """A dispatcher of the complaint's jurisdiction routes a complaint waiting in the dispatch
    queue (complaints.actions.routing.dispatch_complaint does the routing)."""
    if not is_dispatcher_for(by, complaint):
        raise NotDispatcher()
    if complaint.dispatch_since is None:
        raise TransitionNotAllowed(
            _("This complaint is not waiting for the dispatcher."),
            from_status=complaint.status, to_status=S.ROUTED, actor=A.DISPATCHER,
        )  # fmt: skip
    return dispatch_complaint(complaint=complaint, agency=agency, dispatcher=by, note=note.strip())


def record_staff_read(*, complaint: Complaint, user: Principal, channel: str) -> None:
    """Staff (or an integrator) opened a complaint: its reporter sees the read in their
    access log. Anonymous reports have nobody to tell."""
    if complaint.reporter_id is None or complaint.reporter is None:
        return
    what = f"complaint {complaint.tracking_number}"
    if isinstance(user, ApiClient):
        record_access(
            person=complaint.reporter, channel=AccessLogEntry.Channel.INTEGRATOR, client=user,
            what=what, purpose="handling the complaint",
        )  # fmt: skip
        return
    handles = can_handle(user, complaint)
    record_access(
        person=complaint.reporter, channel=channel, actor=user,
        agency=complaint.agency if handles else None,
        what=what, purpose="handling the complaint" if handles else "dispatching complaints",
    )  # fmt: skip


def agency_by_code(code: str) -> Agency:
    """The agency a complaint is sent to, by its code (for the API and the admin forms)."""
    agency = Agency.objects.filter(code=code).select_related("jurisdiction").first()
    if agency is None:
        raise InvalidComplaint(
            errors=[field_error("agency", "invalid_agency", _("No agency has this code."))]
        )
    return agency


def original_by_number(number: str) -> Complaint:
    """The complaint another one repeats, by its tracking number. An unknown number gets the
    same answer as one of another jurisdiction: no complaint is revealed to exist."""
    original = Complaint.objects.filter(tracking_number=number.strip().upper()).first()
    if original is None:
        raise InvalidComplaint(errors=[_invalid_original()])
    return original


# Helpers -----------------------------------------------------------------------------------


def _locked_for_handling(complaint: Complaint, by: Principal) -> Complaint:
    """The complaint, locked, if `by` acts for the agency handling it."""
    complaint = lock_complaint(complaint.pk)
    if not can_handle(by, complaint):
        raise NotHandlingAgency()
    return complaint


def _actor(complaint: Complaint, by: Principal, *, dispatchers: bool) -> tuple[str, Any]:
    """Who acts, as the history records it: the handling agency's staff first, then (for the
    moves dispatchers may make) a dispatcher of the jurisdiction."""
    if can_handle(by, complaint):
        return _kind(complaint, by), _user(by)
    if dispatchers and is_dispatcher_for(by, complaint) and not isinstance(by, ApiClient):
        return A.DISPATCHER, by
    raise NotHandlingAgency()


def _kind(complaint: Complaint, by: Principal) -> str:
    return A.SUPERVISOR if is_supervisor_of(by, complaint) else A.OFFICER


def _user(by: Principal) -> Any:
    return None if isinstance(by, ApiClient) else by


def _move(
    complaint: Complaint,
    to_status: str,
    *,
    by: Principal,
    note: str,
    kind: str | None = None,
    actor: Any = None,
    **changes: Any,
) -> None:
    if kind is None:
        kind, actor = _kind(complaint, by), _user(by)
    transition(complaint, to_status, actor_kind=kind, actor=actor, note=note, **changes)
    _name_the_integrator(complaint, by)


def _note(complaint: Complaint, *, by: Principal, note: str, is_public: bool) -> None:
    add_note(
        complaint, actor_kind=_kind(complaint, by), actor=_user(by), note=note,
        is_public=is_public,
    )  # fmt: skip
    _name_the_integrator(complaint, by)


def _name_the_integrator(complaint: Complaint, by: Principal) -> None:
    """The history's actor kinds have no integrator for handling moves: say who it was."""
    if isinstance(by, ApiClient):
        add_note(
            complaint, actor_kind=A.INTEGRATOR, is_public=False,
            note=_("Recorded by the agency system %(name)s (%(client)s).")
            % {"name": by.name, "client": by.client_id},
        )  # fmt: skip


def _invalid_original() -> dict[str, Any]:
    return field_error(
        "original",
        "invalid_original",
        _("Choose another complaint of this jurisdiction that is still open and not itself a "
          "duplicate."),
    )  # fmt: skip


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidComplaint(errors=[field_error(field, "required", message)])
    return value


def _not_paused(complaint: Complaint) -> None:
    if complaint.paused_at is not None:
        raise ClockPaused()

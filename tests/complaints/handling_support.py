"""Complaints in a given state of handling, for the handling, staff API and admin tests.

A complaint is created with ComplaintFactory, routed by complaints.actions.routing, and moved
on with the transition helpers (as the handling agency would), so these tests do not depend on
the intake API.
"""

from typing import Any

from django.utils import timezone

from complaints.actions.routing import route_complaint
from complaints.actions.transitions import lock_complaint, transition
from complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from identity.models import Agency, Jurisdiction, Membership
from tests.factories import (
    AgencyFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    MembershipFactory,
)

S = Complaint.Status
A = ComplaintEvent.ActorKind

# The moves (by the handling agency, or the reporter's rating) that lead to each status.
_PATH: dict[str, list[tuple[str, str]]] = {
    S.ROUTED: [],
    S.ACCEPTED: [(S.ACCEPTED, A.OFFICER)],
    S.IN_PROGRESS: [(S.ACCEPTED, A.OFFICER), (S.IN_PROGRESS, A.OFFICER)],
    S.RESOLVED: [(S.ACCEPTED, A.OFFICER), (S.RESOLVED, A.OFFICER)],
    S.REWORK: [(S.ACCEPTED, A.OFFICER), (S.RESOLVED, A.OFFICER), (S.REWORK, A.REPORTER)],
    S.CLOSED: [(S.ACCEPTED, A.OFFICER), (S.RESOLVED, A.OFFICER), (S.CLOSED, A.REPORTER)],
    S.TRANSFERRED: [(S.TRANSFERRED, A.OFFICER)],
    S.WITHDRAWN: [(S.WITHDRAWN, A.REPORTER)],
}


def category_of(agency: Agency, **fields: Any) -> ComplaintCategory:
    """A leaf category of the agency's jurisdiction that the agency handles by default."""
    return ComplaintCategoryFactory.create(
        jurisdiction=agency.jurisdiction, default_agency=agency, **fields
    )


def complaint_of(
    agency: Agency,
    status: str = S.ROUTED,
    *,
    category: ComplaintCategory | None = None,
    **fields: Any,
) -> Complaint:
    """A complaint routed to `agency` (by its category) and moved on to `status`."""
    complaint = ComplaintFactory.create(category=category or category_of(agency), **fields)
    route_complaint(complaint_id=complaint.pk)
    for to_status, actor_kind in _PATH[status]:
        locked = lock_complaint(complaint.pk)
        changes: dict[str, Any] = {}
        if to_status == S.ACCEPTED:
            changes["accepted_at"] = timezone.now()
        if to_status == S.TRANSFERRED:
            changes["agency"] = agency  # passed on within the agency, still waiting for contact
        transition(locked, to_status, actor_kind=actor_kind, **changes)
    complaint.refresh_from_db()
    return complaint


def waiting_for_dispatch(jurisdiction: Jurisdiction, **fields: Any) -> Complaint:
    """A complaint no rule routes: its category has no default agency."""
    category = ComplaintCategoryFactory.create(jurisdiction=jurisdiction, default_agency=None)
    complaint = ComplaintFactory.create(category=category, **fields)
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    assert complaint.dispatch_since is not None
    return complaint


def staff(agency: Agency, role: str = Membership.Role.OFFICER) -> Any:
    return MembershipFactory.create(agency=agency, role=role).user


def dispatch_centre(jurisdiction: Jurisdiction) -> Agency:
    return AgencyFactory.create(jurisdiction=jurisdiction, name="Dispatch centre")


def history(complaint: Complaint) -> list[tuple[str, str, str]]:
    return list(
        complaint.events.order_by("at", "pk").values_list("to_status", "actor_kind", "note")
    )

"""Routing: the system sends a submitted complaint to an agency by the jurisdiction's rules,
or to the dispatch queue; the dispatcher routes what the rules could not."""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cityportal.runs import DrainRun, handle_batch
from complaints.actions.transitions import add_note, lock_complaint, transition
from complaints.deadlines import first_contact_due, resolution_due
from complaints.errors import InvalidComplaint
from complaints.models import Complaint, ComplaintEvent
from complaints.permissions import agency_serves
from complaints.routing import routing_table
from identity.models import Agency

logger = logging.getLogger(__name__)
S = Complaint.Status
A = ComplaintEvent.ActorKind

ROUTING_RUN = DrainRun(
    key="complaints:routing-requested", task="complaints.tasks.route_waiting_complaints_task"
)


def waiting_complaints() -> QuerySet[Complaint]:
    """Complaints submitted and not yet routed by the rules nor waiting for the dispatcher."""
    return Complaint.objects.filter(status=S.SUBMITTED, dispatch_since__isnull=True)


@transaction.atomic
def route_complaint(*, complaint_id: int) -> Complaint | None:
    """Apply the jurisdiction's routing rules to a submitted complaint (see `_apply_rules`).
    Does nothing to a complaint that is no longer waiting to be routed."""
    complaint = next(iter(Complaint.objects.select_for_update().filter(pk=complaint_id)), None)
    if complaint is None or complaint.status != S.SUBMITTED or complaint.dispatch_since:
        return complaint
    return _apply_rules(complaint)


ROUTING_BATCH = 20
"""Complaints a routing run claims and routes in one transaction."""


def route_next_waiting_complaints(*, after: int = 0, batch: int = ROUTING_BATCH) -> list[Complaint]:
    """Route the longest-waiting complaints above id `after` that no other run holds, up to
    `batch` of them, oldest first; none when none waits. Parallel runs share them (SKIP
    LOCKED), and each is routed once.

    When routing the batch fails, its complaints are routed one at a time, and one that fails
    again goes to the dispatcher (cityportal.runs.handle_batch)."""
    return handle_batch(
        lambda pick, by_rules: _route_claimed(pick, by_rules=by_rules),
        waiting_complaints(),
        after=after,
        batch=batch,
        noun="complaint",
    )


@transaction.atomic
def _route_claimed(
    pick: Callable[[QuerySet[Complaint]], QuerySet[Complaint]], *, by_rules: bool = True
) -> list[Complaint]:
    # The category and the jurisdiction come from the routing table, not from a join.
    waiting = waiting_complaints().select_for_update(skip_locked=True)
    return [
        _apply_rules(complaint) if by_rules else _to_dispatcher(complaint, _ROUTING_FAILED)
        for complaint in pick(waiting)
    ]


def route_waiting_complaints() -> int:
    """One routing run (queue `routing`): every complaint waiting for the rules, oldest first."""
    return ROUTING_RUN.drain(
        lambda after: route_next_waiting_complaints(after=after, batch=ROUTING_BATCH),
        batch=ROUTING_BATCH,
    )


def request_routing() -> None:
    """After a submission commits: a routing run, unless one is already on its way."""
    ROUTING_RUN.request()


def _apply_rules(complaint: Complaint) -> Complaint:
    """The first matching rule of the jurisdiction gives the agency; with none, the category's
    default agency; with neither, the dispatch queue. The complaint is locked by the caller."""
    table = routing_table(complaint.jurisdiction_id)
    complaint.jurisdiction = table.jurisdiction
    category = table.category_by_id.get(complaint.category_id)
    if category is not None:  # else one created a moment ago: read on first use
        complaint.category = category
    rule = table.match(
        category_id=complaint.category_id,
        district_id=complaint.district_id,
        at=complaint.created_at,
        answers=complaint.answers,
    )
    if rule is not None:
        note = _("Routed by rule “%(rule)s”.") % {"rule": rule.name}
        return _route(complaint, agency_id=rule.agency_id, rule_id=rule.pk, note=note,
                      actor_kind=A.SYSTEM)  # fmt: skip
    default_id = complaint.category.default_agency_id
    if default_id is not None and default_id in table.active_agency_ids:
        note = _("Routed to the category's agency (no routing rule applied).")
        return _route(complaint, agency_id=default_id, rule_id=None, note=note,
                      actor_kind=A.SYSTEM)  # fmt: skip
    return _to_dispatcher(complaint, _NO_RULE)


_NO_RULE = gettext_noop("No routing rule applies; waiting for the dispatcher.")
_ROUTING_FAILED = gettext_noop("Automatic routing failed; waiting for the dispatcher.")


def _to_dispatcher(complaint: Complaint, why: str) -> Complaint:
    """Into the jurisdiction's dispatch queue, with an internal note saying why."""
    complaint.dispatch_since = timezone.now()
    complaint.save(update_fields=["dispatch_since"])
    add_note(complaint, actor_kind=A.SYSTEM, is_public=False, note=_(why))
    return complaint


@transaction.atomic
def dispatch_complaint(
    *, complaint: Complaint, agency: Agency, dispatcher: Any, note: str = ""
) -> Complaint:
    """The dispatcher sends a complaint waiting in the dispatch queue (never routed, or
    rejected by an agency) to an agency that serves its jurisdiction."""
    complaint = lock_complaint(complaint.pk)
    if complaint.dispatch_since is None:
        raise InvalidComplaint(_("This complaint is not waiting for the dispatcher."))
    if not agency_serves(agency, complaint.jurisdiction):
        raise InvalidComplaint(_("Choose an active agency of this complaint's jurisdiction."))
    return _route(
        complaint, agency_id=agency.pk, rule_id=None, actor_kind=A.DISPATCHER,
        actor=dispatcher, note=note or _("Routed by the dispatcher."),
    )  # fmt: skip


def _route(
    complaint: Complaint, *, agency_id: int, rule_id: int | None, note: str, actor_kind: str,
    actor: Any = None,
) -> Complaint:  # fmt: skip
    now = timezone.now()
    changes: dict[str, Any] = {
        "agency_id": agency_id,
        "routing_rule_id": rule_id,
        "routed_at": now,
        "dispatch_since": None,
    }
    if complaint.resolution_due is None:  # the clock starts at submission, once
        changes["first_contact_due"] = first_contact_due(complaint.category, complaint.created_at)
        changes["resolution_due"] = resolution_due(complaint, complaint.created_at)
    else:  # routed again after a rejection: the new agency owes its own first contact
        changes["first_contact_due"] = first_contact_due(complaint.category, now)
        changes["handovers"] = complaint.handovers + 1
    transition(complaint, S.ROUTED, actor_kind=actor_kind, actor=actor, note=note, **changes)
    return complaint

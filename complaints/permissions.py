"""Who among agency staff and agency systems may see and do what with a complaint. The staff
API's permission classes, the admin's querysets and the handling actions only call these.

- Officers and supervisors handle the complaints their agency handles (`Complaint.agency`).
- Dispatchers triage for their agency's jurisdiction and the jurisdictions beneath it: the
  complaints waiting in the dispatch queue (never routed, or rejected by an agency) are theirs
  to route; the rest of that jurisdiction's complaints they may read.
- An integrator (an identity ApiClient) acts for its own agency, reading with the scope
  `complaints:read` and changing with `complaints:write`.
- Superusers (platform administrators) read everything and handle nothing.

The reporter's contact details reach the handling agency only: not dispatchers, not other
agencies, not oversight, not administrators. Everyone else is told "not found".
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from complaints.models import Complaint, ComplaintEvent
from complaints.states import AWAITING_CONTACT, FINAL, OPEN, next_statuses
from identity.models import Agency, ApiClient, Jurisdiction, Membership
from identity.queries import roles_of

S = Complaint.Status
R = Membership.Role
HANDLING_ROLES = (R.OFFICER, R.SUPERVISOR)
READ_SCOPE = ApiClient.Scope.COMPLAINTS_READ
WRITE_SCOPE = ApiClient.Scope.COMPLAINTS_WRITE

# The handling moves, by the status each one leads to (complaints.states decides which apply).
_MOVES = (
    ("accept", S.ACCEPTED),
    ("start", S.IN_PROGRESS),
    ("resolve", S.RESOLVED),
    ("reject", S.REJECTED),
    ("transfer", S.TRANSFERRED),
    ("duplicate", S.DUPLICATE),
)
HANDLING_ACTIONS = (*(name for name, _status in _MOVES), "pause", "resume", "notes", "dispatch")


@dataclass(frozen=True)
class StaffScope:
    """What one caller's memberships (or integrator credentials) give them."""

    handling: frozenset[int]  # agencies whose complaints they handle
    reading: frozenset[int]  # agencies whose complaints they read, contact details included
    supervising: frozenset[int]
    dispatching: frozenset[int]  # jurisdictions, with those beneath them
    is_superuser: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.reading or self.dispatching or self.is_superuser)


_NOBODY = StaffScope(frozenset(), frozenset(), frozenset(), frozenset())


def staff_scope(principal: Any) -> StaffScope:
    """The caller's agencies and jurisdictions; read once per request object."""
    cached = getattr(principal, "_complaints_staff_scope", None)
    if cached is None:
        cached = _load_scope(principal)
        if principal is not None and hasattr(principal, "__dict__"):
            principal._complaints_staff_scope = cached
    return cached


def _load_scope(principal: Any) -> StaffScope:
    if isinstance(principal, ApiClient):
        if not (principal.is_active and principal.revoked_at is None):
            return _NOBODY
        own = frozenset({principal.agency_id})
        writes = principal.has_scope(WRITE_SCOPE)
        # Which scope a request needs (read for GET, write for POST) the API checks; a client
        # that may change its agency's complaints may also look them up to do so.
        return StaffScope(
            handling=own if writes else frozenset(),
            reading=own if writes or principal.has_scope(READ_SCOPE) else frozenset(),
            supervising=frozenset(),
            dispatching=frozenset(),
        )
    if not getattr(principal, "is_authenticated", False) or not getattr(
        principal, "is_staff", False
    ):
        return _NOBODY
    handling, supervising, dispatcher_jurisdictions = set(), set(), set()
    for membership in roles_of(principal):
        if not membership.agency_is_active:
            continue
        if membership.role in HANDLING_ROLES:
            handling.add(membership.agency_id)
        if membership.role == R.SUPERVISOR:
            supervising.add(membership.agency_id)
        if membership.role == R.DISPATCHER:
            dispatcher_jurisdictions.add(membership.jurisdiction_id)
    return StaffScope(
        handling=frozenset(handling),
        reading=frozenset(handling),
        supervising=frozenset(supervising),
        dispatching=frozenset(jurisdictions_beneath(dispatcher_jurisdictions)),
        is_superuser=bool(getattr(principal, "is_superuser", False)),
    )


def agency_serves(agency: Agency, jurisdiction: Jurisdiction) -> bool:
    """Whether an active agency may handle complaints of a jurisdiction: it belongs to it, to
    one above it (a provincial agency), or to one beneath it (a district bureau). The one rule
    for routing rules, dispatch, transfers and category defaults."""
    if not agency.is_active:
        return False
    above = {j.pk for j in jurisdiction.ancestors_and_self()}
    below = {j.pk for j in agency.jurisdiction.ancestors_and_self()}
    return agency.jurisdiction_id in above or jurisdiction.pk in below


def agencies_serving(jurisdiction: Jurisdiction) -> QuerySet[Agency]:
    """The active agencies that may handle complaints of a jurisdiction (agency_serves)."""
    reach = {j.pk for j in jurisdiction.ancestors_and_self()} | jurisdictions_beneath(
        {jurisdiction.pk}
    )
    return Agency.objects.filter(is_active=True, jurisdiction_id__in=reach)


def jurisdictions_above(ids: set[int]) -> set[int]:
    """The jurisdictions and all above them: three levels (a district's city and province) in
    one query."""
    found, frontier, asked = set(ids), set(ids), set()
    while frontier:
        asked |= frontier
        chains = Jurisdiction.objects.filter(pk__in=frontier).values_list(
            "parent_id", "parent__parent_id", "parent__parent__parent_id"
        )
        frontier = set()
        for chain in chains:
            above = [pk for pk in chain if pk is not None]
            found.update(above)
            if len(above) == len(chain):  # deeper than three levels: read on from the top one
                frontier.add(above[-1])
        frontier -= asked
    return found


def jurisdictions_beneath(roots: set[int]) -> set[int]:
    """The jurisdictions and all beneath them: one query per level of the (shallow) tree."""
    found, frontier = set(roots), set(roots)
    while frontier:
        frontier = (
            set(Jurisdiction.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        found |= frontier
    return found


def agency_ids_of(principal: Any, *, roles: tuple[str, ...] = HANDLING_ROLES) -> list[int]:
    """The agencies whose complaints the caller handles (officer or supervisor), or, with
    `roles=("supervisor",)`, supervises. An integrator: its own agency, with the write scope."""
    scope = staff_scope(principal)
    ids: set[int] = set()
    if any(role in HANDLING_ROLES for role in roles):
        ids |= scope.handling
    if R.SUPERVISOR in roles:
        ids |= scope.supervising
    return sorted(ids)


def is_agency_staff(principal: Any) -> bool:
    """Staff with a role in an agency, a superuser, or an integrator that may read
    complaints: the callers of the staff API and the staff screens."""
    return not staff_scope(principal).is_empty


def complaints_of_staff(principal: Any) -> QuerySet[Complaint]:
    """The complaints the caller may read: their agencies' (officers, supervisors, an
    integrator with the read scope) and their jurisdictions' (dispatchers); all for superusers."""
    scope = staff_scope(principal)
    if scope.is_superuser:
        return Complaint.objects.all()
    condition = Q()
    if scope.reading:
        condition |= Q(agency_id__in=sorted(scope.reading))
    if scope.dispatching:
        condition |= Q(jurisdiction_id__in=sorted(scope.dispatching))
    if not condition:
        return Complaint.objects.none()
    return Complaint.objects.filter(condition)


def dispatch_queue_of(principal: Any) -> QuerySet[Complaint]:
    """The complaints waiting for the caller as dispatcher: never routed, or rejected by an
    agency, in their jurisdictions (all of them for superusers)."""
    scope = staff_scope(principal)
    waiting = Complaint.objects.filter(dispatch_since__isnull=False)
    if scope.is_superuser:
        return waiting
    if not scope.dispatching:
        return Complaint.objects.none()
    return waiting.filter(jurisdiction_id__in=sorted(scope.dispatching))


def can_read(principal: Any, complaint: Complaint) -> bool:
    scope = staff_scope(principal)
    return (
        scope.is_superuser
        or complaint.agency_id in scope.reading
        or complaint.jurisdiction_id in scope.dispatching
    )


def can_handle(principal: Any, complaint: Complaint) -> bool:
    """An officer or supervisor of the agency handling the complaint, or that agency's
    integrator with the write scope."""
    return (
        complaint.agency_id is not None and complaint.agency_id in staff_scope(principal).handling
    )


def is_supervisor_of(principal: Any, complaint: Complaint) -> bool:
    return (
        complaint.agency_id is not None
        and complaint.agency_id in staff_scope(principal).supervising
    )


def is_dispatcher_for(principal: Any, complaint: Complaint) -> bool:
    """A dispatcher of the complaint's jurisdiction or of one above it."""
    return complaint.jurisdiction_id in staff_scope(principal).dispatching


def can_see_contact(principal: Any, complaint: Complaint) -> bool:
    """The reporter's contact details: only for the agency handling the complaint now."""
    return complaint.agency_id is not None and complaint.agency_id in staff_scope(principal).reading


def is_overdue(complaint: Complaint, *, now: datetime) -> bool:
    """The red flag in staff queues: open, its clock running, and past the resolution deadline
    (or still awaiting first contact past that deadline)."""
    if complaint.status not in OPEN or complaint.paused_at is not None:
        return False
    if complaint.resolution_due is not None and complaint.resolution_due < now:
        return True
    return (
        complaint.status in AWAITING_CONTACT
        and complaint.first_contact_due is not None
        and complaint.first_contact_due < now
    )


def contact_of(complaint: Complaint) -> dict[str, str]:
    """How to reach the reporter: what they gave with the report, else their person record.
    Show it only where can_see_contact allows."""
    person = complaint.reporter
    return {
        "name": complaint.contact_name or (str(person) if person else ""),
        "email": complaint.contact_email or (person.contact_email if person else ""),
        "phone": complaint.contact_phone or (person.contact_phone if person else ""),
        "preference": complaint.contact_preference,
    }


def map_url(complaint: Complaint) -> str:
    """The complaint's place on OpenStreetMap."""
    lat, lon = complaint.latitude, complaint.longitude
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def handling_actions(principal: Any, complaint: Complaint) -> list[str]:
    """What the caller may do with the complaint now, by the names of the staff API's
    actions (`allowed_actions`, and the buttons in admin)."""
    allowed: list[str] = []
    status = complaint.status
    if can_handle(principal, complaint):
        if complaint.paused_at is None:
            moves = set(next_statuses(status, ComplaintEvent.ActorKind.OFFICER))
            allowed += [name for name, to in _MOVES if to in moves]
            if status in OPEN:
                allowed.append("pause")
        else:
            allowed.append("resume")
        if status not in FINAL:
            allowed.append("notes")
    if is_dispatcher_for(principal, complaint):
        if complaint.dispatch_since is not None:
            allowed.append("dispatch")
        moves = set(next_statuses(status, ComplaintEvent.ActorKind.DISPATCHER))
        for name, to in _MOVES:
            if to not in moves or complaint.paused_at is not None:
                continue
            if name == "transfer" and complaint.agency_id is None:
                continue  # waiting in the dispatch queue: dispatching is the way out
            allowed.append(name)
    return [name for name in HANDLING_ACTIONS if name in allowed]

"""Escalation: an overdue complaint climbs its jurisdiction's ladder, one level at a time, each
level exactly once.

The rules, in domain words:

- A complaint is **overdue** while the handling agency still works on it (states.OPEN), its
  clock is not paused (waiting for the reporter), and a deadline has passed: first contact (only
  while contact is still awaited, states.AWAITING_CONTACT) or resolution.
- The **ladder** is the jurisdiction's EscalationLevel rows, or its nearest ancestor's; with none
  configured anywhere, one level: the handling agency's supervisors at the deadline.
- A **level is due** `delay_hours` working hours (on the jurisdiction's calendar) after the
  missed deadline. Levels are climbed in order; a level is not reached before the one below it.
- Each level is recorded once per deadline kind and round (a rework starts a new round): the
  Escalation row's unique constraint decides, so two sweeps at once write one row, and only the
  sweep whose insert went through raises the complaint's level, notes it in the internal
  history and tells the people above.
- **Who is told**: `agency_supervisors` are the handling agency's supervisors; `oversight` are
  the oversight agency's supervisors (notify_escalation).
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Case, Exists, Field, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cityportal.notifications.actions import notify
from complaints import states
from complaints.actions.transitions import add_note
from complaints.models import Complaint, ComplaintEvent, Escalation, EscalationLevel
from complaints.sla import add_working_hours, current_calendar
from identity.models import Agency, Jurisdiction, Membership

logger = logging.getLogger(__name__)

A = ComplaintEvent.ActorKind
Reason = Escalation.Reason
Target = EscalationLevel.Target

BATCH = 500
KIND = "complaint.escalated"
# How far up the jurisdiction tree a ladder is looked for (district → city → province …).
_MAX_ANCESTORS = 8


@dataclass(frozen=True)
class Step:
    """One rung of a ladder."""

    level: int
    target: str
    oversight_agency_id: int | None
    delay_hours: int


DEFAULT_LADDER: tuple[Step, ...] = (
    Step(level=1, target=Target.AGENCY_SUPERVISORS, oversight_agency_id=None, delay_hours=0),
)


@dataclass(frozen=True)
class Deadline:
    """A kind of deadline the sweep watches: its column, and the statuses it applies in."""

    reason: str
    column: str
    statuses: frozenset[str]
    # What starts a new round of this deadline: each agency that receives the complaint owes
    # a first contact anew (handovers); each rework owes a resolution anew.
    round_column: str


DEADLINES = (
    Deadline(
        Reason.FIRST_CONTACT_OVERDUE, "first_contact_due", states.AWAITING_CONTACT, "handovers"
    ),
    Deadline(Reason.RESOLUTION_OVERDUE, "resolution_due", states.OPEN, "rework_count"),
)


class Ladders:
    """Every jurisdiction's ladder, read once per sweep (two small queries)."""

    def __init__(self, own: dict[int, tuple[Step, ...]], parents: dict[int, int | None]) -> None:
        self._own = own
        self._parents = parents

    @classmethod
    def load(cls) -> "Ladders":
        own: dict[int, list[Step]] = {}
        for row in EscalationLevel.objects.order_by("jurisdiction_id", "level"):
            own.setdefault(row.jurisdiction_id, []).append(
                Step(
                    level=row.level,
                    target=row.target,
                    oversight_agency_id=row.oversight_agency_id,
                    delay_hours=row.delay_hours,
                )
            )
        parents: dict[int, int | None] = dict(Jurisdiction.objects.values_list("id", "parent_id"))
        return cls({pk: tuple(steps) for pk, steps in own.items()}, parents)

    def of(self, jurisdiction_id: int) -> tuple[Step, ...]:
        """The jurisdiction's own ladder, else its nearest ancestor's, else the default."""
        node: int | None = jurisdiction_id
        for _depth in range(_MAX_ANCESTORS):
            if node is None:
                break
            if node in self._own:
                return self._own[node]
            node = self._parents.get(node)
        return DEFAULT_LADDER

    def top_level(self) -> Case:
        """SQL: the top level of the ladder of a complaint's jurisdiction."""
        default_top = DEFAULT_LADDER[-1].level
        by_top: dict[int, list[int]] = {}
        for jurisdiction_id in self._parents:
            top = self.of(jurisdiction_id)[-1].level
            if top != default_top:
                by_top.setdefault(top, []).append(jurisdiction_id)
        return Case(
            *(When(jurisdiction_id__in=ids, then=Value(top)) for top, ids in by_top.items()),
            default=Value(default_top),
            output_field=IntegerField(),
        )


def steps_due(
    ladder: Sequence[Step], *, deadline: datetime, done: Iterable[int],
    jurisdiction: Jurisdiction, now: datetime,
) -> list[Step]:  # fmt: skip
    """The rungs not yet recorded whose time has come, lowest first. A rung is never due
    before the one below it, so a ladder whose delays go down still climbs in order."""
    recorded = set(done)
    calendar = current_calendar(jurisdiction)
    due: list[Step] = []
    for step in ladder:
        if step.level in recorded:
            continue
        if now < add_working_hours(deadline, step.delay_hours, calendar):
            break
        due.append(step)
    return due


def escalate_overdue_complaints(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """The periodic sweep: every overdue, unpaused open complaint climbs the levels now due.
    Candidates come from the partial indexes on the two deadlines (only open complaints with a
    passed deadline, and not already at the top of their ladder), in deadline order, in
    bounded batches. Returns how many levels were recorded."""
    now = now or timezone.now()
    ladders = Ladders.load()
    jurisdictions: dict[int, Jurisdiction] = {}
    recorded = 0
    for deadline in DEADLINES:
        for rows in _overdue_batches(deadline, ladders, now=now, batch=batch):
            missing = {row["jurisdiction_id"] for row in rows} - set(jurisdictions)
            jurisdictions.update(Jurisdiction.objects.in_bulk(missing))
            done = _recorded_levels(deadline.reason, [row["pk"] for row in rows])
            for row in rows:
                try:
                    pending = steps_due(
                        ladders.of(row["jurisdiction_id"]),
                        deadline=row["due"],
                        done=done.get((row["pk"], row["round"]), ()),
                        jurisdiction=jurisdictions[row["jurisdiction_id"]],
                        now=now,
                    )
                    if pending:
                        recorded += _escalate_one(row["pk"], deadline, ladders, now=now)
                except ValueError:
                    # A deadline the calendar cannot count from (older than the holidays it
                    # holds) must not stop the sweep for every complaint behind it.
                    logger.exception("Cannot escalate complaint %s", row["pk"])
    return recorded


def _overdue_batches(
    deadline: Deadline, ladders: Ladders, *, now: datetime, batch: int
) -> Iterable[list[dict[str, Any]]]:
    """Overdue complaints for one kind of deadline, in (deadline, id) order, `batch` at a time
    (keyset pagination, so a batch of complaints waiting for their next level does not hide
    the ones behind it)."""
    column = deadline.column
    at_top = Escalation.objects.filter(
        complaint=OuterRef("pk"),
        reason=deadline.reason,
        round=OuterRef(deadline.round_column),
        level=OuterRef("top_level"),
    )
    overdue: QuerySet[Complaint] = (
        Complaint.objects.filter(
            status__in=deadline.statuses,
            paused_at__isnull=True,
            agency__isnull=False,
            **{f"{column}__lte": now},
        )
        .annotate(top_level=ladders.top_level())
        .filter(~Exists(at_top))
        .order_by(column, "pk")
    )
    after: tuple[datetime, int] | None = None
    while True:
        page = overdue
        if after is not None:
            page = page.filter(
                Q(**{f"{column}__gt": after[0]}) | Q(**{column: after[0]}, pk__gt=after[1])
            )
        rows = [
            {"pk": pk, "jurisdiction_id": jurisdiction_id, "round": round_, "due": due}
            for pk, jurisdiction_id, round_, due in page.values_list(
                "pk", "jurisdiction_id", deadline.round_column, column
            )[:batch]
        ]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = (rows[-1]["due"], rows[-1]["pk"])


def _recorded_levels(reason: str, complaint_ids: list[int]) -> dict[tuple[int, int], list[int]]:
    """(complaint, round) → the levels already recorded for this kind of deadline."""
    done: dict[tuple[int, int], list[int]] = {}
    rows = Escalation.objects.filter(complaint_id__in=complaint_ids, reason=reason)
    for complaint_id, round_, level in rows.values_list("complaint_id", "round", "level"):
        done.setdefault((complaint_id, round_), []).append(level)
    return done


@transaction.atomic
def _escalate_one(pk: int, deadline: Deadline, ladders: Ladders, *, now: datetime) -> int:
    """Record the levels due for one complaint, under its row lock. A complaint another
    transaction holds (an officer acting on it, another sweep) is left for the next sweep;
    everything is checked again on the locked row, which may have moved on meanwhile."""
    complaint = (
        Complaint.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("jurisdiction", "agency")
        .filter(pk=pk)
        .first()
    )
    if complaint is None:
        return 0
    due_at: datetime | None = getattr(complaint, deadline.column)
    if (
        complaint.status not in deadline.statuses
        or complaint.paused_at is not None
        or complaint.agency_id is None
        or due_at is None
    ):
        return 0
    done = Escalation.objects.filter(
        complaint=complaint, reason=deadline.reason, round=getattr(complaint, deadline.round_column)
    ).values_list("level", flat=True)
    pending = steps_due(
        ladders.of(complaint.jurisdiction_id), deadline=due_at, done=done,
        jurisdiction=complaint.jurisdiction, now=now,
    )  # fmt: skip
    recorded = 0
    for step in pending:
        escalation = record_escalation(
            complaint, reason=deadline.reason, round=getattr(complaint, deadline.round_column),
            step=step,
            deadline=due_at, now=now,
        )  # fmt: skip
        recorded += escalation is not None
    return recorded


def record_escalation(
    complaint: Complaint, *, reason: str, round: int, step: Step, deadline: datetime | None,
    now: datetime,
) -> int | None:  # fmt: skip
    """Record one level of escalation of a (locked) complaint, once: returns the new
    Escalation's id, or None when the level was already recorded (by an earlier or a
    concurrent run), in which case nothing else happens either. The inserting run raises the
    complaint's level, writes an internal history note and, after commit, tells the target."""
    oversight = step.target == Target.OVERSIGHT
    agency_id = step.oversight_agency_id if oversight else complaint.agency_id
    if agency_id is None:
        logger.warning(
            "Complaint %s cannot be escalated to level %s: no agency to tell",
            complaint.tracking_number, step.level,
        )  # fmt: skip
        return None
    escalation_id = _insert_once(
        complaint_id=complaint.pk, reason=reason, round=round, level=step.level,
        target=step.target, agency_id=agency_id, deadline=deadline, created_at=now,
    )  # fmt: skip
    if escalation_id is None:
        return None
    if step.level > complaint.escalation_level:
        complaint.escalation_level = step.level
        complaint.save(update_fields=["escalation_level"])
    agency = complaint.agency if agency_id == complaint.agency_id else None
    agency_name = agency.name if agency is not None else _agency_name(agency_id)
    add_note(
        complaint,
        actor_kind=A.SYSTEM,
        is_public=False,
        note=_escalation_text(
            reason=reason, level=step.level, agency=agency_name, deadline=deadline,
            time_zone=complaint.jurisdiction.time_zone,
        ),
    )  # fmt: skip
    from complaints.escalation_tasks import notify_escalation_task

    notify_escalation_task.delay_on_commit(escalation_id=escalation_id)
    return escalation_id


def _agency_name(agency_id: int) -> str:
    return str(Agency.objects.filter(pk=agency_id).values_list("name", flat=True).first() or "")


def _insert_once(
    *, complaint_id: int, reason: str, round: int, level: int, target: str, agency_id: int,
    deadline: datetime | None, created_at: datetime,
) -> int | None:  # fmt: skip
    """INSERT … ON CONFLICT DO NOTHING RETURNING id on the (complaint, reason, round, level)
    constraint: the id when this call wrote the row, None when it already existed. A concurrent
    insert of the same row waits for the other transaction and then does nothing, so exactly
    one of them gets the id. (The ORM's ignore_conflicts cannot say which call inserted.)"""
    q = connection.ops.quote_name
    values: dict[str, Any] = {
        "complaint": complaint_id,
        "reason": reason,
        "round": round,
        "level": level,
        "target": target,
        "agency": agency_id,
        "deadline": connection.ops.adapt_datetimefield_value(deadline),
        "created_at": connection.ops.adapt_datetimefield_value(created_at),
    }
    columns = {name: q(_column(name)) for name in values}
    unique = ", ".join(columns[name] for name in ("complaint", "reason", "round", "level"))
    sql = (
        f"INSERT INTO {q(Escalation._meta.db_table)} ({', '.join(columns.values())}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(values))}) "
        f"ON CONFLICT ({unique}) DO NOTHING RETURNING {q(_column('id'))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _column(name: str) -> str:
    field = cast("Field[Any, Any]", Escalation._meta.get_field(name))
    return str(field.column)


def _escalation_text(
    *, reason: str, level: int, agency: str, deadline: datetime | None, time_zone: str
) -> str:
    """The internal history note, in the platform's language (staff read it)."""
    values = {"level": level, "agency": agency, "reason": Reason(reason).label}
    if deadline is None:
        return gettext("Escalated to level %(level)s (%(agency)s): %(reason)s.") % values
    values["deadline"] = _local(deadline, time_zone)
    return gettext("Escalated to level %(level)s (%(agency)s): %(reason)s, due %(deadline)s.") % (
        values
    )


def _local(at: datetime, time_zone: str) -> str:
    return at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M (UTC%z)")


# Telling the people above ---------------------------------------------------------------------


def notify_escalation(*, escalation_id: int) -> int:
    """Tell the target agency's supervisors about one escalation; returns how many were told.

    Supervisors are staff accounts, and most have no person record, so the citizen inbox
    (cityportal.notifications, which is for persons) cannot reach them. A supervisor who has a
    person record gets an inbox message, delivered by email and SMS like any other, at most
    once per escalation (the inbox's dedupe key). The others get an email from Django's mail
    backend (the email sender the notifications app uses) at their account's address, in the
    jurisdiction's first language. This runs in a task queued after the escalation committed;
    a redelivered task may send those emails twice, which for an alarm is the better failure
    than sending none. When no supervisor can be reached, the agency's own address is told.
    """
    escalation = (
        Escalation.objects.select_related(
            "complaint__jurisdiction", "complaint__category", "agency"
        )
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None:
        return 0
    complaint = escalation.complaint
    supervisors = (
        Membership.objects.filter(
            agency_id=escalation.agency_id, role=Membership.Role.SUPERVISOR, user__is_active=True
        )
        .select_related("user__person")
        .order_by("user_id")
    )
    context = _message_context(escalation)
    told = 0
    emails: list[str] = []
    for membership in supervisors:
        user = membership.user
        person = getattr(user, "person", None)
        if person is not None and person.closed_at is None:
            message = notify(
                person=person,
                kind=KIND,
                title=TITLE,
                body=_body(escalation),
                context=context,
                link=_staff_link(complaint),
                data={
                    "complaint": complaint.tracking_number,
                    "reason": escalation.reason,
                    "level": escalation.level,
                },
                dedupe_key=f"complaint-escalation:{escalation.pk}",
            )
            told += message is not None
        elif user.email and user.email not in emails:
            emails.append(user.email)
    if not emails and not told and escalation.agency.email:
        emails.append(escalation.agency.email)
    told += _email(escalation, emails, context)
    return told


TITLE = _("Complaint %(number)s escalated to level %(level)s: %(reason)s")
BODY_WITH_DEADLINE = _(
    "Complaint %(number)s (%(category)s), handled by %(agency)s, is escalated to you: "
    "%(reason)s. The deadline was %(deadline)s."
)
BODY = _(
    "Complaint %(number)s (%(category)s), handled by %(agency)s, is escalated to you: %(reason)s."
)


def _body(escalation: Escalation) -> Any:
    return BODY if escalation.deadline is None else BODY_WITH_DEADLINE


def _message_context(escalation: Escalation) -> dict[str, Any]:
    complaint = escalation.complaint
    handling = complaint.agency
    return {
        "number": complaint.tracking_number,
        "level": escalation.level,
        "reason": Reason(escalation.reason).label,
        "category": lambda: complaint.category.name,
        "agency": handling.name if handling is not None else "",
        "deadline": (
            _local(escalation.deadline, complaint.jurisdiction.time_zone)
            if escalation.deadline is not None
            else ""
        ),
    }


def _staff_link(complaint: Complaint) -> str:
    return f"/admin/complaints/complaint/{complaint.pk}/change/"


def _email(escalation: Escalation, addresses: list[str], context: dict[str, Any]) -> int:
    if not addresses:
        return 0
    language = _staff_language(escalation.complaint.jurisdiction)
    with translation.override(language):
        values = {key: value() if callable(value) else str(value) for key, value in context.items()}
        subject = str(TITLE) % values
        body = str(_body(escalation)) % values
    for address in addresses:
        send_mail(
            subject=subject[:300],
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[address],
        )
    return len(addresses)


def _staff_language(jurisdiction: Jurisdiction) -> str:
    """The jurisdiction's first language that the platform speaks, else the default."""
    spoken = {code for code, _name in settings.LANGUAGES}
    for code in jurisdiction.languages or []:
        if code in spoken:
            return str(code)
    return str(settings.LANGUAGE_CODE)

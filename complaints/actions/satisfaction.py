"""Closed-loop satisfaction: the reporter rates a resolution, and a poor result sends the case
back to the agency.

The rules, in domain words:

- Only the reporter (or, for an anonymous report, whoever holds its secret tracking token) rates,
  only while the complaint is resolved, and only within COMPLAINTS_RATING_WINDOW of resolution.
- Speed, result and attitude are scored 1 to 5; one rating per round (a rework starts a new
  round).
- A result of at least COMPLAINTS_REWORK_BELOW_RESULT is satisfied: the complaint is closed as
  rated. A lower one reopens it for rework with a new resolution deadline counted from now;
  the rating stays on record against the agency. Being dissatisfied a second time also
  escalates to the handling agency's supervisors.
- Nobody rates within the window: the system closes the complaint as unrated (or as not
  rateable, when there is nobody who could have rated it).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cityportal.errors import field_error
from complaints.actions.escalation import Step, record_escalation
from complaints.actions.transitions import lock_complaint, transition
from complaints.deadlines import resolution_due
from complaints.errors import ComplaintNotFound, InvalidRating, RatingNotOpen
from complaints.models import (
    Complaint,
    ComplaintEvent,
    Escalation,
    EscalationLevel,
    Rating,
)
from identity.models import Person

S = Complaint.Status
A = ComplaintEvent.ActorKind

SCORES = ("speed", "result", "attitude")
LOWEST, HIGHEST = 1, 5
COMMENT_MAX = 2000
BATCH = 500
# A second dissatisfaction goes to the handling agency's supervisors, whatever the ladder.
DISSATISFIED_STEP = Step(
    level=1,
    target=EscalationLevel.Target.AGENCY_SUPERVISORS,
    oversight_agency_id=None,
    delay_hours=0,
)


@transaction.atomic
def rate_resolution(
    *,
    complaint: Complaint,
    speed: int,
    result: int,
    attitude: int,
    comment: str = "",
    reporter: Person | None = None,
    tracking_token: str | None = None,
) -> Complaint:
    """The reporter rates a resolved complaint within the rating window: a good result closes
    it, a poor one reopens it for rework with a new deadline, and a second poor one also
    escalates to the handling agency's supervisors."""
    _check(speed=speed, result=result, attitude=attitude, comment=comment)
    complaint = lock_complaint(complaint.pk)
    if not _may_rate(complaint, reporter=reporter, tracking_token=tracking_token):
        raise ComplaintNotFound()
    now = timezone.now()
    _check_open(complaint, now=now)
    round_ = complaint.rework_count
    is_satisfied = result >= settings.COMPLAINTS_REWORK_BELOW_RESULT
    Rating.objects.create(
        complaint=complaint, round=round_, speed=speed, result=result, attitude=attitude,
        comment=comment, is_satisfied=is_satisfied, created_at=now,
    )  # fmt: skip
    # The history names the reporter by role only: it keeps no link to their account, so
    # anonymising the complaint later leaves nothing behind in the append-only history.
    if is_satisfied:
        transition(
            complaint, S.CLOSED, actor_kind=A.REPORTER,
            note=gettext("The reporter is satisfied with the resolution."),
            closure=Complaint.Closure.RATED, closed_at=now,
        )  # fmt: skip
        return complaint
    transition(
        complaint, S.REWORK, actor_kind=A.REPORTER,
        note=gettext("The reporter is not satisfied with the result; the agency works on it "
                     "again."),
        rework_count=round_ + 1, resolution_due=resolution_due(complaint, now),
        resolved_at=None, resolved_on_time=None,
    )  # fmt: skip
    if round_ >= 1:
        record_escalation(
            complaint, reason=Escalation.Reason.DISSATISFIED_AGAIN, round=round_,
            step=DISSATISFIED_STEP, deadline=None, now=now,
        )  # fmt: skip
    return complaint


def is_rateable(complaint: Complaint) -> bool:
    """Whether anybody could rate the complaint: a reporter, or an anonymous token holder."""
    return complaint.reporter_id is not None or bool(complaint.tracking_token_hash)


def rating_closes_at(complaint: Complaint) -> datetime | None:
    """The end of the rating window of a resolved complaint."""
    if complaint.resolved_at is None:
        return None
    return complaint.resolved_at + settings.COMPLAINTS_RATING_WINDOW


def _may_rate(complaint: Complaint, *, reporter: Person | None, tracking_token: str | None) -> bool:
    if reporter is not None and complaint.reporter_id == reporter.pk:
        return True
    return complaint.holds_token(tracking_token)


def _check(*, speed: int, result: int, attitude: int, comment: str) -> None:
    out_of_range = _("Give a score from %(lowest)d to %(highest)d.") % {
        "lowest": LOWEST,
        "highest": HIGHEST,
    }
    errors = [
        field_error(name, "out_of_range", out_of_range)
        for name, score in zip(SCORES, (speed, result, attitude), strict=True)
        if isinstance(score, bool) or not isinstance(score, int) or not LOWEST <= score <= HIGHEST
    ]
    if len(comment) > COMMENT_MAX:
        too_long = _("Keep the comment to %(max)d characters.") % {"max": COMMENT_MAX}
        errors.append(field_error("comment", "max_length", too_long))
    if errors:
        raise InvalidRating(errors=errors)


def _check_open(complaint: Complaint, *, now: datetime) -> None:
    if complaint.status != S.RESOLVED:
        raise RatingNotOpen(
            _("Only a resolved complaint can be rated."), complaint_status=complaint.status
        )
    closes_at = rating_closes_at(complaint)
    if closes_at is None or now > closes_at:
        raise RatingNotOpen(
            _("The time to rate this resolution is over."),
            complaint_status=complaint.status,
            rating_closed_at=closes_at.isoformat() if closes_at else None,
        )


# Closing what nobody rated -----------------------------------------------------------------------


def close_unrated_complaints(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """The periodic sweep: resolved complaints whose rating window is over are closed by the
    system, as unrated, or as not rateable when nobody could have rated them. Reads the
    partial index of resolved complaints in resolution order, `batch` at a time. Returns how
    many were closed."""
    now = now or timezone.now()
    cutoff = now - settings.COMPLAINTS_RATING_WINDOW
    closed = 0
    for ids in _resolved_before(cutoff, batch=batch):
        closed += sum(_close_unrated(pk, cutoff=cutoff, now=now) for pk in ids)
    return closed


def _resolved_before(cutoff: datetime, *, batch: int) -> Iterable[list[int]]:
    waiting = Complaint.objects.filter(status=S.RESOLVED, resolved_at__lt=cutoff).order_by(
        "resolved_at", "pk"
    )
    after: tuple[datetime, int] | None = None
    while True:
        page = waiting
        if after is not None:
            page = page.filter(
                Q(resolved_at__gt=after[0]) | Q(resolved_at=after[0], pk__gt=after[1])
            )
        rows: list[tuple[int, Any]] = list(page.values_list("pk", "resolved_at")[:batch])
        if rows:
            yield [pk for pk, _resolved_at in rows]
        if len(rows) < batch:
            return
        after = (rows[-1][1], rows[-1][0])


@transaction.atomic
def _close_unrated(pk: int, *, cutoff: datetime, now: datetime) -> int:
    """Close one complaint, unless someone holds it (the reporter rating it this very moment:
    then their rating decides) or it has moved on."""
    complaint = (
        Complaint.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("category", "jurisdiction")
        .filter(pk=pk, status=S.RESOLVED, resolved_at__lt=cutoff)
        .first()
    )
    if complaint is None:
        return 0
    if is_rateable(complaint):
        closure = Complaint.Closure.UNRATED
        note = gettext("Not rated within the rating period; the complaint is closed.")
    else:
        closure = Complaint.Closure.NOT_RATEABLE
        note = gettext("Resolved, with nobody to rate it; the complaint is closed.")
    transition(complaint, S.CLOSED, actor_kind=A.SYSTEM, note=note, closure=closure, closed_at=now)
    return 1

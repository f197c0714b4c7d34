"""Closed-loop satisfaction (complaints/actions/satisfaction.py): the reporter's rating closes
the complaint or reopens it for rework; a second dissatisfaction escalates; nobody rating in
time closes it as unrated."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation

from complaints.actions.escalation import TITLE
from complaints.actions.routing import route_complaint
from complaints.actions.satisfaction import close_unrated_complaints, rate_resolution
from complaints.actions.transitions import transition
from complaints.deadlines import resolution_due
from complaints.errors import ComplaintNotFound, InvalidRating, RatingNotOpen
from complaints.models import Complaint, ComplaintEvent, Escalation, Rating, hash_tracking_token
from identity.models import Agency, Membership
from tests.factories import (
    AgencyFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    MembershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

S = Complaint.Status
A = ComplaintEvent.ActorKind
TOKEN = "k3y-0f-an-anonymous-rep0rter-kept-secret"


@pytest.fixture
def works() -> Agency:
    return AgencyFactory.create(name="Public Works")


@pytest.fixture
def category(works):
    return ComplaintCategoryFactory.create(jurisdiction=works.jurisdiction, default_agency=works)


def resolved(category, *, ago: timedelta = timedelta(hours=1), **fields) -> Complaint:
    """A complaint routed, accepted and resolved `ago` (through the transition table)."""
    complaint = ComplaintFactory.create(category=category, **fields)
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    resolved_at = timezone.now() - ago
    transition(complaint, S.ACCEPTED, actor_kind=A.OFFICER, accepted_at=resolved_at)
    transition(
        complaint, S.RESOLVED, actor_kind=A.OFFICER, resolved_at=resolved_at,
        resolved_on_time=True, resolution_note="Lamp replaced.",
    )  # fmt: skip
    return complaint


def anonymous(category, **kwargs) -> Complaint:
    return resolved(
        category, reporter=None, is_anonymous=True,
        tracking_token_hash=hash_tracking_token(TOKEN), **kwargs,
    )  # fmt: skip


def snapshot(complaint: Complaint) -> tuple[object, ...]:
    complaint.refresh_from_db()
    return (
        complaint.status,
        complaint.rework_count,
        complaint.resolution_due,
        complaint.resolved_at,
        complaint.closed_at,
        complaint.ratings.count(),
        complaint.events.count(),
        complaint.escalations.count(),
    )


def rate(complaint: Complaint, result: int, **kwargs) -> Complaint:
    kwargs.setdefault("reporter", complaint.reporter)
    return rate_resolution(complaint=complaint, speed=4, result=result, attitude=5, **kwargs)


def test_a_satisfied_reporter_closes_the_complaint(category):
    # given
    complaint = resolved(category)

    # when
    rate(complaint, 4, comment="Fixed the same day, thank you.")

    # then
    complaint.refresh_from_db()
    assert complaint.status == S.CLOSED
    assert complaint.closure == Complaint.Closure.RATED
    assert complaint.closed_at is not None
    rating = complaint.ratings.get()
    assert (rating.round, rating.speed, rating.result, rating.attitude, rating.is_satisfied) == (
        0, 4, 4, 5, True,
    )  # fmt: skip
    assert rating.comment == "Fixed the same day, thank you."
    event = complaint.events.latest("pk")
    # the history names the reporter by role, with no link to their account
    assert (event.from_status, event.to_status, event.actor_kind, event.actor) == (
        S.RESOLVED, S.CLOSED, A.REPORTER, None,
    )  # fmt: skip


@pytest.mark.parametrize(("result", "satisfied"), [(1, False), (2, False), (3, True), (5, True)])
def test_the_result_score_decides_against_the_threshold(category, result, satisfied):
    assert settings.COMPLAINTS_REWORK_BELOW_RESULT == 3
    complaint = resolved(category)

    rate(complaint, result)

    complaint.refresh_from_db()
    assert complaint.status == (S.CLOSED if satisfied else S.REWORK)
    assert complaint.ratings.get().is_satisfied is satisfied


def test_a_dissatisfied_reporter_sends_it_back_for_rework_with_a_new_deadline(category):
    # given: reported three weeks ago, resolved late
    complaint = resolved(category, created_at=timezone.now() - timedelta(days=21))
    old_due = complaint.resolution_due

    # when
    before = timezone.now()
    rate(complaint, 2, comment="The lamp is still dark.")
    after = timezone.now()

    # then: a new round with a deadline counted from now; the old round's result is in the
    # history, the rating counts against the agency
    complaint.refresh_from_db()
    assert complaint.status == S.REWORK
    assert complaint.rework_count == 1
    assert complaint.resolution_due is not None
    assert old_due is not None
    assert complaint.resolution_due > after > old_due
    assert resolution_due(complaint, before) <= complaint.resolution_due
    assert complaint.resolution_due <= resolution_due(complaint, after)
    assert (complaint.resolved_at, complaint.resolved_on_time) == (None, None)
    assert complaint.ratings.get().is_satisfied is False
    assert complaint.events.filter(to_status=S.RESOLVED).count() == 1
    assert not Escalation.objects.exists()


def test_a_second_dissatisfaction_escalates_to_the_agency_supervisors(
    category, works, django_capture_on_commit_callbacks
):
    # given: the rework was resolved again, and the reporter is still not satisfied
    supervisor = MembershipFactory.create(agency=works, role=Membership.Role.SUPERVISOR).user
    officer = MembershipFactory.create(agency=works, role=Membership.Role.OFFICER).user
    complaint = rate(resolved(category), 2)
    transition(complaint, S.RESOLVED, actor_kind=A.OFFICER, resolved_at=timezone.now())

    # when
    with django_capture_on_commit_callbacks(execute=True):
        rate(complaint, 1)

    # then: rework again, and level 1 of the second round goes to the supervisors
    complaint.refresh_from_db()
    assert (complaint.status, complaint.rework_count, complaint.escalation_level) == (
        S.REWORK, 2, 1,
    )  # fmt: skip
    assert list(complaint.ratings.values_list("round", "is_satisfied")) == [
        (0, False),
        (1, False),
    ]
    assert list(
        complaint.escalations.values_list("reason", "round", "level", "target", "agency")
    ) == [(Escalation.Reason.DISSATISFIED_AGAIN, 1, 1, "agency_supervisors", works.pk)]
    assert complaint.escalations.get().deadline is None
    recipients = [message.to for message in mail.outbox]
    assert [supervisor.email] in recipients
    assert [officer.email] not in recipients
    (email,) = [message for message in mail.outbox if message.to == [supervisor.email]]
    with translation.override("th"):  # the jurisdiction's first language
        assert email.subject == str(TITLE) % {
            "number": complaint.tracking_number, "level": 1,
            "reason": Escalation.Reason.DISSATISFIED_AGAIN.label,
        }  # fmt: skip


def test_the_holder_of_an_anonymous_reports_token_rates_it(category):
    complaint = anonymous(category)

    rate(complaint, 5, reporter=None, tracking_token=TOKEN)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.closure) == (S.CLOSED, Complaint.Closure.RATED)


@pytest.mark.parametrize(
    "who", ["another_citizen", "nobody", "wrong_token", "token_of_another_complaint"]
)
def test_nobody_but_the_reporter_rates(category, who):
    # given
    complaint = resolved(category) if who != "wrong_token" else anonymous(category)
    before = snapshot(complaint)
    callers: dict[str, dict[str, Any]] = {
        "another_citizen": {"reporter": PersonFactory.create()},
        "nobody": {"reporter": None},
        "wrong_token": {"reporter": None, "tracking_token": TOKEN + "x"},
        "token_of_another_complaint": {"reporter": None, "tracking_token": TOKEN},
    }
    caller = callers[who]
    if who == "token_of_another_complaint":
        anonymous(category)

    # when / then: the same answer as for a complaint that does not exist
    with pytest.raises(ComplaintNotFound):
        rate(complaint, 5, **caller)
    assert snapshot(complaint) == before


def test_after_the_rating_window_the_complaint_cannot_be_rated(category):
    complaint = resolved(category, ago=settings.COMPLAINTS_RATING_WINDOW + timedelta(minutes=1))
    before = snapshot(complaint)

    with pytest.raises(RatingNotOpen) as refused:
        rate(complaint, 5)

    assert refused.value.extra["complaint_status"] == S.RESOLVED
    assert snapshot(complaint) == before


def test_just_inside_the_window_the_rating_counts(category):
    complaint = resolved(category, ago=settings.COMPLAINTS_RATING_WINDOW - timedelta(minutes=1))

    rate(complaint, 5)

    assert complaint.ratings.count() == 1


def test_only_a_resolved_complaint_is_rated_and_only_once_per_round(category):
    # given: one complaint still in progress, one already rated
    working = resolved(category)
    working = rate(working, 1)
    transition(working, S.IN_PROGRESS, actor_kind=A.OFFICER)
    rated = resolved(category)
    rate(rated, 5)
    before = (snapshot(working), snapshot(rated))

    # when / then
    for complaint in (working, rated):
        with pytest.raises(RatingNotOpen):
            rate(complaint, 1)
    assert (snapshot(working), snapshot(rated)) == before


def test_scores_outside_one_to_five_are_refused_with_field_errors(category):
    complaint = resolved(category)
    before = snapshot(complaint)

    with pytest.raises(InvalidRating) as refused:
        rate_resolution(
            complaint=complaint, speed=0, result=6, attitude=3, comment="x" * 2001,
            reporter=complaint.reporter,
        )  # fmt: skip

    assert [(error["field"], error["code"]) for error in refused.value.extra["errors"]] == [
        ("speed", "out_of_range"),
        ("result", "out_of_range"),
        ("comment", "max_length"),
    ]
    assert snapshot(complaint) == before
    assert not Rating.objects.exists()


def test_complaints_nobody_rated_in_time_are_closed_by_the_system(category):
    # given: resolved within the window, past it (reporter, anonymous with a token), and past
    # it with nobody who could rate (an Open311 report without an account)
    window = settings.COMPLAINTS_RATING_WINDOW
    recent = resolved(category, ago=window - timedelta(hours=1))
    unrated = resolved(category, ago=window + timedelta(hours=1))
    unrated_anonymous = anonymous(category, ago=window + timedelta(hours=2))
    nobody = resolved(category, reporter=None, ago=window + timedelta(hours=3))
    now = timezone.now()

    # when: twice, in batches of one
    closed = close_unrated_complaints(now=now, batch=1)
    again = close_unrated_complaints(now=now, batch=1)

    # then
    assert (closed, again) == (3, 0)
    closures = dict(Complaint.objects.values_list("pk", "closure"))
    assert closures == {
        recent.pk: "",
        unrated.pk: Complaint.Closure.UNRATED,
        unrated_anonymous.pk: Complaint.Closure.UNRATED,
        nobody.pk: Complaint.Closure.NOT_RATEABLE,
    }
    unrated.refresh_from_db()
    assert (unrated.status, unrated.closed_at) == (S.CLOSED, now)
    event = unrated.events.latest("pk")
    assert (event.to_status, event.actor_kind, event.is_public) == (S.CLOSED, A.SYSTEM, True)


def test_closing_unrated_complaints_reads_a_batch_in_one_query(category, django_assert_num_queries):
    resolved(category, ago=timedelta(hours=1))

    with django_assert_num_queries(1):
        assert close_unrated_complaints(now=timezone.now(), batch=10) == 0

"""Retention (complaints/actions/privacy.py): complaints closed longer than the retention period
lose everything that says who reported or followed them, and keep what they are about."""

import secrets
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from complaints.actions.privacy import anonymise_closed_complaints
from complaints.actions.routing import route_complaint
from complaints.actions.satisfaction import rate_resolution
from complaints.actions.transitions import transition
from complaints.models import Complaint, ComplaintEvent, Follower, hash_tracking_token
from identity.models import Person
from tests.factories import ComplaintCategoryFactory, ComplaintFactory, PersonFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status
A = ComplaintEvent.ActorKind
RETENTION = settings.COMPLAINTS_ANONYMISE_AFTER


@pytest.fixture
def category():
    return ComplaintCategoryFactory.create()


def _routed(category, **fields) -> Complaint:
    complaint = ComplaintFactory.create(
        category=category,
        contact_name="Somchai",
        contact_email="somchai@example.org",
        contact_phone="+66812345678",
        answers={"pole_number": "A-17"},
        tracking_token_hash=hash_tracking_token(secrets.token_urlsafe()),
        **fields,
    )
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    return complaint


def _closed_by_rating(category) -> Complaint:
    complaint = _routed(category)
    transition(complaint, S.ACCEPTED, actor_kind=A.OFFICER, accepted_at=timezone.now())
    transition(complaint, S.RESOLVED, actor_kind=A.OFFICER, resolved_at=timezone.now())
    return rate_resolution(
        complaint=complaint, speed=5, result=5, attitude=5, comment="Great.",
        reporter=complaint.reporter,
    )  # fmt: skip


def _withdrawn(category) -> Complaint:
    complaint = _routed(category)
    transition(complaint, S.WITHDRAWN, actor_kind=A.REPORTER, closed_at=timezone.now())
    return complaint


def _duplicate(category) -> Complaint:
    original = _routed(category)
    complaint = _routed(category)
    transition(
        complaint, S.DUPLICATE, actor_kind=A.DISPATCHER, duplicate_of=original,
        closed_at=timezone.now(),
    )  # fmt: skip
    return complaint


def _after_retention():
    return timezone.now() + RETENTION + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("close", "status"),
    [(_closed_by_rating, S.CLOSED), (_withdrawn, S.WITHDRAWN), (_duplicate, S.DUPLICATE)],
)
def test_a_complaint_closed_longer_than_the_retention_period_is_anonymised(category, close, status):
    # given: a closed complaint with a reporter, contact details, a token and a follower
    complaint = close(category)
    reporter = complaint.reporter
    Follower.objects.create(complaint=complaint, person=PersonFactory.create())
    events = list(complaint.events.values_list("pk", "to_status", "note"))
    ratings = list(complaint.ratings.values_list("pk", "result", "comment"))
    now = _after_retention()

    # when
    anonymised = anonymise_closed_complaints(now=now)

    # then: nothing says who reported or followed it
    assert anonymised == 1
    complaint.refresh_from_db()
    assert complaint.anonymised_at == now
    assert complaint.reporter is None
    assert (complaint.contact_name, complaint.contact_email, complaint.contact_phone) == (
        "", None, None,
    )  # fmt: skip
    assert complaint.tracking_token_hash is None
    assert not complaint.followers.exists()
    # and what it is about stays, with its history and ratings; the people stay as they were
    assert complaint.description == ComplaintFactory.description
    assert complaint.answers == {"pole_number": "A-17"}
    assert (str(complaint.latitude), str(complaint.longitude)) == ("13.500000", "100.500000")
    assert complaint.status == status
    assert list(complaint.events.values_list("pk", "to_status", "note")) == events
    assert list(complaint.ratings.values_list("pk", "result", "comment")) == ratings
    assert Person.objects.filter(pk=reporter.pk).exists()


def test_recent_and_open_complaints_are_left_alone(category):
    # given: one closed just inside the retention period, one still open
    recent = _closed_by_rating(category)
    open_complaint = _routed(category)
    assert recent.closed_at is not None
    now = recent.closed_at + RETENTION  # not yet longer than the period

    # when
    anonymised = anonymise_closed_complaints(now=now)

    # then
    assert anonymised == 0
    for complaint in (recent, open_complaint):
        complaint.refresh_from_db()
        assert complaint.anonymised_at is None
        assert complaint.reporter is not None
        assert complaint.contact_email == "somchai@example.org"


def test_anonymisation_runs_in_set_based_batches_and_once(category, django_assert_num_queries):
    # given: three old closed complaints, each with a follower
    complaints = [_closed_by_rating(category) for _ in range(3)]
    for complaint in complaints:
        Follower.objects.create(complaint=complaint, person=PersonFactory.create())
    now = _after_retention()

    # when: in batches of two, each its own transaction (a savepoint here) that reads the ids,
    # deletes the followers and updates the rows; the short second batch ends the run
    with django_assert_num_queries(2 * 5):
        first = anonymise_closed_complaints(now=now, batch=2)
    again = anonymise_closed_complaints(now=now, batch=2)

    # then
    assert (first, again) == (3, 0)
    assert not Follower.objects.exists()
    assert Complaint.objects.filter(anonymised_at=now).count() == 3

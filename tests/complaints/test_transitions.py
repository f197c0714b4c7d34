"""The one way a complaint changes status: the table decides, the history records, final
states start the retention clock, and a reporter's own moves carry no account link."""

import pytest
from django.db import IntegrityError, transaction

from complaints.actions.routing import dispatch_complaint, route_complaint
from complaints.actions.transitions import lock_complaint, transition
from complaints.errors import TransitionNotAllowed
from complaints.models import ACTIVE_STATUSES, Complaint, ComplaintEvent
from complaints.states import ACTIVE
from tests.factories import AgencyFactory, ComplaintCategoryFactory, ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Complaint.Status
A = ComplaintEvent.ActorKind


def test_the_partial_indexes_name_the_active_statuses():
    assert set(ACTIVE_STATUSES) == set(ACTIVE)


def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing():
    complaint = ComplaintFactory.create()

    with pytest.raises(TransitionNotAllowed):
        transition(lock_complaint(complaint.pk), S.RESOLVED, actor_kind=A.REPORTER)

    complaint.refresh_from_db()
    assert complaint.status == S.SUBMITTED
    assert not complaint.events.exists()


def test_a_final_state_records_when_it_closed():
    complaint = ComplaintFactory.create()

    transition(lock_complaint(complaint.pk), S.WITHDRAWN, actor_kind=A.REPORTER)

    complaint.refresh_from_db()
    assert complaint.closed_at == complaint.updated_at


def test_a_final_state_without_a_closing_time_is_refused_by_the_database():
    complaint = ComplaintFactory.create()

    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status=S.WITHDRAWN)


def test_the_reporters_own_moves_are_recorded_without_their_account():
    complaint = ComplaintFactory.create()
    assert complaint.reporter is not None

    transition(
        lock_complaint(complaint.pk), S.WITHDRAWN, actor_kind=A.REPORTER,
        actor=complaint.reporter.user,
    )  # fmt: skip

    event = complaint.events.get()
    assert event.actor_kind == A.REPORTER
    assert event.actor is None


def test_routing_again_after_a_rejection_restarts_first_contact_for_the_new_agency():
    # given: routed to the category's agency, which rejected it
    category = ComplaintCategoryFactory.create()
    complaint = ComplaintFactory.create(category=category)
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    first_due, resolution_due = complaint.first_contact_due, complaint.resolution_due
    transition(
        lock_complaint(complaint.pk), S.REJECTED, actor_kind=A.OFFICER, agency=None,
        dispatch_since=complaint.routed_at,
    )  # fmt: skip
    other = AgencyFactory.create(jurisdiction=category.jurisdiction)

    # when
    dispatch_complaint(complaint=complaint, agency=other, dispatcher=UserFactory.create())

    # then: the resolution deadline stays, first contact is owed anew by the new agency
    complaint.refresh_from_db()
    assert complaint.agency == other
    assert complaint.handovers == 1
    assert complaint.resolution_due == resolution_due
    assert first_due is not None
    assert complaint.first_contact_due is not None
    assert complaint.first_contact_due > first_due

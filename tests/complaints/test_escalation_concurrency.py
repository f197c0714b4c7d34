"""Two sweeps escalating the same level at the same moment write one Escalation row, and only
the one whose insert went through notes and notifies (PostgreSQL: real concurrent
transactions, the unique constraint decides)."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from complaints.actions.escalation import (
    DEFAULT_LADDER,
    escalate_overdue_complaints,
    record_escalation,
)
from complaints.actions.routing import route_complaint
from complaints.actions.transitions import transition
from complaints.models import Complaint, ComplaintEvent, Escalation
from identity.models import Membership
from tests.factories import ComplaintCategoryFactory, ComplaintFactory, MembershipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

S = Complaint.Status
A = ComplaintEvent.ActorKind
WAIT = 10


@pytest.fixture
def overdue() -> Complaint:
    """Accepted, and a week past its resolution deadline; its agency has one supervisor."""
    category = ComplaintCategoryFactory.create()
    MembershipFactory.create(agency=category.default_agency, role=Membership.Role.SUPERVISOR)
    complaint = ComplaintFactory.create(
        category=category, created_at=timezone.now() - timedelta(days=21)
    )
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    transition(complaint, S.ACCEPTED, actor_kind=A.OFFICER, accepted_at=timezone.now())
    mail.outbox.clear()  # the reporter's updates, sent as each change committed
    return complaint


def _in_thread(target, results: dict[str, object], name: str) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_a_level_recorded_by_two_runs_at_once_is_written_and_notified_once(overdue):
    # given: two runs that both decided level 1 is due (neither sees the other's row yet)
    now = timezone.now()
    inserted, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def record() -> int | None:
        complaint = Complaint.objects.select_related("jurisdiction", "agency").get(pk=overdue.pk)
        return record_escalation(
            complaint, reason=Escalation.Reason.RESOLUTION_OVERDUE, round=0,
            step=DEFAULT_LADDER[0], deadline=complaint.resolution_due, now=now,
        )  # fmt: skip

    def first() -> int | None:
        with transaction.atomic():
            escalation_id = record()
            inserted.set()
            release.wait(WAIT)  # hold the transaction open while the second run inserts
        return escalation_id

    def second() -> int | None:
        inserted.wait(WAIT)
        with transaction.atomic():
            return record()

    # when
    threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
    inserted.wait(WAIT)
    threads[1].join(0.5)
    second_was_waiting = threads[1].is_alive()
    release.set()
    for thread in threads:
        thread.join(WAIT)

    # then: the second insert waited for the first transaction, then did nothing
    assert second_was_waiting
    assert results == {"first": Escalation.objects.get().pk, "second": None}
    notes = ComplaintEvent.objects.filter(complaint=overdue, is_public=False)
    assert notes.filter(note__startswith="Escalated").count() == 1
    assert [message.to for message in mail.outbox] == [[_supervisor_email()]]


def test_sweeps_running_side_by_side_escalate_once(overdue):
    # given
    now = timezone.now()
    results: dict[str, object] = {}

    # when: four sweeps at once
    threads = [
        _in_thread(lambda: escalate_overdue_complaints(now=now), results, f"sweep-{n}")
        for n in range(4)
    ]
    for thread in threads:
        thread.join(WAIT)

    # then
    assert sum(int(str(count)) for count in results.values()) == 1
    assert Escalation.objects.filter(complaint=overdue).count() == 1
    overdue.refresh_from_db()
    assert overdue.escalation_level == 1
    assert [message.to for message in mail.outbox] == [[_supervisor_email()]]


def _supervisor_email() -> str:
    return Membership.objects.get(role=Membership.Role.SUPERVISOR).user.email

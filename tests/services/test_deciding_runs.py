"""Deciding runs: an application reaching `checking` asks for a run after it commits, and one
run decides every application then waiting, oldest first, so a burst of submissions shares
runs (cityportal/runs.py). Tasks run eagerly here; test_seconds_approval_worker.py runs them
on a worker."""

import dataclasses
import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from cityportal.notifications.models import Message
from cityportal.runs import flags
from services.actions import decisions
from services.models import Application, ApplicationEvent, DecisionRecord
from services.tasks import decide_waiting_applications_task, requeue_stuck_checks_task
from tests.conftest import locked_elsewhere
from tests.factories import CheckFactory, PersonFactory, RuleSetFactory

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture
def service():
    rule_set = RuleSetFactory.create()
    CheckFactory.create(rule_set=rule_set, code="adult")
    return rule_set.service


def _checking(service, count: int) -> list[Application]:
    person = PersonFactory.create()
    return [
        Application.objects.create(
            reference=f"APP-RUN-{Application.objects.count() + 1}",
            service=service,
            applicant=person,
            submitted_by=person,
            status=S.CHECKING,
            data={},
            round=1,
        )
        for _ in range(count)
    ]


def _statuses(applications: list[Application]) -> list[str]:
    return [Application.objects.get(pk=application.pk).status for application in applications]


def test_a_run_decides_every_waiting_application_oldest_first(service):
    applications = _checking(service, 3)
    in_review = _checking(service, 1)[0]
    Application.objects.filter(pk=in_review.pk).update(status=S.MANUAL_REVIEW)

    assert decisions.decide_waiting_applications() == 3

    assert _statuses(applications) == [S.APPROVED] * 3
    records = DecisionRecord.objects.order_by("pk").values_list("application_id", flat=True)
    assert list(records) == [application.pk for application in applications]
    assert _statuses([in_review]) == [S.MANUAL_REVIEW]
    assert decisions.decide_waiting_applications() == 0


def test_reaching_checking_asks_for_a_run_after_commit(service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            waiting = _checking(service, 1)
            transaction.on_commit(decisions.request_decisions)
        assert _statuses(waiting) == [S.CHECKING]

    assert _statuses(waiting) == [S.APPROVED]
    assert flags().get(decisions.DECIDING_RUN.key) is None  # the next one asks for its own run


def test_a_request_while_a_run_is_on_its_way_queues_no_other(service):
    flags().set(decisions.DECIDING_RUN.key, 1)  # a run was asked for and has not finished
    waiting = _checking(service, 2)

    decisions.request_decisions()
    assert _statuses(waiting) == [S.CHECKING] * 2

    # the run on its way decides both, then clears the request
    assert decide_waiting_applications_task.delay().get() == 2
    assert _statuses(waiting) == [S.APPROVED] * 2
    assert flags().get(decisions.DECIDING_RUN.key) is None


def test_a_run_stops_at_its_limit_and_queues_the_next(service, monkeypatch):
    shorter = dataclasses.replace(decisions.DECIDING_RUN, limit=2)
    monkeypatch.setattr(decisions, "DECIDING_RUN", shorter)
    waiting = _checking(service, decisions.DECIDING_BATCH + 3)

    # the limit is checked between batches: the first batch, then the next run
    assert decisions.decide_waiting_applications() == decisions.DECIDING_BATCH

    assert _statuses(waiting) == [S.APPROVED] * len(waiting)  # the next runs (at once here)


def test_a_run_that_sees_a_backlog_queues_a_second(service, monkeypatch):
    queued = []
    run = dataclasses.replace(decisions.DECIDING_RUN, backlog=2)
    monkeypatch.setattr(decisions, "DECIDING_RUN", run)
    monkeypatch.setattr(type(run), "_queue", lambda self: queued.append(self.task))
    waiting = _checking(service, decisions.DECIDING_BATCH + 3)

    assert decisions.decide_waiting_applications() == len(waiting)

    assert queued == [run.task]  # once, after the first (full) batch
    assert _statuses(waiting) == [S.APPROVED] * len(waiting)


def test_a_run_that_took_every_waiting_application_in_one_batch_queues_no_second(
    service, monkeypatch
):
    queued = []
    run = dataclasses.replace(decisions.DECIDING_RUN, backlog=2)
    monkeypatch.setattr(decisions, "DECIDING_RUN", run)
    monkeypatch.setattr(type(run), "_queue", lambda self: queued.append(self.task))
    waiting = _checking(service, 3)

    assert decisions.decide_waiting_applications() == 3

    assert queued == []  # nothing was left for a second run to share
    assert _statuses(waiting) == [S.APPROVED] * 3


def test_the_sweep_queues_a_run_for_applications_left_checking(service):
    stale = _checking(service, 2)
    Application.objects.filter(pk__in=[a.pk for a in stale]).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    fresh = _checking(service, 1)

    assert requeue_stuck_checks_task() == 2
    # the run decides whatever is waiting, the fresh one too
    assert _statuses([*stale, *fresh]) == [S.APPROVED] * 3
    assert requeue_stuck_checks_task() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_runs_share_the_waiting_applications(service):
    held, other = _checking(service, 2)
    with locked_elsewhere(held):
        # this run does not wait for the held application: it takes the next one
        taken = decisions.decide_next_waiting_applications()
        assert [application.pk for application in taken] == [other.pk]
        assert decisions.decide_next_waiting_applications() == []
    assert _statuses([held, other]) == [S.CHECKING, S.APPROVED]


def test_a_batch_is_decided_in_as_many_statements_as_one_application(
    service, django_assert_num_queries
):
    decisions.decide_application(application_id=_checking(service, 1)[0].pk)  # rules in memory
    one = _checking(service, 1)
    # the claim, the read, the credentials, the records, the move, the history, the notices,
    # and the transaction (a savepoint here, inside the test's transaction)
    with django_assert_num_queries(9):
        assert len(decisions.decide_next_waiting_applications()) == 1
    batch = [application for _ in range(3) for application in _checking(service, 2)]

    with django_assert_num_queries(9):
        decided = decisions.decide_next_waiting_applications()

    assert [application.pk for application in decided] == [application.pk for application in batch]
    assert _statuses([*one, *batch]) == [S.APPROVED] * 7
    records = DecisionRecord.objects.filter(application__in=batch)
    assert sorted(records.values_list("application_id", flat=True)) == [a.pk for a in batch]
    assert Message.objects.filter(kind="application.approved").count() == 8
    assert ApplicationEvent.objects.filter(application__in=batch, to_status=S.APPROVED).count() == 6


def test_a_batch_stops_at_its_size_and_the_run_takes_the_rest(service):
    waiting = _checking(service, 5)

    assert len(decisions.decide_next_waiting_applications(batch=2)) == 2
    assert _statuses(waiting) == [S.APPROVED] * 2 + [S.CHECKING] * 3

    assert decisions.decide_waiting_applications() == 3


def test_a_batch_keeps_each_applications_own_outcome_and_reasons(service):
    CheckFactory.create(
        rule_set=service.rule_sets.get(),
        code="few-children",
        expression={"<=": [{"var": "data.children"}, 3]},
        on_fail="reject",
        reason_template_en="{{data.children}} children are too many.",
    )
    fine, too_many, far_too_many = _checking(service, 3)
    Application.objects.filter(pk=fine.pk).update(data={"children": 1})
    Application.objects.filter(pk=too_many.pk).update(data={"children": 4})
    Application.objects.filter(pk=far_too_many.pk).update(data={"children": 9})

    decisions.decide_next_waiting_applications()

    assert _statuses([fine, too_many, far_too_many]) == [S.APPROVED, S.REJECTED, S.REJECTED]
    reasons = dict(Application.objects.values_list("pk", "decision_reason"))
    assert reasons[too_many.pk] == "4 children are too many."
    assert reasons[far_too_many.pk] == "9 children are too many."


def test_an_application_whose_decision_fails_goes_to_an_officer_and_holds_back_no_other(
    service, monkeypatch, caplog
):
    first, broken, last = _checking(service, 3)
    evaluate = decisions.rules.evaluate

    def failing_on_the_broken_one(checks, *, data, facts, language):
        if data.get("broken"):
            raise RuntimeError("a fault in the evaluator")
        return evaluate(checks, data=data, facts=facts, language=language)

    monkeypatch.setattr(decisions.rules, "evaluate", failing_on_the_broken_one)
    Application.objects.filter(pk=broken.pk).update(data={"broken": True})

    assert decisions.decide_waiting_applications() == 3

    assert _statuses([first, broken, last]) == [S.APPROVED, S.MANUAL_REVIEW, S.APPROVED]
    record = DecisionRecord.objects.get(application=broken)
    assert record.outcome == "manual_review"
    assert record.checks == []
    assert record.reasons == ["The automatic check could not be completed; an officer will decide."]
    assert f"Handling application {broken.pk} failed" in caplog.text
    assert Application.objects.get(pk=broken.pk).deadline is not None

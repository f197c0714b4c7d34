"""Routing runs: a submission asks for a run after it commits, and one run routes every
complaint then waiting, oldest first, so a burst of submissions shares runs
(cityportal/runs.py). Tasks run eagerly here; test_routing_worker.py runs them on a worker."""

import dataclasses
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cityportal.runs import flags
from complaints.actions import routing
from complaints.actions.intake import submit_complaint
from complaints.models import Complaint
from complaints.tasks import requeue_unrouted_complaints_task, route_waiting_complaints_task
from tests.conftest import locked_elsewhere
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db
S = Complaint.Status


@pytest.fixture
def category():
    city = CityFactory.create()
    return ComplaintCategoryFactory.create(
        jurisdiction=city, default_agency=AgencyFactory.create(jurisdiction=city)
    )


def _waiting(category, count: int, **fields) -> list[Complaint]:
    return [ComplaintFactory.create(category=category, **fields) for _ in range(count)]


def _statuses(complaints: list[Complaint]) -> list[str]:
    return [Complaint.objects.get(pk=complaint.pk).status for complaint in complaints]


def _submit(category) -> Complaint:
    return submit_complaint(
        category=category,
        description="A street light has been out for a week.",
        address="12 Sukhumvit Road",
        reporter=PersonFactory.create(),
    ).complaint


def test_a_run_routes_every_waiting_complaint_oldest_first(category):
    first, second, third = _waiting(category, 3)
    at_dispatcher = ComplaintFactory.create(category=category, dispatch_since=timezone.now())

    assert routing.route_waiting_complaints() == 3

    assert _statuses([first, second, third]) == [S.ROUTED] * 3
    by_routing_time = Complaint.objects.filter(pk__in=[first.pk, second.pk, third.pk])
    assert list(by_routing_time.order_by("routed_at").values_list("pk", flat=True)) == [
        first.pk, second.pk, third.pk,
    ]  # fmt: skip
    # the dispatcher's complaint is the dispatcher's to route
    assert Complaint.objects.get(pk=at_dispatcher.pk).status == S.SUBMITTED
    assert routing.route_waiting_complaints() == 0


def test_a_submission_asks_for_a_run_after_commit(category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = _submit(category)
        assert flags().get(routing.ROUTING_RUN.key) is None  # nothing before the commit

    assert _statuses([complaint]) == [S.ROUTED]
    # the run withdrew the request: the next submission asks for a run of its own
    assert flags().get(routing.ROUTING_RUN.key) is None


def test_a_submission_while_a_run_is_on_its_way_queues_no_other(
    category, django_capture_on_commit_callbacks
):
    flags().set(routing.ROUTING_RUN.key, 1)  # a run was asked for and has not begun

    with django_capture_on_commit_callbacks(execute=True):
        first, second = _submit(category), _submit(category)

    assert _statuses([first, second]) == [S.SUBMITTED] * 2
    # the run that was on its way routes both
    assert route_waiting_complaints_task.delay().get() == 2
    assert _statuses([first, second]) == [S.ROUTED] * 2


def test_a_run_stops_at_its_limit_and_asks_for_the_next(category, monkeypatch):
    monkeypatch.setattr(routing, "ROUTING_RUN", dataclasses.replace(routing.ROUTING_RUN, limit=2))
    monkeypatch.setattr(routing, "ROUTING_BATCH", 2)
    complaints = _waiting(category, 5)

    # the first run routes two and queues the next (run at once here), which queues the third
    assert routing.route_waiting_complaints() == 2

    assert _statuses(complaints) == [S.ROUTED] * 5


def test_the_sweep_queues_a_run_for_complaints_left_waiting(category):
    stale = _waiting(category, 2, created_at=timezone.now() - datetime.timedelta(minutes=2))

    assert requeue_unrouted_complaints_task() == 2
    assert _statuses(stale) == [S.ROUTED] * 2


def test_the_sweep_leaves_fresh_complaints_to_their_own_run(category):
    fresh = _waiting(category, 1)

    assert requeue_unrouted_complaints_task() == 0
    assert _statuses(fresh) == [S.SUBMITTED]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_runs_share_the_waiting_complaints(category):
    held, other = _waiting(category, 2)
    with locked_elsewhere(held):
        # this run does not wait for the held complaint: it takes the next one
        taken = routing.route_next_waiting_complaints()
        assert [complaint.pk for complaint in taken] == [other.pk]
        assert routing.route_next_waiting_complaints() == []
    assert _statuses([held, other]) == [S.SUBMITTED, S.ROUTED]


def test_a_batch_is_routed_in_one_transaction_with_one_claim(category):
    _waiting(category, 1)
    routing.route_waiting_complaints()  # the routing table in memory

    def statements_to_route(count: int) -> list[str]:
        complaints = _waiting(category, count)
        with CaptureQueriesContext(connection) as queries:
            routed = routing.route_next_waiting_complaints()
        assert [complaint.pk for complaint in routed] == [complaint.pk for complaint in complaints]
        assert _statuses(complaints) == [S.ROUTED] * count
        return [query["sql"] for query in queries]

    one, three = statements_to_route(1), statements_to_route(3)

    claims = [sql for sql in three if "FOR UPDATE" in sql]
    assert len(claims) == 1
    assert len(three) - len(one) == 2 * (len(one) - 3)  # each more adds its own writes only


def test_a_complaint_whose_routing_fails_goes_to_the_dispatcher_and_holds_back_no_other(
    category, monkeypatch, caplog
):
    first, broken, last = _waiting(category, 3)
    apply_rules = routing._apply_rules

    def failing_on_the_broken_one(complaint):
        if complaint.pk == broken.pk:
            raise RuntimeError("a fault in the rules")
        return apply_rules(complaint)

    monkeypatch.setattr(routing, "_apply_rules", failing_on_the_broken_one)

    assert routing.route_waiting_complaints() == 3

    assert _statuses([first, broken, last]) == [S.ROUTED, S.SUBMITTED, S.ROUTED]
    at_dispatcher = Complaint.objects.get(pk=broken.pk)
    assert at_dispatcher.dispatch_since is not None
    assert at_dispatcher.events.filter(
        note="Automatic routing failed; waiting for the dispatcher."
    ).exists()
    assert f"Handling complaint {broken.pk} failed" in caplog.text

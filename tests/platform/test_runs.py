"""DrainRun (cityportal/runs.py): one queued run for many commits, and no row left waiting."""

import pytest
from django.core.cache import cache

from cityportal.runs import DrainRun


class _Task:
    """Stands in for a Celery task: counts the runs queued."""

    def __init__(self) -> None:
        self.queued = 0

    def delay(self) -> None:
        self.queued += 1


TASK = _Task()
RUN = DrainRun(key="tests:drain-run", task=f"{__name__}.TASK", backlog=3, limit=5)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    TASK.queued = 0
    cache.delete(RUN.key)


class _Row:
    def __init__(self, pk: int) -> None:
        self.pk = pk


def _first_above(waiting: set[int], after: int, batch: int = 1) -> list[_Row]:
    """Handle the first `batch` waiting ids above `after`, as a claim would."""
    found = sorted(pk for pk in waiting if pk > after)[:batch]
    waiting.difference_update(found)
    return [_Row(pk) for pk in found]


def _rows(*ids: int, batch: int = 1):
    waiting = set(ids)
    return waiting, lambda after: _first_above(waiting, after, batch)


def test_requests_while_one_is_pending_queue_one_run():
    RUN.request()
    RUN.request()
    RUN.request()

    assert TASK.queued == 1


def test_a_run_clears_the_request_when_nothing_waits():
    RUN.request()
    _, handle_next = _rows(1, 2)

    assert RUN.drain(handle_next) == 2

    RUN.request()
    assert TASK.queued == 2  # the next submission queues a run of its own


def test_after_clearing_the_request_a_run_looks_again_from_the_start():
    calls: list[int] = []
    waiting = {5}

    def handle_next(after: int) -> list[_Row]:
        calls.append(after)
        found = _first_above(waiting, after)
        if not found and after == 5:
            waiting.add(3)  # committed meanwhile, with an id taken before the run's last claim
        return found

    assert RUN.drain(handle_next) == 2

    assert calls == [0, 5, 0, 3, 0]
    assert not waiting


def test_a_backlog_queues_a_second_run_and_the_limit_a_next_one():
    waiting, handle_next = _rows(*range(1, 9))

    assert RUN.drain(handle_next) == 5

    assert TASK.queued == 2  # one after the third row, one at the limit
    assert waiting == {6, 7, 8}  # for the runs queued


def test_a_run_of_batches_counts_rows_and_shares_a_backlog_once():
    waiting, handle_next = _rows(*range(1, 12), batch=2)

    assert RUN.drain(handle_next) == 6  # the limit (5) is checked between batches

    assert TASK.queued == 2  # one when the third row was handled, one at the limit
    assert waiting == {7, 8, 9, 10, 11}


def test_a_short_batch_is_not_the_end_of_a_run_but_an_empty_claim_is():
    RUN.request()
    waiting, handle_next = _rows(1, 2, 5, batch=2)

    assert RUN.drain(handle_next) == 3

    assert not waiting
    assert TASK.queued == 2  # the request, and the second run at the backlog of three
    RUN.request()
    assert TASK.queued == 3  # the run cleared the request


def test_a_short_batch_clears_the_request_without_a_claim_that_finds_nothing():
    calls: list[int] = []
    waiting = {4, 9}

    def handle_next(after: int) -> list[_Row]:
        calls.append(after)
        return _first_above(waiting, after, batch=3)

    RUN.request()
    assert RUN.drain(handle_next, batch=3) == 2

    assert calls == [0, 0]  # the batch, then the look from the start after clearing
    RUN.request()
    assert TASK.queued == 2

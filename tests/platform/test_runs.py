"""DrainRun (cityportal/runs.py): one queued run for many commits, and no row left waiting."""

import dataclasses

import pytest

from cityportal.runs import DrainRun, flags


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
    flags().delete(RUN.key)


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

    assert RUN.drain(handle_next, batch=2) == 6  # the limit (5) is checked between batches

    assert TASK.queued == 2  # one when a full claim brought it to three rows, one at the limit
    assert waiting == {7, 8, 9, 10, 11}


def test_a_short_batch_ends_a_run_that_finds_nothing_more():
    RUN.request()
    waiting, handle_next = _rows(1, 2, 5, batch=2)

    assert RUN.drain(handle_next, batch=2) == 3

    assert not waiting
    assert TASK.queued == 1  # the request only: the short claim left nothing to share
    RUN.request()
    assert TASK.queued == 2  # the run cleared the request


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


def test_a_lingering_run_takes_rows_that_arrive_meanwhile_without_a_new_request(settings):
    settings.DRAIN_RUN_LINGER_SECONDS = 0.5
    RUN.request()
    waiting = {1}
    calls: list[int] = []

    def handle_next(after: int) -> list[_Row]:
        calls.append(after)
        if len(calls) == 3:
            waiting.add(2)  # submitted while the run lingers: it finds the request set
            assert flags().get(RUN.key) is not None
        return _first_above(waiting, after, batch=5)

    assert RUN.drain(handle_next, batch=5) == 2

    assert calls[:4] == [0, 1, 1, 2]  # the same run took it at its next look
    assert calls[-1] == 0  # and, having waited for more, cleared the request and looked again
    assert TASK.queued == 1
    assert flags().get(RUN.key) is None


def test_a_run_under_a_trickle_hands_over_after_its_time(settings):
    settings.DRAIN_RUN_LINGER_SECONDS = 10.0
    brief = dataclasses.replace(RUN, max_seconds=0.1, poll=0.01)
    arrivals = iter(range(1, 10_000))

    def one_new_row_each_time(after: int) -> list[_Row]:
        return [_Row(next(arrivals))]

    handled = brief.drain(one_new_row_each_time, batch=5)

    assert 0 < handled < 100
    assert TASK.queued == 1  # its successor; the request stays set for it

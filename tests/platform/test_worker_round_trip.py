"""A task queued on commit travels through Redis to a real worker, whose write is visible here."""

import time

import pytest
from django.db import transaction

from cityportal.models import WorkerHeartbeat
from cityportal.tasks import record_heartbeat_task


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_task_queued_on_commit_is_run_by_a_real_worker(celery_worker):
    # given no worker has reported yet
    assert WorkerHeartbeat.objects.count() == 0
    # when a transaction queues the task on commit
    with transaction.atomic():
        record_heartbeat_task.delay_on_commit()
        assert WorkerHeartbeat.objects.count() == 0
    # then the worker process runs it and its row appears
    deadline = time.monotonic() + 20
    while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    beat = WorkerHeartbeat.objects.get()
    assert beat.beats == 1


@pytest.mark.django_db
def test_task_queued_in_a_rolled_back_transaction_never_runs():
    # eager mode (no worker): on_commit callbacks of a rolled-back transaction are dropped
    def queue_then_fail() -> None:
        with transaction.atomic():
            record_heartbeat_task.delay_on_commit()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        queue_then_fail()
    assert WorkerHeartbeat.objects.count() == 0


@pytest.mark.django_db
def test_heartbeat_task_is_safe_to_run_twice():
    record_heartbeat_task.delay()
    record_heartbeat_task.delay()
    beat = WorkerHeartbeat.objects.get()
    assert beat.beats == 2

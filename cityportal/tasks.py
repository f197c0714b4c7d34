"""Platform housekeeping tasks, run by beat (schedules in the database: cityportal/schedules.py)."""

import socket

from celery import shared_task

from cityportal.heartbeat import record_worker_heartbeat
from cityportal.idempotency import purge_expired_idempotency_keys


@shared_task(name="cityportal.tasks.record_heartbeat_task")
def record_heartbeat_task() -> None:
    """The worker that runs this says it is alive; safe to run any number of times."""
    record_worker_heartbeat(worker=socket.gethostname())


@shared_task(name="cityportal.tasks.purge_expired_idempotency_keys_task")
def purge_expired_idempotency_keys_task() -> int:
    return purge_expired_idempotency_keys()

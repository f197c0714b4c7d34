"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix."""

import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityportal.settings.local")

app = Celery("cityportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("cityportal.tasks")


def prepare_broker() -> None:
    """Create the folders of the embedded filesystem broker; other brokers need nothing here."""
    options = app.conf.broker_transport_options or {}
    if str(app.conf.broker_url).startswith("filesystem://"):
        for name in ("data_folder_in", "data_folder_out", "control_folder"):
            Path(options[name]).mkdir(parents=True, exist_ok=True)


def task_mode() -> str:
    """Say in one line how queued tasks will run, for the startup log and /readyz."""
    if app.conf.task_always_eager:
        return "eager: tasks run in-process after commit, no broker or worker"
    broker = str(app.conf.broker_url)
    if broker.startswith("filesystem://"):
        return "embedded: filesystem broker under var/broker, run by the demo's worker and beat"
    safe = app.connection_for_write().as_uri()  # the password is masked
    return f"broker: {safe}; tasks run by Celery workers"


@task_prerun.connect
@task_postrun.connect
def _close_broken_connections(task: Any = None, **_: object) -> None:
    """Drop a database connection that broke or outlived CONN_MAX_AGE, as Django does around each
    request; healthy ones are kept (CELERY_DB_REUSE_MAX), which is what makes workers fast.
    An eager task runs inside its caller's transaction, whose connection is not ours to close."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_ready.connect
def _log_worker_mode(**_: object) -> None:
    logger.info("Celery worker ready (%s)", task_mode())

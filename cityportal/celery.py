"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix."""

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

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


@worker_ready.connect
def _log_worker_mode(**_: object) -> None:
    logger.info("Celery worker ready (%s)", task_mode())

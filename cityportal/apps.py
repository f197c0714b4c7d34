import logging
import os
import sys

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("cityportal.tasks")


class CityPortalConfig(AppConfig):
    name = "cityportal"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.contrib import admin
        from django.db.models.signals import post_migrate

        from .api import schema  # noqa: F401 - registers the OpenAPI extensions
        from .celery import prepare_broker, task_mode
        from .schedules import ensure_periodic_tasks

        admin.site.site_header = _("CityPortal administration")
        admin.site.site_title = _("CityPortal")
        admin.site.index_title = _("Agency workspace")
        prepare_broker()
        post_migrate.connect(ensure_periodic_tasks, sender=self)
        # Say once, in the serving process, how tasks will run (runserver's reloader child only).
        serving = "runserver" in sys.argv or "gunicorn" in sys.argv[0]
        if serving and os.environ.get("RUN_MAIN", "true") == "true":
            logger.info("Tasks: %s", task_mode())

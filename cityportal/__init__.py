"""CityPortal project package: settings, the Celery app, API conventions and cross-cutting code."""

from .celery import app as celery_app

__all__ = ["celery_app"]

"""Cross-cutting models of the platform (the project package is also a Django app)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One unsafe request made under an Idempotency-Key, and the answer replayed for it.

    The unique constraint on (scope, key) is what makes concurrent duplicates lose: only one
    request can hold the key, the others see it and either replay or wait.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")

    scope = models.CharField(_("caller"), max_length=100)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    locked_at = models.DateTimeField(_("locked at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="idempotency_key_unique_per_caller"
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(response_status__isnull=False),
                name="idempotency_key_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the periodic heartbeat task: shown in /readyz and in
    admin, so an operator sees at once whether queued work is being picked up."""

    worker = models.CharField(_("worker"), max_length=200, unique=True)
    last_seen = models.DateTimeField(_("last seen"))
    beats = models.PositiveBigIntegerField(_("beats"), default=0)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.worker

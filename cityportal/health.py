"""Liveness and readiness probes for the load balancer and the orchestrator."""

import logging
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cityportal.api.errors import PROBLEM_CONTENT_TYPE, problem_body
from cityportal.celery import app as celery_app
from cityportal.celery import task_mode
from cityportal.heartbeat import latest_heartbeat

logger = logging.getLogger("cityportal.health")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving; nothing else is checked."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers and the broker accepts connections."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    down = [name for name, result in checks.items() if result["status"] != "ok"]
    report: dict[str, Any] = {
        "checks": checks,
        "tasks": task_mode(),
        "worker": _worker_report(),
    }
    if down:
        body = problem_body(
            status_code=503,
            code="not_ready",
            title=_("Service unavailable."),
            detail=_("Not ready: %(parts)s unreachable.") % {"parts": ", ".join(down)},
            instance=request.path,
            down=down,
            **report,
        )
        return JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
    return JsonResponse({"status": "ok", **report})


def _check_database() -> dict[str, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Readiness: database unreachable", exc_info=True)
        return {"status": "down"}
    return {"status": "ok"}


def _check_broker() -> dict[str, str]:
    if celery_app.conf.task_always_eager:
        return {"status": "ok", "detail": "not used (eager mode)"}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.warning("Readiness: broker unreachable", exc_info=True)
        return {"status": "down"}
    return {"status": "ok"}


def _worker_report() -> dict[str, Any]:
    """Informational: a web process can serve without a worker, so this never fails readiness."""
    try:
        beat = latest_heartbeat()
    except Exception:
        return {"last_seen": None}
    if beat is None:
        return {"last_seen": None}
    age = (timezone.now() - beat.last_seen).total_seconds()
    return {"name": beat.worker, "last_seen": beat.last_seen.isoformat(), "age_seconds": int(age)}

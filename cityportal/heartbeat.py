from datetime import datetime

from django.db.models import F
from django.utils import timezone

from cityportal.models import WorkerHeartbeat


def record_worker_heartbeat(*, worker: str, now: datetime | None = None) -> None:
    """Note that a worker is alive now (one row per worker, updated in place)."""
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker=worker).update(
        last_seen=now, beats=F("beats") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            worker=worker, defaults={"last_seen": now, "beats": 1}
        )


def latest_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-last_seen").first()

"""The one way an application changes status: checked against the transition table
(services.states) and written to the append-only history in the same transaction."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from services.errors import ApplicationNotFound, TransitionNotAllowed
from services.models import Application, ApplicationEvent
from services.states import can_move


def lock_application(pk: int) -> Application:
    """SELECT … FOR UPDATE of one application (and its service, read with it)."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("service")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise ApplicationNotFound()
    return application


def transition(
    application: Application,
    to_status: str,
    *,
    actor_kind: str,
    actor: Any = None,
    reason: str = "",
    **changes: Any,
) -> Application:
    """Move a (locked) application to `to_status`, recording who and why; `changes` are other
    fields saved with it. Runs in the caller's transaction (an action's), or in its own."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return transition(
                application, to_status, actor_kind=actor_kind, actor=actor, reason=reason,
                **changes,
            )  # fmt: skip
    from_status = application.status
    if not can_move(from_status, to_status, actor_kind):
        raise TransitionNotAllowed(from_status=from_status, to_status=to_status, actor=actor_kind)
    now = timezone.now()
    application.status = to_status
    for name, value in changes.items():
        setattr(application, name, value)
    application.updated_at = now
    application.save(update_fields=["status", "updated_at", *changes])
    application.last_event = ApplicationEvent.objects.create(  # type: ignore[attr-defined]
        application=application,
        from_status=from_status,
        to_status=to_status,
        actor_kind=actor_kind,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:2000],
        at=now,
    )
    return application


def record_opening(
    application: Application,
    *,
    hops: list[tuple[str, str, str, Any]],
    at: Any = None,
) -> None:
    """The history of an application created directly in its status: each hop (from, to,
    actor kind, actor) is checked against the table like any transition, and all are written
    in one INSERT."""
    at = at or timezone.now()
    events = []
    for from_status, to_status, actor_kind, actor in hops:
        if not can_move(from_status, to_status, actor_kind):
            raise TransitionNotAllowed(
                from_status=from_status, to_status=to_status, actor=actor_kind
            )
        events.append(
            ApplicationEvent(
                application=application,
                from_status=from_status,
                to_status=to_status,
                actor_kind=actor_kind,
                actor=actor if getattr(actor, "pk", None) else None,
                at=at,
            )
        )
    if not events or events[-1].to_status != application.status:
        raise ValueError("The last hop must end in the application's status.")
    created = ApplicationEvent.objects.bulk_create(events)
    application.last_event = created[-1]  # type: ignore[attr-defined]

"""The one way an application changes status: checked against the transition table
(services.states) and written to the append-only history in the same transaction."""

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
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
    event = _move(application, to_status, actor_kind=actor_kind, actor=actor, reason=reason,
                  changes=changes, now=timezone.now())  # fmt: skip
    application.save(update_fields=["status", "updated_at", *changes])
    event.save(force_insert=True)
    application.last_event = event  # type: ignore[attr-defined]
    return application


def transition_many(
    moves: Sequence[tuple[Application, str, str, dict[str, Any]]], *, actor_kind: str
) -> None:
    """Move many locked applications at once (a deciding run's batch), each as `transition`
    would: `moves` are (application, to_status, reason, changes). The history is one INSERT,
    and applications whose changes are the same values share one UPDATE. Runs in the caller's
    transaction."""
    now = timezone.now()
    events = []
    alike: dict[tuple[Any, ...], tuple[str, dict[str, Any], list[int]]] = {}
    for application, to_status, reason, changes in moves:
        events.append(
            _move(application, to_status, actor_kind=actor_kind, actor=None, reason=reason,
                  changes=changes, now=now)
        )  # fmt: skip
        key = (to_status, *sorted((name, _key(value)) for name, value in changes.items()))
        alike.setdefault(key, (to_status, changes, []))[2].append(application.pk)
    for to_status, changes, pks in alike.values():
        Application.objects.filter(pk__in=pks).update(status=to_status, updated_at=now, **changes)
    for (application, *_), event in zip(
        moves, ApplicationEvent.objects.bulk_create(events), strict=True
    ):
        application.last_event = event  # type: ignore[attr-defined]


def _key(value: Any) -> Any:
    """A change's value as a key for grouping: a row by its id; a value that cannot be a key
    (a dict) by its identity, so it shares an UPDATE with no other."""
    if isinstance(value, models.Model):
        return ("row", value.pk)
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value


def _move(
    application: Application,
    to_status: str,
    *,
    actor_kind: str,
    actor: Any,
    reason: str,
    changes: dict[str, Any],
    now: Any,
) -> ApplicationEvent:
    """Check a move against the table, make it on the instance and return its history row
    (unsaved)."""
    from_status = application.status
    if not can_move(from_status, to_status, actor_kind):
        raise TransitionNotAllowed(from_status=from_status, to_status=to_status, actor=actor_kind)
    application.status = to_status
    for name, value in changes.items():
        setattr(application, name, value)
    application.updated_at = now
    return ApplicationEvent(
        application=application,
        from_status=from_status,
        to_status=to_status,
        actor_kind=actor_kind,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:2000],
        at=now,
    )


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

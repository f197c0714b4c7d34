"""Idempotency keys: claim a key for one request, store its answer, replay it for retries.

The rules (also in docs/architecture.md):
- a key is scoped to its caller (the user, or all anonymous callers together: anonymous keys are
  random UUIDs, and a replay needs the same body as well);
- the same key with the same request replays the stored answer;
- the same key with another request is refused (409 idempotency_key_reused);
- a retry while the first request still runs is refused (409 idempotency_request_in_progress,
  Retry-After) — it never runs a second time;
- only a successful (2xx) answer is stored; a refused or failed request frees its key, so a
  corrected retry may use it;
- answers are kept IDEMPOTENCY_KEY_TTL (24 h); after that the key may be used afresh;
- a claim older than IDEMPOTENCY_LOCK_TIMEOUT whose request never finished (its process died)
  may be taken over: the request's own writes were in the same transaction as the answer, so
  they rolled back with it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict
from cityportal.models import IdempotencyKey


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = _("This Idempotency-Key was already used for a different request.")


class IdempotencyRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    title = _("A request with this Idempotency-Key is still being processed; retry shortly.")


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: either we own it, or there is an answer to replay."""

    record: IdempotencyKey
    is_replay: bool


def claim_idempotency_key(
    *, scope: str, key: str, fingerprint: str, method: str, path: str
) -> Claim:
    """Take the key for this request, or return the stored answer of an identical earlier one."""
    now = timezone.now()
    fresh = {
        "fingerprint": fingerprint,
        "method": method,
        "path": path[:500],
        "status": IdempotencyKey.Status.IN_PROGRESS,
        "locked_at": now,
        "expires_at": now + settings.IDEMPOTENCY_KEY_TTL,
        "response_status": None,
        "response_body": None,
        "response_headers": {},
        "completed_at": None,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(scope=scope, key=key, **fresh)
            return Claim(record=record, is_replay=False)
        except IntegrityError:
            pass  # someone holds or held this key: look at what they left
        record = IdempotencyKey.objects.select_for_update().get(scope=scope, key=key)
        if record.expires_at <= now or _is_abandoned(record, now):
            _reset(record, fresh)
            return Claim(record=record, is_replay=False)
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                _("Send a new Idempotency-Key for a new request."),
            )
        if record.status == IdempotencyKey.Status.IN_PROGRESS:
            raise IdempotencyRequestInProgress(
                _("The first request with this key has not finished yet."),
                retry_after=1,
            )
        return Claim(record=record, is_replay=True)


def complete_idempotency_key(
    *, record: IdempotencyKey, status: int, body: Any, headers: dict[str, str]
) -> None:
    """Store the answer to replay; call it inside the request's own transaction."""
    updated = IdempotencyKey.objects.filter(
        pk=record.pk, status=IdempotencyKey.Status.IN_PROGRESS, locked_at=record.locked_at
    ).update(
        status=IdempotencyKey.Status.COMPLETED,
        response_status=status,
        response_body=body,
        response_headers=headers,
        completed_at=timezone.now(),
    )
    if updated != 1:
        # Our claim was taken over (we ran past the lock timeout): do not commit our effects.
        raise IdempotencyRequestInProgress(_("This request took too long and was superseded."))


def release_idempotency_key(*, record: IdempotencyKey) -> None:
    """Free the key of a request that did not succeed, so a corrected retry may use it."""
    IdempotencyKey.objects.filter(
        pk=record.pk, status=IdempotencyKey.Status.IN_PROGRESS, locked_at=record.locked_at
    ).delete()


def purge_expired_idempotency_keys(*, now: datetime | None = None) -> int:
    """Delete answers past their 24 hours; returns how many went."""
    deleted, _by_model = IdempotencyKey.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted


def _is_abandoned(record: IdempotencyKey, now: datetime) -> bool:
    return (
        record.status == IdempotencyKey.Status.IN_PROGRESS
        and record.locked_at <= now - settings.IDEMPOTENCY_LOCK_TIMEOUT
    )


def _reset(record: IdempotencyKey, fresh: dict[str, Any]) -> None:
    for name, value in fresh.items():
        setattr(record, name, value)
    record.save(update_fields=[*fresh.keys()])

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

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
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
    fresh = _fresh_claim(fingerprint=fingerprint, method=method, path=path, now=now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(scope=scope, key=key, **fresh)
            return Claim(record=record, is_replay=False)
        except IntegrityError:
            pass  # someone holds or held this key: look at what they left
        record = IdempotencyKey.objects.select_for_update().get(scope=scope, key=key)
        return _claim_existing(record, fresh, now, fingerprint)


def _reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(_("Send a new Idempotency-Key for a new request."))


def _still_running() -> IdempotencyRequestInProgress:
    return IdempotencyRequestInProgress(
        _("The first request with this key has not finished yet."), retry_after=1
    )


def _fresh_claim(*, fingerprint: str, method: str, path: str, now: datetime) -> dict[str, Any]:
    """The fields of a key taken now by a request that has not answered yet."""
    return {
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


def _claim_existing(
    record: IdempotencyKey, fresh: dict[str, Any], now: datetime, fingerprint: str
) -> Claim:
    """A key already stored (and row-locked): take it over when it expired or its request died,
    replay its answer to the same request, refuse anything else."""
    if record.expires_at <= now or _is_abandoned(record, now):
        _reset(record, fresh)
        return Claim(record=record, is_replay=False)
    if record.fingerprint != fingerprint:
        raise _reused()
    if record.status == IdempotencyKey.Status.IN_PROGRESS:
        raise _still_running()
    return Claim(record=record, is_replay=True)


# The namespace (the first key) of the transaction-scoped advisory locks that stand for "a
# request with this key is running" in claim_idempotency_key_within.
_ADVISORY_LOCK_CLASS = 0x1DE4

_CLAIM_WITHIN_SQL = """
SELECT pg_try_advisory_xact_lock(%s, hashtext(%s)),
       EXISTS (SELECT 1 FROM {table} WHERE scope = %s AND key = %s)
"""

_STORE_WITHIN_SQL = """
INSERT INTO {table} (scope, key, fingerprint, method, path, status, response_status,
                     response_body, response_headers, locked_at, created_at, completed_at,
                     expires_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (scope, key) DO NOTHING
RETURNING id
"""


def claim_idempotency_key_within(
    *, scope: str, key: str, fingerprint: str, method: str, path: str
) -> Claim:
    """claim_idempotency_key inside the caller's transaction, on PostgreSQL: a new key is
    stored with its answer when the request succeeds, committed with the request's own writes
    (one commit, not two), and a failure leaves nothing to free. While the request runs, a
    transaction-scoped advisory lock on the key stands for "in progress", so a concurrent
    duplicate is refused at once (409). One statement when the key is new; the returned record
    is then unsaved, for complete_idempotency_key to insert."""
    if not connection.in_atomic_block:
        raise RuntimeError("claim_idempotency_key_within needs the request's transaction")
    now = timezone.now()
    fresh = _fresh_claim(fingerprint=fingerprint, method=method, path=path, now=now)
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_WITHIN_SQL.format(table=_table()),
            [_ADVISORY_LOCK_CLASS, f"{scope} {key}", scope, key],
        )
        locked, exists = cursor.fetchone()
    if not locked:
        raise _still_running()
    if not exists:
        return Claim(
            record=IdempotencyKey(scope=scope, key=key, created_at=now, **fresh), is_replay=False
        )
    # The key was used before (we hold its lock, so that request is over): as claim_idempotency_key.
    record = IdempotencyKey.objects.select_for_update().get(scope=scope, key=key)
    return _claim_existing(record, fresh, now, fingerprint)


def _table() -> str:
    return connection.ops.quote_name(IdempotencyKey._meta.db_table)


def _store_new(record: IdempotencyKey, status: int, body: Any, headers: dict[str, str]) -> None:
    """Insert the answer of a request whose key was new (claim_idempotency_key_within)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _STORE_WITHIN_SQL.format(table=_table()),
            [
                record.scope, record.key, record.fingerprint, record.method, record.path,
                IdempotencyKey.Status.COMPLETED, status, json.dumps(body), json.dumps(headers),
                record.locked_at, record.created_at, timezone.now(), record.expires_at,
            ],
        )  # fmt: skip
        stored = cursor.fetchone()
    if stored is None:
        # A request on an endpoint that claims apart (atomic=False) took the same key meanwhile.
        raise _reused()
    record.pk = stored[0]
    record._state.adding = False


def complete_idempotency_key(
    *, record: IdempotencyKey, status: int, body: Any, headers: dict[str, str]
) -> None:
    """Store the answer to replay; call it inside the request's own transaction."""
    if record._state.adding:
        _store_new(record, status, body, headers)
        return
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

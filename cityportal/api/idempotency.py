"""`@idempotent`: the Idempotency-Key header for any unsafe API endpoint.

    class ComplaintCreateView(APIView):
        @idempotent(required=True)
        def post(self, request, *args, **kwargs): ...

The key is 8 to 255 characters of letters, digits and `-_.:~` (a UUID is the usual choice).
See cityportal/idempotency.py for the rules.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from cityportal.errors import DomainError
from cityportal.idempotency import (
    claim_idempotency_key,
    claim_idempotency_key_within,
    complete_idempotency_key,
    release_idempotency_key,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[A-Za-z0-9\-_.:~]{8,255}")
# Response headers worth replaying; the rest are recomputed (dates, request id, vary).
REPLAYED_RESPONSE_HEADERS = ("Location", "Content-Location", "ETag")

Handler = TypeVar("Handler", bound=Callable[..., Response])


class IdempotencyKeyRequired(DomainError):
    status = 400
    code = "idempotency_key_required"
    title = _("This endpoint needs an Idempotency-Key header.")


class IdempotencyKeyMalformed(DomainError):
    status = 422
    code = "idempotency_key_malformed"
    title = _("The Idempotency-Key header is malformed.")


def idempotent(*, required: bool = False, atomic: bool = True) -> Callable[[Handler], Handler]:
    """Make a view handler safe to retry under an Idempotency-Key.

    `atomic`: run the handler and the storing of its answer in one transaction, so a request that
    dies half-way leaves neither its effects nor a claim that blocks the retry. Turn it off only
    for a handler that must commit on its own before calling out (a payment provider), and that
    keeps its own state machine for the crash case.
    """

    def decorator(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER)
            if key is None:
                if required:
                    raise IdempotencyKeyRequired(
                        _("Send a new random Idempotency-Key (a UUID) with every new request.")
                    )
                return handler(view, request, *args, **kwargs)
            if not KEY_PATTERN.fullmatch(key):
                raise IdempotencyKeyMalformed(
                    _("Use 8 to 255 letters, digits or the characters - _ . : ~ (a UUID).")
                )
            claim_args = {
                "scope": caller_scope(request),
                "key": key,
                "fingerprint": request_fingerprint(request),
                "method": request.method or "",
                "path": request.path,
            }
            if atomic and connection.vendor == "postgresql":
                return _within_one_transaction(handler, view, request, claim_args, args, kwargs)
            claim = claim_idempotency_key(**claim_args)
            if claim.is_replay:
                return replay(claim.record)
            try:
                with transaction.atomic() if atomic else nullcontext():
                    response = handler(view, request, *args, **kwargs)
                    _store(claim.record, response)
            except _NotStored as refused:
                release_idempotency_key(record=claim.record)
                return refused.response
            except BaseException:
                release_idempotency_key(record=claim.record)
                raise
            return response

        wrapper.idempotency = {"required": required}  # type: ignore[attr-defined]  # for the schema
        return wrapper  # type: ignore[return-value]

    return decorator


def _within_one_transaction(
    handler: Handler,
    view: Any,
    request: Request,
    claim_args: dict[str, str],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Response:
    """Claim, handle and store in one transaction (PostgreSQL): a failure or a refusal rolls the
    claim back with everything else, so the key is free again without a second statement."""
    try:
        with transaction.atomic():
            claim = claim_idempotency_key_within(**claim_args)
            if claim.is_replay:
                return replay(claim.record)
            response = handler(view, request, *args, **kwargs)
            _store(claim.record, response)
    except _NotStored as refused:
        return refused.response
    return response


def _store(record: Any, response: Response) -> None:
    """Keep a successful answer for replay; leave the transaction with any other."""
    if not 200 <= response.status_code < 300:
        raise _NotStored(response)
    complete_idempotency_key(
        record=record,
        status=response.status_code,
        body=_as_json(response.data),
        headers={
            name: response[name] for name in REPLAYED_RESPONSE_HEADERS if response.has_header(name)
        },
    )


class _NotStored(Exception):
    """Leaves the transaction (rolling it back) with a non-2xx answer that is not stored."""

    def __init__(self, response: Response) -> None:
        self.response = response


def caller_scope(request: Request) -> str:
    client_id = getattr(request.auth, "client_id", None)
    if client_id:  # an integrator (identity.ApiClient)
        return f"client:{client_id}"
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"


def request_fingerprint(request: Request) -> str:
    """A hash of what makes two requests "the same": method, path and the parsed body."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    data = request.data
    if isinstance(data, QueryDict):
        data = {name: data.getlist(name) for name in sorted(data)}
    digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(_file_digest(name, upload).encode())
    return digest.hexdigest()


def _file_digest(field: str, upload: UploadedFile) -> str:
    digest = hashlib.sha256(f"{field}:{upload.name}:{upload.size}".encode())
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _as_json(data: Any) -> Any:
    """What the client received, as plain JSON (UUIDs, decimals, dates already rendered)."""
    return json.loads(JSONRenderer().render(data)) if data is not None else None


def replay(record: Any) -> Response:
    headers = dict(record.response_headers)
    headers[REPLAYED_HEADER] = "true"
    return Response(record.response_body, status=record.response_status, headers=headers)

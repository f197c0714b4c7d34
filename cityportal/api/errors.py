"""Every API error as RFC 9457 problem details (application/problem+json).

Body members: type (a URN naming the code), title, status, detail, code (stable, documented),
instance (the request path), request_id, and for validation errors `errors`: one entry per
problem with the field's dotted path, its JSON pointer, a code and a message.
"""

import logging
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from django_guid import get_guid
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from cityportal.errors import DomainError

logger = logging.getLogger("cityportal.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"

# DRF exception class → (stable code, title). Titles are translated; codes never are.
_PROBLEMS: dict[type[exceptions.APIException], tuple[str, Any]] = {
    exceptions.ValidationError: ("validation_error", _("The request has invalid fields.")),
    exceptions.ParseError: ("malformed_request", _("The request body could not be parsed.")),
    exceptions.NotAuthenticated: ("not_authenticated", _("Authentication is required.")),
    exceptions.AuthenticationFailed: ("authentication_failed", _("Authentication failed.")),
    exceptions.PermissionDenied: ("permission_denied", _("Permission denied.")),
    exceptions.NotFound: ("not_found", _("Not found.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", _("Method not allowed.")),
    exceptions.NotAcceptable: ("not_acceptable", _("No acceptable representation.")),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", _("Unsupported media type.")),
    exceptions.Throttled: ("throttled", _("Too many requests.")),
}


def problem_type(code: str) -> str:
    return f"urn:cityportal:problem:{code}"


def problem_body(
    *, status_code: int, code: str, title: Any, detail: Any, instance: str = "", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    request_id = get_guid()
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def field_errors(detail: Any, path: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Flatten DRF's nested error structure into one entry per problem."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            inner: tuple[str, ...] = () if name in ("non_field_errors", "__all__") else (str(name),)
            yield from field_errors(value, (*path, *inner))
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                yield _one_error(path, item)
        else:  # a list of nested objects: the index becomes part of the path
            for index, item in enumerate(detail):
                yield from field_errors(item, (*path, str(index)))
    else:
        yield _one_error(path, detail)


def _one_error(path: tuple[str, ...], item: Any) -> dict[str, Any]:
    return {
        "field": ".".join(path) or None,
        "pointer": "#/" + "/".join(path) if path else "#",
        "code": getattr(item, "code", "invalid"),
        "detail": str(item),
    }


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: any exception raised by a view becomes a problem response."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    headers: dict[str, str] = {}
    set_rollback()

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, DomainError):
        body = problem_body(
            status_code=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            instance=instance,
            **exc.extra,
        )
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
        return problem_response(body, headers)

    if isinstance(exc, exceptions.APIException):
        code, title = _code_and_title(exc)
        extra: dict[str, Any] = {}
        if isinstance(exc, exceptions.ValidationError):
            extra["errors"] = list(field_errors(exc.detail))
            detail: Any = _("Correct the fields listed in errors and send the request again.")
        else:
            detail = exc.detail if isinstance(exc.detail, str) else title
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(int(wait))
        body = problem_body(
            status_code=exc.status_code,
            code=code,
            title=title,
            detail=detail,
            instance=instance,
            **extra,
        )
        return problem_response(body, headers)

    logger.exception("Unhandled error while serving %s", instance or "a request")
    return problem_response(server_error_body(instance))


def _code_and_title(exc: exceptions.APIException) -> tuple[str, Any]:
    for klass in type(exc).__mro__:
        if klass in _PROBLEMS:
            return _PROBLEMS[klass]
    return str(exc.default_code), exc.default_detail


def server_error_body(instance: str = "") -> dict[str, Any]:
    return problem_body(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        code="server_error",
        title=_("Internal server error."),
        detail=_("Something went wrong on our side. It has been logged; try again later."),
        instance=instance,
    )


# Django's own handlers, for errors raised outside DRF views (unknown URLs, plain views).


def _problem_json(body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(
        body,
        status=body["status"],
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    title = _("Not found.")
    body = problem_body(
        status_code=404,
        code="not_found",
        title=title,
        detail=_("No resource exists at this address."),
        instance=request.path,
    )
    return _problem_json(body)


def server_error_view(request: HttpRequest) -> JsonResponse:
    return _problem_json(server_error_body(request.path))


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    body = problem_body(
        status_code=400,
        code="bad_request",
        title=_("Bad request."),
        detail=_("The request could not be understood."),
        instance=request.path,
    )
    return _problem_json(body)


def forbidden_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    body = problem_body(
        status_code=403,
        code="permission_denied",
        title=_("Permission denied."),
        detail=_("You do not have permission to perform this action."),
        instance=request.path,
    )
    return _problem_json(body)

"""OpenAPI additions: the problem-details error format and the Idempotency-Key header, so that
integrators see in the schema what every endpoint may answer and which ones take a key."""

from typing import Any, Literal

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
VALIDATION_PROBLEM_REF = {"$ref": "#/components/schemas/ValidationProblem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details. `code` is stable; `title` and `detail` are in the "
    "language asked for with Accept-Language (en, th, zh-hans).",
    "properties": {
        "type": {"type": "string", "format": "uri", "example": "urn:cityportal:problem:not_found"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "example": "not_found"},
        "instance": {"type": "string"},
        "request_id": {"type": "string", "description": "Also sent as X-Request-ID."},
    },
    "required": ["type", "title", "status", "detail", "code"],
}
VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "allOf": [
        PROBLEM_REF,
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {
                                "type": "string",
                                "nullable": True,
                                "example": "items.0.amount",
                            },
                            "pointer": {"type": "string", "example": "#/items/0/amount"},
                            "code": {"type": "string", "example": "min_value"},
                            "detail": {"type": "string"},
                        },
                        "required": ["field", "pointer", "code", "detail"],
                    },
                }
            },
            "required": ["errors"],
        },
    ]
}


def _problem(description: str, ref: dict[str, str] = PROBLEM_REF) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": ref}}}


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        handler = getattr(self.view, self.method.lower(), None)
        marker = getattr(handler, "idempotency", None)
        if marker is not None:
            parameters.append(
                OpenApiParameter(
                    name="Idempotency-Key",
                    location=OpenApiParameter.HEADER,
                    required=marker["required"],
                    type=str,
                    description=(
                        "A new random key (a UUID) per logical request. A retry with the same "
                        "key and body replays the first answer (header Idempotent-Replayed: "
                        "true); the same key with another body is refused with 409 "
                        "idempotency_key_reused. Keys are kept 24 hours."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        errors = {
            "401": _problem("Not authenticated, or the session token is invalid."),
            "403": _problem("Authenticated but not allowed."),
            "429": _problem("Too many requests; see Retry-After."),
        }
        if method in ("POST", "PUT", "PATCH"):
            errors["400"] = _problem("Invalid fields.", VALIDATION_PROBLEM_REF)
            errors["415"] = _problem("Unsupported request media type.")
        if "{" in self.path:
            errors["404"] = _problem("Not found (or not visible to the caller).")
        handler = getattr(self.view, self.method.lower(), None)
        if getattr(handler, "idempotency", None) is not None:
            errors["409"] = _problem("Idempotency-Key reused for another request, or in progress.")
            errors["422"] = _problem("Malformed Idempotency-Key.")
        for status, body in errors.items():
            responses.setdefault(status, body)
        return responses


def add_problem_components(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: register the problem schemas once."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ValidationProblem"] = VALIDATION_PROBLEM_SCHEMA
    return result


class ApiClientScheme(OpenApiAuthenticationExtension):
    """Describes integrator credentials (identity.ApiClient) in the schema."""

    target_class = "identity.api.authentication.ApiClientAuthentication"
    name = "apiClient"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Integrators: `Authorization: Bearer <client_id>.<secret>`, issued "
            "per agency with scopes.",
        }


class SessionTokenScheme(OpenApiAuthenticationExtension):
    """Describes allauth's app session token (X-Session-Token) in the schema."""

    target_class = "cityportal.api.authentication.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "The session token that /_allauth/app/v1/auth/login returns.",
        }

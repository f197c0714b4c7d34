"""Domain errors. Each app raises subclasses of DomainError; the API turns them into RFC 9457
problem details (cityportal.api.errors), so a rule is stated once, where it is checked."""

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def field_error(field: str, code: str, detail: str | Promise) -> dict[str, Any]:
    """One entry of a problem's `errors`, in the same shape as validation errors."""
    return {
        "field": field,
        "pointer": "#/" + field.replace(".", "/"),
        "code": code,
        "detail": str(detail),
    }


class DomainError(Exception):
    """A request the domain refuses. `code` is stable and documented; `title` is for people."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "domain_error"
    title: ClassVar[str | Promise] = _("The request cannot be carried out.")

    def __init__(self, detail: str | Promise | None = None, **extra: Any) -> None:
        self.detail = detail if detail is not None else self.title
        # Extra members of the problem body, e.g. {"required_level": "substantial"}.
        self.extra = extra
        super().__init__(str(self.detail))


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = _("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    title = _("You do not have permission to perform this action.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = _("The request conflicts with the current state of the resource.")

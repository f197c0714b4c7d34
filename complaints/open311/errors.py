"""Open311's errors. The specification has its own error document (`errors[] {code,
description}`) and status codes, so the Open311 server does not answer with the rest of the
API's problem details: its views raise these, and answer them in the format asked for."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Open311Error(Exception):
    """A refused Open311 call: one or more descriptions, meant for the person using the
    client; each becomes one error of the document, with the HTTP status as its code."""

    status = 400

    def __init__(self, *descriptions: str | Promise) -> None:
        self.descriptions = descriptions
        super().__init__("; ".join(str(description) for description in descriptions))

    def as_document(self) -> list[dict[str, object]]:
        return [
            {"code": self.status, "description": str(description)}
            for description in self.descriptions
        ]


class BadRequest(Open311Error):
    """A missing or invalid argument, or a request the service cannot take."""

    status = 400


class Forbidden(Open311Error):
    """A missing or invalid API key, or one without the right to post requests."""

    status = 403


class NotFound(Open311Error):
    """An unknown jurisdiction, service, request, or format."""

    status = 404


class MethodNotAllowed(Open311Error):
    status = 405

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = allowed
        super().__init__(
            _("This method answers only %(methods)s.") % {"methods": ", ".join(allowed)}
        )

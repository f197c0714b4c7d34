"""DRF permission classes; the rules themselves live in identity.permissions."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from identity.models import ApiClient
from identity.queries import person_of


def HasScope(scope: str) -> type[BasePermission]:
    """Only an integrator (API client) holding `scope`."""

    class _HasScope(BasePermission):
        message = f"This API client lacks the scope {scope}."

        def has_permission(self, request: Request, view: Any) -> bool:
            client = request.auth
            return isinstance(client, ApiClient) and client.has_scope(scope)

    _HasScope.__name__ = f"HasScope[{scope}]"
    return _HasScope


class IsCitizen(BasePermission):
    """A logged-in account with an open person record."""

    message = "Only a citizen's account can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        person = person_of(request.user)
        if person is None:
            return False
        request.person = person  # type: ignore[attr-defined]
        return True

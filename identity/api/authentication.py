"""Integrator credentials: `Authorization: Bearer <client_id>.<secret>`.

The caller becomes `request.auth` (an ApiClient); `request.user` stays anonymous, so no code
mistakes an integrator for a citizen. Scope checks: identity.api.permissions.HasScope.
"""

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from identity.actions.clients import authenticate_client


class ApiClientAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> Any:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send 'Authorization: Bearer <client_id>.<secret>'.")
        client = authenticate_client(token=parts[1].decode(errors="replace"))
        if client is None:
            raise AuthenticationFailed("The API credentials are invalid or revoked.")
        from django.contrib.auth.models import AnonymousUser

        return (AnonymousUser(), client)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

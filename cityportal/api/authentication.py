from typing import Any

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's app-client session token (X-Session-Token).

    Two changes to allauth's class: a missing token answers 401 rather than 403, with a
    WWW-Authenticate challenge naming the header; and a token that is sent but no longer valid
    is refused outright (authentication_failed), so the app knows to log in again instead of
    being served as an anonymous caller.
    """

    def authenticate(self, request: Request) -> Any:
        token = self.get_session_token(request)
        if not token:
            return None
        result = super().authenticate(request)
        if result is None:
            raise AuthenticationFailed(_("The session token is invalid or has expired."))
        return result

    def authenticate_header(self, request: Request) -> str:
        return 'X-Session-Token realm="api"'

from importlib import import_module
from typing import Any

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
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


class SessionTokens(SessionTokenStrategy):
    """allauth's session tokens (HEADLESS_TOKEN_STRATEGY), with the session read once per
    request: allauth's plain strategy first asks the store whether the session exists, then
    loads it, two cache round trips on every signed-in request. Loading alone tells the same
    thing, as allauth's own JWT strategy relies on: a missing or expired session clears its
    key."""

    def lookup_session(self, session_token: str) -> SessionBase | None:
        session: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(
            session_key=session_token
        )
        session.get(SESSION_KEY)  # loads it
        return session if session.session_key else None

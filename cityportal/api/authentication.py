from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from rest_framework.request import Request


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's app-client session token (X-Session-Token), answering 401 rather than 403 when
    it is missing, with a WWW-Authenticate challenge naming the header to send."""

    def authenticate_header(self, request: Request) -> str:
        return 'X-Session-Token realm="api"'

"""Account middleware: staff reach the Django admin only with multi-factor authentication, and
allauth's rate limits answer 429 wherever they are hit."""

from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.core.exceptions import RateLimited
from allauth.core.ratelimit import respond_429
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Recovery codes are a fallback of the other two, never an authenticator of their own.
STAFF_AUTHENTICATOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


class StaffMfaRequiredMiddleware:
    """Every page under ADMIN_URL requires, for a signed-in staff member, an active TOTP or
    passkey authenticator and a session that was authenticated with it. Without an
    authenticator they are sent to set one up; with one but a session that never used it (a
    login from before it existed, say), to confirm a code. Anonymous visitors and non-staff are
    left to the admin, whose login page goes through allauth (cityportal/urls.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.admin_prefix):
            redirect = self._mfa_step_missing(request)
            if redirect is not None:
                return redirect
        return self.get_response(request)

    def _mfa_step_missing(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        if request.path_info == reverse("admin:logout"):
            return None
        if not is_mfa_enabled(user, STAFF_AUTHENTICATOR_TYPES):
            messages.warning(
                request, _("Set up two-factor authentication to use the administration site.")
            )
            return _redirect("mfa_activate_totp", next_url=request.get_full_path())
        records = get_authentication_records(request, user)
        if not any(record.get("method") == "mfa" for record in records):
            return _redirect("mfa_reauthenticate", next_url=request.get_full_path())
        return None


def _redirect(view_name: str, *, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        f"{reverse(view_name)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
    )


class RateLimitedMiddleware:
    """A few allauth flows let its RateLimited exception escape the view (signing up again with
    a number that was texted a code seconds ago, for one): answer 429, as allauth's other limits
    do, instead of a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return respond_429(request)
        return None

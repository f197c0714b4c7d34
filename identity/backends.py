"""Sign-in backends: Django's and allauth's, unchanged but for one thing: the account is read
with its person record, in the one query every signed-in request makes, so that
`identity.queries.person_of` (asked by nearly every citizen endpoint) needs no second."""

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import backends, get_user_model


class _ReadsPersonWithAccount:
    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("person").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_ReadsPersonWithAccount, backends.ModelBackend):
    """Django's username-and-password backend (the admin's sign-in)."""


class AuthenticationBackend(_ReadsPersonWithAccount, AllauthBackend):
    """allauth's backend (email, phone and code sign-in of the API)."""

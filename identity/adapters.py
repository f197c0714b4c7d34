"""How django-allauth fits CityPortal: accounts opened by email or phone (E.164), text messages
through a pluggable SMS sender, a person record for every new account, authenticator secrets
encrypted at rest, and a locked account answered with 429.

Settings: ACCOUNT_ADAPTER, MFA_ADAPTER, ACCOUNT_SIGNUP_FORM_CLASS and SMS_SENDER point here
(cityportal/settings/base.py, "accounts (django-allauth)").
"""

import logging
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from allauth.account import stages
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from allauth.mfa.adapter import DefaultMFAAdapter
from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identity import crypto
from identity.actions.persons import register_person
from identity.models import User
from identity.validators import validate_e164

logger = logging.getLogger(__name__)


# --- phone numbers ----------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """+66812345678 → +66*****5678: enough to tell numbers apart in a log, not to call one."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


# --- text messages ----------------------------------------------------------------------------


class SmsSender(Protocol):
    """Delivers one text message. A deployment names its gateway's sender in SMS_SENDER."""

    def send(self, *, to: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class LogSmsSender:
    """Development default: the message goes to the log, the number masked. With DEBUG on the
    body (and its code) is logged too, so that a developer can finish a sign-up; without it the
    body is withheld, so a deployment that forgot SMS_SENDER never writes codes to its logs."""

    def send(self, *, to: str, body: str) -> None:
        if settings.DEBUG:
            logger.info("SMS to %s: %s", mask_phone(to), body)
        else:
            logger.warning("SMS to %s not sent: set SMS_SENDER to a gateway.", mask_phone(to))


class MemorySmsSender:
    """Keeps messages in `MemorySmsSender.outbox`, as Django's locmem backend keeps mail."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, *, to: str, body: str) -> None:
        self.outbox.append(SmsMessage(to=to, body=body))


def sms_sender() -> SmsSender:
    sender: SmsSender = import_string(settings.SMS_SENDER)()
    return sender


# --- sign-up ----------------------------------------------------------------------------------


class EmailOrPhoneSignupForm(forms.Form):
    """The base of allauth's sign-up forms (browser and headless): an account is opened with an
    email address, a phone number, or both.

    allauth's system checks insist on "email*" in ACCOUNT_SIGNUP_FIELDS whenever email
    verification is mandatory, which verification by code requires. allauth builds its fields
    from its private copy of those settings (`_signup_fields`) after this __init__ runs, so this
    is the one place to make the email optional; `clean` then asks for one of the two.
    tests/identity/test_accounts_flow.py signs up by phone alone and fails if this stops working.
    """

    _signup_fields: dict[str, dict[str, bool]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = getattr(self, "_signup_fields", {}).get("email")
        if email is not None:
            email["required"] = False

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        if "email" in self.errors or "phone" in self.errors:
            return cleaned_data
        if not cleaned_data.get("email") and not cleaned_data.get("phone"):
            message = _("Enter an email address or a phone number.")
            for name in ("email", "phone"):
                if name in self.fields:
                    self.add_error(name, ValidationError(message, code="email_or_phone_required"))
        return cleaned_data

    def signup(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """allauth's hook after the user is saved; the person record is made in save_user."""


def _opened_by_phone_alone(user: Any) -> bool:
    has_email = bool(user.email) or EmailAddress.objects.filter(user_id=user.pk).exists()
    return bool(user.phone) and not has_email


class EmailVerificationStage(stages.EmailVerificationStage):
    """allauth's mandatory email verification, except for an account opened by phone alone: it
    has no address to verify, and the phone verification stage before this one vouches for it."""

    def handle(self) -> tuple[Any, bool]:
        login = self.login
        if login.user is None:
            # enumeration prevention acting out a sign-up with a number that is already taken
            by_phone = bool(login.phone) and not login.email
        else:
            by_phone = not login.email and _opened_by_phone_alone(login.user)
        if by_phone:
            return None, True
        return super().handle()


def mark_email_verified(user: Any) -> None:
    """Record the account's email as its verified, primary login address. For accounts made
    outside sign-up (demo data, staff added by an administrator), which login by email needs."""
    if user.email:
        EmailAddress.objects.update_or_create(
            user=user, email=user.email.lower(), defaults={"verified": True, "primary": True}
        )


# --- the adapters -----------------------------------------------------------------------------


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """A new account and its person record are made together, or not at all."""
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                register_person(user=user, preferred_language=_language_of(request))
        return user

    def get_login_stages(self) -> list[str]:
        allauth_stage = "allauth.account.stages.EmailVerificationStage"
        own_stage = f"{EmailVerificationStage.__module__}.{EmailVerificationStage.__name__}"
        return [own_stage if path == allauth_stage else path for path in super().get_login_stages()]

    # Throttling: allauth counts failed logins per account ("login_failed" …/key) and refuses
    # with a form error; CityPortal answers 429 so that clients back off as for any other limit.
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            raise ImmediateHttpResponse(respond_429(request)) from error

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the failed-login count by email or username only, so every login by phone
        # would share one budget: one attacker could lock out all phone logins at once.
        if credentials.get("phone") and not credentials.get("email"):
            return f"phone:{credentials['phone']}"
        return super()._get_login_attempts_cache_key(request, **credentials)

    # Phone numbers live on identity.User (phone, phone_verified).
    def phone_form_field(self, **kwargs: Any) -> Any:
        field = super().phone_form_field(**kwargs)
        field.help_text = _("In international format, for example +66812345678.")
        return field

    def clean_phone(self, phone: str) -> str:
        validate_e164(phone)  # a number that exists in its country's plan, not only E.164-shaped
        return phone

    def get_phone(self, user: Any) -> tuple[str, bool] | None:
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone(self, user: Any, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def set_phone_verified(self, user: Any, phone: str) -> None:
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str) -> Any:
        return User.objects.filter(phone=phone).first()

    def send_verification_code_sms(self, user: Any, phone: str, code: str, **kwargs: Any) -> None:
        body = gettext(
            "Your CityPortal code is %(code)s. Never share it: CityPortal staff will not ask "
            "for it."
        ) % {"code": code}
        sms_sender().send(to=phone, body=body)

    def send_account_already_exists_sms(self, phone: str) -> None:
        sms_sender().send(
            to=phone,
            body=gettext(
                "Someone tried to open a CityPortal account with this number, which already "
                "has one. If it was you, log in instead."
            ),
        )

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        sms_sender().send(
            to=phone,
            body=gettext("A CityPortal code was requested for this number, which has no account."),
        )


class MFAAdapter(DefaultMFAAdapter):
    """TOTP and recovery-code seeds are stored encrypted under FIELD_ENCRYPTION_KEYS."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)


def _language_of(request: HttpRequest | None) -> str:
    language = getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

"""Accounts through allauth's headless app API (/_allauth/app/v1/…), as the mobile app uses it:
sign-up by email or phone, verification by code, login, MFA, throttling, and the session token
that /api/v1/ accepts."""

import re
import time
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from identity import adapters
from identity.models import Person, User

pytestmark = pytest.mark.django_db

APP = "/_allauth/app/v1"
PASSWORD = "a long enough passphrase"
EMAIL = "somchai@example.org"
PHONE = "+66812345678"


@pytest.fixture(autouse=True)
def texts(sms_outbox: list[adapters.SmsMessage]) -> list[adapters.SmsMessage]:
    """Every test here signs up by phone: the texts are always captured (tests/conftest.py)."""
    return sms_outbox


def call(client: APIClient, method: str, path: str, data: Any = None, token: str = "") -> Any:
    headers = {"HTTP_X_SESSION_TOKEN": token} if token else {}
    return getattr(client, method)(path, data, format="json", **headers)


def pending_flows(response: Any) -> list[str]:
    return [flow["id"] for flow in response.json()["data"]["flows"] if flow.get("is_pending")]


def emailed_code(message: Any) -> str:
    match = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def texted_code(message: adapters.SmsMessage) -> str:
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows now (or `steps_ahead` 30-second steps later)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps_ahead))


def sign_up_by_email(client: APIClient, email: str = EMAIL) -> str:
    """Sign up and verify the emailed code; returns the session token."""
    pending = call(client, "post", f"{APP}/auth/signup", {"email": email, "password": PASSWORD})
    token = pending.json()["meta"]["session_token"]
    verified = call(
        client, "post", f"{APP}/auth/email/verify", {"key": emailed_code(mail.outbox[-1])}, token
    )
    assert verified.status_code == 200, verified.json()
    return str(verified.json()["meta"]["session_token"])


def log_in(client: APIClient, **credentials: str) -> Any:
    return call(client, "post", f"{APP}/auth/login", {**credentials, "password": PASSWORD})


def enable_totp(client: APIClient, token: str) -> str:
    """Confirm the password (allauth asks before adding an authenticator), scan, confirm a code;
    returns the secret."""
    call(client, "post", f"{APP}/auth/reauthenticate", {"password": PASSWORD}, token)
    offered = call(client, "get", f"{APP}/account/authenticators/totp", token=token)
    secret = str(offered.json()["meta"]["secret"])
    activated = call(
        client, "post", f"{APP}/account/authenticators/totp", {"code": totp_code(secret)}, token
    )
    assert activated.status_code == 200, activated.json()
    return secret


def test_sign_up_verify_log_in_enable_totp_and_log_in_again_with_the_code(api):
    # given: nobody yet
    # when: signing up by email
    pending = call(api, "post", f"{APP}/auth/signup", {"email": EMAIL, "password": PASSWORD})
    # then: the account waits for the emailed code
    assert pending.status_code == 401
    assert pending_flows(pending) == ["verify_email"]
    assert pending.json()["meta"]["is_authenticated"] is False
    pending_token = pending.json()["meta"]["session_token"]
    assert [message.to for message in mail.outbox] == [[EMAIL]]
    assert call(api, "get", "/api/v1/identity/me", token=pending_token).status_code == 401

    # when: entering the code
    verified = call(
        api,
        "post",
        f"{APP}/auth/email/verify",
        {"key": emailed_code(mail.outbox[0])},
        pending_token,
    )
    # then: logged in, with a session token the API accepts
    assert verified.status_code == 200
    assert verified.json()["meta"]["is_authenticated"] is True
    token = verified.json()["meta"]["session_token"]
    me = call(api, "get", "/api/v1/identity/me", token=token)
    assert me.status_code == 200
    assert (me.json()["contact_email"], me.json()["level_of_assurance"]) == (EMAIL, "basic")
    assert call(api, "get", "/api/v1/conventions/gadgets", token=token).status_code == 200

    # when: enabling TOTP with the secret the API hands out
    offered = call(api, "get", f"{APP}/account/authenticators/totp", token=token)
    assert offered.status_code == 404  # not active yet; the secret to scan comes with it
    secret = offered.json()["meta"]["secret"]
    code = {"code": totp_code(secret)}
    # then: allauth first wants the password confirmed
    unconfirmed = call(api, "post", f"{APP}/account/authenticators/totp", code, token)
    assert unconfirmed.status_code == 401
    assert unconfirmed.json()["meta"]["is_authenticated"] is True
    assert not Authenticator.objects.exists()
    confirmed = call(api, "post", f"{APP}/auth/reauthenticate", {"password": PASSWORD}, token)
    assert confirmed.status_code == 200
    activated = call(api, "post", f"{APP}/account/authenticators/totp", code, token)
    # then: TOTP is on, its secret encrypted at rest
    assert activated.status_code == 200
    assert activated.json()["data"]["type"] == "totp"
    stored = Authenticator.objects.get(user__email=EMAIL, type=Authenticator.Type.TOTP)
    assert secret not in str(stored.data)

    # when: logging out
    logged_out = call(api, "delete", f"{APP}/auth/session", token=token)
    # then: the old token is refused
    assert logged_out.status_code == 401
    assert call(api, "get", "/api/v1/identity/me", token=token).status_code == 401

    # when: logging in again with the password only
    half = log_in(api, email=EMAIL)
    # then: the code is asked for, and the half-done session opens nothing
    assert half.status_code == 401
    assert pending_flows(half) == ["mfa_authenticate"]
    half_token = half.json()["meta"]["session_token"]
    assert call(api, "get", "/api/v1/identity/me", token=half_token).status_code == 401

    # when: entering the next code of the app (the current one was spent on activation)
    done = call(
        api, "post", f"{APP}/auth/2fa/authenticate", {"code": totp_code(secret, 1)}, half_token
    )
    # then: logged in, and the new token works
    assert done.status_code == 200
    new_token = done.json()["meta"]["session_token"]
    assert call(api, "get", "/api/v1/identity/me", token=new_token).status_code == 200
    assert Person.objects.filter(user__email=EMAIL).count() == 1


def test_a_wrong_totp_code_opens_nothing(api):
    # given: an account with TOTP on
    token = sign_up_by_email(api)
    enable_totp(api, token)
    call(api, "delete", f"{APP}/auth/session", token=token)
    half_token = log_in(api, email=EMAIL).json()["meta"]["session_token"]
    # when
    refused = call(api, "post", f"{APP}/auth/2fa/authenticate", {"code": "000000"}, half_token)
    # then
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "incorrect_code"
    assert call(api, "get", "/api/v1/identity/me", token=half_token).status_code == 401


def test_recovery_code_logs_in_when_the_phone_is_lost(api):
    # given: TOTP on, and the recovery codes that come with it
    token = sign_up_by_email(api)
    enable_totp(api, token)
    codes = call(api, "get", f"{APP}/account/authenticators/recovery-codes", token=token).json()
    recovery_code = codes["data"]["unused_codes"][0]
    call(api, "delete", f"{APP}/auth/session", token=token)
    half_token = log_in(api, email=EMAIL).json()["meta"]["session_token"]
    # when
    done = call(api, "post", f"{APP}/auth/2fa/authenticate", {"code": recovery_code}, half_token)
    # then
    assert done.status_code == 200
    assert done.json()["meta"]["is_authenticated"] is True


def test_sign_up_and_log_in_by_phone_with_a_texted_code(api, sms_outbox):
    # when: signing up with a phone number and no email
    pending = call(api, "post", f"{APP}/auth/signup", {"phone": PHONE, "password": PASSWORD})
    # then: a code is texted to it, and no mail is sent
    assert pending.status_code == 401
    assert pending_flows(pending) == ["verify_phone"]
    assert [message.to for message in sms_outbox] == [PHONE]
    assert mail.outbox == []
    token = pending.json()["meta"]["session_token"]

    # when: entering the texted code
    verified = call(
        api, "post", f"{APP}/auth/phone/verify", {"code": texted_code(sms_outbox[0])}, token
    )
    # then: logged in; the account's number is verified and the person has it as contact
    assert verified.status_code == 200, verified.json()
    user = User.objects.get(phone=PHONE)
    assert (user.phone_verified, user.email) == (True, "")
    assert not EmailAddress.objects.filter(user=user).exists()
    token = verified.json()["meta"]["session_token"]
    me = call(api, "get", "/api/v1/identity/me", token=token)
    assert me.status_code == 200
    assert me.json()["contact_phone"] == PHONE

    # when: logging out and in again by phone
    call(api, "delete", f"{APP}/auth/session", token=token)
    again = log_in(api, phone=PHONE)
    # then: no further code is needed; the number is already verified
    assert again.status_code == 200
    assert (
        call(
            api, "get", "/api/v1/identity/me", token=again.json()["meta"]["session_token"]
        ).status_code
        == 200
    )
    assert len(sms_outbox) == 1


def test_sign_up_with_email_and_phone_verifies_both(api, sms_outbox):
    pending = call(
        api, "post", f"{APP}/auth/signup", {"email": EMAIL, "phone": PHONE, "password": PASSWORD}
    )
    token = pending.json()["meta"]["session_token"]
    assert pending_flows(pending) == ["verify_phone"]
    after_phone = call(
        api, "post", f"{APP}/auth/phone/verify", {"code": texted_code(sms_outbox[0])}, token
    )
    assert after_phone.status_code == 401
    assert pending_flows(after_phone) == ["verify_email"]
    done = call(
        api, "post", f"{APP}/auth/email/verify", {"key": emailed_code(mail.outbox[0])}, token
    )
    assert done.status_code == 200
    person = Person.objects.get(user__email=EMAIL)
    assert (person.contact_email, person.contact_phone) == (EMAIL, PHONE)


@pytest.mark.parametrize(
    "phone",
    [
        "0812345678",  # national format, no country code
        "+6681234",  # too short for Thailand
        "+66 81 234 5678",  # spaces
        "+999812345678",  # no such country code
        "phone",
    ],
)
def test_a_malformed_phone_is_refused_with_a_field_error(api, sms_outbox, phone):
    # when
    response = call(api, "post", f"{APP}/auth/signup", {"phone": phone, "password": PASSWORD})
    # then
    assert response.status_code == 400
    assert [(e["param"], e["code"]) for e in response.json()["errors"]] == [
        ("phone", "invalid_phone")
    ]
    assert (User.objects.count(), Person.objects.count(), sms_outbox) == (0, 0, [])


def test_sign_up_needs_an_email_or_a_phone(api):
    response = call(api, "post", f"{APP}/auth/signup", {"password": PASSWORD})
    assert response.status_code == 400
    assert [(e["param"], e["code"]) for e in response.json()["errors"]] == [
        ("email", "email_or_phone_required"),
        ("phone", "email_or_phone_required"),
    ]
    assert User.objects.count() == 0


def test_a_password_shorter_than_12_characters_is_refused(api):
    response = call(api, "post", f"{APP}/auth/signup", {"email": EMAIL, "password": "elevenchars"})
    assert response.status_code == 400
    assert [(e["param"], e["code"]) for e in response.json()["errors"]] == [
        ("password", "password_too_short")
    ]
    assert (User.objects.count(), Person.objects.count(), mail.outbox) == (0, 0, [])


def test_signing_up_with_a_taken_email_answers_as_for_a_new_one(api):
    # given: an account for EMAIL
    sign_up_by_email(APIClient())
    mail.outbox.clear()
    cache.clear()  # a minute later: mails to one address are limited to one per 30 seconds
    # when: someone signs up with the same address
    response = call(api, "post", f"{APP}/auth/signup", {"email": EMAIL, "password": PASSWORD})
    # then: the same answer as a fresh sign-up, no second account, and the owner is told
    assert response.status_code == 401
    assert pending_flows(response) == ["verify_email"]
    assert User.objects.count() == 1
    assert [message.to for message in mail.outbox] == [[EMAIL]]
    assert "already" in mail.outbox[0].subject.lower() or "already" in mail.outbox[0].body


def test_signing_up_with_a_taken_phone_answers_as_for_a_new_one(api, sms_outbox):
    call(APIClient(), "post", f"{APP}/auth/signup", {"phone": PHONE, "password": PASSWORD})
    sms_outbox.clear()
    cache.clear()  # a minute later: texts to one number are limited to one per 30 seconds
    response = call(api, "post", f"{APP}/auth/signup", {"phone": PHONE, "password": PASSWORD})
    assert response.status_code == 401
    assert pending_flows(response) == ["verify_phone"]
    assert User.objects.count() == 1
    assert [message.to for message in sms_outbox] == [PHONE]
    assert "already" in sms_outbox[0].body


def test_texting_one_number_again_within_30_seconds_is_throttled(api, sms_outbox):
    call(APIClient(), "post", f"{APP}/auth/signup", {"phone": PHONE, "password": PASSWORD})
    again = call(api, "post", f"{APP}/auth/signup", {"phone": PHONE, "password": PASSWORD})
    assert again.status_code == 429
    assert (User.objects.count(), len(sms_outbox)) == (1, 1)


def test_every_new_account_gets_its_person_in_the_same_transaction(api, monkeypatch):
    # given: making the person record fails
    def fail(**kwargs: Any) -> None:
        raise RuntimeError("person store unavailable")

    monkeypatch.setattr(adapters, "register_person", fail)
    # when
    with pytest.raises(RuntimeError):
        call(api, "post", f"{APP}/auth/signup", {"email": EMAIL, "password": PASSWORD})
    # then: no account without a person
    assert (User.objects.count(), Person.objects.count()) == (0, 0)


def test_a_new_person_takes_the_language_of_the_sign_up(api):
    api.post(
        f"{APP}/auth/signup",
        {"email": EMAIL, "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="th",
    )
    assert Person.objects.get(user__email=EMAIL).preferred_language == "th"


def test_repeated_failed_logins_on_one_account_are_throttled(api):
    # given: two accounts
    sign_up_by_email(APIClient(), EMAIL)
    sign_up_by_email(APIClient(), "other@example.org")
    # when: five wrong passwords on the first
    wrong = [
        call(api, "post", f"{APP}/auth/login", {"email": EMAIL, "password": "wrong password!"})
        for _ in range(5)
    ]
    # then: each refused as a mismatch; the sixth try is throttled, even with the right password
    assert [r.status_code for r in wrong] == [400] * 5
    assert {r.json()["errors"][0]["code"] for r in wrong} == {"email_password_mismatch"}
    throttled = log_in(api, email=EMAIL)
    assert throttled.status_code == 429
    assert "session_token" not in throttled.json().get("meta", {})
    # and the other account still logs in
    assert log_in(api, email="other@example.org").status_code == 200


def test_failed_logins_by_phone_are_counted_per_number(api, sms_outbox):
    # given: two phone accounts, verified
    for number in (PHONE, "+66898765432"):
        client = APIClient()
        pending = call(
            client, "post", f"{APP}/auth/signup", {"phone": number, "password": PASSWORD}
        )
        call(
            client,
            "post",
            f"{APP}/auth/phone/verify",
            {"code": texted_code(sms_outbox[-1])},
            pending.json()["meta"]["session_token"],
        )
    # when: the first number's budget is spent
    for _ in range(5):
        call(api, "post", f"{APP}/auth/login", {"phone": PHONE, "password": "wrong password!"})
    # then: that number is throttled, the other is not
    assert log_in(api, phone=PHONE).status_code == 429
    assert log_in(api, phone="+66898765432").status_code == 200


def test_password_reset_by_code(api):
    # given: an account
    sign_up_by_email(APIClient())
    mail.outbox.clear()
    # when: asking for a reset
    requested = call(api, "post", f"{APP}/auth/password/request", {"email": EMAIL})
    # then: a code is mailed, and the reset flow waits for it
    assert requested.status_code == 401
    assert pending_flows(requested) == ["password_reset_by_code"]
    token = requested.json()["meta"]["session_token"]
    code = emailed_code(mail.outbox[-1])
    # when: entering the code with a new password
    new_password = "another long passphrase"
    reset = call(
        api, "post", f"{APP}/auth/password/reset", {"key": code, "password": new_password}, token
    )
    # then: the new password works and the old does not
    assert reset.status_code == 401  # reset, not logged in (ACCOUNT_LOGIN_ON_PASSWORD_RESET off)
    assert log_in(api, email=EMAIL).status_code == 400
    logged_in = call(
        APIClient(), "post", f"{APP}/auth/login", {"email": EMAIL, "password": new_password}
    )
    assert logged_in.status_code == 200


def test_the_app_is_told_what_login_offers(api):
    config = call(api, "get", f"{APP}/config").json()["data"]
    assert sorted(config["account"]["login_methods"]) == ["email", "phone"]
    assert config["account"]["email_verification_by_code_enabled"] is True
    assert config["account"]["password_reset_by_code_enabled"] is True
    assert config["mfa"] == {
        "supported_types": ["totp", "recovery_codes", "webauthn"],
        "passkey_login_enabled": True,
    }


def test_passkey_login_hands_out_a_webauthn_challenge(api):
    response = call(api, "get", f"{APP}/auth/webauthn/login")
    assert response.status_code == 200
    assert response.json()["data"]["request_options"]["publicKey"]["challenge"]


@pytest.mark.redis
def test_failed_logins_are_counted_in_the_cache_every_process_shares(api, settings):
    """On Redis (as deployed with REDIS_URL) the count outlives this process's memory, so every
    web process refuses the same account."""
    import redis
    from django.test import override_settings

    prefix = f"cityportal-test-accounts-{time.time_ns()}"
    shared = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    store = redis.Redis.from_url(settings.REDIS_URL)
    try:
        with override_settings(CACHES=shared):
            # given: an account, and five wrong passwords
            sign_up_by_email(APIClient())
            for _ in range(5):
                call(api, "post", f"{APP}/auth/login", {"email": EMAIL, "password": "wrong one!!"})
            # then: the count sits in Redis, and the account is throttled
            assert any(b"login_failed" in key for key in store.scan_iter(f"{prefix}:*"))
            assert log_in(APIClient(), email=EMAIL).status_code == 429
    finally:
        for key in store.scan_iter(f"{prefix}:*"):
            store.delete(key)


@pytest.mark.parametrize("debug", [True, False])
def test_the_default_sms_sender_never_logs_the_full_number(api, settings, caplog, debug):
    # given: no gateway configured
    settings.SMS_SENDER = "identity.adapters.LogSmsSender"
    settings.DEBUG = debug
    # when
    with caplog.at_level("INFO", logger="identity.adapters"):
        call(api, "post", f"{APP}/auth/signup", {"phone": PHONE, "password": PASSWORD})
    # then: the number masked; the code shown only to a developer (DEBUG)
    logged = [
        record.getMessage() for record in caplog.records if record.name == "identity.adapters"
    ]
    assert len(logged) == 1
    assert "+66*****5678" in logged[0]
    assert PHONE not in caplog.text
    assert bool(re.search(r"\b\d{6}\b", logged[0])) is debug

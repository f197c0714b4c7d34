"""The Stripe adapter against recorded API answers (tests/payments/recorded, shaped as Stripe
documents its objects), with no network: the library's HTTP client is replaced by one that
answers from those files and keeps every request for the assertions."""

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from rest_framework.test import APIClient

from payments.models import PaymentAttempt, ProviderEvent, Receipt
from payments.providers.base import InvalidWebhook, ProviderError
from payments.providers.stripe import StripeProvider
from tests.factories import BillFactory
from tests.payments.test_payments_api import PAYMENTS, body_for, pay, send_webhook

RECORDED = Path(__file__).parent / "recorded"
SESSION = "cs_test_a1B2c3D4e5F6g7H8i9J0"
SECRET = "whsec_test_secret"


class RecordedHttpClient(stripe.HTTPClient):
    """Answers each (method, path) with a recorded body; an unrecorded request fails the test."""

    name = "recorded"

    def __init__(self, routes: dict[tuple[str, str], tuple[int, str]]) -> None:
        super().__init__()
        self.routes = routes
        self.calls: list[dict[str, Any]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        call = {
            "method": method.upper(),
            "path": parts.path,
            "query": parse_qs(parts.query),
            "headers": dict(headers or {}),
            "data": parse_qs(
                post_data.decode() if isinstance(post_data, bytes) else post_data or ""
            ),
        }
        self.calls.append(call)
        key = (call["method"], call["path"])
        if key not in self.routes:
            raise AssertionError(f"unrecorded Stripe request {key}")
        status, name = self.routes[key]
        return (RECORDED / name).read_text(), status, {"request-id": "req_recorded"}

    def close(self) -> None:
        pass


@pytest.fixture
def stripe_settings(settings):
    settings.STRIPE_API_KEY = "sk_test_recorded"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    return settings


@pytest.fixture
def recorded(monkeypatch, stripe_settings):
    """recorded(routes) → the client now answering the library's requests."""

    def install(routes: dict[tuple[str, str], tuple[int, str]]) -> RecordedHttpClient:
        client = RecordedHttpClient(routes)
        monkeypatch.setattr(stripe, "default_http_client", client)
        return client

    return install


def signed(
    name: str, *, secret: str = SECRET, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """A recorded event as Stripe sends it: Stripe-Signature t=<time>,v1=HMAC-SHA256("t.body")."""
    body = (RECORDED / name).read_bytes()
    timestamp = at if at is not None else int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return body, {"Stripe-Signature": f"t={timestamp},v1={digest.hexdigest()}"}


class TestCreateCheckout:
    def test_opens_a_checkout_session(self, recorded):
        client = recorded(
            {("POST", "/v1/checkout/sessions"): (200, "checkout_session_created.json")}
        )
        # when
        session = StripeProvider().create_checkout(
            reference="6f1d2c3b-0000-4000-8000-000000000001",
            amount_minor=50000,
            currency="THB",
            description="Water: B00000001",
            return_url="https://app.example.org/paid",
        )
        # then
        assert session.provider_ref == SESSION
        assert session.checkout_url.startswith("https://checkout.stripe.com/c/pay/")
        (call,) = client.calls
        assert call["headers"]["Authorization"] == "Bearer sk_test_recorded"
        assert call["headers"]["Idempotency-Key"] == "checkout-6f1d2c3b-0000-4000-8000-000000000001"
        data = {name: values[0] for name, values in call["data"].items()}
        assert data["mode"] == "payment"
        assert data["client_reference_id"] == "6f1d2c3b-0000-4000-8000-000000000001"
        assert data["line_items[0][price_data][currency]"] == "thb"
        assert data["line_items[0][price_data][unit_amount]"] == "50000"
        assert data["line_items[0][price_data][product_data][name]"] == "Water: B00000001"
        assert data["success_url"] == data["cancel_url"] == "https://app.example.org/paid"
        assert data["payment_intent_data[metadata][cityportal_reference]"] == (
            "6f1d2c3b-0000-4000-8000-000000000001"
        )

    def test_needs_somewhere_to_send_the_payer_back(self, recorded):
        recorded({})
        with pytest.raises(ProviderError):
            StripeProvider().create_checkout(
                reference="r", amount_minor=100, currency="THB", description="x", return_url=""
            )

    def test_without_an_api_key_nothing_is_sent(self, recorded, settings):
        client = recorded({})
        settings.STRIPE_API_KEY = ""
        with pytest.raises(ProviderError):
            StripeProvider().fetch_status(provider_ref=SESSION)
        assert client.calls == []


class TestFetchStatus:
    @pytest.mark.parametrize(
        ("recording", "outcome", "captured", "failure_code"),
        [
            ("checkout_session_paid.json", "captured", 50000, ""),
            ("checkout_session_declined.json", "declined", 0, "insufficient_funds"),
            ("checkout_session_processing.json", "pending", 0, ""),
            ("checkout_session_requires_action.json", "pending", 0, ""),
            ("checkout_session_canceled.json", "cancelled", 0, ""),
            ("checkout_session_expired.json", "expired", 0, ""),
            ("checkout_session_open.json", "pending", 0, ""),
        ],
    )
    def test_maps_the_payment_intent_status(
        self, recorded, recording, outcome, captured, failure_code
    ):
        client = recorded({("GET", f"/v1/checkout/sessions/{SESSION}"): (200, recording)})
        # when
        status = StripeProvider().fetch_status(provider_ref=SESSION)
        # then
        assert (status.provider_ref, status.outcome, status.captured_minor, status.currency) == (
            SESSION, outcome, captured, "THB",
        )  # fmt: skip
        assert status.failure_code == failure_code
        assert client.calls[0]["query"] == {"expand[0]": ["payment_intent"]}

    def test_an_error_answer_is_a_provider_error(self, recorded):
        recorded(
            {("GET", "/v1/checkout/sessions/cs_test_missing"): (404, "error_no_such_session.json")}
        )
        with pytest.raises(ProviderError):
            StripeProvider().fetch_status(provider_ref="cs_test_missing")


class TestRefundAndCancel:
    def test_refunds_the_sessions_payment_intent(self, recorded):
        client = recorded(
            {
                ("GET", f"/v1/checkout/sessions/{SESSION}"): (200, "checkout_session_paid.json"),
                ("POST", "/v1/refunds"): (200, "refund_succeeded.json"),
            }
        )
        # when
        result = StripeProvider().refund(
            provider_ref=SESSION, amount_minor=20000, currency="THB", reference="refund-1"
        )
        # then
        assert (result.provider_ref, result.outcome) == ("re_3Q0aBcDeFgHiJkLm0r1s2t3u", "success")
        refund_call = client.calls[-1]
        assert refund_call["data"]["payment_intent"] == ["pi_3Q0aBcDeFgHiJkLm0n1o2p3q"]
        assert refund_call["data"]["amount"] == ["20000"]
        assert refund_call["headers"]["Idempotency-Key"] == "refund-refund-1"

    def test_cancelling_expires_the_open_session(self, recorded):
        client = recorded(
            {
                ("POST", f"/v1/checkout/sessions/{SESSION}/expire"): (
                    200,
                    "checkout_session_expired.json",
                )
            }
        )
        assert StripeProvider().cancel_checkout(provider_ref=SESSION).outcome == "expired"
        assert len(client.calls) == 1

    def test_a_completed_session_cannot_be_cancelled(self, recorded):
        recorded(
            {
                ("POST", f"/v1/checkout/sessions/{SESSION}/expire"): (
                    400,
                    "error_session_complete.json",
                )
            }
        )
        with pytest.raises(ProviderError):
            StripeProvider().cancel_checkout(provider_ref=SESSION)


class TestParseWebhook:
    @pytest.mark.parametrize(
        ("recording", "kind", "outcome", "captured"),
        [
            (
                "event_checkout_session_completed.json",
                "checkout.session.completed",
                "captured",
                50000,
            ),
            ("event_checkout_session_expired.json", "checkout.session.expired", "expired", 0),
            (
                "event_checkout_session_async_payment_failed.json",
                "checkout.session.async_payment_failed",
                "declined",
                0,
            ),
        ],
    )
    def test_a_signed_checkout_event(self, stripe_settings, recording, kind, outcome, captured):
        body, headers = signed(recording)
        event = StripeProvider().parse_webhook(body=body, headers=headers)
        assert (event.event_id, event.kind, event.provider_ref) == (
            json.loads(body)["id"], kind, SESSION,
        )  # fmt: skip
        assert event.status is not None
        assert (event.status.outcome, event.status.captured_minor, event.status.currency) == (
            outcome, captured, "THB",
        )  # fmt: skip

    def test_other_events_carry_no_status(self, stripe_settings):
        body, headers = signed("event_payment_intent_succeeded.json")
        event = StripeProvider().parse_webhook(body=body, headers=headers)
        assert (event.kind, event.status) == ("payment_intent.succeeded", None)

    @pytest.mark.parametrize(
        "forge",
        [
            lambda: signed("event_checkout_session_completed.json", secret="whsec_other"),
            lambda: signed("event_checkout_session_completed.json", at=int(time.time()) - 3600),
            lambda: (signed("event_checkout_session_completed.json")[0], {}),
            lambda: (
                signed("event_checkout_session_completed.json")[0].replace(b"50000", b"100"),
                signed("event_checkout_session_completed.json")[1],
            ),
        ],
        ids=["another secret", "too old", "unsigned", "body changed"],
    )
    def test_a_bad_signature_is_refused(self, stripe_settings, forge):
        body, headers = forge()
        with pytest.raises(InvalidWebhook):
            StripeProvider().parse_webhook(body=body, headers=headers)

    def test_without_a_configured_secret_everything_is_refused(self, stripe_settings):
        body, headers = signed("event_checkout_session_completed.json")
        stripe_settings.STRIPE_WEBHOOK_SECRET = ""
        with pytest.raises(InvalidWebhook):
            StripeProvider().parse_webhook(body=body, headers=headers)


@pytest.mark.django_db
class TestThroughTheApi:
    """A payment with Stripe as the provider, from POST /payments to the receipt."""

    @pytest.fixture
    def payment(self, recorded, stripe_settings, citizen_api, person) -> dict[str, Any]:
        stripe_settings.PAYMENT_DEFAULT_PROVIDER = "stripe"
        recorded({("POST", "/v1/checkout/sessions"): (200, "checkout_session_created.json")})
        bill = BillFactory.create(payer=person, total_minor=50000)
        response = pay(citizen_api, body_for(bill, return_url="https://app.example.org/paid"))
        assert response.status_code == 201
        return response.json()

    def test_checkout_then_the_completed_event(
        self, payment, citizen_api, django_capture_on_commit_callbacks
    ):
        assert payment["checkout_url"].startswith("https://checkout.stripe.com/")
        assert PaymentAttempt.objects.get().provider_ref == SESSION
        # when Stripe reports the completed session
        body, headers = signed("event_checkout_session_completed.json")
        with django_capture_on_commit_callbacks(execute=True):
            response = send_webhook(APIClient(), body, headers, provider="stripe")
        # then
        assert response.status_code == 200
        result = citizen_api.get(f"{PAYMENTS}/{payment['id']}").json()
        assert result["status"] == "success"
        assert Receipt.objects.count() == 1
        assert ProviderEvent.objects.get().provider == "stripe"

    def test_expired_then_paid_is_a_late_capture_confirmed_with_stripe(
        self, payment, citizen_api, recorded, django_capture_on_commit_callbacks
    ):
        # given Stripe reported the session expired
        body, headers = signed("event_checkout_session_expired.json")
        with django_capture_on_commit_callbacks(execute=True):
            send_webhook(APIClient(), body, headers, provider="stripe")
        assert citizen_api.get(f"{PAYMENTS}/{payment['id']}").json()["failure_code"] == "P0020"
        # when a completed event follows, and Stripe confirms the payment when asked
        client = recorded(
            {("GET", f"/v1/checkout/sessions/{SESSION}"): (200, "checkout_session_paid.json")}
        )
        body, headers = signed("event_checkout_session_completed.json")
        with django_capture_on_commit_callbacks(execute=True):
            send_webhook(APIClient(), body, headers, provider="stripe")
        # then
        result = citizen_api.get(f"{PAYMENTS}/{payment['id']}").json()
        assert result["status"] == "success"
        assert result["timeline"][-1]["event"] == "late_capture"
        assert [call["method"] for call in client.calls] == ["GET"]

    def test_a_bad_signature_changes_nothing(self, payment, citizen_api):
        body, headers = signed("event_checkout_session_completed.json", secret="whsec_forged")
        response = send_webhook(APIClient(), body, headers, provider="stripe")
        assert response.status_code == 400
        assert response.json()["code"] == "webhook_signature_invalid"
        assert ProviderEvent.objects.count() == 0
        assert citizen_api.get(f"{PAYMENTS}/{payment['id']}").json()["status"] == "started"

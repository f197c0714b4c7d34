"""The Stripe adapter: Stripe Checkout (a hosted page) on top of PaymentIntents, through Stripe's
official library.

- `create_checkout` opens a Checkout Session in `payment` mode; its id (`cs_…`) is the attempt's
  provider_ref and its `url` the checkout page. Our attempt id travels as `client_reference_id`
  and as metadata on the session and its PaymentIntent.
- `fetch_status` reads the session with its PaymentIntent expanded and maps the PaymentIntent's
  status: succeeded → captured; requires_payment_method after a failed attempt → declined;
  canceled → cancelled; processing / requires_action / requires_confirmation → pending;
  requires_capture → authorised. An expired session is expired.
- `refund` refunds the session's PaymentIntent, with our refund reference as Stripe's
  idempotency key, so a retried refund is never paid twice.
- `parse_webhook` verifies `Stripe-Signature` with stripe.Webhook.construct_event and
  settings.STRIPE_WEBHOOK_SECRET. Subscribe the endpoint to `checkout.session.completed`,
  `checkout.session.async_payment_succeeded`, `checkout.session.async_payment_failed` and
  `checkout.session.expired`; other events are stored and left alone.

Settings: STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET; PAYMENT_RETURN_URL (optional) is where the payer
lands when a payment was started without a return_url. Tests replace the library's HTTP client
(`stripe.default_http_client`) with recorded answers: no network.
"""

import datetime
from typing import Any

import stripe
from django.conf import settings
from django.utils import timezone

from payments.providers.base import (
    CheckoutSession,
    InvalidWebhook,
    ProviderError,
    ProviderStatus,
    RefundResult,
    WebhookEvent,
)

NAME = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"
SESSION_LIFETIME = datetime.timedelta(hours=1)  # Stripe allows 30 minutes to 24 hours

# PaymentIntent status → ProviderStatus outcome (requires_payment_method is decided separately).
_INTENT_OUTCOMES = {
    "succeeded": "captured",
    "canceled": "cancelled",
    "processing": "pending",
    "requires_action": "pending",
    "requires_confirmation": "pending",
    "requires_capture": "authorised",
}

# Checkout Session webhook events → outcome, when they say something about the payment.
_SESSION_EVENTS = {
    "checkout.session.completed": None,  # depends on payment_status
    "checkout.session.async_payment_succeeded": "captured",
    "checkout.session.async_payment_failed": "declined",
    "checkout.session.expired": "expired",
}


class StripeProvider:
    """The adapter (payments.providers.base.PaymentProvider) for Stripe."""

    name = NAME

    def _client(self) -> stripe.StripeClient:
        if not settings.STRIPE_API_KEY:
            raise ProviderError("stripe: STRIPE_API_KEY is not set")
        return stripe.StripeClient(
            settings.STRIPE_API_KEY,
            http_client=stripe.default_http_client,  # None: the library's own client
            max_network_retries=2,
        )

    def create_checkout(
        self, *, reference: str, amount_minor: int, currency: str, description: str, return_url: str
    ) -> CheckoutSession:
        back = return_url or getattr(settings, "PAYMENT_RETURN_URL", "")
        if not back:
            raise ProviderError("stripe: Checkout needs a return_url (or PAYMENT_RETURN_URL)")
        expires_at = int((timezone.now() + SESSION_LIFETIME).timestamp())
        params: Any = {
            "mode": "payment",
            "client_reference_id": reference,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount_minor,
                        "product_data": {"name": description or reference},
                    },
                }
            ],
            "success_url": back,
            "cancel_url": back,
            "expires_at": expires_at,
            "metadata": {"cityportal_reference": reference},
            "payment_intent_data": {"metadata": {"cityportal_reference": reference}},
        }
        session = _call(
            lambda client: client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{reference}"}
            ),
            self._client(),
        )
        if not session.get("id") or not session.get("url"):
            raise ProviderError("stripe: the Checkout Session has no id or url")
        return CheckoutSession(provider_ref=session["id"], checkout_url=session["url"])

    def fetch_status(self, *, provider_ref: str) -> ProviderStatus:
        client = self._client()
        if provider_ref.startswith("pi_"):
            intent = _call(lambda c: c.v1.payment_intents.retrieve(provider_ref), client)
            return _intent_status(provider_ref, intent)
        session = _call(
            lambda c: c.v1.checkout.sessions.retrieve(
                provider_ref, params={"expand": ["payment_intent"]}
            ),
            client,
        )
        return session_status(session)

    def cancel_checkout(self, *, provider_ref: str) -> ProviderStatus:
        """Expire an open Checkout Session; Stripe refuses (ProviderError) once it is complete."""
        session = _call(lambda c: c.v1.checkout.sessions.expire(provider_ref), self._client())
        return session_status(session)

    def refund(
        self, *, provider_ref: str, amount_minor: int, currency: str, reference: str
    ) -> RefundResult:
        client = self._client()
        intent_id = provider_ref
        if not provider_ref.startswith("pi_"):
            session = _call(lambda c: c.v1.checkout.sessions.retrieve(provider_ref), client)
            intent_id = _id_of(session.get("payment_intent"))
            if not intent_id:
                raise ProviderError("stripe: the session has no payment to refund")
        refund = _call(
            lambda c: c.v1.refunds.create(
                params={
                    "payment_intent": intent_id,
                    "amount": amount_minor,
                    "metadata": {"cityportal_reference": reference},
                },
                options={"idempotency_key": f"refund-{reference}"},
            ),
            client,
        )
        if str(refund.get("currency", "")).upper() != currency.upper():
            raise ProviderError("stripe: the refund's currency differs")
        outcome = {"succeeded": "success", "failed": "failed", "canceled": "failed"}.get(
            refund.get("status", ""), "pending"
        )
        return RefundResult(provider_ref=refund["id"], outcome=outcome, raw=refund)

    def parse_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        signature = next(
            (value for key, value in headers.items() if key.lower() == SIGNATURE_HEADER.lower()),
            None,
        )
        try:
            event = stripe.Webhook.construct_event(
                body, signature, settings.STRIPE_WEBHOOK_SECRET or None
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidWebhook(f"stripe: {error}") from error
        payload = event.to_dict()
        kind = str(payload.get("type", ""))
        obj = (payload.get("data") or {}).get("object") or {}
        provider_ref = str(obj.get("id", ""))
        status = None
        if kind in _SESSION_EVENTS:
            status = session_status(obj)
            forced = _SESSION_EVENTS[kind]
            if forced is not None and forced != status.outcome:
                status = ProviderStatus(
                    provider_ref=status.provider_ref,
                    outcome=forced,
                    captured_minor=status.captured_minor if forced == "captured" else 0,
                    currency=status.currency,
                    failure_code=status.failure_code,
                    raw=obj,
                )
        return WebhookEvent(
            event_id=str(payload.get("id", "")),
            kind=kind,
            provider_ref=provider_ref,
            status=status,
            payload=payload,
        )


# Mapping ---------------------------------------------------------------------------------------


def session_status(session: dict[str, Any]) -> ProviderStatus:
    """What a Checkout Session (PaymentIntent expanded or not) says about the payment."""
    ref = str(session.get("id", ""))
    currency = str(session.get("currency") or "").upper()
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        status = _intent_status(ref, intent)
        if status.outcome != "pending" or session.get("status") != "expired":
            return status
    if session.get("payment_status") == "paid":
        return ProviderStatus(
            provider_ref=ref,
            outcome="captured",
            captured_minor=int(session.get("amount_total") or 0),
            currency=currency,
            raw=session,
        )
    if session.get("status") == "expired":
        return ProviderStatus(provider_ref=ref, outcome="expired", currency=currency, raw=session)
    return ProviderStatus(provider_ref=ref, outcome="pending", currency=currency, raw=session)


def _intent_status(ref: str, intent: dict[str, Any]) -> ProviderStatus:
    state = str(intent.get("status", ""))
    currency = str(intent.get("currency") or "").upper()
    error = intent.get("last_payment_error") or {}
    if state == "requires_payment_method":
        outcome = "declined" if error else "pending"
    else:
        outcome = _INTENT_OUTCOMES.get(state, "error")
    return ProviderStatus(
        provider_ref=ref,
        outcome=outcome,
        captured_minor=int(intent.get("amount_received") or 0) if outcome == "captured" else 0,
        currency=currency,
        failure_code=str(error.get("decline_code") or error.get("code") or "")[:60],
        raw=intent,
    )


def _id_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id", ""))
    return str(value or "")


def _call(request: Any, client: stripe.StripeClient) -> dict[str, Any]:
    """Run one API call; any Stripe error becomes a ProviderError; the answer a plain dict."""
    try:
        answer = request(client)
    except stripe.StripeError as error:
        raise ProviderError(f"stripe: {error.user_message or error}") from error
    result: dict[str, Any] = answer.to_dict()
    return result

"""The built-in sandbox payment provider. It behaves like a real one, so demos and tests run the
same code paths as production:

- `create_checkout` answers with a hosted checkout page served by this project
  (`/sandbox/checkout/<provider_ref>`), where a person (or a test) picks the outcome;
- the outcome arrives later, as a webhook signed with HMAC-SHA256 over the body
  (header `Sandbox-Signature`, key settings.SANDBOX_WEBHOOK_SECRET), delivered by a task to the
  same ingest action as the public webhook endpoint;
- `fetch_status` answers from the sandbox's own memory of the payment, and `refund` works.

The sandbox keeps no tables: what it remembers of a payment lives in Django's cache under its
provider_ref (two days). A worker needs the same cache as the web process (Redis) to answer
`fetch_status`; webhooks carry everything and need no shared memory.

Scripted outcomes, chosen by the last two digits of the amount in minor units, when the payer
presses "Pay" on the checkout page:

    ..01  decline                      payment.declined
    ..02  timeout, then late success   payment.expired, then payment.captured
    ..03  duplicate webhooks           payment.captured three times (twice the same event id)
    ..04  out-of-order webhooks        payment.captured, then payment.authorised
    else  success                      payment.captured

Refunds of an amount ending in 09 are refused by the sandbox ("failed").
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from payments.providers.base import (
    CheckoutSession,
    InvalidWebhook,
    ProviderError,
    ProviderStatus,
    RefundResult,
    WebhookEvent,
)

NAME = "sandbox"
SIGNATURE_HEADER = "Sandbox-Signature"
STATE_TTL = 2 * 24 * 3600  # seconds the sandbox remembers a payment

# The last two digits of the amount → the script the sandbox plays when the payer pays.
SCENARIOS: dict[int, str] = {
    1: "decline",
    2: "timeout_then_late_success",
    3: "duplicate_webhooks",
    4: "out_of_order_webhooks",
}
REFUND_REFUSED_ENDING = 9

# Webhook kinds the sandbox sends; a payment.<outcome> kind carries that ProviderStatus outcome.
PAYMENT_OUTCOMES = ("authorised", "captured", "declined", "expired", "cancelled", "error")


def scenario_for(amount_minor: int) -> str:
    return SCENARIOS.get(amount_minor % 100, "success")


def _state_key(provider_ref: str) -> str:
    return f"payments:sandbox:{provider_ref}"


def _load(provider_ref: str) -> dict[str, Any] | None:
    state: dict[str, Any] | None = cache.get(_state_key(provider_ref))
    return state


def _save(provider_ref: str, state: dict[str, Any]) -> None:
    cache.set(_state_key(provider_ref), state, STATE_TTL)


def _sign(body: bytes, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.SANDBOX_WEBHOOK_SECRET).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


class SandboxProvider:
    """The adapter (payments.providers.base.PaymentProvider) for the sandbox."""

    name = NAME

    def create_checkout(
        self, *, reference: str, amount_minor: int, currency: str, description: str, return_url: str
    ) -> CheckoutSession:
        provider_ref = f"sbx_{uuid.uuid4().hex}"
        _save(
            provider_ref,
            {
                "reference": reference,
                "amount_minor": amount_minor,
                "currency": currency,
                "description": description,
                "return_url": return_url,
                "scenario": scenario_for(amount_minor),
                "status": "pending",
                "failure_code": "",
                "refunds": {},
            },
        )
        # A path on this project; the API answers it as an absolute URL.
        url = reverse("sandbox-checkout", kwargs={"provider_ref": provider_ref})
        return CheckoutSession(provider_ref=provider_ref, checkout_url=url)

    def fetch_status(self, *, provider_ref: str) -> ProviderStatus:
        state = _load(provider_ref)
        if state is None:
            raise ProviderError(f"sandbox: no payment {provider_ref}")
        return _status(provider_ref, state)

    def cancel_checkout(self, *, provider_ref: str) -> ProviderStatus:
        """Close the checkout page; refused (ProviderError) once the payment is captured."""
        state = _load(provider_ref)
        if state is None:
            raise ProviderError(f"sandbox: no payment {provider_ref}")
        if state["status"] == "captured":
            raise ProviderError("sandbox: the payment is already captured")
        if state["status"] in ("pending", "authorised"):
            state["status"] = "cancelled"
            _save(provider_ref, state)
        return _status(provider_ref, state)

    def refund(
        self, *, provider_ref: str, amount_minor: int, currency: str, reference: str
    ) -> RefundResult:
        state = _load(provider_ref)
        if state is None:
            # A payment from before the sandbox's memory (demo data): accepted as it stands.
            return RefundResult(
                provider_ref=f"sbxr_{uuid.uuid4().hex}",
                outcome="success",
                raw={"reference": reference, "amount_minor": amount_minor},
            )
        known = state["refunds"].get(reference)
        if known is not None:  # the same refund asked again: the same answer
            return RefundResult(provider_ref=known["id"], outcome=known["outcome"], raw=known)
        refunded = sum(
            item["amount_minor"]
            for item in state["refunds"].values()
            if item["outcome"] != "failed"
        )
        refused = (
            state["status"] != "captured"
            or currency != state["currency"]
            or amount_minor <= 0
            or refunded + amount_minor > state["amount_minor"]
            or amount_minor % 100 == REFUND_REFUSED_ENDING
        )
        record: dict[str, Any] = {
            "id": f"sbxr_{uuid.uuid4().hex}",
            "amount_minor": amount_minor,
            "currency": currency,
            "outcome": "failed" if refused else "success",
        }
        state["refunds"][reference] = record
        _save(provider_ref, state)
        return RefundResult(provider_ref=record["id"], outcome=record["outcome"], raw=record)

    def parse_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        given = _header(headers, SIGNATURE_HEADER)
        if not given or not hmac.compare_digest(given, _sign(body)):
            raise InvalidWebhook("sandbox: bad signature")
        try:
            payload = json.loads(body)
            event_id = str(payload["id"])
            kind = str(payload["type"])
            data = payload["data"]
            provider_ref = str(data["payment_ref"])
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidWebhook(f"sandbox: malformed event ({error})") from error
        status = None
        if kind.startswith("payment."):
            outcome = kind.removeprefix("payment.")
            if outcome not in PAYMENT_OUTCOMES:
                raise InvalidWebhook(f"sandbox: unknown event type {kind}")
            status = ProviderStatus(
                provider_ref=provider_ref,
                outcome=outcome,
                captured_minor=int(data.get("amount_minor") or 0) if outcome == "captured" else 0,
                currency=str(data.get("currency") or ""),
                failure_code=str(data.get("failure_code") or ""),
                raw=payload,
            )
        return WebhookEvent(
            event_id=event_id, kind=kind, provider_ref=provider_ref, status=status, payload=payload
        )


def _status(provider_ref: str, state: dict[str, Any]) -> ProviderStatus:
    captured = state["status"] == "captured"
    return ProviderStatus(
        provider_ref=provider_ref,
        outcome=state["status"],
        captured_minor=state["amount_minor"] if captured else 0,
        currency=state["currency"],
        failure_code=state.get("failure_code", ""),
        raw=dict(state),
    )


# Webhooks ------------------------------------------------------------------------------------


def sandbox_webhook(
    provider_ref: str,
    outcome: str,
    *,
    event_id: str | None = None,
    amount_minor: int | None = None,
    currency: str | None = None,
    secret: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a sandbox webhook reporting `outcome` for a payment, signed as
    the sandbox signs them (`secret` overrides the key, to forge a bad signature in tests).
    Amount and currency default to what the sandbox remembers of the payment."""
    state = _load(provider_ref) or {}
    payload = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": f"payment.{outcome}",
        "created": int(timezone.now().timestamp()),
        "data": {
            "payment_ref": provider_ref,
            "reference": state.get("reference", ""),
            "amount_minor": amount_minor if amount_minor is not None else state.get("amount_minor"),
            "currency": currency if currency is not None else state.get("currency"),
            "failure_code": {"declined": "card_declined", "expired": "timeout"}.get(outcome, ""),
        },
    }
    body = json.dumps(payload, sort_keys=True).encode()
    return body, {SIGNATURE_HEADER: _sign(body, secret)}


def complete_checkout(provider_ref: str, choice: str) -> list[tuple[bytes, dict[str, str]]]:
    """What happens when the payer presses a button on the checkout page: the sandbox settles
    the payment by its script and returns the webhooks it will send, in sending order."""
    state = _load(provider_ref)
    if state is None:
        raise ProviderError(f"sandbox: no payment {provider_ref}")
    if state["status"] != "pending":
        return []  # the page was already used; a real provider shows "already paid"
    scenario = state["scenario"] if choice == "pay" else choice
    webhook = sandbox_webhook  # alias to keep the table below short
    ref = provider_ref
    if scenario == "cancel":
        state["status"] = "cancelled"
        plan = [webhook(ref, "cancelled")]
    elif scenario == "decline":
        state["status"], state["failure_code"] = "declined", "card_declined"
        plan = [webhook(ref, "declined")]
    elif scenario == "timeout_then_late_success":
        state["status"] = "captured"  # the truth the provider reports when asked
        plan = [webhook(ref, "expired"), webhook(ref, "captured")]
    elif scenario == "duplicate_webhooks":
        state["status"] = "captured"
        captured = webhook(ref, "captured")
        plan = [captured, captured, webhook(ref, "captured")]
    elif scenario == "out_of_order_webhooks":
        state["status"] = "captured"
        plan = [webhook(ref, "captured"), webhook(ref, "authorised")]
    else:
        state["status"] = "captured"
        plan = [webhook(ref, "captured")]
    _save(provider_ref, state)
    return plan


# The hosted checkout page ----------------------------------------------------------------------

CHOICES = {
    "pay": _("Pay"),
    "decline": _("Decline"),
    "cancel": _("Cancel"),
}


@require_http_methods(["GET", "POST"])
def checkout_view(request: HttpRequest, provider_ref: str) -> HttpResponse:
    """The sandbox's hosted checkout page: shows the payment, and lets the payer pay, have the
    card declined, or cancel. The outcome reaches CityPortal by webhook, as from a real provider."""
    state = _load(provider_ref)
    if state is None:
        raise Http404("No such sandbox payment")
    if request.method == "POST":
        choice = request.POST.get("choice", "")
        if choice not in CHOICES:
            return HttpResponse(status=400)
        plan = complete_checkout(provider_ref, choice)
        if plan:
            from payments.tasks import deliver_sandbox_webhooks_task

            deliver_sandbox_webhooks_task.delay(
                deliveries=[{"body": body.decode(), "headers": headers} for body, headers in plan]
            )
        if state["return_url"]:
            separator = "&" if "?" in state["return_url"] else "?"
            query = urlencode({"payment": state["reference"]})
            return HttpResponseRedirect(f"{state['return_url']}{separator}{query}")
        state = _load(provider_ref) or state
    return render(
        request,
        "payments/sandbox_checkout.html",
        {
            "provider_ref": provider_ref,
            "payment": state,
            "amount": f"{state['amount_minor'] / 100:.2f}",
            "scenario": state["scenario"],
            "choices": CHOICES,
            "is_open": state["status"] == "pending",
        },
    )


# Mounted at /sandbox/ by cityportal/urls.py.
urlpatterns: list[URLPattern] = [
    path("checkout/<str:provider_ref>", checkout_view, name="sandbox-checkout"),
]

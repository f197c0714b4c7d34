"""The one interface every payment provider adapter implements. Adapters speak the provider's
language; the actions in payments/actions decide what a provider's answer means for an attempt.

Registered adapters: settings.PAYMENT_PROVIDERS, name → dotted class path.
"""

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class ProviderError(Exception):
    """The provider could not be reached, or answered with an error; no money moved that we know."""


class InvalidWebhook(Exception):
    """A webhook whose signature does not verify, or that cannot be parsed."""


@dataclass(frozen=True)
class CheckoutSession:
    provider_ref: str  # the provider's id of this payment
    checkout_url: str  # where the payer completes the payment (hosted page)


@dataclass(frozen=True)
class ProviderStatus:
    """What the provider says about a payment now.

    outcome: "pending" (payer still at checkout), "authorised", "captured", "declined",
    "expired", "cancelled" or "error".
    """

    provider_ref: str
    outcome: str
    captured_minor: int = 0
    currency: str = ""
    failure_code: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    provider_ref: str
    outcome: str  # "success", "pending" or "failed"
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified inbound webhook, in the adapter-neutral shape the payments actions consume."""

    event_id: str
    kind: str  # e.g. "payment.captured", "payment.failed", "refund.succeeded"
    provider_ref: str
    status: ProviderStatus | None
    payload: dict[str, Any]


class PaymentProvider(Protocol):
    name: str

    def create_checkout(
        self, *, reference: str, amount_minor: int, currency: str, description: str, return_url: str
    ) -> CheckoutSession: ...

    def fetch_status(self, *, provider_ref: str) -> ProviderStatus: ...

    def refund(
        self, *, provider_ref: str, amount_minor: int, currency: str, reference: str
    ) -> RefundResult: ...

    def parse_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        """Verify the signature and parse; raises InvalidWebhook."""
        ...


@cache
def _load(name: str) -> PaymentProvider:
    path = settings.PAYMENT_PROVIDERS[name]
    provider: PaymentProvider = import_string(path)()
    return provider


def provider_named(name: str) -> PaymentProvider:
    return _load(name)

"""Payment provider adapters behind one interface (payments/providers/base.py)."""

from payments.providers.base import PaymentProvider, provider_named

__all__ = ["PaymentProvider", "provider_named"]

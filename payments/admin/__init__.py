"""Staff screens of the payments app, one module per area."""

from payments.admin import bills, payments_, refunds  # noqa: F401

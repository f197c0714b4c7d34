"""Staff screens of the identity app, one module per area."""

from identity.admin import credentials, organisations, persons, privacy  # noqa: F401

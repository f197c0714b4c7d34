"""Staff screens of the complaints app, one module per area."""

from complaints.admin import calendars, catalogue, complaints  # noqa: F401

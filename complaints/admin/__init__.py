"""Staff screens of the complaints app, one module per area."""

from complaints.admin import calendars  # noqa: F401
from complaints.admin import catalogue  # noqa: F401
from complaints.admin import complaints  # noqa: F401

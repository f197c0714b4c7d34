"""Bench-only settings: production, plus the test-only convention endpoints (tests/conventions)
and a floor view (bench/views.py), so API conventions can be measured on the production stack
before the domain apps have endpoints of their own. Never used outside bench/."""

from cityportal.settings.production import *  # noqa: F403
from cityportal.settings.production import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.conventions"]
ROOT_URLCONF = "bench.urls"

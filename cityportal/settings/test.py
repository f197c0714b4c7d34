"""The test suite. Uses DATABASE_URL and REDIS_URL when set (CI: PostgreSQL and Redis); otherwise
SQLite, and the tests that need PostgreSQL or Redis are skipped with a reason."""

import os
import uuid

from .base import *
from .base import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, REDIS_URL, REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-never-used-elsewhere-0123456789"  # noqa: S105
FIELD_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWtleS0tMzItYnl0ZXMtbG9uZy0tLS0="]
BLIND_INDEX_KEY = "test-only-blind-index-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run in-process unless a test starts a real worker (tests/conftest.py: celery_worker).
CELERY_TASK_ALWAYS_EAGER = True
# A prefix per test run keeps parallel runs on one Redis from taking each other's messages; the
# worker fixture passes the same prefix to the worker it starts. Under pytest-xdist each process
# has its own test database and its own worker, so each gets its own prefix too (the run's, with
# the process's name): a worker never takes a task meant for another process's database.
CELERY_KEY_PREFIX = (
    os.environ.get("CELERY_KEY_PREFIX") or f"cityportal-test-{uuid.uuid4().hex[:12]}:"
)
_XDIST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_PROCESS and not CELERY_KEY_PREFIX.endswith(f"-{_XDIST_PROCESS}:"):
    CELERY_KEY_PREFIX = f"{CELERY_KEY_PREFIX.rstrip(':')}-{_XDIST_PROCESS}:"
os.environ["CELERY_KEY_PREFIX"] = CELERY_KEY_PREFIX
if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "global_keyprefix": CELERY_KEY_PREFIX,
    }
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": CELERY_KEY_PREFIX}
# Each test starts with an empty per-process cache (tests/conftest.py clears it). The runs'
# requests are shared with a real worker when a test starts one, as in production: in Redis,
# under this process's prefix (the worker fixture passes it on).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "runs": {
        "BACKEND": "cityportal.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CELERY_KEY_PREFIX,
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "runs"},
}
HAS_REDIS = bool(REDIS_URL)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/min",
        "user": "10000/min",
        # Every scoped rate needs a value; the anonymous complaints tests count on this one.
        "complaints_anonymous": "10/hour",
    },
}
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")

# Test-only endpoints that exercise the API conventions (tests/conventions).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.conventions"]
ROOT_URLCONF = "tests.conventions.urls"
# Static files are not collected for tests; WhiteNoise serves nothing here.
STATIC_ROOT = None
# Tests edit a catalogue and report under it at once; the interval has its own test
# (tests/complaints/test_routing.py).
COMPLAINTS_CATALOGUE_RECHECK_SECONDS = 0.0
SERVICES_CATALOGUE_RECHECK_SECONDS = 0.0
# Runs end as soon as nothing waits: eager tasks would otherwise linger in every test.
DRAIN_RUN_LINGER_SECONDS = 0.0

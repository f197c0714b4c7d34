"""Fixtures shared by the whole suite.

Markers: `postgres` (needs DATABASE_URL to be PostgreSQL), `sqlite` (the SQLite fallback of a
PostgreSQL feature), `redis` (needs REDIS_URL) and
`worker` (starts a real Celery worker against Redis). Without those services the marked tests
are skipped with the reason shown in the summary (pytest -ra).
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from identity.actions.clients import create_api_client
from identity.adapters import MemorySmsSender, SmsMessage
from identity.models import Agency, Person
from tests.factories import AgencyFactory, MembershipFactory, PersonFactory

ROOT = Path(__file__).resolve().parent.parent


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    no_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
    only_sqlite = pytest.mark.skip(reason="checks the SQLite fallback; this run is on PostgreSQL")
    no_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://…")
    for item in items:
        if "postgres" in item.keywords and not _is_postgres():
            item.add_marker(no_postgres)
        if "sqlite" in item.keywords and _is_postgres():
            item.add_marker(only_sqlite)
        if ("redis" in item.keywords or "worker" in item.keywords) and not settings.REDIS_URL:
            item.add_marker(no_redis)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    from cityportal.runs import flags
    from complaints import routing, sla
    from complaints.actions.routing import ROUTING_RUN
    from services import rules
    from services.actions import applications
    from services.actions.decisions import DECIDING_RUN

    def clear() -> None:
        cache.clear()
        # Shared with workers (Redis in CI): delete the runs' keys, never flush the database.
        flags().delete_many([DECIDING_RUN.key, ROUTING_RUN.key])
        applications.clear_cache()
        rules.clear_cache()
        routing.clear_cache()
        sla.clear_cache()

    clear()
    yield
    clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def sign_in_to_admin(browser: Client, user: Any) -> Client:
    """Log staff in as the admin requires: with a second factor (identity/middleware.py)."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {}}
    )
    browser.force_login(user)
    session = browser.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time()},
        {"method": "mfa", "type": "totp", "at": time.time()},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return browser


@pytest.fixture
def admin_client(admin_user) -> Client:
    """pytest-django's admin_client, signed in with a second factor as staff must be."""
    return sign_in_to_admin(Client(), admin_user)


@contextlib.contextmanager
def locked_elsewhere(row: Any) -> Iterator[None]:
    """Hold `row`'s row lock in another transaction (another connection, as another worker
    would) for the duration of the block. Needs a transactional test."""
    from django.db import transaction

    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(type(row).objects.select_for_update().filter(pk=row.pk))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10), "the other transaction did not get the lock"
        yield
    finally:
        release.set()
        thread.join()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def person(db) -> Person:
    """The citizen under test: an account with a person record."""
    return PersonFactory.create()


@pytest.fixture
def citizen(person):
    return person.user


@pytest.fixture
def citizen_api(citizen) -> APIClient:
    return client_for(citizen)


@pytest.fixture
def other_citizen_api(db) -> APIClient:
    return client_for(PersonFactory.create().user)


@pytest.fixture
def agency(db) -> Agency:
    return AgencyFactory.create(code="transit", name="Transit Authority")


@pytest.fixture
def other_agency(db) -> Agency:
    return AgencyFactory.create(code="library", name="City Library")


@pytest.fixture
def officer(agency):
    return MembershipFactory.create(agency=agency).user


@pytest.fixture
def officer_api(officer) -> APIClient:
    return client_for(officer)


@pytest.fixture
def other_officer_api(other_agency) -> APIClient:
    return client_for(MembershipFactory.create(agency=other_agency).user)


@pytest.fixture
def integrator(agency):
    """make(scopes) → an APIClient authenticated as an integrator of `agency` with those scopes."""

    def make(*scopes: str, for_agency: Agency | None = None, **options: Any) -> APIClient:
        issued = create_api_client(
            agency=for_agency or agency, name="Test integrator", scopes=list(scopes), **options
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.token}")
        client.api_client = issued.client  # type: ignore[attr-defined]
        return client

    return make


def _database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test_… database)."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[None]:
    """A real Celery worker process on every queue, against this run's Redis key prefix and
    test database. While it runs, tasks queued by tests go through Redis to it instead of
    running in-process. Tests using it need `@pytest.mark.django_db(transaction=True)` so the
    worker sees their committed rows."""
    from cityportal.celery import app

    with django_db_blocker.unblock():
        database_url = _database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cityportal.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_KEY_PREFIX": settings.CELERY_KEY_PREFIX,
        "LOG_LEVEL": "INFO",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cityportal",
            "worker",
            "-Q",
            ",".join(settings.CELERY_TASK_QUEUES_NAMES),
            "--concurrency",
            "2",
            "--hostname",
            name,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_ready(process, Path(log.name))
        app.conf.task_always_eager = False
        yield
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        Path(log.name).unlink(missing_ok=True)


def _wait_until_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if " ready." in text:
            return
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited with {process.returncode}:\n{text}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"Celery worker not ready in {timeout}s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def sms_outbox(settings) -> Iterator[list[SmsMessage]]:
    """Text messages are kept in memory for the test to read, instead of going to a gateway."""
    settings.SMS_SENDER = "identity.adapters.MemorySmsSender"
    MemorySmsSender.outbox.clear()
    yield MemorySmsSender.outbox
    MemorySmsSender.outbox.clear()

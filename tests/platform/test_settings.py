"""Configuration comes from the environment; production refuses to start without secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _load(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    secrets = {"SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"}
    clean = {k: v for k, v in os.environ.items() if k not in secrets}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.EMAIL_BACKEND, settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"])
def test_production_refuses_to_start_without_its_secrets(missing):
    given = {
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.org",
        "FIELD_ENCRYPTION_KEYS": "dGhpcy1pcy1hLWRlbW8tb25seS1rZXktMzItYnl0ZXM=",
        "BLIND_INDEX_KEY": "a-long-random-blind-index-key",
    }
    del given[missing]
    result = _load("cityportal.settings.production", **given)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_its_secrets():
    result = _load(
        "cityportal.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="example.org",
        DATABASE_URL="postgres://u@db:5432/cityportal",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.org:587",
        FIELD_ENCRYPTION_KEYS="dGhpcy1pcy1hLWRlbW8tb25seS1rZXktMzItYnl0ZXM=",
        BLIND_INDEX_KEY="a-long-random-blind-index-key",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "django.db.backends.postgresql",
    ]


def test_local_defaults_to_sqlite_and_console_email():
    result = _load("cityportal.settings.local", DATABASE_URL="", EMAIL_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.console.EmailBackend",
        "django.db.backends.sqlite3",
    ]


@pytest.mark.parametrize("name", ["th", "zh-hans", "en"])
def test_three_languages_are_offered(name):
    assert name in dict(settings.LANGUAGES)


def test_time_is_stored_in_utc():
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"

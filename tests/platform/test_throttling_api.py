"""Throttling is per user and per anonymous client IP, backed by the cache."""

import pytest
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

PING = "/api/v1/conventions/ping"
GADGETS = "/api/v1/conventions/gadgets"

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})


def test_anonymous_client_is_throttled_with_a_429_problem(api, low_rates):
    # given three requests allowed per minute
    for _ in range(3):
        assert api.get(PING).status_code == 200
    # when
    response = api.get(PING)
    # then
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_each_user_has_their_own_budget(citizen_api, low_rates):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    for _ in range(5):
        assert citizen_api.get(GADGETS).status_code == 200
    assert citizen_api.get(GADGETS).status_code == 429
    other = APIClient()
    other.force_authenticate(UserFactory.create())
    assert other.get(GADGETS).status_code == 200


def test_forwarded_for_is_ignored_without_a_configured_proxy(api, low_rates):
    # a client cannot escape the limit by inventing X-Forwarded-For addresses
    assert api_settings.NUM_PROXIES == 0
    for n in range(3):
        assert api.get(PING, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
    assert api.get(PING, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_forwarded_for_names_the_client_behind_one_proxy(api, low_rates, settings):
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        for _ in range(3):
            assert api.get(PING, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
        assert api.get(PING, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
        assert api.get(PING, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200

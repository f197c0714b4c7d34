"""/healthz and /readyz for the load balancer and the orchestrator."""

import pytest
from django.utils import timezone

from cityportal import health
from cityportal.heartbeat import record_worker_heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_database_and_broker(client):
    record_worker_heartbeat(worker="celery@box", now=timezone.now())
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["worker"]["name"] == "celery@box"
    assert body["worker"]["age_seconds"] < 5


def test_readyz_names_what_is_down_in_a_503_problem(client, monkeypatch):
    # given the broker cannot be reached
    monkeypatch.setattr(health, "_check_broker", lambda: {"status": "down"})
    # when
    response = client.get("/readyz")
    # then
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["down"] == ["broker"]
    assert "broker" in body["detail"]


def test_readyz_reports_an_unreachable_database(client, monkeypatch):
    class BrokenCursor:
        def __enter__(self):
            raise OSError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: BrokenCursor())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]


@pytest.mark.redis
def test_readyz_checks_the_real_broker(client, settings, monkeypatch):
    from cityportal.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    assert client.get("/readyz").json()["checks"]["broker"] == {"status": "ok"}
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


def test_probes_refuse_writes(client):
    assert client.post("/healthz").status_code == 405

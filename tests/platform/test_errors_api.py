"""Every error is RFC 9457 problem details with a stable code (cityportal/api/errors.py)."""

import logging

import pytest

from tests.conventions.models import Gadget

PROBLEM = "application/problem+json"
GADGETS = "/api/v1/conventions/gadgets"

pytestmark = pytest.mark.django_db


def assert_problem(response, *, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:cityportal:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body


def test_validation_error_lists_each_field(citizen_api):
    # given a body with a missing field, a value out of range and a bad nested item
    # when
    response = citizen_api.post(GADGETS, {"size": 0, "tags": ["ok", "toolong"]}, format="json")
    # then
    body = assert_problem(response, status=400, code="validation_error")
    assert body["instance"] == GADGETS
    assert sorted((e["field"], e["pointer"], e["code"]) for e in body["errors"]) == [
        ("name", "#/name", "required"),
        ("size", "#/size", "min_value"),
        ("tags.1", "#/tags/1", "max_length"),
    ]
    assert Gadget.objects.count() == 0


def test_malformed_json_is_a_400_problem(citizen_api):
    response = citizen_api.generic("POST", GADGETS, "{not json", content_type="application/json")
    assert_problem(response, status=400, code="malformed_request")


def test_unknown_url_is_a_404_problem(api):
    response = api.get("/api/v1/no-such-thing")
    body = assert_problem(response, status=404, code="not_found")
    assert body["instance"] == "/api/v1/no-such-thing"


def test_missing_object_is_a_404_problem(citizen_api):
    response = citizen_api.get(f"{GADGETS}/424242")
    assert_problem(response, status=404, code="not_found")


def test_wrong_method_is_a_405_problem(citizen_api):
    response = citizen_api.put(GADGETS, {}, format="json")
    body = assert_problem(response, status=405, code="method_not_allowed")
    assert "PUT" in body["detail"]


def test_unacceptable_accept_header_is_a_406_problem(api):
    response = api.get("/api/v1/conventions/ping", HTTP_ACCEPT="text/html")
    assert_problem(response, status=406, code="not_acceptable")


def test_unsupported_body_type_is_a_415_problem(citizen_api):
    response = citizen_api.generic("POST", GADGETS, "name=x", content_type="text/plain")
    body = assert_problem(response, status=415, code="unsupported_media_type")
    assert "text/plain" in body["detail"]
    assert Gadget.objects.count() == 0


def test_anonymous_write_is_a_401_problem_with_a_challenge(api):
    response = api.post(GADGETS, {"name": "a", "size": 1}, format="json")
    assert_problem(response, status=401, code="not_authenticated")
    assert response["WWW-Authenticate"] == 'X-Session-Token realm="api"'
    assert Gadget.objects.count() == 0


def test_bad_session_token_is_a_401_problem(api):
    response = api.get(GADGETS, HTTP_X_SESSION_TOKEN="not-a-real-token")
    assert_problem(response, status=401, code="authentication_failed")


def test_domain_error_keeps_its_code_and_extra_members(citizen_api):
    response = citizen_api.post(GADGETS, {"name": "a", "size": 99}, format="json")
    body = assert_problem(response, status=409, code="gadget_too_big")
    assert body["detail"] == "Ninety-nine is reserved."
    assert body["largest_allowed"] == 98
    assert Gadget.objects.count() == 0


def test_unhandled_exception_is_a_logged_500_problem_without_internals(api, caplog):
    # when
    with caplog.at_level(logging.ERROR, logger="cityportal.api"):
        response = api.get("/api/v1/conventions/boom")
    # then the client learns nothing of the internals
    body = assert_problem(response, status=500, code="server_error")
    text = response.content.decode()
    assert "hunter2" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert body["request_id"] == response["X-Request-ID"]
    # and the operator has the traceback in the log
    assert any("hunter2" in (record.exc_text or "") for record in caplog.records)

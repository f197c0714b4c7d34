"""Every response carries X-Request-ID; every log line carries the same id."""

import json
import logging
import uuid

import pytest
from pythonjsonlogger.json import JsonFormatter

pytestmark = pytest.mark.django_db


def test_request_id_is_generated_when_absent(api):
    response = api.get("/api/v1/conventions/ping")
    assert uuid.UUID(response["X-Request-ID"])


def test_request_id_from_the_caller_is_echoed(api):
    given = str(uuid.uuid4())
    response = api.get("/api/v1/conventions/ping", HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] == given


def test_forged_request_id_is_replaced(api):
    response = api.get("/api/v1/conventions/ping", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"
    assert uuid.UUID(response["X-Request-ID"])


def test_access_log_is_one_structured_json_line_per_request(citizen_api, citizen, settings):
    # given the production log format
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Capture()
    handler.setFormatter(JsonFormatter(**_json_formatter_options(settings.LOGGING)))
    handler.addFilter(_request_id_filter())
    logger = logging.getLogger("cityportal.access")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        # when
        response = citizen_api.get("/api/v1/conventions/gadgets?page_size=5")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    # then
    (line,) = records
    entry = json.loads(line)
    assert entry["request_id"] == response["X-Request-ID"]
    assert entry["user_id"] == citizen.pk
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/conventions/gadgets"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert entry["level"] == "INFO"


def _json_formatter_options(logging_config: dict) -> dict:
    options = dict(logging_config["formatters"]["json"])
    options.pop("()")
    options["fmt"] = options.pop("format")
    return options


def _request_id_filter() -> logging.Filter:
    from django_guid.log_filters import CorrelationId

    return CorrelationId()

"""Helpers shared by the applications tests: applying through the API, a service with a rule
set, snapshots for "nothing changed"."""

import datetime
import uuid
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from cityportal.notifications.models import Message
from payments.models import Bill
from services.models import Application, ApplicationEvent, Evidence, Service, Upload
from tests.factories import CheckFactory, RuleSetFactory, ServiceFactory

APPLICATIONS = "/api/v1/applications"
UPLOADS = "/api/v1/uploads"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def apply(
    client: APIClient,
    service: Service | str,
    data: dict[str, Any] | None = None,
    *,
    evidence: list[dict[str, Any]] | None = None,
    key: str | None = None,
    acting_for: str | None = None,
    **extra: Any,
) -> Any:
    body: dict[str, Any] = {
        "service": service if isinstance(service, str) else service.code,
        "data": {"children": 1} if data is None else data,
        **extra,
    }
    if evidence is not None:
        body["evidence"] = evidence
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    if acting_for:
        headers["X-Acting-For"] = acting_for
    return client.post(APPLICATIONS, body, format="json", headers=headers)


def detail_path(application: Application | str, suffix: str = "") -> str:
    public_id = application if isinstance(application, str) else application.public_id
    return f"{APPLICATIONS}/{public_id}{suffix}"


def with_rules(service: Service) -> Service:
    """Adults only (reject), and more than three children goes to an officer."""
    rule_set = RuleSetFactory.create(service=service)
    CheckFactory.create(rule_set=rule_set, code="adult", position=1)
    CheckFactory.create(
        rule_set=rule_set,
        code="few-children",
        position=2,
        title_en="At most three children",
        expression={"<=": [{"var": "data.children"}, 3]},
        on_fail="manual_review",
        reason_template_en="{{data.children}} children need an officer's look.",
        reason_template_th="มีบุตร {{data.children}} คน ต้องให้เจ้าหน้าที่พิจารณา",
        reason_template_zh_hans="{{data.children}} 个孩子需要人工审核。",
    )
    return service


def automatic_service(agency: Any, **fields: Any) -> Service:
    return with_rules(ServiceFactory.create(agency=agency, **fields))


def snapshot() -> dict[str, Any]:
    """What a refused request must leave as it was."""
    return {
        "applications": list(
            Application.objects.order_by("pk").values_list("pk", "status", "round", "data")
        ),
        "events": ApplicationEvent.objects.count(),
        "evidence": Evidence.objects.count(),
        "uploads": Upload.objects.count(),
        "bills": list(Bill.objects.order_by("pk").values_list("pk", "status")),
        "messages": Message.objects.count(),
    }


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)

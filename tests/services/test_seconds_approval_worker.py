"""Acceptance: seconds approval with a real Celery worker on Redis and PostgreSQL. Through the
HTTP API, an application that meets the rules is approved, one that fails a reject-check is
rejected with the reason in the applicant's language, one with missing data goes to manual
review; each decision record lists every check of the rule set."""

import datetime
import time

import pytest

from services.models import Application, DecisionRecord
from tests.conftest import client_for
from tests.factories import PersonFactory
from tests.services.applications_support import apply, automatic_service, detail_path

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

DECIDED = {"approved", "rejected", "manual_review", "returned"}


def _decided(public_id: str, timeout: float = 10.0) -> Application:
    """Poll the database until the worker has decided the application."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        application = Application.objects.get(public_id=public_id)
        if application.status in DECIDED:
            return application
        time.sleep(0.05)
    raise AssertionError(f"{public_id} not decided within {timeout}s: {application.status}")


def _born_years_ago(years: int) -> datetime.date:
    return datetime.date(datetime.date.today().year - years, 1, 1)


def test_the_worker_decides_by_the_rules(celery_worker, agency):
    # given a service with a reject-check (adults only) and a manual-review check
    service = automatic_service(agency)
    adult = PersonFactory.create(preferred_language="en")
    thai_child = PersonFactory.create(preferred_language="th", date_of_birth=_born_years_ago(10))
    chinese_child = PersonFactory.create(
        preferred_language="zh-hans", date_of_birth=_born_years_ago(12)
    )
    unknown_age = PersonFactory.create(date_of_birth=None)
    applicants = [adult, thai_child, chinese_child, unknown_age]
    # when each applies through the API
    created = []
    for person in applicants:
        response = apply(client_for(person.user), service, {"children": 1})
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "checking"
        created.append(response.json()["id"])
    # then the worker decides each within seconds
    decided = [_decided(public_id) for public_id in created]
    assert [a.status for a in decided] == ["approved", "rejected", "rejected", "manual_review"]
    records = {r.application_id: r for r in DecisionRecord.objects.all()}
    for application in decided:
        record = records[application.pk]
        assert [c["code"] for c in record.checks] == ["adult", "few-children"]
        assert record.rule_set_version is not None
        assert record.language == application.language
    assert records[decided[0].pk].reasons == []
    assert records[decided[1].pk].reasons == ["ผู้ยื่นคำขออายุ 10 ปี อายุขั้นต่ำคือ 18 ปี"]
    assert records[decided[2].pk].reasons == ["申请人年龄为 12 岁，最低年龄为 18 岁。"]
    missing = records[decided[3].pk]
    assert [c["result"] for c in missing.checks] == ["missing", "pass"]
    assert missing.checks[0]["missing"] == ["applicant.age"]
    assert decided[3].deadline is not None
    # and the applicant reads the decision and its reasons in their language
    detail = client_for(thai_child.user).get(detail_path(created[1])).json()
    assert detail["status"] == "rejected"
    assert detail["decision"]["reasons"] == ["ผู้ยื่นคำขออายุ 10 ปี อายุขั้นต่ำคือ 18 ปี"]
    assert detail["allowed_actions"] == ["request_review"]

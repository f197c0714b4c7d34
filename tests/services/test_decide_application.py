"""Automatic decisions at the action level: the outcome, the decision record and the notice."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityportal.notifications.models import Message
from services.actions.decisions import decide_application
from services.actions.rulesets import retire_rule_set
from services.models import Application, DecisionRecord
from tests.factories import CheckFactory, PersonFactory, RuleSetFactory

pytestmark = pytest.mark.django_db


def _checking(service, person, data):
    return Application.objects.create(
        reference=f"APP-T-{Application.objects.count() + 1}",
        service=service,
        applicant=person,
        submitted_by=person,
        status=Application.Status.CHECKING,
        data=data,
        round=1,
        language=person.preferred_language,
    )


@pytest.fixture
def rule_set():
    rule_set = RuleSetFactory.create()
    CheckFactory.create(rule_set=rule_set, code="adult")
    CheckFactory.create(
        rule_set=rule_set,
        code="few-children",
        expression={"<=": [{"var": "data.children"}, 3]},
        on_fail="manual_review",
        reason_template_en="{{data.children}} children need an officer's look.",
    )
    return rule_set


def test_an_application_that_meets_the_rules_is_approved(rule_set):
    # given
    person = PersonFactory.create()
    application = _checking(rule_set.service, person, {"children": 1})
    # when
    decide_application(application_id=application.pk)
    # then
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.decided_by == "rules"
    record = DecisionRecord.objects.get(application=application)
    assert record.outcome == "approved"
    assert record.rule_set_version == rule_set.version
    assert [c["code"] for c in record.checks] == ["adult", "few-children"]
    assert [c["result"] for c in record.checks] == ["pass", "pass"]
    assert record.checks[0]["values"] == {"applicant.age": record.inputs["applicant"]["age"]}
    assert list(application.events.values_list("to_status", flat=True)) == ["approved"]
    assert Message.objects.get(recipient=person).kind == "application.approved"


def test_a_failed_reject_check_rejects_with_the_reason_in_the_applicants_language(rule_set):
    person = PersonFactory.create(
        preferred_language="th", date_of_birth=datetime.date.today() - datetime.timedelta(days=3650)
    )
    application = _checking(rule_set.service, person, {"children": 1})

    decide_application(application_id=application.pk)

    application.refresh_from_db()
    assert application.status == "rejected"
    record = DecisionRecord.objects.get(application=application)
    assert record.reasons == ["ผู้ยื่นคำขออายุ 9 ปี อายุขั้นต่ำคือ 18 ปี"]
    assert [c["result"] for c in record.checks] == ["fail", "pass"]


def test_missing_data_goes_to_manual_review_not_rejection(rule_set):
    person = PersonFactory.create(date_of_birth=None)
    application = _checking(rule_set.service, person, {"children": 1})

    decide_application(application_id=application.pk)

    application.refresh_from_db()
    assert application.status == "manual_review"
    assert application.deadline is not None
    record = DecisionRecord.objects.get(application=application)
    assert record.checks[0]["result"] == "missing"
    assert record.checks[0]["missing"] == ["applicant.age"]


def test_deciding_twice_writes_one_record(rule_set):
    application = _checking(rule_set.service, PersonFactory.create(), {"children": 5})

    decide_application(application_id=application.pk)
    decide_application(application_id=application.pk)

    assert DecisionRecord.objects.filter(application=application).count() == 1
    assert Application.objects.get(pk=application.pk).status == "manual_review"


def test_a_retired_rule_set_decides_nothing_more_though_it_decided_a_moment_ago(rule_set):
    # given a decision by the rule set (which is then kept in memory)
    person = PersonFactory.create()
    decide_application(application_id=_checking(rule_set.service, person, {"children": 1}).pk)
    # when it is retired
    retire_rule_set(rule_set=rule_set, by=None)
    application = _checking(rule_set.service, person, {"children": 1})
    decide_application(application_id=application.pk)
    # then the next application goes to an officer, by no rule set
    record = DecisionRecord.objects.get(application=application)
    assert (record.outcome, record.rule_set_id) == ("manual_review", None)


def test_the_next_decision_follows_a_newly_published_rule_set(rule_set):
    person = PersonFactory.create()
    decide_application(application_id=_checking(rule_set.service, person, {"children": 1}).pk)
    # when a new version takes over
    retire_rule_set(rule_set=rule_set, by=None)
    newer = RuleSetFactory.create(service=rule_set.service, version=99)
    CheckFactory.create(rule_set=newer, code="newer-adult")
    application = _checking(rule_set.service, person, {"children": 1})
    decide_application(application_id=application.pk)
    # then
    record = DecisionRecord.objects.get(application=application)
    assert (record.rule_set_id, record.rule_set_version) == (newer.pk, 99)
    assert [c["code"] for c in record.checks] == ["newer-adult"]


def test_a_decision_locks_the_application_then_reads_it_with_the_rule_set_in_force(rule_set):
    person = PersonFactory.create()
    decide_application(application_id=_checking(rule_set.service, person, {"children": 1}).pk)
    application = _checking(rule_set.service, person, {"children": 1})
    with CaptureQueriesContext(connection) as queries:
        decide_application(application_id=application.pk)
    statements = [q["sql"] for q in queries]
    locking = [sql for sql in statements if "FOR UPDATE" in sql]
    reading_rule_sets = [sql for sql in statements if '"services_ruleset"' in sql]
    assert len(locking) == 1
    assert "JOIN" not in locking[0]  # the application's id alone
    assert len(reading_rule_sets) == 1  # with the application, its service and applicant
    assert '"services_service"' in reading_rule_sets[0]

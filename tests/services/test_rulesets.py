"""Rule sets at the action level: validating checks, running test cases, publishing (refused
while anything is wrong), retiring and drafting the next version."""

import datetime
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from services.actions import rulesets
from services.actions.decisions import rule_set_in_force
from services.actions.rulesets import (
    RuleSetNotEditable,
    RuleSetNotRetirable,
    draft_new_version,
    ensure_editable,
    publish_rule_set,
    retire_rule_set,
    run_test_cases,
    validate_check,
)
from services.errors import RuleSetNotPublishable
from services.models import Check, RuleSet, RuleTestCase
from tests.factories import (
    CheckFactory,
    RuleSetFactory,
    RuleTestCaseFactory,
    ServiceFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    return StaffFactory.create()


@pytest.fixture
def draft():
    """A draft with the adult check and a passing test case."""
    rule_set = RuleSetFactory.create(status="draft", version=2)
    CheckFactory.create(rule_set=rule_set, code="adult")
    RuleTestCaseFactory.create(rule_set=rule_set, name="adult with a child")
    return rule_set


def _state(rule_set):
    rule_set.refresh_from_db()
    return (rule_set.status, rule_set.published_at, rule_set.effective_until)


# Validation ------------------------------------------------------------------------------


def test_a_valid_check_passes():
    check = CheckFactory.create(expression={"<=": [{"var": "data.children"}, 3]})
    check.reason_template_en = "{{data.children}} children are too many."
    check.reason_template_th = "ลูก {{data.children}} คน"
    check.reason_template_zh_hans = "{{ data.children }} 个孩子"
    validate_check(check)  # no error


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"<=": [{"var": "data.x"}, 3]}, 'Unknown variable "data.x".'),
        ({"foo": [1, 2]}, '/: unknown operator "foo".'),
        (
            {"all": [{"var": "data.children"}, {">": [{"var": ""}, 0]}]},
            '/: unknown operator "all".',
        ),
        ({">=": [1], "<": [2]}, "/: an operation has exactly one operator, not 2."),
        ("yes", 'A check must be a JsonLogic operation (an object such as {">=": [...]}).'),
    ],
)
def test_an_invalid_expression_is_refused_with_a_message_naming_the_problem(expression, message):
    check = CheckFactory.build(
        rule_set=RuleSetFactory.create(status="draft"), expression=expression
    )
    check.reason_template_en = check.reason_template_th = check.reason_template_zh_hans = "No."

    with pytest.raises(ValidationError) as refused:
        validate_check(check)

    assert refused.value.message_dict == {"expression": [message]}


def test_a_reason_showing_a_value_the_check_does_not_read_is_refused():
    check = CheckFactory.build(rule_set=RuleSetFactory.create(status="draft"))
    check.reason_template_th = "{{data.children}} คน"
    check.reason_template_zh_hans = "{{data.nope}}"

    with pytest.raises(ValidationError) as refused:
        validate_check(check)

    assert refused.value.message_dict == {
        "reason_template_th": [
            'The reason shows "{{data.children}}", which the check does not read: it would be '
            "empty. Show a variable the expression reads."
        ],
        "reason_template_zh_hans": ['The reason uses an unknown variable "{{data.nope}}".'],
    }


def test_a_published_rule_set_is_not_editable(draft):
    ensure_editable(draft)  # a draft is
    with pytest.raises(RuleSetNotEditable):
        ensure_editable(RuleSetFactory.create(status="published"))
    with pytest.raises(RuleSetNotEditable):
        ensure_editable(RuleSetFactory.create(status="retired"))


# Test cases ------------------------------------------------------------------------------


def test_running_test_cases_keeps_each_outcome(draft):
    failing = RuleTestCaseFactory.create(
        rule_set=draft, name="child", facts={"applicant": {"age": 9}}, expected_outcome="approved"
    )
    missing = RuleTestCaseFactory.create(
        rule_set=draft, name="no age", facts={}, expected_outcome="manual_review"
    )

    results = run_test_cases(draft)

    assert [(r.test_case.name, r.outcome, r.passed) for r in results] == [
        ("adult with a child", "approved", True),
        ("child", "rejected", False),
        ("no age", "manual_review", True),
    ]
    failing.refresh_from_db()
    missing.refresh_from_db()
    assert (failing.last_outcome, failing.passed) == ("rejected", False)
    assert (missing.last_outcome, missing.passed) == ("manual_review", True)
    assert failing.last_run_at is not None


def test_test_cases_see_credentials_level_of_assurance_and_today(draft):
    CheckFactory.create(
        rule_set=draft,
        code="card-and-high",
        expression={
            "and": [
                {"var": "applicant.credentials.residence-permit"},
                {">=": [{"var": "applicant.loa_rank"}, 2]},
                {"<": [{"var": "today"}, "2999-01-01"]},
            ]
        },
        on_fail="manual_review",
        reason_template_en="Needs a look.",
    )
    with_card = RuleTestCaseFactory.create(
        rule_set=draft,
        facts={
            "applicant": {
                "age": 40,
                "level_of_assurance": "high",
                "credentials": {"residence-permit": True},
            }
        },
    )
    without = RuleTestCaseFactory.create(
        rule_set=draft, facts={"applicant": {"age": 40}}, expected_outcome="manual_review"
    )

    results = {r.test_case.pk: r for r in run_test_cases(draft)}

    assert (results[with_card.pk].outcome, results[without.pk].outcome) == (
        "approved",
        "manual_review",
    )


# Publishing ------------------------------------------------------------------------------


def test_publishing_a_rule_set_with_a_failing_test_case_is_refused(draft, supervisor):
    # given
    RuleTestCaseFactory.create(
        rule_set=draft, name="child", facts={"applicant": {"age": 9}}, expected_outcome="approved"
    )
    before = _state(draft)
    # when
    with pytest.raises(RuleSetNotPublishable) as refused:
        publish_rule_set(rule_set=draft, by=supervisor)
    # then
    assert refused.value.extra["problems"] == [
        'Test case "child" expects approved but gives rejected.'
    ]
    assert "child" in str(refused.value.detail)
    assert _state(draft) == before == ("draft", None, None)


def test_publishing_without_test_cases_is_refused(supervisor):
    rule_set = RuleSetFactory.create(status="draft")
    CheckFactory.create(rule_set=rule_set)

    with pytest.raises(RuleSetNotPublishable) as refused:
        publish_rule_set(rule_set=rule_set, by=supervisor)

    assert refused.value.extra["problems"] == [
        "It has no test cases; add at least one (input → expected outcome)."
    ]
    assert _state(rule_set)[0] == "draft"


def test_publishing_without_checks_is_refused(supervisor):
    rule_set = RuleSetFactory.create(status="draft")
    RuleTestCaseFactory.create(rule_set=rule_set)

    with pytest.raises(RuleSetNotPublishable) as refused:
        publish_rule_set(rule_set=rule_set, by=supervisor)

    assert refused.value.extra["problems"] == ["It has no checks."]
    assert _state(rule_set)[0] == "draft"


def test_publishing_with_an_invalid_check_is_refused(draft, supervisor):
    CheckFactory.create(
        rule_set=draft,
        code="bad",
        expression={"==": [{"var": "data.x"}, 1]},
        reason_template_en="Bad.",
    )

    with pytest.raises(RuleSetNotPublishable) as refused:
        publish_rule_set(rule_set=draft, by=supervisor)

    assert refused.value.extra["problems"] == ['Check "bad": Unknown variable "data.x".']
    assert _state(draft)[0] == "draft"


def test_only_a_draft_is_published(supervisor):
    published = RuleSetFactory.create(status="published")
    with pytest.raises(RuleSetNotPublishable) as refused:
        publish_rule_set(rule_set=published, by=supervisor)
    assert str(refused.value.detail) == "Only a draft can be published; this rule set is published."


def test_publishing_ends_the_rule_set_in_force(draft, supervisor):
    # given
    old = RuleSetFactory.create(service=draft.service, version=1)
    # when
    published = publish_rule_set(rule_set=draft, by=supervisor)
    # then
    old.refresh_from_db()
    assert (published.status, published.published_by) == ("published", supervisor)
    assert published.published_at == published.effective_from
    assert (old.status, old.effective_until) == ("retired", published.effective_from)
    assert rule_set_in_force(draft.service, timezone.now()) == published


def test_a_future_dated_publish_leaves_the_current_rules_in_force_until_then(draft, supervisor):
    # given
    old = RuleSetFactory.create(service=draft.service, version=1)
    starts = timezone.now() + datetime.timedelta(days=7)
    # when
    publish_rule_set(rule_set=draft, by=supervisor, effective_from=starts)
    # then
    old.refresh_from_db()
    draft.refresh_from_db()
    assert (old.status, old.effective_until) == ("published", starts)
    assert (draft.status, draft.effective_from) == ("published", starts)
    assert rule_set_in_force(draft.service, timezone.now()) == old
    assert rule_set_in_force(draft.service, starts - datetime.timedelta(seconds=1)) == old
    assert rule_set_in_force(draft.service, starts) == draft


def test_publishing_over_a_scheduled_rule_set_is_refused(draft, supervisor):
    scheduled = RuleSetFactory.create(
        service=draft.service,
        version=1,
        effective_from=timezone.now() + datetime.timedelta(days=7),
    )

    with pytest.raises(RuleSetNotPublishable) as refused:
        publish_rule_set(rule_set=draft, by=supervisor)

    assert str(refused.value.detail).startswith("Version 1 is already published from ")
    assert _state(draft)[0] == "draft"
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.effective_until) == ("published", None)


def test_a_publish_dated_in_the_past_is_refused(draft, supervisor):
    with pytest.raises(RuleSetNotPublishable):
        publish_rule_set(
            rule_set=draft,
            by=supervisor,
            effective_from=timezone.now() - datetime.timedelta(days=1),
        )
    assert _state(draft)[0] == "draft"


def test_the_second_publish_after_a_scheduled_one_takes_over_at_its_time(draft, supervisor):
    # v1 in force; v2 scheduled next week; v3 scheduled in two weeks ends v2 then.
    v1 = RuleSetFactory.create(service=draft.service, version=1)
    week = timezone.now() + datetime.timedelta(days=7)
    publish_rule_set(rule_set=draft, by=supervisor, effective_from=week)
    v3 = draft_new_version(rule_set=draft, by=supervisor)

    publish_rule_set(rule_set=v3, by=supervisor, effective_from=week + datetime.timedelta(days=7))

    draft.refresh_from_db()
    v1.refresh_from_db()
    assert v1.effective_until == week
    assert draft.effective_until == week + datetime.timedelta(days=7)
    assert rule_set_in_force(draft.service, week + datetime.timedelta(days=8)) == v3


# Retiring and new versions ---------------------------------------------------------------


def test_retiring_takes_the_rule_set_out_of_force(supervisor):
    rule_set = RuleSetFactory.create()

    retire_rule_set(rule_set=rule_set, by=supervisor)

    rule_set.refresh_from_db()
    assert rule_set.status == "retired"
    assert rule_set.effective_until is not None
    assert rule_set_in_force(rule_set.service, timezone.now()) is None


def test_only_a_published_rule_set_is_retired(draft, supervisor):
    with pytest.raises(RuleSetNotRetirable):
        retire_rule_set(rule_set=draft, by=supervisor)
    assert _state(draft)[0] == "draft"


def test_a_new_version_copies_checks_and_test_cases(supervisor):
    # given
    service = ServiceFactory.create()
    published = RuleSetFactory.create(service=service, version=3, notes="Act of 2024")
    CheckFactory.create(rule_set=published, code="adult", position=0)
    CheckFactory.create(
        rule_set=published,
        code="few",
        position=1,
        expression={"<=": [{"var": "data.children"}, 3]},
        on_fail="manual_review",
        reason_template_th="ลูก {{data.children}} คน",
    )
    RuleTestCaseFactory.create(rule_set=published, name="adult")
    run_test_cases(published)
    # when
    new = draft_new_version(rule_set=published, by=supervisor)
    # then
    assert (new.version, new.status, new.notes) == (4, "draft", "Act of 2024")
    copied = list(new.checks.order_by("position"))
    assert [(c.code, c.on_fail, c.expression) for c in copied] == [
        ("adult", "reject", {">=": [{"var": "applicant.age"}, 18]}),
        ("few", "manual_review", {"<=": [{"var": "data.children"}, 3]}),
    ]
    assert copied[0].title_zh_hans == "申请人已成年"
    assert copied[1].reason_template_th == "ลูก {{data.children}} คน"
    case = RuleTestCase.objects.get(rule_set=new)
    assert (case.name, case.last_outcome, case.last_run_at) == ("adult", "", None)
    assert Check.objects.filter(rule_set=published).count() == 2  # the original is untouched
    assert RuleSet.objects.get(pk=published.pk).status == "published"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_publishes_at_once_leave_one_rule_set_in_force(monkeypatch):
    # given: v1 in force, two drafts published at the same moment, each slow to check
    service = ServiceFactory.create()
    RuleSetFactory.create(service=service, version=1)
    drafts = []
    for version in (2, 3):
        draft = RuleSetFactory.create(service=service, version=version, status="draft")
        CheckFactory.create(rule_set=draft, code="adult")
        RuleTestCaseFactory.create(rule_set=draft)
        drafts.append(draft)
    supervisor = StaffFactory.create()
    start = threading.Barrier(len(drafts))
    run = rulesets.run_test_cases

    def slow_run(rule_set):
        time.sleep(0.3)  # both would be inside their transactions now, without the lock
        return run(rule_set)

    monkeypatch.setattr(rulesets, "run_test_cases", slow_run)

    def publish(rule_set):
        start.wait()
        try:
            return publish_rule_set(rule_set=rule_set, by=supervisor).status
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
        statuses = list(pool.map(publish, drafts))
    # then: the later one replaced the earlier one
    assert statuses == ["published", "published"]
    now = timezone.now()
    in_force = [
        r.version
        for r in RuleSet.objects.filter(service=service)
        if r.is_effective_at(now) and r.status == "published"
    ]
    assert len(in_force) == 1
    current = rule_set_in_force(service, now)
    assert current is not None
    assert current.version == in_force[0]
    assert RuleSet.objects.filter(service=service, status="retired").count() == 2

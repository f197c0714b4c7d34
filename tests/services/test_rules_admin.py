"""Rule sets in admin: checks validated on save with a message naming the problem, test cases,
the publish / run / draft / retire actions, and who may see and change what."""

import html
import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from identity.models import Membership
from services.models import Check, RuleSet
from tests.conftest import sign_in_to_admin
from tests.factories import (
    CheckFactory,
    MembershipFactory,
    RuleSetFactory,
    RuleTestCaseFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

RULE_PERMISSIONS = [
    f"{verb}_{model}"
    for verb in ("view", "add", "change", "delete")
    for model in ("ruleset", "check", "ruletestcase")
]


def _staff(agency, role):
    user = MembershipFactory.create(agency=agency, role=role).user
    user.user_permissions.add(*Permission.objects.filter(codename__in=RULE_PERMISSIONS))
    return sign_in_to_admin(Client(), user), user


@pytest.fixture
def service():
    return ServiceFactory.create()


@pytest.fixture
def supervisor(service):
    return _staff(service.agency, Membership.Role.SUPERVISOR)


@pytest.fixture
def browser(supervisor):
    return supervisor[0]


@pytest.fixture
def draft(service):
    rule_set = RuleSetFactory.create(service=service, status="draft", version=1)
    CheckFactory.create(rule_set=rule_set, code="adult")
    RuleTestCaseFactory.create(rule_set=rule_set, name="adult with a child")
    return rule_set


def _url(rule_set=None, suffix="change/"):
    if rule_set is None:
        return "/admin/services/ruleset/"
    return f"/admin/services/ruleset/{rule_set.pk}/{suffix}"


def _check_form(rule_set, expression, **overrides):
    """The change form of a draft without checks, adding one check."""
    start = timezone.localtime(rule_set.effective_from)
    form = {
        "effective_from_0": start.strftime("%Y-%m-%d"),
        "effective_from_1": start.strftime("%H:%M:%S"),
        "effective_until_0": "",
        "effective_until_1": "",
        "notes": "",
        "checks-TOTAL_FORMS": "1",
        "checks-INITIAL_FORMS": "0",
        "checks-MIN_NUM_FORMS": "0",
        "checks-MAX_NUM_FORMS": "1000",
        "checks-0-id": "",
        "checks-0-rule_set": str(rule_set.pk),
        "checks-0-position": "0",
        "checks-0-code": "few-children",
        "checks-0-title_en": "Few children",
        "checks-0-title_th": "ลูกไม่มาก",
        "checks-0-title_zh_hans": "孩子不多",
        "checks-0-expression": json.dumps(expression),
        "checks-0-on_fail": "manual_review",
        "checks-0-reason_template_en": "{{data.children}} children need an officer.",
        "checks-0-reason_template_th": "ลูก {{data.children}} คน",
        "checks-0-reason_template_zh_hans": "{{data.children}} 个孩子",
        "checks-0-legal_basis": "",
        "test_cases-TOTAL_FORMS": "0",
        "test_cases-INITIAL_FORMS": "0",
        "test_cases-MIN_NUM_FORMS": "0",
        "test_cases-MAX_NUM_FORMS": "1000",
    }
    form.update(overrides)
    return form


# Validation on save ----------------------------------------------------------------------


def test_a_valid_check_is_saved(browser, service):
    rule_set = RuleSetFactory.create(service=service, status="draft")

    response = browser.post(
        _url(rule_set), _check_form(rule_set, {"<=": [{"var": "data.children"}, 3]})
    )

    assert response.status_code == 302
    check = Check.objects.get(rule_set=rule_set)
    assert (check.code, check.expression, check.title_th) == (
        "few-children",
        {"<=": [{"var": "data.children"}, 3]},
        "ลูกไม่มาก",
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"<=": [{"var": "data.x"}, 3]}, 'Unknown variable "data.x".'),
        ({"foo": [{"var": "data.children"}, 3]}, '/: unknown operator "foo".'),
        ({"some": [{"var": "data.children"}, 3]}, '/: unknown operator "some".'),
    ],
)
def test_an_invalid_expression_is_refused_on_save_with_a_message_naming_the_problem(
    browser, service, expression, message
):
    # given
    rule_set = RuleSetFactory.create(service=service, status="draft")
    # when
    response = browser.post(
        _url(rule_set),
        _check_form(rule_set, expression, **{"checks-0-reason_template_en": "Too many."}),
    )
    # then
    assert response.status_code == 200
    assert html.escape(message) in response.content.decode()
    assert not Check.objects.filter(rule_set=rule_set).exists()


def test_an_expression_that_is_not_json_is_refused(browser, service):
    rule_set = RuleSetFactory.create(service=service, status="draft")

    response = browser.post(
        _url(rule_set),
        _check_form(rule_set, {}, **{"checks-0-expression": '{"<=": [{"var": "data.children"}'}),
    )

    assert response.status_code == 200
    assert "Enter a valid JSON." in response.content.decode()
    assert not Check.objects.filter(rule_set=rule_set).exists()


def test_a_reason_showing_a_value_the_check_does_not_read_is_refused_on_save(browser, service):
    rule_set = RuleSetFactory.create(service=service, status="draft")

    response = browser.post(
        _url(rule_set),
        _check_form(
            rule_set,
            {">=": [{"var": "applicant.age"}, 18]},
            **{"checks-0-reason_template_th": "อายุ {{data.children}}"},
        ),
    )

    assert response.status_code == 200
    assert html.escape('The reason shows "{{data.children}}"') in response.content.decode()
    assert not Check.objects.filter(rule_set=rule_set).exists()


def test_the_expression_help_lists_the_variables_of_the_form(browser, draft):
    page = browser.get(_url(draft)).content.decode()

    assert 'name="_publish"' in page
    for name in ("data.children", "data.reason", "applicant.age", "applicant.credentials.&lt;type"):
        assert f"<code>{name}" in page


# Actions ---------------------------------------------------------------------------------


def _act(browser, action, *rule_sets):
    return browser.post(
        _url(),
        {"action": action, "_selected_action": [r.pk for r in rule_sets]},
        follow=True,
    )


def _messages(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_publishing_with_a_failing_test_case_shows_the_error_and_changes_nothing(browser, draft):
    # given
    RuleTestCaseFactory.create(
        rule_set=draft, name="child", facts={"applicant": {"age": 9}}, expected_outcome="approved"
    )
    # when
    response = _act(browser, "publish", draft)
    # then
    assert response.status_code == 200
    assert _messages(response) == [
        (
            "error",
            f"{draft}: Rule set v1 cannot be published: "
            'Test case "child" expects approved but gives rejected.',
        )
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == ("draft", None)


def test_publishing_a_rule_set_whose_test_cases_pass(browser, supervisor, draft):
    old = RuleSetFactory.create(service=draft.service, version=7)

    response = _act(browser, "publish", draft)

    assert [level for level, _text in _messages(response)] == ["success"]
    draft.refresh_from_db()
    old.refresh_from_db()
    assert (draft.status, draft.published_by) == ("published", supervisor[1])
    assert (old.status, old.effective_until) == ("retired", draft.effective_from)


def test_running_test_cases_shows_and_keeps_the_results(browser, draft):
    failing = RuleTestCaseFactory.create(
        rule_set=draft, name="child", facts={"applicant": {"age": 9}}, expected_outcome="approved"
    )

    response = _act(browser, "run_test_cases", draft)

    assert _messages(response) == [
        (
            "error",
            f'{draft}: 1 of 2 test cases pass. "child" expects approved but gives rejected.',
        )
    ]
    failing.refresh_from_db()
    assert failing.last_outcome == "rejected"
    assert "1 of 2 pass" in browser.get(_url()).content.decode()
    assert "✘ rejected (fail)" in browser.get(_url(draft)).content.decode()


def test_drafting_a_new_version_and_retiring(browser, service):
    published = RuleSetFactory.create(service=service, version=1)
    CheckFactory.create(rule_set=published, code="adult")

    _act(browser, "draft_new_version", published)
    _act(browser, "retire", published)

    new = RuleSet.objects.get(service=service, version=2)
    assert (new.status, list(new.checks.values_list("code", flat=True))) == ("draft", ["adult"])
    published.refresh_from_db()
    assert published.status == "retired"


def test_adding_a_rule_set_numbers_the_next_version(browser, service):
    RuleSetFactory.create(service=service, version=4)
    now = timezone.localtime()
    form = _check_form(RuleSetFactory.build(service=service, effective_from=now), {})
    form.update(
        {"service": str(service.pk), "checks-TOTAL_FORMS": "0", "test_cases-TOTAL_FORMS": "0"}
    )

    response = browser.post("/admin/services/ruleset/add/", form)

    assert response.status_code == 302
    assert RuleSet.objects.get(service=service, version=5).status == "draft"


# Who may do what -------------------------------------------------------------------------


def test_a_published_rule_set_is_read_only(browser, service):
    published = RuleSetFactory.create(service=service)
    check = CheckFactory.create(rule_set=published, code="adult")

    page = browser.get(_url(published))
    refused = browser.post(
        _url(published),
        _check_form(published, {"==": [1, 1]}, **{"checks-0-code": "sneaky"}),
    )

    assert page.status_code == 200
    assert 'name="checks-0-expression"' not in page.content.decode()
    assert 'name="_publish"' not in page.content.decode()
    assert refused.status_code == 403
    assert list(published.checks.all()) == [check]


def test_an_officer_may_look_but_not_change(service, draft):
    browser, _officer = _staff(service.agency, Membership.Role.OFFICER)

    page = browser.get(_url(draft))
    refused = browser.post(_url(draft), _check_form(draft, {"==": [1, 1]}))
    published = _act(browser, "publish", draft)

    assert page.status_code == 200
    assert 'name="checks-0-expression"' not in page.content.decode()
    assert refused.status_code == 403
    assert published.context["action_form"] is None  # no action is offered to an officer
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_supervisor_of_another_agency_cannot_see_the_rule_set(draft):
    browser, _user = _staff(ServiceFactory.create().agency, Membership.Role.SUPERVISOR)

    listing = browser.get(_url()).content.decode()
    page = browser.get(_url(draft))
    _act(browser, "publish", draft)

    assert str(draft) not in listing
    assert page.status_code == 302  # "does not exist", like any id that is not theirs
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_list_is_not_n_plus_one(browser, service, django_assert_max_num_queries):
    for version in range(1, 6):
        rule_set = RuleSetFactory.create(service=service, version=version, status="draft")
        RuleTestCaseFactory.create_batch(2, rule_set=rule_set)

    with django_assert_max_num_queries(14):
        response = browser.get(_url())

    assert response.status_code == 200


def test_save_and_publish_from_the_change_page(browser, service):
    # given: a draft with a test case that the check being added makes pass
    rule_set = RuleSetFactory.create(service=service, status="draft")
    RuleTestCaseFactory.create(
        rule_set=rule_set, data={"children": 5}, expected_outcome="manual_review"
    )
    form = _check_form(rule_set, {"<=": [{"var": "data.children"}, 3]}, _publish="1")
    # when
    response = browser.post(_url(rule_set), form, follow=True)
    # then
    ((level, text),) = _messages(response)
    assert (level, text.startswith(f"{rule_set} is published, in force from ")) == ("success", True)
    rule_set.refresh_from_db()
    assert rule_set.status == "published"
    assert rule_set.checks.get().code == "few-children"


def test_save_and_run_the_test_cases_from_the_change_page(browser, service):
    rule_set = RuleSetFactory.create(service=service, status="draft")
    case = RuleTestCaseFactory.create(rule_set=rule_set, data={"children": 5})
    form = _check_form(rule_set, {"<=": [{"var": "data.children"}, 3]}, _run_test_cases="1")

    response = browser.post(_url(rule_set), form, follow=True)

    assert response.redirect_chain == [(_url(rule_set), 302)]
    case.refresh_from_db()
    assert case.last_outcome == "manual_review"
    rule_set.refresh_from_db()
    assert rule_set.status == "draft"

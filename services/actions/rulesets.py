"""Rule sets: validating checks on save, running a rule set's test cases, publishing a version
(one published rule set in force at a time), retiring it, and drafting the next version.

A published or retired rule set never changes: its checks explain decisions already made. To
change the rules, draft a new version, edit it, and publish it.
"""

import datetime
from collections.abc import Mapping
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from cityportal.errors import Conflict
from identity.models import LOA_ORDER, LevelOfAssurance
from services import rules
from services.errors import RuleSetNotPublishable
from services.models import Check, RuleSet, RuleTestCase, Service

# A publish dated a little in the past (the time a supervisor filled in the form) is fine;
# further back it would change the rules of decisions already made.
PUBLISH_GRACE = datetime.timedelta(minutes=5)


class RuleSetNotEditable(Conflict):
    code = "rule_set_not_editable"
    title = _("A published or retired rule set cannot be changed; draft a new version instead.")


class RuleSetNotRetirable(Conflict):
    code = "rule_set_not_retirable"
    title = _("Only a published rule set can be retired.")


class TestCaseResult(NamedTuple):
    test_case: RuleTestCase
    outcome: str
    passed: bool


# Checks ------------------------------------------------------------------------------------


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def known_data_of(service: Service) -> set[str]:
    """The `data.<field>` variables the service's form declares."""
    return rules.schema_variables(service.input_schema or {})


def validate_check(check: Check) -> None:
    """Refuse a check whose expression does not parse, uses an unknown operator or reads an
    unknown variable, whose reason shows a value the check does not read, or whose failure has
    no meaning. Errors are keyed by the form field they belong to; each message names the
    problem."""
    errors: dict[str, list[str]] = {}
    if check.on_fail not in Check.OnFail.values:
        errors.setdefault("on_fail", []).append(
            gettext('Unknown failure meaning "%(value)s"; use one of: %(choices)s.')
            % {"value": check.on_fail, "choices": ", ".join(Check.OnFail.values)}
        )
    known_data = known_data_of(check.rule_set.service)
    try:
        rules.validate_expression(check.expression, known_data=known_data)
    except ValidationError as error:
        errors.setdefault("expression", []).extend(error.messages)
        read: dict[str, bool] = {}
    else:
        read = rules.variables_of(check.expression)
    for language in _languages():
        name = build_localized_fieldname("reason_template", language)
        template = getattr(check, name, "") or ""
        # The pattern render_reason fills, so what is checked here is what the applicant sees.
        for variable in rules._PLACEHOLDER.findall(template):
            if variable in read:
                continue
            if not rules.is_known_variable(variable, known_data):
                message = gettext('The reason uses an unknown variable "{{%(name)s}}".')
            elif "expression" not in errors:
                message = gettext(
                    'The reason shows "{{%(name)s}}", which the check does not read: it would '
                    "be empty. Show a variable the expression reads."
                )
            else:
                continue  # the expression is wrong already; its variables are not known yet
            errors.setdefault(name, []).append(message % {"name": variable})
    if errors:
        raise ValidationError(errors)


def ensure_editable(rule_set: RuleSet) -> None:
    """Only a draft rule set's checks and test cases may change."""
    if rule_set.status != RuleSet.Status.DRAFT:
        raise RuleSetNotEditable(status=rule_set.status)


def next_version(service: Service) -> int:
    latest = RuleSet.objects.filter(service=service).aggregate(latest=Max("version"))["latest"]
    return int(latest or 0) + 1


# Test cases --------------------------------------------------------------------------------


def _merged(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def facts_of_test_case(test_case: RuleTestCase, *, today: datetime.date) -> rules.Facts:
    """The case's facts over neutral defaults: a person at basic assurance holding no cards.
    An age or residence the case does not give is missing, as it would be for a real
    applicant."""
    defaults: dict[str, Any] = {
        "applicant": {
            "age": None,
            "residence": None,
            "residence_in": [],
            "level_of_assurance": LevelOfAssurance.BASIC.value,
            "is_business": False,
            "credentials": {},
        },
        "today": today.isoformat(),
    }
    values = _merged(defaults, test_case.facts if isinstance(test_case.facts, Mapping) else {})
    applicant = values["applicant"]
    if isinstance(applicant, dict) and "loa_rank" not in applicant:
        level = applicant.get("level_of_assurance")
        applicant["loa_rank"] = (
            LOA_ORDER[LevelOfAssurance(level)] if level in LevelOfAssurance.values else None
        )
    return rules.Facts(values=values, sources={})


def run_test_cases(rule_set: RuleSet) -> list[TestCaseResult]:
    """Evaluate every test case of the rule set against its checks and keep each outcome."""
    specs = rules.specs_of(rule_set.checks.order_by("position", "pk"))
    now = timezone.now()
    today = timezone.localdate(now)
    results = []
    test_cases = list(rule_set.test_cases.order_by("pk"))
    for test_case in test_cases:
        evaluation = rules.evaluate(
            specs,
            data=test_case.data if isinstance(test_case.data, Mapping) else {},
            facts=facts_of_test_case(test_case, today=today),
            language="en",
        )
        test_case.last_outcome = evaluation.outcome
        test_case.last_run_at = now
        results.append(
            TestCaseResult(
                test_case, evaluation.outcome, evaluation.outcome == test_case.expected_outcome
            )
        )
    RuleTestCase.objects.bulk_update(test_cases, ["last_outcome", "last_run_at"])
    return results


# Publishing --------------------------------------------------------------------------------


def _lock_rule_set(rule_set: RuleSet) -> RuleSet:
    """Lock the service first, so two publishes of its rule sets take turns."""
    Service.objects.select_for_update().filter(pk=rule_set.service_id).first()
    return RuleSet.objects.select_for_update().select_related("service").get(pk=rule_set.pk)


def _problems_with(rule_set: RuleSet) -> list[str]:
    """Why the rule set cannot be published, in words a supervisor acts on; empty when it can."""
    checks = list(rule_set.checks.order_by("position", "pk"))
    if not checks:
        return [gettext("It has no checks.")]
    problems: list[str] = []
    for check in checks:
        check.rule_set = rule_set
        try:
            validate_check(check)
        except ValidationError as error:
            problems.extend(
                gettext('Check "%(code)s": %(problem)s') % {"code": check.code, "problem": message}
                for message in error.messages
            )
    if problems:
        return problems
    results = run_test_cases(rule_set)
    if not results:
        return [gettext("It has no test cases; add at least one (input → expected outcome).")]
    return [
        gettext('Test case "%(name)s" expects %(expected)s but gives %(actual)s.')
        % {
            "name": result.test_case.name,
            "expected": result.test_case.expected_outcome,
            "actual": result.outcome,
        }
        for result in results
        if not result.passed
    ]


@transaction.atomic
def publish_rule_set(
    *, rule_set: RuleSet, by: Any, effective_from: datetime.datetime | None = None
) -> RuleSet:
    """Publish a draft rule set whose checks are valid and whose test cases all pass. From
    `effective_from` (now by default) it replaces the rule set in force; one published rule
    set is in force at any instant."""
    rule_set = _lock_rule_set(rule_set)
    now = timezone.now()
    starts = effective_from or now
    if rule_set.status != RuleSet.Status.DRAFT:
        raise RuleSetNotPublishable(
            gettext("Only a draft can be published; this rule set is %(status)s.")
            % {"status": rule_set.get_status_display()},
            problems=[],
        )
    if starts < now - PUBLISH_GRACE:
        raise RuleSetNotPublishable(
            gettext("A rule set cannot take effect in the past (%(start)s).")
            % {"start": starts.isoformat()},
            problems=[],
        )
    if rule_set.effective_until is not None and rule_set.effective_until <= starts:
        raise RuleSetNotPublishable(
            gettext("Its end (%(end)s) is not after its start (%(start)s).")
            % {"end": rule_set.effective_until.isoformat(), "start": starts.isoformat()},
            problems=[],
        )
    problems = _problems_with(rule_set)
    if problems:
        raise RuleSetNotPublishable(
            gettext("Rule set v%(version)s cannot be published: %(problems)s")
            % {"version": rule_set.version, "problems": " ".join(problems)},
            problems=problems,
        )
    published = RuleSet.objects.filter(
        service_id=rule_set.service_id, status=RuleSet.Status.PUBLISHED
    ).exclude(pk=rule_set.pk)
    ends = rule_set.effective_until
    later = published.filter(effective_from__gte=starts)
    if ends is not None:
        later = later.filter(effective_from__lt=ends)
    clash = later.order_by("effective_from").first()
    if clash is not None:
        raise RuleSetNotPublishable(
            gettext(
                "Version %(version)s is already published from %(start)s; retire it first or "
                "publish this one after it."
            )
            % {"version": clash.version, "start": clash.effective_from.isoformat()},
            problems=[],
        )
    # The one in force at the start ends there; it retires once that moment has come.
    for earlier in published.filter(effective_from__lt=starts).filter(
        Q(effective_until__isnull=True) | Q(effective_until__gt=starts)
    ):
        earlier.effective_until = starts
        if starts <= now:
            earlier.status = RuleSet.Status.RETIRED
        earlier.save(update_fields=["effective_until", "status"])
    # Published rule sets whose period is over are retired on the way.
    published.filter(effective_until__lte=now).update(status=RuleSet.Status.RETIRED)
    rule_set.status = RuleSet.Status.PUBLISHED
    rule_set.published_at = now
    rule_set.published_by = by
    rule_set.effective_from = starts
    rule_set.save(update_fields=["status", "published_at", "published_by", "effective_from"])
    return rule_set


@transaction.atomic
def retire_rule_set(*, rule_set: RuleSet, by: Any) -> RuleSet:
    """Take a published rule set out of force now (or cancel one scheduled for later). Until
    another is published, the service's applications go to an officer."""
    rule_set = _lock_rule_set(rule_set)
    if rule_set.status != RuleSet.Status.PUBLISHED:
        raise RuleSetNotRetirable(status=rule_set.status)
    now = timezone.now()
    rule_set.status = RuleSet.Status.RETIRED
    if rule_set.effective_from < now and (
        rule_set.effective_until is None or rule_set.effective_until > now
    ):
        rule_set.effective_until = now
    rule_set.save(update_fields=["status", "effective_until"])
    return rule_set


@transaction.atomic
def draft_new_version(*, rule_set: RuleSet, by: Any) -> RuleSet:
    """A new draft version of the service's rules, starting as a copy of `rule_set`'s checks and
    test cases."""
    rule_set = _lock_rule_set(rule_set)
    draft = RuleSet.objects.create(
        service=rule_set.service,
        version=next_version(rule_set.service),
        status=RuleSet.Status.DRAFT,
        notes=rule_set.notes,
    )
    Check.objects.bulk_create(
        Check(**_copied_fields(check), rule_set=draft)
        for check in rule_set.checks.order_by("position", "pk")
    )
    RuleTestCase.objects.bulk_create(
        RuleTestCase(
            rule_set=draft,
            name=test_case.name,
            data=test_case.data,
            facts=test_case.facts,
            expected_outcome=test_case.expected_outcome,
        )
        for test_case in rule_set.test_cases.order_by("pk")
    )
    return draft


def _copied_fields(check: Check) -> dict[str, Any]:
    """Every column of a check (translations included) but its id and rule set."""
    return {
        field.attname: getattr(check, field.attname)
        for field in Check._meta.concrete_fields
        if not field.primary_key and field.name != "rule_set"
    }

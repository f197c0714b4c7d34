"""Admin screens for rule sets: the checks (title and reason in three languages, a JsonLogic
expression checked on save) and the test cases a supervisor keeps on each version; actions run
the test cases, publish, retire and draft a new version.

Supervisors of an agency manage the rule sets of their agency's services; its other staff may
look. A published or retired rule set is read-only: it explains decisions already made.
"""

import copy
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, F, Q, QuerySet
from django.forms.models import construct_instance
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationStackedInline

from cityportal.errors import DomainError
from identity.models import Membership
from services import rules
from services.actions.rulesets import (
    RuleSetNotEditable,
    draft_new_version,
    ensure_editable,
    known_data_of,
    next_version,
    publish_rule_set,
    retire_rule_set,
    run_test_cases,
    validate_check,
)
from services.models import Check, RuleSet, RuleTestCase, Service
from services.queries import agency_ids_of

SUPERVISOR = Membership.Role.SUPERVISOR


def supervised_agency_ids(request: HttpRequest) -> set[int]:
    """Agencies the user supervises, read once per request (the list asks for every row)."""
    cached = getattr(request, "_supervised_agency_ids", None)
    if cached is None:
        cached = set(agency_ids_of(request.user, roles=(SUPERVISOR,)))
        request._supervised_agency_ids = cached  # type: ignore[attr-defined]
    return cached


def manages(request: HttpRequest, rule_set: RuleSet | None) -> bool:
    """A supervisor of the agency offering the rule set's service (or a superuser); without a
    rule set, a supervisor of any agency."""
    if request.user.is_superuser:
        return True
    supervised = supervised_agency_ids(request)
    if rule_set is None:
        return bool(supervised)
    return rule_set.service.agency_id in supervised


def is_editable_by(request: HttpRequest, rule_set: RuleSet | None) -> bool:
    """A new rule set, or a draft the user manages."""
    if rule_set is None or rule_set.pk is None:
        return manages(request, None)
    return rule_set.status == RuleSet.Status.DRAFT and manages(request, rule_set)


def variables_help(service: Service | None) -> str:
    """The expression's help text: the variables a check may read for this service's form."""
    data = sorted(known_data_of(service)) if service is not None else ["data.<field>"]
    names = [*data, *sorted(rules.FACT_VARIABLES), f"{rules.CREDENTIAL_PREFIX}<type>"]
    return format_html(
        "{}<br>{} {}",
        _(
            'A JsonLogic operation that must hold, e.g. {">=": [{"var": "applicant.age"}, 18]}. '
            'A variable read without a default ({"var": ["data.x", 0]} has one) that has no value '
            "sends the application to an officer."
        ),
        _("Variables:"),
        format_html_join(", ", "<code>{}</code>", ((name,) for name in names)),
    )


# Checks -----------------------------------------------------------------------------------


class CheckForm(forms.ModelForm):
    """Refuses, on save, an expression that does not parse, uses an unknown operator or reads an
    unknown variable, and a reason that shows a value the check does not read."""

    class Meta:
        model = Check
        fields = [
            "position",
            "code",
            "title",
            "expression",
            "on_fail",
            "reason_template",
            "legal_basis",
        ]
        widgets = {
            "expression": forms.Textarea(
                attrs={"rows": 4, "cols": 90, "style": "font-family: monospace"}
            )
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rule_set = data.get("rule_set")
        if not isinstance(rule_set, RuleSet) or rule_set.service_id is None:
            return data  # the rule set's own form reports what is wrong with it
        try:
            ensure_editable(rule_set)
        except RuleSetNotEditable as error:
            raise forms.ValidationError(str(error.detail), code=error.code) from error
        if "expression" not in data:
            return data  # not JSON: the field says so already
        check = construct_instance(self, copy.copy(self.instance))
        try:
            validate_check(check)
        except forms.ValidationError as error:
            for field, problems in error.message_dict.items():
                self.add_error(field if field in self.fields else None, problems)
        return data


class DraftOnlyInline:
    """Inline rows of a rule set change only while it is a draft its supervisors manage."""

    def _editable(self, request: HttpRequest, obj: RuleSet | None) -> bool:
        return is_editable_by(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and self._editable(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._editable(request, obj)  # type: ignore[misc]


class CheckInline(DraftOnlyInline, TranslationStackedInline):
    model = Check
    form = CheckForm
    fields = (
        "position",
        "code",
        "title",
        "expression",
        "on_fail",
        "reason_template",
        "legal_basis",
    )
    extra = 0
    ordering = ("position", "pk")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("expression")
        if field is not None:
            field.help_text = variables_help(obj.service if obj is not None else None)
        return formset


class RuleTestCaseInline(DraftOnlyInline, admin.TabularInline):
    model = RuleTestCase
    fields = ("name", "data", "facts", "expected_outcome", "result", "last_run_at")
    readonly_fields = ("result", "last_run_at")
    extra = 0

    @admin.display(description=_("last outcome"))
    def result(self, test_case: RuleTestCase) -> str:
        return test_result(test_case)


def test_result(test_case: RuleTestCase) -> str:
    if not test_case.last_outcome:
        return gettext("not run")
    outcome = RuleTestCase.Outcome(test_case.last_outcome).label
    if test_case.passed:
        return format_html('<span style="color:#17803d">✔ {} ({})</span>', outcome, _("pass"))
    return format_html('<span style="color:#ba2121">✘ {} ({})</span>', outcome, _("fail"))


# Rule sets --------------------------------------------------------------------------------


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = RuleSet
        fields = ["service", "effective_from", "effective_until", "notes"]
        help_texts = {
            "effective_from": _(
                "When the published rules take effect; a time already past means at once."
            ),
        }


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    list_display = ("service", "version", "status", "effective_period", "test_results")
    list_filter = ("status", ("service__agency", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("service", "published_by")
    search_fields = ("service__code", "service__name_en", "notes")
    inlines = [CheckInline, RuleTestCaseInline]
    actions = ["run_test_cases", "publish", "draft_new_version", "retire"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSet]:
        queryset = (
            super()
            .get_queryset(request)
            .select_related("service__agency", "published_by")
            .annotate(
                cases=Count("test_cases", distinct=True),
                cases_run=Count(
                    "test_cases", filter=~Q(test_cases__last_outcome=""), distinct=True
                ),
                cases_passed=Count(
                    "test_cases",
                    filter=Q(test_cases__last_outcome=F("test_cases__expected_outcome")),
                    distinct=True,
                ),
            )
        )
        if request.user.is_superuser:
            return queryset
        # Every member of the agency may look; supervisors change (has_change_permission).
        user: Any = request.user
        members = Membership.objects.filter(user=user).values("agency_id")
        return queryset.filter(service__agency_id__in=members)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = ("version", "status", "published_at", "published_by", "created_at")
        return ("service", *fixed) if obj is not None else fixed

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["service", "version", "status", "effective_from", "effective_until", "notes"]
        if obj is not None:
            fields += ["published_at", "published_by", "created_at"]
        return fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "service" and not request.user.is_superuser:
            kwargs["queryset"] = Service.objects.filter(
                agency_id__in=supervised_agency_ids(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and manages(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or is_editable_by(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft goes; published versions explain decisions.
        allowed = super().has_delete_permission(request, obj)
        return allowed and obj is not None and is_editable_by(request, obj)

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return super().has_change_permission(request) and manages(request, None)

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        if not change:
            obj.version = next_version(obj.service)
            obj.status = RuleSet.Status.DRAFT
        else:
            ensure_editable(obj)
        super().save_model(request, obj, form, change)

    def response_change(self, request: HttpRequest, obj: RuleSet) -> HttpResponse:
        """The change page's own buttons: save, then run the test cases or publish."""
        for button, action in (
            ("_run_test_cases", self.run_test_cases),
            ("_publish", self.publish),
        ):
            if button in request.POST:
                action(request, self.get_queryset(request).filter(pk=obj.pk))
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.display(description=_("in force"))
    def effective_period(self, rule_set: RuleSet) -> str:
        start = timezone.localtime(rule_set.effective_from).strftime("%Y-%m-%d %H:%M")
        if rule_set.effective_until is None:
            return gettext("from %(start)s") % {"start": start}
        end = timezone.localtime(rule_set.effective_until).strftime("%Y-%m-%d %H:%M")
        return f"{start} – {end}"

    @admin.display(description=_("test cases"))
    def test_results(self, rule_set: Any) -> str:
        cases, run, passed = rule_set.cases, rule_set.cases_run, rule_set.cases_passed
        if not cases:
            return format_html('<span style="color:#ba2121">{}</span>', _("none"))
        summary = gettext("%(passed)d of %(cases)d pass") % {"passed": passed, "cases": cases}
        if run < cases:
            summary += ", " + gettext("%(count)d not run") % {"count": cases - run}
        if passed < run:
            return format_html('<span style="color:#ba2121">{}</span>', summary)
        return summary

    # Actions ------------------------------------------------------------------------------

    def _managed(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> list[RuleSet]:
        managed = []
        for rule_set in queryset:
            if manages(request, rule_set):
                managed.append(rule_set)
            else:
                self.message_user(
                    request,
                    gettext("%(rule_set)s: only a supervisor of the agency can do this.")
                    % {"rule_set": rule_set},
                    messages.ERROR,
                )
        return managed

    @admin.action(description=_("Run test cases"), permissions=["manage"])
    def run_test_cases(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for rule_set in self._managed(request, queryset):
            results = run_test_cases(rule_set)
            failing = [r for r in results if not r.passed]
            summary = gettext("%(rule_set)s: %(passed)d of %(count)d test cases pass.") % {
                "rule_set": rule_set,
                "passed": len(results) - len(failing),
                "count": len(results),
            }
            details = [
                gettext('"%(name)s" expects %(expected)s but gives %(actual)s.')
                % {
                    "name": r.test_case.name,
                    "expected": r.test_case.expected_outcome,
                    "actual": r.outcome,
                }
                for r in failing
            ]
            level = messages.ERROR if failing or not results else messages.SUCCESS
            self.message_user(request, " ".join([summary, *details]), level)

    @admin.action(description=_("Publish"), permissions=["manage"])
    def publish(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        now = timezone.now()
        for rule_set in self._managed(request, queryset):
            starts = rule_set.effective_from if rule_set.effective_from > now else None
            try:
                published = publish_rule_set(
                    rule_set=rule_set, by=request.user, effective_from=starts
                )
            except DomainError as error:
                self.message_user(request, f"{rule_set}: {error.detail}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(rule_set)s is published, in force %(period)s.")
                    % {"rule_set": published, "period": self.effective_period(published)},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Draft a new version"), permissions=["manage"])
    def draft_new_version(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for rule_set in self._managed(request, queryset):
            draft = draft_new_version(rule_set=rule_set, by=request.user)
            self.message_user(
                request,
                gettext("%(draft)s is a new draft, copied from version %(version)s.")
                % {"draft": draft, "version": rule_set.version},
                messages.SUCCESS,
            )

    @admin.action(description=_("Retire"), permissions=["manage"])
    def retire(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for rule_set in self._managed(request, queryset):
            try:
                retire_rule_set(rule_set=rule_set, by=request.user)
            except DomainError as error:
                self.message_user(request, f"{rule_set}: {error.detail}", messages.ERROR)
            else:
                self.message_user(
                    request, gettext("%(rule_set)s is retired.") % {"rule_set": rule_set}
                )

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a published version is never deleted
        return actions

"""The manual review queue: officers of the competent agency see their agency's applications,
those waiting for them first, earliest deadline first; supervisors filter what is overdue.

An application's page is read-only: the data beside the decision record (every check, the
values it read, the reasons), the evidence and the history. Approve, reject and return are
buttons under it that call services.actions.reviews.review_application. Opening the page writes
an entry in the applicant's access log. Staff of other agencies see nothing: not in the list,
and "not found" for the page.
"""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError
from identity.models import AccessLogEntry, Membership
from services.actions.assignments import assign_application
from services.actions.reviews import OUTCOMES, record_staff_read, review_application
from services.models import Application, ApplicationEvent, DecisionRecord
from services.queries import agency_ids_of, applications_of_staff

MANUAL_REVIEW = Application.Status.MANUAL_REVIEW
RED = "#ba2121"


def describe(error: DomainError) -> str:
    """A refusal in one line: its per-field details when it has them, else its detail."""
    details = [str(e["detail"]) for e in error.extra.get("errors", [])]
    return " ".join(details) if details else str(error.detail)


class OverdueFilter(admin.SimpleListFilter):
    """For supervisors: applications still waiting for an officer past their deadline."""

    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        if not (
            request.user.is_superuser
            or agency_ids_of(request.user, roles=(Membership.Role.SUPERVISOR,))
        ):
            return []
        return [("yes", _("overdue")), ("no", _("not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        overdue = {"status": MANUAL_REVIEW, "deadline__lt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    fields = ("at", "from_status", "to_status", "actor_kind", "actor", "reason")
    readonly_fields = fields
    ordering = ("at", "pk")
    extra = 0
    can_delete = False
    verbose_name_plural = _("history")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("services.view_application")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(outcome, outcome) for outcome in OUTCOMES])
    reason = forms.CharField(required=False, max_length=2000)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "service",
        "party",
        "status",
        "deadline",
        "overdue",
        "assigned_to",
    )
    list_filter = (
        "status",
        ("service", admin.RelatedOnlyFieldListFilter),
        OverdueFilter,
        "decided_by",
    )
    search_fields = ("reference",)
    actions = ["assign_to_me"]
    inlines = [ApplicationEventInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("reference", "status", "round"),
                    ("service", "party", "submitted_by_pseudonym"),
                    ("submitted_at", "deadline", "overdue"),
                    ("assigned_to", "review_requested"),
                    ("decided_by", "decided_at", "decision_reason"),
                )
            },
        ),
        (_("Data and decision"), {"fields": (("data_pretty", "decision_records"),)}),
        (_("Evidence"), {"fields": ("evidence_list",)}),
    )
    readonly_fields = (
        "reference",
        "status",
        "round",
        "service",
        "party",
        "submitted_by_pseudonym",
        "submitted_at",
        "deadline",
        "overdue",
        "assigned_to",
        "review_requested",
        "decided_by",
        "decided_at",
        "decision_reason",
        "data_pretty",
        "decision_records",
        "evidence_list",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return (
            applications_of_staff(request.user)
            .select_related("service", "applicant", "submitted_by", "business", "assigned_to")
            .annotate(
                queue=Case(
                    When(status=MANUAL_REVIEW, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )

    def get_ordering(self, request: HttpRequest) -> Any:
        # Waiting for an officer first, earliest deadline first.
        return ("queue", F("deadline").asc(nulls_last=True), "-pk")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions go through review_application, nothing is edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Columns and read-only fields ---------------------------------------------------------

    @admin.display(description=_("applicant"))
    def party(self, application: Application) -> str:
        if application.business_id is not None and application.business is not None:
            return application.business.name
        return application.applicant.pseudonym if application.applicant else "—"

    @admin.display(description=_("submitted by"))
    def submitted_by_pseudonym(self, application: Application) -> str:
        return application.submitted_by.pseudonym

    @admin.display(description=_("overdue"))
    def overdue(self, application: Application) -> str:
        if application.is_overdue:
            return format_html('<strong style="color:{}">{}</strong>', RED, _("overdue"))
        return ""

    @admin.display(description=_("data"))
    def data_pretty(self, application: Application) -> SafeString:
        data = json.dumps(application.data, indent=2, ensure_ascii=False, sort_keys=True)
        prefilled = format_html_join(
            "",
            "<li><code>{}</code> ← {}</li>",
            (
                (name, entry.get("source", "") if isinstance(entry, dict) else "")
                for name, entry in sorted((application.prefilled or {}).items())
            ),
        )
        if not prefilled:
            return format_html("<pre>{}</pre>", data)
        return format_html(
            "<pre>{}</pre><p>{}</p><ul>{}</ul>", data, _("Prefilled from:"), prefilled
        )

    @admin.display(description=_("decision record"))
    def decision_records(self, application: Application) -> SafeString:
        records = list(application.decisions.order_by("-round"))
        if not records:
            return format_html("<p>{}</p>", _("No automatic decision was made."))
        return format_html_join("", "{}", ((self._record(record),) for record in records))

    def _record(self, record: DecisionRecord) -> SafeString:
        heading = gettext("Round %(round)s: %(outcome)s by rule set v%(version)s in %(ms)s ms") % {
            "round": record.round,
            "outcome": record.get_outcome_display(),
            "version": record.rule_set_version or "—",
            "ms": record.duration_ms,
        }
        rows = format_html_join(
            "",
            '<tr><td><code>{}</code></td><td>{}</td><td style="color:{}">{}</td>'
            "<td>{}</td><td>{}</td></tr>",
            (self._check_row(check) for check in record.checks),
        )
        reasons = format_html_join("", "<li>{}</li>", ((reason,) for reason in record.reasons))
        return format_html(
            "<h4>{}</h4><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead><tbody>{}</tbody></table><p>{}</p><ul>{}</ul>",
            heading,
            _("code"),
            _("check"),
            _("result"),
            _("values read"),
            _("if it fails"),
            rows,
            _("Reasons given to the applicant:"),
            reasons,
        )

    def _check_row(self, check: dict[str, Any]) -> tuple[Any, ...]:
        result = check.get("result", "")
        detail = result
        if check.get("missing"):
            detail = f"{result}: {', '.join(check['missing'])}"
        elif check.get("error"):
            detail = f"{result}: {check['error']}"
        values = format_html_join(
            "",
            "<code>{}</code> = {} <small>({})</small><br>",
            (
                (
                    name,
                    json.dumps(value, ensure_ascii=False),
                    check.get("sources", {}).get(name, ""),
                )
                for name, value in (check.get("values") or {}).items()
            ),
        )
        colour = {"pass": "#17803d", "fail": RED}.get(result, "#b45f06")
        return (
            check.get("code", ""),
            check.get("title", ""),
            colour,
            detail,
            values,
            check.get("on_fail", ""),
        )

    @admin.display(description=_("evidence"))
    def evidence_list(self, application: Application) -> SafeString:
        items = []
        for evidence in application.evidence.select_related(
            "requirement", "upload", "credential__type"
        ):
            if evidence.upload is not None:
                shown = format_html(
                    '<a href="{}">{}</a> ({}, {} B)',
                    evidence.upload.file.url,
                    evidence.upload.original_name,
                    evidence.upload.content_type,
                    evidence.upload.size,
                )
            elif evidence.credential is not None:
                shown = format_html(
                    "{} {} ({})",
                    evidence.credential.type,
                    evidence.credential.number_masked,
                    _("wallet credential"),
                )
            else:
                shown = format_html("{}", "—")
            items.append((evidence.requirement.name, shown))
        if not items:
            return format_html("<p>{}</p>", _("None."))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", items))

    # The page, and the decision under it --------------------------------------------------

    def get_urls(self) -> list[Any]:
        decide = path(
            "<path:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="services_application_decide",
        )
        return [decide, *super().get_urls()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        application = self.get_object(request, unquote(object_id))
        if application is None:
            raise Http404(gettext("No such application."))
        context = {
            **(extra_context or {}),
            "can_decide": application.status == MANUAL_REVIEW,
            "decide_url": reverse("admin:services_application_decide", args=[application.pk]),
        }
        response = super().change_view(request, object_id, form_url, context)
        if request.method == "GET" and response.status_code == 200:
            record_staff_read(
                application=application, user=request.user, channel=AccessLogEntry.Channel.ADMIN
            )
        return response

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Approve, reject or return with a reason (POST; the admin checks the CSRF token)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        application = self.get_object(request, unquote(object_id))
        if application is None or not self.has_view_permission(request, application):
            raise Http404(gettext("No such application."))
        page = reverse("admin:services_application_change", args=[application.pk])
        form = ReviewForm(request.POST)
        if not form.is_valid():
            self.message_user(request, gettext("Choose approve, reject or return."), messages.ERROR)
            return HttpResponseRedirect(page)
        outcome = form.cleaned_data["outcome"]
        try:
            decided = review_application(
                application=application,
                officer=request.user,
                outcome=outcome,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            self.message_user(request, describe(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(reference)s is now %(status)s; the applicant is told.")
                % {"reference": decided.reference, "status": decided.get_status_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(page)

    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        for application in queryset:
            try:
                assign_application(application=application, officer=request.user)
            except DomainError as error:
                self.message_user(
                    request, f"{application.reference}: {describe(error)}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    gettext("%(reference)s is assigned to you.")
                    % {"reference": application.reference},
                    messages.SUCCESS,
                )

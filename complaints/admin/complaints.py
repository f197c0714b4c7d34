"""Staff screens for complaints.

- Complaints: an officer's queue of their agency's complaints, earliest resolution deadline
  first (so the overdue ones lead), open ones by default. A complaint's page is read-only: the
  report, its photos and place (with a map link), the deadlines and the whole history, and the
  reporter's contact details for the handling agency only. Accept, start, resolve, reject,
  transfer, mark duplicate, wait for the reporter and notes are buttons that open a short form
  and call the same actions as the staff API (complaints.actions.handling).
- Dispatch queue: for dispatchers, the complaints no rule could route and those an agency
  rejected, across their jurisdiction, longest waiting first; "route to an agency" calls
  complaints.actions.routing.dispatch_complaint (through dispatch_to_agency).
- Escalations: for supervisors, the escalations of their agency's complaints, read-only.

Staff of other agencies see nothing: not in the lists, and "not found" for the pages. Every
opening of a complaint's page is written to the reporter's access log. Nobody adds, edits or
deletes complaints here.
"""

import html
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_field, quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    ExpressionWrapper,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError
from complaints import permissions
from complaints.actions import handling
from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    DispatchQueueComplaint,
    District,
    Escalation,
)
from complaints.states import OPEN
from identity.models import AccessLogEntry, Agency
from identity.queries import roles_of

RED = "#ba2121"
PAGE_RELATED = ("category", "district", "agency", "jurisdiction", "reporter", "duplicate_of")
S = Complaint.Status


def describe(error: DomainError) -> str:
    """A refusal in one line: its per-field details when it has them, else its detail."""
    details = [str(e["detail"]) for e in error.extra.get("errors", [])]
    return " ".join(details) if details else str(error.detail)


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: with a million complaints a full COUNT(*) would cost more than
    the page itself. Past the cap, the last pages are not offered; filters narrow the list."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        queryset: QuerySet[Any] = self.object_list  # type: ignore[assignment]  # a changelist
        return queryset.order_by()[: self.CAP].count()


# Filters -------------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """The open complaints unless asked otherwise: the queue is the work still to do."""

    title = _("status")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("open (the queue)")), *S.choices, ("all", _("all"))]

    def value(self) -> str:
        return str(super().value() or "open")

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "all":
            return queryset
        if value == "open":
            return queryset.filter(status__in=sorted(OPEN))
        return queryset.filter(status=value)


class OverdueFilter(admin.SimpleListFilter):
    """For supervisors: open complaints past their resolution deadline."""

    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        if not (request.user.is_superuser or permissions.staff_scope(request.user).supervising):
            return []
        return [("yes", _("overdue")), ("no", _("not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        overdue = Q(
            status__in=sorted(OPEN), paused_at__isnull=True, resolution_due__lt=timezone.now()
        )
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


def _jurisdictions_around(request: HttpRequest) -> list[int] | None:
    """The jurisdictions of the user's agencies, those above and those beneath (None: all);
    worked out once per request, for both filters."""
    around: list[int] | None
    if hasattr(request, "jurisdictions_around"):
        around = request.jurisdictions_around
    else:
        around = request.jurisdictions_around = _read_jurisdictions_around(request)  # type: ignore[attr-defined]
    return around


def _read_jurisdictions_around(request: HttpRequest) -> list[int] | None:
    scope = permissions.staff_scope(request.user)
    if scope.is_superuser:
        return None
    agencies = {m.jurisdiction_id for m in roles_of(request.user) if m.agency_id in scope.reading}
    return sorted(
        scope.dispatching
        | permissions.jurisdictions_above(agencies)
        | permissions.jurisdictions_beneath(agencies)
    )


def catalogue_names(
    request: HttpRequest, model: type[ComplaintCategory] | type[District]
) -> dict[int, str]:
    """The names, in the request's language and in its order, of the categories complaints are
    filed under (those with none beneath them) or of the districts, of the jurisdictions around
    the user's agencies: read once per request, for the filter and for the rows."""
    cache: dict[type[Any], dict[int, str]] = request.__dict__.setdefault("catalogue_names", {})
    if model not in cache:
        rows: QuerySet[Any] = model.objects.all()
        if model is ComplaintCategory:
            rows = rows.filter(children__isnull=True)
        around = _jurisdictions_around(request)
        if around is not None:
            rows = rows.filter(jurisdiction_id__in=around)
        cache[model] = dict(rows.order_by("name").values_list("pk", "name"))
    return cache[model]


class CategoryFilter(admin.SimpleListFilter):
    title = _("category")
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(pk), name) for pk, name in catalogue_names(request, ComplaintCategory).items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(category_id=self.value()) if self.value() else queryset


class DistrictFilter(admin.SimpleListFilter):
    title = _("district")
    parameter_name = "district"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(pk), name) for pk, name in catalogue_names(request, District).items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(district_id=self.value()) if self.value() else queryset


# The history ---------------------------------------------------------------------------------


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    fields = ("at", "from_status", "to_status", "actor_kind", "actor", "agency", "note", "shown")
    readonly_fields = fields
    ordering = ("at", "pk")
    extra = 0
    can_delete = False
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ComplaintEvent]:
        return super().get_queryset(request).select_related("actor", "agency")

    @admin.display(description=_("shown to the reporter"), boolean=True)
    def shown(self, event: ComplaintEvent) -> bool:
        return event.is_public

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("complaints.view_complaintevent")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The forms behind the buttons ----------------------------------------------------------------


def _text(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=4000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class AcceptForm(forms.Form):
    note = _text(_("How was the reporter contacted?"))


class StartForm(forms.Form):
    note = _text(_("Note for the reporter"), required=False)


class ResolveForm(forms.Form):
    note = _text(_("What was done"), help_text=_("The reporter reads it and rates it."))


class RejectForm(forms.Form):
    reason = _text(_("Why is it not your agency's?"))


class _AgencyForm(forms.Form):
    def __init__(self, *args: Any, complaint: Complaint | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies: QuerySet[Agency] = Agency.objects.filter(is_active=True).order_by("name")
        if complaint is not None:
            agencies = permissions.agencies_serving(complaint.jurisdiction).order_by("name")
            if complaint.agency_id is not None:
                agencies = agencies.exclude(pk=complaint.agency_id)
        field = self.fields["agency"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared below
        field.queryset = agencies


class TransferForm(_AgencyForm):
    agency: "forms.ModelChoiceField[Agency]" = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label=_("To agency")
    )
    reason = _text(_("Why should that agency handle it?"))


class DuplicateForm(forms.Form):
    original = forms.CharField(
        label=_("Tracking number of the original"), max_length=16, help_text="C-XXXX-XXXX"
    )
    note = _text(_("Note for the reporter"), required=False)


class PauseForm(forms.Form):
    question = _text(_("Question to the reporter"))


class ResumeForm(forms.Form):
    note = _text(_("Note for the reporter"), required=False)


class ProgressNoteForm(forms.Form):
    note = _text(_("Note"))
    is_public = forms.BooleanField(
        label=_("Shown to the reporter and followers"), required=False, initial=True
    )


class DispatchForm(_AgencyForm):
    agency: "forms.ModelChoiceField[Agency]" = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label=_("Route to agency")
    )
    note = _text(_("Note"), required=False)


@dataclass(frozen=True)
class Handling:
    """One button on a complaint's page: its form, and the action it calls."""

    label: Any
    form: type[forms.Form]
    perform: Callable[[Any, Complaint, dict[str, Any]], Complaint]


HANDLINGS: dict[str, Handling] = {
    "accept": Handling(
        _("Accept (first contact made)"), AcceptForm,
        lambda by, c, d: handling.accept_complaint(complaint=c, by=by, note=d["note"]),
    ),
    "start": Handling(
        _("Start work"), StartForm,
        lambda by, c, d: handling.start_work(complaint=c, by=by, note=d["note"]),
    ),
    "resolve": Handling(
        _("Resolve"), ResolveForm,
        lambda by, c, d: handling.resolve_complaint(complaint=c, by=by, note=d["note"]),
    ),
    "reject": Handling(
        _("Reject (not ours)"), RejectForm,
        lambda by, c, d: handling.reject_complaint(complaint=c, by=by, reason=d["reason"]),
    ),
    "transfer": Handling(
        _("Transfer"), TransferForm,
        lambda by, c, d: handling.transfer_complaint(
            complaint=c, by=by, agency=d["agency"], reason=d["reason"]
        ),
    ),
    "duplicate": Handling(
        _("Mark duplicate"), DuplicateForm,
        lambda by, c, d: handling.mark_duplicate(
            complaint=c, by=by, original=handling.original_by_number(d["original"]),
            note=d["note"],
        ),
    ),
    "pause": Handling(
        _("Wait for the reporter"), PauseForm,
        lambda by, c, d: handling.pause_clock(complaint=c, by=by, question=d["question"]),
    ),
    "resume": Handling(
        _("Resume the clock"), ResumeForm,
        lambda by, c, d: handling.resume_clock(complaint=c, by=by, note=d["note"]),
    ),
    "notes": Handling(
        _("Add a note"), ProgressNoteForm,
        lambda by, c, d: handling.add_progress_note(
            complaint=c, by=by, note=d["note"], is_public=d["is_public"]
        ),
    ),
    "dispatch": Handling(
        _("Route to an agency"), DispatchForm,
        lambda by, c, d: handling.dispatch_to_agency(
            complaint=c, by=by, agency=d["agency"], note=d["note"]
        ),
    ),
}  # fmt: skip


# The complaint's page, shared by the queue and the dispatch queue ------------------------------


class QueueChangeList(ChangeList):
    """Django's list, with two changes that keep a page's cost flat as rows are added:

    - each row's link carries the list's filters built once per page: Django merges them into
      every row's URL by resolving that URL again;
    - the rows are written by `rows()`, each in one piece, with what every row shares (labels,
      names, the link, the time) worked out once per page; Django's `items_for_result` works
      all of that out again for every cell. Both write the same markup (tested)."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(request, *args, **kwargs)
        self.row_link_filters = self.preserved_filters
        self.preserved_filters = ""  # what Django's per-row merge reads

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # The page reads the columns it shows, and names of related rows from the filters'.
        screen: Any = self.model_admin
        self.result_list = self.result_list.only(*screen.list_columns)

    def url_for_result(self, result: Any) -> str:
        url = super().url_for_result(result)
        return f"{url}?{self.row_link_filters}" if self.row_link_filters else url

    def rows(self) -> list[SafeString]:
        """Each row's cells, as Django's items_for_result writes them."""
        complaints = list(self.result_list)
        cells = [self._cell(str(name), complaints) for name in self.list_display]
        return [mark_safe("".join(cell(c) for cell in cells)) for c in complaints]  # noqa: S308 - each cell escapes what it shows

    def _cell(self, name: str, complaints: list[Any]) -> Callable[[Any], str]:
        """What writes one column's cell of a row. (html.escape is Django's escape without
        its checks for lazy text, which the values here never are.)"""
        screen: Any = self.model_admin
        if name == "action_checkbox":
            label = gettext("Select this object for an action - {}")
            return lambda c: (
                '<td class="action-checkbox"><input type="checkbox" name="_selected_action" '
                f'value="{c.pk}" class="action-select" '
                f'aria-label="{label.format(html.escape(str(c)))}"></td>'
            )
        if name in self.list_display_links:
            sentinel = "__pk__"  # the page's link, resolved once, is filled in with each id
            opts = self.opts
            link = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=(sentinel,),
                current_app=screen.admin_site.name,
            )  # fmt: skip
            prefix, _, suffix = link.partition(sentinel)
            if self.row_link_filters:
                suffix += f"?{self.row_link_filters}"
            before, after = html.escape(prefix), html.escape(suffix)
            return lambda c: (
                f'<th class="field-{name}">'
                f'<a href="{before}{html.escape(str(quote(c.pk)))}{after}">'
                f"{html.escape(getattr(c, name))}</a></th>"
            )
        if hasattr(screen, f"{name}_cells"):  # an admin column that shares work between rows
            write = getattr(screen, f"{name}_cells")()
            return lambda c: f'<td class="field-{name}">{write(c)}</td>'
        if callable(getattr(screen, name, None)):
            method = getattr(screen, name)
            return lambda c: f'<td class="field-{name}">{conditional_escape(method(c))}</td>'
        field: Any = self.opts.get_field(name)
        empty = screen.get_empty_value_display()
        if field.many_to_one:
            ids = {getattr(c, field.attname) for c in complaints} - {None}
            names = {
                pk: html.escape(shown)
                for pk, shown in _names_of(self.request, field.related_model, ids).items()
                if pk in ids
            }
            return lambda c: (
                f'<td class="field-{name} nowrap">{names.get(getattr(c, field.attname), empty)}'
                "</td>"
            )
        if field.choices:
            labels = {value: html.escape(str(label)) for value, label in field.flatchoices}
            return lambda c: f'<td class="field-{name}">{labels.get(getattr(c, name), empty)}</td>'
        nowrap = " nowrap" if isinstance(field, DateField) else ""
        return lambda c: (
            f'<td class="field-{name}{nowrap}">'
            f"{conditional_escape(display_for_field(getattr(c, name), field, empty))}</td>"
        )


def _names_of(request: HttpRequest, model: Any, ids: set[int]) -> dict[int, str]:
    """The names of these rows: those the filters read, and any others in one query."""
    names = catalogue_names(request, model) if model in (ComplaintCategory, District) else {}
    missing = ids - names.keys()
    if missing:
        names = {**names, **{row.pk: str(row) for row in model.objects.filter(pk__in=missing)}}
    return names


class _ComplaintScreen(admin.ModelAdmin):
    """A read-only complaint page with its handling buttons."""

    change_form_template = "admin/complaints/complaint/change_form.html"
    change_list_template = "admin/complaints/queue_change_list.html"  # rows by QueueChangeList
    handle_template = "admin/complaints/complaint/handle.html"
    # The buttons this screen offers (those the user may use now are shown).
    handlings: tuple[str, ...] = ()
    inlines = [ComplaintEventInline]
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    search_fields = ("tracking_number",)
    search_help_text = _("A tracking number, e.g. C-7KQ4-M9XA.")
    # Related rows' names come from the filters' (QueueChangeList.rows), not from joins.
    list_select_related = ()
    # What a page of the list reads: the columns it shows and what the deadline cell weighs.
    list_columns: tuple[str, ...] = ()

    readonly_fields = (
        "tracking_number", "status", "category", "agency", "district", "description",
        "address", "place", "answers_list", "channel", "created_at", "first_contact_due",
        "accepted_at", "resolution_due", "deadline", "paused_at", "escalation_level",
        "rework_count", "resolved_at", "resolved_on_time", "resolution_note", "duplicate_of",
        "routed_at", "dispatch_since", "photo_thumbnails", "reporter_contact",
    )  # fmt: skip
    base_fieldsets: Any = (
        (None, {"fields": (
            ("tracking_number", "status"), ("category", "agency", "district"), "description",
            ("address", "place"), "answers_list", ("channel", "created_at"),
        )}),
        (_("Deadlines"), {"fields": (
            ("first_contact_due", "accepted_at"), ("resolution_due", "deadline"),
            ("paused_at", "escalation_level", "rework_count"),
            ("resolved_at", "resolved_on_time"), "resolution_note", "duplicate_of",
            ("routed_at", "dispatch_since"),
        )}),
        (_("Photos"), {"fields": ("photo_thumbnails",)}),
    )  # fmt: skip
    contact_fieldset: Any = (_("Reporter's contact"), {"fields": ("reporter_contact",)})

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and permissions.can_see_contact(request.user, obj):
            return (*self.base_fieldsets, self.contact_fieldset)
        return self.base_fieldsets

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # The page shows more than the list: read its related rows with it.
        queryset = (
            self.get_queryset(request)
            .select_related(*PAGE_RELATED)
            .defer("district__boundary")  # a large polygon, never shown here
        )
        opts = self.model._meta
        field = opts.pk if from_field is None else opts.get_field(from_field)
        try:
            complaint = queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None
        # The contact column is filled only when the fieldset is shown (get_fieldsets).
        complaint.contact_is_visible = permissions.can_see_contact(request.user, complaint)
        return complaint

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip().upper()
        return (queryset.filter(tracking_number=term) if term else queryset), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # every change goes through the handling actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Columns and fields -----------------------------------------------------------------------

    def action_checkbox(self, obj: Any) -> SafeString:
        # Django's markup, written directly: Django renders a form widget through the template
        # engine for every row, a quarter of the queue's rendering time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description=_("deadline"), ordering="resolution_due")
    def deadline(self, complaint: Complaint) -> SafeString:
        return self.deadline_cells()(complaint)

    def deadline_cells(self) -> Callable[[Complaint], SafeString]:
        """The deadline column of a page, with the time, its zone and the labels read once."""
        now, zone = timezone.now(), timezone.get_current_timezone()
        overdue = format_html(' <strong style="color:{}">{}</strong>', RED, _("overdue"))
        waiting = format_html(" <em>{}</em>", _("waiting for the reporter"))

        def cell(complaint: Complaint) -> SafeString:
            due = complaint.resolution_due
            shown = due.astimezone(zone).strftime("%Y-%m-%d %H:%M") if due else "—"
            if permissions.is_overdue(complaint, now=now):
                return mark_safe(shown + overdue)  # noqa: S308 - digits and marked-up labels
            if complaint.paused_at is not None:
                return mark_safe(shown + waiting)  # noqa: S308
            return mark_safe(shown)  # noqa: S308

        return cell

    @admin.display(description=_("place"))
    def place(self, complaint: Complaint) -> SafeString:
        if not complaint.has_location:
            return format_html("{}", "—")
        return format_html(
            '{}, {} (<a href="{}" target="_blank" rel="noopener">{}</a>)',
            complaint.latitude, complaint.longitude, permissions.map_url(complaint), _("map"),
        )  # fmt: skip

    @admin.display(description=_("answers"))
    def answers_list(self, complaint: Complaint) -> SafeString:
        if not complaint.answers:
            return format_html("{}", "—")
        rows = format_html_join(
            "", "<li><code>{}</code>: {}</li>", sorted(complaint.answers.items())
        )
        return format_html("<ul>{}</ul>", rows)

    @admin.display(description=_("photos"))
    def photo_thumbnails(self, complaint: Complaint) -> SafeString:
        photos = list(complaint.photos.all())
        if not photos:
            return format_html("{}", _("None."))
        return format_html_join(
            " ",
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" '
            'style="max-height:120px;max-width:160px"></a>',
            ((p.image.url, p.image.url, p.image.name) for p in photos),
        )

    @admin.display(description=_("contact"))
    def reporter_contact(self, complaint: Complaint) -> SafeString:
        if not getattr(complaint, "contact_is_visible", False):
            return format_html("{}", "—")
        contact = permissions.contact_of(complaint)
        return format_html(
            "{}<br>{}<br>{}<br><small>{}: {}</small>",
            contact["name"] or "—", contact["email"] or "—", contact["phone"] or "—",
            _("prefers"), complaint.get_contact_preference_display(),
        )  # fmt: skip

    # The page, its buttons, and the forms behind them -----------------------------------------

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        handle = path(
            "<path:object_id>/handle/<str:action>/",
            self.admin_site.admin_view(self.handle_view),
            name=f"{opts.app_label}_{opts.model_name}_handle",
        )
        return [handle, *super().get_urls()]

    def _url(self, name: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)

    def _found(self, request: HttpRequest, object_id: str) -> Complaint:
        complaint = self.get_object(request, unquote(object_id))
        if complaint is None or not self.has_view_permission(request, complaint):
            raise Http404(gettext("No such complaint."))
        return complaint

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        complaint = self._found(request, object_id)
        allowed = permissions.handling_actions(request.user, complaint)
        buttons = [
            (HANDLINGS[name].label, self._url("handle", complaint.pk, name))
            for name in self.handlings
            if name in allowed
        ]
        context = {**(extra_context or {}), "handling_buttons": buttons}
        response = super().change_view(request, object_id, form_url, context)
        if request.method == "GET" and response.status_code == 200:
            handling.record_staff_read(
                complaint=complaint, user=request.user, channel=AccessLogEntry.Channel.ADMIN
            )
        return response

    def handle_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """The form behind a button (GET), and the action it calls (POST; the admin checks
        the CSRF token). A refusal is shown on the form, and nothing changes."""
        complaint = self._found(request, object_id)
        if action not in self.handlings:
            raise Http404(gettext("No such action."))
        chosen = HANDLINGS[action]
        page = self._url("change", complaint.pk)
        data = request.POST if request.method == "POST" else None
        form = (
            chosen.form(data, complaint=complaint)
            if issubclass(chosen.form, _AgencyForm)
            else chosen.form(data)
        )
        if request.method == "POST" and form.is_valid():
            try:
                done = chosen.perform(request.user, complaint, form.cleaned_data)
            except DomainError as error:
                self._show_refusal(form, error)
            else:
                self.message_user(
                    request,
                    gettext("%(number)s: %(action)s — done; it is now %(status)s.")
                    % {
                        "number": done.tracking_number,
                        "action": chosen.label,
                        "status": done.get_status_display(),
                    },
                    messages.SUCCESS,
                )
                still_visible = self.get_queryset(request).filter(pk=complaint.pk).exists()
                return HttpResponseRedirect(page if still_visible else self._url("changelist"))
        elif request.method == "GET" and action not in permissions.handling_actions(
            request.user, complaint
        ):
            self.message_user(
                request,
                gettext("%(action)s is not possible for %(number)s now.")
                % {"action": chosen.label, "number": complaint.tracking_number},
                messages.WARNING,
            )
            return HttpResponseRedirect(page)
        return self._form_page(
            request, form, title=f"{complaint.tracking_number}: {chosen.label}",
            submit=chosen.label, back=page, complaint=complaint,
        )  # fmt: skip

    def _show_refusal(self, form: forms.Form, error: DomainError) -> None:
        placed = False
        for entry in error.extra.get("errors", []):
            if entry.get("field") in form.fields:
                form.add_error(entry["field"], str(entry["detail"]))
                placed = True
        if not placed:
            form.add_error(None, describe(error))

    def _form_page(
        self,
        request: HttpRequest,
        form: forms.Form,
        *,
        title: str,
        submit: Any,
        back: str,
        complaint: Complaint | None = None,
        selected: list[str] | None = None,
        bulk_action: str = "",
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "submit_label": submit,
            "back_url": back,
            "complaint": complaint,
            "selected": selected or [],
            "bulk_action": bulk_action,
        }
        return TemplateResponse(request, self.handle_template, context)


@admin.register(Complaint)
class ComplaintAdmin(_ComplaintScreen):
    handlings = (
        "accept", "start", "resolve", "reject", "transfer", "duplicate", "pause", "resume",
        "notes",
    )  # fmt: skip
    list_display = ("tracking_number", "category", "status", "deadline", "district")
    list_columns = (
        "tracking_number", "category_id", "status", "district_id",
        "resolution_due", "first_contact_due", "paused_at",
    )  # fmt: skip
    list_filter = (QueueFilter, OverdueFilter, CategoryFilter, DistrictFilter)
    sortable_by = ("deadline",)
    actions = ["start_work"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Complaint]:
        return permissions.complaints_of_staff(request.user)

    def get_ordering(self, request: HttpRequest) -> Any:
        # Earliest deadline first: among open complaints the overdue ones lead.
        return ("resolution_due", "id")

    @admin.action(description=_("Start work on the selected complaints"))
    def start_work(self, request: HttpRequest, queryset: QuerySet[Complaint]) -> None:
        for complaint in queryset:
            try:
                handling.start_work(complaint=complaint, by=request.user)
            except DomainError as error:
                self.message_user(
                    request, f"{complaint.tracking_number}: {describe(error)}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    gettext("%(number)s: work has started.")
                    % {"number": complaint.tracking_number},
                    messages.SUCCESS,
                )


@admin.register(DispatchQueueComplaint)
class DispatchQueueAdmin(_ComplaintScreen):
    handlings = ("dispatch", "duplicate")
    list_display = ("tracking_number", "category", "status", "dispatch_since", "district",
                    "jurisdiction")  # fmt: skip
    list_columns = (
        "tracking_number", "category_id", "status", "dispatch_since", "district_id",
        "jurisdiction_id",
    )  # fmt: skip
    list_filter = (CategoryFilter, DistrictFilter)
    sortable_by = ("dispatch_since",)
    actions = ["route_to_agency"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Complaint]:
        return permissions.dispatch_queue_of(request.user)

    def get_ordering(self, request: HttpRequest) -> Any:
        return ("dispatch_since", "id")  # longest waiting first

    @admin.action(description=_("Route to an agency"))
    def route_to_agency(
        self, request: HttpRequest, queryset: QuerySet[Complaint]
    ) -> TemplateResponse | None:
        """An intermediate page asks for the agency, then each complaint is dispatched."""
        complaints = list(queryset.select_related("jurisdiction"))
        form = DispatchForm(request.POST if "apply" in request.POST else None)
        chains = [{j.pk for j in c.jurisdiction.ancestors_and_self()} for c in complaints]
        common = set.intersection(*chains) if chains else set()
        form.fields["agency"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            is_active=True, jurisdiction_id__in=sorted(common)
        ).order_by("name")
        if "apply" in request.POST and form.is_valid():
            for complaint in complaints:
                try:
                    handling.dispatch_to_agency(
                        complaint=complaint, by=request.user, agency=form.cleaned_data["agency"],
                        note=form.cleaned_data["note"],
                    )  # fmt: skip
                except DomainError as error:
                    self.message_user(
                        request, f"{complaint.tracking_number}: {describe(error)}", messages.ERROR
                    )
                else:
                    self.message_user(
                        request,
                        gettext("%(number)s is routed to %(agency)s.")
                        % {"number": complaint.tracking_number,
                           "agency": form.cleaned_data["agency"]},
                        messages.SUCCESS,
                    )  # fmt: skip
            return None
        return self._form_page(
            request, form, title=gettext("Route %(count)s complaints") % {"count": len(complaints)},
            submit=_("Route to an agency"), back=self._url("changelist"),
            selected=[str(c.pk) for c in complaints], bulk_action="route_to_agency",
        )  # fmt: skip


# Escalations -----------------------------------------------------------------------------------


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    """A supervisor's view: the escalations of complaints their agency handles, and those sent
    to their agency (as oversight). Read-only; the sweep records them."""

    list_display = ("complaint_number", "reason", "level", "target", "agency", "deadline",
                    "created_at")  # fmt: skip
    list_filter = ("reason", "level", "target")
    list_select_related = ("complaint", "agency")
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = ("complaint_number", "reason", "round", "level", "target", "agency", "deadline",
              "created_at")  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Escalation]:
        escalations = super().get_queryset(request).select_related("complaint", "agency")
        scope = permissions.staff_scope(request.user)
        if scope.is_superuser:
            return escalations.annotate(complaint_is_readable=Value(True))
        supervised = sorted(scope.supervising)
        readable = sorted(scope.reading)
        return escalations.filter(
            Q(agency_id__in=supervised) | Q(complaint__agency_id__in=supervised)
        ).annotate(
            complaint_is_readable=ExpressionWrapper(
                Case(When(complaint__agency_id__in=readable, then=Value(True)),
                     default=Value(False)),
                output_field=BooleanField(),
            )
        )  # fmt: skip

    @admin.display(description=_("complaint"), ordering="complaint__tracking_number")
    def complaint_number(self, escalation: Escalation) -> SafeString:
        number = escalation.complaint.tracking_number
        if not getattr(escalation, "complaint_is_readable", False):
            return format_html("{}", number)
        url = reverse("admin:complaints_complaint_change", args=[escalation.complaint_id])
        return format_html('<a href="{}">{}</a>', url, number)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

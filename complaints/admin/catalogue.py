"""Staff screens for what complaints are sorted and routed by: the category tree with its
questions (texts in English, Thai and Chinese), district areas (imported from GeoJSON), routing
rules (with a form that shows which rule a report would meet) and escalation ladders.

Who sees what: platform administrators everything; agency staff the catalogue of their
agency's jurisdiction and of the jurisdictions beneath it, and nothing of any other (not in
lists, "not found" for a page). Supervisors edit what they see, officers and dispatchers only
look (identity/roles.py grants the model permissions). Districts draw the map every agency
routes by, so only platform administrators change them.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TabbedDjangoJqueryTranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)

from complaints.geojson import (
    MAX_BYTES,
    GeoJSONImportError,
    bounding_box,
    districts_as_geojson,
    import_districts,
    load_geojson,
)
from complaints.models import (
    ComplaintCategory,
    DeadlineUnit,
    District,
    EscalationLevel,
    Question,
    QuestionChoice,
    RoutingRule,
)
from complaints.permissions import agency_serves, jurisdictions_beneath
from complaints.routing import routing_table
from identity.models import Agency, Jurisdiction, Membership
from identity.queries import roles_of

# What a leaf's deadlines may be: long enough for real repairs, short enough to mean something.
MAX_RESOLUTION = {DeadlineUnit.WORKING_DAYS: 120, DeadlineUnit.WORKING_HOURS: 240}
MAX_FIRST_CONTACT_HOURS = 7 * 24
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


# Who sees and edits which jurisdictions' catalogue -----------------------------------------


@dataclass(frozen=True)
class CatalogueScope:
    """The jurisdictions whose catalogue a staff member sees, and those they edit; a
    platform administrator (`everything`) sees and edits all of them.

    Those beneath the user's agencies' jurisdictions are looked up only when a screen asks:
    every admin page asks this scope whether the user may add to the catalogue (for the
    sidebar), and that needs only to know whether they supervise any agency."""

    everything: bool
    seen: frozenset[int]  # the jurisdictions of the user's agencies
    supervised: frozenset[int]  # those of the agencies they supervise

    @cached_property
    def visible(self) -> frozenset[int]:
        return frozenset(jurisdictions_beneath(set(self.seen)))

    @cached_property
    def editable(self) -> frozenset[int]:
        return frozenset(jurisdictions_beneath(set(self.supervised)))

    @property
    def edits_anything(self) -> bool:
        return self.everything or bool(self.supervised)  # editable holds what they supervise

    def can_see(self, jurisdiction_id: int | None) -> bool:
        return self.everything or jurisdiction_id in self.visible

    def can_edit(self, jurisdiction_id: int | None) -> bool:
        return self.everything or jurisdiction_id in self.editable

    def jurisdictions(self, *, editable: bool) -> QuerySet[Jurisdiction]:
        if self.everything:
            return Jurisdiction.objects.all()
        return Jurisdiction.objects.filter(pk__in=self.editable if editable else self.visible)

    def agencies(self) -> QuerySet[Agency]:
        """Agencies that may handle complaints of the editable jurisdictions."""
        agencies = Agency.objects.filter(is_active=True).select_related("jurisdiction")
        return agencies if self.everything else agencies.filter(jurisdiction_id__in=self.editable)


def catalogue_scope(request: HttpRequest) -> CatalogueScope:
    """Read once per request, from the user's agency memberships (identity.queries.roles_of)."""
    cached = getattr(request, "_complaint_catalogue_scope", None)
    if cached is not None:
        return cached
    user: Any = request.user
    if user.is_superuser:
        scope = CatalogueScope(everything=True, seen=frozenset(), supervised=frozenset())
    else:
        roles = roles_of(user)
        scope = CatalogueScope(
            everything=False,
            seen=frozenset(m.jurisdiction_id for m in roles),
            supervised=frozenset(
                m.jurisdiction_id for m in roles if m.role == Membership.Role.SUPERVISOR
            ),
        )
    request._complaint_catalogue_scope = scope  # type: ignore[attr-defined]
    return scope


class ScopedCatalogueAdmin(admin.ModelAdmin):
    """Rows of the jurisdictions in the user's catalogue scope only; editing only where the
    user supervises. A row outside the scope is "not found", like one that does not exist."""

    jurisdiction_path = "jurisdiction"

    def jurisdiction_id_of(self, obj: Any) -> int | None:
        return obj.jurisdiction_id

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scoped(request, super().get_queryset(request))

    def scoped(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        scope = catalogue_scope(request)
        if scope.everything:
            return queryset
        return queryset.filter(**{f"{self.jurisdiction_path}_id__in": scope.visible})

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return (
            super().has_add_permission(request, *args) and catalogue_scope(request).edits_anything
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or catalogue_scope(request).can_edit(self.jurisdiction_id_of(obj))
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or catalogue_scope(request).can_edit(self.jurisdiction_id_of(obj))
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scope = catalogue_scope(request)
        if db_field.related_model is Jurisdiction:
            kwargs.setdefault("queryset", scope.jurisdictions(editable=True))
        elif db_field.related_model is Agency:
            kwargs.setdefault("queryset", scope.agencies())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _require_in_scope(self, request: HttpRequest, object_id: str) -> None:
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(gettext("Not found."))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        self._require_in_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._require_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)


class ScopedInlineMixin:
    """An inline editable only where its parent is (the parent's jurisdiction)."""

    def _parent_editable(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return True
        jurisdiction_id = (
            obj.category.jurisdiction_id if isinstance(obj, Question) else obj.jurisdiction_id
        )
        return catalogue_scope(request).can_edit(jurisdiction_id)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and self._parent_editable(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._parent_editable(  # type: ignore[misc]
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._parent_editable(  # type: ignore[misc]
            request, obj
        )


# Category tree ----------------------------------------------------------------------------


def category_paths(request: HttpRequest) -> dict[int, list[str]]:
    """Every visible category's path from its root, in the current language; one query per
    request, so a list of categories or questions shows breadcrumbs without N+1."""
    cached = getattr(request, "_complaint_category_paths", None)
    if cached is not None:
        return cached
    scope = catalogue_scope(request)
    rows = ComplaintCategory.objects.only(
        "pk", "parent_id", "name", "name_en", "name_th", "name_zh_hans"
    )
    if not scope.everything:
        rows = rows.filter(jurisdiction_id__in=scope.visible)
    nodes = {row.pk: (row.parent_id, str(row.name)) for row in rows}
    paths: dict[int, list[str]] = {}
    for pk in nodes:
        chain: list[str] = []
        node: int | None = pk
        while node is not None and node in nodes and len(chain) <= len(nodes):
            parent, name = nodes[node]
            chain.append(name)
            node = parent
        paths[pk] = chain[::-1]
    request._complaint_category_paths = paths  # type: ignore[attr-defined]
    return paths


def breadcrumb(request: HttpRequest, category_id: int) -> str:
    return " › ".join(category_paths(request).get(category_id, []))


class QuestionInline(ScopedInlineMixin, TranslationStackedInline):
    model = Question
    extra = 0
    fields = (("code", "datatype", "is_required", "order"), "description", "datatype_description")
    show_change_link = True
    verbose_name_plural = _("questions (their choices are edited on the question's page)")


class CategoryForm(forms.ModelForm):
    class Meta:
        model = ComplaintCategory
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        jurisdiction = cleaned.get("jurisdiction")
        parent = cleaned.get("parent")
        category = self.instance
        has_children = category.pk is not None and category.children.exists()
        if (
            category.pk is not None
            and jurisdiction is not None
            and has_children
            and jurisdiction.pk != category.jurisdiction_id
        ):
            self.add_error(
                "jurisdiction",
                forms.ValidationError(
                    _("Move or remove its subcategories before moving it to another "
                      "jurisdiction."), code="has_children",
                ),
            )  # fmt: skip
        if parent is not None and parent.complaints.exists():
            self.add_error(
                "parent",
                forms.ValidationError(
                    _("Complaints were filed under “%(parent)s”; citizens report under the "
                      "categories without subcategories, so it cannot get any."),
                    code="parent_has_complaints", params={"parent": parent},
                ),
            )  # fmt: skip
        if not has_children:
            self._clean_leaf_settings(cleaned, jurisdiction)
        return cleaned

    def _clean_leaf_settings(self, cleaned: dict[str, Any], jurisdiction: Any) -> None:
        """A leaf is what citizens report under: its deadlines and agency must make sense."""
        unit, amount = cleaned.get("resolution_unit"), cleaned.get("resolution_amount")
        if unit in MAX_RESOLUTION and amount is not None and amount > MAX_RESOLUTION[unit]:
            self.add_error(
                "resolution_amount",
                forms.ValidationError(
                    _("At most %(limit)d %(unit)s."),
                    code="deadline_too_long",
                    params={"limit": MAX_RESOLUTION[unit], "unit": DeadlineUnit(unit).label},
                ),
            )
        contact = cleaned.get("first_contact_hours")
        if contact is not None and contact > MAX_FIRST_CONTACT_HOURS:
            self.add_error(
                "first_contact_hours",
                forms.ValidationError(
                    _("First contact must be due within a week (%(limit)d hours)."),
                    code="first_contact_too_late",
                    params={"limit": MAX_FIRST_CONTACT_HOURS},
                ),
            )
        agency = cleaned.get("default_agency")
        if (
            agency is not None
            and jurisdiction is not None
            and not agency_serves(agency, jurisdiction)
        ):
            self.add_error(
                "default_agency",
                forms.ValidationError(
                    _("Choose an agency of %(jurisdiction)s or of a jurisdiction beneath it."),
                    code="agency_elsewhere",
                    params={"jurisdiction": jurisdiction},
                ),
            )


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(ScopedCatalogueAdmin, TabbedDjangoJqueryTranslationAdmin):
    form = CategoryForm
    inlines = [QuestionInline]
    list_display = (  # the tree column comes first (get_list_display)
        "code",
        "jurisdiction",
        "handled_by",
        "deadline",
        "allows_anonymous",
        "is_public",
        "is_active",
    )
    list_filter = (("jurisdiction", admin.RelatedOnlyFieldListFilter), "is_active", "is_public")
    list_select_related = ("jurisdiction", "default_agency")
    search_fields = (
        "code",
        "name_en",
        "name_th",
        "name_zh_hans",
        "keywords_en",
        "keywords_th",
        "keywords_zh_hans",
    )
    readonly_fields = ("path", "updated_at")
    fieldsets = (
        (None, {"fields": ("jurisdiction", "parent", "path", "code", "order", "is_active")}),
        (_("Texts"), {"fields": ("name", "description", "keywords")}),
        (
            _("Reports under this category"),
            {
                "description": _(
                    "Used by categories without subcategories: those are the ones citizens "
                    "report under."
                ),
                "fields": (
                    "default_agency",
                    ("resolution_amount", "resolution_unit"),
                    "first_contact_hours",
                    ("duplicate_radius_m", "duplicate_window_days"),
                    "allows_anonymous",
                    "is_public",
                ),
            },
        ),
        (_("History"), {"fields": ("updated_at",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The tree's order (three levels deep): each root, then its children, then theirs.
        # Annotated before ordering (ModelAdmin.get_queryset orders the bare rows).
        tree = self.model._default_manager.get_queryset().annotate(
            has_children=Exists(ComplaintCategory.objects.filter(parent=OuterRef("pk"))),
            root_order=Coalesce("parent__parent__order", "parent__order", "order"),
            root_code=Coalesce("parent__parent__code", "parent__code", "code"),
            depth=Case(
                When(parent__isnull=True, then=Value(0)),
                When(parent__parent__isnull=True, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            middle_order=Case(
                When(parent__isnull=True, then=Value(-1)),
                When(parent__parent__isnull=True, then=F("order")),
                default=F("parent__order"),
                output_field=IntegerField(),
            ),
            middle_code=Case(
                When(parent__isnull=True, then=Value("")),
                When(parent__parent__isnull=True, then=F("code")),
                default=F("parent__code"),
                output_field=CharField(),
            ),
        )
        return self.scoped(request, tree).order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return [
            "jurisdiction__code",
            "root_order",
            "root_code",
            "middle_order",
            "middle_code",
            "depth",
            "order",
            "code",
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "parent":
            scope = catalogue_scope(request)
            parents = ComplaintCategory.objects.select_related("jurisdiction")
            if not scope.everything:
                parents = parents.filter(jurisdiction_id__in=scope.editable)
            kwargs["queryset"] = parents.order_by("jurisdiction__code", "order", "code")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda category: (
                f"{breadcrumb(request, category.pk) or category} ({category.jurisdiction})"
            )
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_display(self, request: HttpRequest) -> Any:
        # The breadcrumbs need the request (its scope); list_display callables get the row.
        @admin.display(description=_("category"), ordering="root_order")
        def tree(category: ComplaintCategory) -> str:
            *above, own = category_paths(request).get(category.pk) or [str(category)]
            return format_html(
                '<span style="padding-left:{}em"><span style="color:var(--body-quiet-color)">'
                "{}</span>{}</span>",
                (getattr(category, "depth", 0) or 0) * 1.5,
                "".join(f"{name} › " for name in above),
                own,
            )

        return (tree, *self.list_display)

    @admin.display(description=_("handled by"))
    def handled_by(self, category: ComplaintCategory) -> str:
        if getattr(category, "has_children", 0):
            return "—"
        return str(category.default_agency or _("the dispatcher"))

    @admin.display(description=_("resolution deadline"))
    def deadline(self, category: ComplaintCategory) -> str:
        if getattr(category, "has_children", 0):
            return "—"
        return f"{category.resolution_amount} {DeadlineUnit(category.resolution_unit).label}"

    @admin.display(description=_("place in the tree"))
    def path(self, category: ComplaintCategory) -> str:
        if category.pk is None:
            return "—"
        names: list[str] = []
        node: ComplaintCategory | None = category
        while node is not None and len(names) < 20:
            names.append(str(node.name))
            node = node.parent
        return " › ".join(reversed(names))


# Questions and their choices --------------------------------------------------------------


class ChoiceFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        question = self.instance
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk is not None
            if not (self.can_delete and form.cleaned_data.get("DELETE"))
            if form.cleaned_data
        ]
        if question.has_choices and not kept:
            raise forms.ValidationError(
                _("A one-choice or several-choices question needs at least one choice."),
                code="choices_missing",
            )
        if not question.has_choices and kept:
            raise forms.ValidationError(
                _("Only one-choice and several-choices questions have choices; remove them or "
                  "change the question's type."), code="choices_unexpected",
            )  # fmt: skip


class QuestionChoiceInline(ScopedInlineMixin, TranslationTabularInline):
    model = QuestionChoice
    formset = ChoiceFormSet
    extra = 0
    fields = ("order", "key", "name")


@admin.register(Question)
class QuestionAdmin(ScopedCatalogueAdmin, TabbedDjangoJqueryTranslationAdmin):
    jurisdiction_path = "category__jurisdiction"
    inlines = [QuestionChoiceInline]
    list_display = ("code", "datatype", "is_required", "choice_count", "order")
    list_filter = (("category__jurisdiction", admin.RelatedOnlyFieldListFilter), "datatype")
    list_select_related = ("category",)
    search_fields = ("code", "description_en", "description_th", "description_zh_hans")
    ordering = ("category__jurisdiction__code", "category__code", "order", "code")
    fields = (
        "category",
        ("code", "datatype", "is_required", "order"),
        "description",
        "datatype_description",
    )

    def jurisdiction_id_of(self, obj: Any) -> int | None:
        return obj.category.jurisdiction_id

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(choices_count=Count("choices"))

    def get_list_display(self, request: HttpRequest) -> Any:
        @admin.display(description=_("category"))
        def category_path(question: Question) -> str:
            return breadcrumb(request, question.category_id) or str(question.category)

        return (self.list_display[0], category_path, *self.list_display[1:])

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "category":
            scope = catalogue_scope(request)
            categories = ComplaintCategory.objects.select_related("jurisdiction")
            if not scope.everything:
                categories = categories.filter(jurisdiction_id__in=scope.editable)
            kwargs["queryset"] = categories.order_by("jurisdiction__code", "order", "code")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda category: (
                f"{breadcrumb(request, category.pk) or category} ({category.jurisdiction})"
            )
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("choices"), ordering="choices_count")
    def choice_count(self, question: Question) -> int | str:
        return getattr(question, "choices_count", 0) if question.has_choices else "—"


# Districts --------------------------------------------------------------------------------


class DistrictImportForm(forms.Form):
    jurisdiction: "forms.ModelChoiceField[Jurisdiction]" = forms.ModelChoiceField(
        label=_("jurisdiction"), queryset=Jurisdiction.objects.none()
    )
    file = forms.FileField(
        label=_("GeoJSON file"),
        required=False,
        help_text=_(
            "A FeatureCollection whose features are polygons or multipolygons in WGS 84 "
            "longitude/latitude, each with the properties “code” and “name_en”, “name_th”, "
            "“name_zh_hans” (or “name”). Districts are created or updated by code; at most "
            "%(limit)d MB."
        )
        % {"limit": MAX_BYTES // (1024 * 1024)},
    )
    text = forms.CharField(
        label=_("or paste GeoJSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
    )
    code = forms.SlugField(
        label=_("code"),
        required=False,
        max_length=40,
        help_text=_("Only for a bare geometry, or features without a code."),
    )
    name = forms.CharField(
        label=_("name (English)"),
        required=False,
        max_length=200,
        help_text=_("Only for a bare geometry, or features without a name."),
    )

    def __init__(self, *args: Any, jurisdictions: QuerySet[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = jurisdictions  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload, text = cleaned.get("file"), (cleaned.get("text") or "").strip()
        if bool(upload) == bool(text):
            raise forms.ValidationError(
                _("Upload a file or paste GeoJSON (one of the two)."), code="one_source"
            )
        if upload is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)d bytes; the limit is %(limit)d bytes."),
                code="too_large",
                params={"size": upload.size, "limit": MAX_BYTES},
            )
        return cleaned

    def raw(self) -> bytes:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            return b"".join(upload.chunks())
        return str(self.cleaned_data["text"]).encode()


@admin.register(District)
class DistrictAdmin(ScopedCatalogueAdmin, TabbedDjangoJqueryTranslationAdmin):
    list_display = ("code", "name", "jurisdiction", "area", "updated_at")
    list_filter = (("jurisdiction", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("jurisdiction",)
    search_fields = ("code", "name_en", "name_th", "name_zh_hans")
    ordering = ("jurisdiction__code", "code")
    fields = ("jurisdiction", "code", "name", "boundary", "map", "updated_at")
    readonly_fields = ("map", "updated_at")
    actions = ("export_geojson",)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="complaints_district_import",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload districts as GeoJSON for one jurisdiction: all are checked, then all are
        written, or none."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        jurisdictions = catalogue_scope(request).jurisdictions(editable=True)
        form = DistrictImportForm(
            request.POST or None, request.FILES or None, jurisdictions=jurisdictions
        )
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                result = import_districts(
                    jurisdiction=form.cleaned_data["jurisdiction"],
                    data=load_geojson(form.raw()),
                    code=form.cleaned_data["code"],
                    name=form.cleaned_data["name"],
                )
            except GeoJSONImportError as error:
                problems = error.errors
            else:
                self.message_user(
                    request,
                    gettext("Districts created: %(created)s; updated: %(updated)s.")
                    % {
                        "created": ", ".join(result.created) or "—",
                        "updated": ", ".join(result.updated) or "—",
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:complaints_district_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import districts from GeoJSON"),
            "form": form,
            "problems": problems,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/complaints/district/import.html", context, status=200
        )

    @admin.action(description=_("Download the selected districts as GeoJSON"))
    def export_geojson(self, request: HttpRequest, queryset: QuerySet[District]) -> HttpResponse:
        body = json.dumps(
            districts_as_geojson(queryset.select_related("jurisdiction").order_by("code")),
            ensure_ascii=False,
            indent=2,
        )
        response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="districts.geojson"'
        return response

    @admin.display(description=_("bounding box"))
    def area(self, district: District) -> str:
        box = bounding_box(district.boundary or {})
        if box is None:
            return "—"
        west, south, east, north = box
        return f"{south:.4f}, {west:.4f} – {north:.4f}, {east:.4f}"

    @admin.display(description=_("on the map"))
    def map(self, district: District) -> str:
        box = bounding_box(district.boundary or {}) if district.pk else None
        if box is None:
            return "—"
        west, south, east, north = box
        link = (
            "https://www.openstreetmap.org/?"
            f"minlon={west:.5f}&minlat={south:.5f}&maxlon={east:.5f}&maxlat={north:.5f}&box=yes"
        )
        return format_html(
            '{} <a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
            gettext("latitude %(south).5f to %(north).5f, longitude %(west).5f to %(east).5f")
            % {"south": south, "north": north, "west": west, "east": east},
            link,
            gettext("OpenStreetMap"),
        )


# Routing rules ----------------------------------------------------------------------------


class RoutingRuleForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Local time of the jurisdiction; none ticked: every day."),
    )

    class Meta:
        model = RoutingRule
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown
        help_texts = {
            "answers": _(
                'Answers to the categories\' questions, e.g. {"size": ["large", "medium"]} or '
                '{"lanes_blocked": "yes"}; empty: any answers.'
            ),
            "categories": _("A parent category also matches the categories beneath it; none "
                            "chosen: any category."),
            "districts": _("None chosen: anywhere, also outside every district."),
        }  # fmt: skip

    def clean_weekdays(self) -> list[int]:
        return sorted(set(self.cleaned_data.get("weekdays") or []))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        jurisdiction = cleaned.get("jurisdiction")
        starts, ends = cleaned.get("time_from"), cleaned.get("time_to")
        if (starts is None) != (ends is None):
            self.add_error(
                "time_to",
                forms.ValidationError(
                    _("Give both times, or neither for all day."), code="time_both_or_none"
                ),
            )
        if starts is not None and starts == ends:
            self.add_error(
                "time_to",
                forms.ValidationError(
                    _("The window is empty: the end equals the start."), code="time_empty"
                ),
            )
        if jurisdiction is None:
            return cleaned
        categories = list(cleaned.get("categories") or [])
        elsewhere = [c for c in categories if c.jurisdiction_id != jurisdiction.pk]
        if elsewhere:
            self.add_error(
                "categories",
                forms.ValidationError(
                    _("Not categories of %(jurisdiction)s: %(names)s."),
                    code="category_elsewhere",
                    params={
                        "jurisdiction": jurisdiction,
                        "names": ", ".join(str(c) for c in elsewhere),
                    },
                ),
            )
        districts = list(cleaned.get("districts") or [])
        outside = [d for d in districts if d.jurisdiction_id != jurisdiction.pk]
        if outside:
            self.add_error(
                "districts",
                forms.ValidationError(
                    _("Not districts of %(jurisdiction)s: %(names)s."),
                    code="district_elsewhere",
                    params={
                        "jurisdiction": jurisdiction,
                        "names": ", ".join(str(d) for d in outside),
                    },
                ),
            )
        agency = cleaned.get("agency")
        if agency is not None and not agency_serves(agency, jurisdiction):
            self.add_error(
                "agency",
                forms.ValidationError(
                    _("Choose an agency of %(jurisdiction)s or of a jurisdiction beneath it."),
                    code="agency_elsewhere",
                    params={"jurisdiction": jurisdiction},
                ),
            )
        answers = cleaned.get("answers")
        if isinstance(answers, dict) and answers and not elsewhere:
            for problem in _answer_problems(answers, jurisdiction, categories):
                self.add_error("answers", forms.ValidationError(problem, code="unknown_answer"))
        return cleaned


def _answer_problems(
    answers: dict[str, Any], jurisdiction: Jurisdiction, categories: list[ComplaintCategory]
) -> list[str]:
    """Answer conditions must name questions the rule's categories (or those beneath them)
    ask, and choices those questions offer; a typo would make a rule that never matches."""
    parents = dict(
        ComplaintCategory.objects.filter(jurisdiction=jurisdiction).values_list("pk", "parent_id")
    )
    chosen = {c.pk for c in categories}

    def covered(pk: int) -> bool:
        node: int | None = pk
        seen: set[int] = set()
        while node is not None and node not in seen:
            if node in chosen:
                return True
            seen.add(node)
            node = parents.get(node)
        return False

    in_reach = [pk for pk in parents if not chosen or covered(pk)]
    questions: dict[str, set[str] | None] = {}
    for question in Question.objects.filter(category_id__in=in_reach).prefetch_related("choices"):
        keys = {choice.key for choice in question.choices.all()} if question.has_choices else None
        known = questions.get(question.code, set())
        questions[question.code] = None if keys is None or known is None else known | keys
    problems = []
    for code, want in answers.items():
        if code not in questions:
            problems.append(
                gettext("No question “%(code)s” in the rule's categories.") % {"code": code}
            )
            continue
        keys = questions[code]
        wanted = [str(value) for value in (want if isinstance(want, list) else [want])]
        unknown = [value for value in wanted if keys is not None and value not in keys]
        if unknown:
            problems.append(
                gettext("The question “%(code)s” has no choice %(values)s.")
                % {"code": code, "values": ", ".join(f"“{value}”" for value in unknown)}
            )
    return problems


class TryRoutingForm(forms.Form):
    """Where would a report go? Category, place (a point or a district), time and answers."""

    jurisdiction: "forms.ModelChoiceField[Jurisdiction]" = forms.ModelChoiceField(
        label=_("jurisdiction"), queryset=Jurisdiction.objects.none()
    )
    category: "forms.ModelChoiceField[ComplaintCategory]" = forms.ModelChoiceField(
        label=_("category"), queryset=ComplaintCategory.objects.none()
    )
    latitude = forms.DecimalField(
        label=_("latitude"), required=False, min_value=-90, max_value=90, decimal_places=6
    )
    longitude = forms.DecimalField(
        label=_("longitude"), required=False, min_value=-180, max_value=180, decimal_places=6
    )
    district: "forms.ModelChoiceField[District]" = forms.ModelChoiceField(
        label=_("or district"),
        queryset=District.objects.none(),
        required=False,
        help_text=_("Instead of a point."),
    )
    at = forms.DateTimeField(
        label=_("reported at (local time)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now."),
    )
    answers = forms.JSONField(
        label=_("answers"),
        required=False,
        help_text=_('{"question code": "value"}'),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def __init__(self, *args: Any, scope: CatalogueScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        jurisdictions = scope.jurisdictions(editable=False)
        self.fields["jurisdiction"].queryset = jurisdictions  # type: ignore[attr-defined]
        categories = (
            ComplaintCategory.objects.filter(jurisdiction__in=jurisdictions, children__isnull=True)
            .select_related("jurisdiction")
            .order_by("jurisdiction__code", "parent__order", "order", "code")
        )
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        self.fields["district"].queryset = District.objects.filter(  # type: ignore[attr-defined]
            jurisdiction__in=jurisdictions
        ).select_related("jurisdiction")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        jurisdiction = cleaned.get("jurisdiction")
        if jurisdiction is None:
            return cleaned
        category, district = cleaned.get("category"), cleaned.get("district")
        if category is not None and category.jurisdiction_id != jurisdiction.pk:
            self.add_error("category", gettext("Choose a category of %s.") % jurisdiction)
        if district is not None and district.jurisdiction_id != jurisdiction.pk:
            self.add_error("district", gettext("Choose a district of %s.") % jurisdiction)
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        answers = cleaned.get("answers")
        if answers is not None and not isinstance(answers, dict):
            self.add_error("answers", _('Give answers as {"question code": value}.'))
        at = cleaned.get("at")
        zone = ZoneInfo(jurisdiction.time_zone)
        cleaned["at"] = (
            timezone.make_naive(at).replace(tzinfo=zone) if at is not None else timezone.now()
        )
        return cleaned


@dataclass(frozen=True)
class RoutingOutcome:
    district: District | None
    located: bool  # a point was given
    rule: RoutingRule | None
    agency: Agency | None
    by_default: bool  # the category's default agency, no rule applied
    local_time: datetime


def try_routing(
    *,
    jurisdiction: Jurisdiction,
    category: ComplaintCategory,
    at: datetime,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    district: District | None = None,
    answers: dict[str, Any] | None = None,
) -> RoutingOutcome:
    """What route_complaint would do with such a report, without a complaint."""
    table = routing_table(jurisdiction.pk)
    located = district is None and latitude is not None and longitude is not None
    if located:
        found = table.district_at(float(latitude), float(longitude))  # type: ignore[arg-type]
        district = District.objects.filter(pk=found).first() if found is not None else None
    compiled = table.match(
        category_id=category.pk,
        district_id=district.pk if district else None,
        at=at,
        answers=answers or {},
    )
    rule = agency = None
    if compiled is not None:
        rule = RoutingRule.objects.select_related("agency").get(pk=compiled.pk)
        agency = rule.agency
    elif category.default_agency is not None and category.default_agency.is_active:
        agency = category.default_agency
    return RoutingOutcome(
        district=district,
        located=located,
        rule=rule,
        agency=agency,
        by_default=rule is None and agency is not None,
        local_time=at.astimezone(ZoneInfo(jurisdiction.time_zone)),
    )


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedCatalogueAdmin):
    form = RoutingRuleForm
    list_display = ("priority", "name", "jurisdiction", "conditions", "agency", "is_active")
    list_display_links = ("priority", "name")
    list_filter = (
        ("jurisdiction", admin.RelatedOnlyFieldListFilter),
        ("agency", admin.RelatedOnlyFieldListFilter),
        "is_active",
    )
    list_select_related = ("jurisdiction", "agency")
    search_fields = ("name",)
    ordering = ("jurisdiction__code", "priority")
    filter_horizontal = ("categories", "districts")
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"fields": ("jurisdiction", "priority", "name", "agency", "is_active")}),
        (
            _("Conditions (all must hold; an empty one holds always)"),
            {
                "fields": (
                    "categories",
                    "districts",
                    "weekdays",
                    ("time_from", "time_to"),
                    "answers",
                )
            },
        ),
        (_("History"), {"fields": ("updated_at",)}),
    )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "try/",
                self.admin_site.admin_view(self.try_view),
                name="complaints_routingrule_try",
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("categories", "districts")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scope = catalogue_scope(request)
        model: type[Model] = db_field.related_model
        if model in (ComplaintCategory, District):
            rows = model._default_manager.select_related("jurisdiction")
            if not scope.everything:
                rows = rows.filter(jurisdiction_id__in=scope.editable)
            kwargs["queryset"] = rows.order_by("jurisdiction__code", "code")
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if model is ComplaintCategory and field is not None:
            field.label_from_instance = lambda category: (  # type: ignore[method-assign,assignment]
                f"{breadcrumb(request, category.pk) or category} · {category.jurisdiction}"
            )
        elif model is District and field is not None:
            field.label_from_instance = lambda district: (  # type: ignore[method-assign,assignment]
                f"{district} · {district.jurisdiction}"
            )
        return field

    @admin.display(description=_("conditions"))
    def conditions(self, rule: RoutingRule) -> str:
        parts = []
        categories = [str(c) for c in rule.categories.all()]
        if categories:
            parts.append(", ".join(categories))
        districts = [str(d) for d in rule.districts.all()]
        if districts:
            parts.append(gettext("in %(districts)s") % {"districts": ", ".join(districts)})
        if rule.weekdays:
            names = dict(WEEKDAYS)
            parts.append(", ".join(str(names[day]) for day in rule.weekdays if day in names))
        if rule.time_from is not None and rule.time_to is not None:
            parts.append(f"{rule.time_from:%H:%M}–{rule.time_to:%H:%M}")
        if rule.answers:
            parts.append(json.dumps(rule.answers, ensure_ascii=False))
        return "; ".join(parts) or gettext("every report")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "try_url": reverse("admin:complaints_routingrule_try"),
        }
        return super().changelist_view(request, context)

    def try_view(self, request: HttpRequest) -> HttpResponse:
        """Shows which rule and agency a report would get, as routing would decide now."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = TryRoutingForm(request.GET or None, scope=catalogue_scope(request))
        outcome = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            outcome = try_routing(
                jurisdiction=data["jurisdiction"],
                category=data["category"],
                at=data["at"],
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
                district=data.get("district"),
                answers=data.get("answers") or {},
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Where would a report go?"),
            "form": form,
            "outcome": outcome,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/complaints/routingrule/try.html", context)


# Escalation ladders -----------------------------------------------------------------------


class EscalationLevelForm(forms.ModelForm):
    class Meta:
        model = EscalationLevel
        fields = ("jurisdiction", "level", "target", "oversight_agency", "delay_hours")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        target, agency = cleaned.get("target"), cleaned.get("oversight_agency")
        jurisdiction, level = cleaned.get("jurisdiction"), cleaned.get("level")
        if target == EscalationLevel.Target.OVERSIGHT and agency is None:
            self.add_error(
                "oversight_agency",
                forms.ValidationError(
                    _("Name the oversight agency this level goes to."), code="oversight_agency"
                ),
            )
        if target == EscalationLevel.Target.AGENCY_SUPERVISORS and agency is not None:
            self.add_error(
                "oversight_agency",
                forms.ValidationError(
                    _("Leave it empty: this level goes to the handling agency's supervisors."),
                    code="no_oversight_agency",
                ),
            )
        if (
            agency is not None
            and jurisdiction is not None
            and not agency_serves(agency, jurisdiction)
        ):
            self.add_error(
                "oversight_agency",
                forms.ValidationError(
                    _("Choose an agency of %(jurisdiction)s, above it or beneath it."),
                    code="agency_elsewhere",
                    params={"jurisdiction": jurisdiction},
                ),
            )
        delay = cleaned.get("delay_hours")
        if jurisdiction is not None and level is not None and delay is not None:
            others = EscalationLevel.objects.filter(jurisdiction=jurisdiction).exclude(
                pk=self.instance.pk
            )
            if others.filter(level__lt=level, delay_hours__gt=delay).exists():
                self.add_error(
                    "delay_hours",
                    forms.ValidationError(
                        _("A lower level escalates later than this one; a higher level must "
                          "not come before it."), code="delay_order",
                    ),
                )  # fmt: skip
            elif others.filter(level__gt=level, delay_hours__lt=delay).exists():
                self.add_error(
                    "delay_hours",
                    forms.ValidationError(
                        _("A higher level escalates earlier than this one; a higher level "
                          "must not come before it."), code="delay_order",
                    ),
                )  # fmt: skip
        return cleaned


@admin.register(EscalationLevel)
class EscalationLevelAdmin(ScopedCatalogueAdmin):
    form = EscalationLevelForm
    list_display = ("jurisdiction", "level", "target", "oversight_agency", "delay_hours")
    list_display_links = ("jurisdiction", "level")
    list_filter = (("jurisdiction", admin.RelatedOnlyFieldListFilter), "target")
    list_select_related = ("jurisdiction", "oversight_agency")
    ordering = ("jurisdiction__code", "level")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "oversight_agency":
            scope = catalogue_scope(request)
            agencies = Agency.objects.filter(is_active=True)
            if not scope.everything:
                # An oversight body usually sits above the jurisdiction it watches.
                reach = set(scope.editable)
                for jurisdiction in Jurisdiction.objects.filter(pk__in=scope.editable):
                    reach |= {j.pk for j in jurisdiction.ancestors_and_self()}
                agencies = agencies.filter(jurisdiction_id__in=reach)
            kwargs["queryset"] = agencies
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

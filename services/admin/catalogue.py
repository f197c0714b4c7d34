"""Admin screens for the catalogue: categories, life events and services (texts in English,
Thai and Chinese; fees and required evidence inline).

Officers and supervisors of an agency see and edit only their agency's services; superusers see
all. The application form's JSON Schema is checked on save, and each save recomputes the
service's search document. A service's status changes only through the actions at the top of
the list (open, suspend, retire), never through the form.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from identity.models import Agency, Membership
from services.actions.catalogue import (
    refresh_search_document,
    set_service_status,
    validate_input_schema,
)
from services.models import Category, EvidenceRequirement, Fee, LifeEvent, Service
from services.queries import agency_ids_of

STAFF_ROLES = (Membership.Role.OFFICER, Membership.Role.SUPERVISOR)


def staff_agency_ids(request: HttpRequest) -> set[int]:
    """Agencies whose services the user edits, read once per request."""
    cached = getattr(request, "_catalogue_agency_ids", None)
    if cached is None:
        cached = set(agency_ids_of(request.user, roles=STAFF_ROLES))
        request._catalogue_agency_ids = cached  # type: ignore[attr-defined]
    return cached


@admin.register(Category)
class CategoryAdmin(TranslationAdmin):
    list_display = ("code", "name", "position")
    list_editable = ("position",)
    search_fields = ("code", "name_en", "name_th", "name_zh_hans")
    ordering = ("position", "code")


@admin.register(LifeEvent)
class LifeEventAdmin(TranslationAdmin):
    list_display = ("code", "name", "audience", "position")
    list_filter = ("audience",)
    search_fields = ("code", "name_en", "name_th", "name_zh_hans")
    ordering = ("position", "code")


class FeeInline(TranslationTabularInline):
    model = Fee
    extra = 0
    fields = ("amount_minor", "currency", "valid_from", "valid_until", "description")


class EvidenceInline(TranslationTabularInline):
    model = EvidenceRequirement
    extra = 0
    fields = ("position", "code", "name", "credential_type", "accepts_upload", "is_required")


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown

    def clean_input_schema(self) -> Any:
        # An empty field is an empty form: no questions asked.
        schema = self.cleaned_data.get("input_schema")
        schema = {} if schema is None else schema
        validate_input_schema(schema)
        return schema


@admin.register(Service)
class ServiceAdmin(TranslationAdmin):
    form = ServiceForm
    list_display = (
        "code",
        "name",
        "agency",
        "jurisdiction",
        "status",
        "approval_mode",
        "updated_at",
    )
    list_filter = (
        "status",
        "approval_mode",
        ("agency", admin.RelatedOnlyFieldListFilter),
        ("categories", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("agency", "jurisdiction")
    search_fields = ("code", "name_en", "name_th", "name_zh_hans", "keywords_en")
    ordering = ("code", "pk")
    filter_horizontal = ("categories", "life_events", "also_offered_in")
    readonly_fields = ("status", "created_at", "updated_at")
    inlines = (FeeInline, EvidenceInline)
    actions = ("open_selected", "suspend_selected", "retire_selected")
    fieldsets = (
        (None, {"fields": ("code", "agency", "jurisdiction", "also_offered_in", "status")}),
        (_("Texts"), {"fields": ("name", "summary", "description", "keywords")}),
        (
            _("Who and how"),
            {
                "fields": (
                    "categories",
                    "life_events",
                    "for_persons",
                    "for_businesses",
                    "channels",
                    "minimum_level_of_assurance",
                    "legal_basis",
                )
            },
        ),
        (
            _("Deciding"),
            {
                "fields": (
                    "approval_mode",
                    "input_schema",
                    "processing_time",
                    "manual_deadline",
                    "prefill",
                    "prefill_legal_attributes",
                    "fee_biller",
                    "output_credential_type",
                    "output_validity",
                )
            },
        ),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        queryset = super().get_queryset(request).select_related("agency", "jurisdiction")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(agency_id__in=staff_agency_ids(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "agency" and not request.user.is_superuser:
            kwargs["queryset"] = Agency.objects.filter(pk__in=staff_agency_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        refresh_search_document(form.instance)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Service], status: str) -> None:
        changed = 0
        for service in queryset:
            try:
                set_service_status(service=service, status=status, by=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"{service.code}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                changed += 1
        if changed:
            self.message_user(request, _("%(count)d changed.") % {"count": changed})

    @admin.action(
        description=_("Open the selected services for applications"), permissions=["change"]
    )
    def open_selected(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        self._set_status(request, queryset, Service.Status.ACTIVE)

    @admin.action(description=_("Suspend the selected services"), permissions=["change"])
    def suspend_selected(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        self._set_status(request, queryset, Service.Status.SUSPENDED)

    @admin.action(description=_("Retire the selected services"), permissions=["change"])
    def retire_selected(self, request: HttpRequest, queryset: QuerySet[Service]) -> None:
        self._set_status(request, queryset, Service.Status.RETIRED)

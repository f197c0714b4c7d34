"""Admin screens: bundles ("one thing") with their services, bundle applications, and
proactive offers with the progress of their runs.

Bundles are catalogue content (translated name and description, a shared form validated as a
JSON Schema on save). Bundle applications, offers and runs are read-only: they change through
the citizen's actions and the offers task. Officers see those of their agencies' services,
superusers all.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from jsonschema import Draft202012Validator, SchemaError
from modeltranslation.admin import TranslationAdmin

from identity.models import User
from services.actions.bundles import bundle_status
from services.models import Application, Bundle, BundleApplication, BundleItem, Offer, OfferRun


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _agency_ids(request: HttpRequest) -> QuerySet[Any]:
    return _user(request).memberships.values("agency")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited: these rows change through actions only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Bundles -----------------------------------------------------------------------------------


class BundleForm(forms.ModelForm):
    class Meta:
        model = Bundle
        fields = "__all__"  # noqa: DJ007 - modeltranslation adds the per-language fields

    def clean_input_schema(self) -> Any:
        schema = self.cleaned_data.get("input_schema")
        if not schema:
            return schema or {}
        if not isinstance(schema, dict):
            raise forms.ValidationError(
                _("The shared form must be a JSON Schema object."), code="invalid_schema"
            )
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise forms.ValidationError(
                _("This is not a valid JSON Schema: %(problem)s"),
                code="invalid_schema",
                params={"problem": error.message},
            ) from error
        return schema


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 1
    fields = ("position", "service")
    raw_id_fields = ("service",)
    ordering = ("position", "pk")


@admin.register(Bundle)
class BundleAdmin(TranslationAdmin):
    form = BundleForm
    list_display = ("code", "name", "life_event", "status", "service_count")
    list_filter = ("status", "life_event")
    list_select_related = ("life_event",)
    search_fields = ("code", "name_en", "name_th", "name_zh_hans")
    inlines = (BundleItemInline,)

    @admin.display(description=_("services"))
    def service_count(self, bundle: Bundle) -> int:
        return bundle.items.count()


class BundledApplicationInline(admin.TabularInline):
    model = Application
    fk_name = "bundle_application"
    fields = ("reference", "service", "status", "decided_by", "decided_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BundleApplication)
class BundleApplicationAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "bundle", "applicant_pseudonym", "combined_status", "created_at")
    list_filter = ("bundle",)
    search_fields = ("public_id", "applicant__pseudonym")
    fields = ("public_id", "bundle", "applicant_pseudonym", "combined_status", "data", "created_at")
    readonly_fields = fields
    inlines = (BundledApplicationInline,)

    @admin.display(description=_("applicant"), ordering="applicant__pseudonym")
    def applicant_pseudonym(self, bundle_application: BundleApplication) -> str:
        return bundle_application.applicant.pseudonym

    @admin.display(description=_("combined status"))
    def combined_status(self, bundle_application: BundleApplication) -> str:
        return bundle_status(bundle_application)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BundleApplication]:
        queryset = (
            super()
            .get_queryset(request)
            .select_related("bundle", "applicant")
            .prefetch_related("applications")
        )
        if _user(request).is_superuser:
            return queryset
        return queryset.filter(applications__service__agency__in=_agency_ids(request)).distinct()


# Offers ------------------------------------------------------------------------------------


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ("service", "person_pseudonym", "status", "created_at", "expires_at")
    list_filter = ("status", ("service", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("service", "person")
    search_fields = ("public_id", "person__pseudonym", "service__code")
    fields = (
        "public_id",
        "service",
        "person_pseudonym",
        "rule_set",
        "status",
        "data",
        "created_at",
        "expires_at",
        "responded_at",
    )
    readonly_fields = fields

    @admin.display(description=_("person"), ordering="person__pseudonym")
    def person_pseudonym(self, offer: Offer) -> str:
        return offer.person.pseudonym

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offer]:
        queryset = super().get_queryset(request).select_related("service", "person", "rule_set")
        if _user(request).is_superuser:
            return queryset
        return queryset.filter(service__agency__in=_agency_ids(request))


@admin.register(OfferRun)
class OfferRunAdmin(ReadOnlyAdmin):
    list_display = (
        "service",
        "rule_set",
        "status",
        "persons_checked",
        "offers_made",
        "last_person_id",
        "started_at",
        "updated_at",
        "finished_at",
    )
    list_filter = ("status", ("service", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("service", "rule_set__service")
    fields = list_display
    readonly_fields = fields
    actions = ("continue_now",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfferRun]:
        queryset = super().get_queryset(request).select_related("service", "rule_set__service")
        if _user(request).is_superuser:
            return queryset
        return queryset.filter(service__agency__in=_agency_ids(request))

    def has_continue_now_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.action(
        description=_("Run the selected runs' services now (a running pass goes on)"),
        permissions=["continue_now"],
    )
    def continue_now(self, request: HttpRequest, queryset: QuerySet[OfferRun]) -> None:
        from services.offer_tasks import run_offers_for_service_task

        service_ids = sorted(set(queryset.values_list("service_id", flat=True)))
        for service_id in service_ids:
            run_offers_for_service_task.delay_on_commit(service_id=service_id)
        self.message_user(
            request,
            ngettext(
                "Offers queued for %(count)d service.",
                "Offers queued for %(count)d services.",
                len(service_ids),
            )
            % {"count": len(service_ids)},
            messages.SUCCESS,
        )

"""Admin screens: accounts, jurisdictions, agencies, businesses, memberships, mandates and
integrator API clients. Platform administrators see everything; an agency's supervisor sees
their own agency's memberships and API clients."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from identity.actions.clients import create_api_client, revoke_api_client, rotate_api_client_secret
from identity.models import (
    Agency,
    ApiClient,
    Business,
    Jurisdiction,
    Mandate,
    Membership,
    User,
)
from identity.validators import validate_uscc


def agencies_supervised_by(user: Any) -> QuerySet[Agency]:
    return Agency.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.SUPERVISOR
    )


@admin.register(User)
class CityPortalUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Phone"), {"fields": ("phone", "phone_verified")}),
    )
    list_display = ("username", "email", "phone", "is_staff", "is_active", "last_login")
    search_fields = ("username", "email", "phone")


@admin.register(Jurisdiction)
class JurisdictionAdmin(TranslationAdmin):
    list_display = ("code", "name", "level", "parent", "time_zone", "national_id_scheme")
    list_filter = ("level", "national_id_scheme")
    search_fields = ("code", "name_en", "name_th", "name_zh_hans")
    autocomplete_fields = ("parent",)


@admin.register(Agency)
class AgencyAdmin(TranslationAdmin):
    list_display = ("code", "name", "jurisdiction", "is_active")
    list_filter = ("is_active", "jurisdiction__level")
    search_fields = ("code", "name_en", "name_th", "name_zh_hans")
    autocomplete_fields = ("jurisdiction",)


class BusinessForm(forms.ModelForm):
    class Meta:
        model = Business
        fields = ["name", "registration_scheme", "registration_number", "jurisdiction"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("registration_scheme") == Business.RegistrationScheme.CN_USCC:
            number = (data.get("registration_number") or "").strip().upper()
            try:
                validate_uscc(number)
            except forms.ValidationError as error:
                self.add_error("registration_number", error)
            data["registration_number"] = number
        return data


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    form = BusinessForm
    list_display = ("name", "registration_scheme", "registration_number", "jurisdiction")
    list_filter = ("registration_scheme",)
    search_fields = ("name", "registration_number")
    autocomplete_fields = ("jurisdiction",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("role", "agency")
    search_fields = ("user__username", "user__email", "agency__code")
    autocomplete_fields = ("user", "agency")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        queryset = super().get_queryset(request).select_related("user", "agency")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(agency__in=agencies_supervised_by(request.user))


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    list_display = (
        "representative",
        "for_person",
        "for_business",
        "valid_from",
        "valid_until",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("representative__pseudonym", "for_person__pseudonym", "for_business__name")
    raw_id_fields = ("representative", "for_person", "for_business")


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiClient.Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiClient
        fields = ["agency", "name", "scopes", "credential_types", "reveals_name", "is_active"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Secrets are shown once, in the confirmation message after creating or rotating."""

    form = ApiClientForm
    list_display = (
        "name",
        "client_id",
        "agency",
        "is_active",
        "last_used_at",
        "rotated_at",
        "revoked_at",
    )
    list_filter = ("is_active", "agency")
    search_fields = ("name", "client_id")
    readonly_fields = ("client_id", "created_at", "rotated_at", "revoked_at", "last_used_at")
    filter_horizontal = ("credential_types",)
    actions = ["rotate_secret", "revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        queryset = super().get_queryset(request).select_related("agency")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(agency__in=agencies_supervised_by(request.user))

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = create_api_client(
            agency=obj.agency,
            name=obj.name,
            scopes=list(form.cleaned_data["scopes"]),
            reveals_name=obj.reveals_name,
        )
        obj.pk = issued.client.pk
        obj.client_id = issued.client.client_id
        obj.secret_hash = issued.client.secret_hash
        obj.created_at = issued.client.created_at
        obj._state.adding = False
        self._show_secret(request, issued.token)

    @admin.action(description=_("Rotate the secret (the old one stops working)"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            self._show_secret(request, rotate_api_client_secret(client=client).token)

    @admin.action(description=_("Revoke for good"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            revoke_api_client(client=client)
        self.message_user(request, _("Revoked %(count)d client(s).") % {"count": queryset.count()})

    def _show_secret(self, request: HttpRequest, token: str) -> None:
        self.message_user(
            request,
            _("Credentials, shown only now (keep them in the integrator's secrets): %(token)s")
            % {"token": token},
            messages.WARNING,
        )

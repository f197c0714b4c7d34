"""Admin screens: credential types and credentials (see identity/admin/__init__.py).

Officers see only the credentials their agencies issue, superusers all. Numbers show masked only;
changes go through the actions (confirm, revoke), never through the form; opening a credential
writes the holder's access log."""

from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from cityportal.errors import DomainError
from identity.access import record_access
from identity.actions import credentials as actions
from identity.models import AccessLogEntry, Credential, CredentialType, User


@admin.register(CredentialType)
class CredentialTypeAdmin(TranslationAdmin):
    list_display = ("code", "name", "issuer", "visible_digits")
    list_select_related = ("issuer",)
    search_fields = ("code", "name")
    ordering = ("code",)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = (
        "holder_pseudonym",
        "type",
        "number_masked",
        "issuer",
        "status",
        "origin",
        "verification",
        "valid_until",
    )
    list_filter = ("type", "status", "origin", "verification")
    list_select_related = ("holder", "type", "issuer")
    search_fields = ("holder__pseudonym",)
    # The encrypted number and its index are never shown; the form changes nothing.
    fields = (
        "holder_pseudonym",
        "type",
        "issuer",
        "number_masked",
        "issued_on",
        "valid_from",
        "valid_until",
        "status",
        "origin",
        "verification",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("confirm_selected", "revoke_selected")

    @admin.display(description=_("holder"), ordering="holder__pseudonym")
    def holder_pseudonym(self, credential: Credential) -> str:
        return credential.holder.pseudonym

    def get_queryset(self, request: HttpRequest) -> QuerySet[Credential]:
        queryset = super().get_queryset(request).select_related("holder", "type", "issuer")
        user = _user(request)
        if user.is_superuser:
            return queryset
        return queryset.filter(issuer__in=user.memberships.values("agency"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cards come from their holders or their issuers' systems

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The form is read-only: a credential changes only through the actions below.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the history stays

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            credential = self.get_object(request, object_id)
            if credential is not None:
                record_access(
                    person=credential.holder,
                    channel=AccessLogEntry.Channel.ADMIN,
                    actor=request.user,
                    agency=credential.issuer,
                    what=f"credential {credential.type.code} {credential.number_masked}",
                    purpose="viewing a credential in admin",
                )
        return response

    @admin.action(
        description=_("Confirm the selected cards added by their holders"),
        permissions=["change"],
    )
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        self._apply(request, queryset, actions.confirm_credential, _("%(count)d confirmed."))

    @admin.action(description=_("Revoke the selected cards"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        self._apply(request, queryset, actions.revoke_credential, _("%(count)d revoked."))

    def _apply(
        self, request: HttpRequest, queryset: QuerySet[Credential], action: Any, done: Any
    ) -> None:
        count = 0
        for credential in queryset:
            try:
                action(credential=credential, actor=_user(request))
            except DomainError as error:
                self.message_user(request, f"{credential}: {error.detail}", messages.WARNING)
            else:
                count += 1
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

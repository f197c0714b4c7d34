"""Admin screens: consents, the access log and data exports — all read-only.

Consents change only through the citizen (identity.actions.privacy); access-log entries never
change (the model and, on PostgreSQL, a trigger refuse it); an export's content is personal
data meant for its person alone, so staff see only that one was asked for and when. Persons
are shown by pseudonym, so these lists do not themselves reveal whose record they concern.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from identity.models import AccessLogEntry, Consent, DataExport


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Nobody adds, changes or deletes here, superusers included; view permission shows the
    records."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> Any:
        return {}  # not even "delete selected"


@admin.display(description=_("person"), ordering="person__pseudonym")
def person_pseudonym(obj: Any) -> str:
    return str(obj.person.pseudonym)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        person_pseudonym,
        "agency",
        "purpose",
        "valid_until",
        "revoked_at",
        "created_at",
    ]
    list_filter = [
        "agency",
        ("revoked_at", admin.EmptyFieldListFilter),
        "valid_until",
        "created_at",
    ]
    list_select_related = ["person", "agency"]
    search_fields = ["person__pseudonym", "purpose", "agency__code"]
    fields = (
        "person_label",
        "agency",
        "attributes",
        "purpose",
        "valid_until",
        "created_at",
        "revoked_at",
    )
    readonly_fields = fields

    @admin.display(description=_("person"))
    def person_label(self, consent: Consent) -> str:
        return consent.person.pseudonym


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", person_pseudonym, "channel", "actor_label", "agency", "what", "purpose"]
    list_filter = ["channel", "agency"]
    list_select_related = ["person", "agency"]
    search_fields = ["person__pseudonym"]
    date_hierarchy = "at"
    fields = (
        "at",
        "person_label",
        "channel",
        "actor_label",
        "actor",
        "client",
        "agency",
        "what",
        "purpose",
    )
    readonly_fields = fields

    @admin.display(description=_("person"))
    def person_label(self, entry: AccessLogEntry) -> str:
        return entry.person.pseudonym


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    list_display = ["id", person_pseudonym, "status", "requested_at", "ready_at", "expires_at"]
    list_filter = ["status", "requested_at"]
    list_select_related = ["person"]
    search_fields = ["person__pseudonym"]
    # Never `content`: it is the person's full record, theirs to download.
    fields = ("person_label", "status", "requested_at", "ready_at", "expires_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("content")

    @admin.display(description=_("person"))
    def person_label(self, export: DataExport) -> str:
        return export.person.pseudonym

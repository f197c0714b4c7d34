"""Admin screens: persons and the population registry. National ID numbers appear only masked;
opening a person's record writes an entry in that person's access log."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError
from identity.access import record_access
from identity.actions.persons import raise_to_high_assurance
from identity.models import AccessLogEntry, AssuranceChange, Person, RegistryRecord


class AssuranceChangeInline(admin.TabularInline):
    model = AssuranceChange
    fk_name = "person"
    fields = ("at", "from_level", "to_level", "method", "officer", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = (
        "pseudonym",
        "legal_name_latin",
        "level_of_assurance",
        "national_id_masked",
        "residence",
    )
    list_filter = ("level_of_assurance", "national_id_scheme")
    search_fields = ("pseudonym", "legal_name_latin", "legal_name_local", "user__email")
    fields = (
        "pseudonym",
        "user",
        "legal_name_local",
        "legal_name_latin",
        "date_of_birth",
        "contact_email",
        "contact_phone",
        "preferred_language",
        "residence",
        "level_of_assurance",
        "national_id_scheme",
        "national_id_masked",
        "attribute_sources",
        "closed_at",
    )
    # Staff read; every change goes through an action (verification, in-person check, closure).
    readonly_fields = fields
    inlines = [AssuranceChangeInline]
    actions = ["raise_to_high"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).select_related("residence", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        person = Person.objects.filter(pk=object_id).first()
        if person is not None and response.status_code == 200 and request.method == "GET":
            record_access(
                person=person,
                channel=AccessLogEntry.Channel.ADMIN,
                actor=request.user,
                what=str(_("full person record")),
                purpose=request.GET.get("purpose", "") or str(_("staff review in admin")),
            )
        return response

    @admin.action(description=_("Raise to high assurance (documents checked in person)"))
    def raise_to_high(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        for person in queryset:
            try:
                raise_to_high_assurance(person=person, officer=request.user)
            except DomainError as error:
                self.message_user(request, f"{person}: {error.detail}", messages.ERROR)
            else:
                self.message_user(
                    request, _("%(person)s is now at high assurance.") % {"person": person}
                )


@admin.register(RegistryRecord)
class RegistryRecordAdmin(admin.ModelAdmin):
    """The demo population registry; in production the registry is an external system."""

    list_display = (
        "legal_name_local",
        "legal_name_latin",
        "scheme",
        "date_of_birth",
        "household_id",
    )
    search_fields = ("legal_name_local", "legal_name_latin", "household_id")
    exclude = ("national_id",)
    readonly_fields = ("national_id_index",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

"""Admin screens: billers with their bill types, bills with their lines, linked accounts.

Billers and bill types are configuration, edited here (names in every language). Bills and
linked accounts are read-only: they change only through the actions (cancel a bill, unlink an
account), as they do through the API. Staff who are not superusers see the bills and accounts
of their own agencies' billers; opening a bill billed to a person writes that person's access log.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from cityportal.errors import DomainError
from identity.access import record_access
from identity.models import AccessLogEntry, ApiClient, User
from payments.actions import bills as actions
from payments.models import Bill, Biller, BillerAccount, BillLine, BillType


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _own_billers(request: HttpRequest, queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
    user = _user(request)
    if user.is_superuser:
        return queryset
    return queryset.filter(**{f"{field}__agency__in": user.memberships.values("agency")})


class BillTypeInline(TranslationTabularInline):
    model = BillType
    extra = 0
    fields = ("code", "name")


class BillerForm(forms.ModelForm):
    class Meta:
        model = Biller
        fields = [
            "code",
            "name",
            "kind",
            "agency",
            "api_client",
            "currency",
            "receipt_prefix",
            "account_check",
            "is_active",
        ]

    def clean_currency(self) -> str:
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        if not actions.CURRENCY_PATTERN.fullmatch(currency):
            raise forms.ValidationError(_("Use an ISO 4217 code: three capital letters."))
        return currency

    def clean_api_client(self) -> ApiClient | None:
        client = self.cleaned_data.get("api_client")
        if client is not None and not client.has_scope(ApiClient.Scope.BILLS_WRITE):
            raise forms.ValidationError(
                _("The integrator needs the scope bills:write, and must be active.")
            )
        return cast(ApiClient | None, client)


@admin.register(Biller)
class BillerAdmin(TranslationAdmin):
    form = BillerForm
    inlines = [BillTypeInline]
    list_display = ("code", "name", "kind", "agency", "currency", "account_check", "is_active")
    list_filter = ("kind", "is_active", "account_check")
    list_select_related = ("agency",)
    search_fields = ("code", "name_en", "name_th", "name_zh_hans")
    raw_id_fields = ("agency", "api_client")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Biller]:
        queryset = super().get_queryset(request)
        user = _user(request)
        if user.is_superuser:
            return queryset
        return queryset.filter(agency__in=user.memberships.values("agency"))


class BillLineInline(admin.TabularInline):
    model = BillLine
    extra = 0
    fields = ("fee_type", "period", "description", "amount_minor")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Bill)
class BillAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "biller",
        "account_number",
        "status",
        "currency",
        "total_minor",
        "paid_minor",
        "due_date",
        "source",
    )
    list_filter = ("status", "source", "biller", "due_date")
    list_select_related = ("biller",)
    search_fields = ("number", "account_number", "reference")
    date_hierarchy = "created_at"
    fields = (
        "public_id",
        "biller",
        "number",
        "bill_type",
        "account_number",
        "payer_pseudonym",
        "payer_business",
        "source",
        "reference",
        "currency",
        "total_minor",
        "paid_minor",
        "outstanding",
        "minimum_payable_minor",
        "due_date",
        "expires_at",
        "status",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [BillLineInline]
    actions = ("cancel_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bill]:
        queryset = super().get_queryset(request).select_related("biller", "payer", "bill_type")
        return _own_billers(request, queryset, "biller")

    @admin.display(description=_("payer"))
    def payer_pseudonym(self, bill: Bill) -> str:
        return bill.payer.pseudonym if bill.payer is not None else "—"

    @admin.display(description=_("outstanding"))
    def outstanding(self, bill: Bill) -> int:
        return bill.outstanding_minor

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # bills come from billers' systems and from services

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The form is read-only: a bill changes only through the actions below.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cancel instead: the ledger keeps the history

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            bill = self.get_object(request, object_id)
            if bill is not None and bill.payer is not None:
                record_access(
                    person=bill.payer,
                    channel=AccessLogEntry.Channel.ADMIN,
                    actor=request.user,
                    agency=bill.biller.agency,
                    what=f"bill {bill.biller.code} {bill.number}",
                    purpose="viewing a bill in admin",
                )
        return response

    @admin.action(
        description=_("Cancel the selected bills (only if nothing is paid)"),
        permissions=["change"],
    )
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Bill]) -> None:
        count = 0
        for bill in queryset:
            try:
                actions.cancel_bill(bill=bill, reason=f"by {_user(request).get_username()}")
            except DomainError as error:
                self.message_user(request, f"{bill}: {error.detail}", messages.WARNING)
            else:
                count += 1
        self.message_user(request, _("%(count)d cancelled.") % {"count": count}, messages.SUCCESS)


@admin.register(BillerAccount)
class BillerAccountAdmin(admin.ModelAdmin):
    list_display = ("account_number", "biller", "person_pseudonym", "linked_at", "unlinked_at")
    list_filter = ("biller", ("unlinked_at", admin.EmptyFieldListFilter))
    list_select_related = ("biller", "person")
    search_fields = ("account_number", "person__pseudonym")
    fields = ("biller", "account_number", "person_pseudonym", "label", "linked_at", "unlinked_at")
    readonly_fields = fields
    actions = ("unlink_selected",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BillerAccount]:
        queryset = super().get_queryset(request).select_related("biller", "person")
        return _own_billers(request, queryset, "biller")

    @admin.display(description=_("person"), ordering="person__pseudonym")
    def person_pseudonym(self, account: BillerAccount) -> str:
        return account.person.pseudonym

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # citizens link their accounts, with a proof

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # unlink instead

    @admin.action(description=_("Unlink the selected accounts"), permissions=["change"])
    def unlink_selected(self, request: HttpRequest, queryset: QuerySet[BillerAccount]) -> None:
        count = 0
        for account in queryset:
            actions.unlink_biller_account(person=account.person, account=account)
            count += 1
        self.message_user(request, _("%(count)d unlinked.") % {"count": count}, messages.SUCCESS)

"""Admin screens: payment attempts with their full timeline and allocations, receipts, and the
providers' inbound webhooks. Money is read-only here: an attempt changes only through the actions
(the admin action "ask the provider now" runs the same settle as the reconciliation poll)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from identity.access import record_access
from identity.models import AccessLogEntry
from payments.actions import attempts as actions
from payments.models import PaymentAllocation, PaymentAttempt, PaymentEvent, ProviderEvent, Receipt
from payments.states import public_status


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentEventInline(_ReadOnlyInline):
    model = PaymentEvent
    fields = ("at", "from_state", "to_state", "event", "detail")
    readonly_fields = fields
    ordering = ("at", "pk")
    verbose_name_plural = _("timeline")


class PaymentAllocationInline(_ReadOnlyInline):
    model = PaymentAllocation
    fields = ("bill", "amount_minor", "is_open")
    readonly_fields = fields


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list and the actions stay; the form changes nothing.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(_ReadOnlyAdmin):
    list_display = (
        "public_id",
        "biller",
        "payer_pseudonym",
        "amount_minor",
        "currency",
        "public_status",
        "state",
        "failure_code",
        "provider",
        "created_at",
    )
    list_filter = ("state", "finished", "provider", "biller")
    list_select_related = ("biller", "payer")
    search_fields = ("=public_id", "=provider_ref", "payer__pseudonym")
    date_hierarchy = "created_at"
    fields = (
        "public_id",
        "biller",
        "payer_pseudonym",
        "amount_minor",
        "captured_minor",
        "refunded_minor",
        "currency",
        "public_status",
        "state",
        "finished",
        "failure_code",
        "failure_message",
        "provider",
        "provider_ref",
        "checkout_url",
        "return_url",
        "created_at",
        "updated_at",
        "expires_at",
    )
    readonly_fields = fields
    inlines = (PaymentAllocationInline, PaymentEventInline)
    actions = ("ask_provider_now",)

    @admin.display(description=_("payer"), ordering="payer__pseudonym")
    def payer_pseudonym(self, attempt: PaymentAttempt) -> str:
        return attempt.payer.pseudonym if attempt.payer else "—"

    @admin.display(description=_("status"), ordering="state")
    def public_status(self, attempt: PaymentAttempt) -> str:
        return public_status(attempt.state)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            attempt = self.get_object(request, object_id)
            if attempt is not None and attempt.payer is not None:
                record_access(
                    person=attempt.payer,
                    channel=AccessLogEntry.Channel.ADMIN,
                    actor=request.user,
                    agency=attempt.biller.agency,
                    what=f"payment {attempt.public_id}",
                    purpose="viewing a payment in admin",
                )
        return response

    @admin.action(
        description=_("Ask the provider now and settle the selected payments"),
        permissions=["view"],
    )
    def ask_provider_now(self, request: HttpRequest, queryset: QuerySet[PaymentAttempt]) -> None:
        changed = 0
        for attempt in queryset:
            before = attempt.state
            attempt = actions.settle_with_provider(attempt=attempt, source="admin")
            if attempt.state != before:
                changed += 1
                self.message_user(
                    request, f"{attempt.public_id}: {before} → {attempt.state}", messages.INFO
                )
        self.message_user(
            request, _("%(count)d payment(s) changed.") % {"count": changed}, messages.SUCCESS
        )


@admin.register(Receipt)
class ReceiptAdmin(_ReadOnlyAdmin):
    list_display = ("number", "biller", "amount_minor", "currency", "issued_at", "payment")
    list_filter = ("biller",)
    list_select_related = ("biller", "attempt")
    search_fields = ("=number", "=attempt__public_id")
    date_hierarchy = "issued_at"
    fields = ("number", "sequence", "biller", "payment", "amount_minor", "currency", "issued_at")
    readonly_fields = fields

    @admin.display(description=_("payment"))
    def payment(self, receipt: Receipt) -> str:
        return str(receipt.attempt.public_id)


@admin.register(ProviderEvent)
class ProviderEventAdmin(_ReadOnlyAdmin):
    list_display = ("provider", "event_id", "kind", "provider_ref", "received_at", "outcome")
    list_filter = ("provider", "kind")
    search_fields = ("=event_id", "=provider_ref")
    date_hierarchy = "received_at"
    fields = (
        "provider",
        "event_id",
        "kind",
        "provider_ref",
        "received_at",
        "processed_at",
        "outcome",
        "payload",
    )
    readonly_fields = fields

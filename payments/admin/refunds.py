"""Admin screens: refunds, webhook subscriptions and deliveries, reconciliation reports.

All read-only: money moves only through the actions. "Refund in full" (on refunds, and
`refund_in_full` for the payment attempts screen) calls payments.actions.refunds like the API,
so only a supervisor of the biller's agency can use it. Staff see the rows of their agencies'
billers; platform administrators see everything.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError
from identity.models import Agency, ApiClient, Membership, User
from payments.actions import refunds as refund_actions
from payments.actions import webhooks
from payments.models import (
    PaymentAttempt,
    ReconciliationReport,
    Refund,
    WebhookDelivery,
    WebhookSubscription,
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _agencies_of(user: User) -> QuerySet[Agency]:
    return Agency.objects.filter(memberships__user=user)


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> SafeString:
    if not rows:
        return format_html("<p>{}</p>", _("None."))
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- refunds ------------------------------------------------------------------------------------


def _refund_payments_in_full(
    modeladmin: admin.ModelAdmin, request: HttpRequest, attempts: list[PaymentAttempt]
) -> None:
    user = _user(request)
    if not attempts:
        modeladmin.message_user(request, _("Nothing to refund."), messages.INFO)
    for attempt in attempts:
        try:
            refund = refund_actions.refund_in_full(
                attempt=attempt,
                reason=f"Refunded in full in the admin by {user.get_username()}",
                user=user,
            )
        except DomainError as error:
            modeladmin.message_user(
                request, f"{attempt.public_id}: {error.detail}", messages.WARNING
            )
        else:
            modeladmin.message_user(
                request,
                _("Payment %(payment)s: refund of %(amount)s %(currency)s is %(status)s.")
                % {
                    "payment": attempt.public_id,
                    "amount": refund.amount_minor,
                    "currency": refund.currency,
                    "status": refund.state,
                },
                messages.SUCCESS if refund.state != Refund.State.FAILED else messages.WARNING,
            )


@admin.action(description=_("Refund in full (supervisors of the biller's agency)"))
def refund_in_full(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[PaymentAttempt]
) -> None:
    """For the payment attempts screen: refund what remains refundable on each selected payment."""
    _refund_payments_in_full(modeladmin, request, list(queryset.select_related("biller")))


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "payment",
        "biller",
        "amount_minor",
        "currency",
        "state",
        "requested_by_label",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "attempt__biller")
    list_select_related = ("attempt__biller", "requested_by", "requested_by_client")
    search_fields = ("=public_id", "=attempt__public_id", "=provider_ref")
    date_hierarchy = "created_at"
    fields = (
        "public_id",
        "payment",
        "biller",
        "amount_minor",
        "currency",
        "state",
        "provider_ref",
        "reason",
        "requested_by_label",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields
    actions = ("refund_rest_in_full",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        queryset = (
            super()
            .get_queryset(request)
            .select_related("attempt__biller", "requested_by", "requested_by_client")
        )
        user = _user(request)
        if user.is_superuser:
            return queryset
        return queryset.filter(attempt__biller__agency__in=_agencies_of(user))

    @admin.display(description=_("payment"))
    def payment(self, refund: Refund) -> str:
        return str(refund.attempt.public_id)

    @admin.display(description=_("biller"))
    def biller(self, refund: Refund) -> str:
        return str(refund.attempt.biller)

    @admin.display(description=_("requested by"))
    def requested_by_label(self, refund: Refund) -> str:
        if refund.requested_by_client is not None:
            return str(refund.requested_by_client)
        return refund.requested_by.get_username() if refund.requested_by else ""

    @admin.action(
        description=_("Refund the rest of these refunds' payments in full (supervisors)"),
        permissions=["view"],
    )
    def refund_rest_in_full(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        attempts = PaymentAttempt.objects.filter(pk__in=queryset.values("attempt")).select_related(
            "biller"
        )
        _refund_payments_in_full(self, request, list(attempts))


# --- webhook subscriptions and deliveries -------------------------------------------------------


def _supervised_agencies(user: User) -> QuerySet[Agency]:
    return Agency.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.SUPERVISOR
    )


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in webhooks.EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    secret = forms.CharField(
        required=False,
        max_length=200,
        help_text=_("Leave empty to generate one; it is shown once, after saving."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["client", "events"]  # url is declared above: https is its default scheme

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for error in webhooks.subscription_errors(
            cleaned.get("url") or "", list(cleaned.get("events") or [])
        ):
            field = error["field"].split(".")[0]
            self.add_error(field if field in self.fields else None, error["detail"])
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Created through the action (the secret is shown once); afterwards only rotated or
    deactivated."""

    form = WebhookSubscriptionForm
    list_display = ("url", "client", "event_list", "is_active", "created_at")
    list_filter = ("is_active",)
    list_select_related = ("client__agency",)
    search_fields = ("url", "client__name", "client__client_id")
    actions = ("rotate_secret", "deactivate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookSubscription]:
        queryset = super().get_queryset(request).select_related("client__agency")
        user = _user(request)
        if user.is_superuser:
            return queryset
        return queryset.filter(client__agency__in=_supervised_agencies(user))

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "client" and not _user(request).is_superuser:
            kwargs["queryset"] = ApiClient.objects.filter(
                agency__in=_supervised_agencies(_user(request))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("client", "url", "events", "secret")
        return ("client", "url", "event_list", "is_active", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("client", "url", "event_list", "is_active", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Lists and actions yes; the saved form no: a subscription changes through the actions.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("events"))
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.events)

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        if change:
            return
        issued = webhooks.create_webhook_subscription(
            client=form.cleaned_data["client"],
            url=form.cleaned_data["url"],
            events=list(form.cleaned_data["events"]),
            secret=form.cleaned_data.get("secret") or "",
        )
        obj.pk = issued.subscription.pk
        obj.created_at = issued.subscription.created_at
        obj._state.adding = False
        self._show_secret(request, issued.secret)

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            self._show_secret(
                request, webhooks.rotate_webhook_secret(subscription=subscription).secret
            )

    @admin.action(description=_("Deactivate"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            webhooks.deactivate_webhook_subscription(subscription=subscription)
        self.message_user(
            request, _("Deactivated %(count)d subscription(s).") % {"count": queryset.count()}
        )

    def _show_secret(self, request: HttpRequest, secret: str) -> None:
        self.message_user(
            request,
            _("Signing secret, shown only now (give it to the integrator): %(secret)s")
            % {"secret": secret},
            messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "message_id",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event_type")
    list_select_related = ("subscription",)
    search_fields = ("=message_id", "subscription__url")
    date_hierarchy = "created_at"
    fields = (
        "message_id",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "payload",
        "delivery_log",
    )
    readonly_fields = fields
    actions = ("retry_now",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        queryset = super().get_queryset(request).select_related("subscription__client")
        user = _user(request)
        if user.is_superuser:
            return queryset
        return queryset.filter(subscription__client__agency__in=_agencies_of(user))

    @admin.display(description=_("delivery log"))
    def delivery_log(self, delivery: WebhookDelivery) -> SafeString:
        return _table(
            [str(_("attempt")), str(_("at")), str(_("HTTP status")), str(_("error")), "ms"],
            [
                (
                    entry.get("attempt"),
                    entry.get("at"),
                    entry.get("status_code") or "—",
                    entry.get("error") or "",
                    entry.get("duration_ms"),
                )
                for entry in delivery.log
            ],
        )

    @admin.action(description=_("Retry now"), permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset:
            if delivery.status != WebhookDelivery.Status.DELIVERED:
                webhooks.retry_webhook_delivery_now(delivery=delivery)
                count += 1
        self.message_user(request, _("Queued %(count)d delivery(ies).") % {"count": count})


# --- reconciliation -----------------------------------------------------------------------------


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdmin):
    list_display = (
        "settlement_date",
        "provider",
        "file_name",
        "rows",
        "mismatch_count",
        "is_clean_flag",
        "created_at",
    )
    list_filter = ("provider",)
    date_hierarchy = "settlement_date"
    search_fields = ("file_name",)
    fields = (
        "provider",
        "settlement_date",
        "file_name",
        "rows",
        "created_at",
        "mismatch_table",
    )
    readonly_fields = fields

    @admin.display(description=_("mismatches"))
    def mismatch_count(self, report: ReconciliationReport) -> int:
        return len(report.mismatches)

    @admin.display(description=_("clean"), boolean=True)
    def is_clean_flag(self, report: ReconciliationReport) -> bool:
        return report.is_clean

    @admin.display(description=_("mismatches"))
    def mismatch_table(self, report: ReconciliationReport) -> SafeString:
        return _table(
            [
                str(_("type")),
                str(_("kind")),
                str(_("provider reference")),
                str(_("line")),
                str(_("in the file")),
                str(_("in our ledger")),
                str(_("our status")),
                str(_("detail")),
            ],
            [
                (
                    mismatch.get("type"),
                    mismatch.get("kind"),
                    mismatch.get("provider_ref"),
                    mismatch.get("line") or "",
                    _money(mismatch.get("file_amount_minor"), mismatch.get("file_currency")),
                    _money(mismatch.get("ledger_amount_minor"), mismatch.get("ledger_currency")),
                    mismatch.get("status") or "",
                    mismatch.get("detail"),
                )
                for mismatch in report.mismatches
            ],
        )


def _money(amount: Any, currency: Any) -> str:
    if amount is None:
        return ""
    return f"{amount} {currency or ''}".strip()

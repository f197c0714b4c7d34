"""Payments: billers and their bills, payment attempts through a provider, receipts, refunds,
a double-entry ledger, provider events, outbound webhooks and reconciliation reports.

Money is always an integer amount in minor units (`*_minor`) plus an ISO 4217 currency code.
"""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.crypto import EncryptedTextField
from identity.models import Agency, ApiClient, Business, Person

CURRENCY_CHECK = Q(currency__regex=r"^[A-Z]{3}$")


class Biller(models.Model):
    """An agency or a utility that bills citizens: water, electricity, gas, broadband, the tax
    office, a school, or the platform's own service fees."""

    class Kind(models.TextChoices):
        WATER = "water", _("water")
        ELECTRICITY = "electricity", _("electricity")
        GAS = "gas", _("gas")
        BROADBAND = "broadband", _("broadband")
        TAX = "tax", _("tax")
        SCHOOL = "school", _("school")
        INSURANCE = "insurance", _("insurance")
        SERVICE_FEES = "service_fees", _("service fees")

    class AccountCheck(models.TextChoices):
        LAST_BILL_AMOUNT = "last_bill_amount", _("amount of the last bill")
        NONE = "none", _("no check (accounts linked by the biller)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT
    )
    api_client = models.ForeignKey(
        ApiClient, verbose_name=_("integrator"), null=True, blank=True, on_delete=models.PROTECT,
        help_text=_("The client that pushes this biller's bills (scope bills:write)."),
    )  # fmt: skip
    currency = models.CharField(_("currency"), max_length=3, default="THB")
    receipt_prefix = models.CharField(_("receipt prefix"), max_length=12)
    account_check = models.CharField(
        _("account check"), max_length=20, choices=AccountCheck.choices,
        default=AccountCheck.LAST_BILL_AMOUNT,
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("biller")
        verbose_name_plural = _("billers")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=CURRENCY_CHECK, name="biller_currency_iso")]

    def __str__(self) -> str:
        return self.name


class BillType(models.Model):
    biller = models.ForeignKey(Biller, on_delete=models.CASCADE, related_name="bill_types")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("bill type")
        verbose_name_plural = _("bill types")
        constraints = [
            models.UniqueConstraint(fields=["biller", "code"], name="bill_type_unique_per_biller")
        ]

    def __str__(self) -> str:
        return self.name


class BillerAccount(models.Model):
    """A citizen's account number at a biller, linked to their identity so its bills show."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="biller_accounts")
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="accounts")
    account_number = models.CharField(_("account number"), max_length=40)
    label = models.CharField(_("label"), max_length=100, blank=True)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    unlinked_at = models.DateTimeField(_("unlinked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("linked biller account")
        verbose_name_plural = _("linked biller accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "biller", "account_number"],
                condition=Q(unlinked_at__isnull=True),
                name="biller_account_linked_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.biller} {self.account_number}"


class Bill(models.Model):
    """What is owed. Pushed by a biller, or raised by a service for an application's fee."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PARTIALLY_PAID = "partially_paid", _("partially paid")
        PAID = "paid", _("paid")
        OVERDUE = "overdue", _("overdue")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    class Source(models.TextChoices):
        BILLER = "biller", _("pushed by the biller")
        SERVICE = "service", _("raised by a service")

    PAYABLE = (Status.OPEN, Status.PARTIALLY_PAID, Status.OVERDUE)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    biller = models.ForeignKey(
        Biller, verbose_name=_("biller"), on_delete=models.PROTECT, related_name="bills"
    )
    number = models.CharField(_("bill number"), max_length=60)
    bill_type = models.ForeignKey(BillType, null=True, blank=True, on_delete=models.PROTECT)
    account_number = models.CharField(_("account number"), max_length=40, blank=True)
    payer = models.ForeignKey(
        Person, verbose_name=_("payer"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="bills",
    )  # fmt: skip
    payer_business = models.ForeignKey(
        Business, null=True, blank=True, on_delete=models.PROTECT, related_name="bills"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BILLER)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("e.g. the application it is for")
    )
    currency = models.CharField(_("currency"), max_length=3)
    total_minor = models.BigIntegerField(_("total"))
    paid_minor = models.BigIntegerField(_("paid"), default=0)
    minimum_payable_minor = models.BigIntegerField(_("minimum payable"))
    due_date = models.DateField(_("due date"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        constraints = [
            models.UniqueConstraint(
                fields=["biller", "number"], name="bill_number_unique_per_biller"
            ),
            models.CheckConstraint(condition=Q(total_minor__gt=0), name="bill_total_positive"),
            models.CheckConstraint(
                condition=Q(paid_minor__gte=0, paid_minor__lte=F("total_minor")),
                name="bill_paid_within_total",
            ),
            models.CheckConstraint(
                condition=Q(
                    minimum_payable_minor__gt=0, minimum_payable_minor__lte=F("total_minor")
                ),
                name="bill_minimum_within_total",
            ),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="bill_currency_iso"),
        ]
        indexes = [
            models.Index(fields=["payer", "-created_at"], name="bill_payer_idx"),
            models.Index(fields=["biller", "account_number"], name="bill_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.biller.code} {self.number}"

    @property
    def outstanding_minor(self) -> int:
        return self.total_minor - self.paid_minor


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    fee_type = models.CharField(_("fee type"), max_length=60)
    period = models.CharField(_("period"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount_minor = models.BigIntegerField(_("amount"))

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="bill_line_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fee_type} {self.period}"


class PaymentAttempt(models.Model):
    """One trip to the payment provider for one or more bills of one biller.

    `state` is the internal state, including the `*_submitted` states written before each
    provider call; `status` is the public one (payments/states.py holds the transition table).
    """

    class State(models.TextChoices):
        CREATED = "created", _("created")
        AUTHORISATION_SUBMITTED = "authorisation_submitted", _("sent to the provider")
        STARTED = "started", _("started")
        SUBMITTED = "submitted", _("submitted")
        CAPTURE_SUBMITTED = "capture_submitted", _("capture sent to the provider")
        SUCCESS = "success", _("success")
        FAILED = "failed", _("failed")
        CANCEL_SUBMITTED = "cancel_submitted", _("cancellation sent to the provider")
        CANCELLED = "cancelled", _("cancelled")
        ERROR = "error", _("error")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="attempts")
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    # X-Acting-For: who paid on whose behalf (a parent for a child, a director for a business).
    acting_representative = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payer_business = models.ForeignKey(
        Business, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    captured_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    provider = models.CharField(max_length=30)
    provider_ref = models.CharField(max_length=100, blank=True, db_index=True)
    state = models.CharField(max_length=30, choices=State.choices, default=State.CREATED)
    finished = models.BooleanField(default=False)
    failure_code = models.CharField(max_length=10, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    checkout_url = models.URLField(max_length=500, blank=True)
    return_url = models.URLField(max_length=500, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="attempt_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_minor__gte=0, captured_minor__lte=F("amount_minor")),
                name="attempt_captured_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0, refunded_minor__lte=F("captured_minor")),
                name="attempt_refunded_within_captured",
            ),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="attempt_currency_iso"),
        ]
        indexes = [
            models.Index(fields=["finished", "created_at"], name="attempt_unfinished_idx"),
            models.Index(fields=["payer", "-created_at"], name="attempt_payer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.state}"


class PaymentAllocation(models.Model):
    """How much of an attempt pays which bill. `is_open` stays true while the attempt is
    unfinished, and the partial unique index makes "one unfinished attempt per bill" a rule the
    database keeps, whatever the concurrency."""

    attempt = models.ForeignKey(
        PaymentAttempt, on_delete=models.CASCADE, related_name="allocations"
    )
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount_minor = models.BigIntegerField()
    is_open = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="allocation_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["bill"], condition=Q(is_open=True), name="one_unfinished_attempt_per_bill"
            ),
            models.UniqueConstraint(fields=["attempt", "bill"], name="allocation_once_per_bill"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} → {self.bill_id}"


class PaymentEvent(models.Model):
    """Append-only timeline of an attempt: each state change with what caused it."""

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=30)
    to_state = models.CharField(max_length=30)
    event = models.CharField(max_length=60)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state} ({self.event})"


class Receipt(models.Model):
    """Exactly one per successful attempt, numbered per biller."""

    attempt = models.OneToOneField(PaymentAttempt, on_delete=models.PROTECT, related_name="receipt")
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="receipts")
    number = models.CharField(_("receipt number"), max_length=40)
    sequence = models.PositiveBigIntegerField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["biller", "sequence"], name="receipt_sequence_per_biller"
            ),
            models.UniqueConstraint(fields=["biller", "number"], name="receipt_number_per_biller"),
        ]

    def __str__(self) -> str:
        return self.number


class Refund(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        SUCCESS = "success", _("success")
        FAILED = "failed", _("failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    state = models.CharField(max_length=12, choices=State.choices, default=State.SUBMITTED)
    provider_ref = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.state}"


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", _("asset")
        LIABILITY = "liability", _("liability")
        INCOME = "income", _("income")
        EXPENSE = "expense", _("expense")

    code = models.CharField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    biller = models.ForeignKey(Biller, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")

    def __str__(self) -> str:
        return self.code


class LedgerTransaction(models.Model):
    """One money movement; its entries sum to zero (checked when written, payments/ledger.py).
    Posted transactions are never changed: a correction is a reversing transaction."""

    kind = models.CharField(max_length=40)
    memo = models.CharField(max_length=300, blank=True)
    attempt = models.ForeignKey(PaymentAttempt, null=True, blank=True, on_delete=models.PROTECT)
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        constraints = [
            # A capture or a refund is posted once, however often its task runs.
            models.UniqueConstraint(
                fields=["kind", "attempt"], condition=Q(refund__isnull=True, reverses__isnull=True),
                name="ledger_posted_once_per_attempt",
            ),
            models.UniqueConstraint(
                fields=["kind", "refund"], condition=Q(refund__isnull=False),
                name="ledger_posted_once_per_refund",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class LedgerEntry(models.Model):
    """Debits are positive, credits negative."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor}"


class ProviderEvent(models.Model):
    """An inbound provider webhook: verified, stored, de-duplicated by the provider's event id."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=60)
    provider_ref = models.CharField(max_length=100, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


class WebhookSubscription(models.Model):
    """An integrator's endpoint for outbound events, signed with HMAC-SHA256 over the body."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = EncryptedTextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed for good")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class ReconciliationReport(models.Model):
    """The comparison of one provider settlement file with the ledger: every mismatch listed."""

    provider = models.CharField(max_length=30)
    settlement_date = models.DateField()
    file_name = models.CharField(max_length=200)
    rows = models.PositiveIntegerField(default=0)
    mismatches = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation report")
        verbose_name_plural = _("reconciliation reports")
        ordering = ["-settlement_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider} {self.settlement_date}"

    @property
    def is_clean(self) -> bool:
        return not self.mismatches

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "mismatches": len(self.mismatches)}

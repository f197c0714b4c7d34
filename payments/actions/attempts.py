"""Payments actions: payment attempts — starting one for a citizen's bills, what a provider's
report means for it (capture, decline, expiry), cancelling, expiring and polling unfinished ones,
and taking in the provider's webhooks.

The order of writes follows GOV.UK Pay's pattern: the attempt and its allocations commit, then
`authorisation_submitted` commits, and only then is the provider called; a crash leaves a state
the sweepers resolve by asking the provider. Every state change goes
through payments.states.move (compare-and-set along the transition table).
"""

import dataclasses
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, DomainError, NotFound, field_error
from identity.models import Business, Person
from payments import ledger, listeners
from payments.actions.bills import apply_payment_to_bill
from payments.actions.webhooks import emit_event
from payments.models import (
    Bill,
    Biller,
    PaymentAllocation,
    PaymentAttempt,
    ProviderEvent,
    Receipt,
)
from payments.providers.base import (
    InvalidWebhook,
    PaymentProvider,
    ProviderError,
    ProviderStatus,
    provider_named,
)
from payments.queries import bills_visible_to
from payments.states import FINISHED, can_move, move, public_status

logger = logging.getLogger("cityportal.payments")

S = PaymentAttempt.State

# GOV.UK Pay's failure codes.
REJECTED = "P0010"
EXPIRED = "P0020"
USER_CANCELLED = "P0030"
CANCELLED_BY_SERVICE = "P0040"
PROVIDER_ERROR = "P0050"

ATTEMPT_LIFETIME = timedelta(minutes=90)  # abandoned attempts expire (pay-connector default)
RECENTLY_TOUCHED = timedelta(seconds=300)  # the expiry sweep leaves these alone
POLL_WINDOW = (timedelta(minutes=15), timedelta(minutes=30))  # reconciliation poll: age range

# A provider outcome that ends an attempt → (state, failure code).
_ENDINGS: dict[str, tuple[str, str]] = {
    "declined": (S.FAILED, REJECTED),
    "expired": (S.FAILED, EXPIRED),
    "cancelled": (S.FAILED, USER_CANCELLED),
    "error": (S.ERROR, PROVIDER_ERROR),
}


# Errors -------------------------------------------------------------------------------------


class BillNotFound(DomainError):
    code = "bill_not_found"
    title = _("No such bill, or it is not yours to pay.")


class BillAlreadyPaid(Conflict):
    code = "bill_already_paid"
    title = _("This bill is already paid.")


class BillNotPayable(Conflict):
    code = "bill_not_payable"
    title = _("This bill can no longer be paid.")


class BillsOfSeveralBillers(DomainError):
    code = "bills_of_several_billers"
    title = _("One payment pays the bills of one biller only.")


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"
    title = _("The currency is not the bills' currency.")


class AmountAboveOutstanding(DomainError):
    code = "amount_above_outstanding"
    title = _("The amount is more than what is owed.")


class AmountBelowMinimum(DomainError):
    code = "amount_below_minimum"
    title = _("The amount is less than the minimum payable.")


class BillHasOpenPayment(Conflict):
    code = "bill_has_open_payment"
    title = _("A payment for this bill is already under way.")


class PaymentFinished(Conflict):
    code = "payment_finished"
    title = _("The payment is finished.")


class UnknownProvider(NotFound):
    code = "provider_not_found"
    title = _("No such payment provider.")


class WebhookSignatureInvalid(DomainError):
    code = "webhook_signature_invalid"
    title = _("The webhook's signature does not verify.")


# Reads --------------------------------------------------------------------------------------


def payments_of(person: Person) -> QuerySet[PaymentAttempt]:
    """The person's own payment attempts, newest first, with what the API shows of them."""
    return (
        PaymentAttempt.objects.filter(Q(payer=person) | Q(acting_representative=person))
        .select_related("biller", "receipt")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PaymentAllocation.objects.select_related("bill").order_by("pk"),
            )
        )
        .order_by("-pk")
    )


def lock_attempt(pk: int) -> PaymentAttempt:
    return PaymentAttempt.objects.select_for_update().get(pk=pk)


# Starting a payment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StartedPayment:
    attempt: PaymentAttempt
    is_new: bool  # False: an open attempt for exactly these bills was handed back


def start_payment(
    *,
    payer: Person,
    bill_ids: Sequence[uuid.UUID],
    amount_minor: int,
    currency: str,
    return_url: str = "",
    user: Any = None,
    provider_name: str | None = None,
    acting_representative: Person | None = None,
    payer_business: Business | None = None,
) -> StartedPayment:
    """Pay one or more bills of one biller: the amount is at least their minimum payable and at
    most what is owed. A bill has at most one unfinished attempt: asking again for exactly the
    same bills returns the open attempt; any other overlap is refused."""
    bills = _payable_bills(
        payer=payer, bill_ids=bill_ids, amount_minor=amount_minor, currency=currency
    )
    allocation = _allocate(bills, amount_minor)
    name = provider_name or settings.PAYMENT_DEFAULT_PROVIDER
    for _attempt in range(3):
        open_attempt = _open_attempt_for(bills=bills, payer=payer)
        if open_attempt is not None:
            return StartedPayment(attempt=open_attempt, is_new=False)
        try:
            with transaction.atomic():
                attempt = PaymentAttempt.objects.create(
                    biller=bills[0].biller,
                    payer=payer,
                    acting_representative=acting_representative,
                    payer_business=payer_business,
                    payer_user=user if getattr(user, "is_authenticated", False) else None,
                    currency=currency,
                    amount_minor=amount_minor,
                    provider=name,
                    return_url=return_url,
                    expires_at=timezone.now() + ATTEMPT_LIFETIME,
                )
                PaymentAllocation.objects.bulk_create(
                    PaymentAllocation(attempt=attempt, bill=bill, amount_minor=share)
                    for bill, share in allocation
                )
        except IntegrityError:
            # Another request opened an attempt for one of these bills first (the partial unique
            # index "one unfinished attempt per bill"): look again and answer as for it.
            continue
        return StartedPayment(attempt=_send_to_provider(attempt), is_new=True)
    raise BillHasOpenPayment()


def _payable_bills(
    *, payer: Person, bill_ids: Sequence[uuid.UUID], amount_minor: int, currency: str
) -> list[Bill]:
    found = {
        bill.public_id: bill
        for bill in bills_visible_to(payer).filter(public_id__in=bill_ids).select_related("biller")
    }
    bills: list[Bill] = []
    for index, public_id in enumerate(bill_ids):
        bill = found.get(public_id)
        if bill is None:
            raise BillNotFound(
                errors=[field_error(f"bills.{index}", BillNotFound.code, BillNotFound.title)],
                bill=str(public_id),
            )
        bills.append(bill)
    if len({bill.biller_id for bill in bills}) > 1:
        raise BillsOfSeveralBillers()
    for bill in bills:
        if bill.status == Bill.Status.PAID:
            raise BillAlreadyPaid(bill=str(bill.public_id))
        if bill.status not in Bill.PAYABLE or bill.outstanding_minor <= 0:
            raise BillNotPayable(bill=str(bill.public_id), bill_status=bill.status)
    if any(bill.currency != currency for bill in bills):
        raise CurrencyMismatch(
            _("These bills are in %(currency)s.") % {"currency": bills[0].currency},
            expected_currency=bills[0].currency,
        )
    outstanding = sum(bill.outstanding_minor for bill in bills)
    minimum = sum(_minimum_of(bill) for bill in bills)
    if amount_minor > outstanding:
        raise AmountAboveOutstanding(outstanding_minor=outstanding)
    if amount_minor < minimum:
        raise AmountBelowMinimum(minimum_payable_minor=minimum)
    return bills


def _minimum_of(bill: Bill) -> int:
    return min(bill.minimum_payable_minor, bill.outstanding_minor)


def _allocate(bills: Sequence[Bill], amount_minor: int) -> list[tuple[Bill, int]]:
    """Spread the amount over the bills in the order given: each bill is paid as far as
    possible while every later bill still gets at least its minimum payable."""
    shares: list[tuple[Bill, int]] = []
    remaining = amount_minor
    for index, bill in enumerate(bills):
        later_minimum = sum(_minimum_of(later) for later in bills[index + 1 :])
        share = min(bill.outstanding_minor, remaining - later_minimum)
        shares.append((bill, share))
        remaining -= share
    return shares


def _open_attempt_for(*, bills: Sequence[Bill], payer: Person) -> PaymentAttempt | None:
    """The unfinished attempt holding any of these bills: returned when it is the payer's and
    covers exactly these bills; any other is a conflict."""
    held = (
        PaymentAllocation.objects.filter(bill__in=bills, is_open=True)
        .select_related("attempt")
        .first()
    )
    if held is None:
        return None
    attempt = held.attempt
    covered = set(attempt.allocations.values_list("bill_id", flat=True))
    if attempt.payer_id == payer.pk and covered == {bill.pk for bill in bills}:
        return attempt
    raise BillHasOpenPayment()


def _send_to_provider(attempt: PaymentAttempt) -> PaymentAttempt:
    """Commit `authorisation_submitted`, then ask the provider for a checkout page."""
    attempt = move(attempt, S.AUTHORISATION_SUBMITTED)
    provider = provider_named(attempt.provider)
    try:
        checkout = provider.create_checkout(
            reference=str(attempt.public_id),
            amount_minor=attempt.amount_minor,
            currency=attempt.currency,
            description=_description(attempt),
            return_url=attempt.return_url,
        )
    except ProviderError as error:
        logger.warning("Provider %s refused attempt %s: %s", attempt.provider, attempt.pk, error)
        return _move_if_still(
            attempt,
            S.ERROR,
            detail={"error": str(error)[:300]},
            failure_code=PROVIDER_ERROR,
            failure_message=str(error)[:300],
        )
    return _move_if_still(
        attempt,
        S.STARTED,
        detail={"provider_ref": checkout.provider_ref},
        provider_ref=checkout.provider_ref,
        checkout_url=checkout.checkout_url,
    )


def _description(attempt: PaymentAttempt) -> str:
    numbers = ", ".join(attempt.allocations.order_by("pk").values_list("bill__number", flat=True))
    return f"{attempt.biller.name}: {numbers}"[:300]


def _move_if_still(attempt: PaymentAttempt, to_state: str, **changes: Any) -> PaymentAttempt:
    """Move unless someone moved the attempt first (a sweeper); then keep their state."""
    detail = changes.pop("detail", None)
    with transaction.atomic():
        current = lock_attempt(attempt.pk)
        if current.state != attempt.state or not can_move(current.state, to_state):
            return current
        return move(current, to_state, detail=detail, **changes)


# What the provider says -------------------------------------------------------------------------


def record_provider_status(
    *, attempt: PaymentAttempt, status: ProviderStatus, source: str, verified: bool = False
) -> PaymentAttempt:
    """Apply a provider's report to an attempt. Never moves backwards; a capture whose amount or
    currency differs from the attempt's is an error, never a success; a capture reported for a
    failed or errored attempt ("late capture") is first confirmed by asking the provider, unless
    the report was just read from it (`verified`). Safe to run any number of times."""
    attempt.refresh_from_db()
    outcome = status.outcome
    if outcome == "captured" and attempt.state in (S.FAILED, S.ERROR) and not verified:
        try:
            status = provider_named(attempt.provider).fetch_status(
                provider_ref=attempt.provider_ref
            )
        except ProviderError as error:
            logger.warning("Late capture of attempt %s unconfirmed: %s", attempt.pk, error)
            return attempt
        outcome = status.outcome
        if outcome != "captured":
            return attempt  # the provider does not confirm the capture: nothing changes
    with transaction.atomic():
        attempt = lock_attempt(attempt.pk)
        detail = {"source": source, "outcome": outcome, "provider_ref": status.provider_ref}
        if outcome == "captured":
            return _record_capture(attempt, status, detail)
        if outcome == "authorised":
            if attempt.state == S.STARTED:
                return move(attempt, S.SUBMITTED, detail=detail)
            return attempt
        if outcome in _ENDINGS and attempt.state not in FINISHED:
            to_state, code = _ENDINGS[outcome]
            if attempt.state == S.CANCEL_SUBMITTED and outcome == "cancelled":
                to_state, code = S.CANCELLED, CANCELLED_BY_SERVICE
            if not can_move(attempt.state, to_state):
                return attempt
            attempt = move(
                attempt,
                to_state,
                detail={**detail, "failure_code": status.failure_code},
                failure_code=code,
                failure_message=status.failure_code[:300],
            )
            _emit("payment.failed", {"payment": payment_resource(attempt)}, attempt.biller)
            return attempt
        return attempt  # "pending", or an ending reported for a finished attempt


def _record_capture(
    attempt: PaymentAttempt, status: ProviderStatus, detail: dict[str, Any]
) -> PaymentAttempt:
    """Success in one transaction: the state, the ledger, the bills and the receipt."""
    if attempt.state == S.SUCCESS:
        return attempt  # already recorded: the receipt and the ledger posting exist
    if status.captured_minor != attempt.amount_minor or status.currency != attempt.currency:
        reported = f"{status.captured_minor} {status.currency}"
        logger.error("Attempt %s: provider captured %s, expected %s %s", attempt.pk, reported,
                     attempt.amount_minor, attempt.currency)  # fmt: skip
        if can_move(attempt.state, S.ERROR):
            attempt = move(
                attempt,
                S.ERROR,
                detail={**detail, "reason": "amount_mismatch", "reported": reported},
                failure_code=PROVIDER_ERROR,
                failure_message=f"amount mismatch: the provider reported {reported}",
            )
        return attempt
    if not can_move(attempt.state, S.SUCCESS):
        logger.warning("Attempt %s: capture reported in state %s", attempt.pk, attempt.state)
        return attempt
    attempt = move(
        attempt,
        S.SUCCESS,
        detail=detail,
        captured_minor=attempt.amount_minor,
        failure_code="",
        failure_message="",
    )
    ledger.post(
        kind="capture",
        currency=attempt.currency,
        entries=[
            (ledger.clearing(attempt.provider, attempt.currency), attempt.amount_minor),
            (ledger.receivable(attempt.biller, attempt.currency), -attempt.amount_minor),
        ],
        memo=f"capture {attempt.public_id}",
        attempt=attempt,
    )
    paid_bills = _apply_to_bills(attempt)
    receipt = _issue_receipt(attempt)
    _emit("payment.succeeded", {"payment": payment_resource(attempt)}, attempt.biller)
    for bill in paid_bills:
        _emit("bill.paid", {"bill": bill_resource(bill)}, attempt.biller)
        listeners.service_bill_paid(bill)
    from payments.tasks import send_receipt_task

    send_receipt_task.delay_on_commit(receipt_id=receipt.pk)
    return attempt


def _apply_to_bills(attempt: PaymentAttempt) -> list[Bill]:
    """Add each allocation to its bill (row-locked, in primary-key order so two captures never
    deadlock); returns the bills this payment settled in full."""
    shares = dict(attempt.allocations.values_list("bill_id", "amount_minor"))
    paid: list[Bill] = []
    for bill in Bill.objects.select_for_update().filter(pk__in=shares).order_by("pk"):
        # One rule for every capture (payments.actions.bills): a late capture on a cancelled or
        # expired bill puts the written-off amount back into receivable; the bill never shows
        # more paid than its total.
        was_paid = bill.status == Bill.Status.PAID
        bill = apply_payment_to_bill(bill=bill, amount_minor=shares[bill.pk])
        if bill.status == Bill.Status.PAID and not was_paid:
            paid.append(bill)
    return paid


def _issue_receipt(attempt: PaymentAttempt) -> Receipt:
    """The next number in the biller's sequence, under a row lock on the biller."""
    biller = Biller.objects.select_for_update().get(pk=attempt.biller_id)
    last = Receipt.objects.filter(biller=biller).aggregate(last=Max("sequence"))["last"] or 0
    sequence = last + 1
    return Receipt.objects.create(
        attempt=attempt,
        biller=biller,
        sequence=sequence,
        number=f"{biller.receipt_prefix}{sequence:08d}",
        amount_minor=attempt.captured_minor,
        currency=attempt.currency,
    )


# Asking the provider: the poll, the expiry sweep and the admin's "ask now" ------------------------


def settle_with_provider(*, attempt: PaymentAttempt, source: str = "poll") -> PaymentAttempt:
    """Ask the provider where an attempt stands and record the answer."""
    attempt.refresh_from_db()
    if not attempt.provider_ref:
        return attempt  # the provider never heard of it: nothing to ask
    try:
        status = provider_named(attempt.provider).fetch_status(provider_ref=attempt.provider_ref)
    except ProviderError as error:
        logger.warning("Could not ask %s about attempt %s: %s", attempt.provider, attempt.pk, error)
        return attempt
    return record_provider_status(attempt=attempt, status=status, source=source, verified=True)


def expire_abandoned_attempt(
    *, attempt: PaymentAttempt, now: datetime | None = None
) -> PaymentAttempt:
    """An unfinished attempt older than 90 minutes and untouched for 5 minutes fails as expired
    (P0020) — unless the provider, asked first, says it was paid or ended otherwise."""
    now = now or timezone.now()
    attempt.refresh_from_db()
    if not _is_abandoned(attempt, now):
        return attempt
    attempt = settle_with_provider(attempt=attempt, source="expiry")
    if attempt.state in FINISHED:
        return attempt  # the provider's answer settled it
    status = _cancel_at_provider(attempt)
    if status is not None and status.outcome == "captured":
        return record_provider_status(
            attempt=attempt, status=status, source="expiry", verified=True
        )
    with transaction.atomic():
        attempt = lock_attempt(attempt.pk)
        if not _is_abandoned(attempt, now):
            return attempt
        to_state = S.CANCELLED if attempt.state == S.CANCEL_SUBMITTED else S.FAILED
        if not can_move(attempt.state, to_state):
            return attempt
        code = CANCELLED_BY_SERVICE if to_state == S.CANCELLED else EXPIRED
        attempt = move(
            attempt, to_state, detail={"source": "expiry"}, failure_code=code,
            failure_message="expired",
        )  # fmt: skip
        _emit("payment.failed", {"payment": payment_resource(attempt)}, attempt.biller)
        return attempt


def _is_abandoned(attempt: PaymentAttempt, now: datetime) -> bool:
    return (
        attempt.state not in FINISHED
        and attempt.created_at <= now - ATTEMPT_LIFETIME
        and attempt.updated_at <= now - RECENTLY_TOUCHED
    )


def abandoned_attempts(now: datetime | None = None) -> QuerySet[PaymentAttempt]:
    now = now or timezone.now()
    return PaymentAttempt.objects.filter(
        finished=False,
        created_at__lte=now - ATTEMPT_LIFETIME,
        updated_at__lte=now - RECENTLY_TOUCHED,
    ).order_by("pk")


def attempts_to_poll(now: datetime | None = None) -> QuerySet[PaymentAttempt]:
    """Unfinished attempts 15 to 30 minutes old, which the provider should have settled."""
    now = now or timezone.now()
    youngest, oldest = POLL_WINDOW
    return (
        PaymentAttempt.objects.filter(
            finished=False, created_at__lte=now - youngest, created_at__gte=now - oldest
        )
        .exclude(provider_ref="")
        .order_by("pk")
    )


# Cancelling ---------------------------------------------------------------------------------


def cancel_payment(*, attempt: PaymentAttempt, payer: Person) -> PaymentAttempt:
    """The payer stops an unfinished payment. `cancel_submitted` commits before the provider is
    told; if the provider says the payment was captured meanwhile, it ends in success instead."""
    attempt.refresh_from_db()
    if attempt.payer_id != payer.pk:
        raise NotFound()
    if attempt.state in FINISHED:
        raise PaymentFinished(payment_status=public_status(attempt.state))
    if attempt.state == S.CREATED:
        return _end_cancelled(attempt, source="payer")
    attempt = move(attempt, S.CANCEL_SUBMITTED, detail={"source": "payer"})
    status = _cancel_at_provider(attempt)
    if status is not None and status.outcome == "captured":
        return record_provider_status(
            attempt=attempt, status=status, source="cancel", verified=True
        )
    return _end_cancelled(attempt, source="payer")


def _cancel_at_provider(attempt: PaymentAttempt) -> ProviderStatus | None:
    """Close the provider's checkout where the adapter can (an optional capability). When the
    provider refuses, its current status is returned so a capture is not lost."""
    provider: PaymentProvider = provider_named(attempt.provider)
    cancel = getattr(provider, "cancel_checkout", None)
    if cancel is None or not attempt.provider_ref:
        return None
    try:
        cancel(provider_ref=attempt.provider_ref)
        return None
    except ProviderError:
        try:
            return provider.fetch_status(provider_ref=attempt.provider_ref)
        except ProviderError:
            return None


def _end_cancelled(attempt: PaymentAttempt, *, source: str) -> PaymentAttempt:
    with transaction.atomic():
        attempt = lock_attempt(attempt.pk)
        if not can_move(attempt.state, S.CANCELLED):
            return attempt
        attempt = move(
            attempt, S.CANCELLED, detail={"source": source}, failure_code=CANCELLED_BY_SERVICE,
            failure_message="cancelled",
        )  # fmt: skip
        _emit("payment.failed", {"payment": payment_resource(attempt)}, attempt.biller)
        return attempt


# Inbound provider webhooks ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedWebhook:
    event: ProviderEvent
    is_duplicate: bool


def receive_provider_webhook(
    *, provider_name: str, body: bytes, headers: Mapping[str, str]
) -> ReceivedWebhook:
    """Verify a provider's webhook, store it once per provider event id, and queue its
    processing. A bad signature stores nothing."""
    if provider_name not in settings.PAYMENT_PROVIDERS:
        raise UnknownProvider()
    try:
        parsed = provider_named(provider_name).parse_webhook(body=body, headers=dict(headers))
    except InvalidWebhook as error:
        logger.warning("Refused a %s webhook: %s", provider_name, error)
        raise WebhookSignatureInvalid() from error
    status = None
    if parsed.status is not None:
        status = {k: v for k, v in dataclasses.asdict(parsed.status).items() if k != "raw"}
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = ProviderEvent.objects.create(
                    provider=provider_name,
                    event_id=parsed.event_id[:100],
                    kind=parsed.kind[:60],
                    provider_ref=parsed.provider_ref[:100],
                    payload={"event": parsed.payload, "status": status},
                )
        except IntegrityError:
            existing = ProviderEvent.objects.get(provider=provider_name, event_id=parsed.event_id)
            return ReceivedWebhook(event=existing, is_duplicate=True)
        from payments.tasks import process_provider_event_task

        process_provider_event_task.delay_on_commit(event_id=event.pk)
    return ReceivedWebhook(event=event, is_duplicate=False)


def process_provider_event(*, event: ProviderEvent) -> str:
    """Apply a stored provider event to its attempt; returns what happened, also kept on the
    event. Running it again changes nothing."""
    event.refresh_from_db()
    if event.processed_at is not None:
        return event.outcome
    stored = event.payload.get("status")
    attempt = PaymentAttempt.objects.filter(
        provider=event.provider, provider_ref=event.provider_ref
    ).first()
    if stored is None:
        outcome = f"ignored: {event.kind}"
    elif attempt is None:
        outcome = "ignored: no payment with this reference"
    else:
        status = ProviderStatus(**stored, raw=event.payload.get("event") or {})
        before = attempt.state
        attempt = record_provider_status(
            attempt=attempt, status=status, source=f"webhook:{event.event_id}"
        )
        outcome = f"{before} → {attempt.state}" if attempt.state != before else "no change"
    ProviderEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), outcome=outcome[:200]
    )
    return outcome


# Shapes shared with outbound webhooks ----------------------------------------------------------


def payment_resource(attempt: PaymentAttempt) -> dict[str, Any]:
    receipt = Receipt.objects.filter(attempt=attempt).first()
    return {
        "id": str(attempt.public_id),
        "status": public_status(attempt.state),
        "finished": attempt.finished,
        "amount_minor": attempt.amount_minor,
        "currency": attempt.currency,
        "biller": attempt.biller.code,
        "bills": [
            str(public_id)
            for public_id in attempt.allocations.order_by("pk").values_list(
                "bill__public_id", flat=True
            )
        ],
        "failure_code": attempt.failure_code or None,
        "receipt_number": receipt.number if receipt else None,
    }


def bill_resource(bill: Bill) -> dict[str, Any]:
    return {
        "id": str(bill.public_id),
        "number": bill.number,
        "biller": bill.biller.code,
        "total_minor": bill.total_minor,
        "paid_minor": bill.paid_minor,
        "currency": bill.currency,
        "status": bill.status,
    }


def _emit(event_type: str, payload: dict[str, Any], biller: Biller) -> None:
    """Tell subscribed integrators (outbound webhooks), inside the caller's transaction."""
    emit_event(event_type, payload, biller=biller)

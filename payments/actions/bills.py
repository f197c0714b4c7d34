"""Payments actions: linked biller accounts and bills.

- A citizen links their account number at a biller, proved by the amount of that account's last
  bill; linking adopts the account's bills that nobody was billed for yet.
- A biller's integrator pushes bills, once per (biller, number), and cancels them while nothing
  is paid; services raise fee bills for applications (`raise_service_fee_bill`).
- Captured payments are applied to bills (`apply_payment_to_bill`, called by the attempts area).
- A periodic sweep marks bills past their due date overdue and expires those past their expiry.

Ledger: raising a bill posts `bill` (Dr receivable:<biller>, Cr billed:<biller>); cancelling or
expiring one writes its outstanding amount off with `bill_writeoff` (Dr billed, Cr receivable);
so receivable:<biller> is always what the biller's payable bills still owe.
"""

import datetime
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, DomainError, NotFound, field_error
from identity.models import Business, Person
from payments import ledger
from payments.models import Bill, Biller, BillerAccount, BillLine, BillType, PaymentAllocation
from payments.queries import active_links

CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
SERVICE_FEE_NUMBER_PREFIX = "SF-"

# Errors ------------------------------------------------------------------------------------


class AccountProofMismatch(DomainError):
    status = 422
    code = "account_proof_mismatch"
    title = _("The proof does not match this account at this biller.")


class AccountLinkingNotOffered(DomainError):
    status = 422
    code = "account_linking_not_offered"
    title = _("This biller links accounts itself; they cannot be linked here.")


class InvalidBillLines(DomainError):
    status = 422
    code = "invalid_bill_lines"
    title = _("A bill needs at least one line, each for a positive amount.")


class CurrencyMismatch(DomainError):
    status = 422
    code = "currency_mismatch"
    title = _("The currency is not the one this biller bills in.")


class MinimumPayableAboveTotal(DomainError):
    status = 422
    code = "minimum_payable_above_total"
    title = _("The minimum payable amount must be positive and at most the bill's total.")


class UnknownBillType(DomainError):
    status = 422
    code = "unknown_bill_type"
    title = _("This biller has no bill type with this code.")


class InvalidExpiry(DomainError):
    status = 422
    code = "invalid_expiry"
    title = _("A new bill cannot expire in the past.")


class InvalidBillReference(DomainError):
    status = 422
    code = "invalid_bill_reference"
    title = _("A service's fee bill needs the reference of what it is for.")


class BillNumberConflict(Conflict):
    code = "bill_number_conflict"
    title = _("This biller already has a different bill with this number.")


class BillNotCancellable(Conflict):
    code = "bill_not_cancellable"
    title = _("Only a bill nothing has been paid of can be cancelled.")


class BillPaymentInProgress(Conflict):
    code = "bill_payment_in_progress"
    title = _("A payment of this bill is under way; try again when it has finished.")


# Data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillLineData:
    fee_type: str
    amount_minor: int
    period: str = ""
    description: str = ""


@dataclass(frozen=True)
class StoredBill:
    """A bill pushed or raised: `created` is False when the same bill was already stored."""

    bill: Bill
    created: bool


@dataclass(frozen=True)
class LinkedAccount:
    account: BillerAccount
    created: bool
    adopted_bills: int


@dataclass(frozen=True)
class BillSweep:
    overdue: int
    expired: int


# Helpers -----------------------------------------------------------------------------------


def normalise_account_number(raw: str) -> str:
    """Account numbers compare without white space and in upper case ("wa 100 001" = "WA100001")."""
    return re.sub(r"\s+", "", raw or "").upper()


def service_fee_bill_number(reference: str) -> str:
    """The bill number of a service fee: derived from its reference, so raising the fee again
    (a retried task) finds the same bill through the (biller, number) constraint."""
    digest = hashlib.sha256(reference.encode()).hexdigest()[:16].upper()
    return f"{SERVICE_FEE_NUMBER_PREFIX}{digest}"


def lock_bill(pk: int) -> Bill:
    return Bill.objects.select_for_update().select_related("biller").get(pk=pk)


def lock_bills(pks: Sequence[int]) -> list[Bill]:
    """Lock several bills in id order, so that two payments of overlapping bills never deadlock."""
    return list(
        Bill.objects.select_for_update().select_related("biller").filter(pk__in=pks).order_by("pk")
    )


def has_payment_in_progress(bill: Bill) -> bool:
    return PaymentAllocation.objects.filter(bill=bill, is_open=True).exists()


def _post_raised(bill: Bill) -> None:
    ledger.post(
        kind="bill",
        currency=bill.currency,
        entries=[
            (ledger.receivable(bill.biller, bill.currency), bill.total_minor),
            (ledger.billed(bill.biller, bill.currency), -bill.total_minor),
        ],
        memo=f"bill {bill.biller.code} {bill.number} ({bill.public_id})",
    )


def _write_off(bill: Bill, why: str) -> None:
    """What a closed bill still owed leaves receivable."""
    amount = bill.outstanding_minor
    if amount <= 0:
        return
    ledger.post(
        kind="bill_writeoff",
        currency=bill.currency,
        entries=[
            (ledger.billed(bill.biller, bill.currency), amount),
            (ledger.receivable(bill.biller, bill.currency), -amount),
        ],
        memo=f"{why}: bill {bill.biller.code} {bill.number} ({bill.public_id})",
    )


def _reinstate(bill: Bill, amount: int) -> None:
    """Money arrived for a bill already written off (a late capture): the part paid goes back
    into receivable, so the capture that credits receivable leaves it where it was."""
    ledger.post(
        kind="bill_reinstatement",
        currency=bill.currency,
        entries=[
            (ledger.receivable(bill.biller, bill.currency), amount),
            (ledger.billed(bill.biller, bill.currency), -amount),
        ],
        memo=f"late payment: bill {bill.biller.code} {bill.number} ({bill.public_id})",
    )


def _status_by_dates(bill: Bill, today: datetime.date) -> str:
    """The status of a bill that is still to be paid (fully or in part)."""
    if bill.due_date < today:
        return Bill.Status.OVERDUE
    return Bill.Status.PARTIALLY_PAID if bill.paid_minor > 0 else Bill.Status.OPEN


def _check_lines(lines: Sequence[BillLineData]) -> int:
    if not lines:
        raise InvalidBillLines(errors=[field_error("lines", "empty", _("Send at least one line."))])
    errors = [
        field_error(f"lines.{index}.amount_minor", "not_positive", _("Must be more than zero."))
        for index, line in enumerate(lines)
        if line.amount_minor <= 0
    ]
    if errors:
        raise InvalidBillLines(errors=errors)
    return sum(line.amount_minor for line in lines)


def _check_currency(biller: Biller, currency: str) -> None:
    if currency != biller.currency or not CURRENCY_PATTERN.fullmatch(currency):
        raise CurrencyMismatch(
            errors=[
                field_error(
                    "currency",
                    "not_biller_currency",
                    _("This biller bills in %(currency)s.") % {"currency": biller.currency},
                )
            ]
        )


def _check_minimum(minimum: int, total: int) -> None:
    if not 0 < minimum <= total:
        raise MinimumPayableAboveTotal(
            errors=[
                field_error(
                    "minimum_payable_minor",
                    "above_total" if minimum > total else "not_positive",
                    _("Must be more than zero and at most the total of the lines (%(total)d).")
                    % {"total": total},
                )
            ]
        )


def _bill_type(biller: Biller, code: str | None) -> BillType | None:
    if not code:
        return None
    bill_type = BillType.objects.filter(biller=biller, code=code).first()
    if bill_type is None:
        raise UnknownBillType(
            errors=[field_error("bill_type", "does_not_exist", _("Unknown bill type."))]
        )
    return bill_type


@dataclass(frozen=True)
class _Content:
    """What makes two bills under one number "the same bill"."""

    source: str
    reference: str
    payer_id: int | None  # only for service fees: a pushed bill's payer is resolved, not sent
    payer_business_id: int | None
    bill_type_id: int | None
    account_number: str
    currency: str
    minimum_payable_minor: int
    due_date: datetime.date
    expires_at: datetime.datetime | None
    lines: tuple[tuple[str, str, str, int], ...]


def _content_of(bill: Bill) -> _Content:
    return _Content(
        source=bill.source,
        reference=bill.reference,
        payer_id=bill.payer_id if bill.source == Bill.Source.SERVICE else None,
        payer_business_id=bill.payer_business_id,
        bill_type_id=bill.bill_type_id,
        account_number=bill.account_number,
        currency=bill.currency,
        minimum_payable_minor=bill.minimum_payable_minor,
        due_date=bill.due_date,
        expires_at=bill.expires_at,
        lines=tuple(
            (line.fee_type, line.period, line.description, line.amount_minor)
            for line in bill.lines.order_by("pk")
        ),
    )


def _same_or_conflict(existing: Bill, wanted: _Content) -> Bill:
    if _content_of(existing) != wanted:
        raise BillNumberConflict(
            _(
                "Bill %(number)s was sent before with other content. A bill is never changed: "
                "cancel it and send the new one under a new number."
            )
            % {"number": existing.number},
            errors=[field_error("number", "conflict", _("Already used for another bill."))],
        )
    return existing


def _store_bill(
    *,
    biller: Biller,
    number: str,
    wanted: _Content,
    payer_id: int | None,
    total_minor: int,
    now: datetime.datetime,
) -> StoredBill:
    """Create the bill with its lines and post it, or find the same one under its number."""
    existing = Bill.objects.filter(biller=biller, number=number).first()
    if existing is not None:
        return StoredBill(bill=_same_or_conflict(existing, wanted), created=False)
    if wanted.expires_at is not None and wanted.expires_at <= now:
        raise InvalidExpiry(
            errors=[field_error("expires_at", "in_the_past", _("Must be in the future."))]
        )
    bill = Bill(
        biller=biller,
        number=number,
        bill_type_id=wanted.bill_type_id,
        account_number=wanted.account_number,
        payer_id=payer_id,
        payer_business_id=wanted.payer_business_id,
        source=wanted.source,
        reference=wanted.reference,
        currency=wanted.currency,
        total_minor=total_minor,
        minimum_payable_minor=wanted.minimum_payable_minor,
        due_date=wanted.due_date,
        expires_at=wanted.expires_at,
    )
    bill.status = _status_by_dates(bill, timezone.localdate(now))
    try:
        with transaction.atomic():
            bill.save()
    except IntegrityError:
        # Lost a race with the same number: the winner's bill is the answer.
        existing = Bill.objects.filter(biller=biller, number=number).first()
        if existing is None:
            raise
        return StoredBill(bill=_same_or_conflict(existing, wanted), created=False)
    BillLine.objects.bulk_create(
        BillLine(
            bill=bill,
            fee_type=fee_type,
            period=period,
            description=description,
            amount_minor=amount,
        )
        for fee_type, period, description, amount in wanted.lines
    )
    _post_raised(bill)
    return StoredBill(bill=bill, created=True)


def _payer_of_account(biller: Biller, account_number: str) -> int | None:
    """The one person who linked this account; nobody when none or several did (each of them
    still sees the bill through their link)."""
    person_ids = list(
        active_links()
        .filter(biller=biller, account_number=account_number)
        .values_list("person_id", flat=True)
        .distinct()[:2]
    )
    return person_ids[0] if len(person_ids) == 1 else None


# Linked accounts ---------------------------------------------------------------------------


def last_bill_of_account(biller: Biller, account_number: str) -> Bill | None:
    """The most recent bill the biller sent for this account (a cancelled one is not a proof)."""
    return (
        Bill.objects.filter(biller=biller, account_number=account_number, source=Bill.Source.BILLER)
        .exclude(status=Bill.Status.CANCELLED)
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def link_biller_account(
    *,
    person: Person,
    biller: Biller,
    account_number: str,
    last_bill_amount_minor: int,
    label: str = "",
) -> LinkedAccount:
    """A citizen links their account at a biller, proved by the amount of its last bill. The
    account's bills nobody was billed for become theirs, unless someone else linked it too."""
    if biller.account_check != Biller.AccountCheck.LAST_BILL_AMOUNT or not biller.is_active:
        raise AccountLinkingNotOffered()
    account_number = normalise_account_number(account_number)
    last = last_bill_of_account(biller, account_number)
    # An unknown account and a wrong amount are the same answer: the refusal must not tell a
    # guesser which account numbers exist, nor the right amount.
    if last is None or last.total_minor != last_bill_amount_minor:
        raise AccountProofMismatch(
            errors=[
                field_error(
                    "proof.last_bill_amount_minor",
                    "mismatch",
                    _("Does not match the last bill of this account."),
                )
            ]
        )
    mine = active_links().filter(person=person, biller=biller, account_number=account_number)
    existing = mine.first()
    if existing is not None:
        return LinkedAccount(account=existing, created=False, adopted_bills=0)
    try:
        with transaction.atomic():
            account = BillerAccount.objects.create(
                person=person, biller=biller, account_number=account_number, label=label
            )
    except IntegrityError:  # the same person linked it at the same moment
        return LinkedAccount(account=mine.get(), created=False, adopted_bills=0)
    return LinkedAccount(account=account, created=True, adopted_bills=_adopt_bills(account))


def _adopt_bills(account: BillerAccount) -> int:
    shared = (
        active_links()
        .filter(biller_id=account.biller_id, account_number=account.account_number)
        .exclude(person_id=account.person_id)
        .exists()
    )
    if shared:
        return 0
    return Bill.objects.filter(
        biller_id=account.biller_id,
        account_number=account.account_number,
        payer__isnull=True,
        payer_business__isnull=True,
    ).update(payer_id=account.person_id, updated_at=timezone.now())


@transaction.atomic
def unlink_biller_account(*, person: Person, account: BillerAccount) -> BillerAccount:
    """The citizen stops following an account; its bills billed to them stay theirs. Unlinking
    twice changes nothing."""
    account = BillerAccount.objects.select_for_update().get(pk=account.pk)
    if account.person_id != person.pk:
        raise NotFound()
    if account.unlinked_at is None:
        account.unlinked_at = timezone.now()
        account.save(update_fields=["unlinked_at"])
    return account


# Bills -------------------------------------------------------------------------------------


@transaction.atomic
def push_bill(
    *,
    biller: Biller,
    number: str,
    account_number: str,
    lines: Sequence[BillLineData],
    currency: str,
    due_date: datetime.date,
    minimum_payable_minor: int | None = None,
    bill_type_code: str | None = None,
    expires_at: datetime.datetime | None = None,
    payer_business: Business | None = None,
) -> StoredBill:
    """A biller's bill, stored once per (biller, number): the same bill sent again is the one
    already stored; other content under a used number is refused (cancel, then a new number).
    Billed to the one person who linked the account, if exactly one did."""
    total = _check_lines(lines)
    _check_currency(biller, currency)
    minimum = total if minimum_payable_minor is None else minimum_payable_minor
    _check_minimum(minimum, total)
    bill_type = _bill_type(biller, bill_type_code)
    account_number = normalise_account_number(account_number)
    wanted = _Content(
        source=Bill.Source.BILLER,
        reference="",
        payer_id=None,
        payer_business_id=payer_business.pk if payer_business is not None else None,
        bill_type_id=bill_type.pk if bill_type is not None else None,
        account_number=account_number,
        currency=currency,
        minimum_payable_minor=minimum,
        due_date=due_date,
        expires_at=expires_at,
        lines=tuple(
            (line.fee_type, line.period, line.description, line.amount_minor) for line in lines
        ),
    )
    payer_id = None if payer_business is not None else _payer_of_account(biller, account_number)
    return _store_bill(
        biller=biller,
        number=number,
        wanted=wanted,
        payer_id=payer_id,
        total_minor=total,
        now=timezone.now(),
    )


@transaction.atomic
def raise_service_fee_bill(
    *,
    biller: Biller,
    payer: Person,
    reference: str,
    fee_type: str,
    amount_minor: int,
    currency: str,
    due_date: datetime.date,
) -> Bill:
    """A service's fee (e.g. for an application), billed to the applicant. Raising it again
    with the same reference returns the same bill; other content under it is a conflict."""
    if not reference.strip():
        raise InvalidBillReference(
            errors=[field_error("reference", "required", _("This field is required."))]
        )
    lines = [BillLineData(fee_type=fee_type, amount_minor=amount_minor, description=reference)]
    total = _check_lines(lines)
    _check_currency(biller, currency)
    wanted = _Content(
        source=Bill.Source.SERVICE,
        reference=reference,
        payer_id=payer.pk,
        payer_business_id=None,
        bill_type_id=None,
        account_number="",
        currency=currency,
        minimum_payable_minor=total,
        due_date=due_date,
        expires_at=None,
        lines=tuple(
            (line.fee_type, line.period, line.description, line.amount_minor) for line in lines
        ),
    )
    return _store_bill(
        biller=biller,
        number=service_fee_bill_number(reference),
        wanted=wanted,
        payer_id=payer.pk,
        total_minor=total,
        now=timezone.now(),
    ).bill


@transaction.atomic
def cancel_bill(*, bill: Bill, reason: str = "") -> Bill:
    """The biller withdraws a bill nothing has been paid of; its amount is written off.
    Cancelling a cancelled bill changes nothing."""
    bill = lock_bill(bill.pk)
    if bill.status == Bill.Status.CANCELLED:
        return bill
    if bill.status not in Bill.PAYABLE or bill.paid_minor > 0:
        raise BillNotCancellable(bill_status=bill.status)
    if has_payment_in_progress(bill):
        raise BillPaymentInProgress()
    _write_off(bill, f"cancelled{': ' + reason if reason else ''}")
    bill.status = Bill.Status.CANCELLED
    bill.save(update_fields=["status", "updated_at"])
    return bill


@transaction.atomic
def apply_payment_to_bill(
    *, bill: Bill, amount_minor: int, today: datetime.date | None = None
) -> Bill:
    """A captured payment pays (part of) a bill: it is then paid, partially paid, or still
    overdue. A capture is a fact, not a request: money for a cancelled or expired bill (a late
    capture) is booked against it all the same, and what exceeds the outstanding amount is not
    applied (it is for a refund to return)."""
    bill = lock_bill(bill.pk)
    applied = min(amount_minor, bill.outstanding_minor)
    if applied <= 0:
        return bill
    closed = bill.status in (Bill.Status.CANCELLED, Bill.Status.EXPIRED)
    if closed:
        _reinstate(bill, applied)
    bill.paid_minor += applied
    if bill.paid_minor == bill.total_minor:
        bill.status = Bill.Status.PAID
    elif not closed:
        bill.status = _status_by_dates(bill, today or timezone.localdate())
    bill.save(update_fields=["paid_minor", "status", "updated_at"])
    return bill


def bills_to_expire(now: datetime.datetime) -> QuerySet[Bill]:
    """Past their expiry, not fully paid, and with no payment under way (those wait for it)."""
    return Bill.objects.filter(status__in=Bill.PAYABLE, expires_at__lte=now).exclude(
        allocations__is_open=True
    )


@transaction.atomic
def expire_bill(*, bill_id: int, now: datetime.datetime) -> bool:
    """One bill past its expiry expires, its outstanding amount written off; False when it no
    longer needs to (paid meanwhile, a payment under way, already expired)."""
    bill = lock_bill(bill_id)
    if bill.status not in Bill.PAYABLE or bill.expires_at is None or bill.expires_at > now:
        return False
    if has_payment_in_progress(bill):
        return False
    _write_off(bill, "expired")
    bill.status = Bill.Status.EXPIRED
    bill.save(update_fields=["status", "updated_at"])
    return True


def mark_overdue_and_expired_bills(*, now: datetime.datetime | None = None) -> BillSweep:
    """Bills past their expiry expire; open or partially paid bills past their due date become
    overdue. Running it again changes nothing more."""
    now = now or timezone.now()
    expired = sum(
        expire_bill(bill_id=pk, now=now)
        for pk in bills_to_expire(now).values_list("pk", flat=True).order_by("pk")
    )
    overdue = Bill.objects.filter(
        status__in=(Bill.Status.OPEN, Bill.Status.PARTIALLY_PAID),
        due_date__lt=timezone.localdate(now),
    ).update(status=Bill.Status.OVERDUE, updated_at=now)
    return BillSweep(overdue=overdue, expired=expired)

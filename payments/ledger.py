"""The double-entry ledger. Every money movement is one LedgerTransaction whose entries sum to
zero in one currency, checked here before anything is written; posted rows are never changed
(a correction is a reversing transaction). Debits are positive, credits negative.

Accounts:
- `receivable:<biller>`   asset: what payers owe the biller (debited when a bill is raised,
                          credited when it is paid)
- `billed:<biller>`       income: what the biller billed (credited when a bill is raised)
- `clearing:<provider>`   asset: money the provider captured and owes us
- `settlement:<biller>`   liability: money we owe the biller (credited on capture)
- `refunds:<biller>`      expense: refunds paid out for the biller
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from cityportal.errors import DomainError
from payments.models import (
    Biller,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentAttempt,
    Refund,
)


class UnbalancedTransaction(DomainError):
    status = 500
    code = "ledger_unbalanced"


def account(code: str, *, kind: str, currency: str, biller: Biller | None = None) -> LedgerAccount:
    found, _ = LedgerAccount.objects.get_or_create(
        code=f"{code}:{currency}",
        defaults={"name": code, "kind": kind, "currency": currency, "biller": biller},
    )
    return found


def receivable(biller: Biller, currency: str) -> LedgerAccount:
    return account(f"receivable:{biller.code}", kind="asset", currency=currency, biller=biller)


def billed(biller: Biller, currency: str) -> LedgerAccount:
    return account(f"billed:{biller.code}", kind="income", currency=currency, biller=biller)


def clearing(provider: str, currency: str) -> LedgerAccount:
    return account(f"clearing:{provider}", kind="asset", currency=currency)


def settlement(biller: Biller, currency: str) -> LedgerAccount:
    return account(f"settlement:{biller.code}", kind="liability", currency=currency, biller=biller)


def refunds(biller: Biller, currency: str) -> LedgerAccount:
    return account(f"refunds:{biller.code}", kind="expense", currency=currency, biller=biller)


@transaction.atomic
def post(
    *,
    kind: str,
    currency: str,
    entries: Iterable[tuple[LedgerAccount, int]],
    memo: str = "",
    attempt: PaymentAttempt | None = None,
    refund: Refund | None = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction, or nothing."""
    lines = [(acc, amount) for acc, amount in entries if amount != 0]
    if len(lines) < 2 or sum(amount for _, amount in lines) != 0:
        raise UnbalancedTransaction(f"{kind}: entries do not balance")
    if any(acc.currency != currency for acc, _ in lines):
        raise UnbalancedTransaction(f"{kind}: entries in more than one currency")
    txn = LedgerTransaction.objects.create(
        kind=kind, memo=memo[:300], attempt=attempt, refund=refund, reverses=reverses
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=txn, account=acc, amount_minor=amount, currency=currency)
        for acc, amount in lines
    )
    return txn


@transaction.atomic
def reverse(txn: LedgerTransaction, *, memo: str = "") -> LedgerTransaction:
    """Cancel a posted transaction with its mirror image."""
    entries = list(txn.entries.select_related("account"))
    return post(
        kind=f"reversal:{txn.kind}",
        currency=entries[0].currency,
        entries=[(entry.account, -entry.amount_minor) for entry in entries],
        memo=memo or f"reverses #{txn.pk}",
        attempt=txn.attempt,
        refund=txn.refund,
        reverses=txn,
    )


@dataclass(frozen=True)
class LedgerProblem:
    what: str
    detail: str


def verify_ledger() -> list[LedgerProblem]:
    """Every transaction balances; capture postings match captured amounts; refund postings
    match successful refunds. An empty list means the books are sound."""
    problems: list[LedgerProblem] = []
    sums: dict[int, int] = defaultdict(int)
    for txn_id, amount in LedgerEntry.objects.values_list("transaction_id", "amount_minor"):
        sums[txn_id] += amount
    problems += [
        LedgerProblem("transaction", f"#{txn_id} sums to {total}")
        for txn_id, total in sums.items()
        if total != 0
    ]
    posted_captures = dict(
        LedgerEntry.objects.filter(transaction__kind="capture", amount_minor__gt=0)
        .values_list("transaction__attempt_id")
        .annotate(total=Sum("amount_minor"))
    )
    reversed_captures = dict(
        LedgerEntry.objects.filter(transaction__kind="reversal:capture", amount_minor__lt=0)
        .values_list("transaction__attempt_id")
        .annotate(total=Sum("amount_minor"))
    )
    for attempt_id, captured in PaymentAttempt.objects.values_list("pk", "captured_minor"):
        posted = posted_captures.get(attempt_id, 0) + reversed_captures.get(attempt_id, 0)
        if posted != captured:
            problems.append(
                LedgerProblem(
                    "capture", f"attempt {attempt_id}: captured {captured}, posted {posted}"
                )
            )
    posted_refunds = dict(
        LedgerEntry.objects.filter(transaction__kind="refund", amount_minor__gt=0)
        .values_list("transaction__refund_id")
        .annotate(total=Sum("amount_minor"))
    )
    for refund_id, amount, state in Refund.objects.values_list("pk", "amount_minor", "state"):
        expected = amount if state == Refund.State.SUCCESS else 0
        posted = posted_refunds.get(refund_id, 0)
        if posted != expected:
            problems.append(
                LedgerProblem(
                    "refund",
                    f"refund {refund_id}: {state} {amount}, posted {posted}",
                )
            )
    return problems

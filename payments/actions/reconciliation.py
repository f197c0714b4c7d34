"""Reconciliation: the provider's daily settlement file (CSV) compared with our payments,
refunds and ledger, every mismatch listed in a ReconciliationReport; and the check that bills
agree with the payments that paid them (manage.py verify_ledger).

Settlement file columns: provider_ref, kind (capture|refund), amount_minor, currency,
settled_at. A row is matched by kind and provider reference, whatever its date; what we
captured or refunded on the settlement date (the day its ledger transaction was posted, in the
platform's time zone) and the file does not list is `missing_in_file`. A capture posted late in
the evening may settle the next day: the two reports then disagree for one day, which staff
read as a timing difference.

Mismatch types: missing_in_ledger, missing_in_file, amount_mismatch, currency_mismatch,
status_mismatch, duplicate_in_file; and malformed_row for a row that cannot be read,
malformed_file for a file that cannot (no report is written twice for one inbox file).
"""

import csv
import datetime
import io
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError
from payments.models import (
    Bill,
    LedgerEntry,
    LedgerTransaction,
    PaymentAttempt,
    ReconciliationReport,
    Refund,
)

logger = logging.getLogger(__name__)

COLUMNS = ("provider_ref", "kind", "amount_minor", "currency", "settled_at")
KINDS = ("capture", "refund")
CURRENCY = re.compile(r"[A-Z]{3}")
# Inbox file names: <provider>/<YYYY-MM-DD>[anything].csv
INBOX_FILE = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})[^/]*\.csv")


class SettlementFileInvalid(DomainError):
    status = 400
    code = "settlement_file_invalid"
    title = _("The settlement file cannot be read.")


class UnknownProvider(DomainError):
    status = 400
    code = "unknown_provider"
    title = _("No payment provider has this name.")


@dataclass(frozen=True)
class _Row:
    line: int
    provider_ref: str
    kind: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class _Ours:
    """What we hold for one provider reference: the record's status, and the ledger's amount."""

    status: str
    is_settled: bool  # captured / refunded successfully, as a settled row expects
    currency: str
    ledger_minor: int


def _mismatch(
    kind: str,
    what: str,
    provider_ref: str,
    detail: str,
    *,
    line: int | None = None,
    file_row: _Row | None = None,
    ours: _Ours | None = None,
) -> dict[str, Any]:
    return {
        "type": kind,
        "kind": what,
        "provider_ref": provider_ref,
        "line": line,
        "file_amount_minor": file_row.amount_minor if file_row else None,
        "file_currency": file_row.currency if file_row else None,
        "ledger_amount_minor": ours.ledger_minor if ours else None,
        "ledger_currency": ours.currency if ours else None,
        "status": ours.status if ours else None,
        "detail": detail,
    }


def _read(csv_text: str) -> tuple[list[_Row], list[dict[str, Any]]]:
    """The rows of the file, and a malformed_row mismatch for each row that cannot be read."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise SettlementFileInvalid(
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    reader.fieldnames = header
    rows: list[_Row] = []
    problems: list[dict[str, Any]] = []
    for line, raw in enumerate(reader, start=2):
        values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
        if not any(values.values()):
            continue
        reasons = []
        if not values["provider_ref"]:
            reasons.append("no provider_ref")
        if values["kind"] not in KINDS:
            reasons.append(f"kind {values['kind']!r} is not capture or refund")
        if not re.fullmatch(r"-?\d+", values["amount_minor"]):
            reasons.append(f"amount_minor {values['amount_minor']!r} is not a whole number")
        if not CURRENCY.fullmatch(values["currency"]):
            reasons.append(f"currency {values['currency']!r} is not an ISO 4217 code")
        if parse_datetime(values["settled_at"]) is None and not _is_date(values["settled_at"]):
            reasons.append(f"settled_at {values['settled_at']!r} is not a date")
        if reasons:
            problems.append(
                _mismatch(
                    "malformed_row",
                    values["kind"],
                    values["provider_ref"],
                    "; ".join(reasons),
                    line=line,
                )
            )
            continue
        rows.append(
            _Row(
                line=line,
                provider_ref=values["provider_ref"],
                kind=values["kind"],
                amount_minor=int(values["amount_minor"]),
                currency=values["currency"],
            )
        )
    return rows, problems


def _is_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def _captures(provider: str, refs: set[str], day: datetime.date) -> dict[str, _Ours]:
    """Our captures of this provider: those the file names, and those posted on `day`."""
    start, end = _day_bounds(day)
    posted_today = LedgerTransaction.objects.filter(
        kind="capture", attempt__provider=provider, posted_at__gte=start, posted_at__lt=end
    ).values("attempt")
    attempts = list(
        PaymentAttempt.objects.filter(provider=provider)
        .filter(Q(provider_ref__in=refs) | Q(pk__in=posted_today))
        .exclude(provider_ref="")
        .values("pk", "provider_ref", "state", "currency", "captured_minor")
    )
    posted: dict[int, int] = defaultdict(int)
    for attempt_id, amount in (
        LedgerEntry.objects.filter(
            Q(transaction__kind="capture", amount_minor__gt=0)
            | Q(transaction__kind="reversal:capture", amount_minor__lt=0),
            transaction__attempt__in=[row["pk"] for row in attempts],
        )
        .values_list("transaction__attempt")
        .annotate(total=Sum("amount_minor"))
    ):
        posted[attempt_id] = amount
    return {
        row["provider_ref"]: _Ours(
            status=row["state"],
            is_settled=row["state"] == PaymentAttempt.State.SUCCESS and row["captured_minor"] > 0,
            currency=row["currency"],
            ledger_minor=posted[row["pk"]],
        )
        for row in attempts
    }


def _refunds(provider: str, refs: set[str], day: datetime.date) -> dict[str, _Ours]:
    start, end = _day_bounds(day)
    posted_today = LedgerTransaction.objects.filter(
        kind="refund", refund__attempt__provider=provider, posted_at__gte=start, posted_at__lt=end
    ).values("refund")
    refunds = list(
        Refund.objects.filter(attempt__provider=provider)
        .filter(Q(provider_ref__in=refs) | Q(pk__in=posted_today))
        .exclude(provider_ref="")
        .values("pk", "provider_ref", "state", "currency")
    )
    posted: dict[int, int] = defaultdict(int)
    for refund_id, amount in (
        LedgerEntry.objects.filter(
            transaction__kind="refund",
            amount_minor__gt=0,
            transaction__refund__in=[row["pk"] for row in refunds],
        )
        .values_list("transaction__refund")
        .annotate(total=Sum("amount_minor"))
    ):
        posted[refund_id] = amount
    return {
        row["provider_ref"]: _Ours(
            status=row["state"],
            is_settled=row["state"] == Refund.State.SUCCESS,
            currency=row["currency"],
            ledger_minor=posted[row["pk"]],
        )
        for row in refunds
    }


def _posted_on(provider: str, day: datetime.date) -> dict[str, set[str]]:
    """Provider references of what our ledger says was captured or refunded on `day`."""
    start, end = _day_bounds(day)
    txns = LedgerTransaction.objects.filter(
        Q(kind="capture", attempt__provider=provider, refund__isnull=True)
        | Q(kind="refund", refund__attempt__provider=provider),
        posted_at__gte=start,
        posted_at__lt=end,
    ).values_list("kind", "attempt__provider_ref", "refund__provider_ref")
    found: dict[str, set[str]] = {"capture": set(), "refund": set()}
    for kind, attempt_ref, refund_ref in txns:
        ref = refund_ref if kind == "refund" else attempt_ref
        if ref:
            found[kind].add(ref)
    return found


def compare_settlement(
    *, provider: str, settlement_date: datetime.date, csv_text: str
) -> tuple[int, list[dict[str, Any]]]:
    """The number of rows read, and every difference between the file and our books."""
    rows, mismatches = _read(csv_text)
    refs = {kind: {row.provider_ref for row in rows if row.kind == kind} for kind in KINDS}
    ours = {
        "capture": _captures(provider, refs["capture"], settlement_date),
        "refund": _refunds(provider, refs["refund"], settlement_date),
    }
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.kind, row.provider_ref)
        if key in seen:
            mismatches.append(
                _mismatch(
                    "duplicate_in_file",
                    row.kind,
                    row.provider_ref,
                    f"also on line {seen[key]}",
                    line=row.line,
                    file_row=row,
                )
            )
            continue
        seen[key] = row.line
        mismatches += _compare_row(row, ours[row.kind].get(row.provider_ref))
    for kind, posted_refs in _posted_on(provider, settlement_date).items():
        for ref in sorted(posted_refs - refs[kind]):
            mismatches.append(
                _mismatch(
                    "missing_in_file",
                    kind,
                    ref,
                    f"our ledger has this {kind} on {settlement_date}; the file does not",
                    ours=ours[kind].get(ref),
                )
            )
    return len(rows) + sum(1 for m in mismatches if m["type"] == "malformed_row"), mismatches


def _compare_row(row: _Row, ours: _Ours | None) -> list[dict[str, Any]]:
    def mismatch(kind: str, detail: str) -> list[dict[str, Any]]:
        return [
            _mismatch(
                kind, row.kind, row.provider_ref, detail, line=row.line, file_row=row, ours=ours
            )
        ]

    if ours is None:
        return mismatch("missing_in_ledger", f"no {row.kind} with this reference")
    if not ours.is_settled:
        return mismatch(
            "status_mismatch", f"the provider settled this {row.kind}; ours is {ours.status}"
        )
    if ours.ledger_minor == 0:
        return mismatch("missing_in_ledger", f"the {row.kind} was never posted to the ledger")
    if row.currency != ours.currency:
        return mismatch("currency_mismatch", f"file {row.currency}, ours {ours.currency}")
    if row.amount_minor != ours.ledger_minor:
        return mismatch("amount_mismatch", f"file {row.amount_minor}, ledger {ours.ledger_minor}")
    return []


def _check_provider(provider: str) -> None:
    if provider not in settings.PAYMENT_PROVIDERS:
        raise UnknownProvider(
            _("Known providers: %(names)s.")
            % {"names": ", ".join(sorted(settings.PAYMENT_PROVIDERS))}
        )


@transaction.atomic
def reconcile_settlement(
    *, provider: str, settlement_date: datetime.date, csv_text: str, file_name: str
) -> ReconciliationReport:
    """Compare one settlement file of a provider with our payments, refunds and ledger, and keep
    the report: every mismatch with its type and details; none when the books agree."""
    _check_provider(provider)
    rows, mismatches = compare_settlement(
        provider=provider, settlement_date=settlement_date, csv_text=csv_text
    )
    report = ReconciliationReport.objects.create(
        provider=provider,
        settlement_date=settlement_date,
        file_name=file_name[:200],
        rows=rows,
        mismatches=mismatches,
    )
    if mismatches:
        logger.warning(
            "Settlement %s %s (%s): %d mismatch(es)",
            provider,
            settlement_date,
            file_name,
            len(mismatches),
        )
    return report


def settlement_inbox() -> Path:
    return Path(getattr(settings, "SETTLEMENT_INBOX", settings.BASE_DIR / "var" / "settlements"))


def reconcile_settlement_inbox(*, inbox: Path | None = None) -> list[ReconciliationReport]:
    """Reconcile every settlement file dropped in the inbox (<inbox>/<provider>/<date>….csv)
    that has no report yet; running it again does nothing new."""
    inbox = inbox or settlement_inbox()
    reports = []
    for folder in sorted(path for path in inbox.glob("*") if path.is_dir()):
        provider = folder.name
        if provider not in settings.PAYMENT_PROVIDERS:
            continue
        for file in sorted(folder.glob("*.csv")):
            match = INBOX_FILE.fullmatch(file.name)
            if match is None:
                logger.warning("Settlement file %s has no date in its name; skipped", file)
                continue
            report = _reconcile_file_once(
                provider=provider,
                settlement_date=datetime.date.fromisoformat(match["date"]),
                file=file,
            )
            if report is not None:
                reports.append(report)
    return reports


@transaction.atomic
def _reconcile_file_once(
    *, provider: str, settlement_date: datetime.date, file: Path
) -> ReconciliationReport | None:
    existing = ReconciliationReport.objects.select_for_update().filter(
        provider=provider, settlement_date=settlement_date, file_name=file.name
    )
    if existing.exists():
        return None
    try:
        text = file.read_text(encoding="utf-8-sig")
        return reconcile_settlement(
            provider=provider, settlement_date=settlement_date, csv_text=text, file_name=file.name
        )
    except OSError as error:  # unreadable now, perhaps still being copied: try again next run
        logger.error("Settlement file %s cannot be read: %s", file, error)
        return None
    except (UnicodeDecodeError, SettlementFileInvalid) as error:
        # A report saying so, so staff see it and the file is not retried every day.
        return ReconciliationReport.objects.create(
            provider=provider,
            settlement_date=settlement_date,
            file_name=file.name[:200],
            mismatches=[_mismatch("malformed_file", "", "", str(getattr(error, "detail", error)))],
        )


# --- bills against payments ---------------------------------------------------------------------


def bill_payment_problems() -> list[str]:
    """Bills whose paid amount differs from what their successful payments allocated to them."""
    successful = Q(allocations__attempt__state=PaymentAttempt.State.SUCCESS)
    bills = (
        Bill.objects.annotate(
            allocated=Coalesce(Sum("allocations__amount_minor", filter=successful), 0)
        )
        .exclude(paid_minor=F("allocated"))
        .select_related("biller")
        .order_by("pk")
    )
    return [
        f"bill {bill.biller.code} {bill.number} (#{bill.pk}): paid {bill.paid_minor}, "
        f"allocated by successful payments {bill.allocated}"
        for bill in bills
    ]

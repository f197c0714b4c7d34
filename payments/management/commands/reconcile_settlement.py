"""Reconcile one provider settlement file (CSV) with the ledger and keep the report:

    manage.py reconcile_settlement --provider sandbox --date 2026-03-01 settlement.csv

Prints each mismatch; exits non-zero when there is any. Every run writes a new report (the daily
task instead reconciles each file dropped in SETTLEMENT_INBOX once)."""

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityportal.errors import DomainError
from payments.actions.reconciliation import reconcile_settlement


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date {value!r} is not YYYY-MM-DD") from error


class Command(BaseCommand):
    help = "Compare a provider's settlement file with the ledger and list every mismatch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", required=True, help="e.g. sandbox")
        parser.add_argument("--date", required=True, help="the settlement date, YYYY-MM-DD")
        parser.add_argument("file", help="the settlement CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            report = reconcile_settlement(
                provider=options["provider"],
                settlement_date=_date(options["date"]),
                csv_text=text,
                file_name=path.name,
            )
        except DomainError as error:
            raise CommandError(str(error.detail)) from error
        for mismatch in report.mismatches:
            line = f"line {mismatch['line']}: " if mismatch.get("line") else ""
            self.stdout.write(
                f"{mismatch['type']}: {line}{mismatch['kind']} {mismatch['provider_ref']} — "
                f"{mismatch['detail']}"
            )
        summary = (
            f"Report #{report.pk}: {report.rows} row(s), {len(report.mismatches)} mismatch(es)."
        )
        if report.mismatches:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

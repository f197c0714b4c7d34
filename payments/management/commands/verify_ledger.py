"""Check the books: every ledger transaction balances, captures and refunds are posted exactly as
recorded (payments.ledger.verify_ledger), and every bill's paid amount equals what its successful
payments allocated to it. Prints each problem; exits non-zero when there is any."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.actions.reconciliation import bill_payment_problems
from payments.ledger import verify_ledger


class Command(BaseCommand):
    help = "Verify that the ledger balances and matches payments, refunds and bills."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = [f"{problem.what}: {problem.detail}" for problem in verify_ledger()]
        problems += [f"bill: {problem}" for problem in bill_payment_problems()]
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found.")
        self.stdout.write(self.style.SUCCESS("The ledger balances and matches payments and bills."))

"""manage.py verify_ledger: the books balance and agree with captures, refunds and bills; every
problem is printed and the command fails."""

import pytest
from django.core.management import CommandError, call_command

from payments import ledger
from payments.actions import refunds as refund_actions
from payments.models import Bill, LedgerEntry, LedgerTransaction, PaymentAttempt, Refund
from tests.factories import BillerFactory
from tests.payments import test_refunds_api as shared
from tests.payments.test_refunds_api import make_captured_payment

fake_provider = shared.fake_provider  # the fixture


@pytest.fixture
def paid(fake_provider, agency):
    """A captured payment of 100.00, a quarter of it refunded."""
    biller = BillerFactory.create(code="tax", agency=agency)
    payment = make_captured_payment(biller=biller, amount_minor=10000)
    from identity.actions.clients import create_api_client

    client = create_api_client(agency=agency, name="Tax", scopes=["refunds:write"]).client
    refund_actions.request_refund(
        attempt=payment,
        amount_minor=2500,
        refund_amount_available_minor=10000,
        reason="overpaid",
        client=client,
    )
    return payment


@pytest.mark.django_db
def test_sound_books_pass(paid, capsys):
    # when
    call_command("verify_ledger")
    # then
    assert capsys.readouterr().out == "The ledger balances and matches payments and bills.\n"


@pytest.mark.django_db
def test_empty_books_pass(capsys):
    call_command("verify_ledger")
    assert "balances" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_bill_paid_more_than_its_payments_is_reported(paid, capsys):
    # given a bill whose paid amount was changed behind the payments' back
    bill = Bill.objects.get()
    Bill.objects.filter(pk=bill.pk).update(paid_minor=9000)
    # when
    with pytest.raises(CommandError, match=r"1 problem\(s\) found"):
        call_command("verify_ledger")
    # then
    assert capsys.readouterr().out == (
        f"bill: bill tax {bill.number} (#{bill.pk}): paid 9000, "
        "allocated by successful payments 10000\n"
    )


@pytest.mark.django_db
def test_a_bill_paid_by_a_failed_payment_is_reported(fake_provider, agency, capsys):
    # given a failed attempt whose bill is nevertheless marked paid
    biller = BillerFactory.create(code="school", agency=agency)
    failed = make_captured_payment(biller=biller, state=PaymentAttempt.State.FAILED)
    Bill.objects.filter(allocations__attempt=failed).update(paid_minor=10000)
    # when
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    # then
    assert "paid 10000, allocated by successful payments 0" in capsys.readouterr().out


@pytest.mark.django_db
def test_ledger_problems_are_reported(paid, capsys):
    # given an unbalanced transaction, and a capture that no longer matches the attempt
    txn = LedgerTransaction.objects.create(kind="adjustment", memo="a bad one")
    txn_id = txn.pk
    LedgerEntry.objects.create(
        transaction=txn,
        account=ledger.clearing("fakepay", "THB"),
        amount_minor=5,
        currency="THB",
    )
    PaymentAttempt.objects.filter(pk=paid.pk).update(captured_minor=9000)
    # when
    try:
        with pytest.raises(CommandError, match=r"2 problem\(s\) found"):
            call_command("verify_ledger")
        out = capsys.readouterr().out.splitlines()
    finally:  # leave sound books behind for the fixture that checks them after every test
        LedgerEntry.objects.filter(transaction=txn).delete()
        txn.delete()
        PaymentAttempt.objects.filter(pk=paid.pk).update(captured_minor=10000)
    # then
    assert out == [
        f"transaction: #{txn_id} sums to 5",
        f"capture: attempt {paid.pk}: captured 9000, posted 10000",
    ]


@pytest.mark.django_db
def test_a_refund_without_its_posting_is_reported(paid, capsys):
    # given a successful refund whose ledger posting is missing
    refund = Refund.objects.get()
    posting = LedgerTransaction.objects.get(kind="refund", refund=refund)
    entries = list(posting.entries.values("account_id", "amount_minor", "currency"))
    posting.entries.all().delete()
    posting.delete()
    # when
    try:
        with pytest.raises(CommandError, match=r"1 problem\(s\) found"):
            call_command("verify_ledger")
        out = capsys.readouterr().out
    finally:
        restored = LedgerTransaction.objects.create(
            kind="refund", attempt=paid, refund=refund, memo="restored"
        )
        LedgerEntry.objects.bulk_create(LedgerEntry(transaction=restored, **e) for e in entries)
    # then
    assert out == f"refund: refund {refund.pk}: success 2500, posted 0\n"

"""Reconciliation of a provider's settlement file with the ledger: every injected mismatch is
found, a file that agrees gives an empty report; the command, the inbox task and the admin."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from payments.actions import refunds as refund_actions
from payments.actions.reconciliation import (
    SettlementFileInvalid,
    UnknownProvider,
    reconcile_settlement,
)
from payments.models import LedgerTransaction, PaymentAttempt, ReconciliationReport, Refund
from payments.refund_tasks import reconcile_settlement_inbox_task
from tests.factories import BillerFactory
from tests.payments import test_refunds_api as shared
from tests.payments.test_refunds_api import FAKE, make_captured_payment

fake_provider = shared.fake_provider  # the fixture

HEADER = "provider_ref,kind,amount_minor,currency,settled_at\n"


@pytest.fixture
def books(fake_provider, agency):
    """Two captures and a partial refund of the first, all today, with the fake provider."""
    biller = BillerFactory.create(code="water", agency=agency)
    first = make_captured_payment(biller=biller, amount_minor=10000, provider_ref="pay_A")
    second = make_captured_payment(biller=biller, amount_minor=25050, provider_ref="pay_B")
    refunded = refund_actions.request_refund(
        attempt=first,
        amount_minor=4000,
        refund_amount_available_minor=10000,
        reason="overpaid",
        client=_refunding_client(agency),
    )
    assert refunded.state == Refund.State.SUCCESS
    return {"first": first, "second": second, "refund": refunded}


def _refunding_client(agency):
    from identity.actions.clients import create_api_client

    return create_api_client(agency=agency, name="Water", scopes=["refunds:write"]).client


def today() -> datetime.date:
    return timezone.localdate()


def settlement(books, *extra: str, leave_out: tuple[str, ...] = ()) -> str:
    rows = {
        "pay_A": f"pay_A,capture,10000,THB,{today()}T10:00:00+07:00",
        "pay_B": f"pay_B,capture,25050,THB,{today()}T10:05:00+07:00",
        "refund": f"{books['refund'].provider_ref},refund,4000,THB,{today()}T11:00:00+07:00",
    }
    lines = [line for name, line in rows.items() if name not in leave_out]
    return HEADER + "\n".join([*lines, *extra]) + "\n"


def run(text: str, day: datetime.date | None = None) -> ReconciliationReport:
    return reconcile_settlement(
        provider=FAKE, settlement_date=day or today(), csv_text=text, file_name="settle.csv"
    )


def found(report: ReconciliationReport) -> list[tuple[str, str, str]]:
    return sorted((m["type"], m["kind"], m["provider_ref"]) for m in report.mismatches)


@pytest.mark.django_db
def test_a_file_that_agrees_gives_no_mismatch(books):
    # when
    report = run(settlement(books))
    # then
    assert report.mismatches == []
    assert report.is_clean
    assert report.rows == 3
    assert report.provider == FAKE
    assert report.settlement_date == today()
    assert report.file_name == "settle.csv"


@pytest.mark.django_db
def test_every_injected_mismatch_is_found(books, agency):
    # given a payment that failed on our side, and a file with one of each kind of problem
    failed = make_captured_payment(
        biller=books["first"].biller, provider_ref="pay_F", state=PaymentAttempt.State.FAILED
    )
    text = settlement(
        books,
        f"pay_X,capture,500,THB,{today()}",  # a capture we never had
        f"pay_B,capture,25050,THB,{today()}",  # pay_B twice
        f"{failed.provider_ref},capture,10000,THB,{today()}",  # captured, ours says failed
        f"re_unknown,refund,100,THB,{today()}",  # a refund we never made
        "pay_Q,capture,12.50,THB,yesterday",  # unreadable
        leave_out=("pay_A",),  # our capture of pay_A is not in the file
    ).replace("pay_B,capture,25050,THB,", "pay_B,capture,25000,THB,", 1)
    third = make_captured_payment(
        biller=books["first"].biller, amount_minor=700, provider_ref="pay_C"
    )
    text += f"{third.provider_ref},capture,700,USD,{today()}\n"  # wrong currency
    # when
    report = run(text)
    # then
    assert found(report) == [
        ("amount_mismatch", "capture", "pay_B"),
        ("currency_mismatch", "capture", "pay_C"),
        ("duplicate_in_file", "capture", "pay_B"),
        ("malformed_row", "capture", "pay_Q"),
        ("missing_in_file", "capture", "pay_A"),
        ("missing_in_ledger", "capture", "pay_X"),
        ("missing_in_ledger", "refund", "re_unknown"),
        ("status_mismatch", "capture", "pay_F"),
    ]
    by_type = {m["type"]: m for m in report.mismatches}
    assert by_type["amount_mismatch"] == {
        "type": "amount_mismatch",
        "kind": "capture",
        "provider_ref": "pay_B",
        "line": 2,
        "file_amount_minor": 25000,
        "file_currency": "THB",
        "ledger_amount_minor": 25050,
        "ledger_currency": "THB",
        "status": "success",
        "detail": "file 25000, ledger 25050",
    }
    assert by_type["duplicate_in_file"]["detail"] == "also on line 2"
    assert by_type["status_mismatch"]["status"] == "failed"
    assert by_type["missing_in_file"]["ledger_amount_minor"] == 10000
    assert "amount_minor '12.50' is not a whole number" in by_type["malformed_row"]["detail"]
    assert "settled_at 'yesterday' is not a date" in by_type["malformed_row"]["detail"]
    assert report.rows == 8


@pytest.mark.django_db
def test_refund_mismatches(books, fake_provider):
    # given a refund still waiting for the provider, which the file says was paid out
    fake_provider.outcomes = ["pending"]
    pending = refund_actions.request_refund(
        attempt=books["second"],
        amount_minor=50,
        refund_amount_available_minor=25050,
        reason="rounding",
        client=books["refund"].requested_by_client,
    )
    text = settlement(books, f"{pending.provider_ref},refund,50,THB,{today()}")
    text = text.replace(",refund,4000,", ",refund,4500,")
    # when
    report = run(text)
    # then
    assert found(report) == [
        ("amount_mismatch", "refund", books["refund"].provider_ref),
        ("status_mismatch", "refund", pending.provider_ref),
    ]


@pytest.mark.django_db
def test_a_refund_missing_from_the_file(books):
    report = run(settlement(books, leave_out=("refund",)))
    assert found(report) == [("missing_in_file", "refund", books["refund"].provider_ref)]


@pytest.mark.django_db
def test_only_that_days_postings_are_expected(books):
    # given our captures and refund were posted yesterday
    yesterday = timezone.now() - datetime.timedelta(days=1)
    LedgerTransaction.objects.update(posted_at=yesterday)
    # when today's file is empty, and yesterday's has them all
    empty = run(HEADER)
    full = run(settlement(books), day=timezone.localdate(yesterday))
    # then
    assert empty.mismatches == []
    assert full.mismatches == []


@pytest.mark.django_db
def test_a_settled_capture_we_reversed_is_a_status_mismatch(books):
    # given we reversed the capture of pay_B, which the file says settled
    from payments import ledger

    ledger.reverse(LedgerTransaction.objects.get(kind="capture", attempt=books["second"]))
    PaymentAttempt.objects.filter(pk=books["second"].pk).update(captured_minor=0)  # as reversed
    # when
    report = run(settlement(books))
    # then the provider settled a capture that, on our side, no longer stands
    assert found(report) == [("status_mismatch", "capture", "pay_B")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    ["", "provider_ref,kind,amount\npay_A,capture,1\n", "just,some,words\n"],
)
def test_a_file_without_the_columns_is_refused(fake_provider, text):
    with pytest.raises(SettlementFileInvalid):
        run(text)
    assert ReconciliationReport.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_provider_is_refused(fake_provider):
    with pytest.raises(UnknownProvider):
        reconcile_settlement(
            provider="nopay", settlement_date=today(), csv_text=HEADER, file_name="x.csv"
        )


# --- the command --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_reports_a_clean_file(books, tmp_path, capsys):
    # given
    path = tmp_path / "settlement.csv"
    path.write_text(settlement(books))
    # when
    call_command("reconcile_settlement", "--provider", FAKE, "--date", str(today()), str(path))
    # then
    report = ReconciliationReport.objects.get()
    assert capsys.readouterr().out.strip() == f"Report #{report.pk}: 3 row(s), 0 mismatch(es)."
    assert report.file_name == "settlement.csv"


@pytest.mark.django_db
def test_command_lists_mismatches_and_fails(books, tmp_path, capsys):
    path = tmp_path / "settlement.csv"
    path.write_text(settlement(books, f"pay_X,capture,500,THB,{today()}"))
    # when
    with pytest.raises(CommandError, match=r"4 row\(s\), 1 mismatch"):
        call_command("reconcile_settlement", "--provider", FAKE, "--date", str(today()), str(path))
    # then
    out = capsys.readouterr().out
    assert "missing_in_ledger: line 5: capture pay_X — no capture with this reference" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "nopay", "--date", "2026-03-01"], "Known providers"),
        (["--provider", FAKE, "--date", "01/03/2026"], "is not YYYY-MM-DD"),
    ],
)
def test_command_refuses_bad_arguments(fake_provider, tmp_path, args, message):
    path = tmp_path / "s.csv"
    path.write_text(HEADER)
    with pytest.raises(CommandError, match=message):
        call_command("reconcile_settlement", *args, str(path))
    assert ReconciliationReport.objects.count() == 0


# --- the daily inbox task -----------------------------------------------------------------------


@pytest.mark.django_db
def test_inbox_files_are_reconciled_once(books, settings, tmp_path):
    # given a file dropped in the inbox, one of another provider and one without a date
    settings.SETTLEMENT_INBOX = tmp_path
    (tmp_path / FAKE).mkdir()
    (tmp_path / FAKE / f"{today()}.csv").write_text(settlement(books))
    (tmp_path / FAKE / "notes.csv").write_text(HEADER)
    (tmp_path / "unknownpay").mkdir()
    (tmp_path / "unknownpay" / f"{today()}.csv").write_text(HEADER)
    # when the task runs twice
    first = reconcile_settlement_inbox_task()
    second = reconcile_settlement_inbox_task()
    # then one report, written once
    assert (first, second) == (1, 0)
    report = ReconciliationReport.objects.get()
    assert (report.provider, report.settlement_date, report.file_name) == (
        FAKE,
        today(),
        f"{today()}.csv",
    )
    assert report.mismatches == []
    # and a second file for the same day gets its own report
    (tmp_path / FAKE / f"{today()}-late.csv").write_text(
        HEADER + f"pay_Z,capture,1,THB,{today()}\n"
    )
    assert reconcile_settlement_inbox_task() == 1
    late = ReconciliationReport.objects.get(file_name=f"{today()}-late.csv")
    assert found(late) == [
        ("missing_in_file", "capture", "pay_A"),
        ("missing_in_file", "capture", "pay_B"),
        ("missing_in_file", "refund", books["refund"].provider_ref),
        ("missing_in_ledger", "capture", "pay_Z"),
    ]


@pytest.mark.django_db
def test_an_unreadable_inbox_file_gets_one_report_saying_so(fake_provider, settings, tmp_path):
    settings.SETTLEMENT_INBOX = tmp_path
    (tmp_path / FAKE).mkdir()
    (tmp_path / FAKE / "2026-03-01.csv").write_text("what,is,this\n")
    # when
    assert reconcile_settlement_inbox_task() == 1
    assert reconcile_settlement_inbox_task() == 0
    # then
    report = ReconciliationReport.objects.get()
    assert [m["type"] for m in report.mismatches] == ["malformed_file"]
    assert "Missing columns: provider_ref, kind, amount_minor" in report.mismatches[0]["detail"]


# --- admin --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_lists_reports_and_shows_mismatches_as_a_table(books, admin_client):
    # given
    clean = run(settlement(books))
    dirty = run(settlement(books, f"pay_X,capture,500,THB,{today()}"))
    # when
    listing = admin_client.get("/admin/payments/reconciliationreport/")
    detail = admin_client.get(f"/admin/payments/reconciliationreport/{dirty.pk}/change/")
    # then
    assert listing.status_code == detail.status_code == 200
    page = detail.content.decode()
    assert "<table><thead><tr><th>type</th>" in page
    assert "<td>missing_in_ledger</td><td>capture</td><td>pay_X</td><td>5</td>" in page
    assert "<td>500 THB</td>" in page
    assert (
        admin_client.get(f"/admin/payments/reconciliationreport/{clean.pk}/change/").status_code
        == 200
    )
    # and it is read-only
    assert admin_client.get("/admin/payments/reconciliationreport/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/payments/reconciliationreport/{dirty.pk}/delete/").status_code
        == 403
    )

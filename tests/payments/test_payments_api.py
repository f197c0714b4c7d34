"""Payment attempts through the API: starting one for a citizen's bills, reading, listing and
cancelling them, receipts, the rules on amounts and bills, the permission matrix, and the
sweepers that ask the provider (payments/actions/attempts.py, payments/api/payments_.py)."""

import datetime
import uuid
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cityportal.models import IdempotencyKey
from identity.models import AccessLogEntry, Person
from payments.actions import attempts as actions
from payments.models import (
    Bill,
    BillerAccount,
    LedgerTransaction,
    PaymentAllocation,
    PaymentAttempt,
    PaymentEvent,
    ProviderEvent,
    Receipt,
)
from payments.providers import sandbox
from payments.providers.base import ProviderError
from payments.tasks import expire_abandoned_attempts_task, poll_unfinished_attempts_task
from tests.conftest import client_for
from tests.factories import BillerFactory, BillFactory, MandateFactory, PersonFactory

PAYMENTS = "/api/v1/payments"
S = PaymentAttempt.State


def pay(client: APIClient, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def body_for(*bills: Bill, amount: int | None = None, **extra: Any) -> dict[str, Any]:
    total = sum(bill.total_minor - bill.paid_minor for bill in bills)
    return {
        "bills": [str(bill.public_id) for bill in bills],
        "amount_minor": total if amount is None else amount,
        "currency": bills[0].currency,
        **extra,
    }


def checkout_path(payment: dict[str, Any]) -> str:
    return payment["checkout_url"].removeprefix("http://testserver")


def send_webhook(api: APIClient, body: bytes, headers: dict[str, str], provider="sandbox") -> Any:
    return api.post(
        f"{PAYMENTS}/webhooks/{provider}", data=body, content_type="application/json",
        headers=headers,
    )  # fmt: skip


def settle(api: APIClient, attempt: PaymentAttempt, outcome: str, capture, **options: Any) -> Any:
    """The sandbox's webhook for `outcome`, sent and processed (on-commit tasks run)."""
    body, headers = sandbox.sandbox_webhook(attempt.provider_ref, outcome, **options)
    with capture(execute=True):
        return send_webhook(api, body, headers)


def snapshot() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "attempts": list(PaymentAttempt.objects.values_list("pk", "state")),
        "allocations": PaymentAllocation.objects.count(),
        "events": PaymentEvent.objects.count(),
        "provider_events": ProviderEvent.objects.count(),
        "receipts": Receipt.objects.count(),
        "ledger": LedgerTransaction.objects.count(),
        "bills": list(Bill.objects.order_by("pk").values_list("pk", "paid_minor", "status")),
    }


@pytest.fixture
def bill(person: Person) -> Bill:
    return BillFactory.create(payer=person, total_minor=50000, minimum_payable_minor=10000)


@pytest.mark.django_db
class TestStartPayment:
    def test_paying_a_bill_opens_the_providers_checkout(self, citizen_api, person, bill):
        # when
        response = pay(citizen_api, body_for(bill))
        # then
        assert response.status_code == 201
        payment = response.json()
        attempt = PaymentAttempt.objects.get()
        assert response["Location"] == f"{PAYMENTS}/{attempt.public_id}"
        assert attempt.payer == person
        assert attempt.provider == "sandbox"
        assert attempt.provider_ref.startswith("sbx_")
        assert payment == {
            "id": str(attempt.public_id),
            "status": "started",
            "finished": False,
            "amount_minor": 50000,
            "captured_minor": 0,
            "currency": "THB",
            "biller": {"code": bill.biller.code, "name": bill.biller.name},
            "bills": [{"id": str(bill.public_id), "number": bill.number, "amount_minor": 50000}],
            "checkout_url": f"http://testserver/sandbox/checkout/{attempt.provider_ref}",
            "return_url": "",
            "failure_code": None,
            "receipt": None,
            "created_at": payment["created_at"],
            "expires_at": payment["expires_at"],
        }
        created = datetime.datetime.fromisoformat(payment["created_at"])
        expires = datetime.datetime.fromisoformat(payment["expires_at"])
        assert datetime.timedelta(minutes=89) < expires - created <= datetime.timedelta(minutes=90)
        # the intermediate state was written before the provider was called
        assert list(attempt.events.values_list("from_state", "to_state")) == [
            ("created", "authorisation_submitted"),
            ("authorisation_submitted", "started"),
        ]
        assert PaymentAllocation.objects.get().is_open

    def test_the_hosted_checkout_page_shows_the_payment(self, citizen_api, bill):
        payment = pay(citizen_api, body_for(bill)).json()
        page = APIClient().get(checkout_path(payment))
        assert page.status_code == 200
        assert b"500.00 THB" in page.content
        assert bill.number.encode() in page.content

    def test_the_same_key_replays_the_first_answer(self, citizen_api, bill):
        # given
        key = str(uuid.uuid4())
        first = pay(citizen_api, body_for(bill), key)
        # when
        again = pay(citizen_api, body_for(bill), key)
        # then
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert PaymentAttempt.objects.count() == 1

    def test_a_new_request_for_the_same_bill_gets_the_open_payment(self, citizen_api, bill):
        # given
        first = pay(citizen_api, body_for(bill)).json()
        # when another key asks again, even for another amount
        again = pay(citizen_api, body_for(bill, amount=20000))
        # then the open attempt comes back, not a new one
        assert again.status_code == 200
        assert again.json() == first
        assert PaymentAttempt.objects.count() == 1

    def test_a_bill_held_by_another_open_payment_is_a_conflict(self, citizen_api, person, bill):
        # given bill is in an unfinished payment; another bill of the same biller
        pay(citizen_api, body_for(bill))
        other = BillFactory.create(payer=person, biller=bill.biller)
        before = snapshot()
        # when a payment covers both
        response = pay(citizen_api, body_for(bill, other))
        # then
        assert response.status_code == 409
        assert response.json()["code"] == "bill_has_open_payment"
        assert snapshot() == before

    def test_someone_elses_open_payment_is_a_conflict(self, citizen_api, person):
        # given a child's bill, paid for by a parent with a mandate; the child's other guardian
        # (also holding a mandate) then tries to pay it
        child = PersonFactory.create(user=None)
        bill = BillFactory.create(payer=child)
        MandateFactory.create(representative=person, for_person=child, scope=["payments"])
        guardian = MandateFactory.create(for_person=child, scope=["payments"]).representative
        assert pay(citizen_api, body_for(bill)).status_code == 201
        # when
        response = pay(client_for(guardian.user), body_for(bill))
        # then
        assert response.status_code == 409
        assert response.json()["code"] == "bill_has_open_payment"
        assert PaymentAttempt.objects.count() == 1

    def test_the_amount_is_spread_over_the_bills_in_order(self, citizen_api, person):
        # given three bills of one biller, each with a minimum payable
        biller = BillerFactory.create()
        bills = [
            BillFactory.create(
                biller=biller, payer=person, total_minor=total, minimum_payable_minor=minimum
            )
            for total, minimum in ((30000, 10000), (20000, 5000), (10000, 10000))
        ]
        # when the payer pays 50000 of the 60000 owed (minimum 25000)
        response = pay(citizen_api, body_for(*bills, amount=50000))
        # then each later bill keeps at least its minimum
        assert response.status_code == 201
        assert [b["amount_minor"] for b in response.json()["bills"]] == [30000, 10000, 10000]

    def test_a_partly_paid_bill_can_be_paid_off(self, citizen_api, person):
        bill = BillFactory.create(
            payer=person, total_minor=50000, paid_minor=45000, minimum_payable_minor=10000,
            status=Bill.Status.PARTIALLY_PAID,
        )  # fmt: skip
        # the minimum is capped at what is still owed
        response = pay(citizen_api, body_for(bill, amount=5000))
        assert response.status_code == 201

    def test_bills_of_a_linked_account_can_be_paid(self, citizen_api, person):
        # given a bill addressed to an account number the citizen linked, not to them
        bill = BillFactory.create(payer=None)
        BillerAccount.objects.create(
            person=person, biller=bill.biller, account_number=bill.account_number
        )
        # when / then
        assert pay(citizen_api, body_for(bill)).status_code == 201

    def test_bills_of_a_person_i_hold_a_mandate_for_can_be_paid(self, citizen_api, person):
        child = PersonFactory.create(user=None)
        bill = BillFactory.create(payer=child)
        MandateFactory.create(representative=person, for_person=child, scope=["payments"])
        response = pay(citizen_api, body_for(bill))
        assert response.status_code == 201
        assert PaymentAttempt.objects.get().payer == person

    def test_a_mandate_for_something_else_does_not_reach_bills(self, citizen_api, person):
        child = PersonFactory.create(user=None)
        bill = BillFactory.create(payer=child)
        MandateFactory.create(representative=person, for_person=child, scope=["applications"])
        response = pay(citizen_api, body_for(bill))
        assert response.status_code == 400
        assert response.json()["code"] == "bill_not_found"

    def test_when_the_provider_fails_the_payment_ends_in_error(
        self, citizen_api, bill, monkeypatch
    ):
        # given the provider cannot be reached
        def unreachable(self, **kwargs):
            raise ProviderError("connection refused")

        monkeypatch.setattr(sandbox.SandboxProvider, "create_checkout", unreachable)
        # when
        response = pay(citizen_api, body_for(bill))
        # then the attempt is finished in error, and the bill free again
        assert response.status_code == 201
        assert response.json()["status"] == "error"
        assert response.json()["failure_code"] == "P0050"
        assert response.json()["checkout_url"] is None
        assert not PaymentAllocation.objects.filter(is_open=True).exists()


def _paid_bill(person: Person) -> Bill:
    return BillFactory.create(payer=person, paid_minor=50000, status=Bill.Status.PAID)


def _bad_bodies(person: Person, bill: Bill) -> dict[str, tuple[dict[str, Any], int, str]]:
    other_biller_bill = BillFactory.create(payer=person)
    others_bill = BillFactory.create()
    return {
        "zero amount": (body_for(bill, amount=0), 400, "validation_error"),
        "negative amount": (body_for(bill, amount=-100), 400, "validation_error"),
        "wrong currency": (body_for(bill, currency="USD"), 400, "currency_mismatch"),
        "not a currency": (body_for(bill, currency="baht"), 400, "validation_error"),
        "above what is owed": (body_for(bill, amount=50001), 400, "amount_above_outstanding"),
        "below minimum": (body_for(bill, amount=9999), 400, "amount_below_minimum"),
        "unknown bill": (
            {"bills": [str(uuid.uuid4())], "amount_minor": 100, "currency": "THB"},
            400,
            "bill_not_found",
        ),
        "another citizen's bill": (body_for(others_bill), 400, "bill_not_found"),
        "already paid": (
            {"bills": [str(_paid_bill(person).public_id)], "amount_minor": 100, "currency": "THB"},
            409,
            "bill_already_paid",
        ),
        "cancelled bill": (
            body_for(BillFactory.create(payer=person, status=Bill.Status.CANCELLED)),
            409,
            "bill_not_payable",
        ),
        "two billers": (body_for(bill, other_biller_bill), 400, "bills_of_several_billers"),
        "no bills": (
            {"bills": [], "amount_minor": 100, "currency": "THB"},
            400,
            "validation_error",
        ),
        "a bill twice": (body_for(bill, bill, amount=100), 400, "validation_error"),
    }


BAD_CASES = [
    "zero amount",
    "negative amount",
    "wrong currency",
    "not a currency",
    "above what is owed",
    "below minimum",
    "unknown bill",
    "another citizen's bill",
    "already paid",
    "cancelled bill",
    "two billers",
    "no bills",
    "a bill twice",
]


@pytest.mark.django_db
class TestBadInput:
    @pytest.mark.parametrize("case", BAD_CASES)
    def test_refused_with_a_clear_code_and_nothing_changes(self, citizen_api, person, bill, case):
        # given
        body, status, code = _bad_bodies(person, bill)[case]
        before = snapshot()
        # when
        response = pay(citizen_api, body)
        # then
        assert response.status_code == status, response.json()
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == code
        assert snapshot() == before
        assert IdempotencyKey.objects.count() == 0  # a refused request frees its key

    def test_validation_errors_point_at_the_field(self, citizen_api, bill):
        response = pay(citizen_api, body_for(bill, amount=0))
        assert response.json()["errors"] == [
            {
                "field": "amount_minor",
                "pointer": "#/amount_minor",
                "code": "min_value",
                "detail": "Ensure this value is greater than or equal to 1.",
            }
        ]

    def test_an_unknown_bill_is_pointed_at(self, citizen_api, bill):
        body = body_for(bill)
        body["bills"].append(str(uuid.uuid4()))
        response = pay(citizen_api, body)
        assert response.json()["errors"][0]["field"] == "bills.1"

    def test_a_malformed_key_is_a_422(self, citizen_api, bill):
        response = pay(citizen_api, body_for(bill), key="not ok")
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_malformed"
        assert PaymentAttempt.objects.count() == 0

    def test_a_missing_key_is_a_400(self, citizen_api, bill):
        response = citizen_api.post(PAYMENTS, body_for(bill), format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"
        assert PaymentAttempt.objects.count() == 0


@pytest.mark.django_db
class TestPermissions:
    """Payments are the payer's: anyone else gets 404 (or no way in at all)."""

    @pytest.fixture
    def payment(self, citizen_api, bill) -> dict[str, Any]:
        return pay(citizen_api, body_for(bill)).json()

    @pytest.mark.parametrize("suffix", ["", "/receipt"])
    def test_owner_reads(self, citizen_api, payment, suffix, django_capture_on_commit_callbacks):
        attempt = PaymentAttempt.objects.get()
        settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks)
        assert citizen_api.get(f"{PAYMENTS}/{payment['id']}{suffix}").status_code == 200

    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("anonymous", 401),
            ("other_citizen", 404),
            ("officer", 403),
            ("other_officer", 403),
            ("integrator", 403),
            ("integrator_with_scope", 403),
        ],
    )
    @pytest.mark.parametrize(
        ("method", "suffix"), [("get", ""), ("get", "/receipt"), ("post", "/cancel")]
    )
    def test_nobody_else_reaches_a_payment(
        self, request, payment, who, status, method, suffix, django_capture_on_commit_callbacks
    ):
        # given a successful payment (so that it has a receipt)
        attempt = PaymentAttempt.objects.get()
        settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks)
        clients = {
            "anonymous": lambda: APIClient(),
            "other_citizen": lambda: request.getfixturevalue("other_citizen_api"),
            "officer": lambda: request.getfixturevalue("officer_api"),
            "other_officer": lambda: request.getfixturevalue("other_officer_api"),
            "integrator": lambda: request.getfixturevalue("integrator")(),
            "integrator_with_scope": lambda: request.getfixturevalue("integrator")("bills:write"),
        }
        before = snapshot()
        # when
        response = getattr(clients[who](), method)(f"{PAYMENTS}/{payment['id']}{suffix}")
        # then
        assert response.status_code == status
        assert snapshot() == before

    @pytest.mark.parametrize(
        ("who", "status"),
        [("anonymous", 401), ("officer", 403), ("integrator", 403)],
    )
    def test_only_citizens_start_payments(self, request, bill, who, status):
        clients = {
            "anonymous": lambda: APIClient(),
            "officer": lambda: request.getfixturevalue("officer_api"),
            "integrator": lambda: request.getfixturevalue("integrator")("bills:write"),
        }
        response = pay(clients[who](), body_for(bill))
        assert response.status_code == status
        assert PaymentAttempt.objects.count() == 0

    def test_the_list_shows_only_my_payments(self, citizen_api, other_citizen_api, payment):
        assert [p["id"] for p in citizen_api.get(PAYMENTS).json()["results"]] == [payment["id"]]
        assert other_citizen_api.get(PAYMENTS).json()["results"] == []


@pytest.mark.django_db
class TestReadAndList:
    def test_detail_has_the_timeline(self, citizen_api, bill, django_capture_on_commit_callbacks):
        # given a paid payment
        payment = pay(citizen_api, body_for(bill)).json()
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "captured",
            django_capture_on_commit_callbacks,
        )
        # when
        response = citizen_api.get(f"{PAYMENTS}/{payment['id']}")
        # then
        body = response.json()
        assert body["status"] == "success"
        assert body["finished"] is True
        assert body["captured_minor"] == 50000
        assert body["checkout_url"] is None
        assert body["receipt"]["number"] == f"{bill.biller.receipt_prefix}00000001"
        assert [(e["status"], e["state"], e["event"]) for e in body["timeline"]] == [
            ("created", "authorisation_submitted", "authorisation_requested"),
            ("started", "started", "checkout_created"),
            ("success", "success", "captured"),
        ]

    def test_the_list_is_paginated_and_costs_the_same_for_more_payments(self, citizen_api, person):
        def list_queries() -> int:
            with CaptureQueriesContext(connection) as queries:
                response = citizen_api.get(PAYMENTS)
            assert response.status_code == 200
            return len(queries)

        pay(citizen_api, body_for(BillFactory.create(payer=person)))
        one = list_queries()
        for _ in range(4):
            pay(citizen_api, body_for(BillFactory.create(payer=person)))
        assert list_queries() == one
        page = citizen_api.get(PAYMENTS, {"page_size": 2}).json()
        assert len(page["results"]) == 2
        assert page["next"]

    def test_newest_first(self, citizen_api, person):
        ids = [
            pay(citizen_api, body_for(BillFactory.create(payer=person))).json()["id"]
            for _ in range(3)
        ]
        assert [p["id"] for p in citizen_api.get(PAYMENTS).json()["results"]] == ids[::-1]


@pytest.mark.django_db
class TestCapture:
    def test_a_capture_pays_the_bill_posts_the_ledger_and_issues_a_receipt(
        self, citizen_api, person, bill, django_capture_on_commit_callbacks
    ):
        # given
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        # when the provider reports the capture
        response = settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks)
        # then
        assert response.status_code == 200
        attempt.refresh_from_db()
        bill.refresh_from_db()
        assert (attempt.state, attempt.finished, attempt.captured_minor) == ("success", True, 50000)
        assert (bill.paid_minor, bill.status) == (50000, Bill.Status.PAID)
        receipt = Receipt.objects.get()
        assert (receipt.attempt, receipt.biller, receipt.sequence) == (attempt, bill.biller, 1)
        assert receipt.number == f"{bill.biller.receipt_prefix}00000001"
        capture = LedgerTransaction.objects.get(kind="capture")
        assert sorted(capture.entries.values_list("account__code", "amount_minor")) == [
            ("clearing:sandbox:THB", 50000),
            (f"receivable:{bill.biller.code}:THB", -50000),
        ]
        assert not PaymentAllocation.objects.filter(is_open=True).exists()
        # and the payer is sent the receipt by email
        assert len(mail.outbox) == 1
        assert receipt.number in mail.outbox[0].subject
        assert mail.outbox[0].to == [person.contact_email]

    def test_the_receipt_email_is_in_the_payers_language(
        self, citizen_api, person, bill, django_capture_on_commit_callbacks
    ):
        Person.objects.filter(pk=person.pk).update(preferred_language="th")
        pay(citizen_api, body_for(bill))
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "captured",
            django_capture_on_commit_callbacks,
        )
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject.endswith(bill.biller.name)

    def test_a_partial_payment_leaves_the_bill_partly_paid(
        self, citizen_api, bill, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill, amount=20000))
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "captured",
            django_capture_on_commit_callbacks,
        )
        bill.refresh_from_db()
        assert (bill.paid_minor, bill.status) == (20000, Bill.Status.PARTIALLY_PAID)
        # and the rest can be paid by a new payment
        assert pay(citizen_api, body_for(bill)).json()["amount_minor"] == 30000

    def test_receipts_are_numbered_per_biller(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        water, power = (
            BillerFactory.create(receipt_prefix="W-"),
            BillerFactory.create(receipt_prefix="E-"),
        )
        for biller in (water, water, power):
            pay(citizen_api, body_for(BillFactory.create(payer=person, biller=biller)))
            attempt = PaymentAttempt.objects.latest("pk")
            settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks)
        assert sorted(Receipt.objects.values_list("number", flat=True)) == [
            "E-00000001",
            "W-00000001",
            "W-00000002",
        ]

    def test_a_capture_of_another_amount_is_an_error_never_a_success(
        self, citizen_api, bill, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        # when the provider reports less than the attempt's amount
        settle(
            APIClient(), attempt, "captured", django_capture_on_commit_callbacks, amount_minor=100
        )
        # then
        attempt.refresh_from_db()
        bill.refresh_from_db()
        assert (attempt.state, attempt.failure_code) == ("error", "P0050")
        assert "amount mismatch" in attempt.failure_message
        assert (bill.paid_minor, bill.status) == (0, Bill.Status.OPEN)
        assert not Receipt.objects.exists()
        assert not LedgerTransaction.objects.filter(kind="capture").exists()

    def test_a_capture_in_another_currency_is_an_error(
        self, citizen_api, bill, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks, currency="USD")
        attempt.refresh_from_db()
        assert attempt.state == "error"
        assert not Receipt.objects.exists()

    def test_recording_a_capture_twice_changes_nothing_more(self, citizen_api, bill):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        sandbox.complete_checkout(attempt.provider_ref, "pay")
        status = sandbox.SandboxProvider().fetch_status(provider_ref=attempt.provider_ref)
        # when
        for _ in range(2):
            actions.record_provider_status(attempt=attempt, status=status, source="test")
        # then
        assert Receipt.objects.count() == 1
        assert LedgerTransaction.objects.filter(kind="capture").count() == 1
        assert PaymentEvent.objects.filter(to_state="success").count() == 1
        bill.refresh_from_db()
        assert bill.paid_minor == 50000


@pytest.mark.django_db
class TestCancel:
    def test_the_payer_cancels_an_unfinished_payment(self, citizen_api, bill):
        # given
        payment = pay(citizen_api, body_for(bill)).json()
        # when
        response = citizen_api.post(f"{PAYMENTS}/{payment['id']}/cancel")
        # then
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["failure_code"]) == (
            "cancelled",
            "P0040",
        )
        attempt = PaymentAttempt.objects.get()
        assert list(attempt.events.values_list("to_state", flat=True)) == [
            "authorisation_submitted", "started", "cancel_submitted", "cancelled",
        ]  # fmt: skip
        # the provider's page is closed and the bill is free for a new payment
        assert sandbox.SandboxProvider().fetch_status(
            provider_ref=attempt.provider_ref
        ).outcome == ("cancelled")
        assert pay(citizen_api, body_for(bill)).status_code == 201

    def test_a_capture_that_beat_the_cancel_wins(self, citizen_api, bill):
        # given the payer paid at the provider, but the webhook has not arrived yet
        payment = pay(citizen_api, body_for(bill)).json()
        sandbox.complete_checkout(PaymentAttempt.objects.get().provider_ref, "pay")
        # when
        response = citizen_api.post(f"{PAYMENTS}/{payment['id']}/cancel")
        # then
        assert response.status_code == 200
        assert response.json()["status"] == "success"
        assert Receipt.objects.count() == 1

    def test_a_finished_payment_cannot_be_cancelled(
        self, citizen_api, bill, django_capture_on_commit_callbacks
    ):
        payment = pay(citizen_api, body_for(bill)).json()
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "captured",
            django_capture_on_commit_callbacks,
        )
        before = snapshot()
        response = citizen_api.post(f"{PAYMENTS}/{payment['id']}/cancel")
        assert response.status_code == 409
        assert response.json()["code"] == "payment_finished"
        assert snapshot() == before


def _age(
    attempt: PaymentAttempt, *, created: datetime.timedelta, touched: datetime.timedelta
) -> None:
    now = timezone.now()
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=now - created, updated_at=now - touched
    )


@pytest.mark.django_db
class TestSweepers:
    def test_the_poll_settles_an_attempt_the_provider_captured(
        self, citizen_api, bill, django_capture_on_commit_callbacks
    ):
        # given a payment 20 minutes old, paid at the provider, whose webhook never came
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        sandbox.complete_checkout(attempt.provider_ref, "pay")
        _age(
            attempt, created=datetime.timedelta(minutes=20), touched=datetime.timedelta(minutes=20)
        )
        # when
        with django_capture_on_commit_callbacks(execute=True):
            polled = poll_unfinished_attempts_task.delay().get()
        # then
        assert polled == 1
        attempt.refresh_from_db()
        assert attempt.state == "success"
        assert attempt.events.latest("pk").detail["source"] == "poll"
        assert Receipt.objects.count() == 1

    @pytest.mark.parametrize("minutes", [10, 35])
    def test_the_poll_leaves_attempts_outside_its_window(self, citizen_api, bill, minutes):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        sandbox.complete_checkout(attempt.provider_ref, "pay")
        _age(attempt, created=datetime.timedelta(minutes=minutes), touched=datetime.timedelta(0))
        assert poll_unfinished_attempts_task.delay().get() == 0
        attempt.refresh_from_db()
        assert attempt.state == "started"

    def test_an_abandoned_attempt_expires(self, citizen_api, bill):
        # given a payment 91 minutes old that the payer never completed
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        _age(
            attempt, created=datetime.timedelta(minutes=91), touched=datetime.timedelta(minutes=91)
        )
        # when
        assert expire_abandoned_attempts_task.delay().get() == 1
        # then
        attempt.refresh_from_db()
        assert (attempt.state, attempt.failure_code) == ("failed", "P0020")
        assert sandbox.SandboxProvider().fetch_status(
            provider_ref=attempt.provider_ref
        ).outcome == ("cancelled")
        assert pay(citizen_api, body_for(bill)).status_code == 201

    def test_expiry_asks_the_provider_first(
        self, citizen_api, bill, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        sandbox.complete_checkout(attempt.provider_ref, "pay")
        _age(
            attempt, created=datetime.timedelta(minutes=91), touched=datetime.timedelta(minutes=91)
        )
        with django_capture_on_commit_callbacks(execute=True):
            expire_abandoned_attempts_task.delay()
        attempt.refresh_from_db()
        assert attempt.state == "success"

    def test_a_recently_touched_attempt_is_left_alone(self, citizen_api, bill):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        _age(attempt, created=datetime.timedelta(minutes=91), touched=datetime.timedelta(minutes=2))
        assert expire_abandoned_attempts_task.delay().get() == 0
        actions.expire_abandoned_attempt(attempt=attempt)
        attempt.refresh_from_db()
        assert attempt.state == "started"

    def test_an_attempt_stuck_before_the_provider_call_expires(self, person, bill):
        # given an attempt whose process died right after writing authorisation_submitted
        attempt = PaymentAttempt.objects.create(
            biller=bill.biller, payer=person, currency="THB", amount_minor=50000,
            provider="sandbox", state=S.AUTHORISATION_SUBMITTED,
            expires_at=timezone.now(),
        )  # fmt: skip
        PaymentAllocation.objects.create(attempt=attempt, bill=bill, amount_minor=50000)
        _age(
            attempt, created=datetime.timedelta(minutes=91), touched=datetime.timedelta(minutes=91)
        )
        # when
        expire_abandoned_attempts_task.delay()
        # then
        attempt.refresh_from_db()
        assert (attempt.state, attempt.failure_code) == ("failed", "P0020")
        assert not PaymentAllocation.objects.filter(is_open=True).exists()


@pytest.mark.django_db
class TestAdmin:
    def test_an_attempt_shows_its_timeline_and_the_access_is_logged(
        self, admin_client, citizen_api, bill
    ):
        payment = pay(citizen_api, body_for(bill)).json()
        attempt = PaymentAttempt.objects.get()
        browser = admin_client
        listing = browser.get("/admin/payments/paymentattempt/")
        page = browser.get(f"/admin/payments/paymentattempt/{attempt.pk}/change/")
        assert listing.status_code == page.status_code == 200
        assert payment["id"].encode() in page.content
        assert b"checkout_created" in page.content
        assert AccessLogEntry.objects.filter(person=attempt.payer_id).count() == 1

    def test_ask_the_provider_now_settles_like_the_poll(
        self, admin_client, citizen_api, bill, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        sandbox.complete_checkout(attempt.provider_ref, "pay")
        browser = admin_client
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(
                "/admin/payments/paymentattempt/",
                {"action": "ask_provider_now", "_selected_action": [attempt.pk]},
            )
        assert response.status_code == 302
        attempt.refresh_from_db()
        assert attempt.state == "success"
        assert attempt.events.latest("pk").detail["source"] == "admin"

    @pytest.mark.parametrize("model", ["receipt", "providerevent"])
    def test_receipts_and_provider_events_are_listed(
        self, admin_client, citizen_api, bill, model, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill))
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "captured",
            django_capture_on_commit_callbacks,
        )
        browser = admin_client
        assert browser.get(f"/admin/payments/{model}/").status_code == 200


@pytest.mark.django_db
class TestOutboundEvents:
    """What the attempts tell subscribed integrators (payments.actions.webhooks.emit_event)."""

    @pytest.fixture
    def emitted(self, monkeypatch) -> list[tuple[str, dict[str, Any], str]]:
        calls: list[tuple[str, dict[str, Any], str]] = []
        monkeypatch.setattr(
            actions,
            "emit_event",
            lambda event_type, payload, *, biller: calls.append((event_type, payload, biller.code)),
        )
        return calls

    def test_a_success_tells_payment_succeeded_and_bill_paid(
        self, citizen_api, bill, emitted, django_capture_on_commit_callbacks
    ):
        payment = pay(citizen_api, body_for(bill)).json()
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "captured",
            django_capture_on_commit_callbacks,
        )
        receipt = Receipt.objects.get()
        assert emitted == [
            (
                "payment.succeeded",
                {
                    "payment": {
                        "id": payment["id"],
                        "status": "success",
                        "finished": True,
                        "amount_minor": 50000,
                        "currency": "THB",
                        "biller": bill.biller.code,
                        "bills": [str(bill.public_id)],
                        "failure_code": None,
                        "receipt_number": receipt.number,
                    }
                },
                bill.biller.code,
            ),
            (
                "bill.paid",
                {
                    "bill": {
                        "id": str(bill.public_id),
                        "number": bill.number,
                        "biller": bill.biller.code,
                        "total_minor": 50000,
                        "paid_minor": 50000,
                        "currency": "THB",
                        "status": "paid",
                    }
                },
                bill.biller.code,
            ),
        ]

    def test_a_partial_payment_does_not_tell_bill_paid(
        self, citizen_api, bill, emitted, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill, amount=20000))
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "captured",
            django_capture_on_commit_callbacks,
        )
        assert [event for event, _, _ in emitted] == ["payment.succeeded"]

    def test_a_decline_tells_payment_failed(
        self, citizen_api, bill, emitted, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill))
        settle(
            APIClient(),
            PaymentAttempt.objects.get(),
            "declined",
            django_capture_on_commit_callbacks,
        )
        assert [(event, payload["payment"]["failure_code"]) for event, payload, _ in emitted] == [
            ("payment.failed", "P0010")
        ]

    def test_a_repeated_report_tells_nothing_more(
        self, citizen_api, bill, emitted, django_capture_on_commit_callbacks
    ):
        pay(citizen_api, body_for(bill))
        attempt = PaymentAttempt.objects.get()
        settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks)
        settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks)
        assert [event for event, _, _ in emitted] == ["payment.succeeded", "bill.paid"]


@pytest.mark.django_db
class TestActingFor:
    """X-Acting-For on POST /payments: the party pays, the representative is recorded."""

    def test_a_parent_pays_a_childs_bill_as_the_child(self, citizen_api, person):
        # given a child with a bill, and the citizen's mandate for the child
        child = PersonFactory.create(user=None)
        MandateFactory.create(representative=person, for_person=child, scope=["payments"])
        child_bill = BillFactory.create(payer=child)
        # when
        response = citizen_api.post(
            "/api/v1/payments",
            body_for(child_bill),
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_ACTING_FOR=f"person:{child.pk}",
        )
        # then
        assert response.status_code == 201, response.json()
        attempt = PaymentAttempt.objects.get(public_id=response.json()["id"])
        assert (attempt.payer, attempt.acting_representative) == (child, person)
        # and the representative sees the payment among theirs
        assert citizen_api.get(f"/api/v1/payments/{attempt.public_id}").status_code == 200

    def test_without_a_mandate_for_payments_it_is_a_403(self, citizen_api, person):
        child = PersonFactory.create(user=None)
        MandateFactory.create(representative=person, for_person=child, scope=["applications"])
        child_bill = BillFactory.create(payer=child)
        response = citizen_api.post(
            "/api/v1/payments",
            body_for(child_bill),
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_ACTING_FOR=f"person:{child.pk}",
        )
        assert response.status_code == 403
        assert response.json()["code"] == "no_mandate"
        assert PaymentAttempt.objects.count() == 0

"""Payments under concurrency, on PostgreSQL (row locks, the partial unique index "one unfinished
attempt per bill", the idempotency keys' unique constraint), and a webhook processed by a real
Celery worker."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from payments.models import Bill, LedgerTransaction, PaymentAttempt, PaymentEvent, Receipt
from payments.providers import sandbox
from tests.factories import BillFactory, MandateFactory, PersonFactory
from tests.payments.test_payments_api import PAYMENTS, body_for, send_webhook

# PostgreSQL's default max_connections is 100, shared with the test run itself (and with other
# runs on the same server): the requests are sent from fewer threads than there are requests,
# all held at a barrier, while the first request holds its key long enough for the rest to pile up.
THREADS = 40


def _client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _run_together(count: int, send: Any) -> list[Any]:
    start = threading.Barrier(min(count, THREADS))

    def one(index: int) -> Any:
        if index < THREADS:
            start.wait()
        try:
            return send(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(one, range(count)))


@pytest.fixture
def slow_checkout(monkeypatch):
    """Count the checkout pages the sandbox opens, each taking 0.3 s like a real provider."""
    opened: list[str] = []
    original = sandbox.SandboxProvider.create_checkout

    def create_checkout(self, **kwargs):
        time.sleep(0.3)
        session = original(self, **kwargs)
        opened.append(session.provider_ref)
        return session

    monkeypatch.setattr(sandbox.SandboxProvider, "create_checkout", create_checkout)
    return opened


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hundred_requests_with_one_key_make_one_attempt(slow_checkout):
    # given one citizen, one bill and one Idempotency-Key, sent 100 times at once
    payer = PersonFactory.create()
    bill = BillFactory.create(payer=payer)
    key = str(uuid.uuid4())

    def send(_: int) -> Any:
        return _client_for(payer.user).post(
            PAYMENTS, body_for(bill), format="json", HTTP_IDEMPOTENCY_KEY=key
        )

    # when
    responses = _run_together(100, send)
    # then one attempt, one checkout page, and no server error
    assert PaymentAttempt.objects.count() == 1
    assert len(slow_checkout) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    created = [r.json() for r in responses if r.status_code == 201]
    assert created
    assert all(body == created[0] for body in created)
    conflicts = [r.json()["code"] for r in responses if r.status_code == 409]
    assert set(conflicts) <= {"idempotency_request_in_progress"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_requests_with_different_keys_for_one_bill_never_charge_twice(slow_checkout):
    # given a child's bill, and two guardians who may both pay it
    child = PersonFactory.create(user=None)
    bill = BillFactory.create(payer=child)
    guardians = [
        MandateFactory.create(for_person=child, scope=["payments"]).representative for _ in range(2)
    ]

    def send(index: int) -> Any:
        return _client_for(guardians[index % 2].user).post(
            PAYMENTS, body_for(bill), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )

    # when both guardians press "pay" 25 times each, at once
    responses = _run_together(50, send)
    # then one unfinished attempt exists, and every answer is that attempt or a clear refusal
    attempt = PaymentAttempt.objects.get()
    assert len(slow_checkout) == 1
    assert {r.status_code for r in responses} <= {200, 201, 409}
    assert sum(r.status_code == 201 for r in responses) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "bill_has_open_payment"
        else:
            assert response.json()["id"] == str(attempt.public_id)
    # when the provider's capture is reported 50 times at once, as 50 different events
    sandbox.complete_checkout(attempt.provider_ref, "pay")
    deliveries = [sandbox.sandbox_webhook(attempt.provider_ref, "captured") for _ in range(50)]
    # (each request commits its event, then processes it in-process: 50 captures race)
    answers = _run_together(50, lambda i: send_webhook(APIClient(), *deliveries[i]))
    assert {answer.status_code for answer in answers} == {200}
    # then there is one success, one receipt, one capture in the ledger, and the bill is paid once
    attempt.refresh_from_db()
    bill.refresh_from_db()
    assert attempt.state == "success"
    assert PaymentEvent.objects.filter(to_state="success").count() == 1
    assert Receipt.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="capture").count() == 1
    assert (bill.paid_minor, bill.status) == (bill.total_minor, Bill.Status.PAID)


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_processed_by_a_real_worker(celery_worker):
    # given a started payment
    payer = PersonFactory.create()
    bill = BillFactory.create(payer=payer)
    response = _client_for(payer.user).post(
        PAYMENTS, body_for(bill), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    attempt = PaymentAttempt.objects.get(public_id=response.json()["id"])
    # when the provider's signed webhook arrives
    body, headers = sandbox.sandbox_webhook(attempt.provider_ref, "captured")
    assert send_webhook(APIClient(), body, headers).status_code == 200
    # then the worker settles the payment and issues its receipt
    deadline = time.monotonic() + 20
    while not Receipt.objects.filter(attempt=attempt).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    attempt.refresh_from_db()
    assert attempt.state == "success"
    assert Receipt.objects.get(attempt=attempt).sequence == 1

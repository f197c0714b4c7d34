"""Concurrent refunds never exceed what was captured: the row lock on the attempt serialises the
decisions, submitted refunds count as reserved, and the CheckConstraint refunded <= captured is
the last defence."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from rest_framework.test import APIClient

from identity.models import Membership
from payments.actions import refunds as refund_actions
from payments.models import LedgerTransaction, PaymentAttempt, Refund
from tests.factories import BillerFactory, MembershipFactory
from tests.payments import test_refunds_api as shared
from tests.payments.test_refunds_api import make_captured_payment, refund

fake_provider = shared.fake_provider  # the fixture

THREADS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_partial_refunds_never_exceed_the_captured_amount(fake_provider, agency):
    # given a payment of 100.00 and 20 supervisors' clients each refunding 10.00, twice what
    # was captured, all starting from the same refundable amount
    biller = BillerFactory.create(code="power", agency=agency)
    payment = make_captured_payment(biller=biller, amount_minor=10000)
    supervisor = MembershipFactory.create(agency=agency, role=Membership.Role.SUPERVISOR).user
    start = threading.Barrier(THREADS)

    def send(_: int) -> list[tuple[int, str]]:
        client = APIClient()
        client.force_authenticate(supervisor)
        available, answers = 10000, []
        start.wait()
        try:
            while True:  # a client that re-reads the refundable amount when told it is stale
                response = refund(client, payment, 1000, available)
                body = response.json()
                answers.append((response.status_code, body.get("code", body.get("status"))))
                if response.status_code != 412:
                    return answers
                available = body["refund_amount_available_minor"]
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(send, range(THREADS)))
    # then exactly ten refunds went through, the others were told there is nothing left
    finals = sorted(answers[-1] for answers in results)
    assert finals == [(201, "success")] * 10 + [(400, "refund_amount_exceeds_available")] * 10
    every = {answer for answers in results for answer in answers}
    assert every <= {
        (201, "success"),
        (400, "refund_amount_exceeds_available"),
        (412, "refund_amount_available_mismatch"),
    }
    payment.refresh_from_db()
    assert payment.refunded_minor == 10000
    assert (
        Refund.objects.filter(state=Refund.State.SUCCESS).aggregate(total=Sum("amount_minor"))[
            "total"
        ]
        == 10000
    )
    assert Refund.objects.exclude(state=Refund.State.SUCCESS).count() == 0
    assert LedgerTransaction.objects.filter(kind="refund").count() == 10
    assert len(fake_provider.calls) == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refunds_with_one_view_of_the_amount_give_one_refund(
    fake_provider, agency
):
    # given 20 requests that all believe the full amount is available
    biller = BillerFactory.create(code="gas", agency=agency)
    payment = make_captured_payment(biller=biller, amount_minor=10000)
    supervisor = MembershipFactory.create(agency=agency, role=Membership.Role.SUPERVISOR).user
    start = threading.Barrier(THREADS)

    def send(amount: int) -> int:
        client = APIClient()
        client.force_authenticate(supervisor)
        start.wait()
        try:
            return int(refund(client, payment, amount, 10000).status_code)
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(send, [600] * THREADS))
    # then the first decided one wins; every other view of the amount was stale
    assert sorted(statuses) == [201] + [412] * (THREADS - 1)
    payment.refresh_from_db()
    assert payment.refunded_minor == 600


@pytest.mark.django_db
def test_the_database_refuses_to_refund_more_than_was_captured(fake_provider, agency):
    # given two submitted refunds that together exceed the payment, written past the action's
    # checks as a bug elsewhere might
    biller = BillerFactory.create(code="broadband", agency=agency)
    payment = make_captured_payment(biller=biller, amount_minor=10000)
    first, second = (
        Refund.objects.create(attempt=payment, amount_minor=6000, currency="THB", reason="x")
        for _ in range(2)
    )
    refund_actions.record_refund_outcome(refund=first, outcome="success")
    # when the provider reports the second one as paid too
    with pytest.raises(IntegrityError), transaction.atomic():
        refund_actions.record_refund_outcome(refund=second, outcome="success")
    # then the constraint refused it, and nothing of it was written
    payment.refresh_from_db()
    second.refresh_from_db()
    assert payment.refunded_minor == 6000
    assert second.state == Refund.State.SUBMITTED
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert PaymentAttempt.objects.filter(refunded_minor__gt=10000).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_refund_once(fake_provider, agency):
    # given one client retrying one refund 20 times at once with the same key
    biller = BillerFactory.create(code="school", agency=agency)
    payment = make_captured_payment(biller=biller, amount_minor=10000)
    supervisor = MembershipFactory.create(agency=agency, role=Membership.Role.SUPERVISOR).user
    key = str(uuid.uuid4())
    start = threading.Barrier(THREADS)

    def send(_: int) -> tuple[int, str]:
        client = APIClient()
        client.force_authenticate(supervisor)
        start.wait()
        try:
            response = refund(client, payment, 2500, 10000, key=key)
            body = response.json()
            return response.status_code, body.get("code", body.get("id"))
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(send, range(THREADS)))
    # then one refund, and nobody saw a server error
    assert Refund.objects.count() == 1
    assert len(fake_provider.calls) == 1
    created = str(Refund.objects.get().public_id)
    assert {answer for answer in answers} <= {
        (201, created),
        (409, "idempotency_request_in_progress"),
    }
    assert (201, created) in answers

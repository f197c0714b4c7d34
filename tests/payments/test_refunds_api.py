"""Refunds through the API: POST/GET /api/v1/payments/{id}/refunds, the refund summary, the
permission matrix, bad input, and each provider answer (success, pending, failed, error).

The helpers at the top (a scripted fake provider and a captured payment built as the payments
actions leave one) are shared by the other refund, reconciliation and webhook test modules."""

import datetime
import threading
import uuid
from typing import Any, ClassVar

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from identity.models import Membership
from payments import ledger
from payments.actions import refunds as refund_actions
from payments.models import (
    Bill,
    Biller,
    LedgerEntry,
    LedgerTransaction,
    PaymentAllocation,
    PaymentAttempt,
    Receipt,
    Refund,
)
from payments.providers import base as providers
from payments.providers.base import ProviderError, RefundResult
from tests.conftest import client_for
from tests.factories import BillerFactory, BillFactory, MembershipFactory, PersonFactory

FAKE = "fakepay"

# --- shared helpers -----------------------------------------------------------------------------


class FakeRefundProvider:
    """A provider whose refund answers are scripted per test: "success", "pending", "failed",
    or "error" (raises ProviderError). Records every call; safe across threads."""

    name = FAKE
    outcomes: ClassVar[list[str]] = []
    calls: ClassVar[list[dict[str, Any]]] = []
    on_call: ClassVar[Any] = None
    lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        cls.outcomes = []
        cls.calls = []
        cls.on_call = None

    def refund(
        self, *, provider_ref: str, amount_minor: int, currency: str, reference: str
    ) -> RefundResult:
        with self.lock:
            self.calls.append(
                {
                    "provider_ref": provider_ref,
                    "amount_minor": amount_minor,
                    "currency": currency,
                    "reference": reference,
                }
            )
            outcome = self.outcomes.pop(0) if self.outcomes else "success"
        hook = FakeRefundProvider.on_call  # read on the class: a plain function, not a method
        if hook is not None:
            hook(reference)
        if outcome == "error":
            raise ProviderError("fakepay: unreachable")
        return RefundResult(provider_ref=f"fr_{reference[:8]}", outcome=outcome)

    # A refund never needs these: calling one is a bug in the code under test.
    def create_checkout(self, **kwargs: Any) -> Any:
        raise AssertionError("refunds must not create a checkout")

    def fetch_status(self, **kwargs: Any) -> Any:
        raise AssertionError("refunds must not fetch a payment's status")

    def parse_webhook(self, **kwargs: Any) -> Any:
        raise AssertionError("refunds must not parse provider webhooks")


@pytest.fixture
def fake_provider(settings):
    settings.PAYMENT_PROVIDERS = {
        **settings.PAYMENT_PROVIDERS,
        FAKE: "tests.payments.test_refunds_api.FakeRefundProvider",
    }
    providers._load.cache_clear()
    FakeRefundProvider.reset()
    yield FakeRefundProvider
    FakeRefundProvider.reset()
    providers._load.cache_clear()


_refs = iter(range(1, 10**9))


def post_bill(bill: Bill) -> None:
    """The ledger posting the bills actions make when a bill is raised."""
    ledger.post(
        kind="bill",
        currency=bill.currency,
        entries=[
            (ledger.receivable(bill.biller, bill.currency), bill.total_minor),
            (ledger.billed(bill.biller, bill.currency), -bill.total_minor),
        ],
        memo=f"bill {bill.number}",
    )


@transaction.atomic
def make_captured_payment(
    *,
    biller: Biller,
    payer: Any = None,
    amount_minor: int = 10000,
    currency: str = "THB",
    provider: str = FAKE,
    provider_ref: str | None = None,
    state: str = PaymentAttempt.State.SUCCESS,
) -> PaymentAttempt:
    """A payment as the attempts actions leave it once captured: attempt in state success with
    captured_minor, its closed allocation, the bill paid, a receipt, and the ledger postings
    ("bill", then "capture"). With another `state` (failed), nothing was captured or paid."""
    payer = payer or PersonFactory.create()
    bill = BillFactory.create(
        biller=biller, payer=payer, total_minor=amount_minor, currency=currency
    )
    post_bill(bill)
    succeeded = state == PaymentAttempt.State.SUCCESS
    attempt = PaymentAttempt.objects.create(
        biller=biller,
        payer=payer,
        payer_user=payer.user,
        currency=currency,
        amount_minor=amount_minor,
        captured_minor=amount_minor if succeeded else 0,
        provider=provider,
        provider_ref=provider_ref or f"pay_{next(_refs):06d}",
        state=state,
        finished=True,
        expires_at=timezone.now() + datetime.timedelta(minutes=90),
    )
    PaymentAllocation.objects.create(
        attempt=attempt, bill=bill, amount_minor=amount_minor, is_open=False
    )
    if not succeeded:
        return attempt
    sequence = (
        Receipt.objects.filter(biller=biller).aggregate(last=Max("sequence"))["last"] or 0
    ) + 1
    Receipt.objects.create(
        attempt=attempt,
        biller=biller,
        number=f"{biller.receipt_prefix}{sequence:08d}",
        sequence=sequence,
        amount_minor=amount_minor,
        currency=currency,
    )
    Bill.objects.filter(pk=bill.pk).update(paid_minor=amount_minor, status=Bill.Status.PAID)
    ledger.post(
        kind="capture",
        currency=currency,
        entries=[
            (ledger.clearing(provider, currency), amount_minor),
            (ledger.receivable(biller, currency), -amount_minor),
        ],
        memo=f"capture {attempt.public_id}",
        attempt=attempt,
    )
    return attempt


def refunds_url(attempt: PaymentAttempt) -> str:
    return f"/api/v1/payments/{attempt.public_id}/refunds"


def summary_url(attempt: PaymentAttempt) -> str:
    return f"/api/v1/payments/{attempt.public_id}/refund-summary"


def refund(
    client: APIClient, attempt: PaymentAttempt, amount: int, available: int, key: str | None = None
):
    return client.post(
        refunds_url(attempt),
        {"amount_minor": amount, "refund_amount_available_minor": available, "reason": "overpaid"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def biller(agency) -> Biller:
    return BillerFactory.create(code="water", name="City Water", agency=agency)


@pytest.fixture
def payment(fake_provider, biller, person) -> PaymentAttempt:
    """A captured payment of 100.00 THB by `person` (the citizen_api) to the water biller."""
    return make_captured_payment(biller=biller, payer=person, amount_minor=10000)


@pytest.fixture
def supervisor_api(agency) -> APIClient:
    return client_for(MembershipFactory.create(agency=agency, role=Membership.Role.SUPERVISOR).user)


@pytest.fixture
def other_supervisor_api(other_agency) -> APIClient:
    return client_for(
        MembershipFactory.create(agency=other_agency, role=Membership.Role.SUPERVISOR).user
    )


def assert_nothing_refunded(attempt: PaymentAttempt, provider=FakeRefundProvider) -> None:
    attempt.refresh_from_db()
    assert attempt.refunded_minor == 0
    assert Refund.objects.count() == 0
    assert not LedgerTransaction.objects.filter(kind="refund").exists()
    assert provider.calls == []


# --- the permission matrix ----------------------------------------------------------------------


CALLERS = {
    "anonymous": lambda r: r.getfixturevalue("api"),
    "payer": lambda r: r.getfixturevalue("citizen_api"),
    "other citizen": lambda r: r.getfixturevalue("other_citizen_api"),
    "officer of the biller's agency": lambda r: r.getfixturevalue("officer_api"),
    "supervisor of the biller's agency": lambda r: r.getfixturevalue("supervisor_api"),
    "supervisor of another agency": lambda r: r.getfixturevalue("other_supervisor_api"),
    "integrator with refunds:write": lambda r: r.getfixturevalue("integrator")("refunds:write"),
    "integrator without refunds:write": lambda r: r.getfixturevalue("integrator")("bills:write"),
    "integrator of another agency": lambda r: r.getfixturevalue("integrator")(
        "refunds:write", for_agency=r.getfixturevalue("other_agency")
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("payer", 403, "refund_not_allowed"),
        ("other citizen", 404, "not_found"),
        ("officer of the biller's agency", 403, "refund_not_allowed"),
        ("supervisor of another agency", 404, "not_found"),
        ("integrator without refunds:write", 403, "permission_denied"),
        ("integrator of another agency", 404, "not_found"),
    ],
)
def test_who_may_not_refund(request, payment, caller, status, code):
    # given
    client = CALLERS[caller](request)
    # when
    response = refund(client, payment, 2500, 10000)
    # then
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert_nothing_refunded(payment)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "caller", ["supervisor of the biller's agency", "integrator with refunds:write"]
)
def test_who_may_refund(request, payment, fake_provider, caller):
    # given
    client = CALLERS[caller](request)
    # when
    response = refund(client, payment, 2500, 10000)
    # then
    assert response.status_code == 201
    body = response.json()
    created = Refund.objects.get()
    assert body == {
        "id": str(created.public_id),
        "payment_id": str(payment.public_id),
        "amount_minor": 2500,
        "currency": "THB",
        "status": "success",
        "reason": "overpaid",
        "created_at": body["created_at"],
        "finished_at": body["finished_at"],
    }
    assert body["finished_at"] is not None
    assert response["Location"] == f"{refunds_url(payment)}/{created.public_id}"
    payment.refresh_from_db()
    assert payment.refunded_minor == 2500
    assert fake_provider.calls == [
        {
            "provider_ref": payment.provider_ref,
            "amount_minor": 2500,
            "currency": "THB",
            "reference": str(created.public_id),
        }
    ]
    if caller.startswith("integrator"):
        assert created.requested_by_client is not None
        assert created.requested_by is None
    else:
        assert created.requested_by is not None
        assert created.requested_by_client is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("caller", "status"),
    [
        ("anonymous", 401),
        ("payer", 200),
        ("other citizen", 404),
        ("officer of the biller's agency", 200),
        ("supervisor of the biller's agency", 200),
        ("supervisor of another agency", 404),
        ("integrator with refunds:write", 200),
        ("integrator without refunds:write", 403),
        ("integrator of another agency", 404),
    ],
)
def test_who_sees_the_refunds(request, payment, supervisor_api, caller, status):
    # given one refund
    assert refund(supervisor_api, payment, 1000, 10000).status_code == 201
    client = CALLERS[caller](request)
    # when
    listed = client.get(refunds_url(payment))
    summary = client.get(summary_url(payment))
    # then
    assert listed.status_code == summary.status_code == status
    if status == 200:
        assert [item["amount_minor"] for item in listed.json()["results"]] == [1000]
        assert summary.json()["refund_amount_available_minor"] == 9000


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "available", "status", "code"),
    [
        (0, 10000, 400, "refund_amount_not_positive"),
        (-100, 10000, 400, "refund_amount_not_positive"),
        (10001, 10000, 400, "refund_amount_exceeds_available"),
        (1000, 9000, 412, "refund_amount_available_mismatch"),
        (1000, 10001, 412, "refund_amount_available_mismatch"),
    ],
)
def test_bad_amounts_are_refused(supervisor_api, payment, amount, available, status, code):
    # when
    response = refund(supervisor_api, payment, amount, available)
    # then
    assert response.status_code == status
    assert response.json()["code"] == code
    assert_nothing_refunded(payment)


@pytest.mark.django_db
def test_stale_available_amount_gets_412_with_the_current_amount(supervisor_api, payment):
    # given a first refund leaves 7000 refundable
    assert refund(supervisor_api, payment, 3000, 10000).status_code == 201
    # when a client still believes 10000 is available
    response = refund(supervisor_api, payment, 3000, 10000)
    # then
    assert response.status_code == 412
    body = response.json()
    assert body["code"] == "refund_amount_available_mismatch"
    assert body["refund_amount_available_minor"] == 7000
    assert Refund.objects.count() == 1
    # and with the current value it goes through
    assert refund(supervisor_api, payment, 3000, 7000).status_code == 201


@pytest.mark.django_db
def test_above_available_names_the_field(supervisor_api, payment):
    response = refund(supervisor_api, payment, 10001, 10000)
    assert response.status_code == 400
    body = response.json()
    assert body["refund_amount_available_minor"] == 10000
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("amount_minor", "exceeds_available")
    ]


@pytest.mark.django_db
def test_unknown_payment_is_404(supervisor_api, fake_provider):
    response = supervisor_api.post(
        f"/api/v1/payments/{uuid.uuid4()}/refunds",
        {"amount_minor": 100, "refund_amount_available_minor": 100, "reason": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Refund.objects.count() == 0


@pytest.mark.django_db
def test_payment_that_did_not_succeed_is_409(supervisor_api, fake_provider, biller):
    # given
    failed = make_captured_payment(biller=biller, state=PaymentAttempt.State.FAILED)
    # when
    response = refund(supervisor_api, failed, 100, 0)
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "payment_not_refundable"
    assert response.json()["payment_status"] == "failed"
    assert_nothing_refunded(failed)


@pytest.mark.django_db
def test_idempotency_key_is_required(supervisor_api, payment):
    response = supervisor_api.post(
        refunds_url(payment),
        {"amount_minor": 100, "refund_amount_available_minor": 10000, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert_nothing_refunded(payment)


@pytest.mark.django_db
def test_missing_fields_are_a_validation_problem(supervisor_api, payment):
    response = supervisor_api.post(
        refunds_url(payment), {}, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert sorted(e["field"] for e in body["errors"]) == [
        "amount_minor",
        "reason",
        "refund_amount_available_minor",
    ]
    assert_nothing_refunded(payment)


# --- outcomes -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_partial_refunds_up_to_the_full_amount(supervisor_api, payment):
    # when
    first = refund(supervisor_api, payment, 4000, 10000)
    second = refund(supervisor_api, payment, 6000, 6000)
    # then
    assert first.status_code == second.status_code == 201
    payment.refresh_from_db()
    assert payment.refunded_minor == 10000
    assert supervisor_api.get(summary_url(payment)).json() == {
        "status": "full",
        "currency": "THB",
        "captured_minor": 10000,
        "refunded_minor": 10000,
        "submitted_minor": 0,
        "refund_amount_available_minor": 0,
    }
    entries = sorted(
        LedgerEntry.objects.filter(transaction__kind="refund").values_list(
            "account__code", "amount_minor"
        )
    )
    assert entries == [
        ("clearing:fakepay:THB", -6000),
        ("clearing:fakepay:THB", -4000),
        ("refunds:water:THB", 4000),
        ("refunds:water:THB", 6000),
    ]
    # and nothing more can be refunded
    third = refund(supervisor_api, payment, 1, 0)
    assert third.status_code == 400
    assert third.json()["code"] == "refund_amount_exceeds_available"


@pytest.mark.django_db
def test_same_key_replays_the_refund_without_a_second_provider_call(
    supervisor_api, payment, fake_provider
):
    # given
    key = str(uuid.uuid4())
    first = refund(supervisor_api, payment, 2500, 10000, key=key)
    # when the client retries with the same key and body
    again = refund(supervisor_api, payment, 2500, 10000, key=key)
    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1
    assert len(fake_provider.calls) == 1


@pytest.mark.django_db
def test_pending_refund_reserves_the_amount_until_the_provider_says(
    supervisor_api, payment, fake_provider
):
    # given the provider takes its time
    fake_provider.outcomes = ["pending"]
    # when
    response = refund(supervisor_api, payment, 4000, 10000)
    # then the refund is submitted and its amount reserved
    assert response.status_code == 201
    assert response.json()["status"] == "submitted"
    summary = supervisor_api.get(summary_url(payment)).json()
    assert summary["submitted_minor"] == 4000
    assert summary["refund_amount_available_minor"] == 6000
    assert summary["status"] == "available"
    assert refund(supervisor_api, payment, 7000, 6000).json()["code"] == (
        "refund_amount_exceeds_available"
    )
    # when the provider's webhook says it succeeded (twice: a duplicate changes nothing)
    pending = Refund.objects.get()
    assert pending.provider_ref == f"fr_{str(pending.public_id)[:8]}"
    found = refund_actions.refund_by_provider_ref(provider=FAKE, provider_ref=pending.provider_ref)
    assert found == pending
    refund_actions.record_refund_outcome(refund=found, outcome="success")
    refund_actions.record_refund_outcome(refund=found, outcome="success")
    refund_actions.record_refund_outcome(refund=found, outcome="failed")  # late, ignored
    # then
    pending.refresh_from_db()
    payment.refresh_from_db()
    assert pending.state == Refund.State.SUCCESS
    assert payment.refunded_minor == 4000
    assert LedgerTransaction.objects.filter(kind="refund", refund=pending).count() == 1
    assert supervisor_api.get(summary_url(payment)).json()["refund_amount_available_minor"] == 6000


@pytest.mark.django_db
def test_pending_then_failed_releases_the_reservation(supervisor_api, payment, fake_provider):
    fake_provider.outcomes = ["pending"]
    refund(supervisor_api, payment, 4000, 10000)
    # when
    refund_actions.record_refund_outcome(refund=Refund.objects.get(), outcome="failed")
    # then
    assert Refund.objects.get().state == Refund.State.FAILED
    payment.refresh_from_db()
    assert payment.refunded_minor == 0
    assert supervisor_api.get(summary_url(payment)).json()["refund_amount_available_minor"] == 10000
    assert not LedgerTransaction.objects.filter(kind="refund").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["failed", "error"])
def test_refused_or_unreachable_provider_fails_the_refund(
    supervisor_api, payment, fake_provider, outcome
):
    # given
    fake_provider.outcomes = [outcome]
    # when
    response = refund(supervisor_api, payment, 4000, 10000)
    # then the refund exists as failed, and nothing was refunded
    assert response.status_code == 201
    assert response.json()["status"] == "failed"
    payment.refresh_from_db()
    assert payment.refunded_minor == 0
    assert not LedgerTransaction.objects.filter(kind="refund").exists()
    assert supervisor_api.get(summary_url(payment)).json()["refund_amount_available_minor"] == 10000


@pytest.mark.django_db(transaction=True)
def test_refund_is_committed_as_submitted_before_the_provider_is_called(
    supervisor_api, payment, fake_provider
):
    # given the provider looks at the database when it is called
    seen = []

    def look(reference: str) -> None:
        seen.append(
            (
                transaction.get_connection().in_atomic_block,
                Refund.objects.get(public_id=reference).state,
            )
        )

    fake_provider.on_call = look
    # when
    response = refund(supervisor_api, payment, 1000, 10000)
    # then no transaction was open around the call, and the refund was already submitted
    assert response.status_code == 201
    assert seen == [(False, Refund.State.SUBMITTED)]


@pytest.mark.django_db
def test_unacknowledged_refund_is_sent_again_with_the_same_reference(
    supervisor_api, payment, fake_provider
):
    # given a refund whose process died before the provider answered
    stuck = Refund.objects.create(
        attempt=payment, amount_minor=1500, currency="THB", reason="overpaid"
    )
    Refund.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - refund_actions.RESEND_AFTER
    )
    assert supervisor_api.get(summary_url(payment)).json()["refund_amount_available_minor"] == 8500
    # when the sweeper runs (tasks run in-process in tests)
    from payments.refund_tasks import resend_unacknowledged_refunds_task

    assert resend_unacknowledged_refunds_task() == 1
    # then
    stuck.refresh_from_db()
    assert stuck.state == Refund.State.SUCCESS
    assert [call["reference"] for call in fake_provider.calls] == [str(stuck.public_id)]
    assert resend_unacknowledged_refunds_task() == 0


@pytest.mark.django_db
def test_refund_list_is_newest_first(supervisor_api, payment):
    # given
    available = 10000
    for amount in (100, 200, 300):
        assert refund(supervisor_api, payment, amount, available).status_code == 201
        available -= amount
    # when
    response = supervisor_api.get(refunds_url(payment))
    # then
    assert [item["amount_minor"] for item in response.json()["results"]] == [300, 200, 100]


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_refunds(supervisor_api, payment):
    assert refund(supervisor_api, payment, 100, 10000).status_code == 201
    with CaptureQueriesContext(connection) as one:
        supervisor_api.get(refunds_url(payment))
    for amount, available in ((200, 9900), (300, 9700), (400, 9400)):
        assert refund(supervisor_api, payment, amount, available).status_code == 201
    with CaptureQueriesContext(connection) as four:
        response = supervisor_api.get(refunds_url(payment))
    assert len(response.json()["results"]) == 4
    assert len(four) == len(one)


@pytest.mark.django_db
def test_one_refund_can_be_read(citizen_api, supervisor_api, payment):
    created = refund(supervisor_api, payment, 100, 10000).json()
    # when the payer reads it
    response = citizen_api.get(f"{refunds_url(payment)}/{created['id']}")
    # then
    assert response.status_code == 200
    assert response.json() == created
    assert citizen_api.get(f"{refunds_url(payment)}/{uuid.uuid4()}").status_code == 404


# --- admin --------------------------------------------------------------------------------------


def _admin_user(agency, role):
    from django.contrib.auth.models import Permission

    user = MembershipFactory.create(agency=agency, role=role).user
    user.user_permissions.add(*Permission.objects.filter(codename="view_refund"))
    return user


@pytest.mark.django_db
def test_supervisor_refunds_the_rest_in_full_from_the_admin(
    client, supervisor_api, payment, agency
):
    from tests.conftest import sign_in_to_admin

    # given a partial refund, and a supervisor in the admin
    assert refund(supervisor_api, payment, 2500, 10000).status_code == 201
    sign_in_to_admin(client, _admin_user(agency, Membership.Role.SUPERVISOR))
    # when
    response = client.post(
        "/admin/payments/refund/",
        {"action": "refund_rest_in_full", "_selected_action": [Refund.objects.get().pk]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_minor == 10000
    assert sorted(Refund.objects.values_list("amount_minor", flat=True)) == [2500, 7500]
    assert "refund of 7500 THB is success" in response.content.decode()


@pytest.mark.django_db
def test_officer_cannot_refund_from_the_admin(client, supervisor_api, payment, agency):
    from tests.conftest import sign_in_to_admin

    assert refund(supervisor_api, payment, 2500, 10000).status_code == 201
    sign_in_to_admin(client, _admin_user(agency, Membership.Role.OFFICER))
    # when
    response = client.post(
        "/admin/payments/refund/",
        {"action": "refund_rest_in_full", "_selected_action": [Refund.objects.get().pk]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_minor == 2500
    assert Refund.objects.count() == 1
    assert "Only a supervisor" in response.content.decode()


@pytest.mark.django_db
def test_refund_admin_is_read_only_and_scoped_to_the_agency(
    client, supervisor_api, payment, agency, other_agency
):
    from tests.conftest import sign_in_to_admin

    assert refund(supervisor_api, payment, 2500, 10000).status_code == 201
    created = Refund.objects.get()
    # an officer of another agency sees nothing
    sign_in_to_admin(client, _admin_user(other_agency, Membership.Role.SUPERVISOR))
    assert client.get(f"/admin/payments/refund/{created.pk}/change/").status_code == 302
    # an officer of the biller's agency sees it, read-only
    sign_in_to_admin(client, _admin_user(agency, Membership.Role.OFFICER))
    page = client.get(f"/admin/payments/refund/{created.pk}/change/")
    assert page.status_code == 200
    assert str(created.public_id) in page.content.decode()
    assert client.get("/admin/payments/refund/add/").status_code == 403


def _admin_request(user):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    request: Any = RequestFactory().post("/admin/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "refunded"), [(Membership.Role.SUPERVISOR, 10000), (Membership.Role.OFFICER, 0)]
)
def test_refund_in_full_action_for_the_payments_screen(payment, agency, role, refunded):
    from django.contrib import admin

    from payments.admin.refunds import RefundAdmin, refund_in_full

    # given a staff member of the biller's agency
    request = _admin_request(MembershipFactory.create(agency=agency, role=role).user)
    # when the action runs on the selected payments
    refund_in_full(
        RefundAdmin(Refund, admin.site), request, PaymentAttempt.objects.filter(pk=payment.pk)
    )
    # then only a supervisor's goes through
    payment.refresh_from_db()
    assert payment.refunded_minor == refunded
    assert Refund.objects.filter(state=Refund.State.SUCCESS).count() == (1 if refunded else 0)
    shown = [str(message) for message in request._messages]
    assert len(shown) == 1
    if refunded:
        assert shown[0].endswith("refund of 10000 THB is success.")
    else:
        assert "Only a supervisor of the biller's agency" in shown[0]

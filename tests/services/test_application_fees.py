"""Service fees: a fee today raises a bill through the payments app and the application waits
for payment; paying it (a real sandbox capture) sends the application on to be decided;
withdrawing cancels the unpaid bill (services/actions/applications.py, payments/listeners.py,
services/payment_tasks.py)."""

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from payments.actions.bills import apply_payment_to_bill
from payments.ledger import verify_ledger
from payments.models import Bill, PaymentAttempt
from payments.providers import sandbox
from services.actions.applications import fee_paid
from services.models import Application, DecisionRecord, Fee
from services.payment_tasks import advance_paid_applications_task
from tests.factories import BillerFactory, ServiceFactory
from tests.services.applications_support import apply, automatic_service, detail_path

pytestmark = pytest.mark.django_db


def _with_fee(service, amount_minor=25000, **fields):
    service.fee_biller = BillerFactory.create(code="city-fees", currency="THB")
    service.save()
    Fee.objects.create(service=service, amount_minor=amount_minor, currency="THB", **fields)
    return service


@pytest.fixture
def service(agency):
    return _with_fee(automatic_service(agency))


def _pay(client: APIClient, fee: dict, capture) -> None:
    """Pay the fee's bill through the payments API and let the sandbox report the capture."""
    response = client.post(
        "/api/v1/payments",
        {"bills": [fee["id"]], "amount_minor": fee["amount_minor"], "currency": fee["currency"]},
        format="json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.json()
    attempt = PaymentAttempt.objects.get(public_id=response.json()["id"])
    body, headers = sandbox.sandbox_webhook(attempt.provider_ref, "captured")
    with capture(execute=True):
        response = APIClient().post(
            "/api/v1/payments/webhooks/sandbox", data=body, content_type="application/json",
            headers=headers,
        )  # fmt: skip
    assert response.status_code == 200


def test_a_fee_raises_a_bill_and_the_application_waits_for_it(citizen_api, person, service):
    # when
    response = apply(citizen_api, service)
    # then
    assert response.status_code == 201
    created = response.json()
    bill = Bill.objects.get()
    assert created["status"] == "awaiting_payment"
    assert created["allowed_actions"] == ["pay", "withdraw"]
    assert created["fee"] == {
        "id": str(bill.public_id),
        "number": bill.number,
        "amount_minor": 25000,
        "paid_minor": 0,
        "currency": "THB",
        "status": "open",
        "due_date": str(timezone.localdate() + datetime.timedelta(days=7)),
    }
    assert (bill.source, bill.payer, bill.biller.code) == ("service", person, "city-fees")
    assert bill.reference == f"application:{created['id']}"
    assert Application.objects.get().bill == bill
    assert DecisionRecord.objects.count() == 0
    assert verify_ledger() == []


def test_paying_the_fee_sends_the_application_to_be_decided(
    citizen_api, service, django_capture_on_commit_callbacks
):
    # given
    created = apply(citizen_api, service).json()
    # when the citizen pays and the provider reports the capture
    _pay(citizen_api, created["fee"], django_capture_on_commit_callbacks)
    # then
    detail = citizen_api.get(detail_path(created["id"])).json()
    assert detail["status"] == "approved"
    assert detail["fee"]["status"] == "paid"
    assert [(e["from"], e["to"]) for e in detail["history"]] == [
        ("draft", "submitted"),
        ("submitted", "awaiting_payment"),
        ("awaiting_payment", "checking"),
        ("checking", "approved"),
    ]
    assert DecisionRecord.objects.get().outcome == "approved"
    assert verify_ledger() == []


def test_a_paid_fee_on_a_manual_service_goes_to_an_officer(
    citizen_api, agency, django_capture_on_commit_callbacks
):
    service = _with_fee(ServiceFactory.create(agency=agency, approval_mode="manual"))
    created = apply(citizen_api, service).json()
    _pay(citizen_api, created["fee"], django_capture_on_commit_callbacks)
    application = Application.objects.get()
    assert application.status == "manual_review"
    assert application.deadline is not None


def test_withdrawing_cancels_the_unpaid_bill(citizen_api, service):
    created = apply(citizen_api, service).json()
    response = citizen_api.post(detail_path(created["id"], "/withdraw"), {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["fee"]["status"] == "cancelled"
    assert verify_ledger() == []


def test_the_sweeper_moves_on_an_application_whose_paid_task_was_lost(
    citizen_api, service, django_capture_on_commit_callbacks
):
    # given a bill paid without the listener's task reaching the application
    apply(citizen_api, service)
    application = Application.objects.get()
    assert application.bill is not None
    apply_payment_to_bill(bill=application.bill, amount_minor=25000)
    assert Application.objects.get().status == "awaiting_payment"
    # when
    with django_capture_on_commit_callbacks(execute=True):
        moved = advance_paid_applications_task.delay().get()
    # then
    assert moved == 1
    assert Application.objects.get().status == "approved"


def test_fee_paid_is_harmless_twice_and_ignores_unpaid_bills(
    citizen_api, service, django_capture_on_commit_callbacks
):
    apply(citizen_api, service)
    application = Application.objects.get()
    bill = application.bill
    assert bill is not None
    waiting = fee_paid(bill_id=bill.pk)
    assert waiting is not None
    assert waiting.status == "awaiting_payment"  # not paid yet
    apply_payment_to_bill(bill=bill, amount_minor=25000)
    with django_capture_on_commit_callbacks(execute=True):
        fee_paid(bill_id=bill.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert fee_paid(bill_id=bill.pk) is None
    assert Application.objects.get().status == "approved"
    assert DecisionRecord.objects.count() == 1
    assert application.events.filter(to_status="checking").count() == 1


@pytest.mark.parametrize(
    "fee",
    [
        {"amount_minor": 0},
        {"amount_minor": 25000, "valid_from": datetime.date(2020, 1, 1),
         "valid_until": datetime.date(2021, 1, 1)},
        {"amount_minor": 25000, "valid_from": datetime.date(2999, 1, 1)},
    ],
)  # fmt: skip
def test_no_fee_today_means_no_bill(citizen_api, agency, fee):
    service = _with_fee(automatic_service(agency), **fee)
    response = apply(citizen_api, service)
    assert response.json()["status"] == "checking"
    assert response.json()["fee"] is None
    assert Bill.objects.count() == 0


def test_a_resubmission_does_not_bill_again(
    citizen_api, officer_api, agency, django_capture_on_commit_callbacks
):
    # given a paid application an officer returned
    service = _with_fee(ServiceFactory.create(agency=agency, approval_mode="manual"))
    created = apply(citizen_api, service).json()
    _pay(citizen_api, created["fee"], django_capture_on_commit_callbacks)
    officer_api.post(
        detail_path(created["id"], "/review"),
        {"outcome": "return", "reason": "Add the second page."},
        format="json",
    )
    # when it is resubmitted
    response = citizen_api.post(detail_path(created["id"], "/submit"), {}, format="json")
    # then it goes straight to the officer again, with the one paid bill
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "manual_review"
    assert response.json()["round"] == 2
    assert Bill.objects.count() == 1

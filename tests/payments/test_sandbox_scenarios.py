"""The sandbox provider's scripted scenarios, played end to end: the payer pays on the hosted
checkout page, the sandbox sends its webhooks, the inbound endpoint verifies and stores them, and
a task settles the attempt (payments/providers/sandbox.py)."""

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from payments.models import Bill, PaymentAttempt, ProviderEvent, Receipt
from payments.providers import sandbox
from tests.factories import BillFactory
from tests.payments.test_payments_api import PAYMENTS, body_for, checkout_path, pay, send_webhook
from tests.payments.test_payments_api import snapshot as everything


def start(citizen_api: APIClient, person: Any, amount: int) -> tuple[dict[str, Any], Bill]:
    """A payment of `amount` for a bill of that amount; the last two digits pick the script."""
    bill = BillFactory.create(payer=person, total_minor=amount, minimum_payable_minor=amount)
    response = pay(citizen_api, body_for(bill))
    assert response.status_code == 201
    return response.json(), bill


def press(payment: dict[str, Any], choice: str, capture) -> Any:
    """The payer presses a button on the sandbox's checkout page; its webhooks are delivered
    and processed before this returns (tasks run in-process)."""
    with capture(execute=True):
        return Client().post(checkout_path(payment), {"choice": choice})


def read(citizen_api: APIClient, payment: dict[str, Any]) -> dict[str, Any]:
    return citizen_api.get(f"{PAYMENTS}/{payment['id']}").json()


def states(payment: dict[str, Any]) -> list[str]:
    return [entry["state"] for entry in payment["timeline"]]


@pytest.mark.django_db
class TestScenarios:
    def test_success(self, citizen_api, person, django_capture_on_commit_callbacks):
        payment, bill = start(citizen_api, person, 50000)
        # when
        page = press(payment, "pay", django_capture_on_commit_callbacks)
        # then
        assert page.status_code == 200
        result = read(citizen_api, payment)
        assert (result["status"], result["finished"], result["failure_code"]) == (
            "success", True, None,
        )  # fmt: skip
        assert result["receipt"] is not None
        bill.refresh_from_db()
        assert bill.status == Bill.Status.PAID
        assert ProviderEvent.objects.get().outcome == "started → success"

    def test_decline(self, citizen_api, person, django_capture_on_commit_callbacks):
        payment, bill = start(citizen_api, person, 50001)
        press(payment, "pay", django_capture_on_commit_callbacks)
        result = read(citizen_api, payment)
        assert (result["status"], result["finished"], result["failure_code"]) == (
            "failed", True, "P0010",
        )  # fmt: skip
        assert not Receipt.objects.exists()
        bill.refresh_from_db()
        assert (bill.paid_minor, bill.status) == (0, Bill.Status.OPEN)
        # the bill is free for another try
        assert pay(citizen_api, body_for(bill)).status_code == 201

    def test_timeout_then_late_success(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        payment, bill = start(citizen_api, person, 50002)
        # when the sandbox first reports a timeout, then the capture
        press(payment, "pay", django_capture_on_commit_callbacks)
        # then the failed attempt moved on to success (failed is not absorbing)
        result = read(citizen_api, payment)
        assert result["status"] == "success"
        assert result["failure_code"] is None
        assert states(result) == ["authorisation_submitted", "started", "failed", "success"]
        assert [e["event"] for e in result["timeline"]][-1] == "late_capture"
        assert Receipt.objects.count() == 1
        bill.refresh_from_db()
        assert bill.status == Bill.Status.PAID

    def test_a_late_capture_the_provider_does_not_confirm_changes_nothing(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        # given a declined payment
        payment, _ = start(citizen_api, person, 50001)
        press(payment, "pay", django_capture_on_commit_callbacks)
        attempt = PaymentAttempt.objects.get()
        before = everything()
        # when a forged-looking (but validly signed) capture arrives that the provider denies
        body, headers = sandbox.sandbox_webhook(attempt.provider_ref, "captured")
        with django_capture_on_commit_callbacks(execute=True):
            send_webhook(APIClient(), body, headers)
        # then the attempt stays failed; only the event is stored
        assert read(citizen_api, payment)["status"] == "failed"
        after = everything()
        assert after.pop("provider_events") == before.pop("provider_events") + 1
        assert after == before

    def test_duplicate_webhooks(self, citizen_api, person, django_capture_on_commit_callbacks):
        payment, _ = start(citizen_api, person, 50003)
        press(payment, "pay", django_capture_on_commit_callbacks)
        # then three deliveries, two events stored (one was a repeat), one success
        result = read(citizen_api, payment)
        assert result["status"] == "success"
        assert states(result).count("success") == 1
        assert ProviderEvent.objects.count() == 2
        assert sorted(ProviderEvent.objects.values_list("outcome", flat=True)) == [
            "no change",
            "started → success",
        ]
        assert Receipt.objects.count() == 1

    def test_out_of_order_webhooks(self, citizen_api, person, django_capture_on_commit_callbacks):
        payment, _ = start(citizen_api, person, 50004)
        # when "captured" arrives before "authorised"
        press(payment, "pay", django_capture_on_commit_callbacks)
        # then the late "authorised" does not move the payment backwards
        result = read(citizen_api, payment)
        assert result["status"] == "success"
        assert states(result) == ["authorisation_submitted", "started", "success"]
        assert ProviderEvent.objects.filter(kind="payment.authorised").get().outcome == "no change"

    def test_payer_cancels_at_the_checkout(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        payment, _ = start(citizen_api, person, 50000)
        press(payment, "cancel", django_capture_on_commit_callbacks)
        result = read(citizen_api, payment)
        assert (result["status"], result["failure_code"]) == ("failed", "P0030")

    def test_payer_is_sent_back_to_the_service(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        bill = BillFactory.create(payer=person)
        payment = pay(
            citizen_api, body_for(bill, return_url="https://app.example.org/paid?x=1")
        ).json()
        page = press(payment, "pay", django_capture_on_commit_callbacks)
        assert page.status_code == 302
        assert page["Location"] == f"https://app.example.org/paid?x=1&payment={payment['id']}"

    def test_the_checkout_page_can_be_used_once(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        payment, _ = start(citizen_api, person, 50000)
        press(payment, "pay", django_capture_on_commit_callbacks)
        press(payment, "pay", django_capture_on_commit_callbacks)
        assert ProviderEvent.objects.count() == 1
        assert Receipt.objects.count() == 1

    def test_a_success_after_a_decline_report_never_goes_back(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        # given a successful payment
        payment, _ = start(citizen_api, person, 50000)
        press(payment, "pay", django_capture_on_commit_callbacks)
        attempt = PaymentAttempt.objects.get()
        before = everything()
        # when reports of other outcomes arrive late
        for outcome in ("declined", "expired", "cancelled", "error", "authorised"):
            body, headers = sandbox.sandbox_webhook(attempt.provider_ref, outcome)
            with django_capture_on_commit_callbacks(execute=True):
                assert send_webhook(APIClient(), body, headers).status_code == 200
        # then the payment is still a success and nothing else changed
        assert read(citizen_api, payment)["status"] == "success"
        after = everything()
        assert after.pop("provider_events") == before.pop("provider_events") + 5
        assert after == before


@pytest.mark.django_db
class TestWebhookEndpoint:
    @pytest.fixture
    def attempt(self, citizen_api, person) -> PaymentAttempt:
        start(citizen_api, person, 50000)
        return PaymentAttempt.objects.get()

    @pytest.mark.parametrize(
        "forge",
        [
            lambda body, headers: (body, {sandbox.SIGNATURE_HEADER: "0" * 64}),
            lambda body, headers: (body.replace(b"50000", b"50001"), headers),
            lambda body, headers: (body, {}),
        ],
        ids=["wrong signature", "body changed after signing", "no signature"],
    )
    def test_a_bad_signature_is_refused_and_nothing_changes(
        self, attempt, forge, django_capture_on_commit_callbacks
    ):
        # given
        body, headers = forge(*sandbox.sandbox_webhook(attempt.provider_ref, "captured"))
        before = everything()
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = send_webhook(APIClient(), body, headers)
        # then
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "webhook_signature_invalid"
        assert everything() == before

    def test_a_webhook_signed_with_another_secret_is_refused(
        self, attempt, django_capture_on_commit_callbacks
    ):
        body, headers = sandbox.sandbox_webhook(attempt.provider_ref, "captured", secret="guess")
        before = everything()
        response = send_webhook(APIClient(), body, headers)
        assert response.json()["code"] == "webhook_signature_invalid"
        assert everything() == before

    def test_a_signed_but_malformed_body_is_refused(self, attempt):
        body = b'{"not": "an event"}'
        headers = {sandbox.SIGNATURE_HEADER: sandbox._sign(body)}
        response = send_webhook(APIClient(), body, headers)
        assert response.status_code == 400
        assert ProviderEvent.objects.count() == 0

    def test_an_event_is_stored_once(self, attempt, django_capture_on_commit_callbacks):
        body, headers = sandbox.sandbox_webhook(attempt.provider_ref, "captured", event_id="evt_1")
        with django_capture_on_commit_callbacks(execute=True):
            first = send_webhook(APIClient(), body, headers)
        with django_capture_on_commit_callbacks(execute=True) as queued:
            again = send_webhook(APIClient(), body, headers)
        assert first.json() == {"received": True, "duplicate": False}
        assert again.json() == {"received": True, "duplicate": True}
        assert queued == []  # the repeat queues no processing
        event = ProviderEvent.objects.get()
        assert (event.provider, event.event_id, event.kind) == (
            "sandbox",
            "evt_1",
            "payment.captured",
        )
        assert event.payload["event"] == json.loads(body)
        assert event.processed_at is not None

    def test_an_unknown_provider_is_a_404(self, attempt):
        body, headers = sandbox.sandbox_webhook(attempt.provider_ref, "captured")
        assert send_webhook(APIClient(), body, headers, provider="acme").status_code == 404

    def test_a_webhook_for_no_known_payment_is_stored_and_ignored(
        self, attempt, django_capture_on_commit_callbacks
    ):
        body, headers = sandbox.sandbox_webhook(
            "sbx_unknown", "captured", amount_minor=100, currency="THB"
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert send_webhook(APIClient(), body, headers).status_code == 200
        assert ProviderEvent.objects.get().outcome == "ignored: no payment with this reference"

    def test_processing_twice_changes_nothing(self, attempt, django_capture_on_commit_callbacks):
        from payments.tasks import process_provider_event_task

        body, headers = sandbox.sandbox_webhook(attempt.provider_ref, "captured")
        with django_capture_on_commit_callbacks(execute=True):
            send_webhook(APIClient(), body, headers)
        event = ProviderEvent.objects.get()
        before = everything()
        assert process_provider_event_task.delay(event_id=event.pk).get() == "nothing to do"
        assert everything() == before


@pytest.mark.django_db
class TestSandboxRefunds:
    def test_refunds_up_to_the_captured_amount(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        payment, _ = start(citizen_api, person, 50000)
        press(payment, "pay", django_capture_on_commit_callbacks)
        ref = PaymentAttempt.objects.get().provider_ref
        provider = sandbox.SandboxProvider()
        first = provider.refund(
            provider_ref=ref, amount_minor=30000, currency="THB", reference="r1"
        )
        again = provider.refund(
            provider_ref=ref, amount_minor=30000, currency="THB", reference="r1"
        )
        too_much = provider.refund(
            provider_ref=ref, amount_minor=30000, currency="THB", reference="r2"
        )
        scripted = provider.refund(
            provider_ref=ref, amount_minor=1009, currency="THB", reference="r3"
        )
        assert (first.outcome, again.provider_ref) == ("success", first.provider_ref)
        assert too_much.outcome == "failed"
        assert scripted.outcome == "failed"

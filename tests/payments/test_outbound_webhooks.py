"""Outbound webhooks: who is told of an event, the signed body, the retry schedule and its log,
the sweeper, "retry now", the subscriptions API and the admin screens.

Nothing leaves the machine: the sender is replaced, or a small HTTP server listens on
127.0.0.1 inside the test; a guard refuses any other address."""

import hashlib
import hmac
import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from identity.actions.clients import create_api_client, revoke_api_client
from identity.models import Membership
from payments.actions import webhooks
from payments.models import WebhookDelivery, WebhookSubscription
from payments.refund_tasks import deliver_webhook_task, send_due_webhooks_task
from tests.conftest import sign_in_to_admin
from tests.factories import AgencyFactory, BillerFactory, MembershipFactory
from tests.payments import test_refunds_api as shared
from tests.payments.test_refunds_api import make_captured_payment, refund

fake_provider = shared.fake_provider  # the fixture

PAYMENT = {"payment": {"id": "p-1", "biller": "water", "amount_minor": 100, "currency": "THB"}}


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch):
    """The real sender may reach 127.0.0.1 only."""
    real_open = webhooks._opener.open

    def guarded(request, *args, **kwargs):
        host = urlsplit(request.full_url).hostname
        assert host == "127.0.0.1", f"a test tried to reach {host}"
        return real_open(request, *args, **kwargs)

    monkeypatch.setattr(webhooks._opener, "open", guarded)


class Endpoint:
    """Replaces the sender: answers with the scripted statuses (an exception is raised)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def __call__(self, *, url, body, headers):
        self.sent.append({"url": url, "body": body, "headers": headers})
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def endpoint(monkeypatch):
    def install(*answers):
        fake = Endpoint(*answers)
        monkeypatch.setattr(webhooks, "send_webhook_request", fake)
        return fake

    return install


@pytest.fixture
def biller(agency):
    return BillerFactory.create(code="water", agency=agency)


def subscribe(client, events=("payment.succeeded",), url="https://hooks.example.org/in", **kw):
    return WebhookSubscription.objects.create(
        client=client, url=url, events=list(events), secret="s3cret-signing-key", **kw
    )


def a_client(agency, name="Integrator"):
    return create_api_client(agency=agency, name=name, scopes=[]).client


def due_now(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


# --- who is told --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_goes_to_subscribed_clients_that_may_see_the_biller(
    biller, agency, other_agency, django_capture_on_commit_callbacks, endpoint
):
    # given
    fake = endpoint()
    own = subscribe(a_client(agency, "agency system"))
    biller_client = a_client(AgencyFactory.create(), "biller's own integrator")
    biller.api_client = biller_client
    biller.save()
    pushes_bills = subscribe(biller_client, events=["payment.succeeded", "bill.paid"])
    subscribe(a_client(agency, "not interested"), events=["refund.succeeded"])
    subscribe(a_client(agency, "switched off"), is_active=False)
    revoked = a_client(agency, "revoked")
    subscribe(revoked)
    revoke_api_client(client=revoked)
    subscribe(a_client(other_agency, "another agency"))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = webhooks.emit_event("payment.succeeded", PAYMENT)
    # then
    assert sorted(d.subscription_id for d in deliveries) == sorted([own.pk, pushes_bills.pk])
    assert {d.event_type for d in deliveries} == {"payment.succeeded"}
    assert all(d.payload == PAYMENT for d in deliveries)
    assert len(fake.sent) == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.django_db
def test_event_naming_no_known_biller_tells_nobody(agency):
    subscribe(a_client(agency))
    assert webhooks.emit_event("payment.succeeded", {"payment": {"biller": "nope"}}) == []
    assert webhooks.emit_event("payment.succeeded", {"other": 1}) == []
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db
def test_unknown_event_type_is_a_programming_error(biller):
    with pytest.raises(ValueError, match="unknown event type"):
        webhooks.emit_event("payment.teleported", PAYMENT)


@pytest.mark.django_db
def test_nothing_is_sent_before_commit(biller, agency, endpoint):
    fake = endpoint()
    subscribe(a_client(agency))
    # when the transaction that emitted the event has not committed (the test's own)
    webhooks.emit_event("payment.succeeded", PAYMENT)
    # then
    assert fake.sent == []
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING


# --- the message --------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 204

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append((dict(self.headers), self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.status = 204
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Receiver
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_message_is_signed_json_posted_to_the_endpoint(
    biller, agency, receiver, django_capture_on_commit_callbacks
):
    # given an endpoint listening on this machine
    server, handler = receiver
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    subscribe(a_client(agency), url=url)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = webhooks.emit_event("payment.succeeded", PAYMENT)
    # then
    [(headers, body)] = handler.received
    expected = hmac.new(b"s3cret-signing-key", body, hashlib.sha256).hexdigest()
    assert headers["Signature"] == expected
    assert headers["Content-Type"] == "application/json"
    delivery.refresh_from_db()
    assert json.loads(body) == {
        "webhook_message_id": str(delivery.message_id),
        "event_type": "payment.succeeded",
        "created_at": delivery.created_at.isoformat(),
        "resource": PAYMENT,
    }
    assert body == webhooks.webhook_body(delivery)
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 204
    assert delivery.delivered_at is not None
    assert [(entry["attempt"], entry["status_code"], entry["error"]) for entry in delivery.log] == [
        (1, 204, "")
    ]


@pytest.mark.django_db
def test_an_error_status_from_a_real_endpoint_is_recorded(biller, agency, receiver):
    server, handler = receiver
    handler.status = 503
    subscribe(a_client(agency), url=f"http://127.0.0.1:{server.server_address[1]}/")
    [delivery] = webhooks.emit_event("payment.succeeded", PAYMENT)
    # when
    assert deliver_webhook_task(delivery_id=delivery.pk) == "pending"
    # then
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        1,
        503,
        "HTTP 503",
    )


@pytest.mark.django_db
def test_an_unreachable_endpoint_is_recorded(biller, agency):
    # given nothing listens on this port
    subscribe(a_client(agency), url="http://127.0.0.1:9/")
    [delivery] = webhooks.emit_event("payment.succeeded", PAYMENT)
    # when
    deliver_webhook_task(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith(("ConnectionRefusedError", "URLError"))


# --- retries ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retries_after_1_min_5_min_1_h_1_day_2_days_then_fails(biller, agency, endpoint):
    # given an endpoint that always fails
    fake = endpoint(500, 502, OSError("connection reset"), 404, 500, 500)
    subscribe(a_client(agency))
    [delivery] = webhooks.emit_event("payment.succeeded", PAYMENT)
    delays = []
    # when every attempt is made when due
    for _ in range(6):
        due_now(delivery)
        before = timezone.now()
        deliver_webhook_task(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        if delivery.status == WebhookDelivery.Status.PENDING:
            delays.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
    # then
    assert delays == [1, 5, 60, 24 * 60, 2 * 24 * 60]
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 6
    assert [(e["attempt"], e["status_code"], e["error"]) for e in delivery.log] == [
        (1, 500, "HTTP 500"),
        (2, 502, "HTTP 502"),
        (3, None, "OSError: connection reset"),
        (4, 404, "HTTP 404"),
        (5, 500, "HTTP 500"),
        (6, 500, "HTTP 500"),
    ]
    # and every attempt sent the same signed bytes
    assert len({sent["body"] for sent in fake.sent}) == 1
    assert len({sent["headers"]["Signature"] for sent in fake.sent}) == 1
    # and a failed delivery is not sent again
    due_now(delivery)
    assert deliver_webhook_task(delivery_id=delivery.pk) == "not due"
    assert len(fake.sent) == 6


@pytest.mark.django_db
def test_a_delivery_is_not_sent_before_it_is_due_nor_twice(biller, agency, endpoint):
    fake = endpoint(500)
    subscribe(a_client(agency))
    [delivery] = webhooks.emit_event("payment.succeeded", PAYMENT)
    deliver_webhook_task(delivery_id=delivery.pk)  # fails; next attempt in a minute
    # when the task is delivered again at once (a redelivered message)
    assert deliver_webhook_task(delivery_id=delivery.pk) == "not due"
    # then
    assert len(fake.sent) == 1
    # and once delivered, never again
    due_now(delivery)
    assert deliver_webhook_task(delivery_id=delivery.pk) == "delivered"
    due_now(delivery)
    assert deliver_webhook_task(delivery_id=delivery.pk) == "not due"
    assert len(fake.sent) == 2


@pytest.mark.django_db
def test_sweeper_sends_due_deliveries_including_lost_ones(biller, agency, endpoint):
    # given three deliveries: one due (its task was lost), one scheduled later, one delivered
    fake = endpoint()
    subscribe(a_client(agency))
    lost, later, done = (webhooks.emit_event("payment.succeeded", PAYMENT)[0] for _ in range(3))
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=3)
    )
    WebhookDelivery.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    WebhookDelivery.objects.filter(pk=done.pk).update(status=WebhookDelivery.Status.DELIVERED)
    # when (tasks run in-process in tests)
    assert send_due_webhooks_task() == 1
    # then
    assert len(fake.sent) == 1
    assert json.loads(fake.sent[0]["body"])["webhook_message_id"] == str(lost.message_id)
    assert send_due_webhooks_task() == 0


# --- refund.succeeded, end to end --------------------------------------------------------------


@pytest.mark.django_db
def test_a_refund_tells_the_agencys_integrator(
    fake_provider, biller, agency, person, endpoint, django_capture_on_commit_callbacks
):
    # given
    fake = endpoint()
    subscribe(a_client(agency), events=["refund.succeeded"])
    payment = make_captured_payment(biller=biller, payer=person)
    supervisor = MembershipFactory.create(agency=agency, role=Membership.Role.SUPERVISOR).user
    from tests.conftest import client_for

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = refund(client_for(supervisor), payment, 1200, 10000)
    # then
    assert response.status_code == 201
    [sent] = fake.sent
    message = json.loads(sent["body"])
    assert message["event_type"] == "refund.succeeded"
    assert message["resource"]["refund"] == {
        "refund_id": response.json()["id"],
        "payment_id": str(payment.public_id),
        "biller": "water",
        "amount_minor": 1200,
        "currency": "THB",
        "status": "success",
        "created_at": message["resource"]["refund"]["created_at"],
        "finished_at": message["resource"]["refund"]["finished_at"],
    }


# --- the subscriptions API ---------------------------------------------------------------------

SUBSCRIPTIONS = "/api/v1/webhook-subscriptions"


@pytest.mark.django_db
def test_integrator_subscribes_and_sees_the_secret_once(integrator):
    # given
    client = integrator("bills:write")
    # when
    response = client.post(
        SUBSCRIPTIONS,
        {"url": "https://hooks.example.org/cp", "events": ["payment.succeeded", "bill.paid"]},
        format="json",
    )
    # then
    assert response.status_code == 201
    body = response.json()
    stored = WebhookSubscription.objects.get()
    assert body == {
        "id": stored.pk,
        "url": "https://hooks.example.org/cp",
        "events": ["payment.succeeded", "bill.paid"],
        "is_active": True,
        "created_at": body["created_at"],
        "secret": stored.secret,
    }
    assert len(stored.secret) >= 40
    assert stored.client == client.api_client
    # and the list does not show it again
    listed = client.get(SUBSCRIPTIONS).json()["results"]
    assert [set(item) for item in listed] == [{"id", "url", "events", "is_active", "created_at"}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"url": "http://hooks.example.org/", "events": ["bill.paid"]}, ["url"]),
        ({"url": "https://hooks.example.org/", "events": ["bill.eaten"]}, ["events.0"]),
        ({"url": "https://hooks.example.org/", "events": []}, ["events"]),
    ],
)
def test_bad_subscriptions_are_refused(integrator, body, fields):
    response = integrator().post(SUBSCRIPTIONS, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_webhook_subscription"
    assert [error["field"] for error in response.json()["errors"]] == fields
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
def test_integrators_see_and_stop_only_their_own_subscriptions(integrator, other_agency):
    mine, theirs = integrator(), integrator(for_agency=other_agency)
    own = subscribe(mine.api_client)
    other = subscribe(theirs.api_client)
    # when
    listed = mine.get(SUBSCRIPTIONS).json()["results"]
    refused = mine.delete(f"{SUBSCRIPTIONS}/{other.pk}")
    stopped = mine.delete(f"{SUBSCRIPTIONS}/{own.pk}")
    # then
    assert [item["id"] for item in listed] == [own.pk]
    assert refused.status_code == 404
    assert stopped.status_code == 204
    assert WebhookSubscription.objects.get(pk=own.pk).is_active is False
    assert WebhookSubscription.objects.get(pk=other.pk).is_active is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("api", 401), ("citizen_api", 403), ("officer_api", 403)]
)
def test_only_integrators_have_subscriptions(request, who, status):
    client = request.getfixturevalue(who)
    assert client.get(SUBSCRIPTIONS).status_code == status
    response = client.post(
        SUBSCRIPTIONS, {"url": "https://x.example.org/", "events": ["bill.paid"]}, format="json"
    )
    assert response.status_code == status
    assert WebhookSubscription.objects.count() == 0


# --- admin --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_creates_a_subscription_and_shows_the_generated_secret_once(admin_client, agency):
    # given
    client = a_client(agency)
    # when
    response = admin_client.post(
        "/admin/payments/webhooksubscription/add/",
        {"client": client.pk, "url": "https://hooks.example.org/x", "events": ["bill.paid"]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    stored = WebhookSubscription.objects.get()
    assert stored.events == ["bill.paid"]
    assert f"shown only now (give it to the integrator): {stored.secret}" in (
        response.content.decode()
    )
    assert (
        stored.secret
        not in admin_client.get(
            f"/admin/payments/webhooksubscription/{stored.pk}/change/"
        ).content.decode()
    )


@pytest.mark.django_db
def test_admin_refuses_a_plain_http_subscription(admin_client, agency):
    response = admin_client.post(
        "/admin/payments/webhooksubscription/add/",
        {
            "client": a_client(agency).pk,
            "url": "http://hooks.example.org/",
            "events": ["bill.paid"],
        },
    )
    assert response.status_code == 200
    assert "Use an https:// address." in response.content.decode()
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
def test_admin_shows_the_delivery_log_and_retries_now(
    client, biller, agency, endpoint, django_capture_on_commit_callbacks
):
    # given a delivery that failed for good, and a supervisor of the agency in the admin
    fake = endpoint(*([500] * 6), 200)
    subscribe(a_client(agency))
    [delivery] = webhooks.emit_event("payment.succeeded", PAYMENT)
    for _ in range(6):
        due_now(delivery)
        deliver_webhook_task(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    staff = MembershipFactory.create(agency=agency, role=Membership.Role.SUPERVISOR).user
    staff.user_permissions.add(*Permission.objects.filter(codename="view_webhookdelivery"))
    sign_in_to_admin(client, staff)
    page = client.get(f"/admin/payments/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert page.content.decode().count("<td>HTTP 500</td>") == 6
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/payments/webhookdelivery/",
            {"action": "retry_now", "_selected_action": [delivery.pk]},
            follow=True,
        )
    # then
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 7
    assert len(fake.sent) == 7


@pytest.mark.django_db
def test_staff_of_another_agency_do_not_see_the_deliveries(client, biller, agency, other_agency):
    subscribe(a_client(agency))
    [delivery] = webhooks.emit_event("payment.succeeded", PAYMENT)
    staff = MembershipFactory.create(agency=other_agency).user
    staff.user_permissions.add(*Permission.objects.filter(codename="view_webhookdelivery"))
    sign_in_to_admin(client, staff)
    listing = client.get("/admin/payments/webhookdelivery/")
    assert listing.status_code == 200
    assert str(delivery.message_id) not in listing.content.decode()
    assert client.get(f"/admin/payments/webhookdelivery/{delivery.pk}/change/").status_code == 302


def test_the_message_id_is_a_uuid():
    assert uuid.UUID(str(WebhookDelivery().message_id))

"""Outbound webhooks: events (`payment.succeeded`, `payment.failed`, `refund.succeeded`,
`bill.paid`) sent to the integrators that subscribed to them and may see them.

Delivery is at least once. `emit_event` writes one WebhookDelivery per subscription in the
caller's transaction and queues its task after commit; `deliver_webhook` POSTs the JSON body
signed with HMAC-SHA256 (header `Signature`, hex) and, when the endpoint does not answer 2xx,
schedules the next attempt after 1 min, 5 min, 1 h, 1 day and 2 days, then gives up. The beat
sweeper `send_due_webhooks_task` queues every pending delivery that is due, so a retry needs no
long countdown and a lost task is picked up again. Every attempt is appended to the delivery's
log, which the admin shows.
"""

import datetime
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError, NotFound, field_error
from identity.models import ApiClient
from payments.models import Biller, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

EVENT_TYPES = ("payment.succeeded", "payment.failed", "refund.succeeded", "bill.paid")
# After the first attempt fails, the next ones follow these delays; after the last, it failed.
RETRY_DELAYS = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(hours=1),
    datetime.timedelta(days=1),
    datetime.timedelta(days=2),
)
SEND_TIMEOUT_SECONDS = 5
# A worker that took a delivery holds it this long; if it dies, the sweeper sends it again.
CLAIM_LEASE = datetime.timedelta(minutes=2)
LOG_LIMIT = 50
SIGNATURE_HEADER = "Signature"


class InvalidWebhookSubscription(DomainError):
    status = 400
    code = "invalid_webhook_subscription"
    title = _("The webhook subscription cannot be saved as asked.")


# --- subscriptions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once, to the integrator who subscribes


def subscription_errors(url: str, events: list[str]) -> list[dict[str, Any]]:
    errors = []
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        errors.append(field_error("url", "https_required", _("Use an https:// address.")))
    if not events:
        errors.append(field_error("events", "required", _("Name at least one event.")))
    errors += [
        field_error(
            f"events.{position}",
            "unknown_event",
            _("Unknown event %(name)s.") % {"name": name},
        )
        for position, name in enumerate(events)
        if name not in EVENT_TYPES
    ]
    return errors


@transaction.atomic
def create_webhook_subscription(
    *, client: ApiClient, url: str, events: list[str], secret: str = ""
) -> IssuedSubscription:
    """An integrator subscribes an https endpoint to some event types; the signing secret is
    generated unless given, and returned only now."""
    errors = subscription_errors(url, events)
    if errors:
        raise InvalidWebhookSubscription(_("Correct the fields listed in errors."), errors=errors)
    secret = secret or secrets.token_urlsafe(32)
    subscription = WebhookSubscription.objects.create(
        client=client, url=url, events=list(dict.fromkeys(events)), secret=secret
    )
    return IssuedSubscription(subscription=subscription, secret=secret)


@transaction.atomic
def rotate_webhook_secret(*, subscription: WebhookSubscription) -> IssuedSubscription:
    """Replace the signing secret; deliveries sent from now on are signed with the new one."""
    secret = secrets.token_urlsafe(32)
    subscription.secret = secret
    subscription.save(update_fields=["secret"])
    return IssuedSubscription(subscription=subscription, secret=secret)


@transaction.atomic
def deactivate_webhook_subscription(*, subscription: WebhookSubscription) -> None:
    """Stop sending new events to this endpoint; deliveries already queued still go out."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)


# --- events -------------------------------------------------------------------------------------


def subscriptions_for(event_type: str, biller: Biller) -> list[WebhookSubscription]:
    """Active subscriptions to this event of the clients that may see the biller's events: the
    biller's own integrator and the API clients of the biller's agency."""
    audience = Q(client=biller.api_client_id) if biller.api_client_id else Q(pk__in=[])
    if biller.agency_id is not None:
        audience |= Q(client__agency=biller.agency_id)
    candidates = WebhookSubscription.objects.filter(
        audience,
        is_active=True,
        client__is_active=True,
        client__revoked_at__isnull=True,
    ).order_by("pk")
    # `events` is a JSON list; filtering in Python keeps this portable across databases.
    return [subscription for subscription in candidates if event_type in subscription.events]


def _biller_code(payload: dict[str, Any]) -> str | None:
    """The biller a payload names: {"biller": code} or {"biller": {"code": …}}, at the top or
    in the resource it wraps ({"payment": {"biller": code, …}})."""
    for candidate in (payload, *(value for value in payload.values() if isinstance(value, dict))):
        named = candidate.get("biller")
        code = named.get("code") if isinstance(named, dict) else named
        if isinstance(code, str):
            return code
    return None


@transaction.atomic
def emit_event(
    event_type: str, payload: dict[str, Any], *, biller: Biller | None = None
) -> list[WebhookDelivery]:
    """Record an event for every subscribed integrator allowed to see it, in the caller's
    transaction; each delivery is queued after commit. `payload` is the event's resource
    (plain JSON, e.g. {"payment": {…}}); the biller is `biller`, or the one the payload names."""
    from payments.refund_tasks import deliver_webhook_task  # the task module imports this one

    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if biller is None:
        code = _biller_code(payload)
        biller = Biller.objects.filter(code=code).first() if code else None
    if biller is None:
        logger.warning("Event %s names no known biller; nobody is told", event_type)
        return []
    resource = json.loads(json.dumps(payload, default=str))
    deliveries = [
        WebhookDelivery.objects.create(
            subscription=subscription, event_type=event_type, payload=resource
        )
        for subscription in subscriptions_for(event_type, biller)
    ]
    for delivery in deliveries:
        deliver_webhook_task.delay_on_commit(delivery_id=delivery.pk)
    return deliveries


# --- delivery -----------------------------------------------------------------------------------


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed): the same for every attempt of one delivery."""
    message = {
        "webhook_message_id": str(delivery.message_id),
        "event_type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(),
        "resource": delivery.payload,
    }
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()


def sign(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of the body: what the receiver recomputes to trust the message."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: the message is not re-sent somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def send_webhook_request(*, url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST the body; returns the HTTP status. Raises OSError when the endpoint cannot be
    reached. Tests replace this function: nothing here may leave the machine in a test."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=SEND_TIMEOUT_SECONDS) as response:
            response.read(1024)
            return int(response.status)
    except urllib.error.HTTPError as error:  # a non-2xx answer is an answer, not an outage
        return int(error.code)


def _claim(delivery_id: int, now: datetime.datetime) -> WebhookDelivery | None:
    """Take a due pending delivery for one send, so two workers never send it at once; the
    lease runs out if this worker dies, and the sweeper sends it again."""
    with transaction.atomic():
        taken = WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + CLAIM_LEASE)
    if taken != 1:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def deliver_webhook(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one due delivery once and record the attempt: 2xx → delivered; otherwise the next
    attempt is scheduled, or after the last one the delivery has failed. Returns None when the
    delivery is not due (delivered, failed, scheduled later, or being sent by another worker)."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    body = webhook_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "CityPortal-Webhooks/1",
        SIGNATURE_HEADER: sign(body, delivery.subscription.secret),
    }
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        status_code = send_webhook_request(
            url=delivery.subscription.url, body=body, headers=headers
        )
    except OSError as failure:  # refused, timed out, DNS, TLS: the endpoint is unreachable
        error = f"{type(failure).__name__}: {failure}"[:300]
    elapsed_ms = int((time.monotonic() - started) * 1000)
    return _record_attempt(delivery, status_code=status_code, error=error, elapsed_ms=elapsed_ms)


@transaction.atomic
def _record_attempt(
    delivery: WebhookDelivery, *, status_code: int | None, error: str, elapsed_ms: int
) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    attempt = delivery.attempts + 1
    delivered = status_code is not None and 200 <= status_code < 300
    if not delivered and not error:
        error = f"HTTP {status_code}"
    delivery.attempts = attempt
    delivery.last_status_code = status_code
    delivery.last_error = "" if delivered else error
    delivery.log = [
        *delivery.log,
        {
            "attempt": attempt,
            "at": now.isoformat(),
            "status_code": status_code,
            "error": "" if delivered else error,
            "duration_ms": elapsed_ms,
        },
    ][-LOG_LIMIT:]
    if delivered:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
    elif attempt <= len(RETRY_DELAYS):
        delivery.next_attempt_at = now + RETRY_DELAYS[attempt - 1]
    else:
        delivery.status = WebhookDelivery.Status.FAILED
        logger.warning("Webhook %s failed for good after %d attempts", delivery.pk, attempt)
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "last_error",
            "log",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def due_webhook_deliveries(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt is due (including those whose worker died
    while holding them), oldest first."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def retry_webhook_delivery_now(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Staff send a delivery again at once, even one that failed for good (it then gets one more
    attempt); a delivered one stays as it is."""
    from payments.refund_tasks import deliver_webhook_task  # the task module imports this one

    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return delivery
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    deliver_webhook_task.delay_on_commit(delivery_id=delivery.pk)
    return delivery


def subscriptions_of(client: ApiClient) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(client=client).order_by("-pk")


def subscription_of(client: ApiClient, pk: int) -> WebhookSubscription:
    found = subscriptions_of(client).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found

"""Refunds: partial or full, never more than was captured.

A refund is asked for by a supervisor of the biller's agency or by an integrator of that agency
holding the scope `refunds:write`. The caller sends the amount it believes is still refundable
(`refund_amount_available_minor`, as GOV.UK Pay does); a stale value is refused with 412, which
also makes a retried request after a crash harmless: the first one already reserved the money.

Under a row lock on the attempt, the refund is written as `submitted` and committed before the
provider is called, so submitted refunds count as reserved and concurrent requests can never
promise more than was captured (and `attempt.refunded_minor <= captured_minor` is a database
constraint behind that). The provider's answer: success → the refund succeeds, the attempt's
refunded amount grows, the ledger posts Dr refunds:<biller> / Cr clearing:<provider> and
`refund.succeeded` goes to subscribed integrators; pending → stays submitted until a webhook
says (`record_refund_outcome`); failed → failed, and the reservation is released.
"""

import datetime
import logging
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, DomainError, PermissionDenied, field_error
from identity.models import Agency, ApiClient, Membership, User
from payments import ledger
from payments.actions.webhooks import emit_event
from payments.models import PaymentAttempt, Refund
from payments.providers.base import ProviderError, provider_named
from payments.states import public_status

logger = logging.getLogger(__name__)

REFUNDS_WRITE = ApiClient.Scope.REFUNDS_WRITE.value
# A submitted refund the provider never acknowledged (the process died before or during the
# call) is sent again, with the same reference, after this long.
RESEND_AFTER = datetime.timedelta(minutes=5)


class RefundNotAllowed(PermissionDenied):
    code = "refund_not_allowed"
    title = _("Only a supervisor of the biller's agency, or its integrator, may refund.")


class PaymentNotRefundable(Conflict):
    code = "payment_not_refundable"
    title = _("Only a successful payment can be refunded.")


class InvalidRefundAmount(DomainError):
    status = 400
    code = "refund_amount_not_positive"
    title = _("A refund amount must be more than zero.")


class RefundAmountExceedsAvailable(DomainError):
    status = 400
    code = "refund_amount_exceeds_available"
    title = _("The refund is more than what remains refundable on this payment.")


class RefundAmountAvailableMismatch(DomainError):
    status = 412
    code = "refund_amount_available_mismatch"
    title = _("The refundable amount has changed since you read it.")


# --- who may see and who may refund -----------------------------------------------------------


def payments_visible_to(
    *, user: Any = None, client: ApiClient | None = None
) -> QuerySet[PaymentAttempt]:
    """Payments the caller may see: their own (as payer, or as the representative who paid),
    those of billers of the agencies where they work, and for an integrator those of its
    agency's billers and of the biller it pushes bills for."""
    attempts = PaymentAttempt.objects.select_related("biller")
    if client is not None:
        return attempts.filter(Q(biller__agency=client.agency_id) | Q(biller__api_client=client))
    if user is None or not user.is_authenticated:
        return attempts.none()
    return attempts.filter(
        Q(payer_user=user)
        | Q(payer__user=user)
        | Q(acting_representative__user=user)
        | Q(biller__agency__in=Agency.objects.filter(memberships__user=user))
    )


def may_refund(
    *, attempt: PaymentAttempt, user: Any = None, client: ApiClient | None = None
) -> bool:
    """A supervisor of the biller's agency, or an integrator holding refunds:write that belongs
    to that agency or pushes the biller's bills."""
    biller = attempt.biller
    if client is not None:
        return client.has_scope(REFUNDS_WRITE) and (
            (biller.agency_id is not None and client.agency_id == biller.agency_id)
            or biller.api_client_id == client.pk
        )
    if user is None or not user.is_authenticated or biller.agency_id is None:
        return False
    return Membership.objects.filter(
        user=user, agency=biller.agency_id, role=Membership.Role.SUPERVISOR
    ).exists()


def refunds_of(attempt: PaymentAttempt) -> QuerySet[Refund]:
    return Refund.objects.filter(attempt=attempt).select_related("attempt")


# --- amounts ------------------------------------------------------------------------------------


def _submitted_minor(attempt: PaymentAttempt) -> int:
    total = Refund.objects.filter(attempt=attempt, state=Refund.State.SUBMITTED).aggregate(
        total=Sum("amount_minor")
    )["total"]
    return int(total or 0)


def refund_amount_available(attempt: PaymentAttempt) -> int:
    """What may still be refunded: captured, less what was refunded and what is in flight."""
    if attempt.state != PaymentAttempt.State.SUCCESS:
        return 0
    return max(0, attempt.captured_minor - attempt.refunded_minor - _submitted_minor(attempt))


def refund_summary(attempt: PaymentAttempt) -> dict[str, Any]:
    """The refund state of a payment as the API shows it (GOV.UK Pay's refund_summary)."""
    submitted = _submitted_minor(attempt)
    available = refund_amount_available(attempt)
    if attempt.state != PaymentAttempt.State.SUCCESS or attempt.captured_minor == 0:
        status = "unavailable"
    elif available > 0:
        status = "available"
    elif submitted > 0:
        status = "pending"
    else:
        status = "full"
    return {
        "status": status,
        "currency": attempt.currency,
        "captured_minor": attempt.captured_minor,
        "refunded_minor": attempt.refunded_minor,
        "submitted_minor": submitted,
        "refund_amount_available_minor": available,
    }


# --- actions ------------------------------------------------------------------------------------


def lock_attempt(pk: int) -> PaymentAttempt:
    return PaymentAttempt.objects.select_for_update().select_related("biller").get(pk=pk)


def lock_refund(pk: int) -> Refund:
    return Refund.objects.select_for_update().get(pk=pk)


def request_refund(
    *,
    attempt: PaymentAttempt,
    amount_minor: int,
    refund_amount_available_minor: int,
    reason: str,
    user: User | None = None,
    client: ApiClient | None = None,
) -> Refund:
    """Refund part or all of a successful payment, no more than what remains refundable, on
    behalf of a supervisor or an integrator; the caller must know the current refundable amount.
    The refund is committed as submitted before the provider is asked, then its answer is
    recorded. Call it outside a transaction."""
    refund = _reserve_refund(
        attempt=attempt,
        amount_minor=amount_minor,
        refund_amount_available_minor=refund_amount_available_minor,
        reason=reason,
        user=user,
        client=client,
    )
    return submit_refund(refund=refund)


@transaction.atomic
def _reserve_refund(
    *,
    attempt: PaymentAttempt,
    amount_minor: int,
    refund_amount_available_minor: int,
    reason: str,
    user: User | None,
    client: ApiClient | None,
) -> Refund:
    if not may_refund(attempt=attempt, user=user, client=client):
        raise RefundNotAllowed()
    attempt = lock_attempt(attempt.pk)  # one refund decision at a time per payment
    if attempt.state != PaymentAttempt.State.SUCCESS or attempt.captured_minor == 0:
        raise PaymentNotRefundable(payment_status=public_status(attempt.state))
    if amount_minor <= 0:
        raise InvalidRefundAmount(
            errors=[field_error("amount_minor", "not_positive", InvalidRefundAmount.title)]
        )
    available = refund_amount_available(attempt)
    if refund_amount_available_minor != available:
        raise RefundAmountAvailableMismatch(
            _("Read the payment again and send the current refundable amount."),
            refund_amount_available_minor=available,
        )
    if amount_minor > available:
        raise RefundAmountExceedsAvailable(
            refund_amount_available_minor=available,
            errors=[
                field_error(
                    "amount_minor",
                    "exceeds_available",
                    _("At most %(available)d can be refunded.") % {"available": available},
                )
            ],
        )
    return Refund.objects.create(
        attempt=attempt,
        amount_minor=amount_minor,
        currency=attempt.currency,
        reason=reason.strip()[:300],
        requested_by=user,
        requested_by_client=client,
    )


def submit_refund(*, refund: Refund) -> Refund:
    """Ask the provider to pay a submitted refund back and record its answer. The refund's id is
    the provider reference, so sending it again (after a crash) does not refund twice."""
    attempt = PaymentAttempt.objects.get(pk=refund.attempt_id)
    try:
        result = provider_named(attempt.provider).refund(
            provider_ref=attempt.provider_ref,
            amount_minor=refund.amount_minor,
            currency=refund.currency,
            reference=str(refund.public_id),
        )
    except ProviderError as error:
        # The adapter's contract: no money moved that we know of. Reconciliation reports it
        # should the provider's settlement file say otherwise.
        logger.warning("Refund %s refused by the provider: %s", refund.public_id, error)
        return record_refund_outcome(refund=refund, outcome="failed")
    return record_refund_outcome(
        refund=refund, outcome=result.outcome, provider_ref=result.provider_ref
    )


@transaction.atomic
def record_refund_outcome(*, refund: Refund, outcome: str, provider_ref: str = "") -> Refund:
    """Apply what the provider says about a refund: "success", "pending" or "failed". Only a
    submitted refund changes; a repeated or late report changes nothing (never backwards).
    Called after the provider call, and by inbound webhook processing."""
    if outcome not in ("success", "pending", "failed"):
        raise ValueError(f"unknown refund outcome {outcome!r}")
    attempt = lock_attempt(refund.attempt_id)  # same lock order as _reserve_refund
    refund = lock_refund(refund.pk)
    if refund.state != Refund.State.SUBMITTED:
        if outcome != "pending" and outcome != refund.state:
            logger.warning(
                "Refund %s is %s; the provider now says %s", refund.public_id, refund.state, outcome
            )
        return refund
    if provider_ref and not refund.provider_ref:
        refund.provider_ref = provider_ref[:100]
    if outcome == "pending":
        refund.save(update_fields=["provider_ref"])
        return refund
    refund.finished_at = timezone.now()
    if outcome == "failed":
        refund.state = Refund.State.FAILED
        refund.save(update_fields=["provider_ref", "state", "finished_at"])
        return refund
    refund.state = Refund.State.SUCCESS
    refund.save(update_fields=["provider_ref", "state", "finished_at"])
    # The CheckConstraint refunded <= captured is the last defence should anything above fail.
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        refunded_minor=F("refunded_minor") + refund.amount_minor
    )
    ledger.post(
        kind="refund",
        currency=refund.currency,
        entries=[
            (ledger.refunds(attempt.biller, refund.currency), refund.amount_minor),
            (ledger.clearing(attempt.provider, refund.currency), -refund.amount_minor),
        ],
        memo=f"refund {refund.public_id} of payment {attempt.public_id}",
        attempt=attempt,
        refund=refund,
    )
    emit_event(
        "refund.succeeded", {"refund": refund_resource(refund, attempt)}, biller=attempt.biller
    )
    return refund


def refund_resource(refund: Refund, attempt: PaymentAttempt) -> dict[str, Any]:
    """A refund as outbound webhooks carry it."""
    return {
        "refund_id": str(refund.public_id),
        "payment_id": str(attempt.public_id),
        "biller": attempt.biller.code,
        "amount_minor": refund.amount_minor,
        "currency": refund.currency,
        "status": refund.state,
        "created_at": refund.created_at.isoformat(),
        "finished_at": refund.finished_at.isoformat() if refund.finished_at else None,
    }


def refund_in_full(*, attempt: PaymentAttempt, reason: str, user: User) -> Refund:
    """Staff refund whatever remains refundable on a payment (the admin's "refund in full")."""
    available = refund_amount_available(attempt)
    return request_refund(
        attempt=attempt,
        amount_minor=available,
        refund_amount_available_minor=available,
        reason=reason,
        user=user,
    )


def refund_by_provider_ref(*, provider: str, provider_ref: str) -> Refund | None:
    """The refund a provider's webhook names, for the inbound webhook processing."""
    if not provider_ref:
        return None
    return Refund.objects.filter(attempt__provider=provider, provider_ref=provider_ref).first()


def unacknowledged_refunds(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of submitted refunds the provider never answered for (no provider reference) after
    RESEND_AFTER: their process died around the provider call."""
    cutoff = (now or timezone.now()) - RESEND_AFTER
    return list(
        Refund.objects.filter(
            state=Refund.State.SUBMITTED, provider_ref="", created_at__lte=cutoff
        ).values_list("pk", flat=True)
    )


def resend_refund(*, refund_id: int) -> Refund | None:
    """Send a refund the provider never acknowledged again, with the same reference; one that
    has been answered meanwhile is left alone."""
    refund = Refund.objects.filter(
        pk=refund_id, state=Refund.State.SUBMITTED, provider_ref=""
    ).first()
    if refund is None:
        return None
    return submit_refund(refund=refund)

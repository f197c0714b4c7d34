"""Payments API: refunds and webhook subscriptions (HTTP only; rules live in
payments.actions.refunds and payments.actions.webhooks).

Refunds:   POST /payments/{id}/refunds — a supervisor of the biller's agency, or an integrator of
           that agency with the scope refunds:write; GET /payments/{id}/refunds,
           GET /payments/{id}/refunds/{refund_id} and GET /payments/{id}/refund-summary — also
           the payer and the staff of the biller's agency. A payment the caller may not see is a
           404, like one that does not exist.
Webhooks:  GET/POST /webhook-subscriptions, DELETE /webhook-subscriptions/{id} — integrators,
           for their own subscriptions; the signing secret is shown once, when created.
"""

from typing import Any, cast
from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF
from identity.models import ApiClient
from payments.actions import refunds as actions
from payments.actions import webhooks
from payments.models import PaymentAttempt, Refund, WebhookSubscription

MAX_MINOR = 10**15


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(PROBLEM_REF, description=description)


def _caller(request: Request) -> dict[str, Any]:
    if isinstance(request.auth, ApiClient):
        return {"user": None, "client": request.auth}
    return {"user": request.user, "client": None}


def _payment(request: Request, public_id: UUID) -> PaymentAttempt:
    return get_object_or_404(actions.payments_visible_to(**_caller(request)), public_id=public_id)


class MaySeeRefunds(BasePermission):
    """A logged-in account (what it sees is decided per payment), or an integrator holding
    refunds:write."""

    message = "This API client lacks the scope refunds:write."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiClient):
            return request.auth.has_scope(actions.REFUNDS_WRITE)
        return bool(request.user and request.user.is_authenticated)


class IsIntegrator(BasePermission):
    message = "Only an integrator (API client) has webhook subscriptions."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiClient)


# --- refunds ------------------------------------------------------------------------------------


class RefundIn(serializers.Serializer[Any]):
    amount_minor = serializers.IntegerField(
        min_value=-MAX_MINOR,
        max_value=MAX_MINOR,
        help_text="The amount to refund, in minor units of the payment's currency; more than 0.",
    )
    refund_amount_available_minor = serializers.IntegerField(
        min_value=0,
        max_value=MAX_MINOR,
        help_text="What you believe may still be refunded (GET …/refund-summary). A stale value "
        "is refused with 412 refund_amount_available_mismatch.",
    )
    reason = serializers.CharField(max_length=300)


class RefundOut(serializers.ModelSerializer[Refund]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    payment_id = serializers.UUIDField(source="attempt.public_id", read_only=True)
    status = serializers.ChoiceField(
        source="state",
        choices=Refund.State.choices,
        read_only=True,
        help_text="submitted (waiting for the provider), success or failed.",
    )

    class Meta:
        model = Refund
        fields = [
            "id",
            "payment_id",
            "amount_minor",
            "currency",
            "status",
            "reason",
            "created_at",
            "finished_at",
        ]


class RefundSummaryOut(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=["available", "pending", "full", "unavailable"],
        help_text="available: something may be refunded; pending: the rest is being refunded; "
        "full: refunded in full; unavailable: the payment did not succeed.",
    )
    currency = serializers.CharField()
    captured_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    submitted_minor = serializers.IntegerField()
    refund_amount_available_minor = serializers.IntegerField()


class PaymentRefundsView(ListAPIView[Refund]):
    """Refunds of one payment, newest first; POST refunds part or all of it."""

    permission_classes = [MaySeeRefunds]
    serializer_class = RefundOut

    def get_queryset(self) -> QuerySet[Refund]:
        payment = _payment(self.request, self.kwargs["public_id"])
        return actions.refunds_of(payment)

    @extend_schema(summary="List the refunds of a payment")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Refund a payment, in part or in full",
        description="For a supervisor of the biller's agency, or an integrator of that agency "
        "with the scope refunds:write. The refund is answered with its status: success, failed, "
        "or submitted while the provider has not decided yet (a `refund.succeeded` webhook "
        "follows).",
        request=RefundIn,
        responses={
            201: RefundOut,
            (400, PROBLEM_CONTENT_TYPE): _problem(
                "Invalid fields; or refund_amount_not_positive, refund_amount_exceeds_available."
            ),
            (403, PROBLEM_CONTENT_TYPE): _problem(
                "Not a supervisor of the biller's agency, or an integrator without "
                "refunds:write (refund_not_allowed)."
            ),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "The payment did not succeed (payment_not_refundable); or the Idempotency-Key "
                "was reused or is in progress."
            ),
            (412, PROBLEM_CONTENT_TYPE): _problem(
                "refund_amount_available_minor is stale (refund_amount_available_mismatch); "
                "the problem carries the current refund_amount_available_minor."
            ),
        },
    )
    @idempotent(required=True, atomic=False)  # the provider is called after the refund commits
    def post(self, request: Request, public_id: UUID, *args: Any, **kwargs: Any) -> Response:
        payment = _payment(request, public_id)
        given = RefundIn(data=request.data)
        given.is_valid(raise_exception=True)
        refund = actions.request_refund(attempt=payment, **given.validated_data, **_caller(request))
        refund = Refund.objects.select_related("attempt").get(pk=refund.pk)
        location = reverse(
            "payments:payment-refund",
            kwargs={"version": kwargs.get("version", "v1"), "public_id": public_id,
                    "refund_id": refund.public_id},
        )  # fmt: skip
        return Response(
            RefundOut(refund).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class PaymentRefundView(APIView):
    permission_classes = [MaySeeRefunds]

    @extend_schema(summary="Read one refund of a payment", responses={200: RefundOut})
    def get(
        self, request: Request, public_id: UUID, refund_id: UUID, *args: Any, **kwargs: Any
    ) -> Response:
        payment = _payment(request, public_id)
        refund = get_object_or_404(actions.refunds_of(payment), public_id=refund_id)
        return Response(RefundOut(refund).data)


class PaymentRefundSummaryView(APIView):
    permission_classes = [MaySeeRefunds]

    @extend_schema(
        summary="What may still be refunded on a payment",
        description="Send refund_amount_available_minor back with the next refund.",
        responses={200: RefundSummaryOut},
    )
    def get(self, request: Request, public_id: UUID, *args: Any, **kwargs: Any) -> Response:
        payment = _payment(request, public_id)
        return Response(RefundSummaryOut(actions.refund_summary(payment)).data)


# --- webhook subscriptions ----------------------------------------------------------------------


class WebhookSubscriptionOut(serializers.ModelSerializer[WebhookSubscription]):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(webhooks.EVENT_TYPES)), read_only=True
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "created_at"]


class WebhookSubscriptionCreatedOut(WebhookSubscriptionOut):
    secret = serializers.SerializerMethodField(
        help_text="The HMAC-SHA256 signing key of the Signature header; shown only now."
    )

    class Meta(WebhookSubscriptionOut.Meta):
        fields = [*WebhookSubscriptionOut.Meta.fields, "secret"]

    def get_secret(self, subscription: WebhookSubscription) -> str:
        return cast(str, self.context["secret"])


class WebhookSubscriptionIn(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=500, help_text="An https:// endpoint.")
    events = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=len(webhooks.EVENT_TYPES),
        help_text="Any of " + ", ".join(webhooks.EVENT_TYPES) + ".",
    )


class WebhookSubscriptionListView(ListAPIView[WebhookSubscription]):
    """My webhook subscriptions, newest first; POST subscribes an endpoint."""

    permission_classes = [IsIntegrator]
    serializer_class = WebhookSubscriptionOut

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return webhooks.subscriptions_of(cast(ApiClient, self.request.auth))

    @extend_schema(summary="List my webhook subscriptions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Subscribe an endpoint to events",
        description="Events of the billers of your agency (and of the biller you push bills "
        "for) are POSTed as JSON {webhook_message_id, event_type, created_at, resource} with "
        "the header Signature: hex HMAC-SHA256 of the body under the secret returned here. "
        "Delivery is at least once (dedupe on webhook_message_id), retried after 1 min, 5 min, "
        "1 h, 1 day and 2 days.",
        request=WebhookSubscriptionIn,
        responses={
            201: WebhookSubscriptionCreatedOut,
            (400, PROBLEM_CONTENT_TYPE): _problem(
                "Invalid fields, or invalid_webhook_subscription (not https, unknown event)."
            ),
        },
    )
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = WebhookSubscriptionIn(data=request.data)
        given.is_valid(raise_exception=True)
        issued = webhooks.create_webhook_subscription(
            client=cast(ApiClient, request.auth), **given.validated_data
        )
        return Response(
            WebhookSubscriptionCreatedOut(
                issued.subscription, context={"secret": issued.secret}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class WebhookSubscriptionDetailView(APIView):
    permission_classes = [IsIntegrator]

    @extend_schema(summary="Stop a webhook subscription", responses={204: None})
    def delete(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        subscription = webhooks.subscription_of(cast(ApiClient, request.auth), pk)
        webhooks.deactivate_webhook_subscription(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern | URLResolver] = [
    path("payments/<uuid:public_id>/refunds", PaymentRefundsView.as_view(), name="payment-refunds"),
    path(
        "payments/<uuid:public_id>/refunds/<uuid:refund_id>",
        PaymentRefundView.as_view(),
        name="payment-refund",
    ),
    path(
        "payments/<uuid:public_id>/refund-summary",
        PaymentRefundSummaryView.as_view(),
        name="payment-refund-summary",
    ),
    path(
        "webhook-subscriptions",
        WebhookSubscriptionListView.as_view(),
        name="webhook-subscriptions",
    ),
    path(
        "webhook-subscriptions/<int:pk>",
        WebhookSubscriptionDetailView.as_view(),
        name="webhook-subscription",
    ),
]

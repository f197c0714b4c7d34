"""Payments API: payment attempts, their receipts, and the providers' inbound webhooks (HTTP only;
rules live in payments.actions.attempts).

Citizens:   POST/GET /payments, GET /payments/{id}, POST /payments/{id}/cancel,
            GET /payments/{id}/receipt, GET /payments/{id}/receipt.pdf.
Providers:  POST /payments/webhooks/{provider} — signed by the provider, no other authentication.
"""

from typing import Any, cast

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF
from cityportal.errors import Conflict
from identity.acting import resolve_acting
from identity.api.permissions import IsCitizen
from identity.models import Person
from payments.actions import attempts as actions
from payments.models import PaymentAttempt, Receipt
from payments.receipts import render_receipt_pdf
from payments.states import PUBLIC_STATUS, public_status

PUBLIC_STATUSES = sorted(set(PUBLIC_STATUS.values()))


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(PROBLEM_REF, description=description)


def _person(request: Request) -> Person:
    return cast(Person, request.person)  # type: ignore[attr-defined]  # set by IsCitizen


# Serializers -------------------------------------------------------------------------------


class PaymentCreateInput(serializers.Serializer):
    bills = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=50,
        help_text="Ids of the bills to pay, all of one biller; the amount is spread over them in "
        "this order.",
    )  # fmt: skip
    amount_minor = serializers.IntegerField(
        min_value=1, help_text="In minor units (satang, cents)."
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217, the bills' currency.")
    return_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True,
        help_text="Where the provider's checkout page sends the payer back.",
    )  # fmt: skip

    def validate_bills(self, value: list[Any]) -> list[Any]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("A bill is listed twice.", code="duplicate_bill")
        return value


class BillerRefOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PaidBillOutput(serializers.Serializer):
    id = serializers.UUIDField(source="bill.public_id")
    number = serializers.CharField(source="bill.number")
    amount_minor = serializers.IntegerField(help_text="The part of the payment for this bill.")


class ReceiptOutput(serializers.Serializer):
    number = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    issued_at = serializers.DateTimeField()
    biller = BillerRefOutput()
    payment = serializers.UUIDField(source="attempt.public_id")


class ReceiptRefOutput(serializers.Serializer):
    number = serializers.CharField()
    issued_at = serializers.DateTimeField()


class PaymentOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.SerializerMethodField()
    finished = serializers.BooleanField()
    amount_minor = serializers.IntegerField()
    captured_minor = serializers.IntegerField()
    currency = serializers.CharField()
    biller = BillerRefOutput()
    bills = PaidBillOutput(source="allocations", many=True)
    checkout_url = serializers.SerializerMethodField()
    return_url = serializers.CharField()
    failure_code = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=PUBLIC_STATUSES))
    def get_status(self, attempt: PaymentAttempt) -> str:
        return public_status(attempt.state)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_checkout_url(self, attempt: PaymentAttempt) -> str | None:
        """The provider's page, while the payer can still use it."""
        if attempt.state != PaymentAttempt.State.STARTED or not attempt.checkout_url:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(attempt.checkout_url) if request else attempt.checkout_url

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="P0010 rejected, P0020 expired, P0030 cancelled by the payer at the "
            "provider, P0040 cancelled, P0050 provider or system error.",
        )
    )
    def get_failure_code(self, attempt: PaymentAttempt) -> str | None:
        return attempt.failure_code or None

    @extend_schema_field(ReceiptRefOutput(allow_null=True))
    def get_receipt(self, attempt: PaymentAttempt) -> dict[str, Any] | None:
        try:
            receipt = attempt.receipt
        except Receipt.DoesNotExist:
            return None
        return cast(dict[str, Any], ReceiptRefOutput(receipt).data)


class TimelineEntryOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.SerializerMethodField()
    state = serializers.CharField(source="to_state", help_text="The internal state.")
    event = serializers.CharField()

    @extend_schema_field(serializers.ChoiceField(choices=PUBLIC_STATUSES))
    def get_status(self, event: Any) -> str:
        return public_status(event.to_state)


class PaymentDetailOutput(PaymentOutput):
    timeline = TimelineEntryOutput(source="events", many=True)


class WebhookAckOutput(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()


def _output(request: Request, attempt: PaymentAttempt, *, detail: bool = False) -> Any:
    serializer = PaymentDetailOutput if detail else PaymentOutput
    return serializer(attempt, context={"request": request}).data


def _mine(request: Request) -> Any:
    return actions.payments_of(_person(request))


# Views -----------------------------------------------------------------------------------------


class PaymentListCreateView(ListAPIView):
    """The citizen's payments, newest first; and paying bills."""

    permission_classes = [IsCitizen]
    serializer_class = PaymentOutput

    def get_queryset(self) -> Any:
        return _mine(self.request)

    @extend_schema(summary="List my payments")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Pay one or more bills of one biller",
        description=(
            "Creates a payment attempt and a checkout page at the payment provider; send the "
            "payer to `checkout_url`. A bill has at most one unfinished payment: asking again "
            "for exactly the same bills answers 200 with the open payment."
        ),
        request=PaymentCreateInput,
        parameters=[
            OpenApiParameter(
                "X-Acting-For",
                str,
                OpenApiParameter.HEADER,
                description="person:<id> or business:<id>: pay for them under an active "
                "mandate with the scope payments (GET /api/v1/identity/mandates).",
            )
        ],
        responses={
            201: PaymentOutput,
            200: OpenApiResponse(PaymentOutput, description="The open payment for these bills."),
            (400, PROBLEM_CONTENT_TYPE): _problem(
                "bill_not_found, bills_of_several_billers, currency_mismatch, "
                "amount_above_outstanding, amount_below_minimum, or invalid fields."
            ),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "bill_already_paid, bill_not_payable, bill_has_open_payment (another payment "
                "holds one of the bills), or an Idempotency-Key conflict."
            ),
        },
    )
    @idempotent(required=True, atomic=False)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = PaymentCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        # X-Acting-For: a parent pays as their child, a director as their business; the attempt
        # records both the party and the representative.
        acting = resolve_acting(request, scope="payments")
        party = acting if acting is not None and acting.is_representing else None
        started = actions.start_payment(
            payer=party.person if party and party.person else _person(request),
            acting_representative=party.representative if party else None,
            payer_business=party.business if party else None,
            user=request.user,
            bill_ids=data["bills"],
            amount_minor=data["amount_minor"],
            currency=data["currency"],
            return_url=data.get("return_url", ""),
        )
        attempt = _mine(request).get(pk=started.attempt.pk)
        return Response(
            _output(request, attempt),
            status=status.HTTP_201_CREATED if started.is_new else status.HTTP_200_OK,
            headers={"Location": f"{request.path.rstrip('/')}/{attempt.public_id}"},
        )


class PaymentDetailView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        summary="Read one of my payments, with its timeline", responses={200: PaymentDetailOutput}
    )
    def get(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        attempt = get_object_or_404(_mine(request).prefetch_related("events"), public_id=public_id)
        return Response(_output(request, attempt, detail=True))


class PaymentCancelView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        summary="Cancel my unfinished payment",
        description="If the provider captured the payment meanwhile, it ends in success instead.",
        request=None,
        responses={
            200: PaymentOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "payment_finished, or payment_state_conflict (the provider is being asked "
                "something else right now: retry shortly)."
            ),
        },
    )
    def post(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        attempt = get_object_or_404(_mine(request), public_id=public_id)
        actions.cancel_payment(attempt=attempt, payer=_person(request))
        return Response(_output(request, _mine(request).get(pk=attempt.pk)))


class PaymentReceiptView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        summary="The receipt of my successful payment",
        responses={200: ReceiptOutput},
    )
    def get(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        receipt = get_object_or_404(
            Receipt.objects.select_related("biller", "attempt"),
            attempt__in=_mine(request),
            attempt__public_id=public_id,
        )
        return Response(ReceiptOutput(receipt).data)


class ReceiptNotIssued(Conflict):
    code = "receipt_not_issued"
    title = _("This payment has no receipt: only a successful payment has one.")


class JsonErrorsWhateverAccept(BaseContentNegotiation):
    """The view answers a PDF itself; errors are problem JSON whatever `Accept` says, so that
    `Accept: application/pdf` is not refused with 406."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class PaymentReceiptPdfView(APIView):
    permission_classes = [IsCitizen]
    content_negotiation_class = JsonErrorsWhateverAccept

    @extend_schema(
        summary="The receipt of my successful payment, as a PDF",
        description="In the language of `Accept-Language` (en, th, zh-hans).",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (404, PROBLEM_CONTENT_TYPE): _problem("No such payment of mine."),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "receipt_not_issued: the payment has not succeeded (yet)."
            ),
        },
    )
    def get(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        attempt = get_object_or_404(_mine(request), public_id=public_id)
        receipt = (
            Receipt.objects.select_related("biller__agency__jurisdiction", "attempt__payer")
            .filter(attempt=attempt)
            .first()
        )
        if receipt is None:
            raise ReceiptNotIssued()
        pdf = render_receipt_pdf(receipt, request.LANGUAGE_CODE)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{receipt.number}.pdf"'
        return response


class ProviderWebhookView(APIView):
    """Inbound webhooks of a payment provider. The provider's signature is the authentication:
    no session (so no CSRF), no throttle (providers retry on their own schedule)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        summary="Receive a payment provider's webhook",
        description=(
            "Verified with the provider's signature (sandbox: `Sandbox-Signature`, Stripe: "
            "`Stripe-Signature`), stored once per provider event id and processed in the "
            "background. A repeated event answers 200 and changes nothing."
        ),
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: WebhookAckOutput,
            (400, PROBLEM_CONTENT_TYPE): _problem(
                "webhook_signature_invalid: nothing was stored or changed."
            ),
        },
        auth=[],
    )
    def post(self, request: Request, provider: str, *args: Any, **kwargs: Any) -> Response:
        received = actions.receive_provider_webhook(
            provider_name=provider, body=request.body, headers=dict(request.headers)
        )
        return Response(
            WebhookAckOutput({"received": True, "duplicate": received.is_duplicate}).data
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path("payments", PaymentListCreateView.as_view(), name="payments"),
    path(
        "payments/webhooks/<slug:provider>",
        ProviderWebhookView.as_view(),
        name="provider-webhook",
    ),
    path("payments/<uuid:public_id>", PaymentDetailView.as_view(), name="payment"),
    path("payments/<uuid:public_id>/cancel", PaymentCancelView.as_view(), name="payment-cancel"),
    path("payments/<uuid:public_id>/receipt", PaymentReceiptView.as_view(), name="payment-receipt"),
    path(
        "payments/<uuid:public_id>/receipt.pdf",
        PaymentReceiptPdfView.as_view(),
        name="payment-receipt-pdf",
    ),
]

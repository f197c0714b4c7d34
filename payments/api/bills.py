"""Payments API: billers, linked accounts and bills (HTTP only; rules live in
payments.actions.bills and payments.queries).

Anyone signed in:  GET /billers (the catalogue a citizen links accounts from).
Citizens:          GET/POST /biller-accounts, GET/DELETE /biller-accounts/{id},
                   GET /bills, GET /bills/{id} (theirs, their linked accounts', and those of
                   whom they hold a mandate covering payments for).
A biller's integrator (scope bills:write, and the biller's own client): POST
                   /billers/{code}/bills, POST /billers/{code}/bills/{number}/cancel. Another
                   biller's code is "not found" to it.

Amounts are integers in minor units, with their ISO 4217 currency.
"""

import re
from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, UserRateThrottle
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF, VALIDATION_PROBLEM_REF
from identity.api.permissions import HasScope, IsCitizen
from identity.models import ApiClient, Person
from payments import queries
from payments.actions import bills as actions
from payments.models import Bill, Biller, BillerAccount, BillLine

BILLS_WRITE = ApiClient.Scope.BILLS_WRITE.value
# Far above any real bill, far below what a 64-bit column holds even summed over 100 lines.
MAX_AMOUNT_MINOR = 10**13
MAX_LINES = 100
# Bill numbers appear in URLs (…/bills/{number}/cancel): no slashes, no spaces.
BILL_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.]{0,59}")


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(PROBLEM_REF, description=description)


def _validation_problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(VALIDATION_PROBLEM_REF, description=description)


def _person(request: Request) -> Person:
    return cast(Person, request.person)  # type: ignore[attr-defined]  # set by IsCitizen


def _client(request: Request) -> ApiClient:
    return cast(ApiClient, request.auth)


# Serializers -------------------------------------------------------------------------------


class BillerSummaryOutput(serializers.Serializer[Biller]):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the language asked for with Accept-Language.")


class BillTypeRefOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class BillerOutput(serializers.ModelSerializer[Biller]):
    class Meta:
        model = Biller
        fields = ["code", "name", "kind", "currency", "account_check"]
        read_only_fields = fields


class ProofInput(serializers.Serializer[Any]):
    last_bill_amount_minor = serializers.IntegerField(
        min_value=1,
        max_value=MAX_AMOUNT_MINOR,
        help_text="The total of the account's most recent bill, in minor units.",
    )


class BillerAccountLinkInput(serializers.Serializer[Any]):
    biller: serializers.SlugRelatedField[Biller] = serializers.SlugRelatedField(
        slug_field="code", queryset=queries.active_billers()
    )
    account_number = serializers.CharField(max_length=40)
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        max_length=100, required=False, allow_blank=True, default=""
    )
    proof = ProofInput()

    def validate_account_number(self, value: str) -> str:
        number = actions.normalise_account_number(value)
        if not number:
            raise serializers.ValidationError(_("This field may not be blank."), code="blank")
        return number


class BillerAccountOutput(serializers.ModelSerializer[BillerAccount]):
    biller = BillerSummaryOutput(read_only=True)

    class Meta:
        model = BillerAccount
        fields = ["id", "biller", "account_number", "label", "linked_at"]
        read_only_fields = fields


class BillLineInput(serializers.Serializer[Any]):
    fee_type = serializers.CharField(max_length=60)
    period = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    amount_minor = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT_MINOR)


class BillPushInput(serializers.Serializer[Any]):
    number = serializers.CharField(
        max_length=60, help_text="Unique per biller: letters, digits and - _ . (no slashes)."
    )
    bill_type = serializers.SlugField(
        max_length=40, required=False, allow_null=True, help_text="A code of the biller's types."
    )
    account_number = serializers.CharField(max_length=40)
    lines = serializers.ListField(child=BillLineInput(), allow_empty=False, max_length=MAX_LINES)
    currency = serializers.CharField(
        max_length=3, min_length=3, help_text="ISO 4217; must be the biller's currency."
    )
    due_date = serializers.DateField()
    minimum_payable_minor = serializers.IntegerField(
        min_value=1,
        max_value=MAX_AMOUNT_MINOR,
        required=False,
        help_text="At most the total; the total when left out.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="After this the bill can no longer be paid."
    )

    def validate_number(self, value: str) -> str:
        if not BILL_NUMBER_PATTERN.fullmatch(value):
            raise serializers.ValidationError(
                _("Use up to 60 letters, digits and the characters - _ . (no spaces or slashes)."),
                code="invalid_bill_number",
            )
        return value

    def validate_currency(self, value: str) -> str:
        if not actions.CURRENCY_PATTERN.fullmatch(value):
            raise serializers.ValidationError(
                _("Use an ISO 4217 code: three capital letters, e.g. THB."),
                code="malformed_currency",
            )
        return value

    def validate_account_number(self, value: str) -> str:
        number = actions.normalise_account_number(value)
        if not number:
            raise serializers.ValidationError(_("This field may not be blank."), code="blank")
        return number


class BillCancelInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BillLineOutput(serializers.ModelSerializer[BillLine]):
    class Meta:
        model = BillLine
        fields = ["fee_type", "period", "description", "amount_minor"]
        read_only_fields = fields


class BillOutput(serializers.ModelSerializer[Bill]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    biller = BillerSummaryOutput(read_only=True)
    bill_type = BillTypeRefOutput(read_only=True, allow_null=True)
    outstanding_minor = serializers.IntegerField(
        read_only=True, help_text="What is still owed: total_minor - paid_minor."
    )

    class Meta:
        model = Bill
        fields = [
            "id",
            "number",
            "biller",
            "bill_type",
            "account_number",
            "source",
            "reference",
            "currency",
            "total_minor",
            "paid_minor",
            "outstanding_minor",
            "minimum_payable_minor",
            "due_date",
            "expires_at",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BillDetailOutput(BillOutput):
    lines = BillLineOutput(many=True, read_only=True)

    class Meta(BillOutput.Meta):
        fields = [*BillOutput.Meta.fields, "lines"]
        read_only_fields = fields


class BillFilterInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Bill.Status.choices, required=False)
    biller = serializers.SlugField(max_length=40, required=False)


# Throttling --------------------------------------------------------------------------------


class WrongAccountProofThrottle(UserRateThrottle):
    """Counts wrong proofs only, per citizen: whoever keeps guessing the amount of accounts' last
    bills is refused for a while, and linking with the right proof costs nothing. The rate
    is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["biller_account_proof"], 5 an hour if unset."""

    scope = "biller_account_proof"
    default_rate = "5/hour"
    duration: int
    num_requests: int

    def get_rate(self) -> str:
        return str(self.THROTTLE_RATES.get(self.scope) or self.default_rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method != "POST" or self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return True  # not counted yet: only a wrong proof is (record_wrong_proof)

    def record_wrong_proof(self) -> None:
        if getattr(self, "key", None) is None:  # allow_request did not count this request
            return
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


# Views: anyone signed in -------------------------------------------------------------------


class BillerListView(ListAPIView[Biller]):
    """The active billers, with the check each asks for to link an account."""

    permission_classes = [IsAuthenticated]
    serializer_class = BillerOutput
    pagination_class = None  # a short, bounded list

    def get_queryset(self) -> QuerySet[Biller]:
        return queries.active_billers()

    @extend_schema(summary="List billers")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# Views: citizens ---------------------------------------------------------------------------


class BillerAccountListView(ListAPIView[BillerAccount]):
    """GET: my linked accounts. POST: link an account, proved by the amount of its last bill."""

    permission_classes = [IsCitizen]
    serializer_class = BillerAccountOutput

    def get_queryset(self) -> QuerySet[BillerAccount]:
        return queries.biller_accounts_of(_person(self.request))

    def get_throttles(self) -> list[BaseThrottle]:
        # Kept, so that post() records a wrong proof in the same throttle that checked it.
        if not hasattr(self, "_throttles"):
            self._throttles = [*super().get_throttles(), WrongAccountProofThrottle()]
        return self._throttles

    @extend_schema(summary="List my linked biller accounts")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Link my account at a biller",
        description="The proof is the total of the account's most recent bill. A wrong amount, "
        "or an account without bills, is refused alike (422 account_proof_mismatch) and never "
        "tells the right amount; too many wrong proofs are refused with 429 for a while. "
        "Linking adopts the account's bills not yet billed to anyone, unless someone else "
        "linked the account too. 201 when linked; 200 when it already was.",
        request=BillerAccountLinkInput,
        responses={
            201: BillerAccountOutput,
            200: BillerAccountOutput,
            (422, PROBLEM_CONTENT_TYPE): _validation_problem(
                "The proof does not match (account_proof_mismatch), or the biller links "
                "accounts itself (account_linking_not_offered)."
            ),
        },
    )
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = BillerAccountLinkInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            linked = actions.link_biller_account(
                person=_person(request),
                biller=data["biller"],
                account_number=data["account_number"],
                last_bill_amount_minor=data["proof"]["last_bill_amount_minor"],
                label=data["label"],
            )
        except actions.AccountProofMismatch:
            for throttle in self.get_throttles():
                if isinstance(throttle, WrongAccountProofThrottle):
                    throttle.record_wrong_proof()
            raise
        body = BillerAccountOutput(linked.account).data
        if not linked.created:
            return Response(body)
        return Response(
            body,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{linked.account.pk}"},
        )


class BillerAccountDetailView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(summary="Read one of my linked accounts", responses={200: BillerAccountOutput})
    def get(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        account = get_object_or_404(queries.biller_accounts_of(_person(request)), pk=pk)
        return Response(BillerAccountOutput(account).data)

    @extend_schema(
        summary="Unlink one of my accounts",
        description="Its bills stop showing through the link; bills billed to me stay mine.",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        person = _person(request)
        account = get_object_or_404(queries.biller_accounts_of(person), pk=pk)
        actions.unlink_biller_account(person=person, account=account)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _bill_with_lines(queryset: QuerySet[Bill]) -> QuerySet[Bill]:
    return queryset.select_related("biller", "bill_type").prefetch_related("lines")


class BillListView(ListAPIView[Bill]):
    """Bills I may see and pay, newest first: mine, my linked accounts', and those of whom I
    hold a mandate covering payments for."""

    permission_classes = [IsCitizen]
    serializer_class = BillOutput

    def get_queryset(self) -> QuerySet[Bill]:
        given = BillFilterInput(data=self.request.query_params)
        given.is_valid(raise_exception=True)
        bills = queries.bills_visible_to(_person(self.request)).select_related(
            "biller", "bill_type"
        )
        if "status" in given.validated_data:
            bills = bills.filter(status=given.validated_data["status"])
        if "biller" in given.validated_data:
            bills = bills.filter(biller__code=given.validated_data["biller"])
        return bills

    @extend_schema(
        summary="List my bills",
        parameters=[
            OpenApiParameter("status", str, enum=Bill.Status.values, description="Only these."),
            OpenApiParameter("biller", str, description="Only this biller's (its code)."),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class BillDetailView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        summary="Read one of my bills, with its lines", responses={200: BillDetailOutput}
    )
    def get(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        bills = _bill_with_lines(queries.bills_visible_to(_person(request)))
        bill = get_object_or_404(bills, public_id=public_id)
        return Response(BillDetailOutput(bill).data)


# Views: billers' integrators ---------------------------------------------------------------


def _biller_of(request: Request, code: str) -> Biller:
    return get_object_or_404(queries.billers_pushed_by(_client(request)), code=code)


def _reload(bill: Bill) -> Bill:
    return _bill_with_lines(Bill.objects.all()).get(pk=bill.pk)


class BillPushView(APIView):
    permission_classes = [HasScope(BILLS_WRITE)]

    @extend_schema(
        summary="Send a bill",
        description="Only the biller's own integrator. Idempotent on (biller, number): the "
        "same bill sent again answers 200 with the stored one; other content under a used "
        "number is refused (409 bill_number_conflict) — a bill is never changed: cancel it and "
        "send the new one under a new number. The bill goes to the person who linked the "
        "account, if exactly one did; everyone who linked it sees it.",
        request=BillPushInput,
        responses={
            201: BillDetailOutput,
            200: BillDetailOutput,
            (409, PROBLEM_CONTENT_TYPE): _validation_problem(
                "Another bill with this number exists (bill_number_conflict)."
            ),
            (422, PROBLEM_CONTENT_TYPE): _validation_problem(
                "Not the biller's currency (currency_mismatch), a minimum payable above the "
                "total (minimum_payable_above_total), an unknown bill type (unknown_bill_type), "
                "an expiry in the past (invalid_expiry)."
            ),
        },
    )
    @idempotent()
    def post(self, request: Request, code: str, *args: Any, **kwargs: Any) -> Response:
        biller = _biller_of(request, code)
        given = BillPushInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        stored = actions.push_bill(
            biller=biller,
            number=data["number"],
            account_number=data["account_number"],
            lines=[actions.BillLineData(**line) for line in data["lines"]],
            currency=data["currency"],
            due_date=data["due_date"],
            minimum_payable_minor=data.get("minimum_payable_minor"),
            bill_type_code=data.get("bill_type"),
            expires_at=data.get("expires_at"),
        )
        body = BillDetailOutput(_reload(stored.bill)).data
        return Response(body, status=status.HTTP_201_CREATED if stored.created else 200)


class BillCancelView(APIView):
    permission_classes = [HasScope(BILLS_WRITE)]

    @extend_schema(
        summary="Cancel a bill nothing has been paid of",
        description="Its amount is written off. Cancelling a cancelled bill answers 200.",
        request=BillCancelInput,
        responses={
            200: BillDetailOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "Something is paid, or the bill is paid or expired (bill_not_cancellable); a "
                "payment is under way (bill_payment_in_progress)."
            ),
        },
    )
    def post(self, request: Request, code: str, number: str, *args: Any, **kwargs: Any) -> Response:
        biller = _biller_of(request, code)
        bill = get_object_or_404(Bill.objects.filter(biller=biller), number=number)
        given = BillCancelInput(data=request.data)
        given.is_valid(raise_exception=True)
        bill = actions.cancel_bill(bill=bill, reason=given.validated_data["reason"])
        return Response(BillDetailOutput(_reload(bill)).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("billers", BillerListView.as_view(), name="billers"),
    path("billers/<slug:code>/bills", BillPushView.as_view(), name="biller-bills"),
    path(
        "billers/<slug:code>/bills/<str:number>/cancel",
        BillCancelView.as_view(),
        name="biller-bill-cancel",
    ),
    path("biller-accounts", BillerAccountListView.as_view(), name="biller-accounts"),
    path("biller-accounts/<int:pk>", BillerAccountDetailView.as_view(), name="biller-account"),
    path("bills", BillListView.as_view(), name="bills"),
    path("bills/<uuid:public_id>", BillDetailView.as_view(), name="bill"),
]

"""Applications API (HTTP only; the rules live in services.actions.applications and
services.actions.reviews, who may see what in services.permissions).

Citizens (for themselves, or with X-Acting-For under a mandate covering `applications`):
    POST /uploads, GET /services/{code}/prefill,
    POST/GET /applications, GET/PATCH /applications/{id},
    POST /applications/{id}/submit, /withdraw, /review-request.
Officers of the agency offering the service:
    GET /applications, GET /applications/{id} (each read is in the applicant's access log),
    POST /applications/{id}/review.
"""

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF, VALIDATION_PROBLEM_REF
from identity.acting import HEADER as ACTING_HEADER
from identity.acting import Acting, resolve_acting
from identity.api.permissions import IsCitizen
from identity.models import AccessLogEntry, Person, User
from identity.queries import person_of
from services import permissions
from services.actions import applications as actions
from services.actions.reviews import OUTCOMES, record_staff_read, review_application
from services.actions.uploads import store_upload
from services.errors import ApplicationNotFound, ServiceNotOpen
from services.models import Application, ApplicationEvent, DecisionRecord, Evidence
from services.queries import MANDATE_SCOPE, applications_of_citizen, applications_of_staff

TAGS = ["applications"]
APPLICANT_ACTIONS = ["edit", "submit", "withdraw", "pay", "request_review"]
STAFF_ACTIONS = ["review"]
CHECK_RESULTS = ["pass", "fail", "missing", "error"]

ACTING_FOR = OpenApiParameter(
    ACTING_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="person:<id> or business:<id>: act for them under an active mandate covering "
    "`applications` (GET /api/v1/identity/mandates). Without it, the caller acts for themselves.",
)


JURISDICTION = OpenApiParameter(
    "jurisdiction",
    OpenApiTypes.STR,
    description="The jurisdiction's code, when several offer a service with this code.",
)


def _problem(description: str, ref: dict[str, str] = PROBLEM_REF) -> OpenApiResponse:
    return OpenApiResponse(ref, description=description)


# Who is calling --------------------------------------------------------------------------------


class IsCitizenOrStaff(BasePermission):
    """A citizen (request.person is set), or staff of an agency (request.person is None)."""

    message = "Only citizens and agency staff can read applications."

    def has_permission(self, request: Request, view: Any) -> bool:
        if permissions.is_staff_member(request.user):
            request.person = None  # type: ignore[attr-defined]
            return True
        person = person_of(request.user)
        request.person = person  # type: ignore[attr-defined]
        return person is not None


class IsStaff(BasePermission):
    message = "Only officers of an agency can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return permissions.is_staff_member(request.user)


def _person(request: Request) -> Person:
    return cast(Person, request.person)  # type: ignore[attr-defined]  # set by IsCitizen


def _acting(request: Request) -> Acting:
    """The party the citizen acts for: themselves, or the party of X-Acting-For."""
    if not request.headers.get(ACTING_HEADER):
        me = _person(request)
        acting = Acting(representative=me, mandate=None, person=me)
    else:
        found = resolve_acting(request, scope=MANDATE_SCOPE)
        assert found is not None  # noqa: S101 - IsCitizen found the caller's person
        acting = found
    # The account is at hand: the history records it as the actor without reading it again.
    acting.representative.user = cast(User, request.user)
    return acting


def _citizen_scope(request: Request) -> QuerySet[Application]:
    acting = _acting(request)
    if acting.is_representing:
        if acting.person is not None:
            return Application.objects.filter(applicant=acting.person)
        return Application.objects.filter(business=acting.business)
    return applications_of_citizen(acting.representative)


def _is_staff_request(request: Request) -> bool:
    return getattr(request, "person", None) is None


def _scope(request: Request) -> QuerySet[Application]:
    if _is_staff_request(request):
        return applications_of_staff(request.user)
    return _citizen_scope(request)


def _with_summary(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("service__jurisdiction", "bill", "applicant", "business")


def _with_detail(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return (
        _with_summary(queryset)
        .select_related("issued_credential__type")
        .prefetch_related(
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("at", "pk")),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related(
                    "requirement", "upload", "credential__type"
                ),
            ),
            Prefetch(
                "decisions",
                queryset=DecisionRecord.objects.order_by("-round"),
                to_attr="decisions_newest_first",
            ),
        )
    )


def _get(queryset: QuerySet[Application], public_id: Any) -> Application:
    application = queryset.filter(public_id=public_id).first()
    if application is None:
        raise ApplicationNotFound()
    return application


# Serializers -------------------------------------------------------------------------------


class EvidenceItemInput(serializers.Serializer):
    requirement = serializers.SlugField(
        max_length=40, help_text="The code of one of the service's evidence requirements."
    )
    upload = serializers.UUIDField(
        required=False, help_text="The id of a file uploaded with POST /api/v1/uploads."
    )
    credential = serializers.IntegerField(
        required=False, min_value=1, help_text="The id of a credential in the wallet."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("upload" in attrs) == ("credential" in attrs):
            raise serializers.ValidationError(
                "Give either an upload or a credential.", code="upload_or_credential"
            )
        return attrs


class ApplicationCreateInput(serializers.Serializer):
    service = serializers.SlugField(max_length=60, help_text="The service's code.")
    jurisdiction = serializers.SlugField(
        max_length=40, required=False,
        help_text="The jurisdiction's code, when several offer a service with this code.",
    )  # fmt: skip
    data = serializers.DictField(  # type: ignore[assignment]
        required=False, default=dict, help_text="The form, as the service's input_schema says."
    )
    evidence = serializers.ListField(child=EvidenceItemInput(), required=False, max_length=50)
    draft = serializers.BooleanField(
        required=False, default=False, help_text="Only store it; submit it later."
    )


class ApplicationChangeInput(serializers.Serializer):
    data = serializers.DictField(required=False, help_text="Replaces the form data.")  # type: ignore[assignment]
    evidence = serializers.ListField(
        child=EvidenceItemInput(), required=False, max_length=50,
        help_text="Replaces the evidence given for the same requirements.",
    )  # fmt: skip


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReviewRequestInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the automatic decision should be looked at again."
    )


class ReviewInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=list(OUTCOMES))
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="",
        help_text="Required to reject or return; the applicant reads it.",
    )  # fmt: skip


class ListFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Application.Status.choices, required=False)
    service = serializers.SlugField(max_length=60, required=False)


class ApplicationServiceOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    jurisdiction = serializers.CharField(source="jurisdiction.code")


class ApplicationPartyOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="person or business.")
    id = serializers.IntegerField(help_text="As in X-Acting-For: person:<id> or business:<id>.")
    name = serializers.CharField()


class ApplicationFeeOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text="Pay it with POST /api/v1/payments.")
    number = serializers.CharField()
    amount_minor = serializers.IntegerField(source="total_minor")
    paid_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField(help_text="As in the payments API's bills.")
    due_date = serializers.DateField()


class ApplicationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    service = ApplicationServiceOutput()
    party = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Application.Status.choices)
    round = serializers.IntegerField(help_text="1, and one more at each resubmission.")
    fee = ApplicationFeeOutput(source="bill", allow_null=True, help_text="The fee's bill, if any.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    allowed_actions = serializers.SerializerMethodField()

    @extend_schema_field(ApplicationPartyOutput)
    def get_party(self, application: Application) -> dict[str, Any]:
        if application.applicant is not None:
            party: Any = application.applicant
            kind = "person"
        else:
            party, kind = application.business, "business"
        return {"kind": kind, "id": party.pk, "name": str(party)}

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(APPLICANT_ACTIONS + STAFF_ACTIONS))
    )
    def get_allowed_actions(self, application: Application) -> list[str]:
        if self.context.get("as_staff"):
            return permissions.staff_actions(application)
        return permissions.applicant_actions(application)

    def to_representation(self, application: Application) -> dict[str, Any]:
        """The fields declared above, rendered directly: DRF would build (deep-copy) some
        thirty field objects for each application, a tenth of the CPU of applying and most of
        a list page's. A test pins this equal to DRF's rendering of the same fields."""
        service, bill = application.service, application.bill
        return {
            "id": str(application.public_id),
            "reference": application.reference,
            "service": {
                "code": service.code,
                "name": str(service.name),
                "jurisdiction": service.jurisdiction.code,
            },
            "party": self.get_party(application),
            "status": application.status,
            "round": application.round,
            "fee": None
            if bill is None
            else {
                "id": str(bill.public_id),
                "number": bill.number,
                "amount_minor": bill.total_minor,
                "paid_minor": bill.paid_minor,
                "currency": bill.currency,
                "status": bill.status,
                "due_date": bill.due_date.isoformat(),
            },
            "submitted_at": _moment(application.submitted_at),
            "decided_at": _moment(application.decided_at),
            "created_at": _moment(application.created_at),
            "updated_at": _moment(application.updated_at),
            "allowed_actions": self.get_allowed_actions(application),
        }


_MOMENT = serializers.DateTimeField()


def _moment(value: Any) -> Any:
    return None if value is None else _MOMENT.to_representation(value)


class ApplicationEventOutput(serializers.Serializer):
    locals()["from"] = serializers.CharField(
        source="from_status", help_text="Empty for the first status."
    )
    to = serializers.ChoiceField(source="to_status", choices=Application.Status.choices)
    at = serializers.DateTimeField()
    actor_kind = serializers.ChoiceField(choices=ApplicationEvent.ActorKind.choices)
    reason = serializers.CharField()


class DecisionCheckOutput(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    result = serializers.ChoiceField(choices=CHECK_RESULTS)
    values = serializers.DictField(help_text="The values the check read, by variable.")


class DecisionOutput(serializers.Serializer):
    round = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=DecisionRecord.Outcome.choices)
    reasons = serializers.ListField(child=serializers.CharField())
    rule_set_version = serializers.IntegerField(allow_null=True)
    checks = DecisionCheckOutput(many=True)
    decided_at = serializers.DateTimeField(source="finished_at")


class EvidenceUploadOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()


class ApplicationCredentialOutput(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(source="type.code")
    number_masked = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


class ApplicationEvidenceOutput(serializers.Serializer):
    requirement = serializers.CharField(source="requirement.code")
    upload = EvidenceUploadOutput(allow_null=True)
    credential = ApplicationCredentialOutput(allow_null=True)
    added_at = serializers.DateTimeField()


class ApplicationDetailOutput(ApplicationOutput):
    # One application at a time: every field rendered the declared way.
    to_representation = serializers.Serializer.to_representation  # type: ignore[assignment]

    data = serializers.DictField()  # type: ignore[assignment]
    prefilled = serializers.DictField(
        help_text="Fields filled from what government knows: {field: {value, source, attribute}}."
    )
    language = serializers.CharField()
    deadline = serializers.DateTimeField(
        allow_null=True, help_text="By when an officer decides, while in manual review."
    )
    review_requested = serializers.BooleanField()
    decision_reason = serializers.CharField(help_text="The reason given with the decision.")
    decision = serializers.SerializerMethodField()
    history = ApplicationEventOutput(source="events", many=True)
    evidence = ApplicationEvidenceOutput(many=True)
    issued_credential = ApplicationCredentialOutput(allow_null=True)

    @extend_schema_field(DecisionOutput(allow_null=True))
    def get_decision(self, application: Application) -> Any:
        records = getattr(application, "decisions_newest_first", None)
        if records is None:
            records = list(application.decisions.order_by("-round")[:1])
        return DecisionOutput(records[0]).data if records else None


class PrefillFieldOutput(serializers.Serializer):
    value = serializers.JSONField()
    source = serializers.CharField(help_text="registry, self, officer, issuer, holder…")  # type: ignore[assignment]
    attribute = serializers.CharField()


class PrefillOutput(serializers.Serializer):
    data = serializers.DictField(help_text="The values, ready to merge into the form.")  # type: ignore[assignment]
    fields = serializers.DictField(child=PrefillFieldOutput())  # type: ignore[assignment]
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="Form fields government cannot fill: no consent or legal basis, or no value.",
    )


class UploadInput(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF, JPEG or PNG file.")


def _detail(request: Request, application: Application) -> Any:
    return ApplicationDetailOutput(
        application, context={"as_staff": _is_staff_request(request)}
    ).data


def _evidence(items: list[dict[str, Any]] | None) -> list[actions.EvidenceInput]:
    return [actions.EvidenceInput(**item) for item in items or []]


# Views -----------------------------------------------------------------------------------------


class ApplicationListCreateView(GenericAPIView):
    """Citizens: their own applications and their represented parties'; officers: those of
    their agency's services. And applying."""

    serializer_class = ApplicationOutput

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsCitizen()]
        return [IsCitizenOrStaff()]

    @extend_schema(
        tags=TAGS,
        summary="List applications",
        description=(
            "A citizen sees their applications and those of the parties they hold a mandate "
            "for (with X-Acting-For: only that party's); an officer sees those of their "
            "agency's services. Newest first."
        ),
        parameters=[ListFilterInput, ACTING_FOR],
        responses={200: ApplicationOutput(many=True)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = ListFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = _with_summary(_scope(request))
        if "status" in filters.validated_data:
            queryset = queryset.filter(status=filters.validated_data["status"])
        if "service" in filters.validated_data:
            queryset = queryset.filter(service__code=filters.validated_data["service"])
        page = self.paginate_queryset(queryset)
        context = {"as_staff": _is_staff_request(request)}
        return self.get_paginated_response(ApplicationOutput(page, many=True, context=context).data)

    @extend_schema(
        tags=TAGS,
        summary="Apply for a service",
        description=(
            "Checks, in this order: the service is open (409 service_not_open), offered to this "
            "kind of party (403 wrong_audience), the caller's level of assurance (403 "
            "loa_too_low with `required_level`), the data against the service's JSON Schema "
            "(422 invalid_application_data, one error per field) and the evidence (422 "
            "invalid_evidence). Then the application is submitted: it waits for its fee "
            "(awaiting_payment, pay `fee.id`), or is decided by the rules within seconds "
            "(checking), or goes to an officer (manual_review). `draft: true` only stores it."
        ),
        request=ApplicationCreateInput,
        parameters=[ACTING_FOR],
        responses={
            201: ApplicationOutput,
            (403, PROBLEM_CONTENT_TYPE): _problem(
                "loa_too_low (with required_level), wrong_audience, no_mandate."
            ),
            (404, PROBLEM_CONTENT_TYPE): _problem("service_not_found."),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "service_not_open, or an Idempotency-Key conflict."
            ),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_application_data, invalid_evidence, service_ambiguous (name the "
                "jurisdiction), or a malformed Idempotency-Key.",
                VALIDATION_PROBLEM_REF,
            ),
        },
    )
    @idempotent(required=True)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ApplicationCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        body = given.validated_data
        acting = _acting(request)
        service = actions.service_to_apply(
            code=body["service"], jurisdiction=body.get("jurisdiction")
        )
        prefilled = None
        if service.prefill and not body["draft"]:
            known = actions.prefill_for(service=service, party=acting.person or acting.business)
            prefilled = actions.prefilled_kept(known, body["data"])
        application = actions.submit_application(
            service=service,
            submitted_by=acting.representative,
            applicant=acting.person,
            business=acting.business,
            mandate=acting.mandate,
            data=body["data"],
            evidence=_evidence(body.get("evidence")),
            language=acting.representative.preferred_language,
            prefilled=prefilled,
            draft=body["draft"],
        )
        return Response(
            ApplicationOutput(application).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{application.public_id}"},
        )


class ApplicationDetailView(APIView):
    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "PATCH":
            return [IsCitizen()]
        return [IsCitizenOrStaff()]

    @extend_schema(
        tags=TAGS,
        summary="Read an application, with its history and decision",
        description=(
            "The decision is the latest decision record: its outcome, the reasons in the "
            "applicant's language, the rule-set version and each check with the values it "
            "read. An officer's read is written to the applicant's access log."
        ),
        parameters=[ACTING_FOR],
        responses={200: ApplicationDetailOutput},
    )
    def get(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        application = _get(_with_detail(_scope(request)), public_id)
        if _is_staff_request(request):
            record_staff_read(
                application=application, user=request.user, channel=AccessLogEntry.Channel.API
            )
        return Response(_detail(request, application))

    @extend_schema(
        tags=TAGS,
        summary="Change a draft or returned application",
        request=ApplicationChangeInput,
        parameters=[ACTING_FOR],
        responses={
            200: ApplicationDetailOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_transition: only drafts and returned applications change."
            ),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_application_data, invalid_evidence.", VALIDATION_PROBLEM_REF
            ),
        },
    )
    def patch(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        given = ApplicationChangeInput(data=request.data)
        given.is_valid(raise_exception=True)
        scope = _citizen_scope(request)
        actions.edit_application(
            application=_get(scope, public_id),
            by=_person(request),
            data=given.validated_data.get("data"),
            evidence=_evidence(given.validated_data.get("evidence")),
        )
        return Response(_detail(request, _get(_with_detail(scope), public_id)))


class ApplicationSubmitView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=TAGS,
        summary="Submit a draft, or resubmit a returned application",
        description=(
            "With the same checks as a new application. A returned application starts a new "
            "round and is decided afresh."
        ),
        request=ApplicationChangeInput,
        parameters=[ACTING_FOR],
        responses={
            200: ApplicationDetailOutput,
            (403, PROBLEM_CONTENT_TYPE): _problem("loa_too_low, wrong_audience, no_mandate."),
            (409, PROBLEM_CONTENT_TYPE): _problem("invalid_transition, service_not_open."),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_application_data, invalid_evidence.", VALIDATION_PROBLEM_REF
            ),
        },
    )
    @idempotent(required=False)
    def post(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        given = ApplicationChangeInput(data=request.data)
        given.is_valid(raise_exception=True)
        scope = _citizen_scope(request)
        application = _get(scope, public_id)
        submit = (
            actions.resubmit_application
            if application.status == Application.Status.RETURNED
            else actions.submit_draft
        )
        submit(
            application=application,
            by=_person(request),
            data=given.validated_data.get("data"),
            evidence=_evidence(given.validated_data.get("evidence")),
        )
        return Response(_detail(request, _get(_with_detail(scope), public_id)))


class ApplicationWithdrawView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=TAGS,
        summary="Withdraw an application before it is decided",
        description="An unpaid fee bill is cancelled with it.",
        request=WithdrawInput,
        parameters=[ACTING_FOR],
        responses={
            200: ApplicationDetailOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_transition (being checked, or decided), bill_payment_in_progress."
            ),
        },
    )
    def post(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        given = WithdrawInput(data=request.data)
        given.is_valid(raise_exception=True)
        scope = _citizen_scope(request)
        actions.withdraw_application(
            application=_get(scope, public_id),
            by=_person(request),
            reason=given.validated_data["reason"],
        )
        return Response(_detail(request, _get(_with_detail(scope), public_id)))


class ApplicationReviewRequestView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=TAGS,
        summary="Ask an officer to review an automatic rejection",
        description="Once per application; it goes to manual review with a deadline.",
        request=ReviewRequestInput,
        parameters=[ACTING_FOR],
        responses={
            200: ApplicationDetailOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "review_not_allowed: not rejected by the rules, or asked before."
            ),
        },
    )
    def post(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        given = ReviewRequestInput(data=request.data)
        given.is_valid(raise_exception=True)
        scope = _citizen_scope(request)
        actions.request_human_review(
            application=_get(scope, public_id),
            by=_person(request),
            reason=given.validated_data["reason"],
        )
        return Response(_detail(request, _get(_with_detail(scope), public_id)))


class ApplicationReviewView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=TAGS,
        summary="Decide an application in manual review (officers)",
        description=(
            "Officers of the agency offering the service approve, reject or return the "
            "application to the applicant; rejecting and returning need a reason."
        ),
        request=ReviewInput,
        responses={
            200: ApplicationDetailOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem("invalid_transition: not in manual review."),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_application_data: the reason is missing.", VALIDATION_PROBLEM_REF
            ),
        },
    )
    def post(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        request.person = None  # type: ignore[attr-defined]  # an officer, not a citizen
        given = ReviewInput(data=request.data)
        given.is_valid(raise_exception=True)
        scope = applications_of_staff(request.user)
        review_application(
            application=_get(scope.select_related("service"), public_id),
            officer=request.user,
            outcome=given.validated_data["outcome"],
            reason=given.validated_data["reason"],
        )
        return Response(_detail(request, _get(_with_detail(scope), public_id)))


class UploadCreateView(APIView):
    permission_classes = [IsCitizen]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAGS,
        summary="Upload a file to give as evidence",
        description=(
            "A PDF, JPEG or PNG file (the type is read from the file's content), up to the "
            "size limit (10 MiB by default). Give its id as `evidence[].upload` when applying; "
            "an upload nobody uses within a day is deleted."
        ),
        request={"multipart/form-data": UploadInput},
        responses={
            201: EvidenceUploadOutput,
            (413, PROBLEM_CONTENT_TYPE): _problem("file_too_large (with max_bytes)."),
            (415, PROBLEM_CONTENT_TYPE): _problem("unsupported_file_type: not PDF, JPEG or PNG."),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = UploadInput(data=request.data)
        given.is_valid(raise_exception=True)
        upload = store_upload(owner=_person(request), file=given.validated_data["file"])
        return Response(EvidenceUploadOutput(upload).data, status=status.HTTP_201_CREATED)


class ServicePrefillView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=TAGS,
        summary="What government already knows for a service's form",
        description=(
            "For the caller (or the party of X-Acting-For): each value with its source, only "
            "what the party consented to (purpose `service:<code>`) or the service's legal "
            "basis allows. The read is written to the party's access log."
        ),
        parameters=[
            JURISDICTION,
            ACTING_FOR,
        ],
        responses={
            200: PrefillOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem("service_not_open."),
        },
    )
    def get(self, request: Request, code: str, *args: Any, **kwargs: Any) -> Response:
        service = actions.service_by_code(
            code=code, jurisdiction=request.query_params.get("jurisdiction")
        )
        if not service.is_open_for_applications:
            raise ServiceNotOpen(service_status=service.status)
        acting = _acting(request)
        prefill = actions.prefill_for(service=service, party=acting.person or acting.business)
        return Response(PrefillOutput(prefill).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("uploads", UploadCreateView.as_view(), name="uploads"),
    path("services/<slug:code>/prefill", ServicePrefillView.as_view(), name="service-prefill"),
    path("applications", ApplicationListCreateView.as_view(), name="applications"),
    path("applications/<uuid:public_id>", ApplicationDetailView.as_view(), name="application"),
    path(
        "applications/<uuid:public_id>/submit",
        ApplicationSubmitView.as_view(),
        name="application-submit",
    ),
    path(
        "applications/<uuid:public_id>/withdraw",
        ApplicationWithdrawView.as_view(),
        name="application-withdraw",
    ),
    path(
        "applications/<uuid:public_id>/review-request",
        ApplicationReviewRequestView.as_view(),
        name="application-review-request",
    ),
    path(
        "applications/<uuid:public_id>/review",
        ApplicationReviewView.as_view(),
        name="application-review",
    ),
]

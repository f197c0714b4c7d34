"""Complaints API for the reporter's rating of a resolution (HTTP only; the rules live in
complaints.actions.satisfaction).

    POST /api/v1/complaints/{number}/rating        the signed-in reporter
    POST /api/v1/complaints/track/{token}/rating   the holder of an anonymous report's token

Anyone else — another citizen, staff, an integrator, an anonymous caller without the token —
gets the same 404 as for a complaint that does not exist.
"""

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF, VALIDATION_PROBLEM_REF
from complaints.actions.satisfaction import COMMENT_MAX, HIGHEST, LOWEST, rate_resolution
from complaints.errors import ComplaintNotFound
from complaints.models import Complaint, Rating, hash_tracking_token
from identity.models import Person
from identity.queries import person_of

TAGS = ["complaints"]


class RatingInput(serializers.Serializer):
    speed = serializers.IntegerField(
        min_value=LOWEST, max_value=HIGHEST, help_text="How quickly it was resolved, 1 to 5."
    )
    result = serializers.IntegerField(
        min_value=LOWEST, max_value=HIGHEST,
        help_text="How well the problem was solved, 1 to 5. A low score reopens the complaint "
        "for rework.",
    )  # fmt: skip
    attitude = serializers.IntegerField(
        min_value=LOWEST, max_value=HIGHEST, help_text="How the agency's staff behaved, 1 to 5."
    )
    comment = serializers.CharField(
        max_length=COMMENT_MAX, required=False, allow_blank=True, default=""
    )


class RatingOutput(serializers.ModelSerializer[Rating]):
    # Declared, not derived: a derived small-integer field takes its bounds from the database
    # backend, and the committed schema must not depend on it.
    round = serializers.IntegerField(read_only=True)
    speed = serializers.IntegerField(read_only=True)
    result = serializers.IntegerField(read_only=True)
    attitude = serializers.IntegerField(read_only=True)

    class Meta:
        model = Rating
        fields = ["round", "speed", "result", "attitude", "comment", "is_satisfied", "created_at"]


class RatedComplaintOutput(serializers.ModelSerializer[Complaint]):
    rework_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Complaint
        fields = ["tracking_number", "status", "closure", "rework_count", "resolution_due"]


class RatingCreatedOutput(serializers.Serializer):
    rating = RatingOutput()
    complaint = RatedComplaintOutput()


def _schema(summary: str, description: str) -> Any:
    return extend_schema(
        tags=TAGS,
        summary=summary,
        description=description,
        request=RatingInput,
        responses={
            201: RatingCreatedOutput,
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                VALIDATION_PROBLEM_REF, description="validation_error: a score outside 1–5."
            ),
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="complaint_not_found: no such complaint of yours."
            ),
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF,
                description="rating_not_open: not resolved, already rated, or the rating "
                "period is over.",
            ),
        },
    )


RULES = (
    "Within the rating period after resolution (7 days by default), once per resolution. A "
    "result of at least the threshold (3 by default) closes the complaint; a lower one reopens "
    "it for rework with a new deadline, and a second reopening also escalates to the handling "
    "agency's supervisors."
)


class ComplaintRatingView(APIView):
    permission_classes = [AllowAny]  # not the reporter → the same 404 as no such complaint

    @_schema("Rate the resolution of your complaint", RULES)
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        given = _given(request)
        person = person_of(request.user)
        mine: QuerySet[Complaint] = (
            Complaint.objects.filter(reporter=person) if person else Complaint.objects.none()
        )
        complaint = _get(mine.filter(tracking_number=number))
        return _rate(complaint, given, reporter=person)


class TrackedComplaintRatingView(APIView):
    permission_classes = [AllowAny]

    @_schema(
        "Rate the resolution of an anonymous report",
        "With the secret tracking token given when the report was made. " + RULES,
    )
    @idempotent(required=False)
    def post(self, request: Request, token: str, *args: Any, **kwargs: Any) -> Response:
        given = _given(request)
        complaint = _get(Complaint.objects.filter(tracking_token_hash=hash_tracking_token(token)))
        return _rate(complaint, given, tracking_token=token)


def _given(request: Request) -> dict[str, Any]:
    given = RatingInput(data=request.data)
    given.is_valid(raise_exception=True)
    return dict(given.validated_data)


def _get(queryset: QuerySet[Complaint]) -> Complaint:
    complaint = queryset.first()
    if complaint is None:
        raise ComplaintNotFound()
    return complaint


def _rate(
    complaint: Complaint,
    given: dict[str, Any],
    *,
    reporter: Person | None = None,
    tracking_token: str | None = None,
) -> Response:
    complaint = rate_resolution(
        complaint=complaint, reporter=reporter, tracking_token=tracking_token, **given
    )
    rating = complaint.ratings.order_by("-round").first()
    body = RatingCreatedOutput({"rating": rating, "complaint": complaint}).data
    return Response(body, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern | URLResolver] = [
    path("<tracking:number>/rating", ComplaintRatingView.as_view(), name="complaint-rating"),
    path(
        "track/<str:token>/rating",
        TrackedComplaintRatingView.as_view(),
        name="tracked-complaint-rating",
    ),
]

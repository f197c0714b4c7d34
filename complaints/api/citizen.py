"""Complaints API for citizens (HTTP only; the rules live in complaints.actions.intake and
complaints.actions.citizen, who sees what in complaints.queries).

Anyone (signed in, or anonymously where the category allows it; agency staff and integrators
use their own routes):
    POST /complaints                                 report (Idempotency-Key required)
    GET  /complaints/categories?jurisdiction=        the category tree with the leaves' questions
    POST /complaints/suggest-category                categories whose keywords a description holds
    GET  /complaints/nearby?jurisdiction=&category=&lat=&lon=   open complaints to follow instead
    GET  /complaints/track/{token}, POST …/withdraw  the anonymous reporter's view, by the token
Signed-in citizens:
    GET  /complaints                                 the complaints they reported (or follow)
    GET  /complaints/{number}                        one they reported or follow
    POST /complaints/{number}/withdraw               the reporter withdraws it
    POST, DELETE /complaints/{number}/follow         follow someone else's complaint, or stop
A complaint the caller neither reported nor follows is "not found", whoever asks.
"""

from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.pagination import CursorPagination
from cityportal.api.schema import PROBLEM_REF, VALIDATION_PROBLEM_REF
from complaints import queries
from complaints.actions.citizen import follow_complaint, unfollow_complaint, withdraw_complaint
from complaints.actions.intake import submit_complaint
from complaints.api.serializers import (
    CategorySuggestionOutput,
    CategoryTreeFilterInput,
    CitizenComplaintOutput,
    CitizenComplaintSummaryOutput,
    ComplaintCategoryNodeOutput,
    ComplaintCreatedOutput,
    ComplaintCreateInput,
    ComplaintWithdrawInput,
    FollowOutput,
    MyComplaintsFilterInput,
    NearbyComplaintOutput,
    NearbyFilterInput,
    SuggestCategoryInput,
    well_formed_report,
)
from complaints.errors import CitizensOnly, ComplaintNotFound
from complaints.models import Complaint
from complaints.suggest import suggest_categories
from identity.api.permissions import IsCitizen
from identity.models import ApiClient, Person, User
from identity.queries import person_of

TAGS = ["complaints"]
ANONYMOUS_SCOPE = "complaints_anonymous"

TRACKING_NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="The complaint's tracking number, e.g. C-7KQ4-M9XA.",
)  # fmt: skip
TOKEN = OpenApiParameter(
    "token", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="The secret tracking token given once, when the anonymous report was made.",
)  # fmt: skip


def _problem(description: str, ref: dict[str, str] = PROBLEM_REF) -> OpenApiResponse:
    return OpenApiResponse(ref, description=description)


# Who is calling ------------------------------------------------------------------------------


class IsCitizenOrAnonymous(BasePermission):
    """A citizen (request.person set) or nobody signed in (request.person None). Agency staff
    and integrators are refused with citizens_only: they enter complaints their own way."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiClient) or getattr(request.user, "is_staff", False):
            raise CitizensOnly()
        if not request.user.is_authenticated:
            request.person = None  # type: ignore[attr-defined]
            return True
        person = person_of(request.user)
        if person is None:
            raise CitizensOnly()
        request.person = person  # type: ignore[attr-defined]
        return True


class AnonymousComplaintThrottle(ScopedRateThrottle):
    """The `complaints_anonymous` rate, per client address, for callers not signed in; a
    signed-in citizen is limited by the ordinary user rate only."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.user.is_authenticated or request.auth is not None:
            return True
        return super().allow_request(request, view)


def _person(request: Request) -> Person:
    """The signed-in citizen (IsCitizen found them), with their account at hand so that the
    history records it as the actor without reading it again."""
    person = cast(Person, request.person)  # type: ignore[attr-defined]
    person.user = cast(User, request.user)
    return person


def _person_or_none(request: Request) -> Person | None:
    """A complaint's page answers "not found" to anyone but its citizens, signed in or not."""
    user = request.user
    if isinstance(user, AnonymousUser) or isinstance(request.auth, ApiClient):
        return None
    person = person_of(user)
    if person is not None:
        person.user = user
    return person


def _detail(request: Request, complaint: Complaint) -> dict[str, Any]:
    return cast(
        dict[str, Any], CitizenComplaintOutput(complaint, context={"request": request}).data
    )


def _citizen_detail(request: Request, number: str) -> Complaint:
    person = _person_or_none(request)
    if person is None:
        raise ComplaintNotFound()
    return queries.complaint_of_citizen(person, number)


# Reporting, and my complaints ----------------------------------------------------------------


class MyComplaintsPagination(CursorPagination):
    ordering = "-created_at"  # as the index on (reporter, -created_at)


class ComplaintListCreateView(GenericAPIView):
    """GET: the signed-in citizen's complaints. POST: report one."""

    serializer_class = CitizenComplaintSummaryOutput
    pagination_class = MyComplaintsPagination
    throttle_scope = ANONYMOUS_SCOPE

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsCitizenOrAnonymous()]
        return [IsCitizen()]

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = list(super().get_throttles())
        if self.request.method == "POST":
            throttles.append(AnonymousComplaintThrottle())
        return throttles

    @extend_schema(
        tags=TAGS,
        summary="My complaints",
        description=(
            "The complaints the caller reported, newest first; with `followed=true`, those "
            "they follow instead. Anonymous reports are not among them: they are followed "
            "with their tracking token."
        ),
        parameters=[MyComplaintsFilterInput],
        responses={200: CitizenComplaintSummaryOutput(many=True)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = MyComplaintsFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        person = _person(request)
        queryset: QuerySet[Complaint] = (
            queries.complaints_followed_by(person)
            if filters.validated_data["followed"]
            else queries.complaints_reported_by(person)
        )
        if "status" in filters.validated_data:
            queryset = queryset.filter(status=filters.validated_data["status"])
        page = self.paginate_queryset(queries.with_summary(queryset))
        return self.get_paginated_response(CitizenComplaintSummaryOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Report a complaint",
        description=(
            "JSON, or multipart with the photos as repeated `photos` files and `answers` as a "
            "JSON string. A signed-in citizen reports under their name unless they ask for "
            "`is_anonymous`; a caller who is not signed in reports anonymously, where the "
            "category allows it (403 anonymous_not_allowed otherwise), at a limited rate, and "
            "gets a secret `tracking_token` to follow the report with. Every rule broken is "
            "listed in one 422 invalid_complaint with an error per field: description, "
            "latitude, longitude, location (none given, or outside the jurisdiction), address, "
            "answers.<code>, contact_preference, contact_*, photos, photos.<index>. The "
            "complaint is routed to an agency within moments."
        ),
        request={
            "application/json": ComplaintCreateInput,
            "multipart/form-data": ComplaintCreateInput,
        },
        responses={
            201: ComplaintCreatedOutput,
            (403, PROBLEM_CONTENT_TYPE): _problem(
                "anonymous_not_allowed (sign in to report in this category), citizens_only "
                "(agency staff and integrators)."
            ),
            (404, PROBLEM_CONTENT_TYPE): _problem(
                "category_not_found: no active category by that code in the jurisdiction."
            ),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_complaint, with one error per field; or a malformed Idempotency-Key.",
                VALIDATION_PROBLEM_REF,
            ),
        },
    )
    @idempotent(required=True)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = well_formed_report(request.data)
        if body is None:
            given = ComplaintCreateInput(data=request.data)
            given.is_valid(raise_exception=True)
            body = given.validated_data
        reporter: Person | None = request.person  # type: ignore[attr-defined]
        if reporter is not None:
            reporter.user = cast(User, request.user)
        category = queries.reportable_category(
            jurisdiction=body["jurisdiction"], code=body["category"]
        )
        submitted = submit_complaint(
            category=category,
            description=body["description"],
            latitude=body.get("latitude"),
            longitude=body.get("longitude"),
            address=body["address"],
            answers=body["answers"],
            contact_preference=body["contact_preference"],
            reporter=reporter,
            is_anonymous=reporter is None or body["is_anonymous"],
            contact_name=body["contact_name"],
            contact_email=body["contact_email"],
            contact_phone=body["contact_phone"],
            photos=body["photos"],
        )
        complaint = submitted.complaint
        base = request.path.rstrip("/")
        headers: dict[str, str] = {}
        if submitted.tracking_token is None:
            links = {"self": f"{base}/{complaint.tracking_number}"}
            headers["Location"] = links["self"]
        else:
            # Not in a Location header: the token is a secret, and headers end up in logs.
            links = {"track": f"{base}/track/{submitted.tracking_token}"}
        # Plain strings already: built as ComplaintCreatedOutput describes it (the schema's
        # contract, pinned by the API tests) without running a serializer over them.
        output = {
            "tracking_number": complaint.tracking_number,
            "status": str(complaint.status),
            "tracking_token": submitted.tracking_token,
            "links": links,
        }
        return Response(output, status=status.HTTP_201_CREATED, headers=headers)


class ComplaintDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="A complaint I reported or follow",
        description=(
            "Its status, what was reported, the photos, the public history (what happened and "
            "what the agency told the reporter; never staff names or internal notes), the "
            "deadlines, the rating and the complaint it duplicates. Anyone else, staff "
            "included, is told 404 complaint_not_found."
        ),
        parameters=[TRACKING_NUMBER],
        responses={
            200: CitizenComplaintOutput,
            (404, PROBLEM_CONTENT_TYPE): _problem("complaint_not_found."),
        },
    )
    def get(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return Response(_detail(request, _citizen_detail(request, number)))


class ComplaintWithdrawView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=TAGS,
        summary="Withdraw my complaint",
        description="Before it is resolved; the reason, if given, joins its history.",
        request=ComplaintWithdrawInput,
        parameters=[TRACKING_NUMBER],
        responses={
            200: CitizenComplaintOutput,
            (404, PROBLEM_CONTENT_TYPE): _problem("complaint_not_found: not the reporter."),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_transition: resolved, closed, or withdrawn already."
            ),
        },
    )
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        given = ComplaintWithdrawInput(data=request.data)
        given.is_valid(raise_exception=True)
        person = _person(request)
        withdraw_complaint(
            complaint=queries.complaint_of_citizen(person, number),
            reporter=person,
            reason=given.validated_data["reason"],
        )
        return Response(_detail(request, queries.complaint_of_citizen(person, number)))


class ComplaintFollowView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=TAGS,
        summary="Follow a complaint instead of reporting it again",
        description=(
            "Any active complaint of a public category (as GET nearby lists them) that the "
            "caller did not report; its updates then reach the caller too. Following twice is "
            "following once: 201 the first time, 200 after."
        ),
        request=None,
        parameters=[TRACKING_NUMBER],
        responses={
            200: FollowOutput,
            201: FollowOutput,
            (404, PROBLEM_CONTENT_TYPE): _problem("complaint_not_found."),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "own_complaint (the caller reported it), complaint_not_active (finished)."
            ),
        },
    )
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        follower, created = follow_complaint(
            complaint=queries.complaint_to_follow(number), person=_person(request)
        )
        return Response(
            FollowOutput(follower).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        tags=TAGS,
        summary="Stop following a complaint",
        description="204 whether or not the caller was following it.",
        parameters=[TRACKING_NUMBER],
        responses={204: None, (404, PROBLEM_CONTENT_TYPE): _problem("complaint_not_found.")},
    )
    def delete(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        unfollow_complaint(complaint=queries.complaint_to_follow(number), person=_person(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# The anonymous reporter -----------------------------------------------------------------------


class TrackedComplaintView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="An anonymous report, by its secret tracking token",
        description="The same view as the reporter's. 404 complaint_not_found for any other token.",
        parameters=[TOKEN],
        responses={
            200: CitizenComplaintOutput,
            (404, PROBLEM_CONTENT_TYPE): _problem("complaint_not_found."),
        },
    )
    def get(self, request: Request, token: str, *args: Any, **kwargs: Any) -> Response:
        return Response(_detail(request, queries.complaint_by_token(token)))


class TrackedComplaintWithdrawView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Withdraw an anonymous report, by its secret tracking token",
        request=ComplaintWithdrawInput,
        parameters=[TOKEN],
        responses={
            200: CitizenComplaintOutput,
            (404, PROBLEM_CONTENT_TYPE): _problem("complaint_not_found."),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_transition: resolved, closed, or withdrawn already."
            ),
        },
    )
    def post(self, request: Request, token: str, *args: Any, **kwargs: Any) -> Response:
        given = ComplaintWithdrawInput(data=request.data)
        given.is_valid(raise_exception=True)
        withdraw_complaint(
            complaint=queries.complaint_by_token(token),
            tracking_token=token,
            reason=given.validated_data["reason"],
        )
        return Response(_detail(request, queries.complaint_by_token(token)))


# Before reporting ----------------------------------------------------------------------------


class NearbyComplaintsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Open complaints nearby, to follow instead of reporting again",
        description=(
            "Active complaints of the category within its duplicate radius of the point and "
            "its time window, nearest first, at most 20. Nothing about who reported them; a "
            "category whose reports are not public lists none."
        ),
        parameters=[NearbyFilterInput],
        responses={
            200: NearbyComplaintOutput(many=True),
            (404, PROBLEM_CONTENT_TYPE): _problem("category_not_found."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = NearbyFilterInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        query = given.validated_data
        category = queries.reportable_category(
            jurisdiction=query["jurisdiction"], code=query["category"]
        )
        found = queries.nearby_complaints(category, latitude=query["lat"], longitude=query["lon"])
        return Response(NearbyComplaintOutput(found, many=True).data)


class CategoryTreeView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="The categories to report under",
        description=(
            "The jurisdiction's active categories as a tree, in the language asked for with "
            "Accept-Language. Leaves are what a report names; they carry whether they take "
            "anonymous reports, whether reports are public, and their questions in the shape "
            "of Open311 attributes."
        ),
        parameters=[CategoryTreeFilterInput],
        responses={
            200: ComplaintCategoryNodeOutput(many=True),
            (404, PROBLEM_CONTENT_TYPE): _problem("category_not_found: no such jurisdiction."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = CategoryTreeFilterInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        jurisdiction = queries.jurisdiction_by_code(given.validated_data["jurisdiction"])
        tree = queries.category_tree(jurisdiction)
        return Response(ComplaintCategoryNodeOutput(tree, many=True).data)


class SuggestCategoryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Suggest categories for a description",
        description=(
            "For a citizen who chose “other”: the leaf categories whose keywords (in English, "
            "Thai or Chinese) the description contains, best first, at most five; an empty "
            "list when none does."
        ),
        request=SuggestCategoryInput,
        responses={
            200: CategorySuggestionOutput(many=True),
            (404, PROBLEM_CONTENT_TYPE): _problem("category_not_found: no such jurisdiction."),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = SuggestCategoryInput(data=request.data)
        given.is_valid(raise_exception=True)
        jurisdiction = queries.jurisdiction_by_code(given.validated_data["jurisdiction"])
        found = suggest_categories(jurisdiction, given.validated_data["description"])
        return Response(CategorySuggestionOutput(found, many=True).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("categories", CategoryTreeView.as_view(), name="categories"),
    path("suggest-category", SuggestCategoryView.as_view(), name="suggest-category"),
    path("nearby", NearbyComplaintsView.as_view(), name="nearby"),
    path("track/<str:token>", TrackedComplaintView.as_view(), name="tracked"),
    path(
        "track/<str:token>/withdraw",
        TrackedComplaintWithdrawView.as_view(),
        name="tracked-withdraw",
    ),
    path("<tracking:number>", ComplaintDetailView.as_view(), name="complaint"),
    path("<tracking:number>/withdraw", ComplaintWithdrawView.as_view(), name="withdraw"),
    path("<tracking:number>/follow", ComplaintFollowView.as_view(), name="follow"),
]

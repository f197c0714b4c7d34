"""Complaints API for open data: public complaints as GeoJSON and aggregate statistics.

Anyone, without signing in:
    GET /complaints/public   complaints of public categories as a GeoJSON FeatureCollection
    GET /complaints/stats    volume, on-time rate and satisfaction by category and district

What is published follows complaints.publication: public categories only; no reporter, no
contact, nothing the reporter wrote (description, address) and no photos; the point rounded
to COMPLAINTS_PUBLIC_LOCATION_DECIMALS decimal places. Answers may be cached by anyone for a
few minutes (Cache-Control: public).
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import URLPattern, URLResolver, path
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from cityportal.api.pagination import CursorPagination
from cityportal.api.schema import PROBLEM_REF, VALIDATION_PROBLEM_REF
from cityportal.errors import NotFound
from complaints import stats
from complaints.models import Complaint, ComplaintCategory, District
from complaints.publication import PUBLIC_COLUMNS, coarsened, public_complaints
from identity.models import Jurisdiction

TAGS = ["complaints: open data"]
MAX_AGE = 300
TRANSLATED = ("en", "th", "zh_hans")


class JurisdictionNotFound(NotFound):
    code = "jurisdiction_not_found"
    title = _("No such jurisdiction.")


class GeoJsonRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


def _jurisdiction(code: str) -> Jurisdiction:
    found = Jurisdiction.objects.filter(code=code).first()
    if found is None:
        raise JurisdictionNotFound()
    return found


def _public(response: Response) -> Response:
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    patch_vary_headers(response, ("Accept-Language", "Accept"))
    return response


def _translated(*fields: str) -> list[str]:
    return [f"{field}_{suffix}" for field in fields for suffix in TRANSLATED]


# Public complaints ---------------------------------------------------------------------------


class PublicComplaintsInput(serializers.Serializer[Any]):
    jurisdiction = serializers.SlugField(max_length=40)
    category = serializers.SlugField(max_length=40, required=False)
    status = serializers.CharField(max_length=200, required=False)
    bbox = serializers.CharField(max_length=100, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate_status(self, value: str) -> list[str]:
        statuses = [part.strip() for part in value.split(",") if part.strip()]
        unknown = sorted({status for status in statuses if status not in Complaint.Status.values})
        if unknown:
            raise serializers.ValidationError(
                _("Unknown status: %(statuses)s.") % {"statuses": ", ".join(unknown)}
            )
        return statuses

    def validate_bbox(self, value: str) -> tuple[float, float, float, float]:
        invalid = serializers.ValidationError(
            _("Give west,south,east,north in degrees, e.g. 98.9,18.7,99.1,18.9.")
        )
        try:
            west, south, east, north = (float(part) for part in value.split(","))
        except ValueError:
            raise invalid from None
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise invalid
        return west, south, east, north


class PublicComplaintsPagination(CursorPagination):
    # Newest first; the id orders complaints submitted in the same instant.
    ordering = ("-created_at", "-id")  # type: ignore[assignment]
    page_size = 500
    max_page_size = 1000

    def get_paginated_response(self, data: Any) -> Response:
        links = [
            {"rel": rel, "href": href, "type": GeoJsonRenderer.media_type}
            for rel, href in (("next", self.get_next_link()), ("prev", self.get_previous_link()))
            if href
        ]
        return Response(
            {
                "type": "FeatureCollection",
                "features": data,
                "numberReturned": len(data),
                "links": links,
            }
        )


def published(jurisdiction: Jurisdiction) -> QuerySet[Complaint]:
    """The jurisdiction's public complaints that have a point, with what a feature shows."""
    return (
        public_complaints()
        .filter(jurisdiction=jurisdiction, latitude__isnull=False, longitude__isnull=False)
        .select_related("category", "district")
        .only(
            *PUBLIC_COLUMNS,
            "category__code",
            *(f"category__{column}" for column in _translated("name")),
            "district__code",
        )
    )


def feature(complaint: Complaint) -> dict[str, Any]:
    when = serializers.DateTimeField()
    return {
        "type": "Feature",
        "id": complaint.tracking_number,
        "geometry": {
            "type": "Point",
            "coordinates": [coarsened(complaint.longitude), coarsened(complaint.latitude)],
        },
        "properties": {
            "tracking_number": complaint.tracking_number,
            "category_code": complaint.category.code,
            "category_name": complaint.category.name,
            "status": complaint.status,
            "district_code": complaint.district.code if complaint.district else None,
            "created_at": when.to_representation(complaint.created_at),
            "resolved_at": (
                when.to_representation(complaint.resolved_at) if complaint.resolved_at else None
            ),
        },
    }


FEATURE_COLLECTION: dict[str, Any] = {
    "type": "object",
    "description": "A GeoJSON FeatureCollection (RFC 7946) of public complaints, newest first. "
    "Personal data is never published: no reporter, no contact, no photos, and no "
    "description or address, which are free text the reporter wrote and may name people. "
    "Points are rounded (settings.COMPLAINTS_PUBLIC_LOCATION_DECIMALS, 3 ≈ 110 m).",
    "required": ["type", "features", "numberReturned", "links"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "numberReturned": {"type": "integer"},
        "links": {
            "type": "array",
            "description": "`next` (and `prev`) pages, when there are more.",
            "items": {
                "type": "object",
                "properties": {
                    "rel": {"type": "string", "enum": ["next", "prev"]},
                    "href": {"type": "string", "format": "uri"},
                    "type": {"type": "string", "example": "application/geo+json"},
                },
            },
        },
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string", "example": "C-7KQ4-M9XA"},
                    "geometry": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string", "enum": ["Point"]},
                            "coordinates": {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 2,
                                "maxItems": 2,
                                "example": [98.979, 18.796],
                                "description": "Longitude, latitude (WGS 84), rounded.",
                            },
                        },
                    },
                    "properties": {
                        "type": "object",
                        "properties": {
                            "tracking_number": {"type": "string"},
                            "category_code": {"type": "string"},
                            "category_name": {
                                "type": "string",
                                "description": "In the language of Accept-Language.",
                            },
                            "status": {"type": "string", "enum": Complaint.Status.values},
                            "district_code": {"type": "string", "nullable": True},
                            "created_at": {"type": "string", "format": "date-time"},
                            "resolved_at": {
                                "type": "string",
                                "format": "date-time",
                                "nullable": True,
                            },
                        },
                    },
                },
            },
        },
    },
}


class PublicComplaintsView(GenericAPIView[Complaint]):
    """Complaints of public categories, as open data."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []  # public: no credentials are read
    renderer_classes = [GeoJsonRenderer, JSONRenderer]
    pagination_class = PublicComplaintsPagination

    @extend_schema(
        tags=TAGS,
        summary="Public complaints as GeoJSON",
        description=FEATURE_COLLECTION["description"],
        parameters=[
            OpenApiParameter(
                "jurisdiction", str, required=True, description="The jurisdiction's code."
            ),
            OpenApiParameter(
                "category",
                str,
                description="A category's code: its complaints and those of the categories "
                "beneath it.",
            ),
            OpenApiParameter(
                "status", str, description="Statuses, comma-separated, e.g. routed,in_progress."
            ),
            OpenApiParameter(
                "bbox",
                str,
                description="west,south,east,north in degrees: only complaints inside.",
            ),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Submitted at or after."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Submitted before."),
            OpenApiParameter("page_size", int, description="Up to 1,000; 500 by default."),
            OpenApiParameter(
                "cursor", str, description="Where a page starts: follow the `links` given."
            ),
        ],
        responses={
            (200, "application/geo+json"): FEATURE_COLLECTION,
            400: OpenApiResponse(VALIDATION_PROBLEM_REF, description="Invalid filters."),
            404: OpenApiResponse(PROBLEM_REF, description="No such jurisdiction."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = PublicComplaintsInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        filters = given.validated_data
        complaints = published(_jurisdiction(filters["jurisdiction"]))
        if "category" in filters:
            code = filters["category"]
            complaints = complaints.filter(
                Q(category__code=code)
                | Q(category__parent__code=code)
                | Q(category__parent__parent__code=code)
            )
        if "status" in filters:
            complaints = complaints.filter(status__in=filters["status"])
        if "bbox" in filters:
            west, south, east, north = filters["bbox"]
            complaints = complaints.filter(
                longitude__gte=west, longitude__lte=east, latitude__gte=south,
                latitude__lte=north,
            )  # fmt: skip
        if "since" in filters:
            complaints = complaints.filter(created_at__gte=filters["since"])
        if "until" in filters:
            complaints = complaints.filter(created_at__lt=filters["until"])
        page = self.paginate_queryset(complaints) or []
        return _public(self.get_paginated_response([feature(c) for c in page]))


# Statistics ----------------------------------------------------------------------------------


class StatsInput(serializers.Serializer[Any]):
    jurisdiction = serializers.SlugField(max_length=40)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": _("Give a moment after `since`.")})
        return attrs


class FiguresOutput(serializers.Serializer[Any]):
    volume = serializers.IntegerField(help_text="Complaints submitted in the period.")
    resolved = serializers.IntegerField(
        help_text="Complaints resolved in the period whose on-time verdict is known."
    )
    on_time = serializers.IntegerField(help_text="Of those, resolved by the deadline.")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="on_time / resolved, 0–1.")
    ratings = serializers.IntegerField(help_text="Ratings given in the period.")
    average_result = serializers.FloatField(allow_null=True, help_text="Result score, 1–5.")
    satisfied_share = serializers.FloatField(allow_null=True, help_text="0–1.")
    rework = serializers.IntegerField(
        help_text="Dissatisfied ratings, each of which sent its complaint back for rework."
    )


class GroupFiguresOutput(FiguresOutput):
    code = serializers.CharField(allow_null=True, help_text="Null: outside every district.")
    name = serializers.CharField(allow_null=True)


class StatsOutput(serializers.Serializer[Any]):
    jurisdiction = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    total = FiguresOutput()
    by_category = GroupFiguresOutput(many=True)
    by_district = GroupFiguresOutput(many=True)


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _figures(figures: stats.Figures) -> dict[str, Any]:
    return {
        "volume": figures.volume,
        "resolved": figures.on_time.resolved,
        "on_time": figures.on_time.on_time,
        "on_time_rate": _rounded(figures.on_time.rate),
        "ratings": figures.satisfaction.ratings,
        "average_result": _rounded(figures.satisfaction.average_result),
        "satisfied_share": _rounded(figures.satisfaction.satisfied_share),
        "rework": figures.satisfaction.rework,
    }


def _groups(
    figures: dict[stats.Key, stats.Figures], names: dict[int, tuple[str, str]]
) -> list[dict[str, Any]]:
    rows = []
    for key, group in figures.items():
        code, name = names.get(key, (None, None)) if key is not None else (None, None)
        rows.append({"code": code, "name": name, **_figures(group)})
    return sorted(rows, key=lambda row: (row["code"] is None, row["code"] or ""))


class ComplaintStatsView(GenericAPIView[Complaint]):
    """Aggregate figures of a jurisdiction's public complaints."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    pagination_class = None

    @extend_schema(
        tags=TAGS,
        summary="Complaint statistics",
        description="Volume (complaints submitted), on-time rate (complaints resolved, and the "
        "share by their deadline) and satisfaction (ratings given: average result, share "
        "satisfied, rework), each over what happened in [since, until), in total, by category "
        "and by district. Public categories only, as for /complaints/public.",
        parameters=[
            OpenApiParameter(
                "jurisdiction", str, required=True, description="The jurisdiction's code."
            ),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="From this moment."),
            OpenApiParameter(
                "until", OpenApiTypes.DATETIME, description="Until this moment, excluded."
            ),
        ],
        responses={
            200: StatsOutput,
            400: OpenApiResponse(VALIDATION_PROBLEM_REF, description="Invalid arguments."),
            404: OpenApiResponse(PROBLEM_REF, description="No such jurisdiction."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = StatsInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        filters = given.validated_data
        jurisdiction = _jurisdiction(filters["jurisdiction"])
        scope: dict[str, Any] = {
            "jurisdiction": jurisdiction, "since": filters.get("since"),
            "until": filters.get("until"), "public_only": True,
        }  # fmt: skip
        by_category = stats.figures(by="category", **scope)
        by_district = stats.figures(by="district", **scope)
        categories = {
            category.pk: (category.code, category.name)
            for category in ComplaintCategory.objects.filter(
                pk__in=[key for key in by_category if key is not None]
            ).only("code", *_translated("name"))
        }
        districts = {
            district.pk: (district.code, district.name)
            for district in District.objects.filter(
                pk__in=[key for key in by_district if key is not None]
            ).only("code", *_translated("name"))
        }
        when = serializers.DateTimeField()
        body = {
            "jurisdiction": jurisdiction.code,
            "since": when.to_representation(filters["since"]) if "since" in filters else None,
            "until": when.to_representation(filters["until"]) if "until" in filters else None,
            "total": _figures(stats.total(by_category.values())),
            "by_category": _groups(by_category, categories),
            "by_district": _groups(by_district, districts),
        }
        return _public(Response(body))


urlpatterns: list[URLPattern | URLResolver] = [
    path("public", PublicComplaintsView.as_view(), name="public-complaints"),
    path("stats", ComplaintStatsView.as_view(), name="complaint-stats"),
]

"""Reads of complaints that carry a citizen-facing rule: whose complaints a citizen sees (the
ones they reported or follow), the anonymous reporter's view through the secret token, which
categories take reports, the category tree, and the open complaints near a place (duplicates
to follow instead of reporting again)."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import field_error
from complaints.errors import CategoryNotFound, ComplaintNotFound
from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Follower,
    Photo,
    Question,
    QuestionChoice,
    Rating,
    hash_tracking_token,
)
from complaints.routing import routing_table_by_code
from complaints.states import ACTIVE
from identity.models import Jurisdiction, Person

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = 111_320.0
NEARBY_MAX = 20
# Nearest candidates by the flat approximation, checked exactly afterwards: within a few
# kilometres the two orders agree, so the nearest twenty are among them.
NEARBY_CANDIDATES = 60
SHORT_DESCRIPTION = 140


# A citizen's complaints -----------------------------------------------------------------------


def complaints_reported_by(person: Person) -> QuerySet[Complaint]:
    return Complaint.objects.filter(reporter=person)


def complaints_followed_by(person: Person) -> QuerySet[Complaint]:
    return Complaint.objects.filter(
        Exists(Follower.objects.filter(complaint=OuterRef("pk"), person=person))
    )


def with_summary(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return queryset.select_related("category", "jurisdiction")


def with_detail(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Everything the citizen's view shows, in a fixed number of queries: the complaint with
    its category, agency and original (one), the public history, photos and ratings."""
    return (
        with_summary(queryset)
        .select_related("agency")
        .annotate(duplicate_of_number=F("duplicate_of__tracking_number"))
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ComplaintEvent.objects.filter(is_public=True)
                .only("complaint_id", "at", "to_status", "note")
                .order_by("at", "pk"),
                to_attr="public_events",
            ),
            Prefetch("photos", queryset=Photo.objects.order_by("pk")),
            Prefetch("ratings", queryset=Rating.objects.order_by("round")),
        )
    )


def complaint_of_citizen(person: Person, tracking_number: str) -> Complaint:
    """A complaint the citizen reported or follows, with its details; anyone else's is
    "not found"."""
    queryset = complaints_reported_by(person) | complaints_followed_by(person)
    complaint = with_detail(queryset.filter(tracking_number=tracking_number)).first()
    if complaint is None:
        raise ComplaintNotFound()
    complaint.viewer_is_reporter = complaint.reporter_id == person.pk  # type: ignore[attr-defined]
    return complaint


def complaint_by_token(token: str) -> Complaint:
    """The anonymous complaint whose secret tracking token this is (looked up by its hash)."""
    if not token or len(token) > 200:
        raise ComplaintNotFound()
    queryset = Complaint.objects.filter(tracking_token_hash=hash_tracking_token(token))
    complaint = with_detail(queryset).first()
    if complaint is None:
        raise ComplaintNotFound()
    complaint.viewer_is_reporter = True  # type: ignore[attr-defined]
    return complaint


def complaint_to_follow(tracking_number: str) -> Complaint:
    """A complaint of a public category: those are the ones anybody may find nearby."""
    complaint = (
        Complaint.objects.filter(tracking_number=tracking_number, category__is_public=True)
        .only("pk", "tracking_number", "status", "reporter_id", "category_id")
        .first()
    )
    if complaint is None:
        raise ComplaintNotFound()
    return complaint


# Categories -----------------------------------------------------------------------------------


def jurisdiction_by_code(code: str) -> Jurisdiction:
    jurisdiction = Jurisdiction.objects.filter(code=code).first()
    if jurisdiction is None:
        raise CategoryNotFound(
            errors=[field_error("jurisdiction", "not_found", _("No such jurisdiction."))]
        )
    return jurisdiction


def reportable_category(*, jurisdiction: str, code: str) -> ComplaintCategory:
    """An active category of the jurisdiction by its code, with the jurisdiction read along;
    whether it takes reports (a leaf) is for the intake to say. Read from the jurisdiction's
    routing table, so no query while it is current: the category is shared by the process's
    requests, to be read and referred to, never changed."""
    table = routing_table_by_code(jurisdiction)
    category = table.categories.get(code) if table is not None else None
    if category is None or not category.is_active:
        raise CategoryNotFound(
            errors=[
                field_error(
                    "category",
                    "not_found",
                    _("The jurisdiction has no active category by this code."),
                )
            ]
        )
    return category


@dataclass
class CategoryNode:
    category: ComplaintCategory
    children: list[CategoryNode]

    @property
    def is_leaf(self) -> bool:
        return not self.children


def category_tree(jurisdiction: Jurisdiction) -> list[CategoryNode]:
    """The jurisdiction's active categories as a tree in their order; a category beneath an
    inactive one is left out with it. The leaves carry their questions and choices. Three
    queries whatever the size of the tree."""
    categories = list(
        ComplaintCategory.objects.filter(jurisdiction=jurisdiction, is_active=True)
        .order_by("order", "code")
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("order", "code").prefetch_related(
                    Prefetch("choices", queryset=QuestionChoice.objects.order_by("order", "key"))
                ),
            )
        )
    )
    nodes = {category.pk: CategoryNode(category, []) for category in categories}
    roots: list[CategoryNode] = []
    for category in categories:
        node = nodes[category.pk]
        if category.parent_id is None:
            roots.append(node)
        elif category.parent_id in nodes:
            nodes[category.parent_id].children.append(node)
    return roots


# Nearby ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyComplaint:
    tracking_number: str
    status: str
    distance_m: int
    created_at: datetime
    description: str


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearby_complaints(
    category: ComplaintCategory,
    *,
    latitude: Decimal,
    longitude: Decimal,
    now: datetime | None = None,
) -> list[NearbyComplaint]:
    """Active complaints of a public category within its duplicate radius of the point,
    reported within its duplicate window, nearest first (at most twenty): what a citizen may
    follow instead of reporting again. Nothing about who reported them. A category whose
    reports are not public shows none. One query: a bounding box on the indexed columns, the
    nearest by a flat approximation, then the exact distance here."""
    if not category.is_public:
        return []
    lat, lon = float(latitude), float(longitude)
    radius = float(category.duplicate_radius_m)
    since = (now or timezone.now()) - timedelta(days=category.duplicate_window_days)
    lat_span = radius / METRES_PER_DEGREE
    lon_scale = max(math.cos(math.radians(lat)), 0.01)
    lon_span = radius / (METRES_PER_DEGREE * lon_scale)
    box = Complaint.objects.filter(
        category=category,
        created_at__gte=since,
        status__in=sorted(ACTIVE),
        latitude__range=(_degrees(lat - lat_span), _degrees(lat + lat_span)),
        longitude__range=(_degrees(lon - lon_span), _degrees(lon + lon_span)),
    )
    flat_distance = (F("latitude") - _degrees(lat)) * (F("latitude") - _degrees(lat)) + (
        F("longitude") - _degrees(lon)
    ) * (F("longitude") - _degrees(lon)) * _degrees(lon_scale * lon_scale)
    rows = (
        box.alias(flat_distance=flat_distance)
        .order_by("flat_distance", "-created_at")
        .values_list("tracking_number", "status", "created_at", "description", "latitude",
                     "longitude")[:NEARBY_CANDIDATES]
    )  # fmt: skip
    found = []
    for number, status, created_at, description, row_lat, row_lon in rows:
        if row_lat is None or row_lon is None:  # the range filter left none; for the types
            continue
        distance = haversine_m(lat, lon, float(row_lat), float(row_lon))
        if distance <= radius:
            found.append(
                NearbyComplaint(
                    tracking_number=number,
                    status=status,
                    distance_m=round(distance),
                    created_at=created_at,
                    description=short_description(description),
                )
            )
    found.sort(key=lambda nearby: (nearby.distance_m, -nearby.created_at.timestamp()))
    return found[:NEARBY_MAX]


def _degrees(value: float) -> Decimal:
    return Decimal(f"{value:.7f}")


def short_description(text: str) -> str:
    """The first words of a description, cut at a word where there are spaces."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    if len(text) <= SHORT_DESCRIPTION:
        return text
    cut = text[: SHORT_DESCRIPTION - 1]
    if " " in cut[SHORT_DESCRIPTION // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"

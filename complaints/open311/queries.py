"""The reads behind the Open311 server: a jurisdiction's services (active leaf categories),
one service with its questions, and the public service requests and their updates. Each list
is one query, whatever its length."""

import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Question,
    QuestionChoice,
)
from complaints.publication import PUBLIC_COLUMNS, public_complaints
from identity.models import Jurisdiction

# At most this many requests or updates in one answer (the specification's default limit).
LIMIT = 1000
TRANSLATED = ("en", "th", "zh_hans")


def _translated(*fields: str) -> list[str]:
    return [f"{field}_{suffix}" for field in fields for suffix in TRANSLATED]


def jurisdiction_with_code(code: str) -> Jurisdiction | None:
    return Jurisdiction.objects.filter(code=code).first()


def services_of(jurisdiction: Jurisdiction) -> QuerySet[ComplaintCategory]:
    """The categories one reports under: active, with no categories beneath them. Each carries
    `has_questions`, and its parent (the service's group)."""
    children = ComplaintCategory.objects.filter(parent=OuterRef("pk"))
    questions = Question.objects.filter(category=OuterRef("pk"))
    return (
        ComplaintCategory.objects.filter(jurisdiction=jurisdiction, is_active=True)
        .annotate(has_children=Exists(children), has_questions=Exists(questions))
        .filter(has_children=False)
        .select_related("parent")
        .order_by("order", "code")
    )


def service_with_code(jurisdiction: Jurisdiction, code: str) -> ComplaintCategory | None:
    """One service of the jurisdiction, its questions and their choices read with it."""
    choices = Prefetch("choices", queryset=QuestionChoice.objects.order_by("order", "key"))
    questions = Prefetch(
        "questions",
        queryset=Question.objects.order_by("order", "code").prefetch_related(choices),
    )
    return services_of(jurisdiction).filter(code=code).prefetch_related(questions).first()


def public_requests(jurisdiction: Jurisdiction) -> QuerySet[Complaint]:
    """The jurisdiction's complaints the public may see, with what a service request shows:
    the category and agency, and the last public note (a subquery, so a list of any length
    is one query), newest first."""
    last_note = (
        ComplaintEvent.objects.filter(complaint=OuterRef("pk"), is_public=True)
        .exclude(note="")
        .order_by("-at", "-pk")
        .values("note")[:1]
    )
    return (
        public_complaints()
        .filter(jurisdiction=jurisdiction)
        .select_related("category", "agency")
        .only(
            *PUBLIC_COLUMNS,
            "category__code",
            "category__first_contact_hours",
            "category__resolution_amount",
            "category__resolution_unit",
            *(f"category__{column}" for column in _translated("name")),
            "agency__code",
            *(f"agency__{column}" for column in _translated("name")),
        )
        .annotate(status_notes=Subquery(last_note))
        .order_by("-created_at", "-pk")
    )


def public_updates(
    jurisdiction: Jurisdiction, *, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[ComplaintEvent]:
    """The public history entries of the jurisdiction's public complaints made between start
    and end, oldest first, each with its complaint's tracking number."""
    return (
        ComplaintEvent.objects.filter(
            is_public=True,
            complaint__jurisdiction=jurisdiction,
            complaint__category__is_public=True,
            at__gte=start,
            at__lte=end,
        )
        .select_related("complaint")
        .only("id", "to_status", "note", "at", "complaint__tracking_number")
        .order_by("at", "pk")
    )

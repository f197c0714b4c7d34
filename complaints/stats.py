"""Complaint statistics: volume, on-time rate and satisfaction, per category, district or
agency, over a date range. Each figure is one set-based query (one GROUP BY), however many
complaints there are; nothing is read row by row.

Every measure counts what happened within [since, until), each by its own moment:
- volume: complaints submitted (created_at);
- on-time rate: complaints resolved (resolved_at) whose verdict is known (resolved_on_time
  not null), and of those the share resolved by the deadline; a complaint reopened for
  rework has no verdict until it is resolved again;
- satisfaction: ratings given (Rating.created_at): the average result score, the share
  satisfied, and the dissatisfied ones, each of which sent its complaint back for rework.

Results are keyed by the id of the category, district or agency; None collects complaints
without one (not yet routed, or outside every district).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from complaints.models import Complaint, Rating
from identity.models import Agency, Jurisdiction

Dimension = Literal["category", "district", "agency"]
Period = Literal["day", "week", "month"]
Key = int | None
TRUNCATE = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class OnTimeRate:
    """Complaints resolved with a known verdict, and how many of them by the deadline."""

    resolved: int = 0
    on_time: int = 0

    @property
    def rate(self) -> float | None:
        """The share resolved on time, 0 to 1; None when nothing was resolved."""
        return self.on_time / self.resolved if self.resolved else None

    def __add__(self, other: "OnTimeRate") -> "OnTimeRate":
        return OnTimeRate(self.resolved + other.resolved, self.on_time + other.on_time)


@dataclass(frozen=True)
class Satisfaction:
    """Ratings given, how many satisfied, and the sum of their result scores (1 to 5)."""

    ratings: int = 0
    satisfied: int = 0
    result_total: int = 0

    @property
    def average_result(self) -> float | None:
        return self.result_total / self.ratings if self.ratings else None

    @property
    def satisfied_share(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def rework(self) -> int:
        """Dissatisfied ratings: each sent its complaint back to the agency."""
        return self.ratings - self.satisfied

    def __add__(self, other: "Satisfaction") -> "Satisfaction":
        return Satisfaction(
            self.ratings + other.ratings,
            self.satisfied + other.satisfied,
            self.result_total + other.result_total,
        )


@dataclass(frozen=True)
class Figures:
    """Every measure for one category, district or agency (or in total)."""

    volume: int = 0
    on_time: OnTimeRate = OnTimeRate()
    satisfaction: Satisfaction = Satisfaction()

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.volume + other.volume,
            self.on_time + other.on_time,
            self.satisfaction + other.satisfaction,
        )


def scope(
    *,
    jurisdiction: Jurisdiction | None = None,
    agency: Agency | None = None,
    public_only: bool = False,
) -> QuerySet[Complaint]:
    """The complaints a statistic covers: of a jurisdiction (and those beneath it), handled by
    an agency, only in public categories (for open data) — each when given."""
    complaints = Complaint.objects.all()
    if jurisdiction is not None:
        within = Jurisdiction.objects.filter(
            Q(pk=jurisdiction.pk) | Q(parent=jurisdiction) | Q(parent__parent=jurisdiction)
        )
        complaints = complaints.filter(jurisdiction__in=within.values("pk"))
    if agency is not None:
        complaints = complaints.filter(agency=agency)
    if public_only:
        complaints = complaints.filter(category__is_public=True)
    return complaints


def _between(
    rows: QuerySet[Any], moment: str, since: datetime.datetime | None,
    until: datetime.datetime | None,
) -> QuerySet[Any]:  # fmt: skip
    if since is not None:
        rows = rows.filter(**{f"{moment}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{moment}__lt": until})
    return rows


def volumes(
    *,
    by: Dimension,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    jurisdiction: Jurisdiction | None = None,
    agency: Agency | None = None,
    public_only: bool = False,
) -> dict[Key, int]:
    """Complaints submitted within [since, until), per `by`."""
    complaints = _between(scope(jurisdiction=jurisdiction, agency=agency,
                                public_only=public_only), "created_at", since, until)  # fmt: skip
    rows = complaints.order_by().values(f"{by}_id").annotate(volume=Count("pk"))
    return {row[f"{by}_id"]: row["volume"] for row in rows}


def on_time_rates(
    *,
    by: Dimension,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    jurisdiction: Jurisdiction | None = None,
    agency: Agency | None = None,
    public_only: bool = False,
) -> dict[Key, OnTimeRate]:
    """On-time rates per agency, category or district (`by`), keyed by its id: of the
    complaints resolved within [since, until) whose verdict is known, how many were resolved
    by their resolution deadline. Narrow with `jurisdiction` (and those beneath it), `agency`,
    and `public_only`. One query. An agency's categories last month, for example:

        on_time_rates(by="category", agency=works, since=november, until=december)
    """
    complaints = _between(scope(jurisdiction=jurisdiction, agency=agency,
                                public_only=public_only), "resolved_at", since, until)  # fmt: skip
    rows = (
        complaints.filter(resolved_on_time__isnull=False)
        .order_by()
        .values(f"{by}_id")
        .annotate(resolved=Count("pk"), on_time=Count("pk", filter=Q(resolved_on_time=True)))
    )
    return {row[f"{by}_id"]: OnTimeRate(row["resolved"], row["on_time"]) for row in rows}


def satisfaction(
    *,
    by: Dimension,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    jurisdiction: Jurisdiction | None = None,
    agency: Agency | None = None,
    public_only: bool = False,
) -> dict[Key, Satisfaction]:
    """Ratings given within [since, until) to the complaints in scope, per `by`."""
    complaints = scope(jurisdiction=jurisdiction, agency=agency, public_only=public_only)
    ratings = _between(Rating.objects.filter(complaint__in=complaints), "created_at", since,
                       until)  # fmt: skip
    key = f"complaint__{by}_id"
    rows = (
        ratings.order_by()
        .values(key)
        .annotate(
            ratings=Count("pk"),
            satisfied=Count("pk", filter=Q(is_satisfied=True)),
            result_total=Sum("result"),
        )
    )
    return {
        row[key]: Satisfaction(row["ratings"], row["satisfied"], row["result_total"] or 0)
        for row in rows
    }


def figures(
    *,
    by: Dimension,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    jurisdiction: Jurisdiction | None = None,
    agency: Agency | None = None,
    public_only: bool = False,
) -> dict[Key, Figures]:
    """Volume, on-time rate and satisfaction per `by`, in three queries."""
    options: dict[str, Any] = {
        "by": by, "since": since, "until": until, "jurisdiction": jurisdiction,
        "agency": agency, "public_only": public_only,
    }  # fmt: skip
    counted = volumes(**options)
    rates = on_time_rates(**options)
    rated = satisfaction(**options)
    return {
        key: Figures(
            counted.get(key, 0), rates.get(key, OnTimeRate()), rated.get(key, Satisfaction())
        )
        for key in {*counted, *rates, *rated}
    }


def total(parts: Iterable[Figures]) -> Figures:
    """The figures of several groups together (rates recomputed from their counts)."""
    return sum(parts, Figures())


def volume_over_time(
    *,
    period: Period,
    zone: ZoneInfo,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    jurisdiction: Jurisdiction | None = None,
    agency: Agency | None = None,
    public_only: bool = False,
) -> list[tuple[datetime.date, int]]:
    """Complaints submitted per day, week (from Monday) or month in `zone`, oldest first;
    periods without complaints are left out."""
    complaints = _between(scope(jurisdiction=jurisdiction, agency=agency,
                                public_only=public_only), "created_at", since, until)  # fmt: skip
    rows = (
        complaints.order_by()
        .annotate(period=TRUNCATE[period]("created_at", tzinfo=zone))
        .values("period")
        .annotate(volume=Count("pk"))
        .order_by("period")
    )
    return [(_as_date(row["period"], zone), row["volume"]) for row in rows]


def _as_date(value: datetime.date | datetime.datetime, zone: ZoneInfo) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.astimezone(zone).date()
    return value

"""Routing tables: a jurisdiction's districts and active routing rules, compiled once per
process and kept until they change.

Districts are shapely geometries in an STRtree, so finding the district of a point costs a
tree lookup and a point-in-polygon test on the few candidates, not a scan of every polygon.
Rules are compiled to plain sets and tuples, so matching is pure Python with no query. A table
is rebuilt when its version changes: the newest edit and the count of the jurisdiction's rules,
districts and categories, read in one small query per routing (an admin save of a rule touches
its updated_at, also when only its categories or districts changed).
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from threading import Lock
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry, prep

from complaints.models import ComplaintCategory, District, RoutingRule
from identity.models import Jurisdiction


@dataclass(frozen=True)
class CompiledRule:
    pk: int
    priority: int
    name: str
    agency_id: int
    category_ids: frozenset[int]
    district_ids: frozenset[int]
    weekdays: frozenset[int]
    time_from: time | None
    time_to: time | None
    answers: dict[str, Any]

    def matches(
        self, *, categories: frozenset[int], district_id: int | None, local: datetime,
        answers: dict[str, Any],
    ) -> bool:  # fmt: skip
        """Whether every condition holds; `categories` is the category and its ancestors."""
        if self.category_ids and not (self.category_ids & categories):
            return False
        if self.district_ids and district_id not in self.district_ids:
            return False
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        if self.time_from is not None and self.time_to is not None:
            now = local.time()
            if self.time_from <= self.time_to:
                if not (self.time_from <= now < self.time_to):
                    return False
            elif self.time_to <= now < self.time_from:  # spans midnight
                return False
        return all(_answer_matches(answers.get(code), want) for code, want in self.answers.items())


def _answer_matches(given: Any, want: Any) -> bool:
    wanted = {str(value) for value in want} if isinstance(want, list) else {str(want)}
    if isinstance(given, list):  # a multi-value answer matches when any of its values is wanted
        return any(str(value) in wanted for value in given)
    return given is not None and str(given) in wanted


@dataclass(frozen=True)
class RoutingTable:
    jurisdiction_id: int
    time_zone: ZoneInfo
    rules: tuple[CompiledRule, ...]
    # category id → its id and every ancestor's, for rules that name a parent category
    lineage: dict[int, frozenset[int]]
    district_ids: tuple[int, ...] = ()
    geometries: tuple[PreparedGeometry, ...] = ()
    tree: STRtree | None = field(default=None, compare=False)

    @property
    def has_districts(self) -> bool:
        return bool(self.district_ids)

    def district_at(self, latitude: float, longitude: float) -> int | None:
        """The district containing the point (the first by code where areas overlap)."""
        if self.tree is None:
            return None
        point = Point(float(longitude), float(latitude))
        for index in sorted(int(i) for i in self.tree.query(point)):
            if self.geometries[index].covers(point):
                return self.district_ids[index]
        return None

    def match(
        self, *, category_id: int, district_id: int | None, at: datetime,
        answers: dict[str, Any],
    ) -> CompiledRule | None:  # fmt: skip
        """The first rule, by priority, whose conditions hold; None sends it to dispatch."""
        categories = self.lineage.get(category_id, frozenset({category_id}))
        local = at.astimezone(self.time_zone)
        for rule in self.rules:
            if rule.matches(
                categories=categories, district_id=district_id, local=local, answers=answers
            ):
                return rule
        return None


_tables: dict[int, tuple[tuple[Any, ...], RoutingTable]] = {}
_lock = Lock()


def routing_table(jurisdiction: Jurisdiction) -> RoutingTable:
    """The jurisdiction's compiled table, rebuilt only when its rules, districts or categories
    have changed (one query to find out)."""
    version = _version(jurisdiction.pk)
    cached = _tables.get(jurisdiction.pk)
    if cached is not None and cached[0] == version:
        return cached[1]
    table = _build(jurisdiction)
    with _lock:
        _tables[jurisdiction.pk] = (version, table)
    return table


def clear_cache() -> None:
    with _lock:
        _tables.clear()


_VERSION_SQL = """
SELECT r.n, r.at, d.n, d.at, c.n, c.at FROM
    (SELECT COUNT(*) AS n, MAX(updated_at) AS at FROM complaints_routingrule
     WHERE jurisdiction_id = %s) AS r,
    (SELECT COUNT(*) AS n, MAX(updated_at) AS at FROM complaints_district
     WHERE jurisdiction_id = %s) AS d,
    (SELECT COUNT(*) AS n, MAX(updated_at) AS at FROM complaints_complaintcategory
     WHERE jurisdiction_id = %s) AS c
"""


def _version(jurisdiction_id: int) -> tuple[Any, ...]:
    """How many rules, districts and categories the jurisdiction has, and the newest edit of
    each: any admin save or delete changes it. One query."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL, [jurisdiction_id] * 3)
        row = cursor.fetchone()
    return tuple(row)


def _build(jurisdiction: Jurisdiction) -> RoutingTable:
    parents = dict(
        ComplaintCategory.objects.filter(jurisdiction=jurisdiction).values_list("pk", "parent_id")
    )
    lineage: dict[int, frozenset[int]] = {}
    for pk in parents:
        chain: set[int] = set()
        node: int | None = pk
        while node is not None and node not in chain:
            chain.add(node)
            node = parents.get(node)
        lineage[pk] = frozenset(chain)
    rules = tuple(
        CompiledRule(
            pk=rule.pk,
            priority=rule.priority,
            name=rule.name,
            agency_id=rule.agency_id,
            category_ids=frozenset(c.pk for c in rule.categories.all()),
            district_ids=frozenset(d.pk for d in rule.districts.all()),
            weekdays=frozenset(rule.weekdays or ()),
            time_from=rule.time_from,
            time_to=rule.time_to,
            answers=dict(rule.answers or {}),
        )
        for rule in RoutingRule.objects.filter(
            jurisdiction=jurisdiction, is_active=True, agency__is_active=True
        )
        .only("pk", "priority", "name", "agency_id", "weekdays", "time_from", "time_to", "answers")
        .prefetch_related("categories", "districts")
        .order_by("priority")
    )
    districts = list(
        District.objects.filter(jurisdiction=jurisdiction)
        .order_by("code")
        .values_list("pk", "boundary")
    )
    shapes = [shape(boundary) for _, boundary in districts]
    return RoutingTable(
        jurisdiction_id=jurisdiction.pk,
        time_zone=ZoneInfo(jurisdiction.time_zone),
        rules=rules,
        lineage=lineage,
        district_ids=tuple(pk for pk, _ in districts),
        geometries=tuple(prep(geometry) for geometry in shapes),
        tree=STRtree(shapes) if shapes else None,
    )

"""Routing tables: a jurisdiction's districts, active routing rules and reportable categories
(with their questions), compiled once per process and kept until they change.

Districts are shapely geometries in an STRtree, so finding the district of a point costs a
tree lookup and a point-in-polygon test on the few candidates, not a scan of every polygon.
Rules are compiled to plain sets and tuples, so matching is pure Python with no query. A table
is rebuilt when its version changes: the newest edit and the count of the jurisdiction's rules,
districts, categories and questions, and its code (an admin save of a rule touches its
updated_at, also when only its categories or districts changed; a question's, also when only its
choices changed). The version is read in one small query, at most once every
COMPLAINTS_CATALOGUE_RECHECK_SECONDS per process: intake and routing run fifty times a second,
and an admin edit may take that long to reach every process.
"""

import time as clock
from dataclasses import dataclass, field
from datetime import datetime, time
from threading import Lock
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry, prep

from complaints.models import ComplaintCategory, District, Question, RoutingRule
from identity.models import Agency, Jurisdiction


@dataclass(frozen=True)
class QuestionSpec:
    """What answering one question takes: its type, whether it must be answered, and for
    list questions the keys of its choices."""

    code: str
    datatype: str
    is_required: bool
    choices: tuple[str, ...]


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
    # The jurisdiction's row, read along with its categories. Shared by every request of the
    # process, as are the categories below: read them, never change or save them.
    jurisdiction: Jurisdiction = field(compare=False)
    time_zone: ZoneInfo
    rules: tuple[CompiledRule, ...]
    # category id → its id and every ancestor's, for rules that name a parent category
    lineage: dict[int, frozenset[int]]
    district_ids: tuple[int, ...] = ()
    geometries: tuple[PreparedGeometry, ...] = ()
    tree: STRtree | None = field(default=None, compare=False)
    # Every category of the jurisdiction by code and by id, which of them have none beneath
    # them, and each category's questions in their order.
    categories: dict[str, ComplaintCategory] = field(default_factory=dict, compare=False)
    category_by_id: dict[int, ComplaintCategory] = field(default_factory=dict, compare=False)
    leaf_ids: frozenset[int] = frozenset()
    questions: dict[int, tuple[QuestionSpec, ...]] = field(default_factory=dict, compare=False)
    # The agencies that may be given complaints: the active ones (of every jurisdiction: an
    # agency may serve several)
    active_agency_ids: frozenset[int] = frozenset()

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


# jurisdiction id → (version, table, when the version was last read: time.monotonic())
_tables: dict[int, tuple[tuple[Any, ...], RoutingTable, float]] = {}
_jurisdiction_ids: dict[str, int] = {}
_lock = Lock()


def routing_table(jurisdiction_id: int) -> RoutingTable:
    """The jurisdiction's compiled table, rebuilt only when its rules, districts, categories or
    questions have changed (one query to find out, at most once per recheck interval)."""
    now = clock.monotonic()
    cached = _tables.get(jurisdiction_id)
    if cached is not None and now - cached[2] < settings.COMPLAINTS_CATALOGUE_RECHECK_SECONDS:
        return cached[1]
    version = _version(jurisdiction_id)
    table = cached[1] if cached is not None and cached[0] == version else None
    if table is None:
        table = _build(jurisdiction_id)
    with _lock:
        _tables[jurisdiction_id] = (version, table, now)
    return table


def routing_table_by_code(code: str) -> RoutingTable | None:
    """The table of the jurisdiction with this code, or None when there is no such
    jurisdiction."""
    pk = _jurisdiction_ids.get(code)
    if pk is None:
        pk = Jurisdiction.objects.filter(code=code).values_list("pk", flat=True).first()
        if pk is None:
            return None
    table = routing_table(pk)
    if table.jurisdiction.code != code:  # renamed since this process learnt the code
        with _lock:
            _jurisdiction_ids.pop(code, None)
        return None
    with _lock:
        _jurisdiction_ids[code] = pk
    return table


def clear_cache() -> None:
    with _lock:
        _tables.clear()
        _jurisdiction_ids.clear()


_VERSION_SQL = """
SELECT j.code, r.n, r.at, d.n, d.at, c.n, c.at, q.n, q.at, q.choices, a.n, a.ids FROM
    (SELECT code FROM identity_jurisdiction WHERE id = %s) AS j,
    (SELECT COUNT(*) AS n, SUM(id) AS ids FROM identity_agency WHERE is_active) AS a,
    (SELECT COUNT(*) AS n, MAX(updated_at) AS at FROM complaints_routingrule
     WHERE jurisdiction_id = %s) AS r,
    (SELECT COUNT(*) AS n, MAX(updated_at) AS at FROM complaints_district
     WHERE jurisdiction_id = %s) AS d,
    (SELECT COUNT(*) AS n, MAX(updated_at) AS at FROM complaints_complaintcategory
     WHERE jurisdiction_id = %s) AS c,
    (SELECT COUNT(DISTINCT q.id) AS n, MAX(q.updated_at) AS at, COUNT(h.id) AS choices
     FROM complaints_question q
     JOIN complaints_complaintcategory qc ON qc.id = q.category_id
     LEFT JOIN complaints_questionchoice h ON h.question_id = q.id
     WHERE qc.jurisdiction_id = %s) AS q
"""


def _version(jurisdiction_id: int) -> tuple[Any, ...]:
    """The jurisdiction's code; how many rules, districts, categories, questions and choices it
    has, and the newest edit of each; which agencies are active: any admin save or delete
    changes it. One query; an empty tuple when the jurisdiction is gone."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL, [jurisdiction_id] * 5)
        row = cursor.fetchone()
    return tuple(row) if row is not None else ()


def _build(jurisdiction_id: int) -> RoutingTable:
    jurisdiction = Jurisdiction.objects.get(pk=jurisdiction_id)
    categories = list(ComplaintCategory.objects.filter(jurisdiction=jurisdiction))
    for category in categories:
        category.jurisdiction = jurisdiction
    parents = {category.pk: category.parent_id for category in categories}
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
        jurisdiction=jurisdiction,
        time_zone=ZoneInfo(jurisdiction.time_zone),
        rules=rules,
        lineage=lineage,
        district_ids=tuple(pk for pk, _ in districts),
        geometries=tuple(prep(geometry) for geometry in shapes),
        tree=STRtree(shapes) if shapes else None,
        categories={category.code: category for category in categories},
        category_by_id={category.pk: category for category in categories},
        active_agency_ids=frozenset(
            Agency.objects.filter(is_active=True).values_list("pk", flat=True)
        ),
        leaf_ids=frozenset(parents) - {parent for parent in parents.values() if parent},
        questions=_questions(jurisdiction),
    )


def _questions(jurisdiction: Jurisdiction) -> dict[int, tuple[QuestionSpec, ...]]:
    """Every category's questions in their order, with their choice keys; one query."""
    specs: dict[int, dict[str, QuestionSpec]] = {}
    rows = (
        Question.objects.filter(category__jurisdiction=jurisdiction)
        .order_by("category_id", "order", "code", "choices__order", "choices__key")
        .values_list("category_id", "code", "datatype", "is_required", "choices__key")
    )
    for category_id, code, datatype, is_required, key in rows:
        of_category = specs.setdefault(category_id, {})
        spec = of_category.get(code) or QuestionSpec(code, datatype, is_required, ())
        if key is not None:
            spec = QuestionSpec(code, datatype, is_required, (*spec.choices, key))
        of_category[code] = spec
    return {category_id: tuple(of.values()) for category_id, of in specs.items()}

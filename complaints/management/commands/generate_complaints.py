"""Generate synthetic complaints for benchmarks:

    manage.py generate_complaints                       # 1,000,000 over the last two years
    manage.py generate_complaints 50000 --jurisdiction th-chiang-mai-city --seed 7
    manage.py generate_complaints 2000 --with-catalogue # on an empty database

Each complaint lives a plausible life, simulated from its submission to now: it is routed by the
jurisdiction's real routing table (rules, then the category's agency, else the dispatcher), its
deadlines are counted on the jurisdiction's working calendar, an officer makes first contact,
works on it and resolves it (mostly on time), and the reporter rates it (a low result sends it
back for one rework round) or lets the rating window pass. Some are rejected and dispatched
again, transferred, marked duplicates of an earlier report or withdrawn. The life is cut at the
present, so the states come out in the proportions a two-year-old service has: nearly
everything closed, and a working set of open complaints as large as a few days of reports.
Every step is a history entry that the transition table (complaints.states) allows; ratings
are written for the ratings given; complaints closed longer than COMPLAINTS_ANONYMISE_AFTER ago
are written already anonymised.

Nothing personal is generated: reporters are a handful of existing persons (or anonymous,
where the category allows it; such synthetic reports have no tracking token), officers in the
history are the agencies' existing members (or nobody), descriptions are stock phrases.
Tracking numbers are derived from the primary key, so they never collide with each other.

This is a loader: it writes rows directly (PostgreSQL COPY, elsewhere bulk INSERTs), in
transactions of --batch complaints, with no notification, task or audit row — it is not a way
to change a complaint. It needs leaf categories (the demo catalogue, `manage.py seed_demo`);
--with-catalogue creates a small synthetic one where there is none. A second run adds more.
"""

import contextlib
import io
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import states
from complaints.models import (
    TRACKING_ALPHABET,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    DeadlineUnit,
    District,
    Question,
    QuestionChoice,
    Rating,
    RoutingRule,
)
from complaints.routing import RoutingTable, routing_table
from complaints.sla import Calendar, add_working_days, add_working_hours, calendar_for
from identity.models import Agency, Jurisdiction, Membership, Person

S = Complaint.Status
A = ComplaintEvent.ActorKind

SPAN = timedelta(days=730)
BATCH_SIZE = 10_000
REPORTERS = 20  # at most this many existing persons report everything
POINTS_PER_DISTRICT = 64

# How lives go (shares of all complaints, or of those reaching the step).
DUPLICATE = 0.03
WITHDRAWN = 0.015
REJECTED = 0.01
TRANSFERRED = 0.02
ANONYMOUS = 0.15  # where the category allows it
ENTERED_BY_STAFF = 0.05
CONTACT_LATE = 0.03
WORKED_ON = 0.85  # accepted → in progress before resolution (the rest resolve at once)
RESOLVED_LATE = 0.04
RATED = 0.72
DISSATISFIED = 0.06

HOUR = 3600.0


# --- stock texts (English, Thai, Simplified Chinese) ---------------------------------------

Words = tuple[str, str, str]

DETAILS: tuple[Words, ...] = (
    ("It has been like this for a week.", "เป็นแบบนี้มาหนึ่งสัปดาห์แล้ว", "已经一周了。"),
    ("Dangerous at night.", "อันตรายมากในเวลากลางคืน", "晚上很危险。"),
    ("Near the market entrance.", "ใกล้ทางเข้าตลาด", "在市场入口附近。"),
    ("Many neighbours are affected.", "เพื่อนบ้านหลายคนได้รับผลกระทบ", "很多邻居受到影响。"),
    ("Reported before, still not fixed.", "เคยแจ้งแล้วแต่ยังไม่ได้แก้ไข", "之前反映过，仍未解决。"),
    ("In front of the primary school.", "หน้าโรงเรียนประถม", "在小学门口。"),
    ("Getting worse after the rain.", "แย่ลงหลังฝนตก", "下雨后更严重了。"),
    ("Please send someone to check.", "กรุณาส่งเจ้าหน้าที่มาตรวจสอบ", "请派人来查看。"),
)
RESOLUTIONS: tuple[Words, ...] = (
    ("Repaired by our team.", "ทีมงานซ่อมแซมเรียบร้อยแล้ว", "已由我们的团队修复。"),
    ("Inspected and cleared.", "ตรวจสอบและเคลียร์พื้นที่แล้ว", "已检查并清理。"),
    ("The contractor fixed it.", "ผู้รับเหมาแก้ไขเรียบร้อยแล้ว", "承包商已处理完毕。"),
    ("Warned the owner; checked again.", "ตักเตือนเจ้าของและตรวจซ้ำแล้ว", "已警告责任人并复查。"),
)
REJECTIONS: tuple[Words, ...] = (
    ("Not ours: a provincial road.", "ไม่ใช่หน่วยงานเรา: เป็นถนนของจังหวัด", "不属于本单位：省道。"),
    ("Not ours: private land.", "ไม่ใช่หน่วยงานเรา: เป็นที่ดินเอกชน", "不属于本单位：私人土地。"),
)
ADDRESSES: tuple[Words, ...] = (
    ("Market Road", "ถนนตลาด", "市场路"),
    ("Temple Lane", "ซอยวัด", "寺庙巷"),
    ("River Road", "ถนนริมน้ำ", "滨河路"),
    ("Station Square", "ลานสถานี", "车站广场"),
)


def _language_index(language: str) -> int:
    return {"th": 1, "zh-hans": 2}.get(language, 0)


# --- what is generated from -----------------------------------------------------------------


@dataclass
class Place:
    """A jurisdiction that has leaf categories, with what a life there needs."""

    jurisdiction: Jurisdiction
    calendar: Calendar
    table: RoutingTable
    language: int  # index into Words
    # (district id, points inside it as (latitude, longitude))
    districts: list[tuple[int, list[tuple[Decimal, Decimal]]]]
    agencies: list[int]  # where the dispatcher routes and officers transfer to
    rule_notes: dict[int, str] = field(default_factory=dict)


@dataclass
class Leaf:
    category: ComplaintCategory
    place: Place
    names: Words
    # required questions: (code, datatype, choice keys)
    questions: list[tuple[str, str, list[str]]]
    deadlines: dict[tuple[date, bool], datetime] = field(default_factory=dict)


def _names(category: ComplaintCategory) -> Words:
    name = category.name
    return (
        category.name_en or name,
        category.name_th or category.name_en or name,
        category.name_zh_hans or category.name_en or name,
    )


def _points(table: RoutingTable, index: int, rng: random.Random) -> list[tuple[Decimal, Decimal]]:
    """Points inside a district (and found in it by the routing table, where areas overlap),
    at the six decimals a complaint keeps."""
    geometry = table.geometries[index].context
    district_id = table.district_ids[index]
    west, south, east, north = geometry.bounds
    found: list[tuple[Decimal, Decimal]] = []
    for _attempt in range(POINTS_PER_DISTRICT * 50):
        lat = Decimal(f"{rng.uniform(south, north):.6f}")
        lon = Decimal(f"{rng.uniform(west, east):.6f}")
        if table.district_at(float(lat), float(lon)) == district_id:
            found.append((lat, lon))
            if len(found) == POINTS_PER_DISTRICT:
                break
    if not found:  # a sliver: its representative point is inside by construction
        point = geometry.representative_point()
        found.append((Decimal(f"{point.y:.6f}"), Decimal(f"{point.x:.6f}")))
    return found


def _subtree(root: Jurisdiction) -> list[Jurisdiction]:
    children: dict[int | None, list[Jurisdiction]] = {}
    for jurisdiction in Jurisdiction.objects.all():
        children.setdefault(jurisdiction.parent_id, []).append(jurisdiction)
    found, todo = [], [root]
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(children.get(node.pk, []))
    return found


def load_leaves(scope: str | None, rng: random.Random) -> list[Leaf]:
    """The active leaf categories of the jurisdiction `scope` and those beneath it (every
    jurisdiction when None), each with its place."""
    categories = ComplaintCategory.objects.filter(is_active=True, children__isnull=True)
    if scope is not None:
        root = Jurisdiction.objects.filter(code=scope).first()
        if root is None:
            raise CommandError(f"No jurisdiction {scope!r}.")
        categories = categories.filter(jurisdiction__in=_subtree(root))
    categories = categories.select_related("jurisdiction", "default_agency").order_by("pk")
    questions: dict[int, list[tuple[str, str, list[str]]]] = {}
    choices: dict[int, list[str]] = {}
    for question_id, key in QuestionChoice.objects.order_by("order", "key").values_list(
        "question_id", "key"
    ):
        choices.setdefault(question_id, []).append(key)
    for question in Question.objects.filter(is_required=True).order_by("order", "code"):
        questions.setdefault(question.category_id, []).append(
            (question.code, question.datatype, choices.get(question.pk, []))
        )
    places: dict[int, Place] = {}
    leaves = []
    for category in categories:
        place = places.get(category.jurisdiction_id)
        if place is None:
            place = places[category.jurisdiction_id] = _place(category.jurisdiction, rng)
        if category.default_agency_id and category.default_agency_id not in place.agencies:
            place.agencies.append(category.default_agency_id)
        leaves.append(Leaf(category, place, _names(category), questions.get(category.pk, [])))
    for place in places.values():
        if not place.agencies:  # nothing handles complaints yet: any agency of the place
            place.agencies = list(
                Agency.objects.filter(is_active=True, jurisdiction__in=_subtree(place.jurisdiction))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
    return leaves


def _place(jurisdiction: Jurisdiction, rng: random.Random) -> Place:
    table = routing_table(jurisdiction.pk)
    languages = jurisdiction.languages or ["en"]
    return Place(
        jurisdiction=jurisdiction,
        calendar=calendar_for(jurisdiction),
        table=table,
        language=_language_index(languages[0]),
        districts=[
            (district_id, _points(table, index, rng))
            for index, district_id in enumerate(table.district_ids)
        ],
        agencies=sorted({rule.agency_id for rule in table.rules}),
        rule_notes={
            rule.pk: _("Routed by rule “%(rule)s”.") % {"rule": rule.name} for rule in table.rules
        },
    )


# --- one complaint's life -------------------------------------------------------------------


class _Cut(Exception):
    """The life reached the present (or ended early): nothing more happens to it."""


class Life:
    """One complaint, moved step by step through the transition table; a step that would
    happen after `now` ends it. An interruption (withdrawal, duplicate) ends it at its time if
    the status then allows it."""

    def __init__(
        self,
        generator: "Generator",
        row: dict[str, Any],
        interruption: tuple[datetime, str, dict[str, Any]] | None,
    ) -> None:
        self.generator = generator
        self.row = row
        self.events: list[tuple[Any, ...]] = []
        self.ratings: list[tuple[Any, ...]] = []
        self.interruption = interruption

    def submit(self, at: datetime, actor_kind: str, actor: int | None) -> None:
        self.events.append(
            (self.row["id"], "", S.SUBMITTED.value, actor_kind, actor, None, "", True, at)
        )

    def move(
        self,
        at: datetime,
        to: str,
        actor_kind: str,
        *,
        actor: int | None = None,
        note: str = "",
        is_public: bool = True,
        **changes: Any,
    ) -> None:
        row = self.row
        if self.interruption is not None and self.interruption[0] < at:
            interruption, self.interruption = self.interruption, None
            self._interrupt(*interruption)
        if at > self.generator.now:
            raise _Cut
        if to != row["status"] and not states.can_move(row["status"], to, actor_kind):
            raise AssertionError(f"{row['status']} → {to} by {actor_kind} is not in the table")
        if to in states.FINAL and row["closed_at"] is None and "closed_at" not in changes:
            changes["closed_at"] = at  # as transition() does: the retention clock starts
        for name, value in changes.items():
            row[name] = value
        self.events.append(
            (row["id"], row["status"], to, actor_kind, actor, row["agency_id"], note, is_public, at)
        )
        row["status"] = to
        row["updated_at"] = at

    def _interrupt(self, at: datetime, to: str, changes: dict[str, Any]) -> None:
        status = self.row["status"]
        if to == S.WITHDRAWN:
            kind, actor = A.REPORTER.value, None
        elif status in (S.SUBMITTED, S.REJECTED):
            kind, actor = A.DISPATCHER.value, self.generator.dispatcher()
        else:
            kind, actor = A.OFFICER.value, self.generator.officer(self.row["agency_id"])
        if at <= self.generator.now and states.can_move(status, to, kind):
            self.move(at, to, kind, actor=actor, **changes)
            raise _Cut


class Generator:
    def __init__(
        self,
        leaves: Sequence[Leaf],
        reporters: Sequence[int],
        officers: dict[int, list[int]],
        dispatchers: list[int],
        rng: random.Random,
        now: datetime,
    ) -> None:
        self.leaves = list(leaves)
        self.weights = [rng.choice((1, 2, 3, 5, 8)) for _ in self.leaves]
        self.reporters = list(reporters)
        self.officers = officers
        self.dispatchers = dispatchers
        self.rng = rng
        self.now = now
        self.rating_window = settings.COMPLAINTS_RATING_WINDOW.total_seconds()
        self.rework_below = settings.COMPLAINTS_REWORK_BELOW_RESULT
        self.anonymise_after = settings.COMPLAINTS_ANONYMISE_AFTER
        self.last_in_category: dict[int, int] = {}
        self.dispatch_note = _("No routing rule applies; waiting for the dispatcher.")
        self.dispatcher_note = _("Routed by the dispatcher.")
        self.default_note = _("Routed to the category's agency (no routing rule applied).")
        self.unrated_note = _("Not rated within the rating period; the complaint is closed.")
        self.not_rateable_note = _("Resolved, with nobody to rate it; the complaint is closed.")
        self._picks: list[Leaf] = []

    # small helpers ----------------------------------------------------------------------------

    def officer(self, agency_id: int | None) -> int | None:
        staff = self.officers.get(agency_id) if agency_id is not None else None
        return self.rng.choice(staff) if staff else None

    def dispatcher(self) -> int | None:
        return self.rng.choice(self.dispatchers) if self.dispatchers else None

    def _after(self, at: datetime, mean_hours: float) -> datetime:
        return at + timedelta(seconds=60 + self.rng.expovariate(1 / (mean_hours * HOUR)))

    def _leaf(self) -> Leaf:
        if not self._picks:
            self._picks = self.rng.choices(self.leaves, self.weights, k=4096)
        return self._picks.pop()

    def resolution_due(self, leaf: Leaf, start: datetime) -> datetime:
        category, calendar = leaf.category, leaf.place.calendar
        if category.resolution_unit == DeadlineUnit.WORKING_HOURS:
            return add_working_hours(start, category.resolution_amount, calendar)
        # In working days the deadline depends only on the day of receipt and whether the
        # report came in after that day's work: remembered per day.
        day = calendar.local_date(start)
        late = not calendar.is_working_day(day) or start >= calendar.end_of_day(day)
        due = leaf.deadlines.get((day, late))
        if due is None:
            due = leaf.deadlines[(day, late)] = add_working_days(
                start, category.resolution_amount, calendar
            )
        return due

    def _answers(self, leaf: Leaf, created: datetime) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for code, datatype, keys in leaf.questions:
            if datatype == Question.Datatype.SINGLE and keys:
                answers[code] = self.rng.choice(keys)
            elif datatype == Question.Datatype.MULTI and keys:
                answers[code] = [self.rng.choice(keys)]
            elif datatype == Question.Datatype.NUMBER:
                answers[code] = self.rng.randint(1, 10)
            elif datatype == Question.Datatype.DATETIME:
                answers[code] = created.isoformat()
            else:
                answers[code] = "—"
        return answers

    # a life ---------------------------------------------------------------------------------------

    def complaint(
        self, pk: int, created: datetime
    ) -> tuple[dict[str, Any], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The row of complaint `pk` submitted at `created`, its history and its ratings."""
        rng = self.rng
        leaf = self._leaf()
        place = leaf.place
        category = leaf.category
        language = place.language if rng.random() < 0.8 else 0
        anonymous = (category.allows_anonymous and rng.random() < ANONYMOUS) or not self.reporters
        reporter = None if anonymous else rng.choice(self.reporters)
        if place.districts:
            district_id, points = rng.choice(place.districts)
            latitude, longitude = rng.choice(points)
            address = ""
        else:
            district_id, latitude, longitude = None, None, None
            street = rng.choice(ADDRESSES)[language]
            address = f"{rng.randint(1, 399)} {street}"
        detail = rng.choice(DETAILS)[language]
        row: dict[str, Any] = {
            "id": pk,
            "tracking_number": tracking_number(pk),
            "jurisdiction_id": place.jurisdiction.pk,
            "category_id": category.pk,
            "agency_id": None,
            "district_id": district_id,
            "status": S.SUBMITTED.value,
            "description": f"{leaf.names[language]}: {detail}",
            "latitude": latitude,
            "longitude": longitude,
            "address": address,
            "answers": self._answers(leaf, created),
            "contact_preference": (
                Complaint.ContactPreference.NONE.value
                if anonymous
                else rng.choice(("inbox", "inbox", "inbox", "email", "sms"))
            ),
            "reporter_id": reporter,
            "is_anonymous": anonymous,
            "tracking_token_hash": None,
            "contact_name": "",
            "contact_email": None,
            "contact_phone": None,
            "channel": (
                Complaint.Channel.STAFF.value
                if rng.random() < ENTERED_BY_STAFF
                else Complaint.Channel.APP.value
            ),
            "api_client_id": None,
            "duplicate_of_id": None,
            "routing_rule_id": None,
            "routed_at": None,
            "dispatch_since": None,
            "first_contact_due": None,
            "accepted_at": None,
            "resolution_due": None,
            "resolved_at": None,
            "resolved_on_time": None,
            "resolution_note": "",
            "closed_at": None,
            "closure": "",
            "paused_at": None,
            "escalation_level": 0,
            "rework_count": 0,
            "handovers": 0,
            "anonymised_at": None,
            "created_at": created,
            "updated_at": created,
        }
        life = Life(self, row, self._interruption(category.pk, created, reporter))
        if row["channel"] == Complaint.Channel.STAFF:
            life.submit(created, A.DISPATCHER.value, self.dispatcher())
        else:
            life.submit(created, A.REPORTER.value, None)
        with contextlib.suppress(_Cut):
            self._live(life, leaf, language)
        if row["status"] not in (S.DUPLICATE, S.WITHDRAWN):  # what a later report may repeat
            self.last_in_category[category.pk] = pk
        closed_at = row["closed_at"]
        if closed_at is not None and closed_at + self.anonymise_after < self.now:
            row["anonymised_at"] = min(
                self.now, closed_at + self.anonymise_after + timedelta(hours=rng.uniform(0, 24))
            )
            row["reporter_id"] = None
        return row, life.events, life.ratings

    def _interruption(
        self, category_id: int, created: datetime, reporter: int | None
    ) -> tuple[datetime, str, dict[str, Any]] | None:
        draw = self.rng.random()
        original = self.last_in_category.get(category_id)
        if draw < DUPLICATE and original is not None:
            return (
                self._after(created, 4),
                S.DUPLICATE.value,
                {"duplicate_of_id": original, "dispatch_since": None},
            )
        if draw < DUPLICATE + WITHDRAWN and reporter is not None:
            return self._after(created, 24), S.WITHDRAWN.value, {}
        return None

    def _live(self, life: Life, leaf: Leaf, language: int) -> None:
        rng = self.rng
        row = life.row
        place = leaf.place
        created = row["created_at"]
        t = created + timedelta(seconds=rng.uniform(0.05, 0.6))
        rule = place.table.match(
            category_id=leaf.category.pk,
            district_id=row["district_id"],
            at=created,
            answers=row["answers"],
        )
        default = leaf.category.default_agency
        if rule is not None:
            self._route(life, leaf, t, rule.agency_id, rule.pk, place.rule_notes[rule.pk])
        elif default is not None and default.is_active:
            self._route(life, leaf, t, default.pk, None, self.default_note)
        else:
            life.move(t, S.SUBMITTED, A.SYSTEM, note=self.dispatch_note, is_public=False,
                      dispatch_since=t)  # fmt: skip
            t = self._after(t, 3)
            agency = rng.choice(place.agencies) if place.agencies else None
            if agency is None:
                raise _Cut  # nobody to route to: it waits for the dispatcher for ever
            self._route(life, leaf, t, agency, None, self.dispatcher_note,
                        kind=A.DISPATCHER, actor=self.dispatcher())  # fmt: skip
        t = row["routed_at"]
        contact = timedelta(hours=leaf.category.first_contact_hours)
        fate = rng.random()
        if fate < REJECTED:
            t = self._after(t, 2)
            note = rng.choice(REJECTIONS)[language]
            life.move(t, S.REJECTED, A.OFFICER, actor=self.officer(row["agency_id"]), note=note,
                      agency_id=None, dispatch_since=t)  # fmt: skip
            t = self._after(t, 3)
            # Routed again: the new agency owes a first contact of its own.
            life.move(t, S.ROUTED, A.DISPATCHER, actor=self.dispatcher(),
                      note=self.dispatcher_note, agency_id=self._other_agency(place, None),
                      routing_rule_id=None, routed_at=t, dispatch_since=None,
                      first_contact_due=t + contact, handovers=row["handovers"] + 1)  # fmt: skip
        elif fate < REJECTED + TRANSFERRED:
            t = self._after(t, 3)
            life.move(t, S.TRANSFERRED, A.OFFICER, actor=self.officer(row["agency_id"]),
                      agency_id=self._other_agency(place, row["agency_id"]),
                      first_contact_due=t + contact, accepted_at=None,
                      handovers=row["handovers"] + 1)  # fmt: skip
        contact_hours = leaf.category.first_contact_hours
        if rng.random() < CONTACT_LATE:
            late = timedelta(hours=rng.uniform(0.1, 0.5) * contact_hours)
            t = max(t + timedelta(minutes=1), row["first_contact_due"] + late)
        else:
            left = max(0.0, (row["first_contact_due"] - t).total_seconds())
            t += timedelta(seconds=60 + rng.random() ** 2 * 0.9 * left)
        officer = self.officer(row["agency_id"])
        life.move(t, S.ACCEPTED, A.OFFICER, actor=officer, accepted_at=t)
        self._work(life, leaf, t, officer, language, since=created)

    def _work(
        self,
        life: Life,
        leaf: Leaf,
        t: datetime,
        officer: int | None,
        language: int,
        *,
        since: datetime,
    ) -> None:
        """From accepted (or rework) to resolved, then the reporter's rating."""
        rng = self.rng
        row = life.row
        if row["status"] == S.REWORK or rng.random() < WORKED_ON:
            t = self._after(t, 2)
            life.move(t, S.IN_PROGRESS, A.OFFICER, actor=officer)
        due = row["resolution_due"]
        if rng.random() < RESOLVED_LATE:
            share = rng.uniform(1.0, 1.5)
        else:
            share = 0.15 + 0.8 * rng.random() ** 1.5
        target = since + (due - since) * share
        t = max(t + timedelta(minutes=5), target)
        note = rng.choice(RESOLUTIONS)[language]
        life.move(t, S.RESOLVED, A.OFFICER, actor=officer, note=note, resolution_note=note,
                  resolved_at=t, resolved_on_time=t <= due)  # fmt: skip
        self._rate(life, leaf, t, officer, language)

    def _rate(
        self, life: Life, leaf: Leaf, t: datetime, officer: int | None, language: int
    ) -> None:
        rng = self.rng
        row = life.row
        window = self.rating_window
        if row["reporter_id"] is None or rng.random() >= RATED:
            # The sweep closes it when the rating window has passed.
            if row["reporter_id"] is None:
                closure, note = Complaint.Closure.NOT_RATEABLE.value, self.not_rateable_note
            else:
                closure, note = Complaint.Closure.UNRATED.value, self.unrated_note
            t += timedelta(seconds=window + rng.uniform(0, 600))
            life.move(t, S.CLOSED, A.SYSTEM, note=note, closed_at=t, closure=closure)
            return
        t += timedelta(seconds=min(rng.expovariate(1 / (18 * HOUR)), 0.95 * window))
        dissatisfied = (
            row["rework_count"] == 0 and self.rework_below > 1 and rng.random() < DISSATISFIED
        )
        if dissatisfied:
            result = rng.randint(1, self.rework_below - 1)
            speed, attitude = rng.randint(1, 3), rng.randint(1, 4)
        else:
            result = rng.choice((4, 5, 5, 5)) if self.rework_below <= 4 else 5
            speed, attitude = rng.choice((3, 4, 5, 5)), rng.choice((4, 5, 5))
        if t > self.now:
            raise _Cut
        life.ratings.append(
            (row["id"], row["rework_count"], speed, result, attitude, "", not dissatisfied, t)
        )
        if not dissatisfied:
            life.move(t, S.CLOSED, A.REPORTER, closed_at=t, closure=Complaint.Closure.RATED.value)
            return
        due = self.resolution_due(leaf, t)
        life.move(t, S.REWORK, A.REPORTER, rework_count=1, resolution_due=due, resolved_at=None,
                  resolved_on_time=None)  # fmt: skip
        self._work(life, leaf, t, officer, language, since=t)

    def _route(
        self,
        life: Life,
        leaf: Leaf,
        at: datetime,
        agency_id: int,
        rule_id: int | None,
        note: str,
        *,
        kind: str = A.SYSTEM,
        actor: int | None = None,
    ) -> None:
        created = life.row["created_at"]
        life.move(
            at, S.ROUTED, kind, actor=actor, note=note, agency_id=agency_id,
            routing_rule_id=rule_id, routed_at=at, dispatch_since=None,
            first_contact_due=created + timedelta(hours=leaf.category.first_contact_hours),
            resolution_due=self.resolution_due(leaf, created),
        )  # fmt: skip

    def _other_agency(self, place: Place, current: int | None) -> int | None:
        others = [agency for agency in place.agencies if agency != current]
        return self.rng.choice(others) if others else current


def tracking_number(pk: int) -> str:
    """C-XXXX-XXXX from the primary key: multiplying by an odd number modulo 2**40 is a
    bijection, so distinct keys give distinct numbers (32**8 == 2**40)."""
    value = (pk * 0x5DEECE66D1 + 0x2545F4914F) % (1 << 40)
    chars = []
    for _position in range(8):
        chars.append(TRACKING_ALPHABET[value & 31])
        value >>= 5
    body = "".join(chars)
    return f"C-{body[:4]}-{body[4:]}"


# --- writing ----------------------------------------------------------------------------------


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return str(value).translate(_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime:
        return str(value.isoformat())
    if kind is dict or kind is list:
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    if isinstance(value, str):  # TextChoices members
        return str(value).translate(_ESCAPES)
    return str(value)


class Table:
    """How rows of one model are written: rows give the values of `given` (attribute names)
    in that order; every other column takes its default."""

    def __init__(self, model: type[models.Model], given: Sequence[str]) -> None:
        self.model = model
        self.given = list(given)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        # Columns a row does not give (added to the model later, say) take their default,
        # computed once.
        others = [f for name, f in fields.items() if name not in self.given and not f.primary_key]
        self.columns = [fields[name].column for name in self.given] + [f.column for f in others]
        self.default_text = "".join("\t" + _copy_text(f.get_default()) for f in others)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":
            self._copy(rows)
        else:
            self.model._default_manager.bulk_create(
                [self.model(**dict(zip(self.given, row, strict=True))) for row in rows],
                batch_size=500,
            )

    def _copy(self, rows: Sequence[Sequence[Any]]) -> None:
        tail = self.default_text
        lines = ["\t".join([_copy_text(value) for value in row]) + tail for row in rows]
        buffer = io.StringIO("\n".join(lines) + "\n")
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(column) for column in self.columns)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def reserve_complaint_ids(count: int) -> list[int]:
    """Primary keys for the next `count` complaints, taken before the rows exist (the history
    refers to them)."""
    table = Complaint._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
    # One writer at a time (a benchmark loader): the next keys after the largest.
    largest = Complaint.objects.aggregate(largest=Max("pk"))["largest"] or 0
    return list(range(largest + 1, largest + 1 + count))


COMPLAINT_FIELDS = (
    "id", "tracking_number", "jurisdiction_id", "category_id", "agency_id", "district_id",
    "status", "description", "latitude", "longitude", "address", "answers",
    "contact_preference", "reporter_id", "is_anonymous", "tracking_token_hash", "contact_name",
    "contact_email", "contact_phone", "channel", "api_client_id", "duplicate_of_id",
    "routing_rule_id", "routed_at", "dispatch_since", "first_contact_due", "accepted_at",
    "resolution_due", "resolved_at", "resolved_on_time", "resolution_note", "closed_at",
    "closure", "paused_at", "escalation_level", "rework_count", "handovers", "anonymised_at",
    "created_at", "updated_at",
)  # fmt: skip
EVENT_FIELDS = (
    "complaint_id", "from_status", "to_status", "actor_kind", "actor_id", "agency_id", "note",
    "is_public", "at",
)  # fmt: skip
RATING_FIELDS = (
    "complaint_id", "round", "speed", "result", "attitude", "comment", "is_satisfied",
    "created_at",
)  # fmt: skip


# --- a synthetic catalogue for an empty database ----------------------------------------------

Leaves = tuple[tuple[str, Words, int, str, bool], ...]

SYNTHETIC_CATALOGUE: tuple[tuple[str, Words, str, Leaves], ...] = (
    # parent code, names, default agency, leaves: (code, names, deadline, unit, anonymous)
    ("gen-roads", ("Roads", "ถนน", "道路"), "gen-public-works", (
        ("gen-pothole", ("Pothole", "หลุมบนถนน", "路面坑洼"), 5, DeadlineUnit.WORKING_DAYS, False),
        ("gen-pavement", ("Broken pavement", "ทางเท้าชำรุด", "人行道破损"), 10,
         DeadlineUnit.WORKING_DAYS, False),
    )),
    ("gen-lighting", ("Street lighting", "ไฟส่องสว่าง", "路灯"), "gen-lighting", (
        ("gen-light-out", ("Street light out", "ไฟถนนดับ", "路灯不亮"), 3,
         DeadlineUnit.WORKING_DAYS, True),
    )),
    ("gen-environment", ("Environment", "สิ่งแวดล้อม", "环境"), "gen-environment", (
        ("gen-noise", ("Noise", "เสียงดังรบกวน", "噪音扰民"), 48, DeadlineUnit.WORKING_HOURS, True),
        ("gen-dumping", ("Illegal dumping", "ทิ้งขยะผิดกฎหมาย", "乱倒垃圾"), 5,
         DeadlineUnit.WORKING_DAYS, True),
        ("gen-bins", ("Overflowing bin", "ถังขยะล้น", "垃圾桶满溢"), 2,
         DeadlineUnit.WORKING_DAYS, False),
    )),
    ("gen-transport", ("Public transport", "ขนส่งสาธารณะ", "公共交通"), "gen-transport", (
        ("gen-bus-stop", ("Damaged bus stop", "ป้ายรถเมล์ชำรุด", "公交站损坏"), 10,
         DeadlineUnit.WORKING_DAYS, False),
        ("gen-signal", ("Traffic signal fault", "สัญญาณไฟจราจรขัดข้อง", "信号灯故障"), 8,
         DeadlineUnit.WORKING_HOURS, False),
    )),
)  # fmt: skip
SYNTHETIC_AGENCIES: dict[str, Words] = {
    "gen-public-works": ("Public Works", "กองช่าง", "市政工程局"),
    "gen-public-works-east": ("Public Works (east)", "กองช่าง (ตะวันออก)", "市政工程局（东区）"),
    "gen-lighting": ("Street Lighting", "งานไฟฟ้าสาธารณะ", "路灯管理处"),
    "gen-environment": ("Environment Office", "กองสาธารณสุขและสิ่งแวดล้อม", "环境保护局"),
    "gen-transport": ("Transport Office", "กองขนส่ง", "交通运输局"),
}
SYNTHETIC_DISTRICTS: tuple[tuple[str, Words, float, float], ...] = (
    ("gen-north-west", ("North-west", "ตะวันตกเฉียงเหนือ", "西北区"), 98.93, 18.80),
    ("gen-north-east", ("North-east", "ตะวันออกเฉียงเหนือ", "东北区"), 98.98, 18.80),
    ("gen-south-west", ("South-west", "ตะวันตกเฉียงใต้", "西南区"), 98.93, 18.75),
    ("gen-south-east", ("South-east", "ตะวันออกเฉียงใต้", "东南区"), 98.98, 18.75),
)


def _translated(name: str, words: Words) -> dict[str, str]:
    return {name: words[0], f"{name}_en": words[0], f"{name}_th": words[1],
            f"{name}_zh_hans": words[2]}  # fmt: skip


def _square(lon: float, lat: float, size: float = 0.05) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@transaction.atomic
def create_synthetic_catalogue(scope: str | None) -> Jurisdiction:
    """A small catalogue for a database without one: four parent categories with eight leaves
    in three languages, five agencies, four square districts, a routing rule sending roads in
    the east to another agency, and five reporters if there are no persons. Safe to run
    again."""
    if scope is not None:
        city = Jurisdiction.objects.filter(code=scope).first()
        if city is None:
            raise CommandError(f"No jurisdiction {scope!r}.")
    else:
        province, _created = Jurisdiction.objects.get_or_create(
            code="gen-province",
            defaults={"level": "province", "languages": ["th", "en"],
                      **_translated("name", ("Generated Province", "จังหวัดสมมุติ", "虚拟省"))},
        )  # fmt: skip
        city, _created = Jurisdiction.objects.get_or_create(
            code="gen-city",
            defaults={"level": "city", "parent": province, "languages": ["th", "en"],
                      **_translated("name", ("Generated City", "เมืองสมมุติ", "虚拟市"))},
        )  # fmt: skip
    agencies = {
        code: Agency.objects.get_or_create(
            code=code, defaults={"jurisdiction": city, **_translated("name", names)}
        )[0]
        for code, names in SYNTHETIC_AGENCIES.items()
    }
    parents: dict[str, ComplaintCategory] = {}
    leaves: dict[str, ComplaintCategory] = {}
    for position, (code, names, agency, children) in enumerate(SYNTHETIC_CATALOGUE):
        parent = parents[code] = ComplaintCategory.objects.get_or_create(
            jurisdiction=city, code=code,
            defaults={"order": position, **_translated("name", names)},
        )[0]  # fmt: skip
        for order, (leaf_code, leaf_names, amount, unit, anonymous) in enumerate(children):
            leaves[leaf_code], _created = ComplaintCategory.objects.get_or_create(
                jurisdiction=city, code=leaf_code,
                defaults={"parent": parent, "order": order, "default_agency": agencies[agency],
                          "resolution_amount": amount, "resolution_unit": unit,
                          "allows_anonymous": anonymous, **_translated("name", leaf_names)},
            )  # fmt: skip
    source, _created = Question.objects.get_or_create(
        category=leaves["gen-noise"], code="source",
        defaults={"datatype": Question.Datatype.SINGLE, "is_required": True,
                  **_translated("description", ("Where does it come from?", "เสียงมาจากไหน",
                                                "噪音来自哪里？"))},
    )  # fmt: skip
    for order, (key, names) in enumerate(
        (("construction", ("Construction", "งานก่อสร้าง", "施工")),
         ("music", ("Music", "เสียงเพลง", "音乐")),
         ("traffic", ("Traffic", "การจราจร", "交通")))
    ):  # fmt: skip
        QuestionChoice.objects.get_or_create(
            question=source, key=key, defaults={"order": order, **_translated("name", names)}
        )
    districts = {
        code: District.objects.get_or_create(
            jurisdiction=city, code=code,
            defaults={"boundary": _square(lon, lat), **_translated("name", names)},
        )[0]
        for code, names, lon, lat in SYNTHETIC_DISTRICTS
    }  # fmt: skip
    rule_name = "Roads in the eastern districts"
    if not RoutingRule.objects.filter(jurisdiction=city, name=rule_name).exists():
        highest = RoutingRule.objects.filter(jurisdiction=city).aggregate(p=Max("priority"))["p"]
        rule = RoutingRule.objects.create(
            jurisdiction=city, priority=(highest or 0) + 10, name=rule_name,
            agency=agencies["gen-public-works-east"],
        )  # fmt: skip
        rule.categories.set([parents["gen-roads"]])
        rule.districts.set([districts["gen-north-east"], districts["gen-south-east"]])
    if not Person.objects.filter(closed_at__isnull=True).exists():
        for n in range(5):
            Person.objects.create(
                legal_name_latin=f"Synthetic reporter {n + 1}",
                preferred_language=("th", "en", "zh-hans")[n % 3],
            )
    return city


# --- the command -----------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _progress(out: OutputWrapper, done: int, total: int, started: float) -> None:
    width = 30
    filled = width * done // total if total else width
    bar = "#" * filled + "-" * (width - filled)
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate else 0.0
    out.write(
        f"\r[{bar}] {done:,}/{total:,} complaints · {rate:,.0f}/s · {_duration(left)} left ",
        ending="",
    )
    out.flush()


class Command(BaseCommand):
    help = "Create N synthetic complaints with their history (for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", nargs="?", type=int, default=1_000_000)
        parser.add_argument(
            "--jurisdiction", help="only this jurisdiction's categories (and those beneath it)"
        )
        parser.add_argument("--seed", type=int, default=6, help="for the random choices (6)")
        parser.add_argument(
            "--batch",
            type=int,
            default=BATCH_SIZE,
            help=f"complaints per transaction ({BATCH_SIZE})",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument(
            "--with-catalogue",
            action="store_true",
            help="create a small synthetic catalogue first if there are no leaf categories",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["count"]
        batch: int = options["batch"]
        scope: str | None = options["jurisdiction"]
        if count < 0 or batch < 1:
            raise CommandError("The count must be 0 or more and the batch 1 or more.")
        rng = random.Random(options["seed"])  # noqa: S311 - synthetic data, repeatable
        progress = None if options["quiet"] else self.stderr
        leaves = load_leaves(scope, rng)
        if not leaves and options["with_catalogue"]:
            create_synthetic_catalogue(scope)
            leaves = load_leaves(scope, rng)
        if not leaves:
            raise CommandError(
                "No active leaf categories to report under: run `manage.py seed_demo`, or pass "
                "--with-catalogue for a small synthetic one."
            )
        reporters = list(
            Person.objects.filter(closed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:REPORTERS]
        )
        if not reporters and not all(leaf.category.allows_anonymous for leaf in leaves):
            raise CommandError(
                "No persons to report: run `manage.py seed_demo`, or pass --with-catalogue."
            )
        officers: dict[int, list[int]] = {}
        dispatchers: list[int] = []
        for user_id, agency_id, role in Membership.objects.order_by("pk").values_list(
            "user_id", "agency_id", "role"
        ):
            if role == Membership.Role.DISPATCHER:
                dispatchers.append(user_id)
            else:
                officers.setdefault(agency_id, []).append(user_id)
        now = timezone.now().astimezone(UTC)
        generator = Generator(leaves, reporters, officers, dispatchers, rng, now)
        complaints = Table(Complaint, COMPLAINT_FIELDS)
        events = Table(ComplaintEvent, EVENT_FIELDS)
        ratings = Table(Rating, RATING_FIELDS)
        start, slot = now - SPAN, SPAN / max(count, 1)
        statuses: Counter[str] = Counter()
        written = {"events": 0, "ratings": 0}
        started = time.monotonic()
        for first in range(0, count, batch):
            size = min(batch, count - first)
            with transaction.atomic():
                pks = reserve_complaint_ids(size)
                rows, history, rated = [], [], []
                for offset, pk in enumerate(pks):
                    # Evenly spread over the span, in key order, like a real table fills.
                    created = start + slot * (first + offset + rng.random())
                    row, entries, given = generator.complaint(pk, created)
                    rows.append(tuple(row[name] for name in COMPLAINT_FIELDS))
                    history.extend(entries)
                    rated.extend(given)
                    statuses[row["status"]] += 1
                complaints.write(rows)
                events.write(history)
                ratings.write(rated)
            written["events"] += len(history)
            written["ratings"] += len(rated)
            if progress is not None:
                _progress(progress, first + size, count, started)
        if progress is not None and count:
            progress.write("")
        if connection.vendor == "postgresql" and count:
            with connection.cursor() as cursor:
                for model in (Complaint, ComplaintEvent, Rating):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        seconds = time.monotonic() - started
        by_status = ", ".join(f"{status} {n:,}" for status, n in statuses.most_common())
        self.stdout.write(
            f"Created {count:,} complaints with {written['events']:,} history entries and "
            f"{written['ratings']:,} ratings in {seconds:.1f} s ({by_status or 'none'})."
        )

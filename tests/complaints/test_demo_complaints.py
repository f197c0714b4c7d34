"""The complaints demo: a category tree in three languages with questions, districts, routing
rules and escalation ladders for Chiang Mai City and Shenzhen, agencies with staff, and about
two hundred complaints in every state, replayed through the actions with histories that make
sense — the same after a second run."""

import datetime
import itertools
from collections import Counter
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from shapely.geometry import Point, shape

from complaints.demo import (
    AGENCY_FOR,
    CITIES,
    OVERSIGHT,
    seed_calendars,
    seed_complaints,
    seed_complaints_catalogue,
    staff_username,
)
from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    DeadlineUnit,
    District,
    Escalation,
    EscalationLevel,
    Question,
    QuestionChoice,
    Rating,
    RoutingRule,
)
from complaints.routing import routing_table
from complaints.states import can_move
from identity.demo import seed_identity
from identity.models import Agency, Jurisdiction, Membership, User
from tests.conftest import sign_in_to_admin
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status
LANGUAGES = ("en", "th", "zh_hans")


@pytest.fixture
def places() -> None:
    """The identity demo's jurisdictions and citizens, and the calendars deadlines count on."""
    seed_identity(staff=StaffFactory.create(is_superuser=True))
    seed_calendars()


def everything() -> dict[str, int]:
    models = (
        ComplaintCategory, Question, QuestionChoice, District, RoutingRule, EscalationLevel,
        Agency, User, Membership, Complaint, ComplaintEvent, Rating, Escalation,
    )  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


# The complaints ----------------------------------------------------------------------------


def test_the_demo_complaints(places):
    """One seeding (it takes seconds), each rule of the demo checked on its own below."""
    # when
    seed_complaints(staff_password="demo-staff-password")
    # then
    in_every_state()
    from_citizens_the_hotline_and_anonymous_reporters()
    in_their_districts_within_the_last_sixty_days()
    with_histories_that_walk_the_transition_table()
    with_deadlines_and_ratings()


def in_every_state() -> None:
    """About two hundred complaints, in every state, closed in each way."""
    statuses = Counter(Complaint.objects.values_list("status", flat=True))
    assert set(statuses) == set(S.values)
    assert 190 <= sum(statuses.values()) <= 210
    assert statuses[S.CLOSED] >= 40
    closures = Counter(Complaint.objects.filter(status=S.CLOSED).values_list("closure", flat=True))
    assert set(closures) == {
        Complaint.Closure.RATED,
        Complaint.Closure.UNRATED,
        Complaint.Closure.NOT_RATEABLE,
    }
    # waiting for the dispatcher: never routed, or rejected by the agency
    waiting = Complaint.objects.filter(dispatch_since__isnull=False)
    assert set(waiting.values_list("status", flat=True)) == {S.SUBMITTED, S.REJECTED}
    assert Complaint.objects.filter(status=S.SUBMITTED, dispatch_since__isnull=True).count() == 0
    # reworked complaints, some closed after their second round
    assert Complaint.objects.filter(rework_count__gte=1, status=S.CLOSED).exists()
    assert Escalation.objects.filter(reason=Escalation.Reason.DISSATISFIED_AGAIN).exists()
    # the demo clock is put back
    assert abs(timezone.now() - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)


def from_citizens_the_hotline_and_anonymous_reporters() -> None:
    reporters = Counter(
        "anonymous" if c.is_anonymous else c.channel if c.reporter_id is None else "citizen"
        for c in Complaint.objects.all()
    )
    assert set(reporters) == {"anonymous", Complaint.Channel.STAFF, "citizen"}
    assert all(count >= 20 for count in reporters.values())
    anonymous = Complaint.objects.filter(is_anonymous=True)
    assert not anonymous.filter(category__allows_anonymous=False).exists()
    assert not anonymous.filter(tracking_token_hash__isnull=True).exists()
    hotline = Complaint.objects.filter(channel=Complaint.Channel.STAFF)
    assert all(c.contact_phone and c.contact_name for c in hotline)
    languages = {
        "th" if any("\u0e00" <= ch <= "\u0e7f" for ch in text)
        else "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text)
        else "en"
        for text in Complaint.objects.values_list("description", flat=True)
    }  # fmt: skip
    assert languages == {"en", "th", "zh"}


def in_their_districts_within_the_last_sixty_days() -> None:
    areas = {d.pk: shape(d.boundary) for d in District.objects.all()}
    now = timezone.now()
    for complaint in Complaint.objects.all():
        assert complaint.district_id is not None, complaint
        point = Point(float(complaint.longitude or 0), float(complaint.latitude or 0))
        assert areas[complaint.district_id].covers(point), complaint
        assert now - datetime.timedelta(days=61) <= complaint.created_at <= now


def with_histories_that_walk_the_transition_table() -> None:
    """Submitted first, then one allowed move after another, in time order, in the past."""
    now = timezone.now()
    for complaint in Complaint.objects.prefetch_related("events"):
        events = list(complaint.events.all())
        assert (events[0].from_status, events[0].to_status) == ("", S.SUBMITTED)
        assert events[0].at == complaint.created_at
        status: str = S.SUBMITTED
        for before, event in itertools.pairwise(events):
            assert before.at <= event.at <= now, complaint
            assert event.from_status == status, complaint
            if event.to_status != event.from_status:
                assert can_move(event.from_status, event.to_status, event.actor_kind), (
                    complaint,
                    event,
                )
            status = event.to_status
        assert status == complaint.status, complaint


def with_deadlines_and_ratings() -> None:
    resolved = Complaint.objects.filter(resolved_at__isnull=False)
    assert not resolved.filter(resolution_due__isnull=True).exists()
    on_time = Counter(resolved.values_list("resolved_on_time", flat=True))
    assert on_time[True] > 3 * on_time[False] > 0
    # awaiting a rating: inside the rating window, which the sweep has not closed
    waiting = Complaint.objects.filter(status=S.RESOLVED)
    assert all(
        c.resolved_at and timezone.now() - c.resolved_at < datetime.timedelta(days=7)
        for c in waiting
    )
    rated = Complaint.objects.filter(closure=Complaint.Closure.RATED)
    assert all(c.ratings.filter(is_satisfied=True).exists() for c in rated)
    assert Escalation.objects.filter(level=2).exists()


def test_seeding_twice_changes_nothing(places):
    # given
    seed_complaints(staff_password="demo-staff-password")
    first = everything()
    # when
    seed_complaints(staff_password="demo-staff-password")
    # then
    assert everything() == first
    assert first["Complaint"] >= 190


@pytest.mark.postgres
def test_seeding_is_quick(places):
    """Seconds on a quiet machine; half a minute is the bound on a busy CI runner."""
    started = timezone.now()
    seed_complaints(staff_password="demo-staff-password")
    assert timezone.now() - started < datetime.timedelta(seconds=30)


# The catalogue -----------------------------------------------------------------------------


def test_the_category_tree_is_in_three_languages_with_questions(places):
    # when
    catalogue = seed_complaints_catalogue(staff_password="demo-staff-password")
    # then
    for key, code in CITIES.items():
        categories = ComplaintCategory.objects.filter(jurisdiction__code=code)
        roots = categories.filter(parent__isnull=True)
        assert roots.count() == 9
        assert categories.filter(parent__isnull=False).count() == 16
        for category in categories:
            for field in ("name", "description", "keywords"):
                assert all(getattr(category, f"{field}_{lang}") for lang in LANGUAGES), (
                    category.code,
                    field,
                )
        leaves = categories.filter(children__isnull=True)
        assert not leaves.exclude(code="other").filter(default_agency__isnull=True).exists()
        assert catalogue.categories[key]["other"].default_agency is None
    cm = catalogue.categories["cm"]
    assert (cm["traffic-signal"].resolution_amount, cm["traffic-signal"].resolution_unit) == (
        8,
        DeadlineUnit.WORKING_HOURS,
    )
    assert (cm["roads-potholes"].resolution_amount, cm["roads-potholes"].resolution_unit) == (
        3,
        DeadlineUnit.WORKING_DAYS,
    )
    assert (cm["noise-construction"].allows_anonymous, cm["water-leak"].allows_anonymous) == (
        True,
        True,
    )
    assert (cm["roads-potholes"].allows_anonymous, cm["noise-neighbours"].is_public) == (
        False,
        False,
    )
    size = Question.objects.get(category=cm["roads-potholes"], code="size")
    assert [(c.key, c.name_th) for c in size.choices.order_by("order")] == [
        ("small", "เล็กกว่าจานข้าว"),
        ("medium", "ประมาณยางรถยนต์"),
        ("large", "ใหญ่กว่ายางรถยนต์หรือลึกมาก"),
    ]
    pole = Question.objects.get(category=cm["lighting-out"], code="pole_number")
    assert (pole.datatype, pole.is_required, pole.description_zh_hans) == (
        Question.Datatype.STRING,
        False,
        "灯杆上的编号（如能看到）",
    )


def test_districts_rules_and_ladders_route_as_the_demo_says(places):
    # given
    catalogue = seed_complaints_catalogue(staff_password="demo-staff-password")
    cm, sz = catalogue.jurisdictions["cm"], catalogue.jurisdictions["sz"]
    table = routing_table(cm.pk)
    categories = catalogue.categories["cm"]
    agency_of = {a.pk: a.code for a in Agency.objects.all()}
    kawila = table.district_at(18.788, 99.010)
    night = datetime.datetime(
        2026, 3, 4, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=7))
    )
    day = night.replace(hour=14)

    def route(category: str, *, district: int | None = None, at=day, **answers: str) -> str | None:
        rule = table.match(
            category_id=categories[category].pk, district_id=district, at=at, answers=answers
        )
        return agency_of[rule.agency_id] if rule else None

    # then
    assert kawila == District.objects.get(code="kawila").pk
    assert table.district_at(18.60, 98.90) is None  # outside the city
    assert route("noise-neighbours", at=night) == "cm-law-enforcement"
    assert route("noise-neighbours", at=day) is None  # the category's agency, by day
    assert route("roads-potholes", district=kawila, size="large") == "cm-public-works"
    assert route("roads-potholes", district=kawila, size="small") == "cm-kawila-office"
    assert route("lighting-out", district=kawila) == "cm-kawila-office"
    assert routing_table(sz.pk).district_at(22.541, 114.059) == (
        District.objects.get(jurisdiction=sz, code="futian").pk
    )
    ladder = list(
        EscalationLevel.objects.filter(jurisdiction=cm).values_list(
            "level", "target", "oversight_agency__code", "delay_hours"
        )
    )
    assert ladder == [
        (1, EscalationLevel.Target.AGENCY_SUPERVISORS, None, 0),
        (2, EscalationLevel.Target.OVERSIGHT, OVERSIGHT["cm"], 8),
    ]


def test_every_agency_complaints_go_to_has_a_supervisor_and_an_officer(places):
    catalogue = seed_complaints_catalogue(staff_password="demo-staff-password")
    handling = {code for city in AGENCY_FOR.values() for code in city.values()}
    for code in handling:
        for role in (Membership.Role.SUPERVISOR, Membership.Role.OFFICER):
            user = User.objects.get(username=staff_username(code, role))
            assert user.is_staff
            assert user.check_password("demo-staff-password")
            assert Membership.objects.filter(user=user, agency__code=code, role=role).exists()
    assert catalogue.staff[("cm-municipality", "dispatcher")].memberships.get().role == (
        Membership.Role.DISPATCHER
    )


def test_a_demo_supervisor_sees_their_citys_catalogue_in_admin(places):
    # given
    seed_complaints_catalogue(staff_password="demo-staff-password")
    supervisor = User.objects.get(username=staff_username("cm-public-works", "supervisor"))
    browser = sign_in_to_admin(Client(), supervisor)
    shenzhen_category = ComplaintCategory.objects.get(
        jurisdiction__code=CITIES["sz"], code="roads-potholes"
    )
    # when
    page = browser.get("/admin/complaints/complaintcategory/?q=potholes").content.decode()
    # then
    assert "Roads and footpaths › </span>Potholes" in page
    assert page.count("roads-potholes") == 1
    assert (
        browser.get(f"/admin/complaints/complaintcategory/{shenzhen_category.pk}/change/")
    ).status_code == 404


def test_the_catalogue_seeding_keeps_what_exists(places):
    # given: the identity and services demos made some of the agencies already
    transit = Agency.objects.get(code="cm-transit")
    Jurisdiction.objects.get(code=CITIES["cm"])
    # when
    catalogue = seed_complaints_catalogue(staff_password="demo-staff-password")
    seed_complaints_catalogue(staff_password="demo-staff-password")
    # then
    assert catalogue.agencies["cm-transit"].pk == transit.pk
    assert Agency.objects.filter(code="cm-transit").count() == 1
    assert District.objects.filter(jurisdiction__code=CITIES["cm"]).count() == 4
    assert District.objects.filter(jurisdiction__code=CITIES["sz"]).count() == 3
    kawila = District.objects.get(code="kawila")
    assert (kawila.name_en, kawila.name_th, kawila.name_zh_hans) == (
        "Kawila",
        "แขวงกาวิละ",
        "卡威拉区",
    )
    assert Decimal(str(shape(kawila.boundary).centroid.y)).quantize(Decimal("0.01")) == Decimal(
        "18.79"
    )

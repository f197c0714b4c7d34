"""Routing by the jurisdiction's rules: category (and the categories beneath), district,
time of day and week, answers; the category's agency as a fallback; else the dispatcher."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from complaints.actions.routing import route_complaint
from complaints.models import Complaint, ComplaintEvent
from complaints.routing import routing_table
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    DistrictFactory,
    QuestionFactory,
    RoutingRuleFactory,
    square,
)

pytestmark = pytest.mark.django_db
BANGKOK = ZoneInfo("Asia/Bangkok")


@pytest.fixture
def city():
    return CityFactory.create()


@pytest.fixture
def north(city):
    return DistrictFactory.create(jurisdiction=city, code="north", boundary=square(100.0, 14.0, 1))


@pytest.fixture
def south(city):
    return DistrictFactory.create(jurisdiction=city, code="south", boundary=square(100.0, 13.0, 1))


def _complaint(category, *, lat="13.5", at=None, answers=None, district=None) -> Complaint:
    table = routing_table(category.jurisdiction_id)
    return ComplaintFactory.create(
        category=category,
        latitude=Decimal(lat),
        longitude=Decimal("100.5"),
        district_id=district or table.district_at(float(lat), 100.5),
        created_at=at or datetime.datetime(2026, 11, 18, 10, tzinfo=BANGKOK),
        answers=answers or {},
    )


def test_the_district_of_a_point_is_found_in_the_index(city, north, south):
    table = routing_table(city.pk)

    assert table.district_at(14.5, 100.5) == north.pk
    assert table.district_at(13.5, 100.5) == south.pk
    assert table.district_at(20.0, 100.5) is None


def test_the_first_rule_by_priority_that_matches_gives_the_agency(city, north, south):
    # given a parent category, a leaf beneath it, and rules by district
    roads = ComplaintCategoryFactory.create(jurisdiction=city, default_agency=None)
    potholes = ComplaintCategoryFactory.create(jurisdiction=city, parent=roads)
    north_works = AgencyFactory.create(jurisdiction=city)
    south_works = AgencyFactory.create(jurisdiction=city)
    RoutingRuleFactory.create(
        jurisdiction=city, priority=1, agency=north_works, categories=[roads], districts=[north]
    )
    rule = RoutingRuleFactory.create(
        jurisdiction=city, priority=2, agency=south_works, categories=[roads], districts=[south]
    )
    complaint = _complaint(potholes, lat="13.5")

    # when
    route_complaint(complaint_id=complaint.pk)

    # then
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.ROUTED
    assert complaint.agency == south_works
    assert complaint.routing_rule == rule
    assert complaint.district == south
    assert complaint.resolution_due is not None
    assert complaint.first_contact_due is not None
    event = complaint.events.get(to_status=Complaint.Status.ROUTED)
    assert rule.name in event.note


def test_time_of_day_rules_span_midnight(city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    night_shift = AgencyFactory.create(jurisdiction=city)
    RoutingRuleFactory.create(
        jurisdiction=city, agency=night_shift, time_from=datetime.time(22),
        time_to=datetime.time(6),
    )  # fmt: skip
    late = _complaint(category, at=datetime.datetime(2026, 11, 18, 23, 30, tzinfo=BANGKOK))
    day = _complaint(category, at=datetime.datetime(2026, 11, 18, 12, 0, tzinfo=BANGKOK))

    route_complaint(complaint_id=late.pk)
    route_complaint(complaint_id=day.pk)

    late.refresh_from_db()
    day.refresh_from_db()
    assert late.agency == night_shift
    assert day.agency == category.default_agency
    assert day.routing_rule is None


def test_answers_and_weekdays_are_conditions(city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    hazmat = AgencyFactory.create(jurisdiction=city)
    RoutingRuleFactory.create(
        jurisdiction=city, agency=hazmat, answers={"kind": ["chemical", "oil"]}, weekdays=[2]
    )
    wednesday = datetime.datetime(2026, 11, 18, 10, tzinfo=BANGKOK)
    oil = _complaint(category, at=wednesday, answers={"kind": "oil"})
    litter = _complaint(category, at=wednesday, answers={"kind": "litter"})
    oil_on_thursday = _complaint(
        category, at=wednesday + datetime.timedelta(days=1), answers={"kind": "oil"}
    )

    for complaint in (oil, litter, oil_on_thursday):
        route_complaint(complaint_id=complaint.pk)
        complaint.refresh_from_db()

    assert oil.agency == hazmat
    assert litter.agency == category.default_agency
    assert oil_on_thursday.agency == category.default_agency


def test_with_no_rule_and_no_default_agency_the_dispatcher_gets_it(city):
    category = ComplaintCategoryFactory.create(jurisdiction=city, default_agency=None)
    complaint = _complaint(category)

    route_complaint(complaint_id=complaint.pk)

    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.SUBMITTED
    assert complaint.agency is None
    assert complaint.dispatch_since is not None
    note = complaint.events.get()
    assert note.actor_kind == ComplaintEvent.ActorKind.SYSTEM
    assert not note.is_public


def test_routing_twice_routes_once(city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    complaint = _complaint(category)

    route_complaint(complaint_id=complaint.pk)
    route_complaint(complaint_id=complaint.pk)

    assert complaint.events.filter(to_status=Complaint.Status.ROUTED).count() == 1


def test_an_edited_rule_takes_effect_at_once(city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    first, second = AgencyFactory.create_batch(2, jurisdiction=city)
    rule = RoutingRuleFactory.create(jurisdiction=city, agency=first)
    assert routing_table(city.pk).rules[0].agency_id == first.pk

    rule.agency = second
    rule.save()

    complaint = _complaint(category)
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    assert complaint.agency == second


def test_an_edit_reaches_a_process_within_the_recheck_interval(city, settings):
    # given a table read a moment ago, and a process that rechecks once a minute
    settings.COMPLAINTS_CATALOGUE_RECHECK_SECONDS = 60
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    first, second = AgencyFactory.create_batch(2, jurisdiction=city)
    rule = RoutingRuleFactory.create(jurisdiction=city, agency=first)
    assert routing_table(city.pk).rules[0].agency_id == first.pk

    # when the rule is edited
    rule.agency = second
    rule.save()

    # then the process keeps its table until the interval is over
    assert routing_table(city.pk).rules[0].agency_id == first.pk
    settings.COMPLAINTS_CATALOGUE_RECHECK_SECONDS = 0
    assert routing_table(city.pk).rules[0].agency_id == second.pk
    assert category.pk in routing_table(city.pk).leaf_ids


def test_a_current_table_costs_no_query_within_the_interval(
    city, settings, django_assert_num_queries
):
    settings.COMPLAINTS_CATALOGUE_RECHECK_SECONDS = 60
    ComplaintCategoryFactory.create(jurisdiction=city)
    routing_table(city.pk)

    with django_assert_num_queries(0):
        routing_table(city.pk)


def test_a_deactivated_agency_is_no_longer_routed_to(city):
    # given a category whose agency is switched off after the table was built
    agency = AgencyFactory.create(jurisdiction=city)
    category = ComplaintCategoryFactory.create(jurisdiction=city, default_agency=agency)
    assert agency.pk in routing_table(city.pk).active_agency_ids
    agency.is_active = False
    agency.save()

    # when a complaint of it is routed
    complaint = _complaint(category)
    route_complaint(complaint_id=complaint.pk)

    # then it waits for the dispatcher
    complaint.refresh_from_db()
    assert complaint.agency is None
    assert complaint.dispatch_since is not None


def test_an_edited_question_changes_the_table(city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    question = QuestionFactory.create(category=category, code="depth", is_required=False)
    assert not routing_table(city.pk).questions[category.pk][0].is_required

    question.is_required = True
    question.save()

    assert routing_table(city.pk).questions[category.pk][0].is_required

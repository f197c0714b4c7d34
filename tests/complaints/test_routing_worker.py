"""Acceptance: with a real Celery worker on Redis and PostgreSQL, a complaint reported through
the API is routed to the right agency by its category and district, and one no rule or
default agency can place waits for the dispatcher."""

import time
import uuid

import pytest

from cityportal.notifications.models import Message
from complaints.models import Complaint, ComplaintEvent, PendingAnnouncement
from tests.conftest import client_for
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    DistrictFactory,
    PersonFactory,
    RoutingRuleFactory,
    square,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

URL = "/api/v1/complaints"


def _settled(tracking_number: str, timeout: float = 15.0) -> Complaint:
    """Poll the database until the worker has routed the complaint or queued it for the
    dispatcher."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        complaint = Complaint.objects.get(tracking_number=tracking_number)
        if complaint.status != Complaint.Status.SUBMITTED or complaint.dispatch_since:
            return complaint
        time.sleep(0.05)
    raise AssertionError(f"{tracking_number} not routed within {timeout}s")


def _report(client, category, *, latitude: str) -> str:
    response = client.post(
        URL,
        {
            "jurisdiction": category.jurisdiction.code,
            "category": category.code,
            "description": "Water running down the street from a broken pipe.",
            "latitude": latitude,
            "longitude": "100.5",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "submitted"
    return str(response.json()["tracking_number"])


def test_the_worker_routes_by_category_and_district(celery_worker):
    # given a city with two districts, a rule for each, and a category nobody is assigned
    city = CityFactory.create()
    north = DistrictFactory.create(jurisdiction=city, code="north", boundary=square(100.0, 14.0, 1))
    south = DistrictFactory.create(jurisdiction=city, code="south", boundary=square(100.0, 13.0, 1))
    water = ComplaintCategoryFactory.create(jurisdiction=city, code="water-leak")
    north_water = AgencyFactory.create(jurisdiction=city, code="north-water")
    south_water = AgencyFactory.create(jurisdiction=city, code="south-water")
    north_rule = RoutingRuleFactory.create(
        jurisdiction=city, priority=1, agency=north_water, categories=[water], districts=[north]
    )
    south_rule = RoutingRuleFactory.create(
        jurisdiction=city, priority=2, agency=south_water, categories=[water], districts=[south]
    )
    stray = ComplaintCategoryFactory.create(jurisdiction=city, code="stray", default_agency=None)
    reporter = PersonFactory.create(preferred_language="th")
    citizen = client_for(reporter.user)

    # when a citizen reports in each district, and in the category without an agency
    in_north = _report(citizen, water, latitude="14.5")
    in_south = _report(citizen, water, latitude="13.5")
    unplaced = _report(citizen, stray, latitude="13.5")

    # then the worker routes each by its rule, and the third waits for the dispatcher
    north_complaint, south_complaint = _settled(in_north), _settled(in_south)
    assert (north_complaint.status, north_complaint.agency, north_complaint.routing_rule) == (
        Complaint.Status.ROUTED, north_water, north_rule,
    )  # fmt: skip
    assert (south_complaint.status, south_complaint.agency, south_complaint.routing_rule) == (
        Complaint.Status.ROUTED, south_water, south_rule,
    )  # fmt: skip
    assert north_complaint.district == north
    assert south_complaint.resolution_due is not None
    waiting = _settled(unplaced)
    assert waiting.status == Complaint.Status.SUBMITTED
    assert waiting.dispatch_since is not None
    assert waiting.agency is None
    note = waiting.events.filter(actor_kind=ComplaintEvent.ActorKind.SYSTEM).get()
    assert note.is_public is False
    # and the reporter hears of the two routings in Thai (the dispatcher's wait is internal)
    titles = _inbox(reporter, count=2)
    assert titles == sorted(
        f"เรื่องร้องเรียน {number}: ส่งต่อหน่วยงานแล้ว" for number in (in_north, in_south)
    )
    assert not PendingAnnouncement.objects.exists()


def _inbox(person, *, count: int, timeout: float = 15.0) -> list[str]:
    """The titles in `person`'s inbox once `count` have arrived (the worker announces the
    outbox after the routings commit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        titles = sorted(Message.objects.filter(recipient=person).values_list("title", flat=True))
        if len(titles) >= count:
            return titles
        time.sleep(0.05)
    raise AssertionError(f"{count} messages not in the inbox within {timeout}s")

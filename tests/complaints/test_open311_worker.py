"""Acceptance: a service request posted over Open311 with a valid key is routed by a real Celery
worker on Redis and PostgreSQL, to the agency the jurisdiction's rules give for its category
and district, and its status reads back over Open311."""

import json
import time
from urllib.parse import urlencode

import pytest
from django.test import Client

from complaints.models import Complaint
from identity.actions.clients import create_api_client
from identity.models import ApiClient
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    DistrictFactory,
    RoutingRuleFactory,
    square,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def _routed(number: str, timeout: float = 15.0) -> Complaint:
    """Poll the database until the worker has routed the complaint."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        complaint = Complaint.objects.select_related("agency").get(tracking_number=number)
        if complaint.status != Complaint.Status.SUBMITTED:
            return complaint
        time.sleep(0.05)
    raise AssertionError(f"{number} not routed within {timeout}s")


def test_a_posted_request_is_routed_by_the_worker(celery_worker):
    # given a city whose old town's potholes go to the old-town crew
    city = CityFactory.create(code="chiang-mai")
    old_town = DistrictFactory.create(jurisdiction=city, boundary=square(98.98, 18.79, 0.02))
    DistrictFactory.create(jurisdiction=city, boundary=square(99.02, 18.79, 0.02))
    works = AgencyFactory.create(jurisdiction=city)
    crew = AgencyFactory.create(jurisdiction=city, name="Old Town Crew")
    potholes = ComplaintCategoryFactory.create(
        jurisdiction=city, code="potholes", default_agency=works
    )
    RoutingRuleFactory.create(
        jurisdiction=city, agency=crew, categories=[potholes], districts=[old_town]
    )
    key = create_api_client(agency=works, name="App", scopes=[ApiClient.Scope.OPEN311_WRITE])
    client = Client()

    # when
    response = client.post(
        "/open311/v2/requests.json",
        urlencode(
            {
                "api_key": key.token,
                "jurisdiction_id": "chiang-mai",
                "service_code": "potholes",
                "lat": "18.7905",
                "long": "98.9815",
                "description": "A pothole by the moat.",
            }
        ),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )

    # then
    assert response.status_code == 200, response.content
    number = json.loads(response.content)[0]["service_request_id"]
    complaint = _routed(number)
    assert complaint.status == Complaint.Status.ROUTED
    assert complaint.agency == crew
    read = client.get(f"/open311/v2/requests/{number}.json", {"jurisdiction_id": "chiang-mai"})
    assert json.loads(read.content)[0]["agency_responsible"] == "Old Town Crew"

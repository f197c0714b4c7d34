"""The rating endpoints (complaints/api/ratings.py): the reporter rates a resolved complaint by
its tracking number, an anonymous reporter by the secret token; everyone else gets 404.

The complaint is `person`'s, handled by `agency` (whose officer is `officer_api`), resolved an
hour ago.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.actions.routing import route_complaint
from complaints.actions.transitions import transition
from complaints.models import Complaint, ComplaintEvent, Rating, hash_tracking_token
from tests.conftest import client_for
from tests.factories import ComplaintCategoryFactory, ComplaintFactory, MembershipFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status
A = ComplaintEvent.ActorKind
TOKEN = "Zq0-anonymous-tracking-token-9xT"
GOOD = {"speed": 4, "result": 5, "attitude": 4, "comment": "Quick and polite."}
POOR = {"speed": 2, "result": 1, "attitude": 3, "comment": "Still broken."}


@pytest.fixture
def category(agency):
    return ComplaintCategoryFactory.create(jurisdiction=agency.jurisdiction, default_agency=agency)


def _resolved(category, *, ago: timedelta = timedelta(hours=1), **fields: Any) -> Complaint:
    complaint = ComplaintFactory.create(category=category, **fields)
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    at = timezone.now() - ago
    transition(complaint, S.ACCEPTED, actor_kind=A.OFFICER, accepted_at=at)
    transition(complaint, S.RESOLVED, actor_kind=A.OFFICER, resolved_at=at, resolved_on_time=True)
    return complaint


@pytest.fixture
def complaint(category, person) -> Complaint:
    return _resolved(category, reporter=person)


@pytest.fixture
def anonymous_complaint(category) -> Complaint:
    return _resolved(
        category, reporter=None, is_anonymous=True, tracking_token_hash=hash_tracking_token(TOKEN)
    )


def _path(complaint: Complaint) -> str:
    return f"/api/v1/complaints/{complaint.tracking_number}/rating"


def _track_path(token: str = TOKEN) -> str:
    return f"/api/v1/complaints/track/{token}/rating"


def _snapshot(complaint: Complaint) -> tuple[object, ...]:
    complaint.refresh_from_db()
    return (
        complaint.status,
        complaint.rework_count,
        complaint.resolution_due,
        complaint.closed_at,
        Rating.objects.filter(complaint=complaint).count(),
        complaint.events.count(),
    )


def test_the_reporter_rates_and_the_complaint_closes(citizen_api, complaint):
    # when
    response = citizen_api.post(_path(complaint), GOOD, format="json")

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rating"] == {
        "round": 0,
        "speed": 4,
        "result": 5,
        "attitude": 4,
        "comment": "Quick and polite.",
        "is_satisfied": True,
        "created_at": body["rating"]["created_at"],
    }
    assert body["complaint"] == {
        "tracking_number": complaint.tracking_number,
        "status": "closed",
        "closure": "rated",
        "rework_count": 0,
        "resolution_due": body["complaint"]["resolution_due"],
    }
    complaint.refresh_from_db()
    assert complaint.status == S.CLOSED


def test_a_poor_result_reopens_the_complaint_for_rework(citizen_api, complaint):
    response = citizen_api.post(_path(complaint), POOR, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rating"]["is_satisfied"] is False
    assert (body["complaint"]["status"], body["complaint"]["rework_count"]) == ("rework", 1)
    assert body["complaint"]["closure"] == ""


def test_the_anonymous_reporter_rates_with_the_token(api, anonymous_complaint):
    response = api.post(_track_path(), GOOD, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["complaint"]["tracking_number"] == anonymous_complaint.tracking_number
    assert response.json()["complaint"]["status"] == "closed"


def _caller(request: pytest.FixtureRequest, who: str) -> APIClient:
    agency = request.getfixturevalue("agency")
    callers = {
        "anonymous": lambda: APIClient(),
        "reporter": lambda: request.getfixturevalue("citizen_api"),
        "other_citizen": lambda: request.getfixturevalue("other_citizen_api"),
        "officer": lambda: request.getfixturevalue("officer_api"),
        "supervisor": lambda: client_for(
            MembershipFactory.create(agency=agency, role="supervisor").user
        ),
        "other_officer": lambda: request.getfixturevalue("other_officer_api"),
        "integrator": lambda: request.getfixturevalue("integrator")(
            "complaints:read", "complaints:write"
        ),
    }
    return callers[who]()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 404),
        ("reporter", 201),
        ("other_citizen", 404),
        ("officer", 404),
        ("supervisor", 404),
        ("other_officer", 404),
        ("integrator", 404),
    ],
)
def test_only_the_reporter_rates_by_tracking_number(request, complaint, who, expected):
    # given
    client = _caller(request, who)
    before = _snapshot(complaint)

    # when
    response = client.post(_path(complaint), GOOD, format="json")

    # then
    assert response.status_code == expected, response.json()
    if expected == 404:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "complaint_not_found"
        assert _snapshot(complaint) == before


@pytest.mark.parametrize(
    ("who", "path_token", "expected"),
    [
        ("anonymous", TOKEN, 201),
        ("anonymous", TOKEN[:-1] + "y", 404),
        ("reporter", TOKEN, 201),  # the token is the credential, whoever is signed in
        ("officer", TOKEN[:-1] + "y", 404),
    ],
)
def test_the_token_is_what_lets_an_anonymous_report_be_rated(
    request, anonymous_complaint, who, path_token, expected
):
    client = _caller(request, who)
    before = _snapshot(anonymous_complaint)

    response = client.post(_track_path(path_token), GOOD, format="json")

    assert response.status_code == expected, response.json()
    if expected == 404:
        assert response.json()["code"] == "complaint_not_found"
        assert _snapshot(anonymous_complaint) == before


def test_the_reporter_cannot_use_the_number_of_an_anonymous_report(
    citizen_api, anonymous_complaint
):
    response = citizen_api.post(_path(anonymous_complaint), GOOD, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({**GOOD, "speed": 0}, ["speed"]),
        ({**GOOD, "result": 6, "attitude": "kind"}, ["result", "attitude"]),
        ({"comment": "no scores"}, ["speed", "result", "attitude"]),
        ({**GOOD, "comment": "x" * 2001}, ["comment"]),
    ],
)
def test_bad_scores_are_refused_with_field_errors_and_change_nothing(
    citizen_api, complaint, data, fields
):
    before = _snapshot(complaint)

    response = citizen_api.post(_path(complaint), data, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["field"] for error in body["errors"]] == fields
    assert _snapshot(complaint) == before


def test_after_the_window_the_rating_is_refused(citizen_api, category, person):
    complaint = _resolved(
        category, reporter=person, ago=settings.COMPLAINTS_RATING_WINDOW + timedelta(hours=1)
    )
    before = _snapshot(complaint)

    response = citizen_api.post(_path(complaint), GOOD, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "rating_not_open"
    assert response.json()["complaint_status"] == "resolved"
    assert _snapshot(complaint) == before


def test_a_complaint_already_rated_is_not_rated_again(citizen_api, complaint):
    assert citizen_api.post(_path(complaint), GOOD, format="json").status_code == 201
    before = _snapshot(complaint)

    response = citizen_api.post(_path(complaint), POOR, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "rating_not_open"
    assert response.json()["complaint_status"] == "closed"
    assert _snapshot(complaint) == before


def test_a_retry_with_the_same_idempotency_key_is_answered_from_the_first(citizen_api, complaint):
    headers = {"Idempotency-Key": "rating-3c1d9f0e-7a2b"}

    first = citizen_api.post(_path(complaint), POOR, format="json", headers=headers)
    again = citizen_api.post(_path(complaint), POOR, format="json", headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Rating.objects.filter(complaint=complaint).count() == 1
    complaint.refresh_from_db()
    assert complaint.rework_count == 1

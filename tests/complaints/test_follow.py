"""POST/DELETE /api/v1/complaints/{number}/follow: a citizen follows someone else's active
complaint of a public category instead of reporting it again, once however often they ask,
and its updates then reach them."""

import pytest
from django.utils import timezone

from complaints.actions.notifications import audience_of
from complaints.models import Complaint, Follower
from tests.conftest import client_for
from tests.factories import ComplaintCategoryFactory, ComplaintFactory, PersonFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status


@pytest.fixture
def complaint(agency) -> Complaint:
    category = ComplaintCategoryFactory.create(jurisdiction=agency.jurisdiction)
    return ComplaintFactory.create(category=category, status=S.ROUTED, agency=agency)


def _path(complaint: Complaint) -> str:
    return f"/api/v1/complaints/{complaint.tracking_number}/follow"


def test_a_citizen_follows_a_complaint_once(citizen_api, person, complaint):
    first = citizen_api.post(_path(complaint))
    again = citizen_api.post(_path(complaint))

    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["tracking_number"] == complaint.tracking_number
    assert again.json()["following_since"] == first.json()["following_since"]
    assert Follower.objects.filter(complaint=complaint).count() == 1
    assert person in audience_of(complaint)
    # and it is among the complaints they follow
    followed = citizen_api.get("/api/v1/complaints", {"followed": "true"}).json()["results"]
    assert [c["tracking_number"] for c in followed] == [complaint.tracking_number]


def test_the_reporter_does_not_follow_their_own(complaint):
    response = client_for(complaint.reporter.user).post(_path(complaint))

    assert response.status_code == 409
    assert response.json()["code"] == "own_complaint"
    assert Follower.objects.count() == 0


@pytest.mark.parametrize("status", [S.CLOSED, S.WITHDRAWN, S.RESOLVED])
def test_a_finished_complaint_is_not_followed(citizen_api, complaint, status):
    Complaint.objects.filter(pk=complaint.pk).update(status=status, closed_at=timezone.now())

    response = citizen_api.post(_path(complaint))

    assert response.status_code == 409
    assert response.json()["code"] == "complaint_not_active"
    assert Follower.objects.count() == 0


def test_a_complaint_of_a_category_that_is_not_public_is_not_found(citizen_api, complaint):
    complaint.category.is_public = False
    complaint.category.save()

    response = citizen_api.post(_path(complaint))

    assert response.status_code == 404
    assert response.json()["code"] == "complaint_not_found"
    assert Follower.objects.count() == 0


def test_following_is_for_citizens(api, officer_api, integrator, complaint):
    assert api.post(_path(complaint)).status_code == 401
    assert officer_api.post(_path(complaint)).status_code == 403
    assert integrator("complaints:write").post(_path(complaint)).status_code == 403
    assert Follower.objects.count() == 0


def test_a_follower_stops_following(citizen_api, person, complaint):
    other = PersonFactory.create()
    Follower.objects.create(complaint=complaint, person=person)
    Follower.objects.create(complaint=complaint, person=other)

    response = citizen_api.delete(_path(complaint))
    again = citizen_api.delete(_path(complaint))

    assert (response.status_code, again.status_code) == (204, 204)
    assert list(Follower.objects.values_list("person", flat=True)) == [other.pk]
    assert citizen_api.get(f"/api/v1/complaints/{complaint.tracking_number}").status_code == 404

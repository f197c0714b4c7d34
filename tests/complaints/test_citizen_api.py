"""The citizen's complaints: the list of those they reported or follow, the page of one (for
its reporter and followers only; everyone else, staff included, is told 404), the anonymous
reporter's page by token, and withdrawing."""

import datetime
import secrets

import pytest
from django.utils import timezone

from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Follower,
    Rating,
    hash_tracking_token,
)
from tests.conftest import client_for
from tests.factories import ComplaintCategoryFactory, ComplaintFactory, PersonFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints"
S = Complaint.Status
A = ComplaintEvent.ActorKind


@pytest.fixture
def category(agency) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(jurisdiction=agency.jurisdiction, default_agency=agency)


@pytest.fixture
def handled(category, person, agency, officer) -> Complaint:
    """The citizen's complaint, accepted by the agency: a public history entry with a note,
    an internal one, and a duplicate pointing at it."""
    complaint = ComplaintFactory.create(
        category=category, reporter=person, agency=agency, status=S.ACCEPTED,
        answers={"depth": "deep"}, address="Soi 3",
        first_contact_due=timezone.now(), resolution_due=timezone.now(),
    )  # fmt: skip
    at = timezone.now() - datetime.timedelta(hours=2)
    ComplaintEvent.objects.create(complaint=complaint, to_status=S.SUBMITTED, actor_kind=A.REPORTER,
                                  actor=person.user, at=at)  # fmt: skip
    ComplaintEvent.objects.create(
        complaint=complaint, from_status=S.SUBMITTED, to_status=S.ROUTED, actor_kind=A.SYSTEM,
        agency=agency, at=at + datetime.timedelta(minutes=1),
    )  # fmt: skip
    ComplaintEvent.objects.create(
        complaint=complaint, from_status=S.ROUTED, to_status=S.ROUTED, actor_kind=A.OFFICER,
        actor=officer, note="Reporter sounds angry; send Somchai.", is_public=False,
        at=at + datetime.timedelta(minutes=2),
    )  # fmt: skip
    ComplaintEvent.objects.create(
        complaint=complaint, from_status=S.ROUTED, to_status=S.ACCEPTED, actor_kind=A.OFFICER,
        actor=officer, note="We will fill it on Monday.", at=at + datetime.timedelta(minutes=3),
    )  # fmt: skip
    return complaint


def _detail_path(complaint: Complaint) -> str:
    return f"{URL}/{complaint.tracking_number}"


# The page of one complaint ------------------------------------------------------------------


def test_the_reporter_reads_their_complaint(citizen_api, handled, agency):
    response = citizen_api.get(_detail_path(handled))

    assert response.status_code == 200
    detail = response.json()
    assert detail["tracking_number"] == handled.tracking_number
    assert detail["status"] == "accepted"
    assert detail["category"] == {"code": handled.category.code, "name": handled.category.name}
    assert detail["jurisdiction"] == handled.jurisdiction.code
    assert detail["description"] == handled.description
    assert (detail["latitude"], detail["longitude"]) == ("13.500000", "100.500000")
    assert detail["address"] == "Soi 3"
    assert detail["answers"] == {"depth": "deep"}
    assert detail["agency"] == {"code": agency.code, "name": agency.name}
    assert detail["duplicate_of"] is None
    assert detail["photos"] == []
    assert [(e["status"], e["note"]) for e in detail["history"]] == [
        ("submitted", ""),
        ("routed", ""),
        ("accepted", "We will fill it on Monday."),
    ]
    assert set(detail["history"][0]) == {"at", "status", "note"}
    assert detail["deadlines"]["is_paused"] is False
    assert detail["rating"] == {"state": "not_open", "rate_until": None, "ratings": []}
    assert detail["is_reporter"] is True
    assert detail["allowed_actions"] == ["withdraw"]
    # never staff names, internal notes or contact details
    text = response.content.decode()
    assert "Somchai" not in text
    assert handled.reporter.contact_email not in text
    assert "contact_preference" not in text
    assert "actor" not in text


def test_a_follower_reads_it_too(handled):
    follower = PersonFactory.create()
    Follower.objects.create(complaint=handled, person=follower)

    detail = client_for(follower.user).get(_detail_path(handled)).json()

    assert detail["tracking_number"] == handled.tracking_number
    assert detail["is_reporter"] is False
    assert detail["allowed_actions"] == ["unfollow"]


def test_nobody_else_learns_it_exists(
    api, other_citizen_api, officer_api, other_officer_api, handled, integrator
):
    for client in (
        api, other_citizen_api, officer_api, other_officer_api, integrator("complaints:read")
    ):  # fmt: skip
        response = client.get(_detail_path(handled))

        assert response.status_code == 404, response.json()
        assert response.json()["code"] == "complaint_not_found"


def test_a_duplicate_names_its_original(citizen_api, person, handled):
    duplicate = ComplaintFactory.create(
        category=handled.category, reporter=person, status=S.DUPLICATE, duplicate_of=handled
    )

    detail = citizen_api.get(_detail_path(duplicate)).json()

    assert detail["duplicate_of"] == handled.tracking_number
    assert detail["allowed_actions"] == []


def test_the_rating_window_and_the_ratings_show_to_the_reporter(citizen_api, person, handled):
    resolved_at = timezone.now() - datetime.timedelta(days=1)
    Complaint.objects.filter(pk=handled.pk).update(status=S.RESOLVED, resolved_at=resolved_at,
                                                   rework_count=1)  # fmt: skip
    Rating.objects.create(complaint=handled, round=0, speed=2, result=1, attitude=3,
                          comment="Still a hole.", is_satisfied=False)  # fmt: skip

    detail = citizen_api.get(_detail_path(handled)).json()

    assert detail["rating"]["state"] == "open"
    until = datetime.datetime.fromisoformat(detail["rating"]["rate_until"])
    assert until == resolved_at + datetime.timedelta(days=7)
    assert [(r["round"], r["result"], r["comment"]) for r in detail["rating"]["ratings"]] == [
        (0, 1, "Still a hole.")
    ]
    assert detail["allowed_actions"] == ["rate"]


# The anonymous reporter's page ----------------------------------------------------------------


@pytest.fixture
def anonymous_complaint(category) -> tuple[Complaint, str]:
    token = secrets.token_urlsafe(24)
    complaint = ComplaintFactory.create(
        category=category, reporter=None, is_anonymous=True,
        tracking_token_hash=hash_tracking_token(token),
    )  # fmt: skip
    return complaint, token


def test_the_token_shows_the_anonymous_report(api, anonymous_complaint):
    complaint, token = anonymous_complaint

    response = api.get(f"{URL}/track/{token}")

    assert response.status_code == 200
    assert response.json()["tracking_number"] == complaint.tracking_number
    assert response.json()["is_reporter"] is True


def test_a_wrong_token_or_the_tracking_number_shows_nothing(api, citizen_api, anonymous_complaint):
    complaint, token = anonymous_complaint

    for path in (f"{URL}/track/{token[:-1]}x", f"{URL}/track/{complaint.tracking_number}"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "complaint_not_found"
    assert api.get(_detail_path(complaint)).status_code == 404
    assert citizen_api.get(_detail_path(complaint)).status_code == 404


# My complaints ----------------------------------------------------------------------------


def test_my_complaints_are_those_i_reported_newest_first(citizen_api, person, category):
    now = timezone.now()
    older = ComplaintFactory.create(category=category, reporter=person,
                                    created_at=now - datetime.timedelta(days=2))  # fmt: skip
    newer = ComplaintFactory.create(category=category, reporter=person, created_at=now)
    followed = ComplaintFactory.create(category=category)
    Follower.objects.create(complaint=followed, person=person)
    ComplaintFactory.create(category=category)  # someone else's

    mine = citizen_api.get(URL).json()["results"]
    following = citizen_api.get(URL, {"followed": "true"}).json()["results"]

    assert [c["tracking_number"] for c in mine] == [newer.tracking_number, older.tracking_number]
    assert [c["tracking_number"] for c in following] == [followed.tracking_number]
    assert set(mine[0]) == {
        "tracking_number", "status", "category", "jurisdiction", "description", "address",
        "created_at", "updated_at",
    }  # fmt: skip


def test_my_complaints_filter_by_status(citizen_api, person, category):
    ComplaintFactory.create(category=category, reporter=person)
    withdrawn = ComplaintFactory.create(category=category, reporter=person, status=S.WITHDRAWN)

    found = citizen_api.get(URL, {"status": "withdrawn"}).json()["results"]

    assert [c["tracking_number"] for c in found] == [withdrawn.tracking_number]


@pytest.mark.parametrize("count", [1, 5])
def test_my_complaints_take_the_same_queries_however_many(
    citizen_api, person, category, count, django_assert_num_queries
):
    ComplaintFactory.create_batch(count, category=category, reporter=person)

    # one page of complaints with their categories and jurisdictions (the person comes with
    # the account)
    with django_assert_num_queries(1):
        response = citizen_api.get(URL)

    assert len(response.json()["results"]) == count


def test_my_complaints_are_for_citizens(api, officer_api):
    assert api.get(URL).status_code == 401
    assert officer_api.get(URL).status_code == 403


def test_the_detail_takes_a_fixed_number_of_queries(
    citizen_api, handled, django_assert_num_queries
):
    # the complaint with category, jurisdiction, agency and original; its public history,
    # photos and ratings (the person comes with the account)
    with django_assert_num_queries(4):
        response = citizen_api.get(_detail_path(handled))

    assert response.status_code == 200


# Withdrawing ------------------------------------------------------------------------------


def test_the_reporter_withdraws_their_complaint(citizen_api, person, handled):
    response = citizen_api.post(f"{_detail_path(handled)}/withdraw", {"reason": "Fixed itself."})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn"
    assert response.json()["allowed_actions"] == []
    handled.refresh_from_db()
    assert handled.status == S.WITHDRAWN
    event = handled.events.order_by("pk").last()
    assert event is not None
    assert (event.from_status, event.to_status, event.actor_kind, event.actor, event.note) == (
        "accepted", "withdrawn", "reporter", None, "Fixed itself.",
    )  # fmt: skip


def test_a_complaint_waiting_for_the_dispatcher_leaves_the_queue(citizen_api, person, category):
    waiting = ComplaintFactory.create(category=category, reporter=person,
                                      dispatch_since=timezone.now())  # fmt: skip

    response = citizen_api.post(f"{_detail_path(waiting)}/withdraw")

    assert response.status_code == 200
    waiting.refresh_from_db()
    assert (waiting.status, waiting.dispatch_since) == (S.WITHDRAWN, None)


def test_only_the_reporter_withdraws(other_citizen_api, officer_api, api, handled):
    follower = PersonFactory.create()
    Follower.objects.create(complaint=handled, person=follower)

    for client in (other_citizen_api, client_for(follower.user)):
        response = client.post(f"{_detail_path(handled)}/withdraw")
        assert response.status_code == 404
        assert response.json()["code"] == "complaint_not_found"
    assert officer_api.post(f"{_detail_path(handled)}/withdraw").status_code == 403
    assert api.post(f"{_detail_path(handled)}/withdraw").status_code == 401
    handled.refresh_from_db()
    assert handled.status == S.ACCEPTED
    assert handled.events.count() == 4


def test_a_resolved_complaint_cannot_be_withdrawn(citizen_api, handled):
    Complaint.objects.filter(pk=handled.pk).update(status=S.RESOLVED,
                                                   resolved_at=timezone.now())  # fmt: skip

    response = citizen_api.post(f"{_detail_path(handled)}/withdraw")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    handled.refresh_from_db()
    assert handled.status == S.RESOLVED


def test_an_anonymous_reporter_withdraws_with_the_token(api, anonymous_complaint):
    complaint, token = anonymous_complaint

    wrong = api.post(f"{URL}/track/{secrets.token_urlsafe(24)}/withdraw")
    response = api.post(f"{URL}/track/{token}/withdraw", {"reason": "Sorted."})

    assert wrong.status_code == 404
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    complaint.refresh_from_db()
    assert complaint.status == S.WITHDRAWN
    assert complaint.events.get().actor is None

"""The staff API (complaints/api/staff.py): the agency's queue in cursor pages, one complaint
with its history, and the handling actions — with the permission matrix, problem answers that
change nothing, the contact details only for the handling agency, and reads in the reporter's
access log."""

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Complaint, ComplaintEvent, Photo
from identity.models import AccessLogEntry, Membership, User
from tests.complaints.handling_support import (
    category_of,
    complaint_of,
    dispatch_centre,
    staff,
    waiting_for_dispatch,
)
from tests.conftest import client_for
from tests.factories import AgencyFactory, PersonFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status
R = Membership.Role
QUEUE = "/api/v1/complaints/agency"
DISPATCH = "/api/v1/complaints/agency/dispatch"


def detail(complaint: Complaint) -> str:
    return f"{QUEUE}/{complaint.tracking_number}"


def act(complaint: Complaint, action: str) -> str:
    return f"{detail(complaint)}/{action}"


def numbers(response: Any) -> list[str]:
    return [item["tracking_number"] for item in response.json()["results"]]


def fresh(user: User) -> APIClient:
    """A client for `user` as a new request sees them (nothing remembered from another)."""
    return client_for(User.objects.get(pk=user.pk))


def due_in(complaint: Complaint, hours: float) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(
        resolution_due=timezone.now() + datetime.timedelta(hours=hours)
    )
    complaint.refresh_from_db()
    return complaint


def snapshot(complaint: Complaint) -> tuple[Any, ...]:
    complaint = Complaint.objects.get(pk=complaint.pk)
    return (complaint.status, complaint.agency_id, complaint.paused_at, complaint.events.count())


@pytest.fixture
def complaint(agency):
    return complaint_of(
        agency,
        contact_name="Noi",
        contact_email="noi@example.org",
        contact_phone="+66800000001",
        address="12 Nimman Road",
    )


# The queue -----------------------------------------------------------------------------------


def test_the_queue_holds_the_agencys_open_complaints_earliest_deadline_first(
    agency, officer, other_agency
):
    # given
    category = category_of(agency)
    later = due_in(complaint_of(agency, S.ACCEPTED, category=category), 48)
    overdue = due_in(complaint_of(agency, category=category), -2)
    soon = due_in(complaint_of(agency, S.IN_PROGRESS, category=category), 3)
    due_in(complaint_of(agency, S.CLOSED, category=category), -100)  # not open
    due_in(complaint_of(other_agency), -50)  # another agency's
    # when
    response = fresh(officer).get(QUEUE)
    # then
    assert response.status_code == 200
    assert numbers(response) == [
        overdue.tracking_number,
        soon.tracking_number,
        later.tracking_number,
    ]
    first = response.json()["results"][0]
    assert first["is_overdue"] is True
    assert first["category"] == {"code": category.code, "name": category.name}
    assert first["agency"] == {"code": agency.code, "name": agency.name}
    assert (first["status"], first["is_waiting_for_reporter"]) == ("routed", False)
    assert "contact" not in first
    assert response.json()["next"] is None
    assert response.json()["previous"] is None


def test_the_queue_filters_by_status_category_and_deadline(agency, officer):
    # given
    lights, roads = category_of(agency), category_of(agency)
    late_light = due_in(complaint_of(agency, category=lights), -1)
    light = due_in(complaint_of(agency, S.ACCEPTED, category=lights), 5)
    road = due_in(complaint_of(agency, S.ACCEPTED, category=roads), 6)
    closed = due_in(complaint_of(agency, S.CLOSED, category=roads), -3)
    client = fresh(officer)
    # when
    by_status = client.get(QUEUE, {"status": ["accepted", "closed"]})
    by_category = client.get(QUEUE, {"category": lights.code})
    overdue = client.get(QUEUE, {"overdue": "true"})
    on_time = client.get(QUEUE, {"overdue": "false"})
    # then
    assert numbers(by_status) == [closed.tracking_number, light.tracking_number,
                                  road.tracking_number]  # fmt: skip
    assert numbers(by_category) == [late_light.tracking_number, light.tracking_number]
    assert numbers(overdue) == [late_light.tracking_number]
    assert numbers(on_time) == [light.tracking_number, road.tracking_number]


def test_the_queue_pages_forwards_and_back_by_cursor(agency, officer):
    # given five complaints, two of them due at the same moment (the id breaks the tie)
    category = category_of(agency)
    made = [complaint_of(agency, category=category) for _ in range(5)]
    same = timezone.now() + datetime.timedelta(hours=10)
    for hours, complaint in zip([1, 10, 10, 20, 30], made, strict=True):
        due_in(complaint, hours)
    Complaint.objects.filter(pk__in=[made[1].pk, made[2].pk]).update(resolution_due=same)
    expected = [c.tracking_number for c in sorted(made, key=lambda c: (
        Complaint.objects.get(pk=c.pk).resolution_due, c.pk))]  # fmt: skip
    client = fresh(officer)
    # when
    first = client.get(QUEUE, {"page_size": 2})
    second = client.get(first.json()["next"])
    third = client.get(second.json()["next"])
    back = client.get(third.json()["previous"])
    # then
    assert numbers(first) + numbers(second) + numbers(third) == expected
    assert (first.json()["previous"], third.json()["next"]) == (None, None)
    assert numbers(back) == expected[2:4]
    assert numbers(client.get(back.json()["previous"])) == expected[:2]


@pytest.mark.parametrize("query", [{"cursor": "not-a-cursor"}, {"page_size": "0"},
                                   {"page_size": "201"}, {"status": "lost"}])  # fmt: skip
def test_a_bad_page_request_is_a_validation_problem(officer, query):
    response = fresh(officer).get(QUEUE, query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"
    assert [e["field"] for e in response.json()["errors"]] == list(query)


@pytest.mark.parametrize("count", [2, 12])
def test_the_queue_reads_the_same_few_rows_however_many_there_are(
    agency, officer, count, django_assert_num_queries
):
    # given
    category = category_of(agency)
    for _ in range(count):
        complaint_of(agency, category=category)
    client = fresh(officer)
    # when / then: memberships, the page's keys, the page's rows
    with django_assert_num_queries(3):
        response = client.get(QUEUE, {"page_size": 10})
    assert len(response.json()["results"]) == min(count, 10)


@pytest.mark.postgres
def test_the_queue_is_one_union_of_index_ranges_on_postgresql(agency, officer):
    # given an officer of two agencies
    second = AgencyFactory.create(jurisdiction=agency.jurisdiction)
    Membership.objects.create(user=officer, agency=second, role=R.OFFICER)
    mine = [complaint_of(agency), complaint_of(second, S.ACCEPTED)]
    client = fresh(officer)
    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    # then: one range per agency and open status (2 by 5), each LIMITed, merged
    assert sorted(numbers(response)) == sorted(c.tracking_number for c in mine)
    keys = queries.captured_queries[1]["sql"]
    assert keys.count("UNION ALL") == 9
    assert keys.count("LIMIT 51") == 11
    assert "OFFSET" not in keys
    assert "COUNT(" not in keys.upper()


def test_a_dispatcher_lists_the_dispatch_queue(agency, officer):
    # given
    dispatcher = staff(dispatch_centre(agency.jurisdiction.parent), R.DISPATCHER)
    first = waiting_for_dispatch(agency.jurisdiction)
    second = waiting_for_dispatch(agency.jurisdiction)
    complaint_of(agency)  # routed: not waiting
    # when
    mine = fresh(dispatcher).get(DISPATCH)
    officers = fresh(officer).get(DISPATCH)
    # then
    assert numbers(mine) == [first.tracking_number, second.tracking_number]
    assert mine.json()["results"][0]["dispatch_since"] is not None
    assert numbers(officers) == []


# One complaint -------------------------------------------------------------------------------


def test_the_handling_agency_reads_everything_and_the_read_is_logged(complaint, officer, agency):
    # given
    Photo.objects.create(
        complaint=complaint, image="complaints/2026/11/lamp.jpg", content_type="image/jpeg",
        width=40, height=20, size=1200,
    )  # fmt: skip
    ComplaintEvent.objects.create(
        complaint=complaint, from_status="routed", to_status="routed", actor_kind="officer",
        actor=officer, agency=agency, note="Crew lead is on leave.", is_public=False,
    )  # fmt: skip
    # when
    response = fresh(officer).get(detail(complaint))
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["contact"] == {
        "name": "Noi",
        "email": "noi@example.org",
        "phone": "+66800000001",
        "preference": "inbox",
    }
    assert body["location"] == {
        "latitude": "13.500000",
        "longitude": "100.500000",
        "map_url": "https://www.openstreetmap.org/?mlat=13.500000&mlon=100.500000"
        "#map=18/13.500000/100.500000",
    }
    assert body["photos"] == [
        {
            "url": "http://testserver/media/complaints/2026/11/lamp.jpg",
            "content_type": "image/jpeg",
            "width": 40,
            "height": 20,
        }
    ]
    assert [(h["from"], h["to"], h["actor_kind"], h["is_public"]) for h in body["history"]] == [
        ("submitted", "routed", "system", True),
        ("routed", "routed", "officer", False),
    ]
    assert body["history"][1]["actor"] == officer.get_username()
    assert body["allowed_actions"] == [
        "accept", "reject", "transfer", "duplicate", "pause", "notes",
    ]  # fmt: skip
    entry = AccessLogEntry.objects.get(person=complaint.reporter)
    assert (entry.channel, entry.actor, entry.agency, entry.what) == (
        "api",
        officer,
        agency,
        f"complaint {complaint.tracking_number}",
    )


def test_a_dispatcher_reads_without_the_contact(complaint, agency):
    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)

    response = fresh(dispatcher).get(detail(complaint))

    assert response.status_code == 200
    assert response.json()["contact"] is None
    assert "noi@example.org" not in response.content.decode()
    assert response.json()["allowed_actions"] == ["transfer", "duplicate"]
    assert AccessLogEntry.objects.get(person=complaint.reporter).actor == dispatcher


def test_the_reporters_account_is_named_to_nobody_in_the_history(complaint, agency):
    # given the submission entry names the reporter's account
    ComplaintEvent.objects.filter(complaint=complaint, to_status="submitted").delete()
    ComplaintEvent.objects.create(
        complaint=complaint, from_status="", to_status="submitted", actor_kind="reporter",
        actor=complaint.reporter.user, at=complaint.created_at,
    )  # fmt: skip
    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)
    # when
    response = fresh(dispatcher).get(detail(complaint))
    # then
    assert response.json()["history"][0]["actor"] is None


def test_the_detail_is_read_in_a_fixed_number_of_queries(
    complaint, officer, django_assert_num_queries
):
    for _ in range(4):
        Photo.objects.create(
            complaint=complaint, image="complaints/x.jpg", content_type="image/jpeg", width=1,
            height=1, size=1,
        )  # fmt: skip
    client = fresh(officer)

    # memberships, the complaint, its history, its photos, the access log entry
    with django_assert_num_queries(5):
        assert client.get(detail(complaint)).status_code == 200


# Who may read and act: the permission matrix -------------------------------------------------


@pytest.fixture
def caller(request, agency, other_agency, complaint, integrator):
    """caller(who) → an API client for one row of the matrix."""

    def make(who: str) -> APIClient:
        makers: dict[str, Callable[[], APIClient]] = {
            "anonymous": APIClient,
            "reporter": lambda: fresh(complaint.reporter.user),
            "other_citizen": lambda: client_for(PersonFactory.create().user),
            "officer": lambda: fresh(staff(agency)),
            "supervisor": lambda: fresh(staff(agency, R.SUPERVISOR)),
            "other_officer": lambda: fresh(staff(other_agency)),
            "dispatcher": lambda: fresh(staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)),
            "reading_integrator": lambda: integrator("complaints:read"),
            "writing_integrator": lambda: integrator("complaints:write"),
            "scopeless_integrator": lambda: integrator("open311:write"),
            "other_integrator": lambda: integrator(
                "complaints:read", "complaints:write", for_agency=other_agency
            ),
        }
        return makers[who]()

    return make


READS = [
    ("anonymous", 401, "not_authenticated"),
    ("reporter", 403, "permission_denied"),
    ("other_citizen", 403, "permission_denied"),
    ("officer", 200, None),
    ("supervisor", 200, None),
    ("other_officer", 404, "complaint_not_found"),
    ("dispatcher", 200, None),
    ("reading_integrator", 200, None),
    ("writing_integrator", 403, "permission_denied"),
    ("scopeless_integrator", 403, "permission_denied"),
    ("other_integrator", 404, "complaint_not_found"),
]


@pytest.mark.parametrize(("who", "status", "code"), READS)
def test_who_reads_a_complaint(caller, complaint, who, status, code):
    response = caller(who).get(detail(complaint))

    assert response.status_code == status
    if code is not None:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert not AccessLogEntry.objects.filter(person=complaint.reporter).exists()


@pytest.mark.parametrize(
    ("who", "sees_contact"),
    [("officer", True), ("supervisor", True), ("dispatcher", False), ("reading_integrator", True)],
)
def test_only_the_handling_agency_sees_the_contact(caller, complaint, who, sees_contact):
    body = caller(who).get(detail(complaint)).json()

    assert (body["contact"] is not None) is sees_contact


def test_an_integrators_read_is_logged_as_the_integrator(integrator, complaint, agency):
    client = integrator("complaints:read")

    assert client.get(detail(complaint)).status_code == 200

    entry = AccessLogEntry.objects.get(person=complaint.reporter)
    assert (entry.channel, entry.client, entry.actor, entry.agency) == (
        "integrator",
        client.api_client,
        None,
        agency,
    )


ACTS = [
    ("anonymous", 401, "not_authenticated"),
    ("reporter", 403, "permission_denied"),
    ("other_citizen", 403, "permission_denied"),
    ("officer", 200, None),
    ("supervisor", 200, None),
    ("other_officer", 404, "complaint_not_found"),
    ("dispatcher", 403, "not_handling_agency"),
    ("reading_integrator", 403, "permission_denied"),
    ("writing_integrator", 200, None),
    ("other_integrator", 404, "complaint_not_found"),
]


@pytest.mark.parametrize(("who", "status", "code"), ACTS)
def test_who_accepts_a_complaint(caller, complaint, who, status, code):
    # given
    before = snapshot(complaint)
    # when
    response = caller(who).post(act(complaint, "accept"), {"note": "Phoned."})
    # then
    assert response.status_code == status
    if code is None:
        assert response.json()["status"] == "accepted"
        return
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert snapshot(complaint) == before


# The actions ---------------------------------------------------------------------------------


def _prepare(action: str, agency: Any, complaint: Complaint) -> tuple[Complaint, dict[str, Any]]:
    """The complaint in a status the action applies to, and the body to send."""
    officer = staff(agency)
    if action in ("start", "resolve", "pause"):
        complaint = complaint_of(agency, S.ACCEPTED)
    if action == "resume":
        complaint = complaint_of(agency, S.ACCEPTED)
        fresh(officer).post(act(complaint, "pause"), {"question": "Where?"})
    bodies: dict[str, dict[str, Any]] = {
        "accept": {"note": "Phoned."},
        "start": {},
        "resolve": {"note": "Lamp replaced."},
        "reject": {"reason": "Private road."},
        "transfer": {
            "agency": AgencyFactory.create(jurisdiction=agency.jurisdiction, code="roads").code,
            "reason": "Roads.",
        },
        "duplicate": {"original": complaint_of(agency).tracking_number, "note": "Same lamp."},
        "pause": {"question": "Which side of the road?"},
        "resume": {"note": "Answered."},
        "notes": {"note": "Parts ordered.", "is_public": False},
    }
    return complaint, bodies[action]


@pytest.mark.parametrize(
    ("action", "status", "note"),
    [
        ("accept", "accepted", "Phoned."),
        ("start", "in_progress", "Work has started."),
        ("resolve", "resolved", "Lamp replaced."),
        ("reject", "rejected", "Private road."),
        ("transfer", "transferred", "Roads."),
        ("duplicate", "duplicate", None),
        ("pause", "accepted", "Which side of the road?"),
        ("resume", "accepted", "Answered."),
        ("notes", "routed", "Parts ordered."),
    ],
)
def test_each_action_through_the_api(agency, complaint, action, status, note):
    # given
    complaint, body = _prepare(action, agency, complaint)
    officer = staff(agency)
    # when
    response = fresh(officer).post(act(complaint, action), body)
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == status
    complaint.refresh_from_db()
    assert complaint.status == status
    last = complaint.events.latest("pk")
    assert (last.actor, last.to_status) == (officer, status)
    if note is not None:
        assert last.note == note


def test_a_rejection_answers_with_the_complaint_now_out_of_reach(complaint, officer):
    client = fresh(officer)

    response = client.post(act(complaint, "reject"), {"reason": "Private road."})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["agency"], body["contact"]) == ("rejected", None, None)
    assert body["allowed_actions"] == []
    assert client.get(detail(complaint)).status_code == 404


def test_a_missing_note_is_a_problem_with_the_field_and_changes_nothing(complaint, officer):
    before = snapshot(complaint)

    response = fresh(officer).post(act(complaint, "accept"), {"note": " "})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_complaint"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("note", "required")]
    assert snapshot(complaint) == before


def test_a_move_from_the_wrong_status_is_a_conflict(agency, officer):
    complaint = complaint_of(agency, S.RESOLVED)
    before = snapshot(complaint)

    response = fresh(officer).post(act(complaint, "accept"), {"note": "Phoned."})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert snapshot(complaint) == before


@pytest.mark.parametrize(
    ("action", "body", "field", "code"),
    [
        ("transfer", {"agency": "no-such-agency", "reason": "Roads."}, "agency", "invalid_agency"),
        ("transfer", {"reason": "Roads."}, "agency", "required"),
        ("duplicate", {"original": "C-2222-2222"}, "original", "invalid_original"),
        ("duplicate", {"original": "pothole"}, "original", "invalid"),
    ],
)
def test_unknown_agencies_and_originals_are_refused(complaint, officer, action, body, field, code):
    before = snapshot(complaint)

    response = fresh(officer).post(act(complaint, action), body)

    assert response.status_code in (400, 422)
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert snapshot(complaint) == before


def test_a_clock_waiting_for_the_reporter_must_run_again_before_resolving(agency, officer):
    complaint = complaint_of(agency, S.ACCEPTED)
    client = fresh(officer)
    client.post(act(complaint, "pause"), {"question": "Where?"})

    response = client.post(act(complaint, "resolve"), {"note": "Done."})

    assert response.status_code == 409
    assert response.json()["code"] == "clock_paused"


def test_a_dispatcher_routes_from_the_queue(agency):
    # given
    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)
    waiting = waiting_for_dispatch(agency.jurisdiction)
    client = fresh(dispatcher)
    # when
    response = client.post(act(waiting, "dispatch"), {"agency": agency.code, "note": "Lights."})
    again = client.post(act(waiting, "dispatch"), {"agency": agency.code})
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["agency"]["code"]) == ("routed", agency.code)
    assert response.json()["contact"] is None
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_an_officer_does_not_dispatch(agency, officer):
    waiting = waiting_for_dispatch(agency.jurisdiction)

    response = fresh(officer).post(act(waiting, "dispatch"), {"agency": agency.code})

    assert response.status_code == 404  # not in the officer's agency
    waiting.refresh_from_db()
    assert waiting.status == S.SUBMITTED


def test_a_writing_integrator_acts_for_its_agency(integrator, complaint):
    client = integrator("complaints:write")

    response = client.post(act(complaint, "accept"), {"note": "Called by the hotline."})

    assert response.status_code == 200
    accepted = complaint.events.get(to_status="accepted", from_status="routed")
    assert (accepted.actor_kind, accepted.actor) == ("officer", None)
    assert complaint.events.latest("pk").actor_kind == "integrator"


def test_a_retry_with_the_same_idempotency_key_is_answered_once(complaint, officer):
    # given
    client = fresh(officer)
    key = str(uuid.uuid4())
    # when
    first = client.post(act(complaint, "notes"), {"note": "On it."}, HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(act(complaint, "notes"), {"note": "On it."}, HTTP_IDEMPOTENCY_KEY=key)
    # then
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert complaint.events.filter(note="On it.").count() == 1

"""The handling agency's actions (complaints/actions/handling.py): first contact, work,
resolution, rejection back to the dispatcher, transfer, duplicates, waiting for the reporter and
notes — each recorded in the history with who acted; and every refusal leaves the complaint as
it was."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from complaints.actions import handling
from complaints.actions.notifications import audience_of
from complaints.errors import (
    ClockNotPaused,
    ClockPaused,
    InvalidComplaint,
    NotDispatcher,
    NotHandlingAgency,
    TransitionNotAllowed,
)
from complaints.models import Complaint, ComplaintEvent, Follower
from identity.actions.clients import create_api_client
from identity.models import AccessLogEntry, ApiClient, Membership
from tests.complaints.handling_support import (
    category_of,
    complaint_of,
    dispatch_centre,
    history,
    staff,
    waiting_for_dispatch,
)
from tests.factories import AgencyFactory, ComplaintFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status
A = ComplaintEvent.ActorKind
R = Membership.Role
BANGKOK = ZoneInfo("Asia/Bangkok")


def _client(agency: Any, *scopes: str) -> ApiClient:
    return create_api_client(agency=agency, name="Fix-It", scopes=list(scopes)).client


def _snapshot(complaint: Complaint) -> tuple[Any, ...]:
    """What a refused action must leave as it was."""
    complaint = Complaint.objects.get(pk=complaint.pk)
    return (
        complaint.status,
        complaint.agency_id,
        complaint.accepted_at,
        complaint.resolution_due,
        complaint.first_contact_due,
        complaint.paused_at,
        complaint.duplicate_of_id,
        complaint.dispatch_since,
        complaint.events.count(),
    )


def _at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=BANGKOK)


@pytest.fixture
def complaint(agency):
    return complaint_of(agency)


@pytest.fixture
def freeze(monkeypatch):
    """freeze(at): timezone.now() answers `at` from then on."""

    def set_now(at: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: at)

    return set_now


# First contact, work, resolution -------------------------------------------------------------


def test_an_officer_accepts_a_routed_complaint_saying_how_the_reporter_was_contacted(
    complaint, officer
):
    # when
    handling.accept_complaint(complaint=complaint, by=officer, note="Phoned at 10:05.")
    # then
    complaint.refresh_from_db()
    assert complaint.status == S.ACCEPTED
    assert complaint.accepted_at is not None
    event = complaint.events.latest("pk")
    assert (event.from_status, event.to_status, event.actor_kind, event.actor) == (
        S.ROUTED,
        S.ACCEPTED,
        A.OFFICER,
        officer,
    )
    assert (event.note, event.is_public, event.agency_id) == (
        "Phoned at 10:05.",
        True,
        complaint.agency_id,
    )


def test_a_supervisor_is_recorded_as_supervisor(agency):
    # given
    complaint = complaint_of(agency, S.ACCEPTED)
    supervisor = staff(agency, R.SUPERVISOR)
    # when
    handling.start_work(complaint=complaint, by=supervisor)
    # then
    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS
    assert history(complaint)[-1] == (S.IN_PROGRESS, A.SUPERVISOR, "Work has started.")


def test_work_starts_again_on_a_complaint_reopened_for_rework(agency, officer):
    complaint = complaint_of(agency, S.REWORK)

    handling.start_work(complaint=complaint, by=officer, note="Second crew sent.")

    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS
    assert history(complaint)[-1] == (S.IN_PROGRESS, A.OFFICER, "Second crew sent.")


def test_a_resolution_by_the_deadline_is_on_time(agency, officer):
    # given
    complaint = complaint_of(agency, S.IN_PROGRESS)
    # when
    handling.resolve_complaint(complaint=complaint, by=officer, note="Lamp replaced.")
    # then
    complaint.refresh_from_db()
    assert complaint.status == S.RESOLVED
    assert complaint.resolved_at is not None
    assert complaint.resolution_due is not None
    assert complaint.resolved_at <= complaint.resolution_due
    assert (complaint.resolved_on_time, complaint.resolution_note) == (True, "Lamp replaced.")
    assert history(complaint)[-1] == (S.RESOLVED, A.OFFICER, "Lamp replaced.")


def test_a_resolution_after_the_deadline_is_late(agency, officer):
    complaint = complaint_of(agency, S.ACCEPTED)
    Complaint.objects.filter(pk=complaint.pk).update(
        resolution_due=timezone.now() - datetime.timedelta(hours=1)
    )

    handling.resolve_complaint(complaint=complaint, by=officer, note="Lamp replaced.")

    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolved_on_time) == (S.RESOLVED, False)


# Rejection and transfer ----------------------------------------------------------------------


def test_a_rejected_complaint_goes_back_to_the_dispatcher_and_leaves_the_agency(
    complaint, officer, agency
):
    # given
    from complaints.permissions import complaints_of_staff, dispatch_queue_of

    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)
    # when
    handling.reject_complaint(complaint=complaint, by=officer, reason="Private road.")
    # then
    complaint.refresh_from_db()
    assert (complaint.status, complaint.agency_id) == (S.REJECTED, None)
    assert complaint.dispatch_since is not None
    event = complaint.events.latest("pk")
    assert (event.to_status, event.actor, event.note, event.agency_id) == (
        S.REJECTED,
        officer,
        "Private road.",
        None,
    )
    assert not complaints_of_staff(officer).filter(pk=complaint.pk).exists()
    assert list(dispatch_queue_of(dispatcher)) == [complaint]


def test_a_transfer_restarts_first_contact_and_keeps_the_resolution_deadline(agency, officer):
    # given
    complaint = complaint_of(agency, S.ACCEPTED)
    roads = AgencyFactory.create(jurisdiction=agency.jurisdiction)
    before = timezone.now()
    # when
    handling.transfer_complaint(complaint=complaint, by=officer, agency=roads, reason="Roads.")
    # then
    moved = Complaint.objects.get(pk=complaint.pk)
    assert (moved.status, moved.agency, moved.accepted_at) == (S.TRANSFERRED, roads, None)
    assert moved.resolution_due == complaint.resolution_due
    assert moved.first_contact_due is not None
    hours = complaint.category.first_contact_hours
    assert before + datetime.timedelta(hours=hours) <= moved.first_contact_due
    assert moved.first_contact_due <= timezone.now() + datetime.timedelta(hours=hours)
    event = moved.events.latest("pk")
    assert (event.to_status, event.agency_id, event.note) == (S.TRANSFERRED, roads.pk, "Roads.")


def test_an_agency_of_the_province_above_can_take_a_transfer(agency, officer, complaint):
    province_agency = AgencyFactory.create(jurisdiction=agency.jurisdiction.parent)

    handling.transfer_complaint(
        complaint=complaint, by=officer, agency=province_agency, reason="Provincial road."
    )

    complaint.refresh_from_db()
    assert complaint.agency == province_agency


@pytest.mark.parametrize("target", ["elsewhere", "inactive", "same"])
def test_a_transfer_goes_only_to_another_active_agency_of_the_jurisdiction(
    complaint, officer, agency, other_agency, target
):
    # given
    to = {
        "elsewhere": other_agency,  # another city's agency
        "inactive": AgencyFactory.create(jurisdiction=agency.jurisdiction, is_active=False),
        "same": agency,
    }[target]
    before = _snapshot(complaint)
    # when
    with pytest.raises(InvalidComplaint) as refused:
        handling.transfer_complaint(complaint=complaint, by=officer, agency=to, reason="Not ours")
    # then
    assert [(e["field"], e["code"]) for e in refused.value.extra["errors"]] == [
        ("agency", "invalid_agency")
    ]
    assert _snapshot(complaint) == before


def test_a_dispatcher_may_transfer_a_routed_complaint(complaint, agency):
    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)
    roads = AgencyFactory.create(jurisdiction=agency.jurisdiction)

    handling.transfer_complaint(complaint=complaint, by=dispatcher, agency=roads, reason="Roads.")

    complaint.refresh_from_db()
    assert complaint.agency == roads
    assert history(complaint)[-1] == (S.TRANSFERRED, A.DISPATCHER, "Roads.")


# Duplicates ----------------------------------------------------------------------------------


def test_a_duplicate_follows_its_original(agency, officer):
    # given
    category = category_of(agency)
    original = complaint_of(agency, S.IN_PROGRESS, category=category)
    complaint = complaint_of(agency, category=category)
    follower = PersonFactory.create()
    Follower.objects.create(complaint=complaint, person=follower)
    # when
    handling.mark_duplicate(complaint=complaint, by=officer, original=original, note="Same lamp.")
    # then
    complaint.refresh_from_db()
    assert (complaint.status, complaint.duplicate_of) == (S.DUPLICATE, original)
    note = history(complaint)[-1][2]
    assert note == (
        f"Reported already as {original.tracking_number}; its updates reach you too. Same lamp."
    )
    assert {p.pk for p in audience_of(original)} == {
        original.reporter_id,
        complaint.reporter_id,
        follower.pk,
    }


def test_duplicates_of_a_duplicate_follow_the_original(agency, officer):
    category = category_of(agency)
    original = complaint_of(agency, category=category)
    middle = complaint_of(agency, category=category)
    earlier = complaint_of(agency, category=category)
    handling.mark_duplicate(complaint=earlier, by=officer, original=middle)

    handling.mark_duplicate(complaint=middle, by=officer, original=original)

    earlier.refresh_from_db()
    assert earlier.duplicate_of == original
    event = earlier.events.latest("pk")
    assert (event.is_public, event.to_status) == (False, S.DUPLICATE)
    assert original.tracking_number in event.note


@pytest.mark.parametrize("which", ["itself", "other_jurisdiction", "a_duplicate", "closed"])
def test_the_original_is_open_not_a_duplicate_and_of_the_same_jurisdiction(
    agency, officer, other_agency, which
):
    # given
    category = category_of(agency)
    complaint = complaint_of(agency, category=category)
    if which == "itself":
        original = complaint
    elif which == "other_jurisdiction":
        original = complaint_of(other_agency)
    elif which == "a_duplicate":
        first = complaint_of(agency, category=category)
        original = complaint_of(agency, category=category)
        handling.mark_duplicate(complaint=original, by=officer, original=first)
    else:
        original = complaint_of(agency, S.CLOSED, category=category)
    before = _snapshot(complaint)
    # when
    with pytest.raises(InvalidComplaint) as refused:
        handling.mark_duplicate(complaint=complaint, by=officer, original=original)
    # then
    assert refused.value.extra["errors"][0]["code"] == "invalid_original"
    assert _snapshot(complaint) == before


def test_a_dispatcher_marks_a_waiting_complaint_a_duplicate(agency):
    # given
    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)
    original = complaint_of(agency)
    waiting = waiting_for_dispatch(agency.jurisdiction)
    # when
    handling.mark_duplicate(complaint=waiting, by=dispatcher, original=original)
    # then
    waiting.refresh_from_db()
    assert (waiting.status, waiting.duplicate_of, waiting.dispatch_since) == (
        S.DUPLICATE,
        original,
        None,
    )
    assert history(waiting)[-1][1] == A.DISPATCHER


# Waiting for the reporter --------------------------------------------------------------------


def test_waiting_for_the_reporter_asks_them_and_stops_the_clock(agency, officer, freeze):
    # given
    complaint = complaint_of(agency, S.ACCEPTED)
    freeze(_at(23, 10))
    # when
    handling.pause_clock(complaint=complaint, by=officer, question="Which side of the road?")
    # then
    complaint.refresh_from_db()
    assert complaint.paused_at == _at(23, 10)
    event = complaint.events.latest("pk")
    assert (event.to_status, event.note, event.is_public) == (
        S.ACCEPTED,
        "Which side of the road?",
        True,
    )
    with pytest.raises(ClockPaused):
        handling.resolve_complaint(complaint=complaint, by=officer, note="Fixed.")
    with pytest.raises(ClockPaused):
        handling.pause_clock(complaint=complaint, by=officer, question="Again?")


def test_resuming_moves_the_deadlines_on_by_the_pause(agency, officer, freeze):
    # given a routed complaint (first contact not made), due on a Wednesday
    freeze(_at(23, 9))  # its history written before the pause's, whatever today's date
    complaint = complaint_of(agency)
    Complaint.objects.filter(pk=complaint.pk).update(
        first_contact_due=_at(23, 18), resolution_due=_at(25, 10)
    )
    freeze(_at(23, 10))  # a Monday
    handling.pause_clock(complaint=complaint, by=officer, question="Where exactly?")
    freeze(_at(23, 12))
    # when
    handling.resume_clock(complaint=complaint, by=officer, note="The reporter answered.")
    # then: two hours, in clock time and in working time alike on a weekday
    complaint.refresh_from_db()
    assert complaint.paused_at is None
    assert complaint.first_contact_due == _at(23, 20)
    assert complaint.resolution_due == _at(25, 12)
    assert history(complaint)[-1] == (S.ROUTED, A.OFFICER, "The reporter answered.")


def test_a_pause_over_a_weekend_moves_first_contact_by_clock_time_only(agency, officer, freeze):
    # given an accepted complaint paused from Friday afternoon to Monday morning
    from complaints.deadlines import extend_for_pause

    complaint = complaint_of(agency, S.ACCEPTED)
    Complaint.objects.filter(pk=complaint.pk).update(
        first_contact_due=_at(27, 18), resolution_due=_at(30, 15)
    )
    freeze(_at(27, 16))
    handling.pause_clock(complaint=complaint, by=officer, question="Photo of the sign?")
    freeze(_at(30, 10))
    # when
    handling.resume_clock(complaint=complaint, by=officer)
    # then: first contact was made already, so only the resolution deadline moves, by the
    # working time of the pause (the weekend does not count)
    complaint.refresh_from_db()
    assert complaint.first_contact_due == _at(27, 18)
    expected = extend_for_pause(
        complaint, _at(30, 15), paused_at=_at(27, 16), resumed_at=_at(30, 10)
    )
    assert complaint.resolution_due == expected
    assert _at(30, 15) < expected < _at(30, 15) + (_at(30, 10) - _at(27, 16))


def test_resuming_a_running_clock_is_refused(agency, officer):
    complaint = complaint_of(agency, S.ACCEPTED)

    with pytest.raises(ClockNotPaused):
        handling.resume_clock(complaint=complaint, by=officer)


# Notes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("is_public", [True, False])
def test_progress_notes_are_public_or_internal(agency, officer, is_public):
    complaint = complaint_of(agency, S.IN_PROGRESS)

    handling.add_progress_note(
        complaint=complaint, by=officer, note="Parts ordered.", is_public=is_public
    )

    event = complaint.events.latest("pk")
    assert (event.from_status, event.to_status, event.note, event.is_public) == (
        S.IN_PROGRESS,
        S.IN_PROGRESS,
        "Parts ordered.",
        is_public,
    )


def test_no_notes_on_a_closed_complaint(agency, officer):
    complaint = complaint_of(agency, S.CLOSED)
    before = _snapshot(complaint)

    with pytest.raises(TransitionNotAllowed):
        handling.add_progress_note(complaint=complaint, by=officer, note="Late thought.")

    assert _snapshot(complaint) == before


# Refusals: wrong state, missing words, wrong people ------------------------------------------

ACTIONS: dict[str, Any] = {
    "accept": lambda c, by: handling.accept_complaint(complaint=c, by=by, note="Phoned."),
    "start": lambda c, by: handling.start_work(complaint=c, by=by),
    "resolve": lambda c, by: handling.resolve_complaint(complaint=c, by=by, note="Done."),
    "reject": lambda c, by: handling.reject_complaint(complaint=c, by=by, reason="Not ours."),
    "pause": lambda c, by: handling.pause_clock(complaint=c, by=by, question="Where?"),
    "notes": lambda c, by: handling.add_progress_note(complaint=c, by=by, note="On it."),
}


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("accept", S.ACCEPTED),
        ("accept", S.RESOLVED),
        ("start", S.ROUTED),
        ("start", S.IN_PROGRESS),
        ("resolve", S.ROUTED),
        ("resolve", S.RESOLVED),
        ("reject", S.ACCEPTED),
        ("reject", S.IN_PROGRESS),
        ("pause", S.RESOLVED),
        ("pause", S.WITHDRAWN),
    ],
)
def test_a_move_from_the_wrong_status_is_refused(agency, officer, action, status):
    # given
    complaint = complaint_of(agency, status)
    before = _snapshot(complaint)
    # when
    with pytest.raises(TransitionNotAllowed) as refused:
        ACTIONS[action](complaint, officer)
    # then
    assert refused.value.code == "invalid_transition"
    assert _snapshot(complaint) == before


H = handling
BLANK: list[tuple[str, Any, str]] = [
    (S.ROUTED, lambda c, by: H.accept_complaint(complaint=c, by=by, note="  "), "note"),
    (S.IN_PROGRESS, lambda c, by: H.resolve_complaint(complaint=c, by=by, note=""), "note"),
    (S.ROUTED, lambda c, by: H.reject_complaint(complaint=c, by=by, reason=""), "reason"),
    (S.ACCEPTED, lambda c, by: H.pause_clock(complaint=c, by=by, question=""), "question"),
    (S.ACCEPTED, lambda c, by: H.add_progress_note(complaint=c, by=by, note=""), "note"),
]


@pytest.mark.parametrize(("status", "call", "field"), BLANK)
def test_the_words_the_reporter_reads_are_required(agency, officer, status, call, field):
    complaint = complaint_of(agency, status)
    before = _snapshot(complaint)

    with pytest.raises(InvalidComplaint) as refused:
        call(complaint, officer)

    assert refused.value.status == 422
    assert [(e["field"], e["code"]) for e in refused.value.extra["errors"]] == [(field, "required")]
    assert _snapshot(complaint) == before


@pytest.mark.parametrize(
    ("who", "allowed", "kind"),
    [
        ("officer", True, A.OFFICER),
        ("supervisor", True, A.SUPERVISOR),
        ("writing_integrator", True, A.OFFICER),
        ("reading_integrator", False, None),
        ("other_agency_officer", False, None),
        ("other_agency_integrator", False, None),
        ("dispatcher", False, None),
        ("reporter", False, None),
        ("superuser", False, None),
    ],
)
def test_only_the_handling_agency_handles(agency, other_agency, complaint, who, allowed, kind):
    # given
    callers = {
        "officer": lambda: staff(agency),
        "supervisor": lambda: staff(agency, R.SUPERVISOR),
        "writing_integrator": lambda: _client(agency, "complaints:read", "complaints:write"),
        "reading_integrator": lambda: _client(agency, "complaints:read"),
        "other_agency_officer": lambda: staff(other_agency),
        "other_agency_integrator": lambda: _client(other_agency, "complaints:write"),
        "dispatcher": lambda: staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER),
        "reporter": lambda: complaint.reporter.user,
        "superuser": lambda: UserFactory.create(is_staff=True, is_superuser=True),
    }
    by = callers[who]()
    before = _snapshot(complaint)
    # when / then
    if not allowed:
        with pytest.raises(NotHandlingAgency):
            handling.accept_complaint(complaint=complaint, by=by, note="Phoned.")
        assert _snapshot(complaint) == before
        return
    handling.accept_complaint(complaint=complaint, by=by, note="Phoned.")
    complaint.refresh_from_db()
    assert complaint.status == S.ACCEPTED
    accepted = complaint.events.get(to_status=S.ACCEPTED, from_status=S.ROUTED)
    assert accepted.actor_kind == kind
    assert accepted.actor == (None if isinstance(by, ApiClient) else by)


def test_an_integrators_move_names_the_integrator_in_the_history(complaint, agency):
    client = _client(agency, "complaints:write")

    handling.accept_complaint(complaint=complaint, by=client, note="Called by the hotline.")

    assert history(complaint)[-2:] == [
        (S.ACCEPTED, A.OFFICER, "Called by the hotline."),
        (S.ACCEPTED, A.INTEGRATOR, f"Recorded by the agency system Fix-It ({client.client_id})."),
    ]
    assert complaint.events.latest("pk").is_public is False


# The dispatcher ------------------------------------------------------------------------------


def test_a_dispatcher_routes_a_waiting_complaint(agency):
    # given a dispatcher of the province above the complaint's city
    dispatcher = staff(dispatch_centre(agency.jurisdiction.parent), R.DISPATCHER)
    waiting = waiting_for_dispatch(agency.jurisdiction)
    # when
    handling.dispatch_to_agency(complaint=waiting, by=dispatcher, agency=agency, note="Lights.")
    # then
    waiting.refresh_from_db()
    assert (waiting.status, waiting.agency, waiting.dispatch_since) == (S.ROUTED, agency, None)
    assert history(waiting)[-1] == (S.ROUTED, A.DISPATCHER, "Lights.")


def test_only_a_dispatcher_of_the_jurisdiction_dispatches(agency, officer, other_agency):
    waiting = waiting_for_dispatch(agency.jurisdiction)
    elsewhere = staff(dispatch_centre(other_agency.jurisdiction), R.DISPATCHER)
    before = _snapshot(waiting)

    for by in (officer, elsewhere, _client(agency, "complaints:write")):
        with pytest.raises(NotDispatcher):
            handling.dispatch_to_agency(complaint=waiting, by=by, agency=agency)

    assert _snapshot(waiting) == before


def test_a_routed_complaint_is_not_dispatched(agency, complaint):
    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)

    with pytest.raises(TransitionNotAllowed):
        handling.dispatch_to_agency(complaint=complaint, by=dispatcher, agency=agency)


# Reads in the reporter's access log ----------------------------------------------------------


def test_staff_reads_reach_the_reporters_access_log(agency, complaint, officer):
    # given
    dispatch = dispatch_centre(agency.jurisdiction)
    dispatcher = staff(dispatch, R.DISPATCHER)
    client = _client(agency, "complaints:read")
    # when
    handling.record_staff_read(complaint=complaint, user=officer, channel="admin")
    handling.record_staff_read(complaint=complaint, user=dispatcher, channel="api")
    handling.record_staff_read(complaint=complaint, user=client, channel="api")
    # then
    entries = AccessLogEntry.objects.filter(person=complaint.reporter).order_by("pk")
    assert [(e.channel, e.actor, e.client, e.agency, e.what, e.purpose) for e in entries] == [
        ("admin", officer, None, agency, f"complaint {complaint.tracking_number}",
         "handling the complaint"),
        ("api", dispatcher, None, dispatch, f"complaint {complaint.tracking_number}",
         "dispatching complaints"),
        ("integrator", None, client, agency, f"complaint {complaint.tracking_number}",
         "handling the complaint"),
    ]  # fmt: skip


def test_anonymous_reports_have_no_access_log(agency, officer):
    complaint = ComplaintFactory.create(
        category=category_of(agency), reporter=None, is_anonymous=True
    )

    handling.record_staff_read(complaint=complaint, user=officer, channel="admin")

    assert AccessLogEntry.objects.count() == 0

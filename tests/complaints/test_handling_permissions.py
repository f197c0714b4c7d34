"""complaints/permissions.py: which complaints staff read, who handles, who dispatches, and
who sees the reporter's contact details — only the handling agency."""

from typing import Any

import pytest

from complaints import permissions
from complaints.actions import handling
from complaints.models import Complaint
from identity.actions.clients import create_api_client
from identity.models import Membership
from tests.complaints.handling_support import (
    complaint_of,
    dispatch_centre,
    staff,
    waiting_for_dispatch,
)
from tests.factories import AgencyFactory, JurisdictionFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Complaint.Status
R = Membership.Role


@pytest.fixture
def complaint(agency):
    return complaint_of(agency)


@pytest.fixture
def people(agency, other_agency, complaint) -> dict[str, Any]:
    def client(for_agency: Any, *scopes: str) -> Any:
        return create_api_client(agency=for_agency, name="Fix-It", scopes=list(scopes)).client

    return {
        "officer": staff(agency),
        "supervisor": staff(agency, R.SUPERVISOR),
        "other_agency_officer": staff(other_agency),
        "city_dispatcher": staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER),
        "province_dispatcher": staff(dispatch_centre(agency.jurisdiction.parent), R.DISPATCHER),
        "other_dispatcher": staff(dispatch_centre(other_agency.jurisdiction), R.DISPATCHER),
        "reading_integrator": client(agency, "complaints:read"),
        "writing_integrator": client(agency, "complaints:write"),
        "scopeless_integrator": client(agency, "open311:write"),
        "other_integrator": client(other_agency, "complaints:read", "complaints:write"),
        "reporter": complaint.reporter.user,
        "superuser": UserFactory.create(is_staff=True, is_superuser=True),
    }


# who: (reads, handles, dispatches, sees the contact)
MATRIX = {
    "officer": (True, True, False, True),
    "supervisor": (True, True, False, True),
    "other_agency_officer": (False, False, False, False),
    "city_dispatcher": (True, False, True, False),
    "province_dispatcher": (True, False, True, False),
    "other_dispatcher": (False, False, False, False),
    "reading_integrator": (True, False, False, True),
    "writing_integrator": (True, True, False, True),
    "scopeless_integrator": (False, False, False, False),
    "other_integrator": (False, False, False, False),
    "reporter": (False, False, False, False),
    "superuser": (True, False, False, False),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_the_permission_matrix(people, complaint, who):
    user = people[who]

    found = (
        permissions.complaints_of_staff(user).filter(pk=complaint.pk).exists(),
        permissions.can_handle(user, complaint),
        permissions.is_dispatcher_for(user, complaint),
        permissions.can_see_contact(user, complaint),
    )

    assert found == MATRIX[who]
    assert permissions.can_read(user, complaint) is MATRIX[who][0]


def test_a_dispatcher_reads_the_jurisdiction_but_its_queue_holds_only_the_waiting(agency):
    # given
    dispatcher = staff(dispatch_centre(agency.jurisdiction.parent), R.DISPATCHER)
    routed = complaint_of(agency)
    waiting = waiting_for_dispatch(agency.jurisdiction)
    rejected = complaint_of(agency)
    handling.reject_complaint(complaint=rejected, by=staff(agency), reason="Not ours.")
    elsewhere = waiting_for_dispatch(JurisdictionFactory.create())
    # when
    readable = set(permissions.complaints_of_staff(dispatcher))
    queue = list(permissions.dispatch_queue_of(dispatcher).order_by("dispatch_since"))
    # then
    assert readable == {routed, waiting, rejected}
    assert queue == [waiting, rejected]
    assert elsewhere not in readable


def test_after_a_transfer_only_the_new_agency_sees_the_contact(agency, complaint):
    officer = staff(agency)
    roads = AgencyFactory.create(jurisdiction=agency.jurisdiction)
    roads_officer = staff(roads)

    handling.transfer_complaint(complaint=complaint, by=officer, agency=roads, reason="Roads.")

    complaint.refresh_from_db()
    assert permissions.can_see_contact(roads_officer, complaint) is True
    officer = type(officer).objects.get(pk=officer.pk)  # a new request: memberships read again
    assert permissions.can_see_contact(officer, complaint) is False
    assert permissions.complaints_of_staff(officer).filter(pk=complaint.pk).exists() is False


@pytest.mark.parametrize(
    ("status", "paused", "expected"),
    [
        (S.ROUTED, False, ["accept", "reject", "transfer", "duplicate", "pause", "notes"]),
        (S.ACCEPTED, False, ["start", "resolve", "transfer", "duplicate", "pause", "notes"]),
        (S.ACCEPTED, True, ["resume", "notes"]),
        (S.IN_PROGRESS, False, ["resolve", "transfer", "duplicate", "pause", "notes"]),
        (S.RESOLVED, False, ["notes"]),
        (S.REWORK, False, ["start", "resolve", "pause", "notes"]),
        (S.CLOSED, False, []),
    ],
)
def test_what_the_handling_agency_may_do_next(agency, status, paused, expected):
    officer = staff(agency)
    complaint = complaint_of(agency, status)
    if paused:
        handling.pause_clock(complaint=complaint, by=officer, question="Where?")
        complaint.refresh_from_db()

    assert permissions.handling_actions(officer, complaint) == expected


def test_what_a_dispatcher_may_do(agency):
    dispatcher = staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER)
    waiting = waiting_for_dispatch(agency.jurisdiction)
    routed = complaint_of(agency)
    accepted = complaint_of(agency, S.ACCEPTED)

    assert permissions.handling_actions(dispatcher, waiting) == ["duplicate", "dispatch"]
    assert permissions.handling_actions(dispatcher, routed) == ["transfer", "duplicate"]
    assert permissions.handling_actions(dispatcher, accepted) == []


def test_the_contact_is_what_the_report_gave_else_the_persons_record(agency):
    given = complaint_of(
        agency, contact_name="Noi", contact_email="noi@example.org", contact_phone="+66800000001"
    )
    from_record = complaint_of(agency)
    assert from_record.reporter is not None

    assert permissions.contact_of(given) == {
        "name": "Noi",
        "email": "noi@example.org",
        "phone": "+66800000001",
        "preference": "inbox",
    }
    assert permissions.contact_of(from_record) == {
        "name": str(from_record.reporter),
        "email": from_record.reporter.contact_email,
        "phone": "",
        "preference": "inbox",
    }

"""Escalation of overdue complaints (complaints/actions/escalation.py): deadlines and levels
counted on a Thai calendar across the Songkran holidays, each level recorded exactly once,
the ladder inherited from the nearest ancestor, and the supervisors told.

The place: a Thai province whose calendar works 08:30-16:30 Monday to Friday, with Songkran on
Monday 13 to Wednesday 15 April 2026; its ladder is level 1 (the handling agency's supervisors,
at the deadline) and level 2 (the ombudsman, 8 working hours later). The complaint is reported
in a city of the province on Friday 10 April 2026 at 10:00, in a category with 3 working days to
resolve and 24 hours to make first contact.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import translation

from cityportal.notifications.models import Message
from complaints.actions.escalation import TITLE, escalate_overdue_complaints
from complaints.actions.routing import route_complaint
from complaints.actions.transitions import lock_complaint, transition
from complaints.models import (
    Complaint,
    ComplaintEvent,
    Escalation,
    EscalationLevel,
    PublicHoliday,
    WorkingCalendar,
)
from identity.models import Agency, Jurisdiction, Membership
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    JurisdictionFactory,
    MembershipFactory,
    PersonFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

BANGKOK = ZoneInfo("Asia/Bangkok")
S = Complaint.Status
A = ComplaintEvent.ActorKind
R = Escalation.Reason
T = EscalationLevel.Target


def bkk(*args: int) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)  # type: ignore[arg-type,misc]


REPORTED = bkk(2026, 4, 10, 10)  # Friday before Songkran


@pytest.fixture
def province() -> Jurisdiction:
    province = JurisdictionFactory.create(time_zone="Asia/Bangkok")
    calendar = WorkingCalendar.objects.create(
        jurisdiction=province, working_weekdays=[0, 1, 2, 3, 4],
        day_starts=time(8, 30), day_ends=time(16, 30),
    )  # fmt: skip
    for day in (13, 14, 15):
        PublicHoliday.objects.create(
            calendar=calendar, date=bkk(2026, 4, day).date(), name="Songkran"
        )
    return province


@pytest.fixture
def ombudsman(province) -> Agency:
    return AgencyFactory.create(jurisdiction=province, name="Provincial Ombudsman")


@pytest.fixture
def ladder(province, ombudsman) -> None:
    EscalationLevel.objects.create(
        jurisdiction=province, level=1, target=T.AGENCY_SUPERVISORS, delay_hours=0
    )
    EscalationLevel.objects.create(
        jurisdiction=province, level=2, target=T.OVERSIGHT, oversight_agency=ombudsman,
        delay_hours=8,
    )  # fmt: skip


@pytest.fixture
def city(province) -> Jurisdiction:
    return CityFactory.create(parent=province, time_zone="Asia/Bangkok")


@pytest.fixture
def works(city) -> Agency:
    return AgencyFactory.create(jurisdiction=city, name="Public Works")


@pytest.fixture
def category(city, works):
    return ComplaintCategoryFactory.create(
        jurisdiction=city, default_agency=works, resolution_amount=3, first_contact_hours=24
    )


def _routed(category, *, at: datetime = REPORTED) -> Complaint:
    complaint = ComplaintFactory.create(category=category, created_at=at, updated_at=at)
    route_complaint(complaint_id=complaint.pk)
    complaint.refresh_from_db()
    assert complaint.status == S.ROUTED
    return complaint


def _accepted(category, *, at: datetime = REPORTED) -> Complaint:
    complaint = _routed(category, at=at)
    transition(complaint, S.ACCEPTED, actor_kind=A.OFFICER, accepted_at=at)
    return complaint


def _levels(complaint: Complaint) -> list[tuple[str, int, int, str, int]]:
    return list(
        complaint.escalations.order_by("reason", "round", "level").values_list(
            "reason", "round", "level", "target", "agency_id"
        )
    )


def _internal_notes(complaint: Complaint) -> list[str]:
    return list(
        complaint.events.filter(is_public=False, actor_kind=A.SYSTEM, note__startswith="Escalated")
        .order_by("pk")
        .values_list("note", flat=True)
    )


def test_deadlines_skip_the_weekend_and_songkran(province, category):
    # when: reported on the Friday before Songkran
    complaint = _routed(category)

    # then: first contact is due 24 clock hours later; resolution at the end of the third
    # working day after the day of receipt (Thursday 16, Friday 17, Monday 20 April)
    assert complaint.first_contact_due == bkk(2026, 4, 11, 10)
    assert complaint.resolution_due == bkk(2026, 4, 20, 16, 30)


def test_missed_first_contact_climbs_level_by_level_across_songkran(
    ladder, category, works, ombudsman
):
    # given: nobody contacts the reporter
    complaint = _routed(category)

    # when / then: level 1 at the deadline (a Saturday), level 2 only after 8 working hours,
    # which Songkran and the weekend push to Thursday 16 April at 16:30
    sweeps = [
        (bkk(2026, 4, 11, 9, 59), 0),
        (bkk(2026, 4, 11, 10, 0), 1),
        (bkk(2026, 4, 11, 10, 1), 0),
        (bkk(2026, 4, 15, 23, 0), 0),
        (bkk(2026, 4, 16, 16, 29), 0),
        (bkk(2026, 4, 16, 16, 30), 1),
        (bkk(2026, 4, 16, 16, 31), 0),
    ]
    for now, recorded in sweeps:
        assert escalate_overdue_complaints(now=now) == recorded, now

    complaint.refresh_from_db()
    assert _levels(complaint) == [
        (R.FIRST_CONTACT_OVERDUE, 0, 1, T.AGENCY_SUPERVISORS, works.pk),
        (R.FIRST_CONTACT_OVERDUE, 0, 2, T.OVERSIGHT, ombudsman.pk),
    ]
    assert set(complaint.escalations.values_list("deadline", flat=True)) == {bkk(2026, 4, 11, 10)}
    assert complaint.escalation_level == 2
    assert _internal_notes(complaint) == [
        "Escalated to level 1 (Public Works): first contact overdue, "
        "due 2026-04-11 10:00 (UTC+0700).",
        "Escalated to level 2 (Provincial Ombudsman): first contact overdue, "
        "due 2026-04-11 10:00 (UTC+0700).",
    ]


def test_missed_resolution_is_escalated_exactly_once_per_level(ladder, category, works):
    # given: first contact made on time, but no resolution by Monday 20 April at 16:30
    complaint = _accepted(category)

    # when: the sweep runs again and again, as it does every minute
    at_deadline = [escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 30)) for _ in range(3)]
    before_level_2 = escalate_overdue_complaints(now=bkk(2026, 4, 21, 16, 29))
    at_level_2 = [escalate_overdue_complaints(now=bkk(2026, 4, 21, 16, 30)) for _ in range(3)]

    # then: each level once, and never for the first contact that was made
    assert (at_deadline, before_level_2, at_level_2) == ([1, 0, 0], 0, [1, 0, 0])
    assert [level for _reason, _round, level, *_ in _levels(complaint)] == [1, 2]
    assert {reason for reason, *_ in _levels(complaint)} == {R.RESOLUTION_OVERDUE}
    assert len(_internal_notes(complaint)) == 2


def test_a_sweep_that_was_down_records_every_level_due_in_order(ladder, category):
    complaint = _accepted(category)

    assert escalate_overdue_complaints(now=bkk(2026, 5, 1, 12)) == 2

    assert [level for *_, level, _target, _agency in _levels(complaint)] == [1, 2]
    complaint.refresh_from_db()
    assert complaint.escalation_level == 2


def test_a_paused_complaint_is_not_escalated(ladder, category):
    # given: the agency waits for the reporter, so the clock stands still
    complaint = _accepted(category)
    Complaint.objects.filter(pk=complaint.pk).update(paused_at=bkk(2026, 4, 17, 9))

    # when
    recorded = escalate_overdue_complaints(now=bkk(2026, 4, 30, 12))

    # then
    assert recorded == 0
    assert not Escalation.objects.exists()


def test_resolved_and_closed_complaints_are_not_escalated(ladder, category):
    complaint = _accepted(category)
    transition(complaint, S.RESOLVED, actor_kind=A.OFFICER, resolved_at=bkk(2026, 4, 22, 9))

    assert escalate_overdue_complaints(now=bkk(2026, 4, 30, 12)) == 0
    assert not Escalation.objects.exists()


def test_without_any_ladder_the_agency_supervisors_are_told_at_the_deadline_and_no_more(
    province, category, works
):
    # given: no escalation levels configured anywhere up the tree
    complaint = _accepted(category)

    # when
    early = escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 29))
    on_time = escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 30))
    much_later = escalate_overdue_complaints(now=bkk(2026, 6, 1, 12))

    # then
    assert (early, on_time, much_later) == (0, 1, 0)
    assert _levels(complaint) == [(R.RESOLUTION_OVERDUE, 0, 1, T.AGENCY_SUPERVISORS, works.pk)]


def test_a_jurisdictions_own_ladder_wins_over_its_ancestors(ladder, city, category, works):
    # given: the city escalates to its supervisors only after a whole working day
    EscalationLevel.objects.create(
        jurisdiction=city, level=1, target=T.AGENCY_SUPERVISORS, delay_hours=8
    )
    complaint = _accepted(category)

    # when / then: the province's level 2 never applies to the city
    assert escalate_overdue_complaints(now=bkk(2026, 4, 21, 16, 29)) == 0
    assert escalate_overdue_complaints(now=bkk(2026, 4, 21, 16, 30)) == 1
    assert escalate_overdue_complaints(now=bkk(2026, 5, 30, 12)) == 0
    assert _levels(complaint) == [(R.RESOLUTION_OVERDUE, 0, 1, T.AGENCY_SUPERVISORS, works.pk)]


def test_a_new_round_after_rework_is_escalated_afresh(ladder, category):
    # given: round 0 escalated to level 1, then the complaint was reopened (round 1) with a
    # new deadline that is missed too
    complaint = _accepted(category)
    escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 30))
    Complaint.objects.filter(pk=complaint.pk).update(
        rework_count=1, resolution_due=bkk(2026, 5, 4, 16, 30)
    )

    # when
    recorded = escalate_overdue_complaints(now=bkk(2026, 5, 4, 16, 30))

    # then: level 1 again, for round 1; round 0's level 2 no longer applies
    assert recorded == 1
    assert [(round_, level) for _reason, round_, level, *_ in _levels(complaint)] == [
        (0, 1),
        (1, 1),
    ]


def test_the_agency_a_complaint_is_transferred_to_owes_its_own_first_contact(
    ladder, category, city
):
    # given: the first agency missed its first contact (escalated), then transferred the
    # complaint; the second agency misses its own first contact too
    complaint = _routed(category)
    escalate_overdue_complaints(now=bkk(2026, 4, 11, 10))
    parks = AgencyFactory.create(jurisdiction=city)
    locked = lock_complaint(complaint.pk)
    transition(
        locked, S.TRANSFERRED, actor_kind=A.OFFICER, agency=parks,
        first_contact_due=bkk(2026, 4, 20, 9), handovers=1,
    )  # fmt: skip

    # when
    recorded = escalate_overdue_complaints(now=bkk(2026, 4, 20, 10))

    # then: level 1 of round 1 of the first-contact deadline, told to the new agency
    assert recorded == 1
    first_contact = [row for row in _levels(complaint) if row[0] == R.FIRST_CONTACT_OVERDUE]
    assert [(round_, level, agency) for _r, round_, level, _t, agency in first_contact] == [
        (0, 1, category.default_agency_id),
        (1, 1, parks.pk),
    ]


def test_the_supervisors_of_the_target_agency_are_told(
    ladder, category, works, ombudsman, django_capture_on_commit_callbacks
):
    # given: a supervisor with a citizen record (and so an inbox), one with a staff account
    # only, an officer of the same agency, and the ombudsman's supervisor
    with_inbox = PersonFactory.create(user=StaffFactory.create(), preferred_language="th")
    MembershipFactory.create(user=with_inbox.user, agency=works, role=Membership.Role.SUPERVISOR)
    staff_only = MembershipFactory.create(agency=works, role=Membership.Role.SUPERVISOR).user
    officer = MembershipFactory.create(agency=works, role=Membership.Role.OFFICER).user
    ombudsman_supervisor = MembershipFactory.create(
        agency=ombudsman, role=Membership.Role.SUPERVISOR
    ).user
    complaint = _accepted(category)

    # when: level 1, then level 2
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 30))
    level_1_mail = {address for message in mail.outbox for address in message.to}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue_complaints(now=bkk(2026, 4, 21, 16, 30))
    level_2_mail = {address for message in mail.outbox for address in message.to}

    # then: the inbox for the one with a person record (delivered by email too), a direct email
    # for the staff account; the officer hears nothing; level 2 goes to the ombudsman
    inbox = Message.objects.get(kind="complaint.escalated")
    assert (inbox.recipient, inbox.language) == (with_inbox, "th")
    with translation.override("th"):  # the recipient's language
        assert inbox.title == str(TITLE) % {
            "number": complaint.tracking_number, "level": 1,
            "reason": R.RESOLUTION_OVERDUE.label,
        }  # fmt: skip
    assert inbox.data == {
        "complaint": complaint.tracking_number,
        "reason": "resolution",
        "level": 1,
    }
    assert level_1_mail == {with_inbox.contact_email, staff_only.email}
    assert officer.email not in level_1_mail
    assert level_2_mail == {ombudsman_supervisor.email}
    (email,) = mail.outbox
    with translation.override("th"):  # the jurisdiction's first language
        assert email.subject == str(TITLE) % {
            "number": complaint.tracking_number, "level": 2,
            "reason": R.RESOLUTION_OVERDUE.label,
        }  # fmt: skip
    assert "2026-04-20 16:30 (UTC+0700)" in email.body


def test_an_agency_without_supervisors_is_told_at_its_own_address(
    province, category, works, django_capture_on_commit_callbacks
):
    Agency.objects.filter(pk=works.pk).update(email="works@example.org")
    _accepted(category)

    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 30))

    assert [message.to for message in mail.outbox] == [["works@example.org"]]


def test_a_sweep_reads_in_bounded_batches_with_a_fixed_number_of_queries(
    ladder, category, django_assert_num_queries
):
    # given: three complaints at level 1, waiting for level 2
    for _ in range(3):
        _accepted(category)
    escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 30))

    # when: a sweep with nothing due, in batches of two
    # then: the ladders (2), per deadline kind one query per batch, and per batch of
    # candidates their jurisdictions (first batch only) and recorded levels
    with django_assert_num_queries(2 + 1 + (1 + 1 + 1) + (1 + 1)):
        assert escalate_overdue_complaints(now=bkk(2026, 4, 21, 9), batch=2) == 0


def test_a_deadline_the_calendar_cannot_count_from_does_not_stop_the_sweep(
    ladder, category, caplog
):
    # given: a complaint whose deadline lies before the holidays the calendar holds (years
    # ago), and one missed this week
    ancient = _accepted(category)
    Complaint.objects.filter(pk=ancient.pk).update(resolution_due=bkk(2019, 1, 4, 16, 30))
    recent = _accepted(category)

    # when
    recorded = escalate_overdue_complaints(now=bkk(2026, 4, 20, 16, 30))

    # then: the recent one is escalated, the ancient one is logged
    assert recorded == 1
    assert [level for *_, level, _target, _agency in _levels(recent)] == [1]
    assert not ancient.escalations.exists()
    assert f"Cannot escalate complaint {ancient.pk}" in caplog.text

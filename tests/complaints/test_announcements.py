"""Every public history entry reaches the complaint's reporter, its followers and the reporters
of its duplicates, in their language, once: entries wait in an outbox (PendingAnnouncement)
written with them, and runs announce them in batches."""

from unittest import mock

import pytest
from django.core import mail

from cityportal.notifications.models import Message
from complaints.actions import notifications
from complaints.actions.routing import route_complaint
from complaints.actions.transitions import add_note
from complaints.models import Complaint, ComplaintEvent, Follower, PendingAnnouncement
from complaints.tasks import announce_complaint_events_task
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

S = Complaint.Status


@pytest.fixture
def category():
    city = CityFactory.create()
    agency = AgencyFactory.create(jurisdiction=city)
    return ComplaintCategoryFactory.create(jurisdiction=city, default_agency=agency)


def _titles(person) -> list[str]:
    return list(Message.objects.filter(recipient=person).values_list("title", flat=True))


def test_the_reporter_hears_of_the_routing_in_their_language(
    category, django_capture_on_commit_callbacks
):
    # given a complaint by a citizen who reads Chinese
    reporter = PersonFactory.create(preferred_language="zh-hans")
    complaint = ComplaintFactory.create(category=category, reporter=reporter)

    # when it is routed, and what was queued after commit runs
    with django_capture_on_commit_callbacks(execute=True):
        route_complaint(complaint_id=complaint.pk)

    # then one message in their inbox, in Chinese, and the outbox is empty
    message = Message.objects.get(recipient=reporter)
    assert message.language == "zh-hans"
    assert message.title.startswith(f"投诉 {complaint.tracking_number}")
    assert message.data == {"complaint": complaint.tracking_number, "status": "routed"}
    assert not PendingAnnouncement.objects.exists()


def test_followers_and_the_reporters_of_duplicates_hear_too(
    category, django_capture_on_commit_callbacks
):
    original = ComplaintFactory.create(category=category)
    follower = PersonFactory.create()
    Follower.objects.create(complaint=original, person=follower)
    duplicate = ComplaintFactory.create(
        category=category, status=S.DUPLICATE, duplicate_of=original
    )

    with django_capture_on_commit_callbacks(execute=True):
        route_complaint(complaint_id=original.pk)

    for person in (original.reporter, follower, duplicate.reporter):
        assert len(_titles(person)) == 1


@pytest.mark.parametrize(
    ("preference", "sent_by"),
    [("inbox", []), ("none", []), ("phone", []), ("email", ["email"]), ("sms", ["sms"])],
)
def test_the_reporter_is_told_by_the_channel_their_report_asked_for(
    category, preference, sent_by, sms_outbox, django_capture_on_commit_callbacks
):
    # given a reporter with an email address and a phone, who chose how to hear back
    reporter = PersonFactory.create(contact_phone="+66812345678")
    complaint = ComplaintFactory.create(
        category=category, reporter=reporter, contact_preference=preference
    )

    # when it is routed, and the announcement and delivery queued after commit run
    with django_capture_on_commit_callbacks(execute=True):
        route_complaint(complaint_id=complaint.pk)

    # then the message is in the inbox, and went out by that channel alone
    message = Message.objects.get(recipient=reporter)
    assert message.channels == sent_by
    assert message.delivery == ("sent" if sent_by else "inbox_only")
    assert [m.to for m in mail.outbox] == ([[reporter.contact_email]] if "email" in sent_by else [])
    assert [m.to for m in sms_outbox] == (["+66812345678"] if "sms" in sent_by else [])


def test_followers_hear_by_every_channel_and_a_duplicate_reporter_as_their_report_asked(
    category, django_capture_on_commit_callbacks
):
    # given an original reported for the inbox only, a follower, and a duplicate whose
    # reporter asked for email
    original = ComplaintFactory.create(category=category, contact_preference="inbox")
    follower = PersonFactory.create()
    Follower.objects.create(complaint=original, person=follower)
    duplicate = ComplaintFactory.create(
        category=category, status=S.DUPLICATE, duplicate_of=original, contact_preference="email"
    )

    # when the original is routed
    with django_capture_on_commit_callbacks(execute=True):
        route_complaint(complaint_id=original.pk)

    # then everyone has it in the inbox; emails go to the follower and the duplicate's reporter
    assert duplicate.reporter is not None
    for person in (original.reporter, follower, duplicate.reporter):
        assert len(_titles(person)) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [follower.contact_email, duplicate.reporter.contact_email]
    )


def test_an_internal_note_is_not_announced(category):
    complaint = ComplaintFactory.create(
        category=category, status=S.ROUTED, agency=category.default_agency
    )

    add_note(
        complaint, actor_kind=ComplaintEvent.ActorKind.SYSTEM, note="Crew busy until Friday.",
        is_public=False,
    )  # fmt: skip

    assert not PendingAnnouncement.objects.exists()
    assert complaint.events.filter(is_public=False).count() == 1


def test_an_entry_announced_twice_is_told_once(category, django_capture_on_commit_callbacks):
    # given a routing announced already
    complaint = ComplaintFactory.create(category=category)
    with django_capture_on_commit_callbacks(execute=True):
        route_complaint(complaint_id=complaint.pk)
    event = complaint.events.get(to_status=S.ROUTED)

    # when the same entry lands in the outbox again (a batch redelivered) and is announced
    PendingAnnouncement.objects.create(event=event)
    announced = notifications.announce_pending_events()

    # then it was handled, and the reporter still has one message
    assert announced == 1
    assert len(_titles(complaint.reporter)) == 1
    assert not PendingAnnouncement.objects.exists()


def test_entries_a_run_missed_are_announced_by_the_sweep(category):
    # given routings whose runs were never queued (the broker was down at commit)
    complaints = ComplaintFactory.create_batch(3, category=category)
    for complaint in complaints:
        route_complaint(complaint_id=complaint.pk)
    assert PendingAnnouncement.objects.count() == 3

    # when the minute's sweep runs
    announced = announce_complaint_events_task()

    # then every reporter has heard
    assert announced == 3
    assert all(len(_titles(complaint.reporter)) == 1 for complaint in complaints)
    assert not PendingAnnouncement.objects.exists()


def test_a_batch_takes_the_same_queries_for_three_entries_or_thirty(
    category, django_assert_num_queries
):
    def announce(count: int) -> None:
        for complaint in ComplaintFactory.create_batch(count, category=category):
            Follower.objects.create(complaint=complaint, person=PersonFactory.create())
            route_complaint(complaint_id=complaint.pk)
        # claim, entries, followers, duplicates, their followers, people, insert, delete; and
        # the batch's savepoint, set and released (its own transaction outside tests)
        with django_assert_num_queries(10):
            assert notifications.announce_pending_events() == count

    announce(3)
    announce(30)


def test_one_run_is_queued_for_the_entries_of_a_moment(category):
    with mock.patch.object(announce_complaint_events_task, "apply_async") as queue:
        notifications.schedule_announcements()
        notifications.schedule_announcements()
        assert queue.call_count == 1
        assert queue.call_args.kwargs == {"countdown": notifications.ANNOUNCE_DELAY_SECONDS}

        # a run that starts lets the next entry queue another
        notifications.announce_pending_events()
        notifications.schedule_announcements()
        assert queue.call_count == 2

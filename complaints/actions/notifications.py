"""Every public change of a complaint reaches its reporter, its followers, and the reporters
and followers of the complaints marked duplicates of it, each in their own language: in the
inbox, and by email or SMS where a reporter's contact preference asks for it (followers by
every channel they have).

A public history entry is written with a row in the outbox (PendingAnnouncement); the entries
waiting there are announced in batches by announce_pending_events, which a task run queued
after commit and the minute's sweep call. At most one run waits in the queue at a time: the
entries committed while it waits (it starts half a second after the first) are announced
together. A batch writes its inbox messages and deletes its outbox rows in one transaction, and
messages carry a dedupe key per entry and person: each person hears of each entry once."""

from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cityportal.notifications.actions import compose_message, notify_many
from cityportal.notifications.models import Message
from complaints.models import Complaint, ComplaintEvent, Follower, PendingAnnouncement
from identity.models import Person

Preference = Complaint.ContactPreference
KIND = "complaint.updated"
SCHEDULED_FLAG = "complaints:announcements-scheduled"
# A run starts this long after the entry that queued it, so that it finds the entries of the
# moment together (fifty a second under load) rather than one each.
ANNOUNCE_DELAY_SECONDS = 0.5
# A run that was queued but never started (its message lost) stops blocking new runs after
# this long; the minute's sweep announces what it would have.
SCHEDULED_FLAG_SECONDS = 10
ANNOUNCE_BATCH = 200


class Listener(NamedTuple):
    """Someone who hears about a complaint, and the channels to tell them by besides the inbox:
    a reporter by the contact preference of their report, a follower by every channel they
    have (None)."""

    person: Person
    send_by: list[str] | None


def send_by_preference(preference: str) -> list[str]:
    """The channels besides the inbox that a report's contact preference asks updates by: a
    reporter who chose the app (or a phone call, or no contact) is told in the app only."""
    channels: dict[str, list[str]] = {Preference.EMAIL: ["email"], Preference.SMS: ["sms"]}
    return list(channels.get(preference, []))


def audience_of(complaint: Complaint) -> list[Person]:
    """The people who hear about this complaint: reporter and followers, of it and of its
    duplicates (without doubles; anonymous reports have no one to tell in-app)."""
    return [listener.person for listener in audiences_of([complaint])[complaint.pk]]


def audiences_of(complaints: list[Complaint]) -> dict[int, list[Listener]]:
    """audience_of for many complaints, with the channels each listener is told by, in four
    queries whatever their number. A reporter is told as their report asked, even when they
    follow the complaint too."""
    followers: dict[int, set[int]] = {complaint.pk: set() for complaint in complaints}
    reporters: dict[int, dict[int, str]] = {
        complaint.pk: {complaint.reporter_id: complaint.contact_preference}
        if complaint.reporter_id
        else {}
        for complaint in complaints
    }
    following = Follower.objects.filter(complaint_id__in=followers).values_list(
        "complaint_id", "person_id"
    )
    for complaint_id, person_id in following:
        followers[complaint_id].add(person_id)
    duplicates = (
        Complaint.objects.filter(duplicate_of_id__in=reporters)
        .exclude(reporter=None)
        .values_list("duplicate_of_id", "reporter_id", "contact_preference")
    )
    for duplicate_of_id, reporter_id, preference in duplicates:
        if duplicate_of_id is not None and reporter_id is not None:
            reporters[duplicate_of_id].setdefault(reporter_id, preference)
    duplicate_followers = Follower.objects.filter(
        complaint__duplicate_of_id__in=followers
    ).values_list("complaint__duplicate_of_id", "person_id")
    for original_id, follower_id in duplicate_followers:
        if original_id is not None:
            followers[original_id].add(follower_id)
    everyone = set().union(*followers.values(), *(set(r) for r in reporters.values()))
    people = {
        person.pk: person
        for person in Person.objects.filter(pk__in=everyone, closed_at__isnull=True).order_by("pk")
    }
    audiences: dict[int, list[Listener]] = {}
    for complaint_id, asked in reporters.items():
        members = followers[complaint_id] | set(asked)
        audiences[complaint_id] = [
            Listener(people[pk], send_by_preference(asked[pk]) if pk in asked else None)
            for pk in sorted(members)
            if pk in people
        ]
    return audiences


def announce_later(event: ComplaintEvent) -> None:
    """Put a public history entry in the outbox, in the caller's transaction, and make sure a
    run is queued after commit."""
    PendingAnnouncement.objects.create(event=event)
    transaction.on_commit(schedule_announcements)


def schedule_announcements() -> None:
    """Queue an announcing run, a moment ahead, unless one is already waiting to start:
    entries committed meanwhile are announced by that run, not by a task each."""
    from complaints.tasks import announce_complaint_events_task

    if cache.add(SCHEDULED_FLAG, 1, timeout=SCHEDULED_FLAG_SECONDS):
        announce_complaint_events_task.apply_async(countdown=ANNOUNCE_DELAY_SECONDS)


def announce_pending_events(*, batch: int = ANNOUNCE_BATCH) -> int:
    """Tell the audiences of every entry waiting in the outbox; parallel runs share the work
    (rows are claimed with SKIP LOCKED). Returns how many entries were announced."""
    # This run has started: an entry committed from now on queues the next one, and one
    # committed before its first batch is read is in this run.
    cache.delete(SCHEDULED_FLAG)
    announced = 0
    while True:
        done = _announce_batch(batch)
        announced += done
        if done < batch:
            return announced


@transaction.atomic
def _announce_batch(size: int) -> int:
    event_ids = list(
        PendingAnnouncement.objects.select_for_update(skip_locked=True)
        .order_by("event_id")
        .values_list("event_id", flat=True)[:size]
    )
    if not event_ids:
        return 0
    events = list(
        ComplaintEvent.objects.filter(pk__in=event_ids, is_public=True)
        .select_related("complaint")
        .order_by("pk")
    )
    complaints = {event.complaint_id: event.complaint for event in events}
    audiences = audiences_of(list(complaints.values()))
    messages = [
        _message(event, listener) for event in events for listener in audiences[event.complaint_id]
    ]
    notify_many(messages)
    PendingAnnouncement.objects.filter(event_id__in=event_ids).delete()
    return len(event_ids)


def _message(event: ComplaintEvent, listener: Listener) -> Message:
    complaint = event.complaint
    return compose_message(
        person=listener.person,
        send_by=listener.send_by,
        kind=KIND,
        title=_("Complaint %(number)s: %(status)s"),
        body="%(note)s" if event.note else "",
        context={
            "number": complaint.tracking_number,
            "status": Complaint.Status(event.to_status).label,
            "note": event.note,
        },
        link=f"/complaints/{complaint.tracking_number}",
        data={"complaint": complaint.tracking_number, "status": event.to_status},
        dedupe_key=f"complaint-event:{event.pk}",
    )

"""Every public change of a complaint reaches its reporter, its followers, and the reporters
and followers of the complaints marked duplicates of it, each in their own language."""

from django.utils.translation import gettext_lazy as _

from cityportal.notifications.actions import notify
from complaints.models import Complaint, ComplaintEvent, Follower
from identity.models import Person

KIND = "complaint.updated"


def audience_of(complaint: Complaint) -> list[Person]:
    """The people who hear about this complaint: reporter and followers, of it and of its
    duplicates (without doubles; anonymous reports have no one to tell in-app)."""
    ids = {complaint.reporter_id} if complaint.reporter_id else set()
    ids.update(Follower.objects.filter(complaint=complaint).values_list("person_id", flat=True))
    duplicates = Complaint.objects.filter(duplicate_of=complaint)
    ids.update(duplicates.exclude(reporter=None).values_list("reporter_id", flat=True))
    ids.update(
        Follower.objects.filter(complaint__duplicate_of=complaint).values_list(
            "person_id", flat=True
        )
    )
    return list(Person.objects.filter(pk__in=ids, closed_at__isnull=True))


def notify_about_event(*, event_id: int) -> int:
    """Tell everyone who follows the complaint about one public history entry; once per
    person and entry, however often the task runs. Returns how many were told."""
    event = ComplaintEvent.objects.select_related("complaint").filter(pk=event_id).first()
    if event is None or not event.is_public:
        return 0
    complaint = event.complaint
    status = Complaint.Status(event.to_status)
    told = 0
    for person in audience_of(complaint):
        message = notify(
            person=person,
            kind=KIND,
            title=_("Complaint %(number)s: %(status)s"),
            body="%(note)s" if event.note else "",
            context={
                "number": complaint.tracking_number,
                "status": status.label,
                "note": event.note,
            },
            link=f"/complaints/{complaint.tracking_number}",
            data={"complaint": complaint.tracking_number, "status": event.to_status},
            dedupe_key=f"complaint-event:{event.pk}",
        )
        told += message is not None
    return told

"""Retention: a complaint closed for longer than COMPLAINTS_ANONYMISE_AFTER no longer says who
reported or followed it.

What goes: the link to the reporter, the contact given with the report (name, email, phone),
the followers, and the anonymous tracking token (so nobody can follow it by token any more).
What stays: what the complaint is about and where (category, description, location, answers,
photos), its history and its ratings, which hold no personal data once the link is gone;
they still count in the agency's statistics. The complaint is marked `anonymised_at`.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints import states
from complaints.models import Complaint, Follower

BATCH = 1000


def anonymise_closed_complaints(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """The daily sweep: anonymise every complaint in a final state (closed, duplicate,
    withdrawn) whose `closed_at` is older than the retention period, `batch` at a time with
    set-based updates, from the partial index of closed, not yet anonymised complaints.
    Returns how many were anonymised."""
    now = now or timezone.now()
    cutoff = now - settings.COMPLAINTS_ANONYMISE_AFTER
    total = 0
    while True:
        done = _anonymise_batch(cutoff=cutoff, now=now, batch=batch)
        total += done
        if done < batch:
            return total


@transaction.atomic
def _anonymise_batch(*, cutoff: datetime, now: datetime, batch: int) -> int:
    # SKIP LOCKED: a row another transaction holds is taken by the next batch or the next run.
    ids = list(
        Complaint.objects.select_for_update(skip_locked=True)
        .filter(
            anonymised_at__isnull=True,
            closed_at__isnull=False,
            closed_at__lt=cutoff,
            status__in=states.FINAL,
        )
        .order_by("closed_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return 0
    Follower.objects.filter(complaint_id__in=ids).delete()
    return Complaint.objects.filter(pk__in=ids).update(
        reporter=None,
        contact_name="",
        contact_email=None,
        contact_phone=None,
        tracking_token_hash=None,
        anonymised_at=now,
    )

"""A complaint's deadlines, counted on its jurisdiction's working calendar."""

from datetime import datetime, timedelta

from complaints.models import Complaint, ComplaintCategory, DeadlineUnit
from complaints.sla import (
    add_working_days,
    add_working_hours,
    current_calendar,
    working_time_between,
)


def first_contact_due(category: ComplaintCategory, start: datetime) -> datetime:
    """First contact is due a number of clock hours after the start (24 by default): the
    quick-response promise runs through nights and weekends."""
    return start + timedelta(hours=category.first_contact_hours)


def resolution_due(complaint: Complaint, start: datetime) -> datetime:
    """The resolution deadline from `start`, in the category's working days or hours."""
    category = complaint.category
    calendar = current_calendar(complaint.jurisdiction)
    if category.resolution_unit == DeadlineUnit.WORKING_HOURS:
        return add_working_hours(start, category.resolution_amount, calendar)
    return add_working_days(start, category.resolution_amount, calendar)


def extend_for_pause(
    complaint: Complaint, due: datetime, *, paused_at: datetime, resumed_at: datetime
) -> datetime:
    """A deadline moved on by the working time the clock stood still."""
    calendar = current_calendar(complaint.jurisdiction)
    paused = working_time_between(paused_at, resumed_at, calendar)
    return add_working_hours(due, paused.total_seconds() / 3600, calendar)

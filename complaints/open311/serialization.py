"""Open311 documents built from the complaints app's rows, with the specification's field names
in its order (XML keeps the order). Texts are in the language of the request; datetimes are
W3C (ISO 8601) with the jurisdiction's offset, e.g. 2026-11-22T10:15:00+07:00.

What a service request shows follows complaints.publication: no reporter, no contact, none of
the reporter's own text (description, address) or photos, and a coarsened point.
"""

import datetime
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from complaints.models import Complaint, ComplaintCategory, ComplaintEvent, DeadlineUnit, Question
from complaints.open311.formats import MEDIA_TYPES
from complaints.publication import coarsened
from complaints.states import OPEN311_CLOSED

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this server's Open311 interface last changed (discovery's changeset).
CHANGESET = "2026-11-22T00:00:00Z"

S = Complaint.Status
# Our statuses as mySociety's extended Open311 statuses (servicerequestupdates). Our own
# status is also given, as external_status_code.
FMS_STATUSES: dict[str, str] = {
    S.SUBMITTED: "OPEN",
    S.ROUTED: "OPEN",
    # The agency made first contact and owes a resolution by a deadline.
    S.ACCEPTED: "ACTION_SCHEDULED",
    S.IN_PROGRESS: "IN_PROGRESS",
    # "Not ours" sends the case back to the dispatcher for another of the city's agencies, and
    # a transfer hands it to one: both stay within the jurisdiction.
    S.REJECTED: "INTERNAL_REFERRAL",
    S.TRANSFERRED: "INTERNAL_REFERRAL",
    S.RESOLVED: "FIXED",
    S.CLOSED: "CLOSED",
    S.DUPLICATE: "DUPLICATE",
    # Reopened after the reporter was dissatisfied.
    S.REWORK: "REOPEN",
    # Withdrawn by the reporter.
    S.WITHDRAWN: "CANCELLED",
}


def w3c(moment: datetime.datetime | None, zone: ZoneInfo) -> str | None:
    """A W3C datetime with its offset in `zone`, to the second."""
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat(timespec="seconds")


def open311_status(status: str) -> str:
    """GeoReport v2's two statuses: resolved, closed, duplicate and withdrawn are closed."""
    return "closed" if status in OPEN311_CLOSED else "open"


def _keywords(words: str) -> str | None:
    listed = [word.strip() for word in (words or "").split(",") if word.strip()]
    return ", ".join(listed) or None


def service_notice(category: ComplaintCategory) -> str:
    """What the service promises, in the request's language."""
    amount = category.resolution_amount
    if category.resolution_unit == DeadlineUnit.WORKING_HOURS:
        resolution = ngettext("%(count)s working hour", "%(count)s working hours", amount) % {
            "count": amount
        }
    else:
        resolution = ngettext("%(count)s working day", "%(count)s working days", amount) % {
            "count": amount
        }
    return _(
        "The responsible agency makes first contact within %(hours)s hours and resolves the "
        "request within %(resolution)s."
    ) % {"hours": category.first_contact_hours, "resolution": resolution}


def services(categories: Iterable[ComplaintCategory]) -> list[dict[str, Any]]:
    """GET services: categories from queries.services_of (with has_questions and parent)."""
    return [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": category.description or None,
            "metadata": bool(category.has_questions),  # type: ignore[attr-defined]
            "type": "realtime",
            "keywords": _keywords(category.keywords),
            "group": category.parent.name if category.parent is not None else None,
        }
        for category in categories
    ]


def _attribute(question: Question) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        # Every question is answered by the person reporting, none is informational.
        "variable": True,
        "code": question.code,
        "datatype": question.datatype,
        "required": question.is_required,
        "datatype_description": question.datatype_description or None,
        "order": question.order,
        "description": question.description,
    }
    if question.has_choices:
        attribute["values"] = [
            {"key": choice.key, "name": choice.name} for choice in question.choices.all()
        ]
    return attribute


def service_definition(category: ComplaintCategory) -> dict[str, Any]:
    """GET services/{code}: the category's questions as attributes (none: an empty list)."""
    return {
        "service_code": category.code,
        "attributes": [_attribute(question) for question in category.questions.all()],
    }


def service_request(complaint: Complaint, zone: ZoneInfo) -> dict[str, Any]:
    """GET requests: a complaint from queries.public_requests."""
    category = complaint.category
    return {
        "service_request_id": complaint.tracking_number,
        "status": open311_status(complaint.status),
        "status_notes": getattr(complaint, "status_notes", None) or None,
        "service_name": category.name,
        "service_code": category.code,
        "description": None,
        "agency_responsible": complaint.agency.name if complaint.agency is not None else None,
        "service_notice": service_notice(category),
        "requested_datetime": w3c(complaint.created_at, zone),
        "updated_datetime": w3c(complaint.updated_at, zone),
        "expected_datetime": w3c(complaint.resolution_due, zone),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": coarsened(complaint.latitude),
        "long": coarsened(complaint.longitude),
        "media_url": None,
    }


def created_request(complaint: Complaint) -> dict[str, Any]:
    """POST requests: the new request's id (its tracking number) at once (type realtime)."""
    return {
        "service_request_id": complaint.tracking_number,
        "service_notice": service_notice(complaint.category),
        # Open311 reporters get no account here.
        "account_id": None,
    }


def request_update(event: ComplaintEvent, zone: ZoneInfo) -> dict[str, Any]:
    """GET servicerequestupdates: one public history entry."""
    return {
        "update_id": str(event.pk),
        "service_request_id": event.complaint.tracking_number,
        "status": FMS_STATUSES[event.to_status],
        "updated_datetime": w3c(event.at, zone),
        "description": event.note or None,
        "media_url": None,
        "external_status_code": event.to_status,
    }


def discovery(url: str) -> dict[str, Any]:
    """GET discovery: this one production endpoint, in both formats."""
    return {
        "changeset": CHANGESET,
        "contact": _(
            "Write to the agency that issued your API key, or to the platform's administrators."
        ),
        "key_service": _(
            "API keys with the scope open311:write are issued to agencies' integrators by the "
            "platform's administrators."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(MEDIA_TYPES),
            }
        ],
    }

"""Open311's one write: an integrator posts a service request, which becomes a complaint taken
and routed like any other."""

import html
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from complaints.actions.intake import SubmittedComplaint, submit_complaint
from complaints.actions.transitions import add_note
from complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from identity.models import ApiClient

Preference = Complaint.ContactPreference


@dataclass(frozen=True)
class ServiceRequest:
    """What an Open311 POST carries, its parameters read but not yet checked."""

    description: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str = ""
    address_id: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    media_url: str = ""


def plain_text(text: str) -> str:
    """The text without HTML: Open311 descriptions carry none, so tags a client sends anyway
    are dropped and entities read as the characters they stand for."""
    return html.unescape(strip_tags(text)).strip()


@transaction.atomic
def submit_service_request(
    *, client: ApiClient, category: ComplaintCategory, request: ServiceRequest
) -> SubmittedComplaint:
    """An integrator with the scope open311:write reports on someone's behalf: the complaint
    is taken by the same intake as the app's (channel open311, no account, the contact given
    in the request) and routed after commit. Without a description the service's name stands
    for it (Open311 makes the description optional). The agency is reached back by email or
    else phone if given, otherwise not at all. A media URL is never fetched: it is kept for
    the agency as an internal note. Raises InvalidComplaint, with one error per field."""
    description = plain_text(request.description) or category.name
    if request.email:
        preference = Preference.EMAIL
    elif request.phone:
        preference = Preference.PHONE
    else:
        preference = Preference.NONE
    submitted = submit_complaint(
        category=category,
        description=description,
        latitude=request.latitude,
        longitude=request.longitude,
        # There is no address register to look an address_id up in: it is kept as the address
        # for the agency to read when nothing else places the problem.
        address=request.address or request.address_id,
        answers=request.answers,
        contact_preference=preference,
        contact_name=" ".join(part for part in (request.first_name, request.last_name) if part),
        contact_email=request.email,
        contact_phone=request.phone,
        channel=Complaint.Channel.OPEN311,
        api_client=client,
    )
    if request.media_url:
        add_note(
            submitted.complaint,
            actor_kind=ComplaintEvent.ActorKind.INTEGRATOR,
            note=_("Media sent with the Open311 request (not fetched): %(url)s")
            % {"url": request.media_url},
            is_public=False,
        )
    return submitted

"""Officers decide applications sent to manual review: approve, reject, or return to the
applicant for more. The same actions serve the admin queue and the officers' API."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cityportal.errors import field_error
from identity.access import record_access
from identity.models import AccessLogEntry
from services import notices
from services.actions.decisions import approve, reject, return_to_applicant
from services.actions.transitions import lock_application
from services.errors import InvalidApplicationData, NotCompetent, TransitionNotAllowed
from services.models import Application, ApplicationEvent
from services.queries import is_competent

OFFICER = ApplicationEvent.ActorKind.OFFICER
OUTCOMES = ("approve", "reject", "return")


@transaction.atomic
def review_application(
    *, application: Application, officer: Any, outcome: str, reason: str
) -> Application:
    """An officer of the competent agency decides an application in manual review. A rejection
    or a return needs a reason the applicant can read."""
    application = lock_application(application.pk)
    if not is_competent(officer, application):
        raise NotCompetent()
    if outcome not in OUTCOMES:
        raise InvalidApplicationData(
            errors=[field_error("outcome", "invalid_choice", _("Use approve, reject or return."))]
        )
    reason = reason.strip()
    if outcome != "approve" and not reason:
        raise InvalidApplicationData(
            errors=[field_error("reason", "required", _("Say why, in words the applicant reads."))]
        )
    if application.status != Application.Status.MANUAL_REVIEW:
        raise TransitionNotAllowed(from_status=application.status, to_status=outcome)
    if outcome == "approve":
        approve(application, actor_kind=OFFICER, actor=officer, reason=reason)
    elif outcome == "reject":
        reject(application, actor_kind=OFFICER, actor=officer, reason=reason)
    else:
        return_to_applicant(application, actor_kind=OFFICER, actor=officer, reason=reason)
    notices.application_decided(application, reasons=[reason] if reason else [])
    return application


def record_staff_read(*, application: Application, user: Any, channel: str) -> None:
    """A member of staff opened an applicant's record: the applicant sees it in their log."""
    person = application.applicant or application.submitted_by
    record_access(
        person=person,
        channel=channel,
        actor=user,
        agency=application.service.agency,
        what=f"application {application.reference}",
        purpose="handling the application",
    )


ADMIN_CHANNEL = AccessLogEntry.Channel.ADMIN

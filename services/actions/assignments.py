"""Who works an application in manual review: an officer of the competent agency takes it
from the queue, so colleagues see it is being handled."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict
from services.actions.transitions import lock_application
from services.errors import NotCompetent
from services.models import Application
from services.queries import is_competent


class NotInManualReview(Conflict):
    code = "not_in_manual_review"
    title = _("Only an application waiting for an officer can be assigned.")


@transaction.atomic
def assign_application(*, application: Application, officer: Any) -> Application:
    """An officer of the competent agency takes an application waiting in manual review."""
    application = lock_application(application.pk)
    if not is_competent(officer, application):
        raise NotCompetent()
    if application.status != Application.Status.MANUAL_REVIEW:
        raise NotInManualReview(status=application.status)
    application.assigned_to = officer
    application.save(update_fields=["assigned_to", "updated_at"])
    return application

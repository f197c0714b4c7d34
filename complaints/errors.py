"""The complaints app's domain errors, each with a stable code (RFC 9457 `code`)."""

from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, DomainError, NotFound, PermissionDenied


class ComplaintNotFound(NotFound):
    code = "complaint_not_found"
    title = _("No such complaint.")


class CategoryNotFound(NotFound):
    code = "category_not_found"
    title = _("No such complaint category.")


class TransitionNotAllowed(Conflict):
    code = "invalid_transition"
    title = _("The complaint cannot move to that status from its current one.")


class NotHandlingAgency(PermissionDenied):
    code = "not_handling_agency"
    title = _("Only officers of the agency handling this complaint can do this.")


class AnonymousNotAllowed(PermissionDenied):
    code = "anonymous_not_allowed"
    title = _("This category does not take anonymous reports; sign in to report it.")


class InvalidComplaint(DomainError):
    status = 422
    code = "invalid_complaint"
    title = _("The complaint cannot be accepted as given.")


class RatingNotOpen(Conflict):
    code = "rating_not_open"
    title = _("This complaint cannot be rated now.")


class InvalidRating(DomainError):
    status = 422
    code = "invalid_rating"
    title = _("The rating cannot be accepted as given.")


class ClockPaused(Conflict):
    code = "clock_paused"
    title = _("The complaint waits for the reporter; resume the clock first.")


class ClockNotPaused(Conflict):
    code = "clock_not_paused"
    title = _("The complaint is not waiting for the reporter.")


class NotDispatcher(PermissionDenied):
    code = "not_dispatcher"
    title = _("Only a dispatcher of this complaint's jurisdiction can do this.")


class CitizensOnly(PermissionDenied):
    code = "citizens_only"
    title = _(
        "Only citizens report complaints here; agency staff and integrators have their own ways in."
    )


class CannotFollowOwnComplaint(Conflict):
    code = "own_complaint"
    title = _("You reported this complaint; you hear about it already.")


class ComplaintNotActive(Conflict):
    code = "complaint_not_active"
    title = _("This complaint is finished; it can no longer be followed.")

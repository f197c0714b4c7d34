"""The services app's domain errors, each with a stable code (RFC 9457 `code`)."""

from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, DomainError, NotFound, PermissionDenied


class ServiceNotFound(NotFound):
    code = "service_not_found"
    title = _("No such service.")


class ServiceNotOpen(Conflict):
    code = "service_not_open"
    title = _("This service does not take applications now.")


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    title = _("No such application.")


class TransitionNotAllowed(Conflict):
    code = "invalid_transition"
    title = _("The application cannot move to that status from its current one.")


class LevelOfAssuranceTooLow(PermissionDenied):
    code = "loa_too_low"
    title = _("This service needs a higher level of assurance of your identity.")


class WrongAudience(PermissionDenied):
    code = "wrong_audience"
    title = _("This service is not offered to this kind of applicant.")


class NotCompetent(PermissionDenied):
    code = "not_competent_agency"
    title = _("Only officers of the agency offering this service can do this.")


class InvalidApplicationData(DomainError):
    status = 422
    code = "invalid_application_data"
    title = _("The application data does not match the service's form.")


class InvalidEvidence(DomainError):
    status = 422
    code = "invalid_evidence"
    title = _("The evidence given does not satisfy the service's requirements.")


class RuleSetNotPublishable(Conflict):
    code = "rule_set_not_publishable"
    title = _("This rule set cannot be published.")


class ServiceAmbiguous(DomainError):
    status = 422
    code = "service_ambiguous"
    title = _("Several jurisdictions offer a service with this code; name the jurisdiction.")


class UnsupportedFileType(DomainError):
    status = 415
    code = "unsupported_file_type"
    title = _("Only PDF, JPEG and PNG files are accepted.")


class FileTooLarge(DomainError):
    status = 413
    code = "file_too_large"
    title = _("The file is too large.")


class HumanReviewNotAllowed(Conflict):
    code = "review_not_allowed"
    title = _("Only an automatic rejection can be reviewed by an officer, and only once.")

"""Who may see and do what with an application. The API's permission classes and lookups only
call these; the actions check the same rules again where they change something.

A citizen acts for the parties of services.queries.represented_parties (themselves, and the
persons and businesses of an active mandate covering `applications`); staff act for the
agencies they belong to (services.queries.applications_of_staff). Everyone else is told "not
found".
"""

from typing import Any

from identity.models import Membership, Person
from services.models import Application
from services.queries import applications_of_citizen, is_competent, represented_parties

S = Application.Status

# What the applicant may do in each status (the transition table allows the moves behind them).
_APPLICANT_ACTIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: ("edit", "submit", "withdraw"),
    S.SUBMITTED: ("withdraw",),
    S.AWAITING_PAYMENT: ("pay", "withdraw"),
    S.MANUAL_REVIEW: ("withdraw",),
    S.RETURNED: ("edit", "submit", "withdraw"),
}


def is_staff_member(user: Any) -> bool:
    """Staff of an agency (or a superuser): they read applications as officers, not citizens."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user=user).exists()


def can_act_as_applicant(person: Person, application: Application) -> bool:
    """The applicant themselves, or a representative whose mandate for the party is active."""
    person_ids, business_ids = represented_parties(person)
    if application.applicant_id is not None:
        return application.applicant_id in person_ids
    return application.business_id in business_ids


def can_view(person: Person, application: Application) -> bool:
    return applications_of_citizen(person).filter(pk=application.pk).exists()


def can_review(user: Any, application: Application) -> bool:
    """An officer (any role) of the agency offering the service."""
    return bool(is_competent(user, application))


def can_request_human_review(application: Application) -> bool:
    return (
        application.status == S.REJECTED
        and application.decided_by == Application.DecidedBy.RULES
        and not application.review_requested
    )


def applicant_actions(application: Application) -> list[str]:
    """What the applicant (or their representative) may do next, for `allowed_actions`."""
    actions = list(_APPLICANT_ACTIONS.get(application.status, ()))
    if can_request_human_review(application):
        actions.append("request_review")
    return actions


def staff_actions(application: Application) -> list[str]:
    """What an officer of the competent agency may do next (they are scoped to it already)."""
    return ["review"] if application.status == S.MANUAL_REVIEW else []

"""Reads of the services app that carry a rule: which applications a citizen or a member of
staff may see, and the competent agency's queue.

A citizen sees the applications of the parties they may act for: their own, and those of the
persons and businesses of an active mandate covering `applications`. Staff see the applications
for services of the agencies they belong to (any role); superusers see all. Everything else is
"not found".
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from identity.models import Membership, Person
from identity.queries import parties_represented_by
from services.models import Application

MANDATE_SCOPE = "applications"


def represented_parties(person: Person) -> tuple[list[int], list[int]]:
    """Ids of the persons (`person` first) and businesses whose applications `person` may see."""
    return parties_represented_by(person, scope=MANDATE_SCOPE)


def applications_of_citizen(person: Person) -> QuerySet[Application]:
    person_ids, business_ids = represented_parties(person)
    return Application.objects.filter(
        Q(applicant_id__in=person_ids) | Q(business_id__in=business_ids)
    )


def agency_ids_of(user: Any, *, roles: tuple[str, ...] | None = None) -> list[int]:
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return list(memberships.values_list("agency_id", flat=True))


def applications_of_staff(user: Any) -> QuerySet[Application]:
    if getattr(user, "is_superuser", False):
        return Application.objects.all()
    return Application.objects.filter(service__agency_id__in=agency_ids_of(user))


def is_competent(user: Any, application: Application) -> bool:
    """A member of the agency offering the application's service (or a superuser)."""
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user=user, agency_id=application.service.agency_id).exists()


def is_supervisor_of(user: Any, application: Application) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(
        user=user, agency_id=application.service.agency_id, role=Membership.Role.SUPERVISOR
    ).exists()


def review_queue(user: Any) -> QuerySet[Application]:
    """Applications waiting for an officer of the user's agencies, earliest deadline first."""
    return (
        applications_of_staff(user)
        .filter(status=Application.Status.MANUAL_REVIEW)
        .select_related("service", "applicant", "business")
        .order_by("deadline", "pk")
    )


def overdue(user: Any) -> QuerySet[Application]:
    return review_queue(user).filter(deadline__lt=timezone.now())

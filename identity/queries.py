"""Reads that carry a rule."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from identity.models import ApiClient, Mandate, Membership, Person, User


def person_of(user: Any) -> Person | None:
    """The person record behind a logged-in account, if any (staff may have none)."""
    if not getattr(user, "is_authenticated", False) or isinstance(user, ApiClient):
        return None
    if User.person.is_cached(user):  # read with the account at sign-in (identity.backends)
        person = getattr(user, "person", None)  # None: the account has no person
        return person if person is not None and person.closed_at is None else None
    # Person.user is one-to-one: no ORDER BY to build (every API request of a citizen asks).
    return next(iter(Person.objects.filter(user=user, closed_at__isnull=True)[:1]), None)


@dataclass(frozen=True)
class StaffRole:
    """One of a staff account's memberships: the agency, the role, and what the screens that
    scope by it need of the agency."""

    agency_id: int
    role: str
    agency_is_active: bool
    jurisdiction_id: int


def roles_of(user: Any) -> tuple[StaffRole, ...]:
    """The account's agency memberships (of inactive agencies too), read once per account
    object, that is once per request: the admin's permissions (identity.roles), the
    complaints' staff scope and the complaints catalogue's scope all ask on every admin page."""
    cached: tuple[StaffRole, ...] | None = getattr(user, "_staff_roles_cache", None)
    if cached is None:
        cached = tuple(
            StaffRole(*row)
            for row in Membership.objects.filter(user=user)
            .order_by("pk")
            .values_list("agency_id", "role", "agency__is_active", "agency__jurisdiction_id")
        )
        user._staff_roles_cache = cached
    return cached


def active_mandates_held_by(person: Person) -> QuerySet[Mandate]:
    now = timezone.now()
    return (
        Mandate.objects.filter(representative=person, revoked_at__isnull=True, valid_from__lte=now)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .select_related("for_person", "for_business")
    )


def parties_represented_by(person: Person, *, scope: str) -> tuple[list[int], list[int]]:
    """Ids of the persons (`person` first) and businesses `person` may act for in `scope`:
    themselves, and the parties of their active mandates covering it. One query."""
    person_ids, business_ids = [person.pk], []
    for mandate in active_mandates_held_by(person):
        if not mandate.covers(scope):
            continue
        if mandate.for_person_id is not None:
            person_ids.append(mandate.for_person_id)
        if mandate.for_business_id is not None:
            business_ids.append(mandate.for_business_id)
    return person_ids, business_ids


def mandates_visible_to(person: Person) -> QuerySet[Mandate]:
    """Mandates the person holds, and those given on their behalf."""
    return (
        Mandate.objects.filter(Q(representative=person) | Q(for_person=person))
        .select_related("representative", "for_person", "for_business")
        .order_by("-created_at", "-pk")
    )

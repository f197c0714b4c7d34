"""`X-Acting-For`: a representative acts for a business or another person (a child) under an
active mandate. The header names the party (`person:<id>` or `business:<id>`); it is accepted
only when the caller holds an active mandate for that party covering the action's scope, and
the resolved party is recorded on what the request creates (domain models keep
`acting_representative` next to the party they act for)."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from cityportal.errors import DomainError
from identity.models import Business, Mandate, Person
from identity.queries import active_mandates_held_by, person_of

HEADER = "X-Acting-For"
_FORMAT = re.compile(r"(person|business):(\d{1,18})")


class ActingForMalformed(DomainError):
    status = 400
    code = "acting_for_malformed"
    title = _("The X-Acting-For header is malformed.")


class NoMandate(DomainError):
    status = 403
    code = "no_mandate"
    title = _("You hold no active mandate to act for this party.")


@dataclass(frozen=True)
class Acting:
    """Who a request acts for: `subject` is the party; `representative` the caller's person."""

    representative: Person
    mandate: Mandate | None
    person: Person | None = None
    business: Business | None = None

    @property
    def is_representing(self) -> bool:
        return self.mandate is not None


def resolve_acting(request: Request, *, scope: str) -> Acting | None:
    """The caller's own person, or the party named in X-Acting-For under a mandate for `scope`.
    None when the caller has no person record (staff, integrators)."""
    me = person_of(request.user)
    if me is None:
        return None
    raw = request.headers.get(HEADER)
    if not raw:
        return Acting(representative=me, mandate=None, person=me)
    match = _FORMAT.fullmatch(raw.strip())
    if match is None:
        raise ActingForMalformed(_("Use person:<id> or business:<id>."))
    kind, pk = match.group(1), int(match.group(2))
    mandates = active_mandates_held_by(me)
    mandate = (
        mandates.filter(for_person_id=pk)
        if kind == "person"
        else mandates.filter(for_business_id=pk)
    ).first()
    if mandate is None or not mandate.covers(scope):
        raise NoMandate(required_scope=scope)
    if kind == "person":
        return Acting(representative=me, mandate=mandate, person=mandate.for_person)
    return Acting(representative=me, mandate=mandate, business=mandate.for_business)

"""The citizen-readable access log: every read of a person's record by staff, an integrator or a
one-code verification writes one entry. Entries are never changed or deleted."""

from typing import Any

from identity.models import AccessLogEntry, Agency, ApiClient, Person


def record_access(
    *,
    person: Person,
    channel: str,
    what: str,
    purpose: str,
    actor: Any = None,
    client: ApiClient | None = None,
    agency: Agency | None = None,
) -> AccessLogEntry:
    """Write who read which part of `person`'s record, and why."""
    if client is not None:
        agency = agency or client.agency
        label = f"{client.name} ({client.agency.name})"
    elif actor is not None:
        label = actor.get_full_name() or actor.get_username()
        if agency is None:
            membership = actor.memberships.select_related("agency").first()
            agency = membership.agency if membership else None
    else:
        label = "CityPortal"
    return AccessLogEntry.objects.create(
        person=person,
        channel=channel,
        actor=actor,
        actor_label=label[:200],
        client=client,
        agency=agency,
        what=what[:300],
        purpose=purpose[:300],
    )

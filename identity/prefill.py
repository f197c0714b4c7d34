"""Prefill: what an agency may read of a person's record to fill in a form or a decision.

Only what the person consented to — an active consent given to that agency for that purpose —
or what a stated legal basis names is returned; everything else stays out. Each read that
returns anything writes one access-log entry, so the person sees it at /me/access-log.

    values = attributes_for(
        person=applicant, agency=service.agency, purpose="Resident parking permit",
        attributes=["legal_name_local", "residence", "credential:driving_licence"],
    )
    values["residence"] == {"value": {"code": "bkk-pathum-wan", "name": "Pathum Wan"},
                            "source": "registry"}

The national ID is returned masked: a prefilled form is stored with the application, and the
full number is kept only encrypted on the person.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from identity.access import record_access
from identity.actions.privacy import PERSON_ATTRIBUTES, credential_type_code
from identity.models import AccessLogEntry, Agency, ApiClient, Consent, Credential, Person


@dataclass(frozen=True)
class LegalBasis:
    """A law or regulation that lets an agency read attributes without consent."""

    reference: str  # e.g. "Building Control Act B.E. 2522, s. 21"
    attributes: tuple[str, ...]


def _normalise(purpose: str) -> str:
    return " ".join(purpose.casefold().split())


def allowed_attributes(
    *, person: Person, agency: Agency, purpose: str, legal_basis: LegalBasis | None = None
) -> tuple[set[str], list[Consent]]:
    """The attribute names `agency` may read for `purpose`, and the consents that allow them."""
    now = timezone.now()
    wanted = _normalise(purpose)
    consents = [
        consent
        for consent in Consent.objects.filter(
            person=person, agency=agency, revoked_at__isnull=True, valid_until__gt=now
        ).order_by("pk")
        if _normalise(consent.purpose) == wanted
    ]
    allowed = {name for consent in consents for name in consent.attributes}
    if legal_basis is not None:
        allowed |= set(legal_basis.attributes)
    return allowed, consents


def attributes_for(
    *,
    person: Person,
    agency: Agency,
    purpose: str,
    attributes: Iterable[str] | None = None,
    legal_basis: LegalBasis | None = None,
    client: ApiClient | None = None,
) -> dict[str, dict[str, Any]]:
    """{attribute: {"value", "source"}} for the requested attributes (all allowed ones when
    None) that a consent or `legal_basis` allows. Writes an access-log entry when anything is
    returned: channel `integrator` when `client` reads, `system` otherwise."""
    requested = list(dict.fromkeys(attributes)) if attributes is not None else None
    for name in requested or []:
        if name not in PERSON_ATTRIBUTES and credential_type_code(name) is None:
            raise ValueError(f"Unknown attribute {name!r}")
    allowed, consents = allowed_attributes(
        person=person, agency=agency, purpose=purpose, legal_basis=legal_basis
    )
    names = sorted(allowed) if requested is None else [n for n in requested if n in allowed]
    values = _read(person, names)
    if values:
        record_access(
            person=person,
            channel=AccessLogEntry.Channel.INTEGRATOR if client else AccessLogEntry.Channel.SYSTEM,
            client=client,
            agency=agency,
            what=", ".join(values),
            purpose=_why(purpose, consents, legal_basis, read=set(values)),
        )
    return values


def _why(
    purpose: str, consents: list[Consent], legal_basis: LegalBasis | None, *, read: set[str]
) -> str:
    grounds = [f"consent #{c.pk}" for c in consents if read & set(c.attributes)]
    if legal_basis is not None and read & set(legal_basis.attributes):
        grounds.append(legal_basis.reference)
    return f"{purpose} ({'; '.join(grounds)})" if grounds else purpose


def _read(person: Person, names: list[str]) -> dict[str, dict[str, Any]]:
    codes = [code for name in names if (code := credential_type_code(name))]
    today = timezone.localdate()
    credentials: dict[str, Credential] = {}
    if codes:
        # The holder's current card of each type: a valid one before a lapsed one, newest first.
        for credential in (
            Credential.objects.filter(holder=person, type__code__in=codes)
            .exclude(status=Credential.Status.REVOKED)
            .select_related("type", "issuer")
            .order_by("-pk")
        ):
            current = credentials.get(credential.type.code)
            if current is None or (
                credential.is_valid_on(today) and not current.is_valid_on(today)
            ):
                credentials[credential.type.code] = credential
    values: dict[str, dict[str, Any]] = {}
    for name in names:
        code = credential_type_code(name)
        if code is not None:
            card = credentials.get(code)
            if card is not None:
                values[name] = {
                    "value": {
                        "number": card.number_masked,
                        "issuer": card.issuer.code,
                        "status": card.status,
                        "valid_from": card.valid_from,
                        "valid_until": card.valid_until,
                        "is_valid": card.is_valid_on(today),
                    },
                    "source": card.origin,
                }
            continue
        value = _person_value(person, name)
        if value not in (None, ""):
            values[name] = {"value": value, "source": person.source_of(name)}
    return values


def _person_value(person: Person, name: str) -> Any:
    if name == "residence":
        residence = person.residence
        return {"code": residence.code, "name": residence.name} if residence else None
    if name == "national_id":
        if not person.national_id_masked:
            return None
        return {"scheme": person.national_id_scheme, "number": person.national_id_masked}
    return getattr(person, name)

"""Persons: registration, self-asserted details, verification against the registry, in-person
assurance by an officer."""

import datetime
import unicodedata
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, DomainError, field_error
from identity import national_id
from identity.models import (
    AssuranceChange,
    AttributeSource,
    Jurisdiction,
    LevelOfAssurance,
    Person,
    RegistryRecord,
)
from identity.registry import national_id_index, population_registry

# Attributes a citizen may change while they are self-asserted; once the registry or an officer
# vouched for one, only that source may change it.
SELF_EDITABLE = (
    "legal_name_local",
    "legal_name_latin",
    "date_of_birth",
    "contact_email",
    "contact_phone",
    "preferred_language",
    "residence",
)
REGISTRY_ATTRIBUTES = ("legal_name_local", "legal_name_latin", "date_of_birth", "residence")


class AttributeLocked(DomainError):
    status = 400
    code = "attribute_locked"
    title = _("Some details were confirmed by government and cannot be changed here.")


class NationalIdTaken(Conflict):
    code = "national_id_taken"
    title = _("This national ID number is already registered to another person.")


class VerificationMismatch(DomainError):
    status = 422
    code = "verification_mismatch"
    title = _("Your details do not match the population registry.")


class AlreadyVerified(Conflict):
    code = "already_verified"
    title = _("Your identity is already verified at this level or higher.")


def lock_person(pk: int) -> Person:
    return Person.objects.select_for_update().get(pk=pk)


def _stamp(person: Person, attributes: list[str], source: str, at: datetime.datetime) -> None:
    sources = dict(person.attribute_sources)
    for name in attributes:
        sources[name] = {"source": source, "at": at.isoformat()}
    person.attribute_sources = sources


@transaction.atomic
def register_person(*, user: Any, preferred_language: str = "en") -> Person:
    """Give a new account its person record (basic assurance, everything self-asserted)."""
    person, _created = Person.objects.get_or_create(
        user=user,
        defaults={
            "contact_email": user.email or "",
            "contact_phone": getattr(user, "phone", None) or "",
            "preferred_language": preferred_language,
        },
    )
    return person


@transaction.atomic
def update_person_details(*, person: Person, changes: dict[str, Any]) -> Person:
    """The citizen changes their own details; registry- or officer-confirmed ones are locked."""
    person = lock_person(person.pk)
    locked = {
        name: [
            str(
                _("Confirmed by %(source)s.")
                % {"source": AttributeSource(person.source_of(name)).label}
            )
        ]
        for name in changes
        if person.source_of(name) != AttributeSource.SELF and getattr(person, name) != changes[name]
    }
    if locked:
        raise AttributeLocked(
            errors=[field_error(name, "locked", messages[0]) for name, messages in locked.items()]
        )
    now = timezone.now()
    for name, value in changes.items():
        setattr(person, name, value)
    _stamp(
        person, [name for name in changes if name in REGISTRY_ATTRIBUTES], AttributeSource.SELF, now
    )
    person.save()
    return person


def _normalise_name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value or "").casefold().split())


@transaction.atomic
def verify_against_registry(
    *,
    person: Person,
    scheme: str,
    number: str,
    legal_name_local: str,
    date_of_birth: datetime.date,
) -> Person:
    """Match the citizen's claims against the population registry; on a full match, record the
    national ID, adopt the registry's details and raise the level to substantial."""
    person = lock_person(person.pk)
    if person.meets(LevelOfAssurance.SUBSTANTIAL):
        raise AlreadyVerified()
    parsed = national_id.parse(scheme, number)
    index = national_id_index(parsed.number)
    if Person.objects.filter(national_id_index=index).exclude(pk=person.pk).exists():
        raise NationalIdTaken(errors=[field_error("national_id", "taken", NationalIdTaken.title)])
    entry = population_registry().lookup(scheme=scheme, national_id=parsed.number)
    mismatched = []
    if entry is None:
        mismatched.append("national_id")
    else:
        if _normalise_name(entry.legal_name_local) != _normalise_name(legal_name_local):
            mismatched.append("legal_name_local")
        if entry.date_of_birth != date_of_birth:
            mismatched.append("date_of_birth")
    if entry is None or mismatched:
        # Which fields differ, never what the registry holds.
        raise VerificationMismatch(
            _("Check the fields listed and try again."),
            errors=[
                field_error(name, "mismatch", _("Does not match the registry."))
                for name in mismatched
            ],
        )
    now = timezone.now()
    person.national_id_scheme = scheme
    person.national_id = parsed.number
    person.national_id_index = index
    person.national_id_masked = parsed.masked
    person.legal_name_local = entry.legal_name_local
    person.legal_name_latin = entry.legal_name_latin or person.legal_name_latin
    person.date_of_birth = entry.date_of_birth
    if entry.jurisdiction_id:
        person.residence = Jurisdiction.objects.get(pk=entry.jurisdiction_id)
    _stamp(person, [*REGISTRY_ATTRIBUTES, "national_id"], AttributeSource.REGISTRY, now)
    previous = person.level_of_assurance
    person.level_of_assurance = LevelOfAssurance.SUBSTANTIAL
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # another account took the number between our check and now
        raise NationalIdTaken(
            errors=[field_error("national_id", "taken", NationalIdTaken.title)]
        ) from None
    AssuranceChange.objects.create(
        person=person,
        from_level=previous,
        to_level=LevelOfAssurance.SUBSTANTIAL,
        method=AssuranceChange.Method.REGISTRY_MATCH,
    )
    return person


@transaction.atomic
def raise_to_high_assurance(*, person: Person, officer: Any, note: str = "") -> Person:
    """An officer checked the person's documents face to face."""
    person = lock_person(person.pk)
    if person.level_of_assurance == LevelOfAssurance.HIGH:
        raise AlreadyVerified()
    if not person.meets(LevelOfAssurance.SUBSTANTIAL):
        raise DomainError(_("Verify against the registry first (level substantial)."))
    previous = person.level_of_assurance
    person.level_of_assurance = LevelOfAssurance.HIGH
    _stamp(person, ["level_of_assurance"], AttributeSource.OFFICER, timezone.now())
    person.save()
    AssuranceChange.objects.create(
        person=person,
        from_level=previous,
        to_level=LevelOfAssurance.HIGH,
        method=AssuranceChange.Method.IN_PERSON,
        officer=officer,
        note=note[:500],
    )
    return person


@transaction.atomic
def add_registry_record(
    *,
    scheme: str,
    number: str,
    legal_name_local: str,
    date_of_birth: datetime.date,
    legal_name_latin: str = "",
    address: str = "",
    household_id: str = "",
    jurisdiction: Jurisdiction | None = None,
) -> RegistryRecord:
    """Load a population-registry record (demo seeding and the database adapter's tests)."""
    parsed = national_id.parse(scheme, number)
    record, _created = RegistryRecord.objects.update_or_create(
        national_id_index=national_id_index(parsed.number),
        defaults={
            "scheme": scheme,
            "national_id": parsed.number,
            "legal_name_local": legal_name_local,
            "legal_name_latin": legal_name_latin,
            "date_of_birth": date_of_birth,
            "address": address,
            "household_id": household_id,
            "jurisdiction": jurisdiction,
        },
    )
    return record

"""Privacy: consents, data exports and account closure.

The access log itself is written by identity.access.record_access and never changed; reading
it needs no action.
"""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError, NotFound, field_error
from identity.models import (
    AccessLogEntry,
    Agency,
    AssuranceChange,
    Consent,
    Credential,
    CredentialType,
    DataExport,
    Mandate,
    Person,
)

# What a consent may name: these person attributes, and credentials as "credential:<type code>".
PERSON_ATTRIBUTES = (
    "legal_name_local",
    "legal_name_latin",
    "date_of_birth",
    "residence",
    "contact_email",
    "contact_phone",
    "national_id",
)
CREDENTIAL_PREFIX = "credential:"
# Five calendar years, leap days included: a consent is renewed, not given for ever.
MAX_CONSENT_DURATION = datetime.timedelta(days=5 * 365 + 2)
EXPORT_LIFETIME = datetime.timedelta(days=7)
EXPORT_FORMAT_VERSION = 1


class InvalidConsent(DomainError):
    status = 400
    code = "invalid_consent"
    title = _("The consent cannot be given as asked.")


class WrongPassword(DomainError):
    status = 403
    code = "reauthentication_failed"
    title = _("The password is not correct.")


# --- consents ---------------------------------------------------------------------------------


def credential_type_code(attribute: str) -> str | None:
    """'credential:transit_card' → 'transit_card'; None for a person attribute."""
    if attribute.startswith(CREDENTIAL_PREFIX):
        return attribute[len(CREDENTIAL_PREFIX) :]
    return None


def unknown_attributes(attributes: list[str]) -> list[int]:
    """Positions of the names that are neither a person attribute nor an existing credential
    type; one query at most."""
    codes = {code for name in attributes if (code := credential_type_code(name))}
    known_codes = (
        set(CredentialType.objects.filter(code__in=codes).values_list("code", flat=True))
        if codes
        else set()
    )
    return [
        position
        for position, name in enumerate(attributes)
        if name not in PERSON_ATTRIBUTES and credential_type_code(name) not in known_codes
    ]


def lock_consent(pk: int) -> Consent | None:
    return Consent.objects.select_for_update().filter(pk=pk).first()


@transaction.atomic
def give_consent(
    *,
    person: Person,
    agency: Agency,
    attributes: list[str],
    purpose: str,
    valid_until: datetime.datetime,
) -> Consent:
    """The citizen lets one agency use the named attributes for one purpose, until a date no
    more than five years ahead."""
    given = [name.strip() for name in attributes]
    errors = []
    if not given:
        errors.append(field_error("attributes", "required", _("Name at least one attribute.")))
    errors += [
        field_error(
            f"attributes.{position}",
            "unknown_attribute",
            _("Unknown attribute %(name)s.") % {"name": given[position]},
        )
        for position in unknown_attributes(given)
    ]
    if not agency.is_active:
        errors.append(field_error("agency", "inactive", _("This agency no longer operates.")))
    if not purpose.strip():
        errors.append(field_error("purpose", "blank", _("State the purpose.")))
    now = timezone.now()
    if valid_until <= now:
        errors.append(field_error("valid_until", "in_past", _("Choose a date in the future.")))
    elif valid_until > now + MAX_CONSENT_DURATION:
        errors.append(
            field_error("valid_until", "too_far", _("A consent lasts at most five years."))
        )
    if errors:
        raise InvalidConsent(_("Correct the fields listed in errors."), errors=errors)
    return Consent.objects.create(
        person=person,
        agency=agency,
        attributes=list(dict.fromkeys(given)),
        purpose=purpose.strip(),
        valid_until=valid_until,
    )


@transaction.atomic
def revoke_consent(*, person: Person, consent_id: int) -> Consent:
    """The citizen withdraws a consent from now on; the row stays as the record that it was
    given. Revoking a revoked consent changes nothing."""
    consent = lock_consent(consent_id)
    if consent is None or consent.person_id != person.pk:
        raise NotFound()
    if consent.revoked_at is None:
        consent.revoked_at = timezone.now()
        consent.save(update_fields=["revoked_at"])
    return consent


# --- data exports -----------------------------------------------------------------------------


def lock_export(pk: int) -> DataExport | None:
    return DataExport.objects.select_for_update().filter(pk=pk).first()


@transaction.atomic
def request_data_export(*, person: Person) -> DataExport:
    """Start building a copy of everything held on the person; an export still being built is
    returned instead of starting a second one."""
    from identity.privacy_tasks import build_data_export_task  # the task module imports this one

    Person.objects.select_for_update().filter(pk=person.pk).first()  # one request at a time
    pending = DataExport.objects.filter(person=person, status=DataExport.Status.PENDING).first()
    if pending is not None:
        return pending
    now = timezone.now()
    # expires_at is counted again from the moment the export is ready.
    export = DataExport.objects.create(
        person=person, requested_at=now, expires_at=now + EXPORT_LIFETIME
    )
    build_data_export_task.delay_on_commit(export_id=export.pk)
    return export


@transaction.atomic
def build_data_export(*, export_id: int) -> DataExport | None:
    """Collect everything held on the person into the export. Safe to run again: a built
    export is left as it is; a deleted one (account closed) is skipped."""
    export = lock_export(export_id)
    if export is None or export.status != DataExport.Status.PENDING:
        return export
    person = Person.objects.select_related("user", "residence").get(pk=export.person_id)
    now = timezone.now()
    export.content = _collect(person, now)
    export.status = DataExport.Status.READY
    export.ready_at = now
    export.expires_at = now + EXPORT_LIFETIME
    export.save(update_fields=["content", "status", "ready_at", "expires_at"])
    return export


@transaction.atomic
def fail_data_export(*, export_id: int) -> None:
    """Give up on an export the worker could not build; the citizen may ask again."""
    DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING).update(
        status=DataExport.Status.FAILED
    )


def purge_expired_data_exports(*, now: datetime.datetime | None = None) -> int:
    """Drop the content of exports past their expiry; the rows stay, shown as expired."""
    now = now or timezone.now()
    return DataExport.objects.filter(expires_at__lte=now, content__isnull=False).update(
        content=None
    )


def stuck_data_exports(*, older_than: datetime.timedelta) -> list[int]:
    """Exports still pending after `older_than`: their task was lost; the sweeper re-queues."""
    cutoff = timezone.now() - older_than
    return list(
        DataExport.objects.filter(
            status=DataExport.Status.PENDING, requested_at__lt=cutoff
        ).values_list("pk", flat=True)
    )


def data_export_document(export: DataExport) -> dict[str, Any]:
    """The export as the person downloads it."""
    return dict(export.content or {})


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _collect(person: Person, now: datetime.datetime) -> dict[str, Any]:
    sources = person.attribute_sources

    def attribute(name: str, value: Any) -> dict[str, Any]:
        meta = sources.get(name, {})
        return {"value": value, "source": person.source_of(name), "at": meta.get("at")}

    residence = person.residence
    user = person.user
    person_part: dict[str, Any] = {
        "pseudonym": person.pseudonym,
        "legal_name_local": attribute("legal_name_local", person.legal_name_local),
        "legal_name_latin": attribute("legal_name_latin", person.legal_name_latin),
        "date_of_birth": attribute("date_of_birth", _iso(person.date_of_birth)),
        "residence": attribute(
            "residence",
            {"code": residence.code, "name": residence.name} if residence else None,
        ),
        "contact_email": attribute("contact_email", person.contact_email),
        "contact_phone": attribute("contact_phone", person.contact_phone),
        "preferred_language": person.preferred_language,
        "level_of_assurance": person.level_of_assurance,
        "national_id": {
            "scheme": person.national_id_scheme,
            # Masked even here: no API response carries a national ID number in full, and the
            # person holds the card that shows it.
            "value": person.national_id_masked or None,
            "source": person.source_of("national_id"),
            "at": sources.get("national_id", {}).get("at"),
        },
        "created_at": _iso(person.created_at),
    }
    account = (
        {
            "username": user.username,
            "email": user.email,
            "phone": user.phone,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        }
        if user is not None
        else None
    )
    credentials = [
        {
            "type": {"code": credential.type.code, "name": credential.type.name},
            "issuer": {"code": credential.issuer.code, "name": credential.issuer.name},
            "number": credential.number_masked,
            "status": credential.status,
            "origin": credential.origin,
            "verification": credential.verification,
            "issued_on": _iso(credential.issued_on),
            "valid_from": _iso(credential.valid_from),
            "valid_until": _iso(credential.valid_until),
        }
        for credential in Credential.objects.filter(holder=person)
        .select_related("type", "issuer")
        .order_by("pk")
    ]
    consents = [
        {
            "agency": {"code": consent.agency.code, "name": consent.agency.name},
            "attributes": consent.attributes,
            "purpose": consent.purpose,
            "valid_until": _iso(consent.valid_until),
            "created_at": _iso(consent.created_at),
            "revoked_at": _iso(consent.revoked_at),
        }
        for consent in Consent.objects.filter(person=person).select_related("agency").order_by("pk")
    ]
    mandates = [
        {
            "role": "representative" if mandate.representative_id == person.pk else "represented",
            "representative": str(mandate.representative),
            "represented": str(mandate.for_person or mandate.for_business),
            "scope": mandate.scope,
            "valid_from": _iso(mandate.valid_from),
            "valid_until": _iso(mandate.valid_until),
            "revoked_at": _iso(mandate.revoked_at),
            "legal_basis": mandate.legal_basis,
        }
        for mandate in Mandate.objects.filter(Q(representative=person) | Q(for_person=person))
        .select_related("representative", "for_person", "for_business")
        .order_by("pk")
    ]
    access_log = [
        {
            "when": _iso(entry.at),
            "who": entry.actor_label,
            "agency": {"code": entry.agency.code, "name": entry.agency.name}
            if entry.agency
            else None,
            "channel": entry.channel,
            "what": entry.what,
            "purpose": entry.purpose,
        }
        for entry in AccessLogEntry.objects.filter(person=person)
        .select_related("agency")
        .order_by("at", "pk")
    ]
    assurance = [
        {
            "from_level": change.from_level,
            "to_level": change.to_level,
            "method": change.method,
            "at": _iso(change.at),
            "note": change.note,
        }
        for change in AssuranceChange.objects.filter(person=person).order_by("at", "pk")
    ]
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": now.isoformat(),
        "person": person_part,
        "account": account,
        "credentials": credentials,
        "consents": consents,
        "mandates": mandates,
        "access_log": access_log,
        "assurance_changes": assurance,
    }


# --- account closure --------------------------------------------------------------------------


@transaction.atomic
def close_account(*, person: Person, password: str) -> Person:
    """The citizen closes their account after re-entering their password: personal fields are
    erased, consents and mandates end, the login stops working. What the law keeps (the access
    log, assurance changes, and other apps' records pointing at the person) stays, under the
    person's pseudonym. Closing a closed account changes nothing."""
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if person.closed_at is not None:
        return person
    user = person.user
    if user is None or not user.check_password(password):
        raise WrongPassword(
            errors=[field_error("password", "wrong_password", _("The password is not correct."))]
        )
    now = timezone.now()
    Consent.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=now)
    Mandate.objects.filter(
        Q(representative=person) | Q(for_person=person), revoked_at__isnull=True
    ).update(revoked_at=now)
    # An export is a full copy of the personal data that closure erases.
    DataExport.objects.filter(person=person).delete()

    person.legal_name_local = ""
    person.legal_name_latin = ""
    person.date_of_birth = None
    person.contact_email = ""
    person.contact_phone = ""
    person.residence = None
    person.national_id = None
    person.national_id_index = None
    person.national_id_masked = ""
    person.national_id_scheme = ""
    person.attribute_sources = {}
    person.closed_at = now
    person.save()

    _deactivate_user(user, pseudonym=person.pseudonym)
    return person


def _deactivate_user(user: Any, *, pseudonym: str) -> None:
    """The login goes for good: no name, address, phone or usable password is left, and every
    session and session token fails from now on (Django checks a session against the password
    hash and the active flag)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.username = pseudonym
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.phone = None
    user.phone_verified = False
    user.is_active = False
    user.set_unusable_password()
    user.save()

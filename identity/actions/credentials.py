"""The credentials wallet ("one card") and the one code.

Holders add cards (unverified until the issuer confirms them); issuers — integrators of the issuing
agency, or its officers in admin — issue, change, confirm, reject, suspend, reinstate and revoke
them; a daily task expires those past their validity. Numbers are stored encrypted, found through
a blind index and shown only masked. Every issuer-side touch of a person's credential, and every
one-code verification, writes the holder's access log.
"""

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, DomainError, NotFound, PermissionDenied, field_error
from identity import onecode
from identity.access import record_access
from identity.crypto import blind_index
from identity.models import (
    AccessLogEntry,
    Agency,
    ApiClient,
    Credential,
    CredentialType,
    Person,
    User,
)
from identity.national_id import mask
from identity.registry import national_id_index

NUMBER_INDEX_PURPOSE = "credential_number"
_NUMBER_PATTERN = re.compile(r"[A-Z0-9]{1,40}")
_EDITABLE_BY_ISSUER = ("number", "issued_on", "valid_from", "valid_until")


class InvalidCredentialNumber(DomainError):
    status = 400
    code = "invalid_credential_number"
    title = _("The card number is not valid.")


class InvalidValidityPeriod(DomainError):
    status = 400
    code = "invalid_validity_period"
    title = _("The card cannot end before it starts.")


class CredentialTypeWithoutIssuer(DomainError):
    status = 400
    code = "credential_type_without_issuer"
    title = _("No agency issues this kind of card, so it cannot be added.")


class NotIssuerOfCredentialType(PermissionDenied):
    code = "not_issuer_of_credential_type"
    title = _("Your agency does not issue this kind of card.")


class CredentialNumberTaken(Conflict):
    code = "credential_number_taken"
    title = _("A card of this kind with this number is already registered.")


class HolderNotFound(NotFound):
    code = "holder_not_found"
    title = _("No person with this national ID number is registered.")


class CredentialRevoked(Conflict):
    code = "credential_revoked"
    title = _("This card has been revoked.")


class CredentialNotPending(Conflict):
    code = "credential_not_pending"
    title = _("Only a card its holder added, not yet confirmed, can be confirmed or rejected.")


class CredentialNotActive(Conflict):
    code = "credential_not_active"
    title = _("Only an active card can be suspended.")


class CredentialNotSuspended(Conflict):
    code = "credential_not_suspended"
    title = _("Only a suspended card can be reinstated.")


class CredentialNotRemovable(Conflict):
    code = "credential_not_removable"
    title = _("Only a card you added yourself, not confirmed by its issuer, can be removed.")


# Reads -------------------------------------------------------------------------------------


def normalise_number(raw: str) -> str:
    """Card numbers compare without spaces or dashes and in upper case."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def credential_number_index(number: str) -> str:
    return blind_index(normalise_number(number), purpose=NUMBER_INDEX_PURPOSE)


def credentials_held_by(person: Person) -> QuerySet[Credential]:
    return Credential.objects.filter(holder=person).select_related("type", "issuer")


def credentials_issued_by(agency: Agency) -> QuerySet[Credential]:
    return Credential.objects.filter(issuer=agency).select_related("type", "issuer")


def find_holder(*, scheme: str, number: str) -> Person:
    """The open person record with this (already validated) national ID; HolderNotFound if none."""
    person = Person.objects.filter(
        national_id_scheme=scheme, national_id_index=national_id_index(number), closed_at=None
    ).first()
    if person is None:
        raise HolderNotFound()
    return person


def is_trustworthy(credential: Credential, day: datetime.date) -> bool:
    """What a verifier may rely on: active, within its dates, and vouched for by its issuer."""
    return (
        credential.is_valid_on(day) and credential.verification == Credential.Verification.VERIFIED
    )


def record_issuer_read(*, credential: Credential, client: ApiClient) -> None:
    """An issuing agency's system read a person's credential."""
    _log_issuer_access(credential, client=client, actor=None, purpose="reading a credential")


# Helpers -----------------------------------------------------------------------------------


def lock_credential(pk: int) -> Credential:
    return Credential.objects.select_for_update().get(pk=pk)


def _set_number(credential: Credential, raw: str, credential_type: CredentialType) -> None:
    number = normalise_number(raw)
    if not _NUMBER_PATTERN.fullmatch(number):
        raise InvalidCredentialNumber(
            errors=[
                field_error(
                    "number",
                    "invalid",
                    _("Use 1 to 40 letters and digits (spaces and dashes are ignored)."),
                )
            ]
        )
    credential.number = number
    credential.number_index = blind_index(number, purpose=NUMBER_INDEX_PURPOSE)
    credential.number_masked = mask(number, visible=credential_type.visible_digits)


def _check_validity(valid_from: datetime.date | None, valid_until: datetime.date | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise InvalidValidityPeriod(
            errors=[
                field_error("valid_until", "before_valid_from", _("Must not be before valid_from."))
            ]
        )


def _status_by_dates(credential: Credential, today: datetime.date) -> str:
    """Active or expired by its end date; suspended and revoked cards keep their status."""
    if credential.status not in (Credential.Status.ACTIVE, Credential.Status.EXPIRED):
        return credential.status
    if credential.valid_until is not None and credential.valid_until < today:
        return Credential.Status.EXPIRED
    return Credential.Status.ACTIVE


def _number_holder(credential: Credential) -> Credential | None:
    """The other live credential of the same type with the same number, if any."""
    return (
        Credential.objects.filter(type_id=credential.type_id, number_index=credential.number_index)
        .exclude(status=Credential.Status.REVOKED)
        .exclude(pk=credential.pk)
        .first()
    )


def _save(credential: Credential) -> None:
    """Save, turning a lost race on the (type, number) constraint into CredentialNumberTaken."""
    try:
        with transaction.atomic():
            credential.save()
    except IntegrityError:
        if _number_holder(credential) is not None:
            raise CredentialNumberTaken() from None
        raise


def _what(credential: Credential) -> str:
    return f"credential {credential.type.code} {credential.number_masked}"


def _log_issuer_access(
    credential: Credential, *, client: ApiClient | None, actor: User | None, purpose: str
) -> None:
    if client is not None:
        channel = AccessLogEntry.Channel.INTEGRATOR
    elif actor is not None:
        channel = AccessLogEntry.Channel.ADMIN
    else:
        return  # the platform itself (a task): nobody looked
    record_access(
        person=credential.holder,
        channel=channel,
        actor=actor,
        client=client,
        agency=credential.issuer,
        what=_what(credential),
        purpose=purpose,
    )


# Holder actions ----------------------------------------------------------------------------


@transaction.atomic
def add_credential_by_holder(
    *,
    holder: Person,
    type: CredentialType,
    number: str,
    issued_on: datetime.date | None = None,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> Credential:
    """A holder adds a card to their wallet; it stays unverified until its issuer confirms it."""
    if type.issuer_id is None:
        raise CredentialTypeWithoutIssuer(
            errors=[field_error("type", "without_issuer", CredentialTypeWithoutIssuer.title)]
        )
    _check_validity(valid_from, valid_until)
    credential = Credential(
        holder=holder,
        type=type,
        issuer_id=type.issuer_id,
        issued_on=issued_on,
        valid_from=valid_from,
        valid_until=valid_until,
        origin=Credential.Origin.HOLDER,
        verification=Credential.Verification.UNVERIFIED,
        status=Credential.Status.ACTIVE,
    )
    _set_number(credential, number, type)
    credential.status = _status_by_dates(credential, timezone.localdate())
    if _number_holder(credential) is not None:
        raise CredentialNumberTaken()
    _save(credential)
    return credential


@transaction.atomic
def remove_credential_by_holder(*, holder: Person, credential: Credential) -> None:
    """A holder removes a card they added, as long as its issuer has not confirmed it."""
    credential = lock_credential(credential.pk)
    if credential.holder_id != holder.pk:
        raise NotFound()
    if (
        credential.origin != Credential.Origin.HOLDER
        or credential.verification == Credential.Verification.VERIFIED
    ):
        raise CredentialNotRemovable()
    credential.delete()


# Issuer actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    credential: Credential
    created: bool  # False: the holder had already added this card, and it is now confirmed


@transaction.atomic
def issue_credential(
    *,
    client: ApiClient,
    holder: Person,
    type: CredentialType,
    number: str,
    issued_on: datetime.date | None = None,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> Issued:
    """An issuing agency's system puts a card in a holder's wallet, verified. Only the agency
    that issues this type may; a copy the holder added earlier is confirmed instead."""
    if not client.has_scope(ApiClient.Scope.CREDENTIALS_WRITE):
        raise PermissionDenied()
    if type.issuer_id is None or type.issuer_id != client.agency_id:
        raise NotIssuerOfCredentialType()
    _check_validity(valid_from, valid_until)
    credential = Credential(
        holder=holder,
        type=type,
        issuer_id=client.agency_id,
        issued_on=issued_on,
        valid_from=valid_from,
        valid_until=valid_until,
        origin=Credential.Origin.ISSUER,
        verification=Credential.Verification.VERIFIED,
        status=Credential.Status.ACTIVE,
    )
    _set_number(credential, number, type)
    today = timezone.localdate()
    existing = _number_holder(credential)
    if existing is not None:
        existing = lock_credential(existing.pk)
        if not (
            existing.holder_id == holder.pk
            and existing.origin == Credential.Origin.HOLDER
            and existing.status != Credential.Status.REVOKED
        ):
            raise CredentialNumberTaken()
        existing.verification = Credential.Verification.VERIFIED
        existing.issuer_id = client.agency_id
        existing.issued_on, existing.valid_from, existing.valid_until = (
            issued_on,
            valid_from,
            valid_until,
        )
        existing.status = _status_by_dates(existing, today)
        existing.save()
        _log_issuer_access(existing, client=client, actor=None, purpose="issuing a credential")
        return Issued(credential=existing, created=False)
    credential.status = _status_by_dates(credential, today)
    _save(credential)
    _log_issuer_access(credential, client=client, actor=None, purpose="issuing a credential")
    return Issued(credential=credential, created=True)


@transaction.atomic
def update_credential(
    *,
    credential: Credential,
    changes: dict[str, Any],
    client: ApiClient | None = None,
    actor: User | None = None,
) -> Credential:
    """The issuer corrects or renews a card: number, issue date, validity. A renewed expired
    card becomes active again; a revoked one cannot change."""
    credential = lock_credential(credential.pk)
    if credential.status == Credential.Status.REVOKED:
        raise CredentialRevoked()
    unknown = set(changes) - set(_EDITABLE_BY_ISSUER)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    valid_from = changes.get("valid_from", credential.valid_from)
    valid_until = changes.get("valid_until", credential.valid_until)
    _check_validity(valid_from, valid_until)
    if "number" in changes:
        _set_number(credential, changes["number"], credential.type)
        if _number_holder(credential) is not None:
            raise CredentialNumberTaken()
    for name in ("issued_on", "valid_from", "valid_until"):
        if name in changes:
            setattr(credential, name, changes[name])
    credential.status = _status_by_dates(credential, timezone.localdate())
    _save(credential)
    _log_issuer_access(credential, client=client, actor=actor, purpose="updating a credential")
    return credential


@transaction.atomic
def revoke_credential(
    *, credential: Credential, client: ApiClient | None = None, actor: User | None = None
) -> Credential:
    """The issuer withdraws a card for good; revoking a revoked card changes nothing."""
    credential = lock_credential(credential.pk)
    if credential.status != Credential.Status.REVOKED:
        credential.status = Credential.Status.REVOKED
        credential.save(update_fields=["status", "updated_at"])
    _log_issuer_access(credential, client=client, actor=actor, purpose="revoking a credential")
    return credential


@transaction.atomic
def suspend_credential(
    *, credential: Credential, client: ApiClient | None = None, actor: User | None = None
) -> Credential:
    """The issuer stops an active card for a while (lost, under review)."""
    credential = lock_credential(credential.pk)
    if credential.status != Credential.Status.SUSPENDED:
        if credential.status != Credential.Status.ACTIVE:
            raise CredentialNotActive(credential_status=credential.status)
        credential.status = Credential.Status.SUSPENDED
        credential.save(update_fields=["status", "updated_at"])
    _log_issuer_access(credential, client=client, actor=actor, purpose="suspending a credential")
    return credential


@transaction.atomic
def reinstate_credential(
    *, credential: Credential, client: ApiClient | None = None, actor: User | None = None
) -> Credential:
    """The issuer lifts a suspension; the card is active again, or expired if its time ran out."""
    credential = lock_credential(credential.pk)
    if credential.status != Credential.Status.ACTIVE:
        if credential.status != Credential.Status.SUSPENDED:
            raise CredentialNotSuspended(credential_status=credential.status)
        # Lifted: active again, unless its validity ended meanwhile.
        credential.status = Credential.Status.ACTIVE
        credential.status = _status_by_dates(credential, timezone.localdate())
        credential.save(update_fields=["status", "updated_at"])
    _log_issuer_access(credential, client=client, actor=actor, purpose="reinstating a credential")
    return credential


@transaction.atomic
def confirm_credential(
    *, credential: Credential, client: ApiClient | None = None, actor: User | None = None
) -> Credential:
    """The issuer vouches for a card its holder added; confirming twice changes nothing."""
    credential = lock_credential(credential.pk)
    if credential.status == Credential.Status.REVOKED:
        raise CredentialRevoked()
    if credential.verification != Credential.Verification.VERIFIED:
        credential.verification = Credential.Verification.VERIFIED
        credential.save(update_fields=["verification", "updated_at"])
    _log_issuer_access(credential, client=client, actor=actor, purpose="confirming a credential")
    return credential


@transaction.atomic
def reject_credential(
    *, credential: Credential, client: ApiClient | None = None, actor: User | None = None
) -> Credential:
    """The issuer does not recognise a card its holder added: it is marked rejected and revoked,
    which also frees the number for the card's real holder."""
    credential = lock_credential(credential.pk)
    if credential.verification != Credential.Verification.REJECTED:
        if (
            credential.origin != Credential.Origin.HOLDER
            or credential.verification != Credential.Verification.UNVERIFIED
        ):
            raise CredentialNotPending()
        credential.verification = Credential.Verification.REJECTED
        credential.status = Credential.Status.REVOKED
        credential.save(update_fields=["verification", "status", "updated_at"])
    _log_issuer_access(credential, client=client, actor=actor, purpose="rejecting a credential")
    return credential


def expire_credentials(*, today: datetime.date) -> int:
    """Mark active cards whose last valid day is before `today` as expired; running it again
    finds nothing more to do. Returns how many changed."""
    return Credential.objects.filter(status=Credential.Status.ACTIVE, valid_until__lt=today).update(
        status=Credential.Status.EXPIRED, updated_at=timezone.now()
    )


# The one code ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PresentedCredential:
    """One credential as a verifier sees it: never the full number."""

    type_code: str
    type_name: str
    number_masked: str | None  # only when the holder shared this one card
    status: str
    is_verified: bool
    is_valid: bool
    valid_from: datetime.date | None
    valid_until: datetime.date | None


@dataclass(frozen=True)
class OneCodeVerification:
    kind: str
    expires_at: datetime.datetime
    level_of_assurance: str | None = None
    name_local: str | None = None
    name_latin: str | None = None
    reveals_name: bool = False
    credentials: tuple[PresentedCredential, ...] = ()
    shared_credential: PresentedCredential | None = None


def issue_one_code(*, holder: Person) -> onecode.SignedCode:
    """A holder asks for a code that proves who they are for the next minute."""
    return onecode.sign_person_code(holder.pseudonym)


def share_credential(
    *, holder: Person, credential: Credential, ttl_seconds: int
) -> onecode.SignedCode:
    """A holder shows one card to whoever scans the code within `ttl_seconds`."""
    if credential.holder_id != holder.pk:
        raise NotFound()
    if credential.status == Credential.Status.REVOKED:
        raise CredentialRevoked()
    return onecode.sign_credential_code(credential.pk, ttl_seconds)


def _present(
    credential: Credential, today: datetime.date, *, with_number: bool
) -> PresentedCredential:
    return PresentedCredential(
        type_code=credential.type.code,
        type_name=str(credential.type.name),
        number_masked=credential.number_masked if with_number else None,
        status=credential.status,
        is_verified=credential.verification == Credential.Verification.VERIFIED,
        is_valid=is_trustworthy(credential, today),
        valid_from=credential.valid_from,
        valid_until=credential.valid_until,
    )


@transaction.atomic
def verify_one_code(*, client: ApiClient, token: str) -> OneCodeVerification:
    """A verifier scans a code: it learns only what its client may see, and the holder's access
    log says who looked and what was revealed. A code may be scanned again within its lifetime;
    each scan is logged."""
    if not client.has_scope(ApiClient.Scope.ONE_CODE_VERIFY):
        raise PermissionDenied()
    claims = onecode.read_code(token)
    today = timezone.localdate()
    if claims.kind == "credential":
        return _verify_shared_credential(client=client, claims=claims, today=today)

    holder = Person.objects.filter(pseudonym=claims.subject, closed_at=None).first()
    if holder is None:
        raise onecode.OneCodeInvalid()
    visible_types = sorted(client.credential_types.values_list("code", flat=True))
    credentials = (
        credentials_held_by(holder)
        .filter(type__code__in=visible_types)
        .exclude(status=Credential.Status.REVOKED)
        .order_by("type__code", "-valid_until", "pk")
    )
    presented = tuple(_present(c, today, with_number=False) for c in credentials)
    revealed = ["level of assurance"]
    if client.reveals_name:
        revealed.append("name")
    if visible_types:
        revealed.append("credential status: " + ", ".join(visible_types))
    record_access(
        person=holder,
        channel=AccessLogEntry.Channel.ONE_CODE,
        client=client,
        what="one code: " + "; ".join(revealed),
        purpose="one-code verification",
    )
    return OneCodeVerification(
        kind="person",
        expires_at=claims.expires_at,
        level_of_assurance=holder.level_of_assurance,
        reveals_name=client.reveals_name,
        name_local=holder.legal_name_local if client.reveals_name else None,
        name_latin=holder.legal_name_latin if client.reveals_name else None,
        credentials=presented,
    )


def _verify_shared_credential(
    *, client: ApiClient, claims: onecode.CodeClaims, today: datetime.date
) -> OneCodeVerification:
    credential = (
        Credential.objects.select_related("type", "holder")
        .filter(Q(pk=int(claims.subject)) if claims.subject.isdigit() else Q(pk__in=[]))
        .filter(holder__closed_at=None)
        .first()
    )
    if credential is None:
        raise onecode.OneCodeInvalid()
    record_access(
        person=credential.holder,
        channel=AccessLogEntry.Channel.ONE_CODE,
        client=client,
        what=f"shared {_what(credential)}",
        purpose="one-code verification of a credential the holder shared",
    )
    return OneCodeVerification(
        kind="credential",
        expires_at=claims.expires_at,
        shared_credential=_present(credential, today, with_number=True),
    )


@transaction.atomic
def issue_credential_on_decision(
    *,
    issuer: Agency,
    holder: Person,
    type: CredentialType,
    number: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
) -> Credential:
    """An approved application puts its output (a permit, a card) in the applicant's wallet,
    issued by the agency that decided it. The number is the platform's own, so never taken."""
    _check_validity(valid_from, valid_until)
    credential = Credential(
        holder=holder,
        type=type,
        issuer=issuer,
        issued_on=valid_from,
        valid_from=valid_from,
        valid_until=valid_until,
        origin=Credential.Origin.ISSUER,
        verification=Credential.Verification.VERIFIED,
        status=Credential.Status.ACTIVE,
    )
    _set_number(credential, number, type)
    credential.status = _status_by_dates(credential, timezone.localdate())
    _save(credential)
    return credential

"""Applications, from the form to the decision: submitting (checked against the service's
status, audience, level of assurance, JSON Schema and required evidence), paying the fee,
withdrawing, resubmitting after a return, and asking for a human review of an automatic
rejection. Also what government already knows for a form (`prefill_for`).

After submission an application goes, by the transition table (services.states):
- to `awaiting_payment` when the service charges a fee today (a bill is raised through the
  payments app; `fee_paid` moves it on once paid);
- to `checking` on automatic or proactive services, where a worker decides it in seconds
  (services.actions.decisions.decide_application);
- to `manual_review` on manual services.
"""

import copy
import datetime
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError

from cityportal.errors import field_error
from identity.actions.privacy import PERSON_ATTRIBUTES, credential_type_code
from identity.models import Business, Credential, Mandate, Person
from identity.prefill import LegalBasis, attributes_for
from payments.actions.bills import cancel_bill, raise_service_fee_bill
from payments.models import Bill
from services import notices
from services.actions.decisions import request_decisions, send_to_manual_review
from services.actions.transitions import lock_application, record_opening, transition
from services.errors import (
    ApplicationNotFound,
    HumanReviewNotAllowed,
    InvalidApplicationData,
    InvalidEvidence,
    LevelOfAssuranceTooLow,
    ServiceAmbiguous,
    ServiceNotFound,
    ServiceNotOpen,
    TransitionNotAllowed,
    WrongAudience,
)
from services.models import (
    Application,
    ApplicationEvent,
    Evidence,
    EvidenceRequirement,
    Fee,
    Service,
    Upload,
)
from services.permissions import can_act_as_applicant, can_request_human_review

S = Application.Status
APPLICANT = ApplicationEvent.ActorKind.APPLICANT
SYSTEM = ApplicationEvent.ActorKind.SYSTEM
FEE_DUE_IN = datetime.timedelta(days=7)
_REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class EvidenceInput:
    """One piece of evidence offered for a requirement (by its code): an upload (its public
    id) or a wallet credential (its id)."""

    requirement: str
    upload: uuid.UUID | str | None = None
    credential: int | None = None


@dataclass(frozen=True)
class _Chosen:
    requirement: EvidenceRequirement
    upload: Upload | None
    credential: Credential | None


# Finding the service ------------------------------------------------------------------------


_TEXTS_NOT_NEEDED_TO_APPLY = [
    name
    for base in ("summary", "description", "keywords")
    for name in (base, f"{base}_en", f"{base}_th", f"{base}_zh_hans")
] + ["search_document", "legal_basis"]


def service_by_code(*, code: str, jurisdiction: str | None = None) -> Service:
    """The service with this code (in this jurisdiction, when several offer one)."""
    # The long texts and the search document are not needed to apply: leaving them out keeps
    # this query, on the hot path of seconds approval, cheap to build and to read.
    services = (
        Service.objects.select_related("jurisdiction")
        .defer(*_TEXTS_NOT_NEEDED_TO_APPLY)
        .filter(code=code)
    )
    if jurisdiction:
        services = services.filter(jurisdiction__code=jurisdiction)
    found = list(services[:2])
    if not found:
        raise ServiceNotFound(errors=[field_error("service", "not_found", _("No such service."))])
    if len(found) > 1:
        raise ServiceAmbiguous(
            errors=[field_error("jurisdiction", "required", _("Name the jurisdiction."))]
        )
    return found[0]


# service (code, jurisdiction) → (the service with its evidence, when read: time.monotonic())
_services_to_apply: dict[tuple[str, str | None], tuple[Service, float]] = {}


def service_to_apply(*, code: str, jurisdiction: str | None = None) -> Service:
    """`service_by_code` for a submission, with its evidence requirements, read again at most
    once per SERVICES_CATALOGUE_RECHECK_SECONDS in a process: on the hot path of seconds
    approval, reading the service cost a fifth of a submission. Each call gets its own copy."""
    key = (code, jurisdiction)
    now = time.monotonic()
    cached = _services_to_apply.get(key)
    if cached is None or now - cached[1] >= settings.SERVICES_CATALOGUE_RECHECK_SECONDS:
        service = service_by_code(code=code, jurisdiction=jurisdiction)
        prefetch_related_objects([service], "evidence")
        _services_to_apply[key] = cached = (service, now)
    return copy.copy(cached[0])


def clear_cache() -> None:
    _services_to_apply.clear()


# Submitting -----------------------------------------------------------------------------------


# Without a savepoint: every caller lets a refusal roll back the whole transaction (the API's
# with its idempotency key, a bundle with its other applications), so one would cost two round
# trips on the hot path for nothing.
@transaction.atomic(savepoint=False)
def submit_application(
    *,
    service: Service,
    submitted_by: Person,
    applicant: Person | None,
    business: Business | None,
    mandate: Mandate | None,
    data: Any,
    evidence: Sequence[EvidenceInput] = (),
    language: str,
    prefilled: dict[str, Any] | None = None,
    bundle_application: Any = None,
    offer: Any = None,
    draft: bool = False,
) -> Application:
    """A person applies, for themselves or for the party of their mandate. The service must be
    open to this kind of party, the submitter's identity assured enough, the data valid against
    the form and the required evidence given; a draft is only stored."""
    if (applicant is None) == (business is None):
        raise ValueError("An application is for exactly one party: a person or a business.")
    _check_service_takes(service, submitted_by=submitted_by, business=business)
    if draft:
        _check_is_object(data)
    else:
        check_data(service, data)
    chosen = _resolve_evidence(
        service, evidence, submitted_by=submitted_by, holder=applicant, application=None
    )
    if not draft:
        _check_complete(service, chosen, already=())
    fields = {
        "service": service,
        "submitted_by": submitted_by,
        "applicant": applicant,
        "business": business,
        "mandate": mandate,
        "data": data,
        "language": language,
        "prefilled": prefilled or {},
        "bundle_application": bundle_application,
        "offer": offer,
    }
    if draft:
        application = _create(status=S.DRAFT, **fields)
        _store_evidence(application, chosen)
        return application
    return _open_submitted(fields, chosen, submitted_by=submitted_by)


def _open_submitted(
    fields: dict[str, Any], chosen: list[_Chosen], *, submitted_by: Person
) -> Application:
    """A first submission, written once in the status it goes on to (awaiting payment,
    checking or manual review) with both steps in its history: the hot path of seconds
    approval, so no row is written twice."""
    service: Service = fields["service"]
    now = timezone.now()
    public_id = uuid.uuid4()
    payer = fields["applicant"] or submitted_by
    bill = _raise_fee_for(service, payer=payer, public_id=public_id, today=timezone.localdate())
    extra: dict[str, Any] = {}
    if bill is not None and bill.status in Bill.PAYABLE:
        status, extra["bill"] = S.AWAITING_PAYMENT, bill
    elif service.approval_mode == Service.ApprovalMode.MANUAL:
        status, extra["deadline"] = S.MANUAL_REVIEW, now + service.manual_deadline
    else:
        status = S.CHECKING
    application = _create(
        public_id=public_id, status=status, round=1, submitted_at=now, **extra, **fields
    )
    _store_evidence(application, chosen)
    record_opening(
        application,
        hops=[
            (S.DRAFT, S.SUBMITTED, APPLICANT, submitted_by.user),
            (S.SUBMITTED, status, SYSTEM, None),
        ],
        at=now,
    )
    if status == S.CHECKING:
        transaction.on_commit(request_decisions)
    elif status == S.MANUAL_REVIEW:
        notices.application_decided(application, reasons=[])
    return application


@transaction.atomic
def submit_draft(
    *,
    application: Application,
    by: Person,
    data: Any = None,
    evidence: Sequence[EvidenceInput] = (),
) -> Application:
    """The applicant submits their draft, with the same checks as a new application."""
    application = _lock_for_applicant(application, by)
    if application.status != S.DRAFT:
        raise TransitionNotAllowed(from_status=application.status, to_status=S.SUBMITTED)
    return _submit_again(application, by=by, data=data, evidence=evidence, round=1)


@transaction.atomic
def resubmit_application(
    *,
    application: Application,
    by: Person,
    data: Any = None,
    evidence: Sequence[EvidenceInput] = (),
) -> Application:
    """A returned application, completed by the applicant, is submitted again: a new round,
    decided afresh."""
    application = _lock_for_applicant(application, by)
    if application.status != S.RETURNED:
        raise TransitionNotAllowed(from_status=application.status, to_status=S.SUBMITTED)
    return _submit_again(
        application, by=by, data=data, evidence=evidence, round=application.round + 1
    )


@transaction.atomic
def edit_application(
    *,
    application: Application,
    by: Person,
    data: Any = None,
    evidence: Sequence[EvidenceInput] = (),
) -> Application:
    """The applicant changes the data or evidence of a draft or a returned application; the
    form is checked in full when it is submitted."""
    application = _lock_for_applicant(application, by)
    if application.status not in (S.DRAFT, S.RETURNED):
        raise TransitionNotAllowed(from_status=application.status, to_status="edit")
    if data is not None:
        _check_is_object(data)
    chosen = _resolve_evidence(
        application.service,
        evidence,
        submitted_by=by,
        holder=application.applicant,
        application=application,
    )
    _store_evidence(application, chosen)
    if data is not None:
        application.data = data
        application.save(update_fields=["data", "updated_at"])
    return application


def _submit_again(
    application: Application,
    *,
    by: Person,
    data: Any,
    evidence: Sequence[EvidenceInput],
    round: int,
) -> Application:
    service = application.service
    _check_service_takes(service, submitted_by=by, business=application.business)
    new_data = application.data if data is None else data
    check_data(service, new_data)
    chosen = _resolve_evidence(
        service, evidence, submitted_by=by, holder=application.applicant, application=application
    )
    kept = Evidence.objects.filter(application=application).exclude(
        requirement__in=[item.requirement for item in chosen]
    )
    _check_complete(service, chosen, already=kept.values_list("requirement_id", flat=True))
    _store_evidence(application, chosen)
    transition(
        application,
        S.SUBMITTED,
        actor_kind=APPLICANT,
        actor=by.user,
        data=new_data,
        round=round,
        submitted_at=timezone.now(),
    )
    _route_submitted(application)
    return application


def _lock_for_applicant(application: Application, by: Person) -> Application:
    application = lock_application(application.pk)
    if not can_act_as_applicant(by, application):
        raise ApplicationNotFound()
    return application


def _check_service_takes(service: Service, *, submitted_by: Person, business: Any) -> None:
    if not service.is_open_for_applications:
        raise ServiceNotOpen(service_status=service.status)
    if (business is None and not service.for_persons) or (
        business is not None and not service.for_businesses
    ):
        raise WrongAudience(audience=service.audience)
    if not submitted_by.meets(service.minimum_level_of_assurance):
        raise LevelOfAssuranceTooLow(required_level=service.minimum_level_of_assurance)


def _create(**fields: Any) -> Application:
    """A new application under a fresh reference (APP-2611-7F3A9C21); a clash draws another."""
    for attempt in range(_REFERENCE_ATTEMPTS):
        reference = f"APP-{timezone.now():%y%m}-{secrets.token_hex(4).upper()}"
        try:
            with transaction.atomic():
                return Application.objects.create(reference=reference, **fields)
        except IntegrityError:
            clashed = Application.objects.filter(reference=reference).exists()
            if not clashed or attempt == _REFERENCE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# After submission: fee, then decision ----------------------------------------------------------


def _route_submitted(application: Application) -> None:
    """A submitted application waits for its fee, or goes to be decided."""
    today = timezone.localdate()
    bill = application.bill if application.bill_id else _raise_fee(application, today)
    if bill is not None and bill.status in Bill.PAYABLE:
        transition(application, S.AWAITING_PAYMENT, actor_kind=SYSTEM, bill=bill)
        return
    _to_decision(application)


def current_fee(service: Service, today: datetime.date) -> Fee | None:
    if service.fee_biller_id is None:
        return None
    return (
        Fee.objects.filter(service=service, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=today))
        .order_by("-valid_from", "-pk")
        .first()
    )


def _raise_fee(application: Application, today: datetime.date) -> Bill | None:
    payer = application.applicant or application.submitted_by
    return _raise_fee_for(
        application.service, payer=payer, public_id=application.public_id, today=today
    )


def _raise_fee_for(
    service: Service, *, payer: Person, public_id: uuid.UUID, today: datetime.date
) -> Bill | None:
    """The bill of the service's current fee, if it has one above zero."""
    fee = current_fee(service, today)
    if fee is None or fee.amount_minor <= 0 or service.fee_biller is None:
        return None
    return raise_service_fee_bill(
        biller=service.fee_biller,
        payer=payer,
        reference=f"application:{public_id}",
        fee_type="service_fee",
        amount_minor=fee.amount_minor,
        currency=fee.currency,
        due_date=today + FEE_DUE_IN,
    )


def _to_decision(application: Application) -> None:
    """Automatic and proactive services are decided by the rules on a worker; manual ones go
    to an officer's queue."""
    if application.service.approval_mode == Service.ApprovalMode.MANUAL:
        send_to_manual_review(application, actor_kind=SYSTEM, reason="")
        notices.application_decided(application, reasons=[])
        return
    transition(application, S.CHECKING, actor_kind=SYSTEM)
    transaction.on_commit(request_decisions)


@transaction.atomic
def fee_paid(*, bill_id: int) -> Application | None:
    """The fee of an application waiting for payment was paid: it goes to be decided. Nothing
    happens when no application waits for this bill (any more)."""
    pk = (
        Application.objects.filter(bill_id=bill_id, status=S.AWAITING_PAYMENT)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        return None
    application = lock_application(pk)
    if application.status != S.AWAITING_PAYMENT:
        return application
    if not Bill.objects.filter(pk=bill_id, status=Bill.Status.PAID).exists():
        return application
    _to_decision(application)
    return application


def paid_bills_waiting() -> list[int]:
    """Bills paid whose application still waits for payment (the paid-bill task was lost)."""
    return list(
        Application.objects.filter(status=S.AWAITING_PAYMENT, bill__status=Bill.Status.PAID)
        .order_by("pk")
        .values_list("bill_id", flat=True)[:500]
    )


# The applicant's other moves ----------------------------------------------------------------


@transaction.atomic
def withdraw_application(*, application: Application, by: Person, reason: str = "") -> Application:
    """The applicant withdraws an application before it is decided; an unpaid fee bill is
    cancelled with it."""
    application = _lock_for_applicant(application, by)
    transition(application, S.WITHDRAWN, actor_kind=APPLICANT, actor=by.user, reason=reason)
    bill = application.bill
    if bill is not None and bill.status in Bill.PAYABLE and bill.paid_minor == 0:
        cancel_bill(bill=bill, reason=f"application {application.reference} withdrawn")
    return application


@transaction.atomic
def request_human_review(*, application: Application, by: Person, reason: str) -> Application:
    """The applicant asks an officer to look again at an automatic rejection (once)."""
    application = _lock_for_applicant(application, by)
    if not can_request_human_review(application):
        raise HumanReviewNotAllowed(application_status=application.status)
    transition(
        application,
        S.MANUAL_REVIEW,
        actor_kind=APPLICANT,
        actor=by.user,
        reason=reason,
        review_requested=True,
        deadline=timezone.now() + application.service.manual_deadline,
    )
    notices.application_decided(application, reasons=[])
    return application


# The form ---------------------------------------------------------------------------------


def _check_is_object(data: Any) -> None:
    if not isinstance(data, dict):
        raise InvalidApplicationData(
            errors=[field_error("data", "type", _("The data must be an object."))]
        )


def check_data(service: Service, data: Any) -> None:
    """The data matches the service's form (JSON Schema 2020-12); every problem is listed."""
    _check_is_object(data)
    errors = data_errors(service.input_schema or {}, data)
    if errors:
        raise InvalidApplicationData(errors=errors)


def data_errors(schema: Mapping[str, Any], data: Any) -> list[dict[str, Any]]:
    """Per-field errors of `data` against `schema`: the field's dotted path in the data (the
    missing property for `required`, the unexpected one for `additionalProperties`; `data`
    for the whole object) and the JSON Schema keyword as the code."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for error in validator.iter_errors(data):
        for field, detail in _fields_of(error):
            code = str(error.validator)
            found.setdefault((field, code), field_error(field, code, detail))
    return sorted(found.values(), key=lambda entry: (entry["field"], entry["code"]))


def _fields_of(error: SchemaError) -> Iterable[tuple[str, Any]]:
    path = [str(part) for part in error.absolute_path]
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required":
        for name in error.validator_value:
            if name not in instance:
                yield _dotted([*path, name]), _("This field is required.")
        return
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, dict) else {}
        declared = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        for name in instance:
            if name not in declared and not any(re.search(p, name) for p in patterns):
                yield _dotted([*path, name]), _("This field is not part of the form.")
        return
    yield _dotted(path), error.message


def _dotted(path: list[str]) -> str:
    return ".".join(path) or "data"


# Evidence --------------------------------------------------------------------------------------


def _resolve_evidence(
    service: Service,
    items: Sequence[EvidenceInput],
    *,
    submitted_by: Person,
    holder: Person | None,
    application: Application | None,
) -> list[_Chosen]:
    """Each item names a requirement of the service and an upload of the submitter (not used
    by another application) or a valid credential of the applicant or submitter of the
    requirement's type."""
    if not items:
        return []
    requirements = {r.code: r for r in service.evidence.select_related("credential_type")}
    upload_ids = {str(item.upload) for item in items if item.upload}
    uploads = {
        str(upload.public_id): upload
        for upload in Upload.objects.filter(public_id__in=_uuids(upload_ids), owner=submitted_by)
    }
    used = set(
        Evidence.objects.filter(upload__in=list(uploads.values()))
        .exclude(application=application)
        .values_list("upload_id", flat=True)
        if uploads
        else ()
    )
    credential_ids = [item.credential for item in items if item.credential]
    holders = {submitted_by.pk} | ({holder.pk} if holder is not None else set())
    credentials = {
        credential.pk: credential
        for credential in Credential.objects.filter(pk__in=credential_ids, holder_id__in=holders)
    }
    today = timezone.localdate()
    errors: list[dict[str, Any]] = []

    def refuse(field: str, code: str, detail: Any) -> None:
        errors.append(field_error(field, code, detail))

    chosen: list[_Chosen] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        at = f"evidence.{index}"
        requirement = requirements.get(item.requirement)
        if requirement is None:
            refuse(
                f"{at}.requirement",
                "unknown_requirement",
                _("The service asks for no evidence with this code."),
            )
            continue
        if requirement.code in seen:
            refuse(f"{at}.requirement", "duplicate", _("This requirement is listed twice."))
            continue
        seen.add(requirement.code)
        if bool(item.upload) == bool(item.credential):
            refuse(at, "invalid", _("Give either an upload or a credential."))
            continue
        if item.upload:
            upload = uploads.get(str(item.upload))
            if not requirement.accepts_upload:
                refuse(
                    f"{at}.upload",
                    "upload_not_accepted",
                    _("This requirement is met by a credential only."),
                )
            elif upload is None:
                refuse(f"{at}.upload", "not_found", _("No such upload of yours."))
            elif upload.pk in used:
                refuse(
                    f"{at}.upload",
                    "already_used",
                    _("This upload is evidence of another application."),
                )
            else:
                chosen.append(_Chosen(requirement, upload, None))
            continue
        credential = credentials.get(int(item.credential or 0))
        if credential is None:
            refuse(f"{at}.credential", "not_found", _("No such credential in the wallet."))
        elif requirement.credential_type_id != credential.type_id:
            refuse(
                f"{at}.credential", "wrong_type", _("This credential is not of the type asked for.")
            )
        elif not credential.is_valid_on(today):
            refuse(f"{at}.credential", "not_valid", _("This credential is not valid today."))
        else:
            chosen.append(_Chosen(requirement, None, credential))
    if errors:
        raise InvalidEvidence(errors=errors)
    return chosen


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    parsed = []
    for value in values:
        try:
            parsed.append(uuid.UUID(value))
        except ValueError:
            continue
    return parsed


def _check_complete(service: Service, chosen: list[_Chosen], *, already: Iterable[int]) -> None:
    """Every required piece of evidence is given (now, or before for a resubmission)."""
    given = {item.requirement.pk for item in chosen} | set(already)
    # .all(): the requirements read with the service (service_to_apply), when they were.
    missing = [
        requirement
        for requirement in service.evidence.all()
        if requirement.is_required and requirement.pk not in given
    ]
    if missing:
        raise InvalidEvidence(
            errors=[
                field_error(
                    "evidence",
                    "required",
                    _("Evidence needed: %(name)s (%(code)s).")
                    % {"name": requirement.name, "code": requirement.code},
                )
                for requirement in missing
            ]
        )


def _store_evidence(application: Application, chosen: list[_Chosen]) -> None:
    """The evidence given replaces what the application held for the same requirements."""
    if not chosen:
        return
    Evidence.objects.filter(
        application=application, requirement__in=[item.requirement for item in chosen]
    ).delete()
    Evidence.objects.bulk_create(
        Evidence(
            application=application,
            requirement=item.requirement,
            upload=item.upload,
            credential=item.credential,
        )
        for item in chosen
    )


# Prefill ---------------------------------------------------------------------------------------


def prefill_for(*, service: Service, party: Person | Business | None) -> dict[str, Any]:
    """What government already knows for this service's form, for this party: only what the
    party consented to (purpose `service:<code>`) or the service's legal basis allows. Each
    value carries its source; fields that cannot be filled are listed as missing."""
    mapping = {
        field: attribute
        for field, attribute in (service.prefill or {}).items()
        if isinstance(attribute, str)
    }
    known = sorted(
        {a for a in mapping.values() if a in PERSON_ATTRIBUTES or credential_type_code(a)}
    )
    values: dict[str, dict[str, Any]] = {}
    if isinstance(party, Person) and known:
        legal_basis = (
            LegalBasis(service.legal_basis, tuple(service.prefill_legal_attributes))
            if service.prefill_legal_attributes
            else None
        )
        values = attributes_for(
            person=party,
            agency=service.agency,
            purpose=f"service:{service.code}",
            attributes=known,
            legal_basis=legal_basis,
        )
    fields = {
        field: {
            "value": _plain(values[attribute]["value"]),
            "source": values[attribute]["source"],
            "attribute": attribute,
        }
        for field, attribute in mapping.items()
        if attribute in values
    }
    return {
        "data": {field: entry["value"] for field, entry in fields.items()},
        "fields": fields,
        "missing": sorted(field for field in mapping if field not in fields),
    }


def prefilled_kept(prefill: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The prefilled fields the applicant kept as they were, with their sources."""
    return {
        field: entry
        for field, entry in prefill.get("fields", {}).items()
        if field in data and data[field] == entry["value"]
    }


def _plain(value: Any) -> Any:
    """As JSON stores it (dates as ISO strings), so it compares with submitted data."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))

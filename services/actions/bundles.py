"""Bundles ("one thing"): one submission with shared data for the services a life event needs,
making one application per bundled service, each decided by its own rules."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError, NotFound, field_error
from identity.models import Mandate, Person
from services.actions.applications import data_errors, submit_application
from services.errors import InvalidApplicationData
from services.models import Application, Bundle, BundleApplication, BundleItem, Service

S = Application.Status
OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.CHECKING, S.MANUAL_REVIEW})
NEEDS_ACTION = frozenset({S.RETURNED, S.AWAITING_PAYMENT})


class BundleNotFound(NotFound):
    code = "bundle_not_found"
    title = _("No such bundle.")


class BundleApplicationNotFound(NotFound):
    code = "bundle_application_not_found"
    title = _("No such bundle application.")


def active_bundles() -> QuerySet[Bundle]:
    """Bundles open for submissions, with their life event and services in order."""
    return (
        Bundle.objects.filter(status=Bundle.Status.ACTIVE)
        .select_related("life_event")
        .prefetch_related(Prefetch("items", queryset=BundleItem.objects.select_related("service")))
    )


def bundle_services(bundle: Bundle) -> list[Service]:
    """The bundled services in their order (uses prefetched items when there are any)."""
    return [item.service for item in bundle.items.all()]


def combined_schema(bundle: Bundle) -> dict[str, Any]:
    """The shared form: the bundle's own JSON Schema, or else the services' forms merged (every
    field any service declares; required when a service requires it)."""
    if bundle.input_schema:
        return dict(bundle.input_schema)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for service in bundle_services(bundle):
        schema = service.input_schema or {}
        for name, spec in (schema.get("properties") or {}).items():
            properties.setdefault(name, spec)
        required += [name for name in schema.get("required") or [] if name not in required]
    return {"type": "object", "properties": properties, "required": required}


def data_for(service: Service, data: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the shared data a service's form declares (its top-level properties)."""
    declared = (service.input_schema or {}).get("properties") or {}
    return {name: value for name, value in data.items() if name in declared}


def _for_service(error: DomainError, service: Service) -> DomainError:
    """The same refusal, saying which bundled service refused: `service` names it and each
    field of `errors` is prefixed with its code."""
    extra = dict(error.extra)
    fields = extra.get("errors")
    if isinstance(fields, Sequence):
        extra["errors"] = [
            field_error(
                f"{service.code}.{entry['field']}" if entry.get("field") else service.code,
                entry.get("code", "invalid"),
                entry.get("detail", ""),
            )
            for entry in fields
        ]
    extra["service"] = service.code
    refusal = type(error)(error.detail, **extra)
    return refusal


@transaction.atomic
def submit_bundle(
    *,
    bundle: Bundle,
    submitted_by: Person,
    applicant: Person,
    mandate: Mandate | None,
    data: dict[str, Any],
    language: str,
) -> BundleApplication:
    """Apply for every service of an active bundle at once: the shared data is checked against
    the bundle's form, each service receives the fields its own form declares, and each
    application is decided by its service's rules. All or nothing: when one service refuses,
    no application is made, and the error names the service."""
    if bundle.status != Bundle.Status.ACTIVE:
        raise BundleNotFound()
    errors = data_errors(combined_schema(bundle), data)
    if errors:
        raise InvalidApplicationData(errors=errors)
    bundle_application = BundleApplication.objects.create(
        bundle=bundle, applicant=applicant, submitted_by=submitted_by, data=data
    )
    items = bundle.items.select_related("service").order_by("position", "pk")
    for item in items:
        try:
            submit_application(
                service=item.service,
                submitted_by=submitted_by,
                applicant=applicant,
                business=None,
                mandate=mandate,
                data=data_for(item.service, data),
                language=language,
                bundle_application=bundle_application,
            )
        except DomainError as error:
            raise _for_service(error, item.service) from error
    return bundle_application


def bundle_status(bundle_application: BundleApplication) -> str:
    """The combined status of a bundle's applications, the first rule that holds:

    - `needs_action`: one waits for the applicant (returned for more information, or a fee to
      pay);
    - `in_progress`: one is still being decided (submitted, checking, manual review);
    - withdrawn applications count no further; when all were withdrawn: `withdrawn`;
    - `approved` when every other one was approved, `rejected` when every other one was
      rejected, `partially_approved` when some were approved and some rejected.

    Uses prefetched applications when there are any.
    """
    statuses = [a.status for a in bundle_application.applications.all()]
    if any(s in NEEDS_ACTION for s in statuses):
        return "needs_action"
    if not statuses or any(s in OPEN for s in statuses):
        return "in_progress"
    decided = [s for s in statuses if s != S.WITHDRAWN]
    if not decided:
        return "withdrawn"
    if all(s == S.APPROVED for s in decided):
        return "approved"
    if all(s == S.REJECTED for s in decided):
        return "rejected"
    return "partially_approved"


BUNDLE_STATUSES = (
    "in_progress",
    "needs_action",
    "approved",
    "partially_approved",
    "rejected",
    "withdrawn",
)

"""Changes to the catalogue: keeping a service's search document current, checking the JSON
Schema of its application form, and moving it between draft, active, suspended and retired."""

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from services import search
from services.models import Fee, Service

logger = logging.getLogger("cityportal.services")

REINDEX_BATCH_SIZE = 1000


def refresh_search_document(service: Service) -> Service:
    """Recompute the service's search document from its texts in all three languages. Called
    whenever a service's name, summary, keywords or description may have changed."""
    service.search_document = search.document_of(service)
    Service.objects.filter(pk=service.pk).update(search_document=service.search_document)
    return service


# The generator and the demo data speak of indexing a service.
index_service = refresh_search_document


def reindex_services(
    queryset: QuerySet[Service] | None = None, *, batch_size: int = REINDEX_BATCH_SIZE
) -> int:
    """Recompute the search documents of many services in batches; returns how many."""
    services = (queryset if queryset is not None else Service.objects.all()).order_by("pk")
    batch: list[Service] = []
    done = 0
    for service in services.iterator(chunk_size=batch_size):
        service.search_document = search.document_of(service)
        batch.append(service)
        if len(batch) >= batch_size:
            done += _save_documents(batch)
    return done + _save_documents(batch)


def _save_documents(batch: list[Service]) -> int:
    Service.objects.bulk_update(batch, ["search_document"])
    count = len(batch)
    batch.clear()
    return count


def _location(path: Any) -> str:
    return "/".join(str(part) for part in path) or "(top level)"


def validate_input_schema(schema: Any) -> None:
    """The application form must be a valid JSON Schema (draft 2020-12) describing an object;
    raises ValidationError naming the first problem and where it is."""
    if not isinstance(schema, dict):
        raise ValidationError(
            _("The form must be a JSON object (a JSON Schema), not %(kind)s.")
            % {"kind": type(schema).__name__},
            code="invalid_schema",
        )
    meta = Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = list(meta.iter_errors(schema))
    if errors:
        error = best_match(errors)
        raise ValidationError(
            _("Not a valid JSON Schema at %(where)s: %(problem)s")
            % {"where": _location(error.absolute_path), "problem": error.message},
            code="invalid_schema",
        )
    declared = schema.get("type")
    if declared is not None and declared != "object":
        raise ValidationError(
            _('The application data is an object: the form\'s "type" must be "object", not '
              "%(type)s.") % {"type": declared},
            code="invalid_schema",
        )  # fmt: skip


class ServiceStatusError(ValidationError):
    pass


@transaction.atomic
def set_service_status(*, service: Service, status: str, by: Any) -> Service:
    """Open, suspend, retire or return a service to draft. A retired service stays retired:
    its code and history remain, and a new service takes its place."""
    if status not in Service.Status.values:
        raise ServiceStatusError(
            _("Unknown status %(status)s.") % {"status": status}, code="invalid_choice"
        )
    service = Service.objects.select_for_update().get(pk=service.pk)
    if service.status == status:
        return service
    if service.status == Service.Status.RETIRED:
        raise ServiceStatusError(_("A retired service cannot be reopened."), code="retired")
    previous = service.status
    service.status = status
    service.save(update_fields=["status", "updated_at"])
    logger.info("Service %s (%s) %s -> %s by %s", service.code, service.pk, previous, status, by)
    return service


def current_fee(service: Service, on: datetime.date | None = None) -> Fee | None:
    """The fee in force on a day (today by default), if any. Reads prefetched fees."""
    day = on or timezone.localdate()
    in_force = [fee for fee in service.fees.all() if fee.is_valid_on(day)]
    return max(in_force, key=lambda fee: fee.valid_from, default=None)


def fees_from(fees: Iterable[Fee], on: datetime.date | None = None) -> list[Fee]:
    """Of a service's fees, those in force on a day (today by default) and those still to
    come, earliest first."""
    day = on or timezone.localdate()
    return sorted(
        (fee for fee in fees if fee.valid_until is None or day < fee.valid_until),
        key=lambda fee: (fee.valid_from, fee.pk),
    )

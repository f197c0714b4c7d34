"""The Open311 GeoReport v2 server (HTTP only), with mySociety's servicerequestupdates.

    GET  discovery.{fmt}
    GET  services.{fmt}?jurisdiction_id=
    GET  services/{service_code}.{fmt}?jurisdiction_id=
    POST requests.{fmt}                 api_key (an integrator's token, scope open311:write)
    GET  requests.{fmt}?jurisdiction_id=   also service_request_id, service_code, start_date,
                                        end_date, status
    GET  requests/{service_request_id}.{fmt}?jurisdiction_id=
    GET  servicerequestupdates.{fmt}?jurisdiction_id=&start_date=&end_date=

`fmt` is xml or json; anything else is a 404 (in XML, the format every client reads). The
endpoint serves every jurisdiction, so jurisdiction_id (identity's Jurisdiction.code) is
required by every method but discovery. Errors are Open311's own document with 400, 403 or
404, never the rest of the API's problem details. An empty argument counts as absent. Service
requests appear only for public categories, as complaints.publication describes.
"""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from complaints.errors import InvalidComplaint
from complaints.models import ComplaintCategory
from complaints.open311 import queries, serialization
from complaints.open311.actions import ServiceRequest, submit_service_request
from complaints.open311.errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    Open311Error,
)
from complaints.open311.formats import FORMATS, XML, render
from complaints.states import OPEN311_CLOSED
from identity.actions.clients import authenticate_client
from identity.models import ApiClient, Jurisdiction

MAX_SPAN = datetime.timedelta(days=90)
ATTRIBUTE = re.compile(r"attribute\[(?P<code>[^\[\]]+)\](?P<many>\[\])?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MEDIA_URL_MAX = 2000
TEXT_MAX = 200
# An intake error's field → the Open311 argument it came from.
ARGUMENTS = {
    "category": "service_code",
    "description": "description",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "location": "lat/long",
    "contact_name": "first_name/last_name",
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_preference": "email/phone",
}

View = Callable[..., HttpResponse]


def open311(*methods: str) -> Callable[[View], View]:
    """An Open311 method answering `methods`: the format checked first, Open311Error answered
    as Open311's error document in that format."""

    def decorate(view: View) -> View:
        @csrf_exempt  # integrators post with an API key, not a browser session
        @wraps(view)
        def wrapper(request: HttpRequest, *, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in FORMATS:
                return _error(NotFound(_("Ask for .xml or .json.")), XML)
            try:
                if request.method not in methods:
                    raise MethodNotAllowed(list(methods))
                response = view(request, fmt=fmt, **kwargs)
            except Open311Error as error:
                return _error(error, fmt)
            patch_vary_headers(response, ("Accept-Language",))
            return response

        return wrapper

    return decorate


def _error(error: Open311Error, fmt: str) -> HttpResponse:
    response = render(error.as_document(), root="errors", fmt=fmt, status=error.status)
    if isinstance(error, MethodNotAllowed):
        response["Allow"] = ", ".join(error.allowed)
    return response


# Arguments ----------------------------------------------------------------------------------


def _argument(params: QueryDict, name: str) -> str:
    """An argument's value, stripped; empty when absent (Open311: the same thing)."""
    return (params.get(name) or "").strip()


def _jurisdiction(params: QueryDict) -> Jurisdiction:
    code = _argument(params, "jurisdiction_id")
    if not code:
        raise BadRequest(_("jurisdiction_id is required: this endpoint serves several."))
    jurisdiction = queries.jurisdiction_with_code(code)
    if jurisdiction is None:
        raise NotFound(_("No jurisdiction has the id %(id)s.") % {"id": code})
    return jurisdiction


def _listed(params: QueryDict, name: str) -> list[str]:
    return [item.strip() for item in _argument(params, name).split(",") if item.strip()]


def _moment(params: QueryDict, name: str, zone: ZoneInfo) -> datetime.datetime | None:
    """A W3C datetime argument, which must carry its zone; a bare date is its first moment in
    the jurisdiction's zone."""
    text = _argument(params, name)
    if not text:
        return None
    # A "+01:00" sent without URL-encoding arrives with a space for its plus sign.
    text = text.replace(" ", "+")
    invalid = BadRequest(
        _("%(name)s is not a W3C datetime with a time zone, e.g. 2026-11-22T10:15:00+07:00.")
        % {"name": name}
    )
    try:
        if DATE.fullmatch(text):
            day = datetime.date.fromisoformat(text)
            return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
        moment = parse_datetime(text)
    except ValueError:
        raise invalid from None
    if moment is None or timezone.is_naive(moment):
        raise invalid
    return moment


def _window(params: QueryDict, zone: ZoneInfo) -> tuple[datetime.datetime, datetime.datetime]:
    """start_date and end_date: by default the last 90 days, never more than 90 days."""
    start, end = _moment(params, "start_date", zone), _moment(params, "end_date", zone)
    if start is None:
        end = end or timezone.now()
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if start > end:
        raise BadRequest(_("start_date comes after end_date."))
    if end - start > MAX_SPAN:
        raise BadRequest(_("start_date and end_date may span at most 90 days."))
    return start, end


def _zone(jurisdiction: Jurisdiction) -> ZoneInfo:
    return ZoneInfo(jurisdiction.time_zone)


# Methods ------------------------------------------------------------------------------------


@open311("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    here = reverse("open311:discovery", kwargs={"fmt": fmt})
    base = request.build_absolute_uri(here.rsplit("/", 1)[0] + "/")
    return render(serialization.discovery(base), root="discovery", fmt=fmt)


@open311("GET")
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request.GET)
    categories = queries.services_of(jurisdiction)
    return render(serialization.services(categories), root="services", fmt=fmt)


@open311("GET")
def service_definition(request: HttpRequest, *, fmt: str, service_code: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request.GET)
    category = queries.service_with_code(jurisdiction, service_code)
    if category is None:
        raise NotFound(_("No service has the code %(code)s.") % {"code": service_code})
    return render(serialization.service_definition(category), root="service_definition", fmt=fmt)


@open311("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    jurisdiction = _jurisdiction(request.GET)
    zone = _zone(jurisdiction)
    found = queries.public_requests(jurisdiction)
    numbers = _listed(request.GET, "service_request_id")
    if numbers:  # overrides every other argument
        found = found.filter(tracking_number__in=numbers)
    else:
        start, end = _window(request.GET, zone)
        found = found.filter(created_at__gte=start, created_at__lte=end)
        codes = _listed(request.GET, "service_code")
        if codes:
            found = found.filter(category__code__in=codes)
        statuses = {status.lower() for status in _listed(request.GET, "status")}
        if statuses - {"open", "closed"}:
            raise BadRequest(_("status is open, closed, or both separated by a comma."))
        if statuses == {"open"}:
            found = found.exclude(status__in=OPEN311_CLOSED)
        elif statuses == {"closed"}:
            found = found.filter(status__in=OPEN311_CLOSED)
    document = [serialization.service_request(c, zone) for c in found[: queries.LIMIT]]
    return render(document, root="service_requests", fmt=fmt)


@open311("GET")
def service_request(request: HttpRequest, *, fmt: str, service_request_id: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request.GET)
    complaint = (
        queries.public_requests(jurisdiction).filter(tracking_number=service_request_id).first()
    )
    if complaint is None:
        raise NotFound(_("No service request has the id %(id)s.") % {"id": service_request_id})
    document = [serialization.service_request(complaint, _zone(jurisdiction))]
    return render(document, root="service_requests", fmt=fmt)


@open311("GET")
def service_request_updates(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """mySociety's extension: the public history of the jurisdiction's public requests within
    the window (by default the last 90 days), the newest 1,000, oldest first."""
    jurisdiction = _jurisdiction(request.GET)
    zone = _zone(jurisdiction)
    start, end = _window(request.GET, zone)
    newest = queries.public_updates(jurisdiction, start=start, end=end).reverse()
    events = list(newest[: queries.LIMIT])[::-1]
    document = [serialization.request_update(event, zone) for event in events]
    return render(document, root="service_request_updates", fmt=fmt)


# Posting a request --------------------------------------------------------------------------


def _client(params: QueryDict) -> ApiClient:
    token = _argument(params, "api_key")
    client = authenticate_client(token=token) if token else None
    if client is None:
        raise Forbidden(_("A valid api_key is required to post a service request."))
    if not client.has_scope(ApiClient.Scope.OPEN311_WRITE):
        raise Forbidden(_("This api_key may not post service requests."))
    return client


def _service(jurisdiction: Jurisdiction, params: QueryDict) -> ComplaintCategory:
    code = _argument(params, "service_code")
    if not code:
        raise BadRequest(_("service_code is required."))
    category = queries.services_of(jurisdiction).filter(code=code).first()
    if category is None:
        raise NotFound(_("No service has the code %(code)s.") % {"code": code})
    return category


def _coordinate(params: QueryDict, name: str) -> Decimal | None:
    text = _argument(params, name)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise BadRequest(_("%(name)s is not a number.") % {"name": name})
    return value


def _answers(params: QueryDict) -> dict[str, Any]:
    """attribute[code]=value, and attribute[code][]=value repeated for a multivaluelist."""
    answers: dict[str, Any] = {}
    for name, values in params.lists():
        matched = ATTRIBUTE.fullmatch(name)
        if matched is None:
            continue
        given = [value.strip() for value in values if value.strip()]
        if matched["many"]:
            answers[matched["code"]] = given
        elif given:
            answers[matched["code"]] = given[-1]
    return answers


def _text(params: QueryDict, name: str, limit: int = TEXT_MAX) -> str:
    text = _argument(params, name)
    if len(text) > limit:
        raise BadRequest(
            _("%(name)s may be at most %(max)s characters.") % {"name": name, "max": limit}
        )
    return text


def _media_url(params: QueryDict) -> str:
    url = _argument(params, "media_url")
    if not url:
        return ""
    try:
        if len(url) > MEDIA_URL_MAX:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise BadRequest(_("media_url is not an http or https URL.")) from None
    return url


def _read_request(params: QueryDict) -> ServiceRequest:
    latitude, longitude = _coordinate(params, "lat"), _coordinate(params, "long")
    address, address_id = _text(params, "address_string", 300), _text(params, "address_id")
    if latitude is None and longitude is None and not address and not address_id:
        raise BadRequest(_("Give a location: lat and long, address_string, or address_id."))
    return ServiceRequest(
        description=_argument(params, "description"),
        latitude=latitude,
        longitude=longitude,
        address=address,
        address_id=address_id,
        answers=_answers(params),
        first_name=_text(params, "first_name"),
        last_name=_text(params, "last_name"),
        email=_text(params, "email", 254),
        phone=_text(params, "phone", 40),
        media_url=_media_url(params),
    )


def _refusals(refused: InvalidComplaint) -> list[str]:
    """Intake's errors, each named by the Open311 argument it concerns."""
    descriptions = []
    for error in refused.extra.get("errors", []):
        field = error.get("field") or ""
        if field.startswith("answers."):
            argument = f"attribute[{field.removeprefix('answers.')}]"
        else:
            argument = ARGUMENTS.get(field, field)
        descriptions.append(f"{argument}: {error['detail']}" if argument else error["detail"])
    return descriptions or [str(refused.detail)]


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.POST
    client = _client(params)
    jurisdiction = _jurisdiction(params)
    category = _service(jurisdiction, params)
    given = _read_request(params)
    try:
        submitted = submit_service_request(client=client, category=category, request=given)
    except InvalidComplaint as refused:
        raise BadRequest(*_refusals(refused)) from None
    document = [serialization.created_request(submitted.complaint)]
    return render(document, root="service_requests", fmt=fmt)

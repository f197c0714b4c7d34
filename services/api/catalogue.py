"""The public service catalogue (HTTP only; search lives in services.search).

Anyone, signed in or not:
    GET /services                  search (`q`) and filters, relevance first when searching
    GET /services/{code}           one service in full, in the language asked for plus all three;
                                   as CPSV-AP JSON-LD with `Accept: application/ld+json`
    GET /services/{code}/jsonld    the same JSON-LD at its own address
    GET /life-events, GET /categories

Only active and suspended services are shown; drafts and retired services are not there.
Every answer carries a strong ETag and `Cache-Control: public, max-age=300`; a conditional
GET whose If-None-Match still matches answers 304 without a body.
"""

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import isodate
from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from cityportal.api.pagination import PageNumberPagination
from cityportal.api.schema import PROBLEM_REF
from cityportal.errors import DomainError
from identity.models import Jurisdiction
from services.actions.catalogue import fees_from
from services.errors import ServiceNotFound
from services.models import Category, EvidenceRequirement, Fee, LifeEvent, Service
from services.search import Search, listing, search

TAGS = ["catalogue"]
PUBLIC_STATUSES = (Service.Status.ACTIVE, Service.Status.SUSPENDED)
# The languages of the catalogue, as Accept-Language and JSON-LD name them, and the suffix of
# their columns.
LANGUAGES = (("en", "en", "en"), ("th", "th", "th"), ("zh-hans", "zh-Hans", "zh_hans"))
MAX_AGE = 300
VARY = ("Accept-Language", "Accept")
JSONLD_CONTEXT = {
    "adms": "http://www.w3.org/ns/adms#",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dct": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# As LifeEvent.audience: one choice set, so one enum in the schema.
AUDIENCES = [("person", _("people")), ("business", _("businesses"))]
# ISO 4217 currencies without minor units; every other one has two.
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"}


class JurisdictionRequired(DomainError):
    status = 400
    code = "jurisdiction_required"
    title = _("Several jurisdictions offer a service with this code: say which one.")


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


# Reads --------------------------------------------------------------------------------------


def public_services() -> QuerySet[Service]:
    """What the public catalogue shows: active and suspended services."""
    return Service.objects.filter(status__in=PUBLIC_STATUSES)


def jurisdiction_chain(code: str) -> list[Jurisdiction]:
    """The jurisdiction with this code and those above it, nearest first; [] when unknown."""
    found = Jurisdiction.objects.select_related("parent__parent").filter(code=code).first()
    return found.ancestors_and_self() if found is not None else []


def covering(services: QuerySet[Service], chain: Sequence[Jurisdiction]) -> QuerySet[Service]:
    """Services offered in the first jurisdiction of the chain: offered there or above it,
    directly or as another place they are also offered in."""
    also = Service.also_offered_in.through.objects.filter(jurisdiction__in=chain)
    return services.filter(Q(jurisdiction__in=chain) | Q(pk__in=also.values("service_id")))


def _translated(*fields: str) -> list[str]:
    return [f"{field}_{suffix}" for field in fields for _code, _tag, suffix in LANGUAGES]


# What a list item shows: the search document, descriptions and forms stay in the database.
LIST_COLUMNS = (
    "code",
    *_translated("name", "summary"),
    "agency__code",
    *(f"agency__{column}" for column in _translated("name")),
    "jurisdiction__code",
    "jurisdiction__level",
    *(f"jurisdiction__{column}" for column in _translated("name")),
    "for_persons",
    "for_businesses",
    "channels",
    "processing_time",
    "minimum_level_of_assurance",
    "approval_mode",
    "status",
    "updated_at",
)


def _for_list(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.select_related("agency", "jurisdiction").only(*LIST_COLUMNS)


@dataclass
class ServiceLists:
    categories: list[Category] = field(default_factory=list)
    life_events: list[LifeEvent] = field(default_factory=list)
    fees: list[Fee] = field(default_factory=list)


def lists_of(services: Sequence[Service]) -> dict[int, ServiceLists]:
    """The categories, life events and fees of many services, in three queries.

    Not prefetch_related: it builds a queryset per service and relation, about a millisecond
    per service of a page with translated models; the serializers read these lists from their
    context instead."""
    lists = {service.pk: ServiceLists() for service in services}
    categories = Service.categories.through.objects.filter(service_id__in=lists)
    for link in categories.select_related("category").order_by(
        "category__position", "category__code"
    ):
        lists[link.service_id].categories.append(link.category)
    events = Service.life_events.through.objects.filter(service_id__in=lists)
    for link in events.select_related("lifeevent").order_by(
        "lifeevent__position", "lifeevent__code"
    ):
        lists[link.service_id].life_events.append(link.lifeevent)
    for fee in Fee.objects.filter(service_id__in=lists).order_by("valid_from", "pk"):
        lists[fee.service_id].fees.append(fee)
    return lists


DETAIL_PREFETCH = (
    "also_offered_in",
    Prefetch("evidence", queryset=EvidenceRequirement.objects.select_related("credential_type")),
)


# Caching ------------------------------------------------------------------------------------


def _etag(*parts: Any) -> str:
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f'"{digest[:40]}"'


def _variant(request: Request) -> tuple[str, str, str]:
    """What else an answer depends on: the language, the media type, and the day (fees in
    force change at midnight)."""
    renderer = getattr(request, "accepted_renderer", None)
    media_type = renderer.media_type if renderer is not None else ""
    return (translation.get_language(), media_type, timezone.localdate().isoformat())


def _is_fresh(request: Request, etag: str) -> bool:
    given = request.headers.get("If-None-Match")
    if not given:
        return False
    tags = parse_etags(given)
    return "*" in tags or etag in tags


def _cached(response: Response, etag: str) -> Response:
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    patch_vary_headers(response, VARY)
    return response


def _conditional(request: Request, etag: str, build: Callable[[], Response]) -> Response:
    """304 when the client's copy is current, otherwise the answer `build` makes."""
    if _is_fresh(request, etag):
        return _cached(Response(status=304), etag)
    return _cached(build(), etag)


# Serializers -------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "duration", "example": "P5D", "nullable": True})
class IsoDurationField(serializers.Field):
    """A timedelta as an ISO 8601 duration ("P5D", "PT4H")."""

    def to_representation(self, value: datetime.timedelta) -> str:
        return str(isodate.duration_isoformat(value))


class RefOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the language asked for with Accept-Language.")


class JurisdictionOutput(RefOutput):
    level = serializers.CharField()


class FeeOutput(serializers.ModelSerializer[Fee]):
    class Meta:
        model = Fee
        fields = ["amount_minor", "currency", "valid_from", "valid_until", "description"]
        read_only_fields = fields


class EvidenceOutput(serializers.ModelSerializer[EvidenceRequirement]):
    credential_type = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="A wallet credential of this type satisfies the requirement.",
    )

    class Meta:
        model = EvidenceRequirement
        fields = ["code", "name", "credential_type", "accepts_upload", "is_required"]
        read_only_fields = fields


class TextsOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    summary = serializers.CharField()
    description = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())


class TranslationsOutput(serializers.Serializer[Any]):
    en = TextsOutput()
    th = TextsOutput()
    zh_hans = TextsOutput()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # The language code itself is the key, as in Accept-Language.
        fields["zh-hans"] = fields.pop("zh_hans")
        return fields


def _ref(instance: Category | LifeEvent) -> dict[str, Any]:
    return {"code": instance.code, "name": instance.name}


def _keywords(text: str) -> list[str]:
    return [word.strip() for word in (text or "").split(",") if word.strip()]


class ServiceOutput(serializers.ModelSerializer[Service]):
    name = serializers.CharField(help_text="In the language asked for with Accept-Language.")
    summary = serializers.CharField()
    agency = RefOutput()
    jurisdiction = JurisdictionOutput()
    categories = serializers.SerializerMethodField()
    life_events = serializers.SerializerMethodField()
    audience = serializers.ListField(child=serializers.ChoiceField(choices=AUDIENCES))
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Service.Channel.choices))
    fees = serializers.SerializerMethodField(
        help_text="The fee in force today and those still to come, earliest first."
    )
    processing_time = IsoDurationField(allow_null=True)

    class Meta:
        model = Service
        fields = [
            "code",
            "name",
            "summary",
            "agency",
            "jurisdiction",
            "categories",
            "life_events",
            "audience",
            "channels",
            "fees",
            "processing_time",
            "minimum_level_of_assurance",
            "approval_mode",
            "status",
            "updated_at",
        ]
        read_only_fields = fields

    def _lists(self, service: Service) -> ServiceLists:
        lists: dict[int, ServiceLists] = self.context["lists"]  # lists_of(the services)
        return lists[service.pk]

    # Plain dicts, not a nested serializer per service: building serializers for every item
    # of a page costs more than the search itself.

    @extend_schema_field(RefOutput(many=True))
    def get_categories(self, service: Service) -> list[dict[str, Any]]:
        return [_ref(category) for category in self._lists(service).categories]

    @extend_schema_field(RefOutput(many=True))
    def get_life_events(self, service: Service) -> list[dict[str, Any]]:
        return [_ref(event) for event in self._lists(service).life_events]

    @extend_schema_field(FeeOutput(many=True))
    def get_fees(self, service: Service) -> list[dict[str, Any]]:
        return [_fee(fee) for fee in fees_from(self._lists(service).fees)]


def _fee(fee: Fee) -> dict[str, Any]:
    return {
        "amount_minor": fee.amount_minor,
        "currency": fee.currency,
        "valid_from": fee.valid_from.isoformat(),
        "valid_until": fee.valid_until.isoformat() if fee.valid_until else None,
        "description": fee.description or "",
    }


def service_item(service: Service, lists: ServiceLists) -> dict[str, Any]:
    """A service as a list shows it: what ServiceOutput describes, built by hand, because
    DRF's serializers cost about as much per page as the search itself (the API tests compare
    the two)."""
    return {
        "code": service.code,
        "name": service.name,
        "summary": service.summary or "",
        "agency": {"code": service.agency.code, "name": service.agency.name},
        "jurisdiction": {
            "code": service.jurisdiction.code,
            "name": service.jurisdiction.name,
            "level": service.jurisdiction.level,
        },
        "categories": [_ref(category) for category in lists.categories],
        "life_events": [_ref(event) for event in lists.life_events],
        "audience": service.audience,
        "channels": service.channels,
        "fees": [_fee(fee) for fee in fees_from(lists.fees)],
        "processing_time": (
            isodate.duration_isoformat(service.processing_time)
            if service.processing_time is not None
            else None
        ),
        "minimum_level_of_assurance": service.minimum_level_of_assurance,
        "approval_mode": service.approval_mode,
        "status": service.status,
        "updated_at": serializers.DateTimeField().to_representation(service.updated_at),
    }


class ServiceDetailOutput(ServiceOutput):
    description = serializers.CharField()
    keywords = serializers.SerializerMethodField()
    translations = serializers.SerializerMethodField(
        help_text="The texts in every language, keyed by language code."
    )
    also_offered_in = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="code", many=True, read_only=True
    )
    evidence = EvidenceOutput(many=True)
    manual_deadline = IsoDurationField()
    output_credential_type = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="The wallet credential an approval issues.",
    )

    class Meta(ServiceOutput.Meta):
        fields = [
            *ServiceOutput.Meta.fields[:3],
            "description",
            "keywords",
            "translations",
            *ServiceOutput.Meta.fields[3:5],
            "also_offered_in",
            *ServiceOutput.Meta.fields[5:],
            "evidence",
            "legal_basis",
            "input_schema",
            "manual_deadline",
            "output_credential_type",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_keywords(self, service: Service) -> list[str]:
        return _keywords(service.keywords)

    @extend_schema_field(TranslationsOutput())
    def get_translations(self, service: Service) -> dict[str, Any]:
        return {
            language: {
                "name": getattr(service, f"name_{suffix}") or "",
                "summary": getattr(service, f"summary_{suffix}") or "",
                "description": getattr(service, f"description_{suffix}") or "",
                "keywords": _keywords(getattr(service, f"keywords_{suffix}")),
            }
            for language, _tag, suffix in LANGUAGES
        }


class LifeEventOutput(serializers.ModelSerializer[LifeEvent]):
    services = serializers.SerializerMethodField(help_text="Codes of its active services.")

    class Meta:
        model = LifeEvent
        fields = ["code", "name", "description", "audience", "services"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_services(self, life_event: LifeEvent) -> list[str]:
        return sorted(self.context["services_by_event"].get(life_event.pk, ()))


class CategoryOutput(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ["code", "name"]
        read_only_fields = fields


class ServiceFilterInput(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    jurisdiction = serializers.SlugField(max_length=40, required=False)
    agency = serializers.SlugField(max_length=40, required=False)
    category = serializers.SlugField(max_length=40, required=False)
    life_event = serializers.SlugField(max_length=40, required=False)
    audience = serializers.ChoiceField(choices=AUDIENCES, required=False)
    approval_mode = serializers.ChoiceField(choices=Service.ApprovalMode.choices, required=False)


class ServiceLookupInput(serializers.Serializer[Any]):
    jurisdiction = serializers.SlugField(max_length=40, required=False)


# JSON-LD (CPSV-AP) ---------------------------------------------------------------------------


def _tagged(instance: Any, field: str) -> list[dict[str, str]]:
    """A translated field as JSON-LD language-tagged values (those filled in)."""
    return [
        {"@value": value, "@language": tag}
        for _code, tag, suffix in LANGUAGES
        if (value := getattr(instance, f"{field}_{suffix}", None))
    ]


def _cost_value(fee: Fee) -> str:
    exponent = 0 if fee.currency in ZERO_DECIMAL_CURRENCIES else 2
    units, minor = divmod(fee.amount_minor, 10**exponent)
    return f"{units}.{minor:0{exponent}d}" if exponent else str(units)


def service_jsonld(service: Service, lists: ServiceLists, request: Request) -> dict[str, Any]:
    """The service as a CPSV-AP public service."""
    url = request.build_absolute_uri(
        reverse("services:service", kwargs={"version": "v1", "code": service.code})
    )
    document: dict[str, Any] = {
        "@context": JSONLD_CONTEXT,
        "@id": f"{url}?jurisdiction={service.jurisdiction.code}",
        "@type": "cpsv:PublicService",
        "dct:identifier": service.code,
        "dct:title": _tagged(service, "name"),
        "dct:description": _tagged(service, "description") or _tagged(service, "summary"),
        "dcat:keyword": [
            {"@value": word, "@language": tag}
            for _code, tag, suffix in LANGUAGES
            for word in _keywords(getattr(service, f"keywords_{suffix}"))
        ],
        "cv:hasCompetentAuthority": {
            "@type": "cv:PublicOrganisation",
            "dct:identifier": service.agency.code,
            "skos:prefLabel": _tagged(service.agency, "name"),
        },
        "cv:hasChannel": [
            {"@type": "cv:Channel", "dct:type": channel} for channel in service.channels
        ],
        "cv:hasCost": [
            {
                "@type": "cv:Cost",
                "cv:value": {"@value": _cost_value(fee), "@type": "xsd:decimal"},
                "cv:currency": fee.currency,
                "dct:description": _tagged(fee, "description"),
                "cv:validFrom": fee.valid_from.isoformat(),
                **({"cv:validUntil": fee.valid_until.isoformat()} if fee.valid_until else {}),
            }
            for fee in fees_from(lists.fees)
        ],
        "cv:hasInput": [
            {
                "@type": "cv:Evidence",
                "dct:identifier": evidence.code,
                "dct:title": _tagged(evidence, "name"),
                **({"dct:type": evidence.credential_type.code} if evidence.credential_type else {}),
            }
            for evidence in service.evidence.all()
        ],
        "cv:hasLegalResource": (
            [{"@type": "eli:LegalResource", "dct:title": service.legal_basis}]
            if service.legal_basis
            else []
        ),
        "cv:isGroupedBy": [
            {
                "@type": "cv:LifeEvent",
                "dct:identifier": event.code,
                "dct:title": _tagged(event, "name"),
            }
            for event in lists.life_events
        ],
        "dct:spatial": [
            {
                "@type": "dct:Location",
                "dct:identifier": place.code,
                "skos:prefLabel": _tagged(place, "name"),
            }
            for place in [service.jurisdiction, *service.also_offered_in.all()]
        ],
        "cv:sector": [
            {
                "@type": "skos:Concept",
                "dct:identifier": category.code,
                "skos:prefLabel": _tagged(category, "name"),
            }
            for category in lists.categories
        ],
        "dct:type": [category.code for category in lists.categories],
        "cv:hasOutput": (
            [{"@type": "cv:Output", "dct:identifier": service.output_credential_type.code}]
            if service.output_credential_type
            else []
        ),
        "adms:status": service.status,
        "dct:modified": service.updated_at.isoformat(),
    }
    if service.processing_time is not None:
        document["cv:processingTime"] = {
            "@value": isodate.duration_isoformat(service.processing_time),
            "@type": "xsd:duration",
        }
    return document


# Views ---------------------------------------------------------------------------------------


class _CountedPaginator(DjangoPaginator):
    """A paginator told the count it would otherwise query for."""

    def __init__(self, object_list: Any, per_page: Any, *, count: int, **options: Any) -> None:
        super().__init__(object_list, per_page, **options)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


class _SearchPages:
    """The services of a search as the paginator slices them: each page read on its own (see
    Search.page), with what a list item shows."""

    def __init__(self, found: Search) -> None:
        self.found = found

    def __getitem__(self, bounds: slice) -> list[Service]:
        return self.found.page(bounds.start, bounds.stop, _for_list)


class CataloguePagination(PageNumberPagination):
    page_size = 20

    def paginate_with_count(
        self, queryset: Any, request: Request, view: Any, count: int
    ) -> list[Service] | None:
        self.django_paginator_class = partial(_CountedPaginator, count=count)  # type: ignore[assignment]
        return self.paginate_queryset(queryset, request, view)


SERVICE_FILTERS = [
    OpenApiParameter(
        "q",
        str,
        description="Words to search for, in English, Thai or Chinese; small English typos are "
        "forgiven. Results come best first.",
    ),
    OpenApiParameter(
        "jurisdiction",
        str,
        description="Services offered there (a jurisdiction code); a service offered in a "
        "province or city covers the districts below it.",
    ),
    OpenApiParameter("agency", str, description="Services of this agency (its code)."),
    OpenApiParameter("category", str, description="Services in this category (its code)."),
    OpenApiParameter("life_event", str, description="Services for this life event (its code)."),
    OpenApiParameter("audience", str, enum=["person", "business"], description="Offered to."),
    OpenApiParameter("approval_mode", str, enum=Service.ApprovalMode.values),
]


class ServiceListView(ListAPIView[Service]):
    """The public catalogue: active and suspended services."""

    permission_classes = [AllowAny]
    serializer_class = ServiceOutput
    pagination_class = CataloguePagination

    def filtered(self) -> Search:
        given = ServiceFilterInput(data=self.request.query_params)
        given.is_valid(raise_exception=True)
        filters = given.validated_data
        services = public_services()
        if "jurisdiction" in filters:
            services = covering(services, jurisdiction_chain(filters["jurisdiction"]))
        if "agency" in filters:
            services = services.filter(agency__code=filters["agency"])
        if "category" in filters:
            services = services.filter(categories__code=filters["category"])
        if "life_event" in filters:
            services = services.filter(life_events__code=filters["life_event"])
        if filters.get("audience") == "person":
            services = services.filter(for_persons=True)
        elif filters.get("audience") == "business":
            services = services.filter(for_businesses=True)
        if "approval_mode" in filters:
            services = services.filter(approval_mode=filters["approval_mode"])
        if filters.get("q", "").strip():
            return search(services, filters["q"])
        return listing(services.order_by("code", "pk"))

    @extend_schema(tags=TAGS, summary="Search the service catalogue", parameters=SERVICE_FILTERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = self.filtered()
        # One query tells whether anything changed (and how many there are, for the pages).
        state = found.state()
        etag = _etag(
            "services", state.latest, state.total, request.GET.urlencode(),
            *_variant(request),
        )  # fmt: skip

        def build() -> Response:
            # The same ETag is the same page (its links name the host): kept as long as a
            # shared cache may keep it, so a popular search is counted, not read again.
            key = "catalogue:services:" + _etag(etag, request.build_absolute_uri())
            data = cache.get(key)
            if data is None:
                paginator = cast(CataloguePagination, self.paginator)
                pages = _SearchPages(found)
                page = paginator.paginate_with_count(pages, request, self, count=state.total)
                lists = lists_of(page or [])
                body = [service_item(service, lists[service.pk]) for service in page or []]
                data = paginator.get_paginated_response(body).data
                cache.set(key, data, MAX_AGE)
            return Response(data)

        return _conditional(request, etag, build)


def find_service(code: str, jurisdiction_code: str | None) -> Service:
    """The public service with this code; when several jurisdictions use the code, the one
    covering the given jurisdiction, nearest first."""
    services = public_services().filter(code=code)
    chain: list[Jurisdiction] = []
    if jurisdiction_code:
        chain = jurisdiction_chain(jurisdiction_code)
        services = covering(services, chain)
    found = list(services.select_related("agency", "jurisdiction", "output_credential_type")[:20])
    if not found:
        raise ServiceNotFound()
    if len(found) == 1:
        return found[0]
    if not chain:
        raise JurisdictionRequired(
            jurisdictions=sorted(service.jurisdiction.code for service in found)
        )
    nearness = {place.pk: position for position, place in enumerate(chain)}
    return min(found, key=lambda service: nearness.get(service.jurisdiction_id, len(chain)))


LOOKUP = [
    OpenApiParameter("code", str, OpenApiParameter.PATH, description="The service's code."),
    OpenApiParameter(
        "jurisdiction",
        str,
        description="Needed only when several jurisdictions use the code (400 "
        "jurisdiction_required otherwise): the service covering this jurisdiction.",
    ),
]
NOT_FOUND = OpenApiResponse(PROBLEM_REF, description="No such service (service_not_found).")
AMBIGUOUS = OpenApiResponse(
    PROBLEM_REF,
    description="Several jurisdictions use this code: add ?jurisdiction= "
    "(jurisdiction_required, with the candidates in `jurisdictions`).",
)


class _ServiceView(GenericAPIView[Service]):
    permission_classes = [AllowAny]
    serializer_class = ServiceDetailOutput

    def answer(self, request: Request, code: str, *, as_jsonld: bool) -> Response:
        given = ServiceLookupInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        service = find_service(code, given.validated_data.get("jurisdiction"))
        etag = _etag("service", service.pk, service.updated_at.isoformat(), *_variant(request))

        def build() -> Response:
            prefetch_related_objects([service], *DETAIL_PREFETCH)
            lists = lists_of([service])
            if as_jsonld:
                return Response(service_jsonld(service, lists[service.pk], request))
            return Response(ServiceDetailOutput(service, context={"lists": lists}).data)

        return _conditional(request, etag, build)


class ServiceDetailView(_ServiceView):
    renderer_classes = [JSONRenderer, JsonLdRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Read a service",
        description="Texts in the language asked for with Accept-Language, and all three in "
        "`translations`. With `Accept: application/ld+json` the answer is the service as "
        "CPSV-AP JSON-LD (as at /services/{code}/jsonld).",
        parameters=LOOKUP,
        responses={
            (200, "application/json"): ServiceDetailOutput,
            (200, "application/ld+json"): OpenApiTypes.OBJECT,
            400: AMBIGUOUS,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, code: str, *args: Any, **kwargs: Any) -> Response:
        as_jsonld = request.accepted_renderer.format == JsonLdRenderer.format
        return self.answer(request, code, as_jsonld=as_jsonld)


class ServiceJsonLdView(_ServiceView):
    renderer_classes = [JsonLdRenderer, JSONRenderer]

    @extend_schema(
        tags=TAGS,
        summary="Read a service as CPSV-AP JSON-LD",
        description="The EU Core Public Service Vocabulary (application profile): titles and "
        "descriptions as language-tagged values in en, th and zh-Hans.",
        parameters=LOOKUP,
        responses={
            (200, "application/ld+json"): OpenApiTypes.OBJECT,
            400: AMBIGUOUS,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, code: str, *args: Any, **kwargs: Any) -> Response:
        return self.answer(request, code, as_jsonld=True)


def _small_list(request: Request, name: str, data: Any) -> Response:
    """A short list's answer, its ETag from its content."""
    etag = _etag(name, json.dumps(data, sort_keys=True, default=str), *_variant(request))
    return _conditional(request, etag, lambda: Response(data))


class LifeEventListView(ListAPIView[LifeEvent]):
    """Life events with the codes of their active services."""

    permission_classes = [AllowAny]
    serializer_class = LifeEventOutput
    pagination_class = None  # a short, bounded list

    queryset = LifeEvent.objects.all()

    @extend_schema(tags=TAGS, summary="List life events")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        links = Service.life_events.through.objects.filter(service__status=Service.Status.ACTIVE)
        services_by_event: dict[int, set[str]] = {}
        for event_id, code in links.values_list("lifeevent_id", "service__code"):
            services_by_event.setdefault(event_id, set()).add(code)
        data = LifeEventOutput(
            self.get_queryset(), many=True, context={"services_by_event": services_by_event}
        ).data
        return _small_list(request, "life-events", data)


class CategoryListView(ListAPIView[Category]):
    permission_classes = [AllowAny]
    serializer_class = CategoryOutput
    pagination_class = None  # a short, bounded list
    queryset = Category.objects.all()

    @extend_schema(tags=TAGS, summary="List service categories")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CategoryOutput(self.get_queryset(), many=True).data
        return _small_list(request, "categories", data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("services", ServiceListView.as_view(), name="services"),
    path("services/<slug:code>", ServiceDetailView.as_view(), name="service"),
    path("services/<slug:code>/jsonld", ServiceJsonLdView.as_view(), name="service-jsonld"),
    path("life-events", LifeEventListView.as_view(), name="life-events"),
    path("categories", CategoryListView.as_view(), name="categories"),
]

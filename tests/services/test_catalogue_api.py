"""The public catalogue API: lists, filters, one service in three languages, JSON-LD, caching."""

import datetime

import pytest
from django.utils import timezone, translation

from identity.models import Jurisdiction
from services.actions.catalogue import index_service
from services.api.catalogue import ServiceOutput, lists_of
from services.models import Service
from tests.factories import (
    AgencyFactory,
    CategoryFactory,
    CityFactory,
    CredentialTypeFactory,
    EvidenceRequirementFactory,
    FeeFactory,
    JurisdictionFactory,
    LifeEventFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def places():
    province = JurisdictionFactory.create(code="bkk", name_en="Bangkok")
    city = CityFactory.create(code="bkk-city", name_en="Bangkok City", parent=province)
    district = Jurisdiction.objects.create(
        code="bkk-pathum", name_en="Pathum Wan", level="district", parent=city
    )
    other = JurisdictionFactory.create(code="sz", name_en="Shenzhen")
    return {"province": province, "city": city, "district": district, "other": other}


@pytest.fixture
def permit(places):
    """A residence permit with everything the detail shows."""
    agency = AgencyFactory.create(code="immigration", name_en="Immigration Office")
    service = ServiceFactory.create(
        code="residence-permit",
        agency=agency,
        jurisdiction=places["city"],
        name_en="Residence permit",
        name_th="ใบอนุญาตพำนัก",
        name_zh_hans="居住证",
        summary_en="Live in the city.",
        summary_th="อาศัยในเมือง",
        summary_zh_hans="在本市居住。",
        description_en="For residents staying longer than 90 days.",
        keywords_en="visa, stay",
        keywords_th="วีซ่า",
        channels=["app", "office"],
        processing_time=datetime.timedelta(days=3),
        manual_deadline=datetime.timedelta(days=5, hours=4),
        legal_basis="Immigration Act s. 34",
        minimum_level_of_assurance="substantial",
        approval_mode="manual",
        output_credential_type=CredentialTypeFactory.create(code="residence-permit-card"),
    )
    service.categories.add(
        CategoryFactory.create(code="housing", name_en="Housing", name_th="ที่อยู่อาศัย")
    )
    service.life_events.add(
        LifeEventFactory.create(code="moving", name_en="Moving house", name_th="ย้ายบ้าน")
    )
    FeeFactory.create(
        service=service,
        amount_minor=50000,
        valid_from=TODAY - datetime.timedelta(days=400),
        valid_until=TODAY - datetime.timedelta(days=30),
    )  # no longer in force: not shown
    FeeFactory.create(
        service=service,
        amount_minor=60000,
        description_en="Standard fee",
        valid_from=TODAY - datetime.timedelta(days=30),
        valid_until=TODAY + datetime.timedelta(days=60),
    )
    FeeFactory.create(
        service=service, amount_minor=65000, valid_from=TODAY + datetime.timedelta(days=60)
    )
    EvidenceRequirementFactory.create(
        service=service,
        code="passport",
        name_en="Passport",
        credential_type=CredentialTypeFactory.create(code="passport"),
        accepts_upload=False,
    )
    return index_service(service)


def _codes(response):
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


# The list -----------------------------------------------------------------------------------


def test_anyone_lists_active_and_suspended_services_only(api):
    # given
    ServiceFactory.create(code="a-active")
    ServiceFactory.create(code="b-suspended", status="suspended")
    ServiceFactory.create(code="c-draft", status="draft")
    ServiceFactory.create(code="d-retired", status="retired")

    # when
    response = api.get("/api/v1/services")

    # then
    assert _codes(response) == ["a-active", "b-suspended"]
    assert response.json()["count"] == 2


def test_list_item_shows_the_service_in_brief(api, permit):
    # when
    response = api.get("/api/v1/services", HTTP_ACCEPT_LANGUAGE="th")

    # then
    [item] = response.json()["results"]
    assert item == {
        "code": "residence-permit",
        "name": "ใบอนุญาตพำนัก",
        "summary": "อาศัยในเมือง",
        "agency": {"code": "immigration", "name": "Immigration Office"},
        "jurisdiction": {"code": "bkk-city", "name": "Bangkok City", "level": "city"},
        "categories": [{"code": "housing", "name": "ที่อยู่อาศัย"}],
        "life_events": [{"code": "moving", "name": "ย้ายบ้าน"}],
        "audience": ["person"],
        "channels": ["app", "office"],
        "fees": [
            {
                "amount_minor": 60000,
                "currency": "THB",
                "valid_from": (TODAY - datetime.timedelta(days=30)).isoformat(),
                "valid_until": (TODAY + datetime.timedelta(days=60)).isoformat(),
                "description": "Standard fee",
            },
            {
                "amount_minor": 65000,
                "currency": "THB",
                "valid_from": (TODAY + datetime.timedelta(days=60)).isoformat(),
                "valid_until": None,
                "description": "",
            },
        ],
        "processing_time": "P3D",
        "minimum_level_of_assurance": "substantial",
        "approval_mode": "manual",
        "status": "active",
        "updated_at": item["updated_at"],
    }


def test_list_items_are_what_the_serializer_describes(api, permit):
    """The list builds its items by hand for speed; they must be what ServiceOutput says."""
    # when
    item = api.get("/api/v1/services", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]

    # then
    with translation.override("zh-hans"):
        described = ServiceOutput(permit, context={"lists": lists_of([permit])}).data
    assert item == described


@pytest.fixture
def spread(places):
    """Services at each level and elsewhere, of two agencies, with categories and events."""
    transport = AgencyFactory.create(code="transport")
    commerce = AgencyFactory.create(code="commerce")
    family = CategoryFactory.create(code="family")
    baby = LifeEventFactory.create(code="baby")
    at_province = ServiceFactory.create(
        code="p-province", agency=transport, jurisdiction=places["province"]
    )
    at_province.categories.add(family)
    at_city = ServiceFactory.create(
        code="p-city",
        agency=commerce,
        jurisdiction=places["city"],
        for_businesses=True,
        for_persons=False,
        approval_mode="manual",
    )
    at_city.life_events.add(baby)
    at_district = ServiceFactory.create(
        code="p-district", agency=transport, jurisdiction=places["district"]
    )
    elsewhere = ServiceFactory.create(
        code="p-elsewhere", agency=transport, jurisdiction=places["other"]
    )
    shared = ServiceFactory.create(
        code="p-shared", agency=commerce, jurisdiction=places["other"], approval_mode="proactive"
    )
    shared.also_offered_in.add(places["city"])
    return at_province, at_city, at_district, elsewhere, shared


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jurisdiction=bkk-pathum", ["p-city", "p-district", "p-province", "p-shared"]),
        ("jurisdiction=bkk-city", ["p-city", "p-province", "p-shared"]),
        ("jurisdiction=bkk", ["p-province"]),
        ("jurisdiction=sz", ["p-elsewhere", "p-shared"]),
        ("jurisdiction=nowhere", []),
        ("agency=commerce", ["p-city", "p-shared"]),
        ("category=family", ["p-province"]),
        ("life_event=baby", ["p-city"]),
        ("audience=business", ["p-city"]),
        ("audience=person", ["p-district", "p-elsewhere", "p-province", "p-shared"]),
        ("approval_mode=proactive", ["p-shared"]),
        ("approval_mode=automatic&agency=transport", ["p-district", "p-elsewhere", "p-province"]),
    ],
)
def test_filters(api, spread, query, expected):
    assert _codes(api.get(f"/api/v1/services?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [("audience=robots", "audience"), ("approval_mode=telepathy", "approval_mode")],
)
def test_a_bad_filter_is_refused(api, query, field):
    # when
    response = api.get(f"/api/v1/services?{query}")

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["field"] for error in body["errors"]] == [field]


def test_search_in_the_list(api, permit):
    # given
    index_service(ServiceFactory.create(code="library-card", name_en="Library card"))

    # when
    response = api.get("/api/v1/services", {"q": "居住证"})

    # then
    assert _codes(response) == ["residence-permit"]


def test_list_pages_and_query_count_do_not_grow_with_the_page(
    api, places, django_assert_num_queries
):
    # given
    category = CategoryFactory.create()
    event = LifeEventFactory.create()
    for number in range(12):
        service = ServiceFactory.create(code=f"s-{number:02d}", jurisdiction=places["city"])
        service.categories.add(category)
        service.life_events.add(event)
        FeeFactory.create(service=service)

    # then: state (ETag and count), the page, its categories, life events and fees
    with django_assert_num_queries(5):
        small = api.get("/api/v1/services?page_size=2")
    with django_assert_num_queries(5):
        large = api.get("/api/v1/services?page_size=10&page=2")
    assert _codes(small) == ["s-00", "s-01"]
    assert small.json()["count"] == 12
    assert _codes(large) == ["s-10", "s-11"]


def test_a_page_asked_again_is_counted_not_read_again(api, permit, django_assert_num_queries):
    # given
    first = api.get("/api/v1/services", {"q": "居住证"})

    # when: nothing changed
    with django_assert_num_queries(1):  # the count and the latest change, for the ETag
        again = api.get("/api/v1/services", {"q": "居住证"})

    # then
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]


def test_a_changed_service_is_read_again(api, permit):
    # given
    first = api.get("/api/v1/services", {"q": "居住证"})

    # when
    permit.summary_en = "Live and work in the city."
    permit.save()

    # then
    again = api.get("/api/v1/services", {"q": "居住证"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again["ETag"] != first["ETag"]
    assert [item["summary"] for item in again.json()["results"]] == ["Live and work in the city."]


def test_list_cache_headers_and_not_modified(api, permit, django_assert_num_queries):
    # given
    first = api.get("/api/v1/services?agency=immigration")
    etag = first["ETag"]

    # when: nothing changed
    with django_assert_num_queries(1):
        again = api.get("/api/v1/services?agency=immigration", HTTP_IF_NONE_MATCH=etag)

    # then
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert first["Cache-Control"] == "public, max-age=300"
    assert {"Accept-Language", "Accept"} <= {v.strip() for v in first["Vary"].split(",")}
    assert api.get("/api/v1/services", HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert (
        api.get(
            "/api/v1/services?agency=immigration",
            HTTP_IF_NONE_MATCH=etag,
            HTTP_ACCEPT_LANGUAGE="th",
        ).status_code
        == 200
    )


def test_list_etag_changes_when_a_service_changes(api, permit):
    # given
    etag = api.get("/api/v1/services")["ETag"]

    # when
    Service.objects.filter(pk=permit.pk).update(updated_at=timezone.now())

    # then
    response = api.get("/api/v1/services", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


# One service --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name", "summary"),
    [
        ("en", "Residence permit", "Live in the city."),
        ("th", "ใบอนุญาตพำนัก", "อาศัยในเมือง"),
        ("zh-hans", "居住证", "在本市居住。"),
        ("zh-CN,zh;q=0.9", "居住证", "在本市居住。"),
    ],
)
def test_detail_in_the_language_asked_for(api, permit, language, name, summary):
    # when
    response = api.get("/api/v1/services/residence-permit", HTTP_ACCEPT_LANGUAGE=language)

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["summary"]) == (name, summary)


def test_detail_shows_everything(api, permit, django_assert_num_queries):
    # when: the service, then categories, life events, fees, places, evidence
    with django_assert_num_queries(6):
        response = api.get("/api/v1/services/residence-permit", HTTP_ACCEPT_LANGUAGE="en")

    # then
    body = response.json()
    assert body["translations"] == {
        "en": {
            "name": "Residence permit",
            "summary": "Live in the city.",
            "description": "For residents staying longer than 90 days.",
            "keywords": ["visa", "stay"],
        },
        "th": {
            "name": "ใบอนุญาตพำนัก",
            "summary": "อาศัยในเมือง",
            "description": "",
            "keywords": ["วีซ่า"],
        },
        "zh-hans": {"name": "居住证", "summary": "在本市居住。", "description": "", "keywords": []},
    }
    assert body["description"] == "For residents staying longer than 90 days."
    assert body["keywords"] == ["visa", "stay"]
    assert body["evidence"] == [
        {
            "code": "passport",
            "name": "Passport",
            "credential_type": "passport",
            "accepts_upload": False,
            "is_required": True,
        }
    ]
    assert [fee["amount_minor"] for fee in body["fees"]] == [60000, 65000]
    assert body["processing_time"] == "P3D"
    assert body["manual_deadline"] == "P5DT4H"
    assert body["legal_basis"] == "Immigration Act s. 34"
    assert body["output_credential_type"] == "residence-permit-card"
    assert body["also_offered_in"] == []
    assert body["input_schema"]["required"] == ["children"]
    assert body["status"] == "active"
    assert body["agency"] == {"code": "immigration", "name": "Immigration Office"}


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_draft_and_retired_services_are_not_found(api, status):
    # given
    ServiceFactory.create(code="hidden", status=status)

    # when
    response = api.get("/api/v1/services/hidden")

    # then
    assert response.status_code == 404
    assert response.json()["code"] == "service_not_found"


def test_unknown_service_is_not_found(api):
    response = api.get("/api/v1/services/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "service_not_found"


def test_a_code_used_in_two_jurisdictions_needs_one(api, places):
    # given
    bangkok = ServiceFactory.create(code="parking", jurisdiction=places["province"])
    ServiceFactory.create(code="parking", jurisdiction=places["other"])

    # when
    ambiguous = api.get("/api/v1/services/parking")
    chosen = api.get("/api/v1/services/parking?jurisdiction=bkk-pathum")

    # then
    assert ambiguous.status_code == 400
    assert ambiguous.json()["code"] == "jurisdiction_required"
    assert ambiguous.json()["jurisdictions"] == ["bkk", "sz"]
    assert chosen.status_code == 200
    assert chosen.json()["jurisdiction"]["code"] == bangkok.jurisdiction.code
    assert api.get("/api/v1/services/parking?jurisdiction=nowhere").status_code == 404


def test_the_nearest_jurisdiction_wins(api, places):
    # given
    ServiceFactory.create(code="parking", jurisdiction=places["province"])
    ServiceFactory.create(code="parking", jurisdiction=places["city"])

    # when
    response = api.get("/api/v1/services/parking?jurisdiction=bkk-pathum")

    # then
    assert response.json()["jurisdiction"]["code"] == "bkk-city"


def test_detail_not_modified(api, permit, django_assert_num_queries):
    # given
    first = api.get("/api/v1/services/residence-permit")

    # when
    with django_assert_num_queries(1):
        again = api.get("/api/v1/services/residence-permit", HTTP_IF_NONE_MATCH=first["ETag"])

    # then
    assert again.status_code == 304
    assert first["Cache-Control"] == "public, max-age=300"
    assert (
        api.get("/api/v1/services/residence-permit", HTTP_IF_NONE_MATCH='"stale"').status_code
        == 200
    )


# JSON-LD ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/v1/services/residence-permit", "application/ld+json"),
        ("/api/v1/services/residence-permit/jsonld", "*/*"),
    ],
)
def test_service_as_cpsv_ap_jsonld(api, permit, path, accept):
    # when
    response = api.get(path, HTTP_ACCEPT=accept)

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    document = response.json()
    assert document["@context"]["cpsv"] == "http://purl.org/vocab/cpsv#"
    assert document["@context"]["cv"] == "http://data.europa.eu/m8g/"
    assert document["@context"]["dct"] == "http://purl.org/dc/terms/"
    assert document["@id"] == (
        "http://testserver/api/v1/services/residence-permit?jurisdiction=bkk-city"
    )
    assert document["@type"] == "cpsv:PublicService"
    assert document["dct:identifier"] == "residence-permit"
    assert document["dct:title"] == [
        {"@value": "Residence permit", "@language": "en"},
        {"@value": "ใบอนุญาตพำนัก", "@language": "th"},
        {"@value": "居住证", "@language": "zh-Hans"},
    ]
    assert document["cv:hasCompetentAuthority"]["dct:identifier"] == "immigration"
    assert document["cv:hasChannel"] == [
        {"@type": "cv:Channel", "dct:type": "app"},
        {"@type": "cv:Channel", "dct:type": "office"},
    ]
    assert [cost["cv:value"]["@value"] for cost in document["cv:hasCost"]] == ["600.00", "650.00"]
    assert document["cv:hasCost"][0]["cv:currency"] == "THB"
    assert document["cv:hasInput"][0]["dct:identifier"] == "passport"
    assert document["cv:hasLegalResource"][0]["dct:title"] == "Immigration Act s. 34"
    assert document["cv:processingTime"] == {"@value": "P3D", "@type": "xsd:duration"}
    assert document["cv:isGroupedBy"][0]["dct:identifier"] == "moving"
    assert [place["dct:identifier"] for place in document["dct:spatial"]] == ["bkk-city"]
    assert document["dct:type"] == ["housing"]


def test_jsonld_and_json_have_different_etags(api, permit):
    as_json = api.get("/api/v1/services/residence-permit", HTTP_ACCEPT="application/json")
    as_jsonld = api.get("/api/v1/services/residence-permit", HTTP_ACCEPT="application/ld+json")
    assert as_json["ETag"] != as_jsonld["ETag"]


# Life events and categories ------------------------------------------------------------------


def test_life_events_list_their_active_services(api, django_assert_num_queries):
    # given
    baby = LifeEventFactory.create(code="baby", name_en="Having a baby", position=1)
    LifeEventFactory.create(code="moving", name_en="Moving house", position=2)
    for code, status in [("birth", "active"), ("allowance", "active"), ("old", "retired")]:
        ServiceFactory.create(code=code, status=status).life_events.add(baby)

    # when
    with django_assert_num_queries(2):
        response = api.get("/api/v1/life-events", HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "baby",
            "name": "Having a baby",
            "description": "",
            "audience": "person",
            "services": ["allowance", "birth"],
        },
        {
            "code": "moving",
            "name": "Moving house",
            "description": "",
            "audience": "person",
            "services": [],
        },
    ]
    assert api.get("/api/v1/life-events", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_categories_in_the_language_asked_for(api):
    # given
    CategoryFactory.create(code="family", name_en="Family", name_th="ครอบครัว", position=1)
    CategoryFactory.create(code="health", name_en="Health", name_th="สุขภาพ", position=2)

    # when
    response = api.get("/api/v1/categories", HTTP_ACCEPT_LANGUAGE="th")

    # then
    assert response.json() == [
        {"code": "family", "name": "ครอบครัว"},
        {"code": "health", "name": "สุขภาพ"},
    ]
    assert response["Cache-Control"] == "public, max-age=300"

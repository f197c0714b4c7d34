"""The Open311 GeoReport v2 server's read methods, in both formats, against the shapes of the
specification's examples: discovery, services, service definitions, service requests (list
and one), mySociety's service request updates, and Open311's own errors."""

import datetime
import json
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint, ComplaintCategory, ComplaintEvent, Question
from complaints.open311 import queries
from identity.models import Agency, Jurisdiction
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    PersonFactory,
    QuestionChoiceFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
UTC = datetime.UTC
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
]
S = Complaint.Status


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def city() -> Jurisdiction:
    return CityFactory.create(code="chiang-mai", time_zone="Asia/Bangkok")


@pytest.fixture
def works(city) -> Agency:
    return AgencyFactory.create(jurisdiction=city, code="works", name="Public Works")


@pytest.fixture
def roads(city) -> ComplaintCategory:
    """A group: not a service itself."""
    return ComplaintCategoryFactory.create(
        jurisdiction=city, code="roads", name="Roads", default_agency=None, order=1
    )


@pytest.fixture
def potholes(city, roads, works) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(
        jurisdiction=city,
        parent=roads,
        code="potholes",
        name="Potholes",
        name_th="หลุมบนถนน",
        description="Holes in the road surface.",
        keywords="hole, road,  asphalt",
        default_agency=works,
        resolution_amount=5,
        first_contact_hours=24,
        order=1,
    )


@pytest.fixture
def size(potholes) -> Question:
    question = QuestionFactory.create(
        category=potholes,
        code="size",
        datatype=Question.Datatype.SINGLE,
        is_required=True,
        description="How big is it?",
        order=1,
    )
    QuestionChoiceFactory.create(
        question=question, key="small", name="Smaller than a hand", order=1
    )
    QuestionChoiceFactory.create(
        question=question, key="large", name="Larger than a car tyre", order=2
    )
    return question


@pytest.fixture
def depth(potholes) -> Question:
    return QuestionFactory.create(
        category=potholes,
        code="depth",
        datatype=Question.Datatype.NUMBER,
        description="How deep, in centimetres?",
        datatype_description="A whole number",
        order=2,
    )


@pytest.fixture
def lights(city, works) -> ComplaintCategory:
    """A top-level service without questions."""
    return ComplaintCategoryFactory.create(
        jurisdiction=city, code="lights", name="Street lights", default_agency=works, order=2
    )


@pytest.fixture
def noise(city, works) -> ComplaintCategory:
    """Reports about neighbours: never published."""
    return ComplaintCategoryFactory.create(
        jurisdiction=city,
        code="noise",
        name="Noise",
        default_agency=works,
        is_public=False,
        order=3,
    )


def _get(client: Client, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}/{path}", params)


def _json(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def _xml(response: Any) -> Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return fromstring(response.content)


def _tags(element: Element) -> list[str]:
    return [child.tag for child in element]


def _text(element: Element, path: str) -> str | None:
    found = element.find(path)
    assert found is not None, path
    return found.text


def _errors_json(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status
    body = _json(response)
    assert isinstance(body, list)
    assert all(set(error) == {"code", "description"} for error in body)
    assert all(error["code"] == status for error in body)
    return body


def _errors_xml(response: Any, status: int) -> list[str]:
    assert response.status_code == status
    root = _xml(response)
    assert root.tag == "errors"
    assert {child.tag for child in root} == {"error"}
    assert all(_tags(error) == ["code", "description"] for error in root)
    assert all(_text(error, "code") == str(status) for error in root)
    return [str(_text(error, "description")) for error in root]


# Discovery ---------------------------------------------------------------------------------


def test_discovery_lists_this_endpoint_in_both_formats(client):
    # when
    as_json = _json(_get(client, "discovery.json"))
    as_xml = _xml(_get(client, "discovery.xml"))

    # then
    assert list(as_json) == ["changeset", "contact", "key_service", "endpoints"]
    assert as_json["endpoints"] == [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://testserver/open311/v2/",
            "changeset": as_json["changeset"],
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
    ]
    assert as_xml.tag == "discovery"
    assert _tags(as_xml) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = as_xml.find("endpoints/endpoint")
    assert endpoint is not None
    assert _tags(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert _text(endpoint, "url") == "http://testserver/open311/v2/"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


# Services ----------------------------------------------------------------------------------


def test_services_are_the_active_leaf_categories_of_the_jurisdiction(
    client, city, roads, potholes, size, lights, noise, django_assert_num_queries
):
    # given an inactive service, and another city's
    ComplaintCategoryFactory.create(jurisdiction=city, code="retired", is_active=False)
    ComplaintCategoryFactory.create(code="elsewhere")

    # when
    with django_assert_num_queries(2):  # the jurisdiction, the services
        response = _get(client, "services.json", jurisdiction_id="chiang-mai")

    # then
    assert response.status_code == 200
    assert _json(response) == [
        {
            "service_code": "potholes",
            "service_name": "Potholes",
            "description": "Holes in the road surface.",
            "metadata": True,
            "type": "realtime",
            "keywords": "hole, road, asphalt",
            "group": "Roads",
        },
        {
            "service_code": "lights",
            "service_name": "Street lights",
            "description": None,
            "metadata": False,
            "type": "realtime",
            "keywords": None,
            "group": None,
        },
        {
            "service_code": "noise",
            "service_name": "Noise",
            "description": None,
            "metadata": False,
            "type": "realtime",
            "keywords": None,
            "group": None,
        },
    ]


def test_services_in_xml(client, potholes, size, lights):
    root = _xml(_get(client, "services.xml", jurisdiction_id="chiang-mai"))

    assert root.tag == "services"
    assert _tags(root) == ["service", "service"]
    first, second = root
    assert _tags(first) == SERVICE_FIELDS
    assert [child.text for child in first] == [
        "potholes",
        "Potholes",
        "Holes in the road surface.",
        "true",
        "realtime",
        "hole, road, asphalt",
        "Roads",
    ]
    assert _text(second, "metadata") == "false"
    assert _text(second, "group") is None


def test_services_speak_the_language_asked_for(client, potholes):
    response = client.get(
        f"{BASE}/services.json", {"jurisdiction_id": "chiang-mai"}, HTTP_ACCEPT_LANGUAGE="th"
    )

    assert _json(response)[0]["service_name"] == "หลุมบนถนน"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_need_a_known_jurisdiction(client, potholes, fmt):
    missing = _get(client, f"services.{fmt}")
    empty = _get(client, f"services.{fmt}", jurisdiction_id="")
    unknown = _get(client, f"services.{fmt}", jurisdiction_id="atlantis")

    check = _errors_json if fmt == "json" else _errors_xml
    check(missing, 400)
    assert empty.content == missing.content
    check(unknown, 404)


def test_an_unknown_format_is_not_found_in_xml(client):
    response = _get(client, "services.html", jurisdiction_id="chiang-mai")

    assert _errors_xml(response, 404) == ["Ask for .xml or .json."]


def test_a_method_answers_only_its_http_methods(client, city):
    response = client.delete(f"{BASE}/services.json?jurisdiction_id=chiang-mai")

    _errors_json(response, 405)
    assert response["Allow"] == "GET"


# Service definitions -----------------------------------------------------------------------


def test_a_service_definition_lists_its_questions_as_attributes(
    client, potholes, size, depth, django_assert_num_queries
):
    with django_assert_num_queries(4):  # jurisdiction, service, questions, choices
        response = _get(client, "services/potholes.json", jurisdiction_id="chiang-mai")

    assert _json(response) == {
        "service_code": "potholes",
        "attributes": [
            {
                "variable": True,
                "code": "size",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "How big is it?",
                "values": [
                    {"key": "small", "name": "Smaller than a hand"},
                    {"key": "large", "name": "Larger than a car tyre"},
                ],
            },
            {
                "variable": True,
                "code": "depth",
                "datatype": "number",
                "required": False,
                "datatype_description": "A whole number",
                "order": 2,
                "description": "How deep, in centimetres?",
            },
        ],
    }


def test_a_service_definition_in_xml(client, potholes, size, depth):
    root = _xml(_get(client, "services/potholes.xml", jurisdiction_id="chiang-mai"))

    assert root.tag == "service_definition"
    assert _tags(root) == ["service_code", "attributes"]
    attributes = root.find("attributes")
    assert attributes is not None
    assert _tags(attributes) == ["attribute", "attribute"]
    single, number = attributes
    assert _tags(single) == [*ATTRIBUTE_FIELDS, "values"]
    assert _tags(number) == ATTRIBUTE_FIELDS
    assert [child.text for child in single][:7] == [
        "true",
        "size",
        "singlevaluelist",
        "true",
        None,
        "1",
        "How big is it?",
    ]
    values = single.findall("values/value")
    assert [(_text(v, "key"), _text(v, "name")) for v in values] == [
        ("small", "Smaller than a hand"),
        ("large", "Larger than a car tyre"),
    ]


def test_a_service_without_questions_has_an_empty_definition(client, lights):
    as_json = _json(_get(client, "services/lights.json", jurisdiction_id="chiang-mai"))
    as_xml = _xml(_get(client, "services/lights.xml", jurisdiction_id="chiang-mai"))

    assert as_json == {"service_code": "lights", "attributes": []}
    assert _tags(as_xml) == ["service_code", "attributes"]
    assert _tags(as_xml.find("attributes")) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["unknown", "roads"])
def test_an_unknown_service_or_a_group_is_not_found(client, potholes, code):
    as_json = _get(client, f"services/{code}.json", jurisdiction_id="chiang-mai")
    as_xml = _get(client, f"services/{code}.xml", jurisdiction_id="chiang-mai")

    assert _errors_json(as_json, 404) == [
        {"code": 404, "description": f"No service has the code {code}."}
    ]
    assert _errors_xml(as_xml, 404) == [f"No service has the code {code}."]


# Service requests --------------------------------------------------------------------------


def _complaint(category: ComplaintCategory, **fields: Any) -> Complaint:
    """A complaint with a reporter and contact details that must never be published."""
    reporter = PersonFactory.create(
        legal_name_latin="Somchai Secretname",
        legal_name_local="สมชาย ลับมาก",
        contact_email="somchai.secret@example.org",
    )
    fields.setdefault("created_at", timezone.now() - datetime.timedelta(days=1))
    fields.setdefault("updated_at", fields["created_at"])
    return ComplaintFactory.create(
        category=category,
        reporter=reporter,
        description="Deep hole outside my house at 12/3 Soi 5, call me on 0812345678.",
        address="12/3 Soi 5, Nimman",
        contact_name="Somchai Secretname",
        contact_email="somchai.secret@example.org",
        contact_phone="0812345678",
        latitude=Decimal("18.796143"),
        longitude=Decimal("98.979263"),
        **fields,
    )


PERSONAL = [
    "Somchai",
    "Secretname",
    "สมชาย",
    "somchai.secret@example.org",
    "0812345678",
    "12/3 Soi 5",
    "Deep hole",
    "18.796143",
]


def _event(complaint: Complaint, to_status: str, note: str = "", **fields: Any) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        from_status=fields.pop("from_status", ""),
        to_status=to_status,
        actor_kind=fields.pop("actor_kind", ComplaintEvent.ActorKind.OFFICER),
        note=note,
        **fields,
    )


@pytest.fixture
def handled(potholes, works) -> Complaint:
    """A pothole the agency is working on, with a public and an internal note."""
    at = datetime.datetime(2026, 11, 18, 3, 15, tzinfo=UTC)
    complaint = _complaint(
        potholes,
        status=S.IN_PROGRESS,
        agency=works,
        created_at=at,
        updated_at=at + datetime.timedelta(hours=5),
        resolution_due=datetime.datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    )
    _event(complaint, S.SUBMITTED, at=at, actor_kind=ComplaintEvent.ActorKind.REPORTER)
    _event(complaint, S.IN_PROGRESS, "A crew is on its way.", at=at + datetime.timedelta(hours=2))
    _event(
        complaint, S.IN_PROGRESS, "Reporter sounds angry.", is_public=False,
        at=at + datetime.timedelta(hours=5),
    )  # fmt: skip
    return complaint


def test_a_service_request_in_json_has_the_specifications_fields(
    client, handled, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the jurisdiction, the request
        response = _get(
            client, f"requests/{handled.tracking_number}.json", jurisdiction_id="chiang-mai"
        )

    assert response.status_code == 200
    assert _json(response) == [
        {
            "service_request_id": handled.tracking_number,
            "status": "open",
            "status_notes": "A crew is on its way.",
            "service_name": "Potholes",
            "service_code": "potholes",
            "description": None,
            "agency_responsible": "Public Works",
            "service_notice": "The responsible agency makes first contact within 24 hours and "
            "resolves the request within 5 working days.",
            "requested_datetime": "2026-11-18T10:15:00+07:00",
            "updated_datetime": "2026-11-18T15:15:00+07:00",
            "expected_datetime": "2026-11-25T17:00:00+07:00",
            "address": None,
            "address_id": None,
            "zipcode": None,
            "lat": 18.796,
            "long": 98.979,
            "media_url": None,
        }
    ]


def test_a_service_request_in_xml(client, handled):
    root = _xml(
        _get(client, f"requests/{handled.tracking_number}.xml", jurisdiction_id="chiang-mai")
    )

    assert root.tag == "service_requests"
    assert _tags(root) == ["request"]
    request = root[0]
    assert _tags(request) == REQUEST_FIELDS
    assert _text(request, "service_request_id") == handled.tracking_number
    assert _text(request, "status") == "open"
    assert _text(request, "requested_datetime") == "2026-11-18T10:15:00+07:00"
    assert _text(request, "lat") == "18.796"
    assert _text(request, "long") == "98.979"
    assert _text(request, "description") is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_or_unpublished_request_is_not_found(client, handled, noise, fmt):
    # given a request in a category that is never published, and one of another city
    private = _complaint(noise)
    elsewhere = _complaint(ComplaintCategoryFactory.create())
    check = _errors_json if fmt == "json" else _errors_xml

    for number in ("C-2222-2222", private.tracking_number, elsewhere.tracking_number):
        # when
        response = _get(client, f"requests/{number}.{fmt}", jurisdiction_id="chiang-mai")

        # then
        check(response, 404)


def test_the_request_list_is_newest_first_and_one_query(
    client, potholes, lights, works, django_assert_num_queries
):
    # given
    now = timezone.now()
    old = _complaint(potholes, created_at=now - datetime.timedelta(days=3))
    new = _complaint(lights, created_at=now - datetime.timedelta(days=1), status=S.ROUTED,
                     agency=works)  # fmt: skip
    for complaint in (old, new):
        _event(complaint, complaint.status, "Seen.")

    # when
    with django_assert_num_queries(2):  # the jurisdiction, the requests
        response = _get(client, "requests.json", jurisdiction_id="chiang-mai")

    # then
    body = _json(response)
    assert [r["service_request_id"] for r in body] == [new.tracking_number, old.tracking_number]
    assert all(list(r) == REQUEST_FIELDS for r in body)
    assert [r["agency_responsible"] for r in body] == ["Public Works", None]
    root = _xml(_get(client, "requests.xml", jurisdiction_id="chiang-mai"))
    assert _tags(root) == ["request", "request"]


def test_the_request_list_has_only_public_categories(client, potholes, noise):
    published = _complaint(potholes)
    _complaint(noise)

    body = _json(_get(client, "requests.json", jurisdiction_id="chiang-mai"))

    assert [r["service_request_id"] for r in body] == [published.tracking_number]


def test_statuses_are_open_or_closed(client, potholes, works):
    # given one complaint in every status
    made = {
        status: _complaint(
            potholes,
            status=status,
            agency=works,
            duplicate_of=None,
        )
        for status in S.values
        if status != S.DUPLICATE
    }
    original = made[S.ROUTED]
    made[S.DUPLICATE] = _complaint(potholes, status=S.DUPLICATE, duplicate_of=original)

    def numbers(**params: str) -> set[str]:
        body = _json(_get(client, "requests.json", jurisdiction_id="chiang-mai", **params))
        return {r["service_request_id"] for r in body}

    closed = {made[s].tracking_number for s in (S.RESOLVED, S.CLOSED, S.DUPLICATE, S.WITHDRAWN)}
    everything = {c.tracking_number for c in made.values()}
    assert numbers(status="closed") == closed
    assert numbers(status="open") == everything - closed
    assert numbers(status="open,closed") == everything
    assert numbers() == everything


def test_an_unknown_status_is_a_bad_request(client, city):
    response = _get(client, "requests.json", jurisdiction_id="chiang-mai", status="fixed")

    assert _errors_json(response, 400) == [
        {"code": 400, "description": "status is open, closed, or both separated by a comma."}
    ]


def test_requests_filter_by_service_codes(client, potholes, lights, noise):
    hole = _complaint(potholes)
    light = _complaint(lights)
    _complaint(ComplaintCategoryFactory.create(jurisdiction=potholes.jurisdiction, code="trees"))

    body = _json(
        _get(client, "requests.json", jurisdiction_id="chiang-mai", service_code="potholes,lights")
    )

    assert {r["service_request_id"] for r in body} == {hole.tracking_number, light.tracking_number}


def test_the_default_window_is_the_last_90_days(client, potholes):
    now = timezone.now()
    recent = _complaint(potholes, created_at=now - datetime.timedelta(days=89))
    _complaint(potholes, created_at=now - datetime.timedelta(days=91))

    body = _json(_get(client, "requests.json", jurisdiction_id="chiang-mai"))

    assert [r["service_request_id"] for r in body] == [recent.tracking_number]


def test_a_window_selects_by_request_time(client, potholes):
    inside = _complaint(potholes, created_at=datetime.datetime(2026, 10, 1, 5, tzinfo=UTC))
    _complaint(potholes, created_at=datetime.datetime(2026, 9, 30, 16, 59, tzinfo=UTC))
    _complaint(potholes, created_at=datetime.datetime(2026, 10, 31, 17, 1, tzinfo=UTC))

    # a "+" sent without URL-encoding arrives as a space: read either way
    body = _json(
        client.get(
            f"{BASE}/requests.json?jurisdiction_id=chiang-mai"
            "&start_date=2026-10-01T00:00:00+07:00&end_date=2026-11-01T00:00:00%2B07:00"
        )
    )
    dated = _json(
        _get(client, "requests.json", jurisdiction_id="chiang-mai", start_date="2026-10-01",
             end_date="2026-11-01")
    )  # fmt: skip

    assert [r["service_request_id"] for r in body] == [inside.tracking_number]
    assert [r["service_request_id"] for r in dated] == [inside.tracking_number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("params", "description"),
    [
        (
            {"start_date": "2026-08-01T00:00:00Z", "end_date": "2026-10-31T00:00:00Z"},
            "start_date and end_date may span at most 90 days.",
        ),
        (
            {"start_date": "2026-10-02T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"},
            "start_date comes after end_date.",
        ),
        (
            {"start_date": "2026-10-01T00:00:00"},
            "start_date is not a W3C datetime with a time zone, e.g. 2026-11-22T10:15:00+07:00.",
        ),
        (
            {"end_date": "yesterday"},
            "end_date is not a W3C datetime with a time zone, e.g. 2026-11-22T10:15:00+07:00.",
        ),
    ],
)
def test_a_bad_window_is_a_bad_request(client, city, params, description, fmt):
    response = _get(client, f"requests.{fmt}", jurisdiction_id="chiang-mai", **params)

    if fmt == "json":
        assert _errors_json(response, 400) == [{"code": 400, "description": description}]
    else:
        assert _errors_xml(response, 400) == [description]


def test_a_window_of_exactly_90_days_is_accepted(client, city):
    response = _get(
        client, "requests.json", jurisdiction_id="chiang-mai",
        start_date="2026-08-01T00:00:00Z", end_date="2026-10-30T00:00:00Z",
    )  # fmt: skip

    assert response.status_code == 200
    assert _json(response) == []


def test_request_ids_override_every_other_argument(client, potholes, lights):
    # given an old request (outside any default window) and a recent one
    old = _complaint(potholes, created_at=datetime.datetime(2025, 1, 1, tzinfo=UTC))
    recent = _complaint(potholes)
    _complaint(potholes)

    body = _json(
        _get(
            client, "requests.json", jurisdiction_id="chiang-mai",
            service_request_id=f"{old.tracking_number}, {recent.tracking_number}",
            service_code="lights", status="closed",
        )
    )  # fmt: skip

    assert {r["service_request_id"] for r in body} == {old.tracking_number, recent.tracking_number}


def test_at_most_the_limit_newest_requests(client, potholes, monkeypatch):
    monkeypatch.setattr(queries, "LIMIT", 2)
    now = timezone.now()
    made = [_complaint(potholes, created_at=now - datetime.timedelta(hours=h)) for h in (3, 2, 1)]

    body = _json(_get(client, "requests.json", jurisdiction_id="chiang-mai"))

    assert [r["service_request_id"] for r in body] == [c.tracking_number for c in made[:0:-1]]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_need_a_known_jurisdiction(client, potholes, fmt):
    check = _errors_json if fmt == "json" else _errors_xml

    check(_get(client, f"requests.{fmt}"), 400)
    check(_get(client, f"requests.{fmt}", jurisdiction_id="atlantis"), 404)
    check(_get(client, f"requests/C-2222-2222.{fmt}"), 400)


# Service request updates (mySociety) -------------------------------------------------------


def test_updates_are_the_public_history_with_extended_statuses(
    client, handled, django_assert_num_queries
):
    # given a window around the handled complaint's history
    params = {
        "jurisdiction_id": "chiang-mai",
        "start_date": "2026-11-18T00:00:00+07:00",
        "end_date": "2026-11-19T00:00:00+07:00",
    }
    submitted, started, _internal = handled.events.order_by("at")

    # when
    with django_assert_num_queries(2):  # the jurisdiction, the updates
        response = _get(client, "servicerequestupdates.json", **params)

    # then
    assert _json(response) == [
        {
            "update_id": str(submitted.pk),
            "service_request_id": handled.tracking_number,
            "status": "OPEN",
            "updated_datetime": "2026-11-18T10:15:00+07:00",
            "description": None,
            "media_url": None,
            "external_status_code": "submitted",
        },
        {
            "update_id": str(started.pk),
            "service_request_id": handled.tracking_number,
            "status": "IN_PROGRESS",
            "updated_datetime": "2026-11-18T12:15:00+07:00",
            "description": "A crew is on its way.",
            "media_url": None,
            "external_status_code": "in_progress",
        },
    ]
    root = _xml(_get(client, "servicerequestupdates.xml", **params))
    assert root.tag == "service_request_updates"
    assert _tags(root) == ["request_update", "request_update"]
    assert _tags(root[1]) == UPDATE_FIELDS
    assert _text(root[1], "status") == "IN_PROGRESS"


@pytest.mark.parametrize(
    ("status", "extended"),
    [
        (S.SUBMITTED, "OPEN"),
        (S.ROUTED, "OPEN"),
        (S.ACCEPTED, "ACTION_SCHEDULED"),
        (S.IN_PROGRESS, "IN_PROGRESS"),
        (S.REJECTED, "INTERNAL_REFERRAL"),
        (S.TRANSFERRED, "INTERNAL_REFERRAL"),
        (S.RESOLVED, "FIXED"),
        (S.CLOSED, "CLOSED"),
        (S.DUPLICATE, "DUPLICATE"),
        (S.REWORK, "REOPEN"),
        (S.WITHDRAWN, "CANCELLED"),
    ],
)
def test_every_status_has_an_extended_status(client, potholes, status, extended):
    complaint = _complaint(potholes)
    _event(complaint, status, at=timezone.now() - datetime.timedelta(hours=1))

    body = _json(_get(client, "servicerequestupdates.json", jurisdiction_id="chiang-mai"))

    assert [(u["status"], u["external_status_code"]) for u in body] == [(extended, status)]


def test_updates_leave_out_unpublished_categories_and_other_windows(client, potholes, noise):
    now = timezone.now()
    shown = _event(_complaint(potholes), S.ROUTED, at=now - datetime.timedelta(days=1))
    _event(_complaint(noise), S.ROUTED, at=now - datetime.timedelta(days=1))
    _event(_complaint(potholes), S.ROUTED, at=now - datetime.timedelta(days=91))

    body = _json(_get(client, "servicerequestupdates.json", jurisdiction_id="chiang-mai"))
    too_long = _get(
        client, "servicerequestupdates.json", jurisdiction_id="chiang-mai",
        start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z",
    )  # fmt: skip

    assert [u["update_id"] for u in body] == [str(shown.pk)]
    _errors_json(too_long, 400)
    _errors_json(_get(client, "servicerequestupdates.json"), 400)


def test_updates_are_the_newest_within_the_limit_oldest_first(client, potholes, monkeypatch):
    monkeypatch.setattr(queries, "LIMIT", 2)
    complaint = _complaint(potholes)
    now = timezone.now()
    events = [_event(complaint, S.ROUTED, at=now - datetime.timedelta(hours=h)) for h in (3, 2, 1)]

    body = _json(_get(client, "servicerequestupdates.json", jurisdiction_id="chiang-mai"))

    assert [u["update_id"] for u in body] == [str(e.pk) for e in events[1:]]


# Privacy -----------------------------------------------------------------------------------


def test_no_get_ever_shows_personal_data(client, handled, potholes, lights, size):
    # given requests of every kind, with their history
    _complaint(lights, status=S.CLOSED, agency=handled.agency)
    reads = [
        "services.json",
        "services.xml",
        "services/potholes.json",
        f"requests/{handled.tracking_number}.json",
        f"requests/{handled.tracking_number}.xml",
        "requests.json",
        "requests.xml",
        "servicerequestupdates.json",
        "servicerequestupdates.xml",
    ]

    for path in reads:
        # when
        response = _get(
            client, path, jurisdiction_id="chiang-mai", start_date="2026-11-01T00:00:00Z"
        )

        # then
        assert response.status_code == 200, path
        body = response.content.decode()
        for secret in [*PERSONAL, "Reporter sounds angry."]:
            assert secret not in body, (path, secret)

"""Open data: public complaints as GeoJSON and aggregate statistics, for anyone, without
personal data and with coarsened points; categories that are not public never appear."""

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint, ComplaintCategory, District, Rating
from identity.models import Agency, Jurisdiction
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    DistrictFactory,
    PersonFactory,
    square,
)

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/complaints/public"
STATS = "/api/v1/complaints/stats"
UTC = datetime.UTC
S = Complaint.Status
PERSONAL = [
    "Somchai",
    "Secretname",
    "somchai.secret@example.org",
    "0812345678",
    "12/3 Soi 5",
    "outside my house",
    "18.796143",
    "98.979263",
]


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def city() -> Jurisdiction:
    return CityFactory.create(code="chiang-mai")


@pytest.fixture
def works(city) -> Agency:
    return AgencyFactory.create(jurisdiction=city)


@pytest.fixture
def roads(city) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(jurisdiction=city, code="roads", default_agency=None)


@pytest.fixture
def potholes(city, roads, works) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(
        jurisdiction=city, parent=roads, code="potholes", name="Potholes", name_th="หลุมบนถนน",
        default_agency=works,
    )  # fmt: skip


@pytest.fixture
def lights(city, works) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(
        jurisdiction=city, code="lights", name="Street lights", default_agency=works
    )


@pytest.fixture
def noise(city, works) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(
        jurisdiction=city, code="noise", name="Noise", default_agency=works, is_public=False
    )


@pytest.fixture
def old_town(city) -> District:
    return DistrictFactory.create(
        jurisdiction=city, code="old-town", name="Old Town", boundary=square(98.98, 18.79, 0.02)
    )


def _complaint(category: ComplaintCategory, **fields: Any) -> Complaint:
    reporter = PersonFactory.create(
        legal_name_latin="Somchai Secretname", contact_email="somchai.secret@example.org"
    )
    fields.setdefault("created_at", timezone.now() - datetime.timedelta(days=1))
    fields.setdefault("latitude", Decimal("18.796143"))
    fields.setdefault("longitude", Decimal("98.979263"))
    return ComplaintFactory.create(
        category=category,
        reporter=reporter,
        description="Deep hole outside my house, call Somchai on 0812345678.",
        address="12/3 Soi 5, Nimman",
        contact_name="Somchai Secretname",
        contact_email="somchai.secret@example.org",
        contact_phone="0812345678",
        **fields,
    )


def _numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [feature["id"] for feature in json.loads(response.content)["features"]]


# Public complaints -------------------------------------------------------------------------


def test_public_complaints_are_geojson_features_without_personal_data(
    client, potholes, works, old_town, django_assert_num_queries
):
    # given
    resolved = _complaint(
        potholes, status=S.RESOLVED, agency=works, district=old_town,
        created_at=datetime.datetime(2026, 11, 18, 3, 15, tzinfo=UTC),
        resolved_at=datetime.datetime(2026, 11, 19, 8, 0, tzinfo=UTC),
    )  # fmt: skip

    # when
    with django_assert_num_queries(2):  # the jurisdiction, the page
        response = client.get(PUBLIC, {"jurisdiction": "chiang-mai"})

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert json.loads(response.content) == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": resolved.tracking_number,
                "geometry": {"type": "Point", "coordinates": [98.979, 18.796]},
                "properties": {
                    "tracking_number": resolved.tracking_number,
                    "category_code": "potholes",
                    "category_name": "Potholes",
                    "status": "resolved",
                    "district_code": "old-town",
                    "created_at": "2026-11-18T03:15:00Z",
                    "resolved_at": "2026-11-19T08:00:00Z",
                },
            }
        ],
        "numberReturned": 1,
        "links": [],
    }
    body = response.content.decode()
    for secret in PERSONAL:
        assert secret not in body, secret
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]


def test_the_precision_follows_the_setting(client, potholes, settings):
    settings.COMPLAINTS_PUBLIC_LOCATION_DECIMALS = 2
    _complaint(potholes)

    body = json.loads(client.get(PUBLIC, {"jurisdiction": "chiang-mai"}).content)

    assert body["features"][0]["geometry"]["coordinates"] == [98.98, 18.8]


def test_unpublished_categories_places_unknown_and_other_cities_are_left_out(
    client, potholes, noise
):
    shown = _complaint(potholes)
    _complaint(noise)
    _complaint(potholes, latitude=None, longitude=None)
    _complaint(ComplaintCategoryFactory.create())

    assert _numbers(client.get(PUBLIC, {"jurisdiction": "chiang-mai"})) == [shown.tracking_number]


def test_names_are_in_the_language_asked_for(client, potholes):
    _complaint(potholes)

    response = client.get(PUBLIC, {"jurisdiction": "chiang-mai"}, HTTP_ACCEPT_LANGUAGE="th")

    assert json.loads(response.content)["features"][0]["properties"]["category_name"] == "หลุมบนถนน"
    assert "Accept-Language" in response["Vary"]


def test_filters_by_category_and_those_beneath_status_box_and_time(client, potholes, lights):
    # given
    now = timezone.now()
    hole = _complaint(potholes, status=S.ROUTED, created_at=now - datetime.timedelta(days=2))
    light = _complaint(lights, status=S.SUBMITTED, created_at=now - datetime.timedelta(days=5))
    far = _complaint(
        lights, latitude=Decimal("19.9"), longitude=Decimal("99.8"),
        created_at=now - datetime.timedelta(days=1),
    )  # fmt: skip

    def numbers(**params: str) -> list[str]:
        return _numbers(client.get(PUBLIC, {"jurisdiction": "chiang-mai", **params}))

    # then
    assert numbers(category="roads") == [hole.tracking_number]
    assert numbers(category="potholes") == [hole.tracking_number]
    assert numbers(status="routed,submitted") == [
        far.tracking_number, hole.tracking_number, light.tracking_number,
    ]  # fmt: skip
    assert numbers(status="routed") == [hole.tracking_number]
    assert numbers(bbox="98.9,18.7,99.1,18.9") == [hole.tracking_number, light.tracking_number]
    since = (now - datetime.timedelta(days=3)).isoformat()
    until = (now - datetime.timedelta(days=1, hours=12)).isoformat()
    assert numbers(since=since, until=until) == [hole.tracking_number]


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({}, "jurisdiction", "required"),
        ({"jurisdiction": "chiang-mai", "status": "fixed"}, "status", "invalid"),
        ({"jurisdiction": "chiang-mai", "bbox": "1,2,3"}, "bbox", "invalid"),
        ({"jurisdiction": "chiang-mai", "bbox": "99,18,98,19"}, "bbox", "invalid"),
        ({"jurisdiction": "chiang-mai", "since": "soon"}, "since", "invalid"),
    ],
)
def test_invalid_filters_are_a_problem(client, city, params, field, code):
    response = client.get(PUBLIC, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = json.loads(response.content)["errors"]
    assert [(error["field"], error["code"]) for error in errors] == [(field, code)]


def test_an_unknown_jurisdiction_is_not_found(client):
    response = client.get(PUBLIC, {"jurisdiction": "atlantis"})

    assert response.status_code == 404
    assert json.loads(response.content)["code"] == "jurisdiction_not_found"


def test_pages_follow_the_next_link_with_one_query_each(
    client, potholes, django_assert_num_queries
):
    # given
    now = timezone.now()
    made = [_complaint(potholes, created_at=now - datetime.timedelta(hours=h)) for h in range(5)]

    # when
    with django_assert_num_queries(2):
        first = json.loads(
            client.get(PUBLIC, {"jurisdiction": "chiang-mai", "page_size": 3}).content
        )
    (link,) = first["links"]
    with django_assert_num_queries(2):
        second = json.loads(client.get(link["href"]).content)

    # then
    assert link["rel"] == "next"
    assert link["type"] == "application/geo+json"
    assert [f["id"] for f in first["features"] + second["features"]] == [
        c.tracking_number for c in made
    ]
    assert [link["rel"] for link in second["links"]] == ["prev"]


# Statistics --------------------------------------------------------------------------------


def test_stats_by_category_and_district(
    client, potholes, lights, noise, works, old_town, django_assert_num_queries
):
    # given in November: a pothole resolved on time and rated 5, one resolved late and rated
    # 2 (rework), a street light waiting; a noise complaint (not public)
    day = datetime.datetime(2026, 11, 10, tzinfo=UTC)
    on_time = _complaint(potholes, status=S.CLOSED, agency=works, district=old_town,
                         created_at=day, resolved_at=day, resolved_on_time=True)  # fmt: skip
    late = _complaint(potholes, status=S.RESOLVED, agency=works, created_at=day,
                      resolved_at=day, resolved_on_time=False)  # fmt: skip
    _complaint(lights, created_at=day, district=old_town)
    _complaint(noise, created_at=day, resolved_at=day, resolved_on_time=False, agency=works,
               status=S.RESOLVED)  # fmt: skip
    for complaint, result in ((on_time, 5), (late, 2)):
        Rating.objects.create(
            complaint=complaint, round=0, speed=3, result=result, attitude=3,
            is_satisfied=result >= 3, created_at=day,
        )  # fmt: skip
    params = {"jurisdiction": "chiang-mai", "since": "2026-11-01T00:00:00Z",
              "until": "2026-12-01T00:00:00Z"}  # fmt: skip

    # when
    with django_assert_num_queries(9):  # jurisdiction, 3 by category, 3 by district, 2 names
        response = client.get(STATS, params)

    # then
    assert response.status_code == 200
    pothole_figures = {
        "volume": 2, "resolved": 2, "on_time": 1, "on_time_rate": 0.5, "ratings": 2,
        "average_result": 3.5, "satisfied_share": 0.5, "rework": 1,
    }  # fmt: skip
    light_figures = {
        "volume": 1, "resolved": 0, "on_time": 0, "on_time_rate": None, "ratings": 0,
        "average_result": None, "satisfied_share": None, "rework": 0,
    }  # fmt: skip
    assert json.loads(response.content) == {
        "jurisdiction": "chiang-mai",
        "since": "2026-11-01T00:00:00Z",
        "until": "2026-12-01T00:00:00Z",
        "total": {
            "volume": 3,
            "resolved": 2,
            "on_time": 1,
            "on_time_rate": 0.5,
            "ratings": 2,
            "average_result": 3.5,
            "satisfied_share": 0.5,
            "rework": 1,
        },
        "by_category": [
            {"code": "lights", "name": "Street lights", **light_figures},
            {"code": "potholes", "name": "Potholes", **pothole_figures},
        ],
        "by_district": [
            {
                "code": "old-town",
                "name": "Old Town",
                "volume": 2,
                "resolved": 1,
                "on_time": 1,
                "on_time_rate": 1.0,
                "ratings": 1,
                "average_result": 5.0,
                "satisfied_share": 1.0,
                "rework": 0,
            },
            {
                "code": None,
                "name": None,
                "volume": 1,
                "resolved": 1,
                "on_time": 0,
                "on_time_rate": 0.0,
                "ratings": 1,
                "average_result": 2.0,
                "satisfied_share": 0.0,
                "rework": 1,
            },
        ],
    }
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]


def test_stats_need_a_known_jurisdiction_and_an_ordered_period(client, city):
    missing = client.get(STATS)
    unknown = client.get(STATS, {"jurisdiction": "atlantis"})
    backwards = client.get(
        STATS, {"jurisdiction": "chiang-mai", "since": "2026-11-02", "until": "2026-11-01"}
    )

    assert missing.status_code == 400
    assert json.loads(missing.content)["errors"][0]["field"] == "jurisdiction"
    assert unknown.status_code == 404
    assert backwards.status_code == 400
    assert json.loads(backwards.content)["errors"][0]["field"] == "until"


def test_stats_of_a_quiet_jurisdiction_are_zero(client, city):
    body = json.loads(client.get(STATS, {"jurisdiction": "chiang-mai"}).content)

    assert body["total"] == {
        "volume": 0, "resolved": 0, "on_time": 0, "on_time_rate": None, "ratings": 0,
        "average_result": None, "satisfied_share": None, "rework": 0,
    }  # fmt: skip
    assert body["by_category"] == body["by_district"] == []

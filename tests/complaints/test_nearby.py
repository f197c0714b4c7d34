"""GET /api/v1/complaints/nearby: before reporting, the open complaints of the category within
its duplicate radius and window, nearest first, without anything about who reported them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from complaints.models import Complaint, ComplaintCategory
from complaints.queries import haversine_m
from tests.factories import ComplaintCategoryFactory, ComplaintFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints/nearby"
LAT, LON = Decimal("13.750000"), Decimal("100.500000")
S = Complaint.Status
# About 1.1 m of latitude per 0.00001 degree.
METRES_PER_DEGREE = Decimal("111195")


@pytest.fixture
def category() -> ComplaintCategory:
    return ComplaintCategoryFactory.create(duplicate_radius_m=100, duplicate_window_days=14)


def _north_of_centre(metres: int) -> Decimal:
    return (LAT + Decimal(metres) / METRES_PER_DEGREE).quantize(Decimal("0.000001"))


def _complaint(category, *, metres: int, **fields) -> Complaint:
    return ComplaintFactory.create(
        category=category, latitude=_north_of_centre(metres), longitude=LON, **fields
    )


def _ask(api, category, *, lat=LAT, lon=LON):
    return api.get(
        URL,
        {"jurisdiction": category.jurisdiction.code, "category": category.code, "lat": str(lat),
         "lon": str(lon)},
    )  # fmt: skip


def test_open_complaints_nearby_are_listed_nearest_first(api, category):
    # given complaints of the category 80 m, 10 m and 150 m away, and one of another category
    far_in = _complaint(category, metres=80, description="Lamp out  on the corner " * 20)
    near = _complaint(category, metres=10)
    _complaint(category, metres=150)
    _complaint(ComplaintCategoryFactory.create(jurisdiction=category.jurisdiction), metres=5)

    # when anybody asks
    response = _ask(api, category)

    # then
    assert response.status_code == 200
    found = response.json()
    assert [c["tracking_number"] for c in found] == [near.tracking_number, far_in.tracking_number]
    assert [c["distance_m"] for c in found] == [10, 80]
    assert set(found[0]) == {"tracking_number", "status", "distance_m", "created_at", "description"}
    assert len(found[1]["description"]) <= 140
    assert found[1]["description"].startswith("Lamp out on the corner Lamp out")
    assert found[1]["description"].endswith("…")


def test_only_active_complaints_within_the_window_count(api, category):
    old = timezone.now() - datetime.timedelta(days=15)
    _complaint(category, metres=5, created_at=old)
    original = _complaint(category, metres=500)
    agency = category.default_agency
    for status in (S.CLOSED, S.WITHDRAWN, S.RESOLVED):
        _complaint(category, metres=5, status=status, agency=agency)
    _complaint(category, metres=5, status=S.DUPLICATE, duplicate_of=original)
    in_progress = _complaint(category, metres=20, status=S.IN_PROGRESS, agency=agency)

    found = _ask(api, category).json()

    assert [c["tracking_number"] for c in found] == [in_progress.tracking_number]
    assert found[0]["status"] == "in_progress"


def test_complaints_of_a_category_that_is_not_public_are_not_shown(api):
    private = ComplaintCategoryFactory.create(is_public=False)
    _complaint(private, metres=5)

    assert _ask(api, private).json() == []


def test_at_most_twenty_are_listed(api, category):
    for metres in range(25):
        _complaint(category, metres=metres * 2)

    found = _ask(api, category).json()

    assert len(found) == 20
    assert [c["distance_m"] for c in found] == [metres * 2 for metres in range(20)]


def test_the_distance_is_measured_on_the_sphere():
    # one degree of longitude on the equator, and Bangkok to Chiang Mai as the crow flies
    assert round(haversine_m(0, 0, 0, 1)) == 111_195
    assert round(haversine_m(13.7563, 100.5018, 18.7883, 98.9853) / 1000) == 582


def test_the_lookup_is_one_query_for_the_complaints_once_the_catalogue_is_read(
    api, category, settings, django_assert_num_queries
):
    settings.COMPLAINTS_CATALOGUE_RECHECK_SECONDS = 60
    for metres in range(5):
        _complaint(category, metres=metres)
    _ask(api, category)  # the category comes from the routing table, built once per process

    with django_assert_num_queries(1):
        response = _ask(api, category)

    assert len(response.json()) == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"lat": "91"}, "lat"),
        ({"lon": "east"}, "lon"),
        ({"category": None}, "category"),
    ],
)
def test_bad_questions_are_refused(api, category, query, field):
    given = {"jurisdiction": category.jurisdiction.code, "category": category.code,
             "lat": "13.75", "lon": "100.5", **query}  # fmt: skip

    response = api.get(URL, {k: v for k, v in given.items() if v is not None})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_unknown_category_is_not_found(api, category):
    response = api.get(
        URL,
        {"jurisdiction": category.jurisdiction.code, "category": "nope", "lat": "1", "lon": "1"},
    )

    assert response.status_code == 404
    assert response.json()["code"] == "category_not_found"

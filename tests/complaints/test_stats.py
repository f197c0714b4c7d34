"""Complaint statistics: each measure over what happened in the period by its own moment
(submitted, resolved, rated), grouped by category, district or agency, in one query each."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import stats
from complaints.models import Complaint, ComplaintCategory, District, Rating
from identity.models import Agency, Jurisdiction
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    DistrictFactory,
    JurisdictionFactory,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BANGKOK = ZoneInfo("Asia/Bangkok")
NOVEMBER = datetime.datetime(2026, 11, 1, tzinfo=UTC)
DECEMBER = datetime.datetime(2026, 12, 1, tzinfo=UTC)
S = Complaint.Status


def _at(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def province() -> Jurisdiction:
    return JurisdictionFactory.create()


@pytest.fixture
def city(province) -> Jurisdiction:
    return CityFactory.create(parent=province)


@pytest.fixture
def works(city) -> Agency:
    return AgencyFactory.create(jurisdiction=city)


@pytest.fixture
def parks(city) -> Agency:
    return AgencyFactory.create(jurisdiction=city)


@pytest.fixture
def potholes(city, works) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(jurisdiction=city, default_agency=works)


@pytest.fixture
def trees(city, parks) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(jurisdiction=city, default_agency=parks)


@pytest.fixture
def north(city) -> District:
    return DistrictFactory.create(jurisdiction=city)


def _resolved(category, agency, *, on_time: bool | None, resolved_at, **fields) -> Complaint:
    fields.setdefault("status", S.RESOLVED)
    fields.setdefault("created_at", _at(1))
    return ComplaintFactory.create(
        category=category, agency=agency, resolved_at=resolved_at, resolved_on_time=on_time,
        **fields,
    )  # fmt: skip


def _rate(complaint: Complaint, result: int, at: datetime.datetime, round: int = 0) -> Rating:
    return Rating.objects.create(
        complaint=complaint, round=round, speed=4, result=result, attitude=4,
        is_satisfied=result >= 3, created_at=at,
    )  # fmt: skip


def test_volume_counts_complaints_submitted_in_the_period(
    potholes, trees, django_assert_num_queries
):
    # given
    for day in (2, 3, 30):
        ComplaintFactory.create(category=potholes, created_at=_at(day))
    ComplaintFactory.create(category=trees, created_at=_at(15))
    ComplaintFactory.create(category=trees, created_at=DECEMBER)  # until is excluded
    ComplaintFactory.create(category=trees, created_at=_at(1) - datetime.timedelta(days=1))

    # when
    with django_assert_num_queries(1):
        counted = stats.volumes(by="category", since=NOVEMBER, until=DECEMBER)

    # then
    assert counted == {potholes.pk: 3, trees.pk: 1}


def test_on_time_rates_count_complaints_resolved_in_the_period_with_a_verdict(
    potholes, trees, works, parks, django_assert_num_queries
):
    # given three resolved on time and one late by works, one by parks; one reopened for
    # rework (no verdict) and one resolved before the period
    for on_time in (True, True, True, False):
        _resolved(potholes, works, on_time=on_time, resolved_at=_at(10))
    _resolved(trees, parks, on_time=False, resolved_at=_at(11))
    _resolved(potholes, works, on_time=None, resolved_at=_at(12), status=S.REWORK)
    _resolved(potholes, works, on_time=True, resolved_at=NOVEMBER - datetime.timedelta(hours=1))

    # when
    with django_assert_num_queries(1):
        rates = stats.on_time_rates(by="agency", since=NOVEMBER, until=DECEMBER)

    # then
    assert rates == {works.pk: stats.OnTimeRate(4, 3), parks.pk: stats.OnTimeRate(1, 0)}
    assert rates[works.pk].rate == 0.75
    assert rates[parks.pk].rate == 0.0
    assert stats.OnTimeRate().rate is None


def test_on_time_rates_of_one_agency_by_category(potholes, trees, works, parks):
    _resolved(potholes, works, on_time=True, resolved_at=_at(10))
    _resolved(trees, works, on_time=False, resolved_at=_at(10))
    _resolved(trees, parks, on_time=True, resolved_at=_at(10))

    rates = stats.on_time_rates(by="category", agency=works)

    assert rates == {potholes.pk: stats.OnTimeRate(1, 1), trees.pk: stats.OnTimeRate(1, 0)}


def test_satisfaction_counts_ratings_given_in_the_period(
    potholes, works, north, django_assert_num_queries
):
    # given ratings of 5, 4 and 2 (dissatisfied: rework) in November, one in October
    first = _resolved(potholes, works, on_time=True, resolved_at=_at(5), district=north)
    second = _resolved(potholes, works, on_time=True, resolved_at=_at(5))
    _rate(first, 2, _at(6))
    _rate(first, 5, _at(20), round=1)
    _rate(second, 4, _at(7))
    _rate(second, 1, NOVEMBER - datetime.timedelta(days=3), round=1)

    # when
    with django_assert_num_queries(1):
        rated = stats.satisfaction(by="district", since=NOVEMBER, until=DECEMBER)

    # then
    assert rated == {north.pk: stats.Satisfaction(2, 1, 7), None: stats.Satisfaction(1, 1, 4)}
    assert rated[north.pk].average_result == 3.5
    assert rated[north.pk].satisfied_share == 0.5
    assert rated[north.pk].rework == 1
    assert stats.Satisfaction().average_result is None


def test_figures_together_and_in_total(potholes, trees, works, parks, django_assert_num_queries):
    # given
    late = _resolved(potholes, works, on_time=False, resolved_at=_at(10), created_at=_at(2))
    _rate(late, 1, _at(11))
    ComplaintFactory.create(category=trees, created_at=_at(3))

    # when
    with django_assert_num_queries(3):
        by_category = stats.figures(by="category", since=NOVEMBER, until=DECEMBER)

    # then
    assert by_category == {
        potholes.pk: stats.Figures(1, stats.OnTimeRate(1, 0), stats.Satisfaction(1, 0, 1)),
        trees.pk: stats.Figures(1, stats.OnTimeRate(), stats.Satisfaction()),
    }
    everything = stats.total(by_category.values())
    assert everything == stats.Figures(2, stats.OnTimeRate(1, 0), stats.Satisfaction(1, 0, 1))
    assert everything.satisfaction.rework == 1


def test_a_jurisdiction_covers_those_beneath_it_and_public_only_narrows(province, city, potholes):
    # given a complaint in the city, one elsewhere, one in a category not published
    ComplaintFactory.create(category=potholes, created_at=_at(2))
    ComplaintFactory.create(created_at=_at(2))
    hidden = ComplaintCategoryFactory.create(jurisdiction=city, is_public=False)
    ComplaintFactory.create(category=hidden, created_at=_at(2))

    # then
    assert stats.volumes(by="category", jurisdiction=province) == {potholes.pk: 1, hidden.pk: 1}
    assert stats.volumes(by="category", jurisdiction=city, public_only=True) == {potholes.pk: 1}


def test_volume_over_time_by_local_day(potholes, django_assert_num_queries):
    # given 17:30 UTC on the 2nd is already the 3rd in Bangkok
    for moment in (_at(2, 10), _at(2, 17) + datetime.timedelta(minutes=30), _at(3, 1)):
        ComplaintFactory.create(category=potholes, created_at=moment)

    with django_assert_num_queries(1):
        days = stats.volume_over_time(period="day", zone=BANGKOK)
    months = stats.volume_over_time(period="month", zone=BANGKOK)

    assert days == [(datetime.date(2026, 11, 2), 1), (datetime.date(2026, 11, 3), 2)]
    assert months == [(datetime.date(2026, 11, 1), 3)]

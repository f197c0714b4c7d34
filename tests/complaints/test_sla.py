"""Working-day and working-hour arithmetic for SLA deadlines (complaints/sla.py)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.demo import seed_calendars
from complaints.models import PublicHoliday, WorkingCalendar
from complaints.sla import (
    Calendar,
    add_working_days,
    add_working_hours,
    calendar_for,
    is_working_time,
    working_time_between,
    working_time_between_excluding,
)
from identity.demo import seed_jurisdictions
from identity.models import Jurisdiction
from tests.factories import CityFactory, JurisdictionFactory

BANGKOK = ZoneInfo("Asia/Bangkok")
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
SONGKRAN_2026 = frozenset({date(2026, 4, 13), date(2026, 4, 14), date(2026, 4, 15)})
NATIONAL_DAY_2026 = frozenset(date(2026, 10, day) for day in range(1, 8))

THAI = Calendar(
    time_zone=BANGKOK, holidays=SONGKRAN_2026, day_starts=time(8, 30), day_ends=time(16, 30)
)
CHINESE = Calendar(
    time_zone=SHANGHAI, holidays=NATIONAL_DAY_2026, day_starts=time(9), day_ends=time(18)
)
CHINESE_WHOLE_DAYS = Calendar(time_zone=SHANGHAI, holidays=NATIONAL_DAY_2026)


def bkk(*args: int) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)  # type: ignore[arg-type,misc]


def sha(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[arg-type,misc]


@pytest.mark.parametrize(
    ("calendar", "start", "days", "deadline"),
    [
        # Monday morning, 3 days: the day of receipt is not counted → end of Thursday
        (THAI, bkk(2026, 3, 2, 10), 3, bkk(2026, 3, 5, 16, 30)),
        # zero days: the end of the day of receipt
        (THAI, bkk(2026, 3, 2, 10), 0, bkk(2026, 3, 2, 16, 30)),
        # Friday before Songkran: the weekend and Mon-Wed holidays are skipped
        (THAI, bkk(2026, 4, 10, 10), 1, bkk(2026, 4, 16, 16, 30)),
        # Friday after hours: deemed received on Thursday after Songkran, due Friday
        (THAI, bkk(2026, 4, 10, 17), 1, bkk(2026, 4, 17, 16, 30)),
        # exactly at the end of work counts as after hours
        (THAI, bkk(2026, 3, 2, 16, 30), 1, bkk(2026, 3, 4, 16, 30)),
        # before work starts on a working day: received that day
        (THAI, bkk(2026, 3, 2, 7), 1, bkk(2026, 3, 3, 16, 30)),
        # Saturday: deemed received on Monday, 3 days → end of Thursday
        (THAI, bkk(2026, 3, 7, 9), 3, bkk(2026, 3, 12, 16, 30)),
        # before the National Day week in China
        (CHINESE, sha(2026, 9, 30, 15), 2, sha(2026, 10, 9, 18)),
        # on a holiday: deemed received on the first working day after it
        (CHINESE, sha(2026, 10, 3, 11), 1, sha(2026, 10, 9, 18)),
        # whole days: the deadline is midnight ending the Nth working day
        (CHINESE_WHOLE_DAYS, sha(2026, 3, 6, 23), 1, sha(2026, 3, 10, 0)),
    ],
)
def test_add_working_days(calendar, start, days, deadline):
    assert add_working_days(start, days, calendar) == deadline


def test_add_working_days_accepts_any_zone_and_returns_utc():
    # given: Monday 10:00 in Bangkok, written as 03:00 UTC
    start = datetime(2026, 3, 2, 3, tzinfo=ZoneInfo("UTC"))
    # when
    deadline = add_working_days(start, 1, THAI)
    # then
    assert deadline == bkk(2026, 3, 3, 16, 30)
    assert deadline.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("calendar", "start", "hours", "deadline"),
    [
        (THAI, bkk(2026, 3, 2, 10), 4, bkk(2026, 3, 2, 14)),
        # runs over into the next morning
        (THAI, bkk(2026, 3, 2, 14, 30), 4, bkk(2026, 3, 3, 10, 30)),
        # a full day from before work: ends at the end of work, not the next morning
        (THAI, bkk(2026, 3, 2, 7), 8, bkk(2026, 3, 2, 16, 30)),
        # starting at the end of work
        (THAI, bkk(2026, 3, 2, 16, 30), 1, bkk(2026, 3, 3, 9, 30)),
        # across the weekend and Songkran
        (THAI, bkk(2026, 4, 10, 15, 30), 2, bkk(2026, 4, 16, 9, 30)),
        # from a Saturday
        (THAI, bkk(2026, 3, 7, 12), 1, bkk(2026, 3, 9, 9, 30)),
        (THAI, bkk(2026, 3, 2, 10), 0.5, bkk(2026, 3, 2, 10, 30)),
        (THAI, bkk(2026, 3, 7, 12), 0, bkk(2026, 3, 7, 12)),
        (CHINESE, sha(2026, 9, 30, 17), 3, sha(2026, 10, 8, 11)),
        # whole days count 24 hours each: Friday's last 4, then Monday from midnight
        (CHINESE_WHOLE_DAYS, sha(2026, 3, 6, 20), 24, sha(2026, 3, 9, 20)),
    ],
)
def test_add_working_hours(calendar, start, hours, deadline):
    assert add_working_hours(start, hours, calendar) == deadline


def test_hours_count_real_time_across_a_daylight_saving_change():
    # given: every day is a working day; Sunday 29 March 2026 has 23 hours in Berlin
    every_day = Calendar(time_zone=BERLIN, working_weekdays=frozenset(range(7)))
    start = datetime(2026, 3, 28, 12, tzinfo=BERLIN)
    # when / then: 24 real hours later, the clock shows 13:00
    assert add_working_hours(start, 24, every_day) == datetime(2026, 3, 29, 13, tzinfo=BERLIN)
    sunday = (datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN))
    assert working_time_between(*sunday, every_day) == timedelta(hours=23)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (bkk(2026, 3, 2, 8, 29), False),
        (bkk(2026, 3, 2, 8, 30), True),
        (bkk(2026, 3, 2, 16, 29), True),
        (bkk(2026, 3, 2, 16, 30), False),
        (bkk(2026, 3, 7, 10), False),  # Saturday
        (bkk(2026, 4, 13, 10), False),  # Songkran
    ],
)
def test_is_working_time(at, expected):
    assert is_working_time(at, THAI) is expected


def test_working_time_between_skips_nights_weekends_and_holidays():
    # Friday 15:00 → Thursday after Songkran 10:00: 1.5 h + 1.5 h
    elapsed = working_time_between(bkk(2026, 4, 10, 15), bkk(2026, 4, 16, 10), THAI)
    assert elapsed == timedelta(hours=3)


def test_working_time_between_is_zero_when_the_end_is_not_later():
    assert working_time_between(bkk(2026, 3, 2, 12), bkk(2026, 3, 2, 10), THAI) == timedelta(0)


def test_working_time_between_excluding_pauses():
    # given: Monday 09:00 → Wednesday 18:00 is 27 working hours; overlapping pauses cover
    # Monday 12:00 → Tuesday 14:00 (11 working hours), and one starts before the period
    pauses = [
        (sha(2026, 3, 2, 12), sha(2026, 3, 3, 12)),
        (sha(2026, 3, 3, 10), sha(2026, 3, 3, 14)),
        (sha(2026, 3, 1, 12), sha(2026, 3, 2, 10)),
    ]
    # when
    elapsed = working_time_between_excluding(
        sha(2026, 3, 2, 9), sha(2026, 3, 4, 18), pauses, CHINESE
    )
    # then: 27 - 11 - 1
    assert elapsed == timedelta(hours=15)


def test_working_time_between_excluding_nothing_equals_working_time_between():
    a, b = sha(2026, 9, 30, 10), sha(2026, 10, 9, 12)
    assert working_time_between_excluding(a, b, [], CHINESE) == timedelta(hours=8 + 9 + 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_working_days(bkk(2026, 3, 2), 3651, THAI), "between 0 and 3650"),
        (lambda: add_working_days(bkk(2026, 3, 2), -1, THAI), "between 0 and 3650"),
        (lambda: add_working_hours(bkk(2026, 3, 2), 3650 * 24 + 1, THAI), "between 0 and 87600"),
        (lambda: add_working_days(datetime(2026, 3, 2), 1, THAI), "time-zone aware"),
        (lambda: working_time_between(bkk(2016, 3, 2), bkk(2026, 3, 2), THAI), "3650 days"),
        (
            lambda: add_working_days(
                bkk(2026, 3, 2), 1, Calendar(time_zone=BANGKOK, working_weekdays=frozenset())
            ),
            "no working day",
        ),
        (lambda: Calendar(time_zone=BANGKOK, day_starts=time(9)), "both a start and an end"),
        (
            lambda: Calendar(time_zone=BANGKOK, day_starts=time(9), day_ends=time(8)),
            "end after it starts",
        ),
    ],
)
def test_refuses_unbounded_or_malformed_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_counting_outside_the_loaded_holidays_is_refused():
    calendar = Calendar(
        time_zone=BANGKOK, holidays_from=date(2026, 1, 1), holidays_until=date(2026, 12, 31)
    )
    with pytest.raises(ValueError, match="holidays are loaded"):
        add_working_days(bkk(2026, 12, 30, 10), 5, calendar)


# -- calendar_for: one calendar per jurisdiction, inherited from the nearest ancestor


@pytest.fixture
def province_with_calendar(db):
    province = JurisdictionFactory.create(time_zone="Asia/Bangkok")
    calendar = WorkingCalendar.objects.create(
        jurisdiction=province,
        working_weekdays=[0, 1, 2, 3, 4],
        day_starts=time(8, 30),
        day_ends=time(16, 30),
    )
    for day in SONGKRAN_2026:
        PublicHoliday.objects.create(calendar=calendar, date=day, name="Songkran")
    PublicHoliday.objects.create(calendar=calendar, date=date(2020, 4, 13), name="Songkran")
    return province


def test_a_district_counts_on_its_nearest_ancestors_calendar_in_its_own_zone(
    province_with_calendar, django_assert_num_queries
):
    # given: a district two levels below the province, in another zone, with no calendar
    city = CityFactory.create(parent=province_with_calendar, time_zone="Asia/Bangkok")
    district = JurisdictionFactory.create(
        level=Jurisdiction.Level.DISTRICT, parent=city, time_zone="Asia/Shanghai"
    )
    # when
    with django_assert_num_queries(2):
        calendar = calendar_for(district, window=(date(2026, 1, 1), date(2027, 12, 31)))
    # then
    assert calendar == Calendar(
        time_zone=SHANGHAI,
        holidays=SONGKRAN_2026,
        day_starts=time(8, 30),
        day_ends=time(16, 30),
        holidays_from=date(2026, 1, 1),
        holidays_until=date(2027, 12, 31),
    )


def test_a_jurisdictions_own_calendar_wins_over_its_parents(
    province_with_calendar, django_assert_num_queries
):
    city = CityFactory.create(parent=province_with_calendar)
    WorkingCalendar.objects.create(jurisdiction=city, working_weekdays=[0, 1, 2, 3, 4, 5])
    with django_assert_num_queries(2):
        calendar = calendar_for(city, window=(date(2026, 1, 1), date(2026, 12, 31)))
    assert (calendar.working_weekdays, calendar.holidays, calendar.day_starts) == (
        frozenset(range(6)),
        frozenset(),
        None,
    )


def test_without_any_calendar_a_jurisdiction_works_monday_to_friday(db, django_assert_num_queries):
    city = CityFactory.create(time_zone="Asia/Shanghai")
    with django_assert_num_queries(1):
        calendar = calendar_for(city)
    assert calendar == Calendar(time_zone=SHANGHAI)


def test_the_default_window_loads_current_holidays_only(province_with_calendar):
    calendar = calendar_for(province_with_calendar)
    assert date(2020, 4, 13) not in calendar.holidays
    assert calendar.holidays_from is not None
    assert calendar.holidays_until is not None


@pytest.mark.django_db
def test_demo_calendars_are_seeded_once_and_inherited_by_districts():
    # given: the demo places, and the calendars seeded twice
    seed_jurisdictions()
    seed_calendars()
    seed_calendars()
    # when
    window = (date(2026, 1, 1), date(2027, 12, 31))
    si_phum = calendar_for(Jurisdiction.objects.get(code="th-si-phum"), window=window)
    futian = calendar_for(Jurisdiction.objects.get(code="cn-futian"), window=window)
    # then
    assert WorkingCalendar.objects.count() == 2
    assert PublicHoliday.objects.filter(date=date(2026, 4, 13)).get().name_th == "วันสงกรานต์"
    # Songkran 2026 (Mon-Wed): a Friday request with one working day is due on Thursday
    assert add_working_days(bkk(2026, 4, 10, 10), 1, si_phum) == bkk(2026, 4, 16, 16, 30)
    # Visakha Bucha fell on Sunday 31 May 2026: Monday 1 June is its substitution day
    assert not si_phum.is_working_day(date(2026, 6, 1))
    # the National Day week in Shenzhen's Futian district
    assert add_working_days(sha(2026, 9, 30, 15), 2, futian) == sha(2026, 10, 9, 18)


def test_a_make_up_working_day_counts_although_it_is_a_weekend(db):
    # given: China's 2026 National Day week, bridged by working Saturday 10 October
    province = JurisdictionFactory.create(time_zone="Asia/Shanghai")
    calendar = WorkingCalendar.objects.create(
        jurisdiction=province, working_weekdays=[0, 1, 2, 3, 4],
        day_starts=time(9), day_ends=time(18),
    )  # fmt: skip
    for day in NATIONAL_DAY_2026:
        PublicHoliday.objects.create(calendar=calendar, date=day, name="National Day")
    PublicHoliday.objects.create(
        calendar=calendar, date=date(2026, 10, 10), name="调休上班",
        kind=PublicHoliday.Kind.WORKING_DAY,
    )  # fmt: skip
    loaded = calendar_for(province, window=(date(2026, 1, 1), date(2026, 12, 31)))

    # when: received on the last holiday, due in 2 working days
    deadline = add_working_days(sha(2026, 10, 7, 11), 2, loaded)

    # then: Thursday 8 is the day of receipt; Friday 9 and Saturday 10 are the two days
    assert loaded.is_working_day(date(2026, 10, 10))
    assert not loaded.is_working_day(date(2026, 10, 11))
    assert deadline == sha(2026, 10, 10, 18)

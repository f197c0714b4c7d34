"""Working calendars in admin: holidays named in three languages, hours both or none, and
agency staff can look but not edit."""

from datetime import date, time

import pytest
from django.test import Client

from complaints.models import PublicHoliday, WorkingCalendar
from identity.models import Membership
from tests.conftest import sign_in_to_admin
from tests.factories import CityFactory, MembershipFactory

pytestmark = pytest.mark.django_db

INLINE = "holidays"


def calendar_form(jurisdiction_pk: int, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "jurisdiction": jurisdiction_pk,
        "working_weekdays": ["0", "1", "2", "3", "4"],
        "day_starts": "08:30",
        "day_ends": "16:30",
        f"{INLINE}-TOTAL_FORMS": "1",
        f"{INLINE}-INITIAL_FORMS": "0",
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
        f"{INLINE}-0-date": "2026-04-13",
        f"{INLINE}-0-kind": "day_off",
        f"{INLINE}-0-name_en": "Songkran",
        f"{INLINE}-0-name_th": "วันสงกรานต์",
        f"{INLINE}-0-name_zh_hans": "宋干节",
    }
    data.update(overrides)
    return data


def test_platform_admin_adds_a_calendar_with_a_holiday_in_three_languages(admin_client):
    # given
    city = CityFactory.create()
    # when
    response = admin_client.post("/admin/complaints/workingcalendar/add/", calendar_form(city.pk))
    # then
    assert response.status_code == 302
    calendar = WorkingCalendar.objects.get(jurisdiction=city)
    assert (calendar.working_weekdays, calendar.day_starts, calendar.day_ends) == (
        [0, 1, 2, 3, 4],
        time(8, 30),
        time(16, 30),
    )
    holiday = PublicHoliday.objects.get(calendar=calendar)
    assert (holiday.date, holiday.name_en, holiday.name_th, holiday.name_zh_hans) == (
        date(2026, 4, 13),
        "Songkran",
        "วันสงกรานต์",
        "宋干节",
    )


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"day_starts": "08:30", "day_ends": ""}, "Give both the start and the end"),
        ({"day_starts": "", "day_ends": "16:30"}, "Give both the start and the end"),
        ({"day_starts": "16:30", "day_ends": "08:30"}, "must end after it starts"),
    ],
)
def test_working_hours_must_be_both_or_none_and_in_order(admin_client, hours, message):
    city = CityFactory.create()
    response = admin_client.post(
        "/admin/complaints/workingcalendar/add/", calendar_form(city.pk, **hours)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WorkingCalendar.objects.exists()
    assert not PublicHoliday.objects.exists()


def test_a_calendar_needs_at_least_one_working_weekday(admin_client):
    city = CityFactory.create()
    data = calendar_form(city.pk)
    del data["working_weekdays"]
    response = admin_client.post("/admin/complaints/workingcalendar/add/", data)
    assert response.status_code == 200
    assert not WorkingCalendar.objects.exists()


def test_whole_day_calendars_need_no_hours(admin_client):
    city = CityFactory.create()
    response = admin_client.post(
        "/admin/complaints/workingcalendar/add/",
        calendar_form(city.pk, day_starts="", day_ends="", working_weekdays=["6", "0"]),
    )
    assert response.status_code == 302
    calendar = WorkingCalendar.objects.get(jurisdiction=city)
    assert (calendar.working_weekdays, calendar.day_starts) == ([0, 6], None)


@pytest.mark.parametrize(
    "role", [Membership.Role.OFFICER, Membership.Role.SUPERVISOR, Membership.Role.DISPATCHER]
)
def test_agency_staff_may_view_calendars_but_not_change_them(role):
    # given
    city = CityFactory.create()
    calendar = WorkingCalendar.objects.create(jurisdiction=city, working_weekdays=[0, 1, 2])
    staff = MembershipFactory.create(role=role).user
    browser = sign_in_to_admin(Client(), staff)
    # when
    listing = browser.get("/admin/complaints/workingcalendar/")
    page = browser.get(f"/admin/complaints/workingcalendar/{calendar.pk}/change/")
    refused = browser.post(
        f"/admin/complaints/workingcalendar/{calendar.pk}/change/",
        calendar_form(city.pk, working_weekdays=["0"]),
    )
    adding = browser.get("/admin/complaints/workingcalendar/add/")
    # then
    assert listing.status_code == 200
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert refused.status_code == 403
    assert adding.status_code == 403
    calendar.refresh_from_db()
    assert calendar.working_weekdays == [0, 1, 2]
    assert not PublicHoliday.objects.exists()

"""Districts, routing rules and escalation ladders in admin: GeoJSON upload with every problem
named, export, a map link; rules whose conditions fit their jurisdiction, and a form that shows
where a report would go; ladders that name an oversight agency where they need one. Agency
staff see their own jurisdiction's only."""

import datetime
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints.geojson import MAX_BYTES
from complaints.models import District, EscalationLevel, RoutingRule
from identity.models import Jurisdiction, Membership
from tests.conftest import sign_in_to_admin
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    DistrictFactory,
    JurisdictionFactory,
    MembershipFactory,
    QuestionChoiceFactory,
    QuestionFactory,
    RoutingRuleFactory,
    square,
)

pytestmark = pytest.mark.django_db

DISTRICTS = "/admin/complaints/district/"
RULES = "/admin/complaints/routingrule/"
LEVELS = "/admin/complaints/escalationlevel/"
QUESTIONS = "/admin/complaints/question/"
NIMMAN = square(98.967, 18.800, 0.01)
OLD_CITY = square(98.987, 18.788, 0.01)


@pytest.fixture
def province() -> Jurisdiction:
    return JurisdictionFactory.create(code="th-demo", name="Demo Province")


@pytest.fixture
def city(province) -> Jurisdiction:
    return CityFactory.create(code="th-demo-city", name="Demo City", parent=province)


@pytest.fixture
def elsewhere() -> Jurisdiction:
    return CityFactory.create(code="cn-demo-city", name="Elsewhere", time_zone="Asia/Shanghai")


@pytest.fixture
def works(city):
    return AgencyFactory.create(code="public-works", name="Public Works", jurisdiction=city)


@pytest.fixture
def night_duty(city):
    return AgencyFactory.create(code="night-duty", name="Night Duty", jurisdiction=city)


def staff_of(agency, role: str) -> Client:
    return sign_in_to_admin(Client(), MembershipFactory.create(agency=agency, role=role).user)


@pytest.fixture
def supervisor(works) -> Client:
    return staff_of(works, Membership.Role.SUPERVISOR)


@pytest.fixture
def officer(works) -> Client:
    return staff_of(works, Membership.Role.OFFICER)


def geojson_file(data: Any, name: str = "districts.geojson") -> SimpleUploadedFile:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, body, content_type="application/geo+json")


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# Districts ---------------------------------------------------------------------------------


def test_platform_admin_imports_districts_from_a_geojson_file(admin_client, city):
    # given
    DistrictFactory.create(jurisdiction=city, code="mengrai", name_en="Old", boundary=NIMMAN)
    upload = geojson_file(
        collection(
            feature(NIMMAN, code="srivijaya", name_en="Srivijaya", name_th="ศรีวิชัย",
                    name_zh_hans="西威猜"),
            feature(OLD_CITY, code="mengrai", name_en="Mengrai", name_th="เม็งราย",
                    name_zh_hans="孟莱"),
        )
    )  # fmt: skip
    # when
    response = admin_client.post(
        f"{DISTRICTS}import/", {"jurisdiction": city.pk, "file": upload}, follow=True
    )
    # then
    assert response.redirect_chain == [(DISTRICTS, 302)]
    assert "Districts created: srivijaya; updated: mengrai." in response.content.decode()
    assert sorted(
        District.objects.values_list("code", "name_en", "name_th", "name_zh_hans", "boundary")
    ) == [
        ("mengrai", "Mengrai", "เม็งราย", "孟莱", OLD_CITY),
        ("srivijaya", "Srivijaya", "ศรีวิชัย", "西威猜", NIMMAN),
    ]


def test_a_pasted_bare_polygon_takes_the_code_and_name_from_the_form(admin_client, city):
    response = admin_client.post(
        f"{DISTRICTS}import/",
        {
            "jurisdiction": city.pk,
            "text": json.dumps(OLD_CITY),
            "code": "old-city",
            "name": "Old City",
        },
    )
    assert response.status_code == 302
    district = District.objects.get()
    assert (district.jurisdiction, district.code, district.name_en) == (
        city,
        "old-city",
        "Old City",
    )


def test_a_bad_file_is_refused_with_every_problem_and_nothing_imported(admin_client, city):
    # given
    upload = geojson_file(
        collection(
            feature(NIMMAN, code="good", name="Good"),
            feature({"type": "Point", "coordinates": [98.98, 18.79]}, code="a-point", name="P"),
            feature(NIMMAN, name="No code"),
        )
    )
    # when
    response = admin_client.post(f"{DISTRICTS}import/", {"jurisdiction": city.pk, "file": upload})
    # then
    assert response.status_code == 200
    assert response.context["problems"] == [
        "Feature 2 (a-point): Give a GeoJSON Polygon or MultiPolygon geometry.",
        "Feature 3: Give the district's code in the property “code”.",
    ]
    page = response.content.decode()
    assert "The file was not imported: 2 problems." in page
    assert "Feature 2 (a-point): Give a GeoJSON Polygon or MultiPolygon geometry." in page
    assert not District.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"{not json", "The file is not JSON: Expecting property name enclosed in double quotes"),
        (b" " * (MAX_BYTES + 1), f"The file is {MAX_BYTES + 1} bytes; the limit is {MAX_BYTES}"),
    ],
)
def test_a_file_that_is_not_small_json_is_refused(admin_client, city, upload, message):
    response = admin_client.post(
        f"{DISTRICTS}import/", {"jurisdiction": city.pk, "file": geojson_file(upload)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not District.objects.exists()


def test_the_import_needs_a_file_or_pasted_text(admin_client, city):
    response = admin_client.post(f"{DISTRICTS}import/", {"jurisdiction": city.pk})
    assert response.status_code == 200
    assert "Upload a file or paste GeoJSON (one of the two)." in response.content.decode()


def test_agency_staff_may_look_at_districts_but_not_import_them(supervisor, city, elsewhere):
    # given
    mine = DistrictFactory.create(jurisdiction=city, code="srivijaya", name_en="Srivijaya")
    theirs = DistrictFactory.create(jurisdiction=elsewhere, code="futian", name_en="Futian")
    # when
    listing = supervisor.get(DISTRICTS).content.decode()
    page = supervisor.get(f"{DISTRICTS}{mine.pk}/change/")
    hidden = supervisor.get(f"{DISTRICTS}{theirs.pk}/change/")
    importing = supervisor.post(
        f"{DISTRICTS}import/",
        {"jurisdiction": city.pk, "file": geojson_file(feature(NIMMAN, code="x", name="X"))},
    )
    # then
    assert ("Srivijaya" in listing, "Futian" in listing, "Import GeoJSON" in listing) == (
        True,
        False,
        False,
    )
    assert (page.status_code, hidden.status_code, importing.status_code) == (200, 404, 403)
    assert District.objects.count() == 2


def test_the_district_page_shows_its_bounding_box_and_a_map_link(admin_client, city):
    district = DistrictFactory.create(jurisdiction=city, boundary=square(98.98, 18.79, 0.02))
    page = admin_client.get(f"{DISTRICTS}{district.pk}/change/").content.decode()
    assert "latitude 18.79000 to 18.81000, longitude 98.98000 to 99.00000" in page
    assert (
        "https://www.openstreetmap.org/?minlon=98.98000&amp;minlat=18.79000&amp;maxlon=99.00000"
        "&amp;maxlat=18.81000&amp;box=yes" in page
    )


def test_selected_districts_download_as_geojson(admin_client, city):
    # given
    DistrictFactory.create(
        jurisdiction=city, code="srivijaya", name_en="Srivijaya", name_th="ศรีวิชัย",
        boundary=NIMMAN,
    )  # fmt: skip
    # when
    response = admin_client.post(
        DISTRICTS,
        {
            "action": "export_geojson",
            "_selected_action": list(District.objects.values_list("pk", flat=True)),
        },
    )
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="districts.geojson"'
    assert json.loads(response.content) == collection(
        feature(NIMMAN, code="srivijaya", jurisdiction="th-demo-city", name_en="Srivijaya",
                name_th="ศรีวิชัย", name_zh_hans=""),
    )  # fmt: skip


# Routing rules -----------------------------------------------------------------------------


def rule_form(city: Jurisdiction, agency, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "jurisdiction": city.pk,
        "priority": "10",
        "name": "Night noise to the night duty",
        "agency": agency.pk,
        "is_active": "on",
        "categories": [],
        "districts": [],
        "weekdays": ["4", "5"],
        "time_from": "22:00",
        "time_to": "06:00",
        "answers": "{}",
    }
    data.update(overrides)
    return data


def test_platform_admin_adds_a_night_rule(admin_client, city, night_duty):
    # given
    noise = ComplaintCategoryFactory.create(jurisdiction=city, code="noise")
    srivijaya = DistrictFactory.create(jurisdiction=city, code="srivijaya")
    # when
    response = admin_client.post(
        f"{RULES}add/",
        rule_form(city, night_duty, categories=[noise.pk], districts=[srivijaya.pk]),
    )
    # then
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (
        rule.agency,
        rule.weekdays,
        rule.time_from,
        rule.time_to,
        list(rule.categories.all()),
        list(rule.districts.all()),
    ) == (
        night_duty,
        [4, 5],
        datetime.time(22),
        datetime.time(6),
        [noise],
        [srivijaya],
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_to": ""}, "Give both times, or neither for all day."),
        ({"time_to": "22:00"}, "The window is empty: the end equals the start."),
        ({"answers": '{"size": "huge"}'}, "The question “size” has no choice “huge”."),
        ({"answers": '{"colour": "red"}'}, "No question “colour” in the rule&#x27;s categories."),
    ],
)
def test_a_rule_needs_conditions_that_can_hold(admin_client, city, works, changes, message):
    # given: the only question in the jurisdiction asks the size, small or large
    potholes = ComplaintCategoryFactory.create(jurisdiction=city)
    size = QuestionFactory.create(category=potholes, code="size", datatype="singlevaluelist")
    QuestionChoiceFactory.create(question=size, key="small")
    QuestionChoiceFactory.create(question=size, key="large")
    # when
    response = admin_client.post(f"{RULES}add/", rule_form(city, works, **changes))
    # then
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_a_rules_categories_districts_and_agency_belong_to_its_jurisdiction(
    admin_client, city, elsewhere, works
):
    # given
    far_category = ComplaintCategoryFactory.create(jurisdiction=elsewhere, name="Far category")
    far_district = DistrictFactory.create(jurisdiction=elsewhere, name="Far district")
    far_agency = AgencyFactory.create(jurisdiction=elsewhere, name="Far agency")
    # when
    response = admin_client.post(
        f"{RULES}add/",
        rule_form(city, far_agency, categories=[far_category.pk], districts=[far_district.pk]),
    )
    # then
    page = response.content.decode()
    assert "Not categories of Demo City: Far category." in page
    assert "Not districts of Demo City: Far district." in page
    assert "Choose an agency of Demo City or of a jurisdiction beneath it." in page
    assert not RoutingRule.objects.exists()


def test_rules_are_listed_by_priority_with_their_conditions(admin_client, city, works, night_duty):
    noise = ComplaintCategoryFactory.create(jurisdiction=city, name="Noise")
    RoutingRuleFactory.create(jurisdiction=city, priority=20, name="Second", agency=works)
    RoutingRuleFactory.create(
        jurisdiction=city, priority=10, name="First", agency=night_duty, categories=[noise],
        time_from=datetime.time(22), time_to=datetime.time(6),
    )  # fmt: skip
    page = admin_client.get(RULES).content.decode()
    assert page.index("First") < page.index("Second")
    assert "Noise; 22:00–06:00" in page
    assert "every report" in page


def test_a_supervisor_manages_only_their_jurisdictions_rules(supervisor, city, elsewhere, works):
    # given
    theirs = RoutingRuleFactory.create(jurisdiction=elsewhere, name="Far rule")
    # when
    listing = supervisor.get(RULES).content.decode()
    hidden = supervisor.get(f"{RULES}{theirs.pk}/change/")
    added = supervisor.post(f"{RULES}add/", rule_form(city, works))
    # then
    assert "Far rule" not in listing
    assert hidden.status_code == 404
    assert added.status_code == 302
    assert RoutingRule.objects.filter(jurisdiction=city).count() == 1


def test_an_officer_cannot_change_rules(officer, city, works):
    rule = RoutingRuleFactory.create(jurisdiction=city, name="Mine", agency=works)
    response = officer.post(f"{RULES}{rule.pk}/change/", rule_form(city, works, name="Changed"))
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.name == "Mine"


# Trying the rules ---------------------------------------------------------------------------


@pytest.fixture
def routed_city(city, works, night_duty):
    """Potholes go to public works in Srivijaya; noise at night to the night duty; lights to
    nobody (the dispatcher)."""
    potholes = ComplaintCategoryFactory.create(
        jurisdiction=city, code="potholes", default_agency=None
    )
    noise = ComplaintCategoryFactory.create(jurisdiction=city, code="noise", default_agency=works)
    lights = ComplaintCategoryFactory.create(jurisdiction=city, code="lights", default_agency=None)
    srivijaya = DistrictFactory.create(jurisdiction=city, code="srivijaya", boundary=NIMMAN)
    RoutingRuleFactory.create(
        jurisdiction=city, priority=1, name="Srivijaya potholes", agency=works,
        categories=[potholes], districts=[srivijaya],
    )  # fmt: skip
    RoutingRuleFactory.create(
        jurisdiction=city, priority=2, name="Noise at night", agency=night_duty,
        categories=[noise], time_from=datetime.time(22), time_to=datetime.time(6),
    )  # fmt: skip
    return {"potholes": potholes, "noise": noise, "lights": lights, "srivijaya": srivijaya}


def try_rules(browser: Client, city: Jurisdiction, category, **query: Any) -> str:
    response = browser.get(
        f"{RULES}try/", {"jurisdiction": city.pk, "category": category.pk, **query}
    )
    assert response.status_code == 200
    return response.content.decode()


def outcome_of(page: str) -> str:
    """The agency cell of the outcome table, as text."""
    start = page.index('id="routing-agency">') + len('id="routing-agency">')
    return " ".join(page[start : page.index("</td>", start)].split())


def test_trying_a_point_in_a_district_finds_the_district_rule(admin_client, city, routed_city):
    page = try_rules(
        admin_client, city, routed_city["potholes"], latitude="18.8", longitude="98.967"
    )
    assert "Srivijaya potholes" in page
    assert outcome_of(page) == "Public Works"


def test_trying_a_point_outside_every_district_reaches_the_dispatcher(
    admin_client, city, routed_city
):
    page = try_rules(admin_client, city, routed_city["potholes"], latitude="18.7", longitude="98.8")
    assert "outside every district" in page
    assert outcome_of(page) == "the dispatcher's queue"


def test_trying_a_district_instead_of_a_point(admin_client, city, routed_city):
    page = try_rules(
        admin_client, city, routed_city["potholes"], district=routed_city["srivijaya"].pk
    )
    assert outcome_of(page) == "Public Works"


@pytest.mark.parametrize(
    ("at", "agency"),
    [
        ("2026-03-06T23:30", "Night Duty"),
        ("2026-03-06T05:59", "Night Duty"),
        ("2026-03-06T14:00", "Public Works (the category's agency)"),
    ],
)
def test_trying_a_time_of_day_rule(admin_client, city, routed_city, at, agency):
    page = try_rules(admin_client, city, routed_city["noise"], at=at)
    assert outcome_of(page) == agency


def test_an_officer_may_try_the_rules_of_their_jurisdiction_only(
    officer, city, elsewhere, routed_city
):
    far = ComplaintCategoryFactory.create(jurisdiction=elsewhere)
    page = try_rules(officer, city, routed_city["potholes"], district=routed_city["srivijaya"].pk)
    refused = officer.get(f"{RULES}try/", {"jurisdiction": elsewhere.pk, "category": far.pk})
    assert outcome_of(page) == "Public Works"
    assert "Select a valid choice." in refused.content.decode()
    assert 'id="routing-outcome"' not in refused.content.decode()


# Escalation ladders -------------------------------------------------------------------------


def level_form(city: Jurisdiction, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "jurisdiction": city.pk,
        "level": "2",
        "target": EscalationLevel.Target.OVERSIGHT,
        "oversight_agency": "",
        "delay_hours": "8",
    }
    data.update(overrides)
    return data


def test_an_oversight_level_names_its_agency_above_the_jurisdiction(admin_client, city, province):
    # given
    oversight = AgencyFactory.create(jurisdiction=province, name="Complaints Centre")
    # when
    missing = admin_client.post(f"{LEVELS}add/", level_form(city))
    added = admin_client.post(f"{LEVELS}add/", level_form(city, oversight_agency=oversight.pk))
    # then
    assert "Name the oversight agency this level goes to." in missing.content.decode()
    assert added.status_code == 302
    level = EscalationLevel.objects.get()
    assert (level.level, level.oversight_agency, level.delay_hours) == (2, oversight, 8)


def test_the_supervisors_level_names_no_agency(admin_client, city, works):
    response = admin_client.post(
        f"{LEVELS}add/",
        level_form(
            city, target=EscalationLevel.Target.AGENCY_SUPERVISORS, oversight_agency=works.pk
        ),
    )
    assert "Leave it empty: this level goes to the handling agency" in response.content.decode()
    assert not EscalationLevel.objects.exists()


def test_a_higher_level_does_not_escalate_before_a_lower_one(admin_client, city, province):
    # given
    oversight = AgencyFactory.create(jurisdiction=province)
    EscalationLevel.objects.create(
        jurisdiction=city, level=1, target=EscalationLevel.Target.AGENCY_SUPERVISORS,
        delay_hours=16,
    )  # fmt: skip
    # when
    response = admin_client.post(f"{LEVELS}add/", level_form(city, oversight_agency=oversight.pk))
    # then
    assert "A lower level escalates later than this one" in response.content.decode()
    assert EscalationLevel.objects.count() == 1


def test_an_oversight_agency_of_an_unrelated_jurisdiction_is_refused(admin_client, city, elsewhere):
    far = AgencyFactory.create(jurisdiction=elsewhere)
    response = admin_client.post(f"{LEVELS}add/", level_form(city, oversight_agency=far.pk))
    assert "Choose an agency of Demo City, above it or beneath it." in response.content.decode()
    assert not EscalationLevel.objects.exists()


def test_a_supervisor_sees_and_edits_their_jurisdictions_ladder_only(
    supervisor, city, elsewhere, province
):
    # given
    oversight = AgencyFactory.create(jurisdiction=province)
    far = EscalationLevel.objects.create(
        jurisdiction=elsewhere, level=1, target=EscalationLevel.Target.AGENCY_SUPERVISORS
    )
    # when
    listing = supervisor.get(LEVELS).content.decode()
    hidden = supervisor.get(f"{LEVELS}{far.pk}/change/")
    added = supervisor.post(f"{LEVELS}add/", level_form(city, oversight_agency=oversight.pk))
    # then
    assert "Elsewhere" not in listing.split('id="result_list"')[-1]
    assert hidden.status_code == 404
    assert added.status_code == 302
    assert EscalationLevel.objects.filter(jurisdiction=city).count() == 1


# Lists read a fixed number of queries ---------------------------------------------------------


def queries_for(browser: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_rule_and_district_lists_read_as_many_queries_for_more_rows(admin_client, city, works):
    # given
    def add_rows(count: int) -> None:
        for _ in range(count):
            category = ComplaintCategoryFactory.create(jurisdiction=city)
            QuestionChoiceFactory.create(
                question=QuestionFactory.create(category=category, datatype="singlevaluelist")
            )
            district = DistrictFactory.create(jurisdiction=city)
            RoutingRuleFactory.create(
                jurisdiction=city, agency=works, categories=[category], districts=[district]
            )
            EscalationLevel.objects.create(
                jurisdiction=city,
                level=EscalationLevel.objects.count() + 1,
                target=EscalationLevel.Target.OVERSIGHT,
                oversight_agency=works,
            )

    add_rows(2)
    few = [queries_for(admin_client, url) for url in (RULES, DISTRICTS, LEVELS, QUESTIONS)]
    # when
    add_rows(8)
    # then
    assert [queries_for(admin_client, url) for url in (RULES, DISTRICTS, LEVELS, QUESTIONS)] == few

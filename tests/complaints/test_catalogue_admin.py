"""The complaints catalogue in admin: categories as a tree with texts in three languages and
questions inline, questions with their choices, and who sees and edits what — platform
administrators everything, an agency's supervisors their jurisdiction's catalogue (and below),
its officers only look, and other jurisdictions do not exist for them."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints.models import ComplaintCategory, DeadlineUnit, Question, QuestionChoice
from identity.models import Jurisdiction, Membership
from tests.conftest import sign_in_to_admin
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    ComplaintFactory,
    JurisdictionFactory,
    MembershipFactory,
    QuestionChoiceFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db

CATEGORIES = "/admin/complaints/complaintcategory/"
QUESTIONS = "/admin/complaints/question/"


@pytest.fixture
def city() -> Jurisdiction:
    return CityFactory.create(code="th-demo-city", name="Demo City")


@pytest.fixture
def ward(city) -> Jurisdiction:
    return JurisdictionFactory.create(
        code="th-demo-ward", name="Demo Ward", level=Jurisdiction.Level.DISTRICT, parent=city
    )


@pytest.fixture
def elsewhere() -> Jurisdiction:
    return CityFactory.create(code="cn-demo-city", name="Elsewhere")


@pytest.fixture
def works(city):
    return AgencyFactory.create(code="public-works", name="Public Works", jurisdiction=city)


def staff_of(agency, role: str) -> Client:
    user = MembershipFactory.create(agency=agency, role=role).user
    return sign_in_to_admin(Client(), user)


@pytest.fixture
def supervisor(works) -> Client:
    return staff_of(works, Membership.Role.SUPERVISOR)


@pytest.fixture
def officer(works) -> Client:
    return staff_of(works, Membership.Role.OFFICER)


def category_form(jurisdiction: Jurisdiction, **overrides: Any) -> dict[str, Any]:
    """The add/change form as the admin page posts it: a leaf with one question."""
    data: dict[str, Any] = {
        "jurisdiction": jurisdiction.pk,
        "parent": "",
        "code": "potholes",
        "order": "1",
        "is_active": "on",
        "name_en": "Potholes",
        "name_th": "ถนนเป็นหลุมเป็นบ่อ",
        "name_zh_hans": "路面坑洼",
        "description_en": "Holes in the road surface.",
        "description_th": "หลุมบนผิวถนน",
        "description_zh_hans": "路面上的坑洞。",
        "keywords_en": "pothole, hole, road",
        "keywords_th": "หลุม, ถนน",
        "keywords_zh_hans": "坑, 坑洼, 路面",
        "default_agency": "",
        "resolution_amount": "3",
        "resolution_unit": DeadlineUnit.WORKING_DAYS,
        "first_contact_hours": "24",
        "duplicate_radius_m": "50",
        "duplicate_window_days": "14",
        "allows_anonymous": "on",
        "is_public": "on",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def with_question(data: dict[str, Any]) -> dict[str, Any]:
    return {
        **data,
        "questions-TOTAL_FORMS": "1",
        "questions-0-code": "size",
        "questions-0-datatype": Question.Datatype.SINGLE,
        "questions-0-is_required": "on",
        "questions-0-order": "1",
        "questions-0-description_en": "How big is it?",
        "questions-0-description_th": "หลุมใหญ่แค่ไหน",
        "questions-0-description_zh_hans": "坑有多大？",
        "questions-0-datatype_description_en": "",
        "questions-0-datatype_description_th": "",
        "questions-0-datatype_description_zh_hans": "",
    }


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# Categories --------------------------------------------------------------------------------


def test_platform_admin_adds_a_category_in_three_languages_with_a_question(
    admin_client, city, works
):
    # when
    response = admin_client.post(
        f"{CATEGORIES}add/", with_question(category_form(city, default_agency=works.pk))
    )
    # then
    assert response.status_code == 302
    category = ComplaintCategory.objects.get(code="potholes")
    assert (
        category.jurisdiction,
        category.default_agency,
        category.name,
        category.name_th,
        category.name_zh_hans,
        category.keywords_th,
        category.keywords_zh_hans,
        category.resolution_amount,
    ) == (city, works, "Potholes", "ถนนเป็นหลุมเป็นบ่อ", "路面坑洼", "หลุม, ถนน", "坑, 坑洼, 路面", 3)
    question = Question.objects.get(category=category)
    assert (question.code, question.description_th, question.description_zh_hans) == (
        "size",
        "หลุมใหญ่แค่ไหน",
        "坑有多大？",
    )


def test_the_list_shows_the_tree_in_order_with_breadcrumbs(admin_client, city):
    # given: two roots, created children first, ordered by `order`
    roads = ComplaintCategoryFactory.create(jurisdiction=city, code="roads", name="Roads", order=1)
    light = ComplaintCategoryFactory.create(jurisdiction=city, code="light", name="Lights", order=2)
    ComplaintCategoryFactory.create(
        jurisdiction=city, code="flicker", name="Flickering", parent=light, order=2
    )
    ComplaintCategoryFactory.create(
        jurisdiction=city, code="dark", name="Light out", parent=light, order=1
    )
    ComplaintCategoryFactory.create(
        jurisdiction=city, code="pothole", name="Potholes", parent=roads, order=1
    )
    # when
    page = admin_client.get(CATEGORIES).content.decode()
    # then: each root, then its children by order, each child with its parent's name before it
    positions = [
        page.index(f"{crumb}</span>{name}</span>")
        for crumb, name in [
            ("", "Roads"),
            ("Roads › ", "Potholes"),
            ("", "Lights"),
            ("Lights › ", "Light out"),
            ("Lights › ", "Flickering"),
        ]
    ]
    assert positions == sorted(positions)


def test_the_category_list_reads_the_same_number_of_queries_for_more_categories(admin_client, city):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(CATEGORIES).status_code == 200
        return len(captured)

    root = ComplaintCategoryFactory.create(jurisdiction=city, code="root")
    ComplaintCategoryFactory.create(jurisdiction=city, parent=root)
    few = queries()
    for _ in range(8):
        ComplaintCategoryFactory.create(jurisdiction=city, parent=root)
    assert queries() == few


def test_a_parent_from_another_jurisdiction_is_refused(admin_client, city, elsewhere):
    foreign = ComplaintCategoryFactory.create(jurisdiction=elsewhere, code="foreign")
    response = admin_client.post(f"{CATEGORIES}add/", category_form(city, parent=foreign.pk))
    assert "The parent belongs to another jurisdiction." in errors_of(response)
    assert not ComplaintCategory.objects.filter(code="potholes").exists()


def test_a_category_cannot_sit_beneath_its_own_child(admin_client, city):
    # given
    roads = ComplaintCategoryFactory.create(jurisdiction=city, code="roads")
    potholes = ComplaintCategoryFactory.create(jurisdiction=city, code="potholes", parent=roads)
    # when: roads moved under potholes
    response = admin_client.post(
        f"{CATEGORIES}{roads.pk}/change/",
        category_form(city, code="roads", name_en="Roads", parent=potholes.pk),
    )
    # then
    assert "A category cannot sit beneath itself." in errors_of(response)
    roads.refresh_from_db()
    assert roads.parent_id is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"resolution_amount": "121", "resolution_unit": DeadlineUnit.WORKING_DAYS},
            "At most 120 working days.",
        ),
        (
            {"resolution_amount": "241", "resolution_unit": DeadlineUnit.WORKING_HOURS},
            "At most 240 working hours.",
        ),
        ({"first_contact_hours": "169"}, "First contact must be due within a week (168 hours)."),
        ({"resolution_amount": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"duplicate_radius_m": "5001"}, "Ensure this value is less than or equal to 5000."),
    ],
)
def test_a_leaf_needs_sensible_deadlines(admin_client, city, changes, message):
    response = admin_client.post(f"{CATEGORIES}add/", category_form(city, **changes))
    assert message in errors_of(response)
    assert not ComplaintCategory.objects.exists()


def test_a_leafs_agency_must_serve_its_jurisdiction(admin_client, city, elsewhere):
    foreign = AgencyFactory.create(jurisdiction=elsewhere)
    response = admin_client.post(
        f"{CATEGORIES}add/", category_form(city, default_agency=foreign.pk)
    )
    assert "Choose an agency of Demo City or of a jurisdiction beneath it." in errors_of(response)
    assert not ComplaintCategory.objects.exists()


def test_an_agency_of_a_jurisdiction_beneath_may_handle_a_leaf(admin_client, city, ward):
    ward_office = AgencyFactory.create(jurisdiction=ward)
    response = admin_client.post(
        f"{CATEGORIES}add/", category_form(city, default_agency=ward_office.pk)
    )
    assert response.status_code == 302
    assert ComplaintCategory.objects.get().default_agency == ward_office


def test_a_category_with_complaints_cannot_get_subcategories(admin_client, city):
    filed = ComplaintCategoryFactory.create(jurisdiction=city, code="filed", name="Filed")
    ComplaintFactory.create(category=filed)
    response = admin_client.post(f"{CATEGORIES}add/", category_form(city, parent=filed.pk))
    assert "Complaints were filed under “Filed”" in errors_of(response)
    assert ComplaintCategory.objects.count() == 1


# Scoping -----------------------------------------------------------------------------------


def test_a_supervisor_sees_their_jurisdictions_catalogue_and_below_only(
    supervisor, city, ward, elsewhere
):
    # given
    ComplaintCategoryFactory.create(jurisdiction=city, code="city-roads", name="City roads")
    ComplaintCategoryFactory.create(jurisdiction=ward, code="ward-parks", name="Ward parks")
    ComplaintCategoryFactory.create(jurisdiction=elsewhere, code="far-noise", name="Far noise")
    # when
    page = supervisor.get(CATEGORIES)
    # then
    assert page.status_code == 200
    shown = page.content.decode()
    assert ("City roads" in shown, "Ward parks" in shown, "Far noise" in shown) == (
        True,
        True,
        False,
    )


def test_another_jurisdictions_category_is_not_found(supervisor, elsewhere):
    # given
    far = ComplaintCategoryFactory.create(jurisdiction=elsewhere, code="far", name_en="Far")
    # when
    page = supervisor.get(f"{CATEGORIES}{far.pk}/change/")
    saved = supervisor.post(
        f"{CATEGORIES}{far.pk}/change/", category_form(elsewhere, code="far", name_en="Mine")
    )
    deleting = supervisor.post(f"{CATEGORIES}{far.pk}/delete/", {"post": "yes"})
    history = supervisor.get(f"{CATEGORIES}{far.pk}/history/")
    # then
    assert (page.status_code, saved.status_code, deleting.status_code, history.status_code) == (
        404,
        404,
        404,
        404,
    )
    far.refresh_from_db()
    assert far.name_en == "Far"


def test_a_supervisor_edits_their_jurisdictions_category(supervisor, city, works):
    # given
    category = ComplaintCategoryFactory.create(
        jurisdiction=city, code="potholes", name_en="Potholes", default_agency=works
    )
    # when
    response = supervisor.post(
        f"{CATEGORIES}{category.pk}/change/",
        category_form(city, default_agency=works.pk, resolution_amount="5", name_th="หลุมบนถนน"),
    )
    # then
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.resolution_amount, category.name_th) == (5, "หลุมบนถนน")


def test_a_supervisor_cannot_add_a_category_to_another_jurisdiction(supervisor, elsewhere):
    response = supervisor.post(f"{CATEGORIES}add/", category_form(elsewhere))
    assert "Select a valid choice." in errors_of(response)
    assert not ComplaintCategory.objects.exists()


def test_an_officer_looks_but_does_not_edit(officer, city, works):
    # given
    category = ComplaintCategoryFactory.create(
        jurisdiction=city, code="potholes", name_en="Potholes", default_agency=works
    )
    # when
    listing = officer.get(CATEGORIES)
    page = officer.get(f"{CATEGORIES}{category.pk}/change/")
    refused = officer.post(
        f"{CATEGORIES}{category.pk}/change/", category_form(city, name_en="Changed")
    )
    adding = officer.get(f"{CATEGORIES}add/")
    # then
    assert (listing.status_code, page.status_code, refused.status_code, adding.status_code) == (
        200,
        200,
        403,
        403,
    )
    assert 'name="_save"' not in page.content.decode()
    category.refresh_from_db()
    assert category.name_en == "Potholes"


def test_a_supervisor_elsewhere_who_is_an_officer_here_only_looks_here(officer, city, works):
    # given: the officer also supervises an agency of another city
    other = AgencyFactory.create(jurisdiction=CityFactory.create())
    user = Membership.objects.get(agency=works).user
    Membership.objects.create(user=user, agency=other, role=Membership.Role.SUPERVISOR)
    category = ComplaintCategoryFactory.create(
        jurisdiction=city, code="potholes", name_en="Potholes", default_agency=works
    )
    # when
    refused = officer.post(
        f"{CATEGORIES}{category.pk}/change/", category_form(city, name_en="Changed")
    )
    # then
    assert refused.status_code == 403
    category.refresh_from_db()
    assert category.name_en == "Potholes"


# Questions and choices ---------------------------------------------------------------------


def question_form(category: ComplaintCategory, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": category.pk,
        "code": "size",
        "datatype": Question.Datatype.SINGLE,
        "is_required": "on",
        "order": "1",
        "description_en": "How big is it?",
        "description_th": "หลุมใหญ่แค่ไหน",
        "description_zh_hans": "坑有多大？",
        "datatype_description_en": "",
        "datatype_description_th": "",
        "datatype_description_zh_hans": "",
        "choices-TOTAL_FORMS": "2",
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
        "choices-0-order": "1",
        "choices-0-key": "small",
        "choices-0-name_en": "Smaller than a plate",
        "choices-0-name_th": "เล็กกว่าจาน",
        "choices-0-name_zh_hans": "比盘子小",
        "choices-1-order": "2",
        "choices-1-key": "large",
        "choices-1-name_en": "Larger than a tyre",
        "choices-1-name_th": "ใหญ่กว่ายางรถ",
        "choices-1-name_zh_hans": "比轮胎大",
    }
    data.update(overrides)
    return data


def test_a_question_is_added_with_its_choices_in_three_languages(admin_client, city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    response = admin_client.post(f"{QUESTIONS}add/", question_form(category))
    assert response.status_code == 302
    question = Question.objects.get(category=category)
    assert list(
        question.choices.values_list("key", "name_en", "name_th", "name_zh_hans").order_by("order")
    ) == [
        ("small", "Smaller than a plate", "เล็กกว่าจาน", "比盘子小"),
        ("large", "Larger than a tyre", "ใหญ่กว่ายางรถ", "比轮胎大"),
    ]


def test_a_choice_question_needs_a_choice(admin_client, city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    response = admin_client.post(
        f"{QUESTIONS}add/", question_form(category, **{"choices-TOTAL_FORMS": "0"})
    )
    assert "A one-choice or several-choices question needs at least one choice." in errors_of(
        response
    )
    assert not Question.objects.exists()


def test_a_text_question_has_no_choices(admin_client, city):
    category = ComplaintCategoryFactory.create(jurisdiction=city)
    response = admin_client.post(
        f"{QUESTIONS}add/", question_form(category, datatype=Question.Datatype.STRING)
    )
    assert "Only one-choice and several-choices questions have choices" in errors_of(response)
    assert not QuestionChoice.objects.exists()


def test_questions_are_listed_with_their_categorys_place_in_the_tree(admin_client, city):
    roads = ComplaintCategoryFactory.create(jurisdiction=city, name="Roads")
    potholes = ComplaintCategoryFactory.create(jurisdiction=city, name="Potholes", parent=roads)
    QuestionChoiceFactory.create(question=QuestionFactory.create(category=potholes, code="size"))
    page = admin_client.get(QUESTIONS).content.decode()
    assert "Roads › Potholes" in page


def test_another_jurisdictions_question_is_not_found(supervisor, elsewhere):
    question = QuestionFactory.create(
        category=ComplaintCategoryFactory.create(jurisdiction=elsewhere), code="far-away"
    )
    assert supervisor.get(f"{QUESTIONS}{question.pk}/change/").status_code == 404
    assert "far-away" not in supervisor.get(QUESTIONS).content.decode()


def test_a_supervisor_adds_a_question_only_to_their_jurisdictions_categories(
    supervisor, city, elsewhere
):
    mine = ComplaintCategoryFactory.create(jurisdiction=city)
    theirs = ComplaintCategoryFactory.create(jurisdiction=elsewhere)
    refused = supervisor.post(f"{QUESTIONS}add/", question_form(theirs))
    accepted = supervisor.post(f"{QUESTIONS}add/", question_form(mine))
    assert "Select a valid choice." in errors_of(refused)
    assert accepted.status_code == 302
    assert list(Question.objects.values_list("category_id", flat=True)) == [mine.pk]

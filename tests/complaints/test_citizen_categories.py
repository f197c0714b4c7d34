"""GET /api/v1/complaints/categories: the jurisdiction's category tree in the caller's
language, with what a citizen needs of each leaf: anonymity, publicity and the questions in
the shape of Open311 attributes."""

import pytest

from tests.factories import (
    CityFactory,
    ComplaintCategoryFactory,
    QuestionChoiceFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints/categories"


@pytest.fixture
def city():
    """Roads (potholes, with a question; signs) and an inactive parent with a leaf."""
    city = CityFactory.create()
    roads = ComplaintCategoryFactory.create(
        jurisdiction=city, code="roads", name_en="Roads", name_th="ถนน", name_zh_hans="道路",
        order=1, default_agency=None,
    )  # fmt: skip
    potholes = ComplaintCategoryFactory.create(
        jurisdiction=city, parent=roads, code="potholes", name_en="Potholes", name_th="หลุมบ่อ",
        name_zh_hans="坑洼", allows_anonymous=False, order=1,
    )  # fmt: skip
    ComplaintCategoryFactory.create(jurisdiction=city, parent=roads, code="signs", order=2)
    depth = QuestionFactory.create(
        category=potholes, code="depth", datatype="singlevaluelist", is_required=True,
        description_en="How deep is it?", description_th="ลึกแค่ไหน", order=1,
    )  # fmt: skip
    QuestionChoiceFactory.create(question=depth, key="deep", name_en="Deep", name_th="ลึก", order=1)
    QuestionChoiceFactory.create(question=depth, key="shallow", name_en="Shallow", order=2)
    QuestionFactory.create(category=potholes, code="width", datatype="number", order=2)
    closed = ComplaintCategoryFactory.create(
        jurisdiction=city, code="old", is_active=False, order=2
    )
    ComplaintCategoryFactory.create(jurisdiction=city, parent=closed, code="under-old")
    ComplaintCategoryFactory.create(code="elsewhere")  # another jurisdiction's
    return city


def test_the_tree_in_the_callers_language(api, city):
    response = api.get(URL, {"jurisdiction": city.code}, HTTP_ACCEPT_LANGUAGE="th")

    assert response.status_code == 200
    tree = response.json()
    assert [(node["code"], node["name"], node["is_leaf"]) for node in tree] == [
        ("roads", "ถนน", False)
    ]
    roads = tree[0]
    assert roads["questions"] == []
    potholes, signs = roads["children"]
    assert (potholes["code"], potholes["name"], potholes["is_leaf"]) == ("potholes", "หลุมบ่อ", True)
    assert (potholes["allows_anonymous"], potholes["is_public"]) == (False, True)
    assert potholes["children"] == []
    assert potholes["questions"][0] == {
        "variable": True,
        "code": "depth",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "ลึกแค่ไหน",
        "values": [{"key": "deep", "name": "ลึก"}, {"key": "shallow", "name": "Shallow"}],
    }
    assert [q["code"] for q in potholes["questions"]] == ["depth", "width"]
    assert signs["code"] == "signs"


def test_names_fall_back_to_english(api, city):
    tree = api.get(URL, {"jurisdiction": city.code}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    potholes = tree[0]["children"][0]
    assert (tree[0]["name"], potholes["name"]) == ("道路", "坑洼")
    assert potholes["questions"][0]["description"] == "How deep is it?"


def test_the_tree_takes_four_queries_whatever_its_size(api, city, django_assert_num_queries):
    # the jurisdiction, then the categories, their questions and the choices
    with django_assert_num_queries(4):
        api.get(URL, {"jurisdiction": city.code})


def test_the_jurisdiction_is_required_and_must_exist(api, city):
    missing = api.get(URL)
    unknown = api.get(URL, {"jurisdiction": "atlantis"})

    assert missing.status_code == 400
    assert [e["field"] for e in missing.json()["errors"]] == ["jurisdiction"]
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "category_not_found"

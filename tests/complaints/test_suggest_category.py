"""POST /api/v1/complaints/suggest-category: the leaf categories whose keywords, in any of
the three languages, the description contains; Thai and Chinese have no spaces between
words, so keywords match inside words."""

import pytest

from complaints.suggest import suggest_categories
from tests.factories import CityFactory, ComplaintCategoryFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints/suggest-category"


@pytest.fixture
def city():
    city = CityFactory.create()
    roads = ComplaintCategoryFactory.create(
        jurisdiction=city, code="roads", keywords_en="road, street", default_agency=None
    )
    ComplaintCategoryFactory.create(
        jurisdiction=city, parent=roads, code="potholes", order=1,
        keywords_en="pothole, hole, crack", keywords_th="หลุม, ถนนพัง", keywords_zh_hans="坑, 路面",
    )  # fmt: skip
    ComplaintCategoryFactory.create(
        jurisdiction=city, parent=roads, code="lights", order=2,
        keywords_en="street light, lamp, dark", keywords_th="ไฟถนน, ไฟดับ", keywords_zh_hans="路灯",
    )  # fmt: skip
    ComplaintCategoryFactory.create(
        jurisdiction=city, code="noise", order=3, keywords_en="noise, loud, music",
        keywords_th="เสียงดัง", keywords_zh_hans="噪音",
    )  # fmt: skip
    ComplaintCategoryFactory.create(
        jurisdiction=city, code="retired", is_active=False, keywords_en="hole"
    )
    return city


def _ask(api, city, description: str) -> list[tuple[str, int]]:
    response = api.post(URL, {"jurisdiction": city.code, "description": description})
    assert response.status_code == 200, response.json()
    return [(s["code"], s["score"]) for s in response.json()]


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("There is a big POTHOLE and a crack on our street", [("potholes", 3)]),
        ("หน้าบ้านมีหลุมใหญ่มาก", [("potholes", 1)]),
        ("ซอยนี้ไฟดับทั้งคืน เสียงดังด้วย", [("noise", 1), ("lights", 1)]),  # the longer word first
        ("我家门口的路灯坏了", [("lights", 1)]),
        ("楼下有人放音乐，噪音很大", [("noise", 1)]),
        ("The lamp is dark and the music is loud", [("noise", 2), ("lights", 2)]),
        ("Nothing to see here", []),
    ],
)
def test_categories_are_suggested_by_keywords(api, city, description, expected):
    assert _ask(api, city, description) == expected


def test_full_width_letters_match_too(city):
    found = suggest_categories(city, "ＰＯＴＨＯＬＥ")

    assert [(s.category.code, s.matched) for s in found] == [("potholes", ("hole", "pothole"))]


def test_the_answer_names_the_matched_keywords_in_the_callers_language(api, city):
    city_categories = city.complaint_categories.get(code="potholes")
    city_categories.name_th = "หลุมบ่อ"
    city_categories.save()

    response = api.post(
        URL, {"jurisdiction": city.code, "description": "pothole"}, HTTP_ACCEPT_LANGUAGE="th"
    )

    assert response.json() == [
        {"code": "potholes", "name": "หลุมบ่อ", "score": 2, "matched": ["hole", "pothole"]}
    ]


def test_the_description_and_jurisdiction_are_needed(api, city):
    missing = api.post(URL, {"jurisdiction": city.code})
    unknown = api.post(URL, {"jurisdiction": "atlantis", "description": "hole"})

    assert missing.status_code == 400
    assert [e["field"] for e in missing.json()["errors"]] == ["description"]
    assert unknown.status_code == 404

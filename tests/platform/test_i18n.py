"""English, Thai and Simplified Chinese: catalogues complete, Accept-Language honoured."""

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Not found."),
        ("th", "ไม่พบข้อมูล"),
        ("zh-hans", "未找到。"),
        ("zh-CN", "未找到。"),
        ("fr", "Not found."),  # not offered: falls back to English
    ],
)
def test_problem_titles_follow_accept_language(api, language, title):
    response = api.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE=language)
    assert response.json()["title"] == title
    assert response.json()["code"] == "not_found"  # codes are never translated


def test_validation_messages_are_translated(citizen_api):
    response = citizen_api.post(
        "/api/v1/conventions/gadgets", {}, format="json", HTTP_ACCEPT_LANGUAGE="th"
    )
    body = response.json()
    assert body["title"] == "คำขอมีช่องข้อมูลที่ไม่ถูกต้อง"
    assert body["errors"][0]["code"] == "required"


@pytest.mark.parametrize("language", ["th", "zh_Hans"])
def test_every_message_is_translated(language):
    catalogue = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = catalogue.split("\n\n")[1:]
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') or "#, fuzzy" in e]
    assert untranslated == []
    assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists()


def test_admin_is_branded_in_each_language(admin_client):
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "CityPortal 管理后台" in response.content.decode()

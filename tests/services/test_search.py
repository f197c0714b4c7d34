"""Catalogue search with real words in English, Thai and Chinese: the right service first
among decoys that share some of its words."""

from io import StringIO

import pytest
from django.core.management import call_command

from services.actions.catalogue import index_service, reindex_services
from services.models import Service
from services.search import document_of, one_typo_away, search_services, tokens
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _service(code, *, names, summaries=("", "", ""), descriptions=("", "", ""), keywords=""):
    service = ServiceFactory.create(
        code=code,
        name_en=names[0],
        name_th=names[1],
        name_zh_hans=names[2],
        summary_en=summaries[0],
        summary_th=summaries[1],
        summary_zh_hans=summaries[2],
        description_en=descriptions[0],
        description_th=descriptions[1],
        description_zh_hans=descriptions[2],
        keywords_en=keywords,
    )
    return index_service(service)


@pytest.fixture
def catalogue():
    """Real services, and decoys that mention their words in the description only."""
    _service(
        "residence-permit",
        names=("Residence permit", "ใบอนุญาตพำนัก", "居住证"),
        summaries=(
            "Apply for a residence permit to live in the city.",
            "ขอใบอนุญาตพำนักเพื่ออาศัยในเมือง",
            "申请居住证，在本市居住。",
        ),
    )
    _service(
        "residence-registration",
        names=("Residence registration", "แจ้งย้ายที่อยู่", "居住登记"),
        summaries=(
            "Register your address when you move.",
            "แจ้งที่อยู่ใหม่เมื่อย้ายบ้าน",
            "搬家后登记住址。",
        ),
    )
    _service(
        "driving-licence-renewal",
        names=("Driving licence renewal", "ต่ออายุใบขับขี่", "驾驶证换证"),
        summaries=(
            "Renew a driving licence before it expires.",
            "ต่ออายุใบขับขี่ก่อนหมดอายุ",
            "驾驶证到期前换证。",
        ),
    )
    _service(
        "parking-permit",
        names=("Residents' parking permit", "ใบอนุญาตจอดรถสำหรับผู้อยู่อาศัย", "居民停车许可"),
        descriptions=(
            "Bring your driving licence and the vehicle registration.",
            "นำใบขับขี่และทะเบียนรถมาด้วย",
            "请携带驾驶证和行驶证。",
        ),
    )
    _service(
        "business-licence",
        names=("Business licence", "ใบอนุญาตประกอบธุรกิจ", "营业执照"),
        summaries=(
            "A licence to run a shop or a company.",
            "ใบอนุญาตสำหรับเปิดร้านหรือบริษัท",
            "开店或开公司的营业执照。",
        ),
    )
    _service(
        "library-card",
        names=("Library card", "บัตรห้องสมุด", "借书证"),
        summaries=(
            "Borrow books from every city library.",
            "ยืมหนังสือได้ทุกสาขา",
            "在市图书馆借书。",
        ),
    )
    _service("child-allowance", names=("Child allowance", "เงินอุดหนุนบุตร", "育儿补贴"))


def _codes(q):
    return [service.code for service in search_services(Service.objects.all(), q)]


def test_tokens_segment_thai_and_cut_chinese_into_characters_and_pairs():
    # when
    found = tokens("Driving-licence (驾驶证) ใบขับขี่รถยนต์")

    # then
    assert found == ["driving", "licence", "驾", "驶", "证", "驾驶", "驶证", "ใบขับขี่", "รถยนต์"]


def test_a_thai_compound_is_followed_by_its_words_in_documents_only():
    assert tokens("บัตรห้องสมุด หนังสือ") == ["บัตรห้องสมุด", "บัตร", "ห้องสมุด", "หนังสือ"]
    assert tokens("บัตรห้องสมุด หนังสือ", for_query=True) == ["บัตรห้องสมุด", "หนังสือ"]


def test_query_tokens_of_chinese_are_its_pairs_or_its_one_character():
    assert tokens("居住证", for_query=True) == ["居住", "住证"]
    assert tokens("证", for_query=True) == ["证"]


def test_document_holds_every_word_once_those_of_the_name_first():
    # given
    service = ServiceFactory.build(
        name_en="Library card",
        name_th="",
        name_zh_hans="借书证",
        summary_en="Borrow books. Borrow films.",
        description_en="",
        keywords_en="books, card",
    )

    # when
    document = document_of(service)

    # then
    assert document == ("library card 借 书 证 借书 书证 borrow books films")


def test_reindexing_fills_every_document(catalogue):
    # given
    Service.objects.update(search_document="")

    # when
    count = reindex_services(Service.objects.all(), batch_size=3)

    # then
    assert count == 7
    assert Service.objects.get(code="library-card").search_document.startswith("library card")


@pytest.mark.sqlite
def test_sqlite_fallback_needs_every_word(catalogue):
    """Without PostgreSQL every word of the query must be in the document (no ranking)."""
    assert _codes("居住证") == ["residence-permit"]
    assert _codes("ใบขับขี่") == ["driving-licence-renewal", "parking-permit"]
    assert _codes("driving licence") == ["driving-licence-renewal", "parking-permit"]
    assert _codes("ห้องสมุด") == ["library-card"]


def test_a_query_without_words_leaves_the_list_as_it_is(catalogue):
    assert len(_codes(" ,.! ")) == 7


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("居住证", "residence-permit"),
        ("ใบขับขี่", "driving-licence-renewal"),
        ("driving licence", "driving-licence-renewal"),
        ("drivng licence", "driving-licence-renewal"),
        ("营业执照", "business-licence"),
        ("business licence", "business-licence"),
        ("ห้องสมุด", "library-card"),
        ("library", "library-card"),
        ("libary card", "library-card"),
        ("驾驶证", "driving-licence-renewal"),
    ],
)
def test_the_right_service_comes_first(catalogue, q, first):
    # when
    found = _codes(q)

    # then
    assert found[0] == first


@pytest.mark.postgres
def test_name_matches_rank_above_description_matches(catalogue):
    assert _codes("driving licence")[:2] == ["driving-licence-renewal", "parking-permit"]
    assert _codes("ใบขับขี่")[:2] == ["driving-licence-renewal", "parking-permit"]
    assert _codes("驾驶证") == ["driving-licence-renewal", "parking-permit"]


@pytest.mark.postgres
def test_chinese_needs_the_whole_word_not_just_a_shared_character(catalogue):
    # 居住登记 shares 居住 with 居住证, but not 住证.
    assert _codes("居住证") == ["residence-permit"]


@pytest.mark.postgres
def test_unrelated_words_find_nothing(catalogue):
    assert _codes("swimming pool") == []
    assert _codes("driving card") == []  # known words, never together


@pytest.mark.postgres
def test_a_typo_is_forgiven_only_when_nothing_matches_as_typed(catalogue):
    # given: "card" is a word; "cart" is one letter away
    index_service(ServiceFactory.create(code="cart", name_en="Shopping cart permit"))

    # then
    assert _codes("card") == ["library-card"]
    assert _codes("cart") == ["cart"]
    assert _codes("libary") == ["library-card"]
    assert _codes("licnese") == []  # two letters off


def test_words_one_typo_away():
    # when
    near = one_typo_away("card")

    # then
    assert {"car", "acrd", "cadr", "cart", "cord", "cards", "scard", "ward"} <= near
    assert {"ca", "drac", "cardss"}.isdisjoint(near)


# The generator ------------------------------------------------------------------------------


def test_generator_creates_searchable_services_once(agency):
    # given
    out, progress = StringIO(), StringIO()

    # when
    call_command("generate_services", "50", stdout=out, stderr=progress)
    call_command("generate_services", "50", stdout=out, stderr=progress)

    # then
    generated = Service.objects.filter(code__startswith="gen-")
    assert generated.count() == 50
    assert "Created 50 services (0 already there)." in out.getvalue()
    assert "Created 0 services (50 already there)." in out.getvalue()
    assert "[##############################] 50/50 services" in progress.getvalue()
    first = generated.get(code="gen-1")
    assert first.agency == agency
    assert first.search_document == document_of(first)
    assert (first.name_en, first.name_th, first.name_zh_hans) != ("", "", "")
    assert len(_codes("driving licence")) > 0
    assert len(_codes("ใบขับขี่")) > 0
    assert len(_codes("驾驶证")) > 0


def test_generator_takes_a_prefix(agency):
    call_command("generate_services", "5", "--prefix", "try", "--quiet")

    assert sorted(Service.objects.values_list("code", flat=True)) == [
        "try-1",
        "try-2",
        "try-3",
        "try-4",
        "try-5",
    ]

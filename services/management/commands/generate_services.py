"""Generate synthetic services for benchmarks:

    manage.py generate_services            # 10,000 services, codes gen-1 … gen-10000
    manage.py generate_services 50 --prefix try

Names, summaries and descriptions in English, Thai and Chinese are built from real words of
the catalogue ("Renew driving licence for seniors (Bang Rak)", "ต่ออายุใบขับขี่สำหรับผู้สูงอายุ
(บางรัก)", "驾驶证续期" with the audience and the district), so searching them means something.
They go to the existing agencies, in batches of 1,000 with their search documents. Codes
already there are skipped, so a second run adds nothing; another --prefix adds another set.
"""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, OutputWrapper
from django.db import transaction

from identity.models import Agency, Jurisdiction
from services.models import Category, Fee, Service
from services.search import document_of

BATCH_SIZE = 1000

# (English, Thai, Chinese)
Words = tuple[str, str, str]

ACTIONS: tuple[Words, ...] = (
    ("Apply for", "ขอ", "申请"),
    ("Renew", "ต่ออายุ", "续期"),
    ("Replace a lost", "ขอใหม่แทนที่สูญหาย", "补办"),
    ("Register", "จดทะเบียน", "登记"),
    ("Cancel", "ยกเลิก", "注销"),
    ("Change the details of", "เปลี่ยนแปลงรายการ", "变更"),
    ("Extend", "ขยายเวลา", "延期"),
    ("Check the status of", "ตรวจสอบสถานะ", "查询"),
)
OBJECTS: tuple[Words, ...] = (
    ("driving licence", "ใบขับขี่", "驾驶证"),
    ("residence permit", "ใบอนุญาตพำนัก", "居住证"),
    ("business licence", "ใบอนุญาตประกอบธุรกิจ", "营业执照"),
    ("library card", "บัตรห้องสมุด", "借书证"),
    ("parking permit", "ใบอนุญาตจอดรถ", "停车许可证"),
    ("birth certificate", "สูติบัตร", "出生证明"),
    ("marriage certificate", "ทะเบียนสมรส", "结婚证"),
    ("building permit", "ใบอนุญาตก่อสร้าง", "建筑许可证"),
    ("food shop licence", "ใบอนุญาตร้านอาหาร", "食品经营许可证"),
    ("pet registration", "ทะเบียนสัตว์เลี้ยง", "宠物登记证"),
    ("house registration", "ทะเบียนบ้าน", "户籍登记"),
    ("senior transit card", "บัตรโดยสารผู้สูงอายุ", "老年人乘车卡"),
    ("child allowance", "เงินอุดหนุนบุตร", "育儿补贴"),
    ("health insurance", "ประกันสุขภาพ", "医疗保险"),
    ("water connection", "การติดตั้งน้ำประปา", "供水接入"),
    ("street vending permit", "ใบอนุญาตหาบเร่แผงลอย", "摊贩许可证"),
    ("tax certificate", "หนังสือรับรองการเสียภาษี", "完税证明"),
    ("scholarship", "ทุนการศึกษา", "奖学金"),
    ("event permit", "ใบอนุญาตจัดงาน", "活动许可证"),
    ("signboard permit", "ใบอนุญาตติดตั้งป้าย", "招牌设置许可"),
    ("disability card", "บัตรประจำตัวคนพิการ", "残疾人证"),
    ("vehicle registration", "ทะเบียนรถ", "机动车登记证"),
    ("work permit", "ใบอนุญาตทำงาน", "工作许可证"),
    ("sports hall booking", "การจองสนามกีฬา", "体育馆预约"),
)
AUDIENCES: tuple[Words, ...] = (
    ("for residents", "สำหรับผู้อยู่อาศัย", "居民"),
    ("for businesses", "สำหรับธุรกิจ", "企业"),
    ("for students", "สำหรับนักเรียน", "学生"),
    ("for seniors", "สำหรับผู้สูงอายุ", "老年人"),
    ("for foreigners", "สำหรับชาวต่างชาติ", "外籍人士"),
    ("for families", "สำหรับครอบครัว", "家庭"),
)
PLACES: tuple[Words, ...] = (
    ("Bang Rak", "บางรัก", "挽叻"),
    ("Pathum Wan", "ปทุมวัน", "巴吞旺"),
    ("Chatuchak", "จตุจักร", "乍都节"),
    ("Futian", "ฝูเถียน", "福田"),
    ("Nanshan", "หนานซาน", "南山"),
    ("Luohu", "หลัวหู", "罗湖"),
    ("Bao'an", "เป่าอัน", "宝安"),
    ("Old Town", "เมืองเก่า", "老城"),
)


@dataclass(frozen=True)
class Home:
    agency: Agency
    jurisdiction: Jurisdiction


def _homes() -> list[Home]:
    agencies = list(Agency.objects.filter(is_active=True).select_related("jurisdiction"))
    if not agencies:
        province, _ = Jurisdiction.objects.get_or_create(
            code="bench", defaults={"name": "Bench Province", "level": "province"}
        )
        agency, _ = Agency.objects.get_or_create(
            code="bench-agency", defaults={"name": "Bench Agency", "jurisdiction": province}
        )
        agencies = [agency]
    return [Home(agency, agency.jurisdiction) for agency in agencies]


def _words(rng: random.Random, number: int) -> dict[str, Any]:
    action = ACTIONS[number % len(ACTIONS)]
    thing = OBJECTS[(number // len(ACTIONS)) % len(OBJECTS)]
    audience = AUDIENCES[rng.randrange(len(AUDIENCES))]
    place = PLACES[rng.randrange(len(PLACES))]
    other = OBJECTS[rng.randrange(len(OBJECTS))]
    return {"action": action, "object": thing, "audience": audience, "place": place, "other": other}


def _texts(words: dict[str, Any]) -> dict[str, str]:
    action, thing, audience, place, other = (
        words["action"], words["object"], words["audience"], words["place"], words["other"],
    )  # fmt: skip
    return {
        "name_en": f"{action[0]} {thing[0]} {audience[0]} ({place[0]})",
        "name_th": f"{action[1]}{thing[1]}{audience[1]} ({place[1]})",
        "name_zh_hans": f"{thing[2]}{action[2]}（{audience[2]}，{place[2]}）",
        "summary_en": f"{action[0]} your {thing[0]} at the {place[0]} district office or online.",
        "summary_th": f"{action[1]}{thing[1]}ได้ที่สำนักงานเขต{place[1]}หรือทางออนไลน์",
        "summary_zh_hans": f"在{place[2]}区办事处或网上{action[2]}{thing[2]}。",
        "description_en": (
            f"Bring your {other[0]} and your ID card. Most applications are decided within "
            "five working days."
        ),
        "description_th": f"นำ{other[1]}และบัตรประจำตัวประชาชนมาด้วย ส่วนใหญ่พิจารณาภายในห้าวันทำการ",
        "description_zh_hans": f"请携带{other[2]}和身份证。大多数申请在五个工作日内办结。",
        "keywords_en": f"{thing[0]}, {audience[0].removeprefix('for ')}",
        "keywords_th": thing[1],
        "keywords_zh_hans": thing[2],
    }


STATUSES = (Service.Status.ACTIVE,) * 17 + (Service.Status.SUSPENDED, Service.Status.DRAFT) + (
    Service.Status.RETIRED,
)  # fmt: skip
MODES = (Service.ApprovalMode.MANUAL,) * 6 + (Service.ApprovalMode.AUTOMATIC,) * 3 + (
    Service.ApprovalMode.PROACTIVE,
)  # fmt: skip
CHANNELS = (["app", "web"], ["web", "office"], ["app", "web", "office", "phone"], ["office"])


def build_service(code: str, number: int, home: Home, rng: random.Random) -> Service:
    """An unsaved synthetic service with its search document."""
    words = _words(rng, number)
    is_business = words["audience"][0] == "for businesses"
    service = Service(
        code=code,
        agency=home.agency,
        jurisdiction=home.jurisdiction,
        for_persons=not is_business,
        for_businesses=is_business,
        channels=CHANNELS[rng.randrange(len(CHANNELS))],
        processing_time=datetime.timedelta(days=rng.choice((1, 3, 5, 10, 30))),
        legal_basis=f"Municipal Services Act s. {rng.randrange(1, 120)}",
        approval_mode=MODES[rng.randrange(len(MODES))],
        status=STATUSES[rng.randrange(len(STATUSES))],
        **_texts(words),
    )
    service.search_document = document_of(service)
    return service


def _progress(out: OutputWrapper, done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    bar = "#" * filled + "-" * (width - filled)
    out.write(f"\r[{bar}] {done}/{total} services", ending="")
    out.flush()


def _numbered(prefix: str, count: int, existing: set[str]) -> Iterator[tuple[int, str]]:
    for number in range(1, count + 1):
        code = f"{prefix}-{number}"
        if code not in existing:
            yield number, code


class Command(BaseCommand):
    help = "Create N synthetic services in three languages (for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", nargs="?", type=int, default=10_000)
        parser.add_argument("--prefix", default="gen", help="codes are <prefix>-<n> (gen)")
        parser.add_argument("--seed", type=int, default=5, help="for the random choices (5)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["count"]
        prefix: str = options["prefix"]
        rng = random.Random(options["seed"])  # noqa: S311 - synthetic data, repeatable
        progress = None if options["quiet"] else self.stderr
        homes = _homes()
        categories = list(Category.objects.all())
        existing = set(
            Service.objects.filter(code__startswith=f"{prefix}-").values_list("code", flat=True)
        )
        todo = list(_numbered(prefix, count, existing))
        created = 0
        for start in range(0, len(todo), BATCH_SIZE):
            batch = [
                build_service(code, number, homes[number % len(homes)], rng)
                for number, code in todo[start : start + BATCH_SIZE]
            ]
            with transaction.atomic():
                Service.objects.bulk_create(batch)
                self._add_related(batch, categories, rng)
            created += len(batch)
            if progress is not None:
                _progress(progress, created, len(todo))
        if progress is not None and todo:
            progress.write("")
        skipped = count - len(todo)
        self.stdout.write(f"Created {created} services ({skipped} already there).")

    def _add_related(
        self, batch: list[Service], categories: list[Category], rng: random.Random
    ) -> None:
        """A category each (when there are any) and a fee for one service in three; bulk_create
        has set the services' primary keys."""
        through = Service.categories.through
        if categories:
            through.objects.bulk_create(
                through(service_id=service.pk, category_id=categories[n % len(categories)].pk)
                for n, service in enumerate(batch)
            )
        Fee.objects.bulk_create(
            Fee(
                service_id=service.pk,
                amount_minor=rng.choice((0, 5000, 10000, 20000, 50000)),
                currency="THB",
                valid_from=datetime.date(2025, 1, 1),
            )
            for n, service in enumerate(batch)
            if n % 3 == 0
        )

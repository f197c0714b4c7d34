"""Services demo data (called by `manage.py seed_demo` after the identity and payments demos;
safe to run again): catalogue categories and life events, 34 services of the Chiang Mai and
Shenzhen demo agencies in English, Thai and Simplified Chinese — ten decided in seconds by
published rule sets with passing test cases, one offered proactively, one draft and one
retired — and the "having a baby" bundle.

What the demo citizens can try (all with the printed logins):

- verified@ (substantial, lives in Chiang Mai City): a library card or a Shenzhen residence
  permit, approved at once, the card landing in the wallet;
- inperson@ (high, holds a driving licence): a resident parking permit, approved once its fee
  is paid; and, for the coffee company he represents, the business licence renewal;
- both are offered the free annual health check (proactive, aged 35 and over).

Services are keyed by jurisdiction and code, so a second run updates them in place. A rule set
is published once (through the same action as the admin, which runs its test cases); a published
rule set never changes, so a later run leaves it as it is.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from identity.models import Agency, CredentialType, Jurisdiction, LevelOfAssurance, User
from payments.models import Biller
from services.actions.catalogue import reindex_services
from services.actions.rulesets import publish_rule_set
from services.models import (
    Bundle,
    BundleItem,
    Category,
    Check,
    EvidenceRequirement,
    Fee,
    LifeEvent,
    RuleSet,
    RuleTestCase,
    Service,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
FEES_FROM = datetime.date(2025, 10, 1)  # fixed, so a second run finds the same fee rows
# Test cases that read dates pin "today", so they keep passing as the calendar moves on.
CASE_TODAY = "2026-01-15"
CITY, PROVINCE, SAN_SAI, SHENZHEN = (
    "th-chiang-mai-city",
    "th-chiang-mai",
    "th-san-sai",
    "cn-shenzhen",
)


class T(NamedTuple):
    """One text in English, Thai and Simplified Chinese."""

    en: str
    th: str
    zh: str


def translated(name: str, text: T) -> dict[str, str]:
    return {name: text.en, f"{name}_en": text.en, f"{name}_th": text.th, f"{name}_zh_hans": text.zh}


# Categories, life events, agencies, cards, billers -----------------------------------------

CATEGORIES = (
    ("family", T("Family and children", "ครอบครัวและเด็ก", "家庭与儿童")),
    ("health", T("Health", "สุขภาพ", "医疗健康")),
    ("housing", T("Housing and building", "ที่อยู่อาศัยและการก่อสร้าง", "住房与建设")),
    ("transport", T("Transport and driving", "การคมนาคมและการขับขี่", "交通出行")),
    ("business", T("Business and work", "ธุรกิจและการทำงาน", "企业与就业")),
    ("education", T("Education", "การศึกษา", "教育")),
    ("culture", T("Culture, sport and leisure", "วัฒนธรรม กีฬา และนันทนาการ", "文体休闲")),
    ("welfare", T("Social welfare", "สวัสดิการสังคม", "社会福利")),
    ("civil-status", T("Residence and civil status", "ทะเบียนราษฎรและถิ่นที่อยู่", "户籍与居住")),
    ("environment", T("Environment and public space", "สิ่งแวดล้อมและที่สาธารณะ", "环境与公共空间")),
)

LIFE_EVENTS = (
    (
        "having-a-baby",
        "person",
        T("Having a baby", "มีลูก", "生育"),
        T(
            "Register the birth, enrol your baby in health insurance and apply for the child "
            "support grant — in one go.",
            "แจ้งเกิด ลงทะเบียนสิทธิรักษาพยาบาลให้ลูก และขอเงินอุดหนุนเด็กแรกเกิด ในครั้งเดียว",
            "一次办好出生登记、新生儿医保登记和育儿津贴申请。",
        ),
    ),
    (
        "moving-house",
        "person",
        T("Moving house", "ย้ายบ้าน", "搬家"),
        T(
            "Move your household registration, park near your new home and connect the water.",
            "แจ้งย้ายทะเบียนบ้าน ขอที่จอดรถใกล้บ้านใหม่ และขอติดตั้งประปา",
            "办理户籍迁移、新居附近停车许可和自来水开户。",
        ),
    ),
    (
        "starting-a-business",
        "business",
        T("Starting a business", "เริ่มต้นธุรกิจ", "创业"),
        T(
            "Reserve a name, register the company and get the licences a shop or café needs.",
            "จองชื่อ จดทะเบียนบริษัท และขอใบอนุญาตที่ร้านค้าหรือร้านกาแฟต้องมี",
            "企业名称申报、设立登记，以及商铺或咖啡馆所需的各类许可。",
        ),
    ),
    (
        "retiring",
        "person",
        T("Turning 60 and retiring", "อายุครบ 60 ปีและเกษียณ", "年满60岁与退休"),
        T(
            "The old-age allowance, free rides on city buses and a yearly health check.",
            "เบี้ยยังชีพผู้สูงอายุ โดยสารรถประจำทางฟรี และตรวจสุขภาพประจำปี",
            "老年生活津贴、免费乘坐市内公交和年度健康体检。",
        ),
    ),
    (
        "learning-to-drive",
        "person",
        T("Learning to drive", "หัดขับรถ", "学车"),
        T(
            "Your first driving licence, and its renewal when the time comes.",
            "ใบขับขี่ใบแรกของคุณ และการต่ออายุเมื่อถึงเวลา",
            "首次申领驾驶证，以及到期换证。",
        ),
    ),
    (
        "going-to-school",
        "person",
        T("Going to school", "เข้าโรงเรียน", "上学"),
        T(
            "Enrol your child in a municipal school, a library card and scholarships.",
            "สมัครเรียนในโรงเรียนเทศบาล บัตรห้องสมุด และทุนการศึกษา",
            "市立学校入学报名、借书证和奖学金。",
        ),
    ),
)

# Agencies the identity and payments demos do not make: (code, jurisdiction, names).
AGENCIES = (
    ("cm-municipality", CITY, T("Chiang Mai City Municipality", "เทศบาลนครเชียงใหม่", "清迈市政府")),
    (
        "cm-education",
        CITY,
        T("Municipal Education Office", "กองการศึกษา เทศบาลนครเชียงใหม่", "清迈市教育处"),
    ),
    (
        "cm-arts-culture",
        CITY,
        T(
            "Chiang Mai City Arts & Cultural Centre",
            "หอศิลปวัฒนธรรมเมืองเชียงใหม่",
            "清迈城市艺术文化中心",
        ),
    ),
    (
        "sz-public-security",
        SHENZHEN,
        T("Shenzhen Public Security Bureau", "สำนักงานความมั่นคงสาธารณะเซินเจิ้น", "深圳市公安局"),
    ),
    (
        "sz-market-regulation",
        SHENZHEN,
        T(
            "Shenzhen Administration for Market Regulation",
            "สำนักงานกำกับดูแลตลาดเซินเจิ้น",
            "深圳市市场监督管理局",
        ),
    ),
    (
        "sz-housing",
        SHENZHEN,
        T(
            "Shenzhen Housing and Construction Bureau",
            "สำนักงานที่อยู่อาศัยและการก่อสร้างเซินเจิ้น",
            "深圳市住房和建设局",
        ),
    ),
)

# (code, issuer, names): the cards services issue that the identity demo does not make.
CREDENTIAL_TYPES = (
    (
        "residence_permit",
        "sz-public-security",
        T("Shenzhen residence permit", "ใบอนุญาตพำนักเซินเจิ้น", "深圳经济特区居住证"),
    ),
)

# The platform's own service-fee billers, one per currency (a fee is billed in its currency).
FEE_BILLERS = (
    (
        "cm-service-fees",
        "cm-municipality",
        "THB",
        "SVC-",
        T("Chiang Mai service fees", "ค่าธรรมเนียมบริการเชียงใหม่", "清迈政务服务费"),
    ),
    (
        "sz-service-fees",
        "sz-government-services",
        "CNY",
        "SZF-",
        T("Shenzhen service fees", "ค่าธรรมเนียมบริการเซินเจิ้น", "深圳政务服务费"),
    ),
)


# Application forms ------------------------------------------------------------------------


def form(required: Iterable[str], **properties: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of an application form."""
    return {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def text(title: str, *, max_length: int = 200, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "minLength": 1, "maxLength": max_length, **extra}


def number(title: str, minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "title": title, "minimum": minimum, "maximum": maximum}


def day(title: str) -> dict[str, Any]:
    return {"type": "string", "format": "date", "title": title}


def choice(title: str, *values: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(values)}


def flag(title: str) -> dict[str, Any]:
    return {"type": "boolean", "title": title}


# The "having a baby" services share these fields, so the bundle's one form fills all three.
CHILD_FIELDS: dict[str, dict[str, Any]] = {
    "child_name": text("Child's full name", max_length=150),
    "child_date_of_birth": day("Child's date of birth"),
    "child_sex": choice("Child's sex", "female", "male"),
    "mother_name": text("Mother's full name", max_length=150),
    "father_name": text("Father's full name", max_length=150),
    "place_of_birth": choice("Place of birth", "hospital", "home", "other"),
    "hospital_name": text("Hospital or clinic of birth"),
    "main_hospital": choice(
        "Main hospital for the child's care",
        "maharaj-nakorn-chiang-mai",
        "nakornping",
        "city-health-centre-1",
        "san-sai",
    ),
    "household_income_per_person": number("Household income per person a year (THB)", 0, 10**8),
    "children_in_household": number("Children in the household, this one included", 1, 20),
    "bank_account": text("Bank account or PromptPay number", max_length=15,
                         pattern="^[0-9]{10,15}$"),
}  # fmt: skip


def child_form(*names: str, required: Iterable[str]) -> dict[str, Any]:
    return form(required, **{name: CHILD_FIELDS[name] for name in names})


BIRTH_FORM = child_form(
    "child_name", "child_date_of_birth", "child_sex", "mother_name", "father_name",
    "place_of_birth", "hospital_name",
    required=("child_name", "child_date_of_birth", "child_sex", "mother_name", "place_of_birth"),
)  # fmt: skip
NEWBORN_INSURANCE_FORM = child_form(
    "child_name", "child_date_of_birth", "mother_name", "main_hospital",
    required=("child_name", "child_date_of_birth", "mother_name", "main_hospital"),
)  # fmt: skip
CHILD_ALLOWANCE_FORM = child_form(
    "child_name", "child_date_of_birth", "mother_name", "household_income_per_person",
    "children_in_household", "bank_account",
    required=(
        "child_name", "child_date_of_birth", "mother_name", "household_income_per_person",
        "children_in_household", "bank_account",
    ),
)  # fmt: skip


def union_form(*forms: Mapping[str, Any]) -> dict[str, Any]:
    """One form with every field of the given forms (a bundle's shared form)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for each in forms:
        properties.update(each["properties"])
        required += [name for name in each["required"] if name not in required]
    return form(required, **properties)


# Checks -----------------------------------------------------------------------------------


def var(name: str) -> dict[str, Any]:
    return {"var": name}


AGE = var("applicant.age")
TODAY = {"date": var("today")}


def lives_in(code: str) -> dict[str, Any]:
    return {"in": [code, var("applicant.residence_in")]}


def holds(credential_type: str) -> dict[str, Any]:
    return {"!!": [var(f"applicant.credentials.{credential_type}")]}


def date_of(name: str) -> dict[str, Any]:
    return {"date": var(name)}


def ago(*, years: int = 0, days: int = 0) -> dict[str, Any]:
    return {"-": [TODAY, {"rdelta": [years, 0, days]}]}


def unless(condition: Any, then: Any) -> dict[str, Any]:
    """`then` must hold only when `condition` does."""
    return {"or": [{"!": [condition]}, then]}


@dataclass(frozen=True)
class DemoCheck:
    code: str
    title: T
    expression: dict[str, Any]
    on_fail: str
    reason: T
    legal_basis: str


@dataclass(frozen=True)
class DemoCase:
    name: str
    data: dict[str, Any]
    facts: dict[str, Any]
    expected: str


@dataclass(frozen=True)
class DemoRules:
    checks: tuple[DemoCheck, ...]
    cases: tuple[DemoCase, ...]
    notes: str = ""


_LOA_RANK = {LevelOfAssurance.BASIC: 0, LevelOfAssurance.SUBSTANTIAL: 1, LevelOfAssurance.HIGH: 2}


def facts(
    *,
    age: int | None = 36,
    lives: Iterable[str] = (CITY, PROVINCE),
    level: str = LevelOfAssurance.SUBSTANTIAL,
    cards: Iterable[str] = (),
    business: bool = False,
) -> dict[str, Any]:
    """What identity would know about an applicant, as a test case's facts."""
    chain = list(lives)
    return {
        "applicant": {
            "age": age,
            "residence": chain[0] if chain else None,
            "residence_in": chain,
            "level_of_assurance": None if business else level,
            "loa_rank": None if business else _LOA_RANK[LevelOfAssurance(level)],
            "is_business": business,
            "credentials": {code: True for code in cards},
        },
        "today": CASE_TODAY,
    }


OUTSIDE = ("th-bangkok",)  # a residence outside every demo jurisdiction
IN_SAN_SAI = (SAN_SAI, PROVINCE)
IN_SHENZHEN = ("cn-nanshan", SHENZHEN, "cn-guangdong")


# Rule sets of the services decided in seconds ----------------------------------------------

LIBRARY_RULES = DemoRules(
    checks=(
        DemoCheck(
            "minimum-age",
            T("The applicant is at least 7", "ผู้สมัครมีอายุอย่างน้อย 7 ปี", "申请人年满7岁"),
            {">=": [AGE, 7]},
            "reject",
            T(
                "You are {{applicant.age}}; library cards are issued from the age of 7.",
                "คุณอายุ {{applicant.age}} ปี บัตรห้องสมุดออกให้ผู้มีอายุ 7 ปีขึ้นไป",
                "您的年龄为 {{applicant.age}} 岁，借书证仅向年满7岁者发放。",
            ),
            "Chiang Mai City Library Regulations 2023, cl. 5",
        ),
        DemoCheck(
            "child-card-age",
            T("Child cards are for under 15s", "บัตรเด็กสำหรับผู้มีอายุต่ำกว่า 15 ปี", "儿童卡仅限15岁以下"),
            unless({"==": [var("data.card_type"), "child"]}, {"<": [AGE, 15]}),
            "reject",
            T(
                "You are {{applicant.age}}; please choose an adult card ({{data.card_type}} "
                "cards are for under 15s).",
                "คุณอายุ {{applicant.age}} ปี โปรดเลือกบัตรผู้ใหญ่ (บัตรประเภท {{data.card_type}} "
                "สำหรับผู้มีอายุต่ำกว่า 15 ปี)",
                "您的年龄为 {{applicant.age}} 岁，"
                "请选择成人卡（{{data.card_type}} 卡仅限15岁以下）。",
            ),
            "Chiang Mai City Library Regulations 2023, cl. 6",
        ),
        DemoCheck(
            "city-resident",
            T(
                "The applicant lives in Chiang Mai City",
                "ผู้สมัครมีทะเบียนบ้านในเทศบาลนครเชียงใหม่",
                "申请人居住在清迈市",
            ),
            lives_in(CITY),
            "manual_review",
            T(
                "Your registered address is outside Chiang Mai City; a librarian will check "
                "your application (a deposit may apply).",
                "ที่อยู่ตามทะเบียนบ้านของคุณอยู่นอกเขตเทศบาลนครเชียงใหม่ บรรณารักษ์จะพิจารณา"
                "คำขอของคุณ (อาจต้องวางเงินมัดจำ)",
                "您的登记住址不在清迈市，图书馆员将审核您的申请（可能需要缴纳押金）。",
            ),
            "Chiang Mai City Library Regulations 2023, cl. 4",
        ),
    ),
    cases=(
        DemoCase(
            "Adult living in the city",
            {"full_name": "สมหญิง รักไทย", "card_type": "adult", "home_branch": "central"},
            facts(age=36),
            "approved",
        ),
        DemoCase(
            "Child of five",
            {"full_name": "ภูมิ รักไทย", "card_type": "child", "home_branch": "si-phum"},
            facts(age=5),
            "rejected",
        ),
        DemoCase(
            "Teenager asking for a child card",
            {"full_name": "ภูมิ รักไทย", "card_type": "child", "home_branch": "central"},
            facts(age=16),
            "rejected",
        ),
        DemoCase(
            "Living in San Sai",
            {"full_name": "ประเสริฐ มั่นคง", "card_type": "adult", "home_branch": "nong-han"},
            facts(age=30, lives=IN_SAN_SAI),
            "manual_review",
        ),
    ),
)

SENIOR_TRANSIT_RULES = DemoRules(
    checks=(
        DemoCheck(
            "aged-60",
            T("The applicant is 60 or older", "ผู้สมัครมีอายุ 60 ปีขึ้นไป", "申请人年满60岁"),
            {">=": [AGE, 60]},
            "reject",
            T(
                "You are {{applicant.age}}; the senior card is for people aged 60 and over.",
                "คุณอายุ {{applicant.age}} ปี บัตรผู้สูงอายุสำหรับผู้มีอายุ 60 ปีขึ้นไป",
                "您的年龄为 {{applicant.age}} 岁，长者卡仅限60岁及以上人士申领。",
            ),
            "Older Persons Act B.E. 2546 (2003), s. 11",
        ),
        DemoCheck(
            "province-resident",
            T(
                "The applicant lives in Chiang Mai Province",
                "ผู้สมัครมีทะเบียนบ้านในจังหวัดเชียงใหม่",
                "申请人居住在清迈府",
            ),
            lives_in(PROVINCE),
            "manual_review",
            T(
                "Your registered address is outside Chiang Mai Province; an officer will check "
                "whether you travel here regularly.",
                "ที่อยู่ตามทะเบียนบ้านของคุณอยู่นอกจังหวัดเชียงใหม่ เจ้าหน้าที่จะตรวจสอบคำขอของคุณ",
                "您的登记住址不在清迈府，工作人员将审核您的申请。",
            ),
            "Chiang Mai Transit Fares Notice 2024, cl. 3",
        ),
        DemoCheck(
            "identity-card",
            T(
                "The applicant's ID card is on file",
                "มีบัตรประจำตัวประชาชนของผู้สมัคร",
                "已有申请人的身份证",
            ),
            holds("id_card"),
            "request_evidence",
            T(
                "Please add your national ID card to your wallet, or upload a copy of it.",
                "โปรดเพิ่มบัตรประจำตัวประชาชนในกระเป๋าเอกสารดิจิทัล หรืออัปโหลดสำเนาบัตร",
                "请将居民身份证添加到电子卡包，或上传身份证复印件。",
            ),
            "Chiang Mai Transit Fares Notice 2024, cl. 4",
        ),
    ),
    cases=(
        DemoCase(
            "Resident of 65 with an ID card",
            {"full_name": "บุญมี ใจงาม", "date_of_birth": "1960-03-02", "delivery": "post"},
            facts(age=65, cards=["id_card"]),
            "approved",
        ),
        DemoCase(
            "Resident of 59",
            {"full_name": "บุญมี ใจงาม", "date_of_birth": "1966-03-02", "delivery": "post"},
            facts(age=59, cards=["id_card"]),
            "rejected",
        ),
        DemoCase(
            "Visitor of 70 from Bangkok",
            {"full_name": "บุญมี ใจงาม", "date_of_birth": "1955-03-02", "delivery": "office"},
            facts(age=70, lives=OUTSIDE, cards=["id_card"]),
            "manual_review",
        ),
        DemoCase(
            "Resident of 68 without the card on file",
            {"full_name": "บุญมี ใจงาม", "date_of_birth": "1957-03-02", "delivery": "office"},
            facts(age=68),
            "returned",
        ),
    ),
)

PARKING_PERMIT = {
    "holder_name": "ประเสริฐ มั่นคง",
    "plate_number": "1กข 1234",
    "vehicle_type": "car",
    "zone": "old-city-north",
    "permits_in_household": 0,
}

PARKING_RULES = DemoRules(
    checks=(
        DemoCheck(
            "driving-licence",
            T(
                "The applicant holds a valid driving licence",
                "ผู้สมัครมีใบขับขี่ที่ยังไม่หมดอายุ",
                "申请人持有有效驾驶证",
            ),
            holds("driving_licence"),
            "request_evidence",
            T(
                "We could not find a valid driving licence in your wallet; please add it or "
                "upload a copy.",
                "ไม่พบใบขับขี่ที่ยังไม่หมดอายุในกระเป๋าเอกสารดิจิทัลของคุณ โปรดเพิ่มใบขับขี่หรืออัปโหลดสำเนา",
                "您的电子卡包中没有有效的驾驶证，请添加驾驶证或上传复印件。",
            ),
            "Chiang Mai Municipality Parking Ordinance B.E. 2565 (2022), s. 8(1)",
        ),
        DemoCheck(
            "city-resident",
            T(
                "The applicant lives in Chiang Mai City",
                "ผู้สมัครมีทะเบียนบ้านในเทศบาลนครเชียงใหม่",
                "申请人居住在清迈市",
            ),
            lives_in(CITY),
            "reject",
            T(
                "Resident permits are for people registered at an address in Chiang Mai City.",
                "ใบอนุญาตจอดรถสำหรับผู้พักอาศัยออกให้เฉพาะผู้มีทะเบียนบ้านในเทศบาลนครเชียงใหม่",
                "居民停车许可证仅向在清迈市登记住址的居民发放。",
            ),
            "Chiang Mai Municipality Parking Ordinance B.E. 2565 (2022), s. 8(2)",
        ),
        DemoCheck(
            "household-limit",
            T(
                "The household holds fewer than two permits",
                "ครัวเรือนมีใบอนุญาตไม่ถึง 2 ใบ",
                "该户持有的停车许可证少于两张",
            ),
            {"<": [var("data.permits_in_household"), 2]},
            "manual_review",
            T(
                "Your household already holds {{data.permits_in_household}} permits; an officer "
                "checks every request beyond two.",
                "ครัวเรือนของคุณมีใบอนุญาตอยู่แล้ว {{data.permits_in_household}} ใบ "
                "เจ้าหน้าที่จะพิจารณาคำขอที่เกิน 2 ใบ",
                "您家已持有 {{data.permits_in_household}} 张停车许可证，超过两张须由工作人员审核。",
            ),
            "Chiang Mai Municipality Parking Ordinance B.E. 2565 (2022), s. 9",
        ),
    ),
    cases=(
        DemoCase("Resident driver", PARKING_PERMIT, facts(cards=["driving_licence"]), "approved"),
        DemoCase("No driving licence on file", PARKING_PERMIT, facts(), "returned"),
        DemoCase(
            "Driver living in San Sai",
            PARKING_PERMIT,
            facts(lives=IN_SAN_SAI, cards=["driving_licence"]),
            "rejected",
        ),
        DemoCase(
            "Third permit of a household",
            {**PARKING_PERMIT, "permits_in_household": 2},
            facts(cards=["driving_licence"]),
            "manual_review",
        ),
    ),
)

BABY = {
    "child_name": "เด็กหญิงน้ำฝน รักไทย",
    "child_date_of_birth": "2026-01-10",
    "child_sex": "female",
    "mother_name": "สมหญิง รักไทย",
    "father_name": "สมชาย รักไทย",
    "place_of_birth": "hospital",
    "hospital_name": "Maharaj Nakorn Chiang Mai Hospital",
    "main_hospital": "maharaj-nakorn-chiang-mai",
    "household_income_per_person": 60000,
    "children_in_household": 1,
    "bank_account": "0812345678",
}


def baby_for(schema: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """The demo baby's data, as much of it as a form declares."""
    return {k: v for k, v in {**BABY, **changes}.items() if k in schema["properties"]}


BIRTH_RULES = DemoRules(
    checks=(
        DemoCheck(
            "born-not-in-future",
            T(
                "The date of birth is not in the future",
                "วันเกิดไม่เป็นวันในอนาคต",
                "出生日期不晚于今天",
            ),
            {"<=": [date_of("data.child_date_of_birth"), TODAY]},
            "reject",
            T(
                "The date of birth {{data.child_date_of_birth}} is after today ({{today}}).",
                "วันเกิด {{data.child_date_of_birth}} อยู่หลังวันนี้ ({{today}})",
                "出生日期 {{data.child_date_of_birth}} 晚于今天（{{today}}）。",
            ),
            "Civil Registration Act B.E. 2534 (1991), s. 18",
        ),
        DemoCheck(
            "notified-in-time",
            T("The birth is notified within 15 days", "แจ้งเกิดภายใน 15 วัน", "出生后15日内登记"),
            {">=": [date_of("data.child_date_of_birth"), ago(days=15)]},
            "manual_review",
            T(
                "The birth on {{data.child_date_of_birth}} is notified more than 15 days later "
                "({{today}}); a registrar will handle the late notification.",
                "การเกิดเมื่อ {{data.child_date_of_birth}} แจ้งเกินกว่า 15 วัน ({{today}}) "
                "นายทะเบียนจะดำเนินการแจ้งเกิดเกินกำหนด",
                "{{data.child_date_of_birth}} 出生的婴儿超过15日（{{today}}）才登记，"
                "将由登记员办理逾期登记。",
            ),
            "Civil Registration Act B.E. 2534 (1991), ss. 18 and 20",
        ),
        DemoCheck(
            "born-in-hospital",
            T(
                "The hospital's birth notice is available",
                "มีหนังสือรับรองการเกิดจากโรงพยาบาล",
                "有医院出具的出生医学证明",
            ),
            {"==": [var("data.place_of_birth"), "hospital"]},
            "request_evidence",
            T(
                "For a birth outside a hospital ({{data.place_of_birth}}), please upload a "
                "statement from the midwife or two witnesses.",
                "สำหรับการเกิดนอกโรงพยาบาล ({{data.place_of_birth}}) โปรดอัปโหลดหนังสือรับรอง"
                "จากผู้ทำคลอดหรือพยานสองคน",
                "非医院分娩（{{data.place_of_birth}}）须上传接生人员或两名证人的证明。",
            ),
            "Civil Registration Act B.E. 2534 (1991), s. 19",
        ),
    ),
    cases=(
        DemoCase("Born in hospital five days ago", baby_for(BIRTH_FORM), facts(), "approved"),
        DemoCase(
            "Date of birth next week",
            baby_for(BIRTH_FORM, child_date_of_birth="2026-01-22"),
            facts(),
            "rejected",
        ),
        DemoCase(
            "Notified two months late",
            baby_for(BIRTH_FORM, child_date_of_birth="2025-11-01"),
            facts(),
            "manual_review",
        ),
        DemoCase(
            "Born at home",
            baby_for(BIRTH_FORM, place_of_birth="home", hospital_name="-"),
            facts(),
            "returned",
        ),
    ),
)

NEWBORN_INSURANCE_RULES = DemoRules(
    checks=(
        DemoCheck(
            "under-one-year",
            T("The child is under one year old", "เด็กอายุต่ำกว่า 1 ปี", "孩子未满一周岁"),
            {">": [date_of("data.child_date_of_birth"), ago(years=1)]},
            "reject",
            T(
                "Your child was born on {{data.child_date_of_birth}}; this form is for babies "
                "under one — please use the general enrolment.",
                "บุตรของคุณเกิดเมื่อ {{data.child_date_of_birth}} แบบคำขอนี้สำหรับเด็กอายุต่ำกว่า "
                "1 ปี โปรดใช้การลงทะเบียนทั่วไป",
                "您的孩子出生于 {{data.child_date_of_birth}}，"
                "本申请仅适用于未满一周岁的婴儿，请办理普通参保登记。",
            ),
            "National Health Security Act B.E. 2545 (2002), s. 5",
        ),
        DemoCheck(
            "province-resident",
            T(
                "The parent lives in Chiang Mai Province",
                "ผู้ปกครองมีทะเบียนบ้านในจังหวัดเชียงใหม่",
                "家长居住在清迈府",
            ),
            lives_in(PROVINCE),
            "manual_review",
            T(
                "Your registered address is outside Chiang Mai Province; the office checks which "
                "hospitals the child can be registered with.",
                "ที่อยู่ตามทะเบียนบ้านของคุณอยู่นอกจังหวัดเชียงใหม่ เจ้าหน้าที่จะตรวจสอบหน่วยบริการที่เด็กลงทะเบียนได้",
                "您的登记住址不在清迈府，工作人员将核实孩子可登记的定点医院。",
            ),
            "National Health Security Act B.E. 2545 (2002), s. 6",
        ),
    ),
    cases=(
        DemoCase("Newborn of a resident", baby_for(NEWBORN_INSURANCE_FORM), facts(), "approved"),
        DemoCase(
            "Toddler of eighteen months",
            baby_for(NEWBORN_INSURANCE_FORM, child_date_of_birth="2024-07-01"),
            facts(),
            "rejected",
        ),
        DemoCase(
            "Parent registered in Bangkok",
            baby_for(NEWBORN_INSURANCE_FORM),
            facts(lives=OUTSIDE),
            "manual_review",
        ),
    ),
)

CHILD_ALLOWANCE_RULES = DemoRules(
    checks=(
        DemoCheck(
            "child-under-six",
            T("The child is under 6", "เด็กอายุต่ำกว่า 6 ปี", "孩子未满6岁"),
            {">": [date_of("data.child_date_of_birth"), ago(years=6)]},
            "reject",
            T(
                "Your child was born on {{data.child_date_of_birth}} and is 6 or older; the "
                "grant is for children under 6.",
                "บุตรของคุณเกิดเมื่อ {{data.child_date_of_birth}} และมีอายุ 6 ปีขึ้นไปแล้ว "
                "เงินอุดหนุนนี้สำหรับเด็กอายุต่ำกว่า 6 ปี",
                "您的孩子出生于 {{data.child_date_of_birth}}，已满6岁；本津贴仅发放给6岁以下儿童。",
            ),
            "Regulation on the Child Support Grant B.E. 2562 (2019), cl. 6",
        ),
        DemoCheck(
            "household-income",
            T(
                "Household income is under 100,000 baht a person a year",
                "รายได้ครัวเรือนต่ำกว่า 100,000 บาทต่อคนต่อปี",
                "家庭人均年收入低于10万泰铢",
            ),
            {"<": [var("data.household_income_per_person"), 100000]},
            "reject",
            T(
                "A household income of {{data.household_income_per_person}} baht a person a "
                "year is above the limit of 100,000 baht.",
                "รายได้ครัวเรือน {{data.household_income_per_person}} บาทต่อคนต่อปี เกินเกณฑ์ 100,000 บาท",
                "家庭人均年收入 {{data.household_income_per_person}} 泰铢，超过10万泰铢的上限。",
            ),
            "Regulation on the Child Support Grant B.E. 2562 (2019), cl. 7",
        ),
        DemoCheck(
            "family-size",
            T(
                "At most three children in the household",
                "มีเด็กในครัวเรือนไม่เกิน 3 คน",
                "家庭子女不超过三名",
            ),
            {"<=": [var("data.children_in_household"), 3]},
            "manual_review",
            T(
                "With {{data.children_in_household}} children in the household, an officer "
                "confirms the household's details.",
                "ครัวเรือนมีเด็ก {{data.children_in_household}} คน เจ้าหน้าที่จะตรวจสอบข้อมูลครัวเรือน",
                "家中有 {{data.children_in_household}} 名子女，工作人员将核实家庭情况。",
            ),
            "Regulation on the Child Support Grant B.E. 2562 (2019), cl. 9",
        ),
        DemoCheck(
            "province-resident",
            T(
                "The household lives in Chiang Mai Province",
                "ครัวเรือนมีทะเบียนบ้านในจังหวัดเชียงใหม่",
                "家庭居住在清迈府",
            ),
            lives_in(PROVINCE),
            "reject",
            T(
                "The grant is paid by the office of the province where the household is "
                "registered; please apply there.",
                "เงินอุดหนุนจ่ายโดยสำนักงานในจังหวัดที่ครัวเรือนมีทะเบียนบ้าน โปรดยื่นคำขอที่จังหวัดนั้น",
                "本津贴由户籍所在府的办公室发放，请向该府申请。",
            ),
            "Regulation on the Child Support Grant B.E. 2562 (2019), cl. 10",
        ),
    ),
    cases=(
        DemoCase("Newborn, low income", baby_for(CHILD_ALLOWANCE_FORM), facts(), "approved"),
        DemoCase(
            "Income above the limit",
            baby_for(CHILD_ALLOWANCE_FORM, household_income_per_person=150000),
            facts(),
            "rejected",
        ),
        DemoCase(
            "Child of seven",
            baby_for(CHILD_ALLOWANCE_FORM, child_date_of_birth="2019-01-01"),
            facts(),
            "rejected",
        ),
        DemoCase(
            "Fourth child",
            baby_for(CHILD_ALLOWANCE_FORM, children_in_household=4),
            facts(),
            "manual_review",
        ),
    ),
)

HEALTH_CHECK_RULES = DemoRules(
    checks=(
        DemoCheck(
            "aged-35",
            T("The person is 35 or older", "มีอายุ 35 ปีขึ้นไป", "年满35岁"),
            {">=": [AGE, 35]},
            "reject",
            T(
                "You are {{applicant.age}}; the free check-up is for people aged 35 and over.",
                "คุณอายุ {{applicant.age}} ปี การตรวจสุขภาพฟรีสำหรับผู้มีอายุ 35 ปีขึ้นไป",
                "您的年龄为 {{applicant.age}} 岁，免费体检面向35岁及以上人士。",
            ),
            "NHSO Notice on Health Promotion and Prevention Services B.E. 2566 (2023), cl. 4",
        ),
        DemoCheck(
            "province-resident",
            T(
                "The person lives in Chiang Mai Province",
                "มีทะเบียนบ้านในจังหวัดเชียงใหม่",
                "居住在清迈府",
            ),
            lives_in(PROVINCE),
            "reject",
            T(
                "The check-up is offered by the province where you are registered.",
                "การตรวจสุขภาพให้บริการโดยจังหวัดที่คุณมีทะเบียนบ้าน",
                "体检由您户籍所在府提供。",
            ),
            "NHSO Notice on Health Promotion and Prevention Services B.E. 2566 (2023), cl. 5",
        ),
        DemoCheck(
            "verified-identity",
            T("The person's identity is verified", "ยืนยันตัวตนแล้ว", "身份已核验"),
            {">=": [var("applicant.loa_rank"), 1]},
            "manual_review",
            T(
                "Your identity has not been verified yet; an officer will confirm the offer.",
                "คุณยังไม่ได้ยืนยันตัวตน เจ้าหน้าที่จะตรวจสอบสิทธิ์ของคุณ",
                "您的身份尚未核验，将由工作人员确认。",
            ),
            "NHSO Notice on Health Promotion and Prevention Services B.E. 2566 (2023), cl. 6",
        ),
    ),
    cases=(
        DemoCase("Resident of 48", {}, facts(age=48, level=LevelOfAssurance.HIGH), "approved"),
        DemoCase("Resident of 30", {}, facts(age=30), "rejected"),
        DemoCase(
            "Resident of 50 without a verified identity",
            {},
            facts(age=50, level=LevelOfAssurance.BASIC),
            "manual_review",
        ),
    ),
)

BUSINESS_LICENCE = {
    "licence_number": "CM-2025-00123",
    "business_type": "cafe",
    "floor_area_m2": 80,
    "annual_inspection_passed": True,
    "outstanding_fines_baht": 0,
}
A_BUSINESS = facts(age=None, business=True)

BUSINESS_LICENCE_RULES = DemoRules(
    checks=(
        DemoCheck(
            "in-the-city",
            T(
                "The business is registered in Chiang Mai City",
                "กิจการจดทะเบียนในเขตเทศบาลนครเชียงใหม่",
                "企业登记在清迈市",
            ),
            lives_in(CITY),
            "reject",
            T(
                "The business is registered outside Chiang Mai City; its licence is renewed by "
                "its own municipality.",
                "กิจการจดทะเบียนนอกเขตเทศบาลนครเชียงใหม่ โปรดต่ออายุใบอนุญาตกับเทศบาลในพื้นที่",
                "该企业登记在清迈市以外，请向所在地市政部门办理执照续期。",
            ),
            "Public Health Act B.E. 2535 (1992), s. 31",
        ),
        DemoCheck(
            "inspection-passed",
            T(
                "This year's inspection was passed",
                "ผ่านการตรวจสุขลักษณะประจำปีแล้ว",
                "已通过本年度卫生检查",
            ),
            {"==": [var("data.annual_inspection_passed"), True]},
            "request_evidence",
            T(
                "Please upload the report of this year's health and safety inspection.",
                "โปรดอัปโหลดรายงานผลการตรวจสุขลักษณะและความปลอดภัยประจำปีนี้",
                "请上传本年度卫生与安全检查报告。",
            ),
            "Public Health Act B.E. 2535 (1992), s. 33",
        ),
        DemoCheck(
            "no-outstanding-fines",
            T("No fines are outstanding", "ไม่มีค่าปรับค้างชำระ", "无未缴罚款"),
            {"==": [var("data.outstanding_fines_baht"), 0]},
            "manual_review",
            T(
                "Fines of {{data.outstanding_fines_baht}} baht are outstanding; an officer will "
                "review the renewal.",
                "มีค่าปรับค้างชำระ {{data.outstanding_fines_baht}} บาท เจ้าหน้าที่จะพิจารณาการต่ออายุ",
                "尚有 {{data.outstanding_fines_baht}} 泰铢罚款未缴，续期将由工作人员审核。",
            ),
            "Chiang Mai Municipality Ordinance on Health-Hazardous Businesses B.E. 2561, s. 12",
        ),
    ),
    cases=(
        DemoCase("Café in the city", BUSINESS_LICENCE, A_BUSINESS, "approved"),
        DemoCase(
            "Shop in San Sai",
            BUSINESS_LICENCE,
            facts(age=None, business=True, lives=IN_SAN_SAI),
            "rejected",
        ),
        DemoCase(
            "Inspection not yet passed",
            {**BUSINESS_LICENCE, "annual_inspection_passed": False},
            A_BUSINESS,
            "returned",
        ),
        DemoCase(
            "Unpaid fines",
            {**BUSINESS_LICENCE, "outstanding_fines_baht": 2000},
            A_BUSINESS,
            "manual_review",
        ),
    ),
)

MUSEUM_PASS_RULES = DemoRules(
    checks=(
        DemoCheck(
            "province-resident",
            T(
                "The applicant lives in Chiang Mai Province",
                "ผู้สมัครมีทะเบียนบ้านในจังหวัดเชียงใหม่",
                "申请人居住在清迈府",
            ),
            lives_in(PROVINCE),
            "reject",
            T(
                "The resident pass is for people registered in Chiang Mai Province; visitors buy "
                "tickets at the door.",
                "บัตรผ่านสำหรับผู้มีทะเบียนบ้านในจังหวัดเชียงใหม่ ผู้เยี่ยมชมซื้อบัตรได้ที่หน้างาน",
                "居民年卡仅限清迈府登记居民，游客请在现场购票。",
            ),
            "Arts & Cultural Centre Admission Rules 2024, cl. 2",
        ),
        DemoCheck(
            "student-age",
            T(
                "Student passes are for under 26s",
                "บัตรนักศึกษาสำหรับผู้มีอายุต่ำกว่า 26 ปี",
                "学生卡仅限26岁以下",
            ),
            unless({"==": [var("data.pass_type"), "student"]}, {"<": [AGE, 26]}),
            "reject",
            T(
                "You are {{applicant.age}}; student passes are for people under 26.",
                "คุณอายุ {{applicant.age}} ปี บัตรนักศึกษาสำหรับผู้มีอายุต่ำกว่า 26 ปี",
                "您的年龄为 {{applicant.age}} 岁，学生卡仅限26岁以下人士。",
            ),
            "Arts & Cultural Centre Admission Rules 2024, cl. 3",
        ),
        DemoCheck(
            "senior-age",
            T(
                "Senior passes are for 60 and over",
                "บัตรผู้สูงอายุสำหรับผู้มีอายุ 60 ปีขึ้นไป",
                "长者卡仅限60岁及以上",
            ),
            unless({"==": [var("data.pass_type"), "senior"]}, {">=": [AGE, 60]}),
            "reject",
            T(
                "You are {{applicant.age}}; senior passes are for people aged 60 and over.",
                "คุณอายุ {{applicant.age}} ปี บัตรผู้สูงอายุสำหรับผู้มีอายุ 60 ปีขึ้นไป",
                "您的年龄为 {{applicant.age}} 岁，长者卡仅限60岁及以上人士。",
            ),
            "Arts & Cultural Centre Admission Rules 2024, cl. 4",
        ),
    ),
    cases=(
        DemoCase(
            "Standard pass",
            {"holder_name": "Somying", "pass_type": "standard"},
            facts(age=36),
            "approved",
        ),
        DemoCase(
            "Senior pass at 61",
            {"holder_name": "Boonmee", "pass_type": "senior"},
            facts(age=61),
            "approved",
        ),
        DemoCase(
            "Student pass at 30",
            {"holder_name": "Somying", "pass_type": "student"},
            facts(age=30),
            "rejected",
        ),
        DemoCase(
            "Visitor from Bangkok",
            {"holder_name": "Anan", "pass_type": "standard"},
            facts(lives=OUTSIDE),
            "rejected",
        ),
    ),
)

RESIDENCE_PERMIT = {
    "full_name": "Somying Rakthai",
    "date_of_birth": "1990-08-03",
    "district": "nanshan",
    "address": "Room 1203, 88 Keyuan Road, Nanshan District",
    "months_in_city": 8,
    "basis": "employment",
    "address_type": "owned",
}

RESIDENCE_PERMIT_RULES = DemoRules(
    checks=(
        DemoCheck(
            "minimum-age",
            T("The applicant is 16 or older", "ผู้สมัครมีอายุ 16 ปีขึ้นไป", "申请人年满16周岁"),
            {">=": [AGE, 16]},
            "reject",
            T(
                "You are {{applicant.age}}; a residence permit is issued from the age of 16 "
                "(a parent applies for a younger child).",
                "คุณอายุ {{applicant.age}} ปี ใบอนุญาตพำนักออกให้ผู้มีอายุ 16 ปีขึ้นไป "
                "(เด็กที่อายุน้อยกว่าให้ผู้ปกครองยื่นแทน)",
                "您的年龄为 {{applicant.age}} 岁，"
                "居住证向年满16周岁者发放（未满16周岁的由监护人代为申领）。",
            ),
            "Shenzhen SEZ Residence Permit Regulations, art. 13",
        ),
        DemoCheck(
            "six-months",
            T(
                "Living in Shenzhen for six months",
                "อาศัยอยู่ในเซินเจิ้นครบ 6 เดือน",
                "在深圳居住满六个月",
            ),
            {">=": [var("data.months_in_city"), 6]},
            "reject",
            T(
                "You have lived in Shenzhen for {{data.months_in_city}} months; a residence "
                "permit needs six.",
                "คุณอาศัยอยู่ในเซินเจิ้น {{data.months_in_city}} เดือน ใบอนุญาตพำนักต้องอาศัยครบ 6 เดือน",
                "您在深圳居住了 {{data.months_in_city}} 个月，申领居住证须居住满六个月。",
            ),
            "Shenzhen SEZ Residence Permit Regulations, art. 13",
        ),
        DemoCheck(
            "tenancy-registered",
            T(
                "A rented home's tenancy is registered",
                "สัญญาเช่าที่พักได้จดทะเบียนแล้ว",
                "租赁住所已办理租赁登记备案",
            ),
            unless(
                {"==": [var("data.address_type"), "rented"]},
                {"==": [{"var": ["data.rental_registered", False]}, True]},
            ),
            "request_evidence",
            T(
                "Your home is {{data.address_type}} but the tenancy is not registered; please "
                "upload the registered rental contract.",
                "ที่พักของคุณเป็นแบบ {{data.address_type}} แต่ยังไม่ได้จดทะเบียนสัญญาเช่า "
                "โปรดอัปโหลดสัญญาเช่าที่จดทะเบียนแล้ว",
                "您的住所为{{data.address_type}}，但尚未办理租赁登记备案，请上传已备案的租赁合同。",
            ),
            "Shenzhen Housing Tenancy Regulations, art. 28",
        ),
    ),
    cases=(
        DemoCase("Employee living here for eight months", RESIDENCE_PERMIT, facts(), "approved"),
        DemoCase("Fifteen-year-old", RESIDENCE_PERMIT, facts(age=15), "rejected"),
        DemoCase(
            "Arrived three months ago",
            {**RESIDENCE_PERMIT, "months_in_city": 3},
            facts(),
            "rejected",
        ),
        DemoCase(
            "Unregistered tenancy",
            {**RESIDENCE_PERMIT, "address_type": "rented", "rental_registered": False},
            facts(),
            "returned",
        ),
    ),
)

COMPANY_NAME = {
    "proposed_name": "深圳市南山区晨光科技有限公司",
    "industry": "technology",
    "organisation_form": "limited_company",
}
RESTRICTED_WORDS = ("中国", "中华", "全国", "国家")

COMPANY_NAME_RULES = DemoRules(
    checks=(
        DemoCheck(
            "adult-founder",
            T("The applicant is 18 or older", "ผู้สมัครมีอายุ 18 ปีขึ้นไป", "申请人年满18周岁"),
            {">=": [AGE, 18]},
            "reject",
            T(
                "You are {{applicant.age}}; a company founder must be at least 18.",
                "คุณอายุ {{applicant.age}} ปี ผู้ก่อตั้งบริษัทต้องมีอายุอย่างน้อย 18 ปี",
                "您的年龄为 {{applicant.age}} 岁，企业投资人须年满18周岁。",
            ),
            "Company Law of the PRC (2023), art. 19",
        ),
        DemoCheck(
            "restricted-words",
            T(
                "The name has no word that needs national approval",
                "ชื่อไม่มีคำที่ต้องได้รับอนุมัติระดับชาติ",
                "名称不含须经国家核准的字词",
            ),
            {
                "!": [
                    {"or": [{"in": [word, var("data.proposed_name")]} for word in RESTRICTED_WORDS]}
                ]
            },
            "manual_review",
            T(
                'The name "{{data.proposed_name}}" contains a word that needs the State '
                "Administration for Market Regulation's approval; an officer will review it.",
                'ชื่อ "{{data.proposed_name}}" มีคำที่ต้องได้รับอนุมัติจากสำนักงานกำกับดูแลตลาด'
                "แห่งชาติ เจ้าหน้าที่จะพิจารณา",
                "名称“{{data.proposed_name}}”含有须经国家市场监督管理总局核准的字词，将由工作人员审核。",
            ),
            "Regulations on Enterprise Name Registration (2020), art. 12",
        ),
        DemoCheck(
            "regulated-industry",
            T(
                "The industry needs no licence first",
                "ประเภทธุรกิจไม่ต้องขออนุญาตก่อน",
                "行业无需前置审批",
            ),
            {"!=": [var("data.industry"), "finance"]},
            "manual_review",
            T(
                "Names in the {{data.industry}} sector need the financial regulator's approval; "
                "an officer will review it.",
                "ชื่อในธุรกิจประเภท {{data.industry}} ต้องได้รับอนุมัติจากหน่วยงานกำกับดูแลการเงิน "
                "เจ้าหน้าที่จะพิจารณา",
                "{{data.industry}} 行业的企业名称须经金融监管部门批准，将由工作人员审核。",
            ),
            "Regulations on Enterprise Name Registration (2020), art. 14",
        ),
    ),
    cases=(
        DemoCase("Technology company", COMPANY_NAME, facts(lives=IN_SHENZHEN), "approved"),
        DemoCase(
            "Name starting with 中国",
            {**COMPANY_NAME, "proposed_name": "中国晨光科技有限公司"},
            facts(lives=IN_SHENZHEN),
            "manual_review",
        ),
        DemoCase(
            "Seventeen-year-old founder",
            COMPANY_NAME,
            facts(age=17, lives=IN_SHENZHEN),
            "rejected",
        ),
    ),
)


# Services ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoEvidence:
    code: str
    name: T
    credential_type: str | None = None  # a wallet card that satisfies it
    accepts_upload: bool = True
    is_required: bool = True


@dataclass(frozen=True)
class DemoService:
    """One demo service: given positionally up to `processing`, by keyword after it."""

    code: str
    agency: str
    jurisdiction: str
    name: T
    summary: T
    description: T
    keywords: T
    categories: tuple[str, ...]
    form: dict[str, Any]
    legal_basis: str
    processing: datetime.timedelta
    life_events: tuple[str, ...] = ()
    for_persons: bool = True
    for_businesses: bool = False
    channels: tuple[str, ...] = ("app", "web", "office")
    fee_minor: int = 0  # in satang (THB) or fen (CNY); 0 is a free service that says so
    level: str = LevelOfAssurance.BASIC
    mode: str = Service.ApprovalMode.MANUAL
    manual_deadline: datetime.timedelta = datetime.timedelta(days=5)
    evidence: tuple[DemoEvidence, ...] = ()
    prefill: dict[str, str] = field(default_factory=dict)
    prefill_legal: tuple[str, ...] = ()
    output: str | None = None
    output_validity: datetime.timedelta | None = None
    status: str = Service.Status.ACTIVE
    rules: DemoRules | None = None

    @property
    def currency(self) -> str:
        return "CNY" if self.jurisdiction == SHENZHEN else "THB"


MINUTE, DAY = datetime.timedelta(minutes=1), datetime.timedelta(days=1)
YEAR = 365 * DAY
AUTOMATIC, PROACTIVE = Service.ApprovalMode.AUTOMATIC, Service.ApprovalMode.PROACTIVE
SUBSTANTIAL, HIGH = LevelOfAssurance.SUBSTANTIAL, LevelOfAssurance.HIGH
NAME_AND_BIRTH = {"full_name": "legal_name_local", "date_of_birth": "date_of_birth"}

ID_CARD = DemoEvidence(
    "id-card", T("National ID card", "บัตรประจำตัวประชาชน", "居民身份证"), "id_card"
)
DRIVING_LICENCE = DemoEvidence(
    "driving-licence", T("Driving licence", "ใบอนุญาตขับขี่", "驾驶证"), "driving_licence"
)
HOUSE_REGISTER = DemoEvidence(
    "house-register",
    T("House registration book (Tabien Baan)", "สำเนาทะเบียนบ้าน", "户口簿（泰国住户登记册）"),
)
BANK_BOOK = DemoEvidence(
    "bank-book",
    T("First page of the bank book", "สำเนาหน้าสมุดบัญชีธนาคาร", "银行存折首页复印件"),
)
BUSINESS_REGISTRATION = DemoEvidence(
    "business-registration",
    T("Company registration certificate", "หนังสือรับรองการจดทะเบียนนิติบุคคล", "企业登记证明"),
)
SITE_PLAN = DemoEvidence("site-plan", T("Site plan", "แผนผังสถานที่", "场地平面图"))


def _services_of_chiang_mai() -> tuple[DemoService, ...]:
    return (
        DemoService(
            "library-card", "cm-library", CITY,
            T("Library card", "บัตรสมาชิกห้องสมุด", "图书馆借书证"),
            T("Borrow books and e-books and use the study rooms of the city's libraries.",
              "ยืมหนังสือ อีบุ๊ก และใช้ห้องอ่านหนังสือของห้องสมุดเมือง",
              "借阅图书和电子书，使用市图书馆的自习室。"),
            T("Residents of Chiang Mai City aged 7 and over get a free library card at once; "
              "it appears in your wallet. Other applications are checked by a librarian.",
              "ผู้มีทะเบียนบ้านในเทศบาลนครเชียงใหม่ อายุ 7 ปีขึ้นไป รับบัตรห้องสมุดฟรีได้ทันที "
              "บัตรจะอยู่ในกระเป๋าเอกสารดิจิทัลของคุณ คำขออื่นบรรณารักษ์จะเป็นผู้พิจารณา",
              "清迈市居民年满7岁即可立即免费获得借书证，借书证存入您的电子卡包；其他申请由图书馆员审核。"),
            T("library, books, borrow, e-books, reading room, membership",
              "ห้องสมุด, หนังสือ, ยืมหนังสือ, อีบุ๊ก, สมาชิก, บัตรห้องสมุด",
              "图书馆, 借书证, 借书, 电子书, 阅览室, 读者证"),
            ("culture", "education"),
            form(
                ("full_name", "card_type", "home_branch"),
                full_name=text("Full name"),
                card_type=choice("Card", "adult", "child"),
                home_branch=choice("Home library", "central", "chang-phueak", "si-phum",
                                   "nong-han"),
                email_reminders=flag("Remind me by email before books are due"),
            ),
            "Chiang Mai City Library Regulations 2023",
            MINUTE, life_events=("going-to-school",), channels=("app", "web"),
            evidence=(DemoEvidence("id-card", ID_CARD.name, "id_card", is_required=False),),
            prefill={"full_name": "legal_name_local"},
            mode=AUTOMATIC, output="library_card", output_validity=2 * YEAR, rules=LIBRARY_RULES,
        ),
        DemoService(
            "senior-transit-card", "cm-transit", CITY,
            T("Senior transit card", "บัตรโดยสารผู้สูงอายุ", "长者乘车卡"),
            T("Free rides on city buses and songthaews for residents aged 60 and over.",
              "ผู้สูงอายุ 60 ปีขึ้นไปโดยสารรถประจำทางและรถสองแถวในเมืองฟรี",
              "60岁及以上居民免费乘坐市内公交和双条车。"),
            T("The card goes straight into your wallet and works at every bus and RTC "
              "songthaew gate; show it with your ID card if asked.",
              "บัตรจะอยู่ในกระเป๋าเอกสารดิจิทัลทันที ใช้ได้กับรถประจำทางและรถสองแถวทุกสาย "
              "โปรดแสดงพร้อมบัตรประชาชนเมื่อเจ้าหน้าที่ขอ",
              "乘车卡直接存入您的电子卡包，可在所有公交和双条车上使用，必要时请同时出示身份证。"),
            T("senior, elderly, bus pass, free travel, transit card, songthaew, over 60",
              "ผู้สูงอายุ, บัตรโดยสาร, รถเมล์ฟรี, รถสองแถว, บัตรผู้สูงอายุ",
              "老年人, 长者卡, 敬老卡, 公交卡, 免费乘车, 双条车"),
            ("transport", "welfare"),
            form(
                ("full_name", "date_of_birth", "delivery"),
                full_name=text("Full name"),
                date_of_birth=day("Date of birth"),
                delivery=choice("Printed card", "post", "office", "none"),
            ),
            "Older Persons Act B.E. 2546 (2003), s. 11",
            MINUTE, life_events=("retiring",), level=SUBSTANTIAL,
            evidence=(ID_CARD,), prefill=NAME_AND_BIRTH,
            prefill_legal=("legal_name_local", "date_of_birth"),
            mode=AUTOMATIC, output="transit_card", output_validity=5 * YEAR,
            rules=SENIOR_TRANSIT_RULES,
        ),
        DemoService(
            "resident-parking-permit", "cm-municipality", CITY,
            T("Resident parking permit", "ใบอนุญาตจอดรถสำหรับผู้พักอาศัย", "居民停车许可证"),
            T("Park in the resident bays of your zone inside the old city moat for a year.",
              "จอดรถในช่องจอดสำหรับผู้พักอาศัยในโซนของคุณภายในคูเมืองได้ 1 ปี",
              "一年内可在古城护城河内所在片区的居民专用车位停车。"),
            T("For residents of Chiang Mai City with a valid driving licence; at most two "
              "permits a household without a review. The fee is 500 baht a year.",
              "สำหรับผู้มีทะเบียนบ้านในเทศบาลนครเชียงใหม่ที่มีใบขับขี่ที่ยังไม่หมดอายุ "
              "ครัวเรือนละไม่เกิน 2 ใบโดยไม่ต้องพิจารณาเพิ่ม ค่าธรรมเนียมปีละ 500 บาท",
              "适用于持有有效驾驶证的清迈市居民；每户两张以内无需人工审核。费用为每年500泰铢。"),
            T("parking, permit, car, motorcycle, resident bay, old city",
              "ที่จอดรถ, ใบอนุญาตจอดรถ, รถยนต์, จักรยานยนต์, คูเมือง",
              "停车, 停车证, 居民停车, 汽车, 摩托车, 古城"),
            ("transport", "housing"),
            form(
                ("holder_name", "plate_number", "vehicle_type", "zone", "permits_in_household"),
                holder_name=text("Permit holder"),
                plate_number=text("Licence plate (e.g. 1กข 1234)", max_length=12,
                                  pattern="^[0-9]?[ก-ฮ]{1,2}[ -]?[0-9]{1,4}$"),
                vehicle_type=choice("Vehicle", "car", "motorcycle"),
                zone=choice("Zone", "old-city-north", "old-city-south", "chang-phueak", "si-phum"),
                permits_in_household=number("Permits your household already holds", 0, 10),
            ),
            "Chiang Mai Municipality Parking Ordinance B.E. 2565 (2022)",
            MINUTE, life_events=("moving-house",), fee_minor=50000, level=SUBSTANTIAL,
            evidence=(
                DRIVING_LICENCE,
                DemoEvidence("vehicle-registration", T("Vehicle registration book", "สำเนาคู่มือจดทะเบียนรถ", "机动车登记证书")),  # noqa: E501
            ),
            prefill={"holder_name": "legal_name_local"}, prefill_legal=("legal_name_local",),
            mode=AUTOMATIC, rules=PARKING_RULES,
        ),
        DemoService(
            "birth-registration", "cm-registration", PROVINCE,
            T("Birth registration", "แจ้งเกิด", "出生登记"),
            T("Register your baby's birth and get the birth certificate.",
              "แจ้งเกิดบุตรและรับสูติบัตร",
              "为新生儿办理出生登记并领取出生证明。"),
            T("Notify the birth within 15 days. With the hospital's birth notice the birth is "
              "registered at once and the child is added to your house register.",
              "แจ้งเกิดภายใน 15 วัน เมื่อมีหนังสือรับรองการเกิดจากโรงพยาบาล จะรับแจ้งได้ทันที "
              "และเพิ่มชื่อเด็กในทะเบียนบ้านของคุณ",
              "请在出生后15日内登记。凭医院出具的出生医学证明可即时办结，"
              "并将孩子登记在您的户口中。"),
            T("birth, baby, newborn, birth certificate, register a birth",
              "แจ้งเกิด, สูติบัตร, ทารก, เด็กแรกเกิด, ทะเบียนบ้าน",
              "出生登记, 出生证明, 新生儿, 婴儿, 报出生, 上户口"),
            ("family", "civil-status"), BIRTH_FORM,
            "Civil Registration Act B.E. 2534 (1991), ss. 18–20",
            MINUTE, life_events=("having-a-baby",), level=SUBSTANTIAL,
            evidence=(
                DemoEvidence("birth-notice", T("Hospital birth notice (Tor Ror 1/1)",
                             "หนังสือรับรองการเกิด (ท.ร.1/1)", "医院出生医学证明")),
                ID_CARD,
            ),
            prefill={"mother_name": "legal_name_local"},
            prefill_legal=("legal_name_local", "national_id", "residence"),
            mode=AUTOMATIC, rules=BIRTH_RULES,
        ),
        DemoService(
            "newborn-health-insurance", "cm-health-insurance", PROVINCE,
            T("Health insurance for a newborn", "ลงทะเบียนสิทธิหลักประกันสุขภาพเด็กแรกเกิด",
              "新生儿医保登记"),
            T("Enrol your baby in universal health coverage and choose the main hospital.",
              "ลงทะเบียนสิทธิบัตรทองให้ลูกและเลือกหน่วยบริการประจำ",
              "为宝宝办理全民医保登记并选择定点医院。"),
            T("Babies under one year are covered from birth; enrolment names the hospital "
              "that looks after your child. Free of charge.",
              "เด็กอายุต่ำกว่า 1 ปีได้รับความคุ้มครองตั้งแต่แรกเกิด การลงทะเบียนจะระบุ"
              "โรงพยาบาลที่ดูแลบุตรของคุณ ไม่มีค่าใช้จ่าย",
              "未满一周岁的婴儿自出生起享受保障，登记时确定负责照护孩子的定点医院，免费办理。"),
            T("health insurance, newborn, baby, gold card, universal coverage, hospital",
              "บัตรทอง, สิทธิรักษาพยาบาล, หลักประกันสุขภาพ, เด็กแรกเกิด, โรงพยาบาล",
              "医保, 新生儿医保, 少儿医保, 全民医保, 定点医院"),
            ("health", "family"), NEWBORN_INSURANCE_FORM,
            "National Health Security Act B.E. 2545 (2002), ss. 5–6",
            MINUTE, life_events=("having-a-baby",), channels=("app", "web"), level=SUBSTANTIAL,
            prefill={"mother_name": "legal_name_local"}, prefill_legal=("legal_name_local",),
            mode=AUTOMATIC, rules=NEWBORN_INSURANCE_RULES,
        ),
        DemoService(
            "child-allowance", "cm-social-security", PROVINCE,
            T("Child support grant", "เงินอุดหนุนเพื่อการเลี้ยงดูเด็กแรกเกิด", "育儿津贴"),
            T("600 baht a month for each child under 6 in a low-income household.",
              "เดือนละ 600 บาทสำหรับเด็กอายุต่ำกว่า 6 ปีในครัวเรือนรายได้น้อย",
              "低收入家庭6岁以下儿童每人每月600泰铢。"),
            T("Paid monthly into your bank account until the child turns 6, for households "
              "earning under 100,000 baht a person a year.",
              "จ่ายเข้าบัญชีธนาคารของคุณทุกเดือนจนเด็กอายุครบ 6 ปี สำหรับครัวเรือนที่มีรายได้"
              "ต่ำกว่า 100,000 บาทต่อคนต่อปี",
              "面向家庭人均年收入低于10万泰铢的家庭，每月打入您的银行账户，直至孩子年满6岁。"),
            T("child allowance, child benefit, child support grant, 600 baht, newborn",
              "เงินอุดหนุนเด็กแรกเกิด, เงินเลี้ยงดูบุตร, 600 บาท, เงินเด็ก",
              "育儿津贴, 儿童补贴, 子女补助, 新生儿, 家庭"),
            ("family", "welfare"), CHILD_ALLOWANCE_FORM,
            "Regulation on the Child Support Grant B.E. 2562 (2019)",
            MINUTE, life_events=("having-a-baby",), level=SUBSTANTIAL,
            evidence=(ID_CARD, BANK_BOOK), prefill={"mother_name": "legal_name_local"},
            prefill_legal=("legal_name_local",), mode=AUTOMATIC, rules=CHILD_ALLOWANCE_RULES,
        ),
        DemoService(
            "health-check", "cm-health-insurance", PROVINCE,
            T("Free annual health check", "ตรวจสุขภาพประจำปีฟรี", "免费年度健康体检"),
            T("Residents aged 35 and over get a free yearly check-up at their main hospital.",
              "ผู้มีทะเบียนบ้านในจังหวัดเชียงใหม่ อายุ 35 ปีขึ้นไป ตรวจสุขภาพฟรีปีละครั้ง",
              "清迈府35岁及以上居民每年可在定点医院免费体检一次。"),
            T("No need to apply: when you qualify, the offer appears in your inbox. The "
              "check covers blood pressure, blood sugar, cholesterol and kidney function.",
              "ไม่ต้องยื่นคำขอ เมื่อคุณมีสิทธิ์ ข้อเสนอจะปรากฏในกล่องข้อความ การตรวจครอบคลุม"
              "ความดันโลหิต น้ำตาลในเลือด ไขมันในเลือด และการทำงานของไต",
              "无需申请：符合条件时，体检邀请会出现在您的消息箱中。"
              "体检项目包括血压、血糖、血脂和肾功能。"),
            T("health check, check-up, screening, blood test, prevention, free",
              "ตรวจสุขภาพ, ตรวจเลือด, ตรวจคัดกรอง, เบาหวาน, ความดัน, ฟรี",
              "体检, 健康检查, 筛查, 验血, 高血压, 糖尿病, 免费"),
            ("health",),
            form(
                (),
                main_hospital=CHILD_FIELDS["main_hospital"] | {"title": "Hospital"},
                preferred_month=number("Preferred month (1–12)", 1, 12),
            ),
            "NHSO Notice on Health Promotion and Prevention Services B.E. 2566 (2023)",
            MINUTE, life_events=("retiring",), channels=("app", "web"), level=SUBSTANTIAL,
            mode=PROACTIVE, rules=HEALTH_CHECK_RULES,
        ),
        DemoService(
            "business-licence-renewal", "cm-municipality", CITY,
            T("Business licence renewal", "ต่ออายุใบอนุญาตประกอบกิจการ", "营业执照续期"),
            T("Renew the yearly municipal licence of a shop, café, restaurant or workshop.",
              "ต่ออายุใบอนุญาตประกอบกิจการรายปีของร้านค้า ร้านกาแฟ ร้านอาหาร หรือโรงงานขนาดเล็ก",
              "为商店、咖啡馆、餐厅或作坊续期年度市政经营执照。"),
            T("Renew before the licence expires on 31 December. Businesses that passed this "
              "year's inspection and owe no fines are renewed once the 1,000-baht fee is paid.",
              "ต่ออายุก่อนใบอนุญาตหมดอายุวันที่ 31 ธันวาคม กิจการที่ผ่านการตรวจประจำปีและ"
              "ไม่มีค่าปรับค้าง จะได้รับการต่ออายุทันทีเมื่อชำระค่าธรรมเนียม 1,000 บาท",
              "请在12月31日执照到期前续期。已通过本年度检查且无未缴罚款的企业，"
              "缴纳1000泰铢费用后即可续期。"),
            T("business licence, renewal, shop licence, trading licence, permit",
              "ใบอนุญาตประกอบธุรกิจ, ใบอนุญาตประกอบกิจการ, ต่ออายุใบอนุญาต, ร้านค้า",
              "营业执照, 执照续期, 经营许可证, 年检, 商铺"),
            ("business",),
            form(
                ("licence_number", "business_type", "floor_area_m2", "annual_inspection_passed",
                 "outstanding_fines_baht"),
                licence_number=text("Licence number (CM-YYYY-NNNNN)", max_length=13,
                                    pattern="^CM-[0-9]{4}-[0-9]{5}$"),
                business_type=choice("Business", "cafe", "restaurant", "retail", "workshop",
                                     "guesthouse"),
                floor_area_m2=number("Floor area (m²)", 1, 100000),
                annual_inspection_passed=flag("This year's inspection was passed"),
                outstanding_fines_baht=number("Outstanding fines (baht)", 0, 10**7),
            ),
            "Public Health Act B.E. 2535 (1992), ss. 31–33",
            MINUTE, life_events=("starting-a-business",), for_persons=False,
            for_businesses=True, fee_minor=100000, level=SUBSTANTIAL,
            evidence=(
                DemoEvidence("inspection-report", T("Inspection report", "รายงานผลการตรวจ",
                             "检查报告"), is_required=False),
            ),
            mode=AUTOMATIC, rules=BUSINESS_LICENCE_RULES,
        ),
        DemoService(
            "museum-pass", "cm-arts-culture", CITY,
            T("Resident museum pass", "บัตรพิพิธภัณฑ์สำหรับผู้พักอาศัย", "居民博物馆年卡"),
            T("A year of visits to the city's three museums for Chiang Mai residents.",
              "เข้าชมพิพิธภัณฑ์ทั้งสามแห่งของเมืองได้ไม่จำกัดตลอด 1 ปี",
              "清迈居民一年内可无限次参观市内三座博物馆。"),
            T("Covers the Arts & Cultural Centre, the Lanna Folklife Museum and the History "
              "Centre. Student (under 26) and senior (60+) passes are available.",
              "ใช้ได้ที่หอศิลปวัฒนธรรมเมืองเชียงใหม่ พิพิธภัณฑ์พื้นถิ่นล้านนา และหอประวัติศาสตร์"
              "เมืองเชียงใหม่ มีบัตรนักศึกษา (อายุต่ำกว่า 26 ปี) และบัตรผู้สูงอายุ (60 ปีขึ้นไป)",
              "适用于清迈城市艺术文化中心、兰纳民俗博物馆和清迈历史中心；"
              "另有学生卡（26岁以下）和长者卡（60岁以上）。"),
            T("museum, annual pass, culture, arts centre, Lanna, exhibition",
              "พิพิธภัณฑ์, หอศิลปวัฒนธรรม, บัตรรายปี, ล้านนา, นิทรรศการ",
              "博物馆, 年卡, 文化, 艺术中心, 兰纳, 展览"),
            ("culture",),
            form(("holder_name", "pass_type"), holder_name=text("Pass holder"),
                 pass_type=choice("Pass", "standard", "student", "senior")),
            "Chiang Mai City Arts & Cultural Centre Admission Rules 2024",
            MINUTE, channels=("app", "web"), fee_minor=30000,
            prefill={"holder_name": "legal_name_local"}, mode=AUTOMATIC, rules=MUSEUM_PASS_RULES,
        ),
        DemoService(
            "driving-licence-renewal", "cm-land-transport", PROVINCE,
            T("Driving licence renewal", "ต่ออายุใบขับขี่", "驾驶证换证"),
            T("Renew a private car or motorcycle driving licence for five more years.",
              "ต่ออายุใบอนุญาตขับรถยนต์หรือรถจักรยานยนต์ส่วนบุคคลชนิด 5 ปี",
              "私家车或摩托车驾驶证到期换领，有效期五年。"),
            T("Watch the one-hour online road-safety course, attach a medical certificate "
              "under a month old and collect the new card or keep it in your wallet.",
              "อบรมออนไลน์เรื่องความปลอดภัยทางถนน 1 ชั่วโมง แนบใบรับรองแพทย์อายุไม่เกิน 1 เดือน "
              "แล้วรับบัตรใหม่หรือเก็บไว้ในกระเป๋าเอกสารดิจิทัล",
              "完成一小时在线道路安全课程，附一个月内的体检证明，"
              "领取新证或存入电子卡包。"),
            T("driving licence, driver's license, renew, renewal, car, motorcycle",
              "ใบขับขี่, ใบอนุญาตขับรถ, ต่ออายุใบขับขี่, รถยนต์, รถจักรยานยนต์",
              "驾驶证, 驾照, 换证, 续期, 汽车, 摩托车"),
            ("transport",),
            form(
                ("licence_number", "licence_class", "expires_on", "course_completed"),
                licence_number=text("Licence number", max_length=8, pattern="^[0-9]{8}$"),
                licence_class=choice("Class", "private-car", "private-motorcycle"),
                expires_on=day("Current licence expires on"),
                course_completed=flag("I completed the online road-safety course"),
            ),
            "Land Traffic Act B.E. 2522 (1979), s. 46; Ministerial Regulation B.E. 2555",
            3 * DAY, life_events=("learning-to-drive",), fee_minor=50500, level=SUBSTANTIAL,
            evidence=(
                DRIVING_LICENCE,
                DemoEvidence("medical-certificate", T("Medical certificate", "ใบรับรองแพทย์",
                             "体检证明")),
            ),
            output="driving_licence", output_validity=5 * YEAR,
        ),
        DemoService(
            "first-driving-licence", "cm-land-transport", PROVINCE,
            T("First driving licence (2 years)", "ขอใบขับขี่ชั่วคราว 2 ปี", "首次申领驾驶证（两年期）"),
            T("Book the theory and practical tests for your first, two-year licence.",
              "จองวันสอบข้อเขียนและสอบขับรถสำหรับใบขับขี่ชั่วคราวชนิด 2 ปี",
              "预约理论和路考，申领首本两年期驾驶证。"),
            T("Applicants must be 18 (15 for motorcycles up to 110 cc) and complete five "
              "hours of training before the tests.",
              "ผู้สมัครต้องมีอายุ 18 ปี (รถจักรยานยนต์ไม่เกิน 110 ซีซี อายุ 15 ปี) "
              "และผ่านการอบรม 5 ชั่วโมงก่อนสอบ",
              "申请人须年满18岁（110毫升以下摩托车为15岁），并在考试前完成五小时培训。"),
            T("driving test, learner, new driver, first licence, driving school",
              "สอบใบขับขี่, ใบขับขี่ชั่วคราว, หัดขับรถ, โรงเรียนสอนขับรถ",
              "驾考, 学车, 新手驾驶证, 驾校, 科目考试"),
            ("transport",),
            form(("licence_class", "test_date"),
                 licence_class=choice("Class", "private-car", "private-motorcycle"),
                 test_date=day("Preferred test date")),
            "Land Traffic Act B.E. 2522 (1979), s. 44",
            14 * DAY, life_events=("learning-to-drive",), fee_minor=10500,
            level=SUBSTANTIAL, evidence=(ID_CARD, DemoEvidence("medical-certificate", T(
                "Medical certificate", "ใบรับรองแพทย์", "体检证明"))),
            output="driving_licence", output_validity=2 * YEAR,
        ),
        DemoService(
            "building-permit", "cm-municipality", CITY,
            T("Building permit", "ใบอนุญาตก่อสร้างอาคาร", "建筑施工许可证"),
            T("Permission to build, extend or alter a house or commercial building.",
              "ขออนุญาตก่อสร้าง ต่อเติม หรือดัดแปลงบ้านหรืออาคารพาณิชย์",
              "新建、扩建或改建住宅及商业建筑的施工许可。"),
            T("Submit the plans signed by a licensed engineer and architect; the building "
              "control officer inspects the site and decides within 45 days.",
              "ยื่นแบบแปลนที่ลงนามโดยวิศวกรและสถาปนิกที่มีใบอนุญาต นายตรวจอาคารจะตรวจสถานที่"
              "และพิจารณาภายใน 45 วัน",
              "提交经注册工程师和建筑师签字的图纸，建筑监管人员现场查勘后在45日内作出决定。"),
            T("building permit, construction, extension, house plans, architect",
              "ขออนุญาตก่อสร้าง, ต่อเติมบ้าน, แบบแปลน, อาคาร, วิศวกร",
              "建筑许可, 施工许可证, 建房, 扩建, 图纸"),
            ("housing",),
            form(("works", "floor_area_m2", "land_title_number"),
                 works=choice("Works", "new-building", "extension", "alteration"),
                 floor_area_m2=number("Floor area (m²)", 1, 100000),
                 land_title_number=text("Land title deed number", max_length=20)),
            "Building Control Act B.E. 2522 (1979), s. 21",
            45 * DAY, for_businesses=True, fee_minor=200000, level=SUBSTANTIAL,
            manual_deadline=30 * DAY,
            evidence=(
                DemoEvidence("plans", T("Architectural and structural plans",
                             "แบบแปลนสถาปัตยกรรมและโครงสร้าง", "建筑及结构图纸")),
                DemoEvidence("land-title", T("Land title deed", "โฉนดที่ดิน", "土地所有权证")),
            ),
        ),
        DemoService(
            "street-vendor-permit", "cm-municipality", CITY,
            T("Street vendor permit", "ใบอนุญาตจำหน่ายสินค้าในที่สาธารณะ", "街头摊贩许可证"),
            T("Sell food or goods from a stall at a market or on a permitted street.",
              "ขายอาหารหรือสินค้าในแผงลอยบนถนนหรือตลาดที่กำหนด",
              "在指定街道或市场设摊销售食品或商品。"),
            T("Permits are for one pitch and a year; food sellers need the food-handler "
              "course certificate.",
              "ใบอนุญาตใช้ได้ 1 จุดเป็นเวลา 1 ปี ผู้ขายอาหารต้องมีใบผ่านการอบรมผู้สัมผัสอาหาร",
              "许可证限一个摊位，有效期一年；销售食品者须持食品从业人员培训证书。"),
            T("street vendor, stall, hawker, market, night bazaar, walking street",
              "หาบเร่แผงลอย, แผงลอย, ขายของ, ถนนคนเดิน, ตลาด",
              "摊贩, 摆摊, 夜市, 步行街, 市场"),
            ("business", "environment"),
            form(("pitch", "goods"),
                 pitch=choice("Pitch", "wualai-walking-street", "tha-phae-walking-street",
                              "warorot-market", "night-bazaar"),
                 goods=choice("Goods", "cooked-food", "drinks", "crafts", "clothing")),
            "Public Cleanliness and Orderliness Act B.E. 2535 (1992), s. 41",
            7 * DAY, life_events=("starting-a-business",), fee_minor=30000,
            evidence=(DemoEvidence("food-handler", T("Food-handler certificate",
                      "ใบผ่านการอบรมผู้สัมผัสอาหาร", "食品从业人员培训证书"), is_required=False),),
            prefill_legal=("legal_name_local",),
        ),
        DemoService(
            "event-permit", "cm-municipality", CITY,
            T("Public event permit", "ขออนุญาตจัดงานในที่สาธารณะ", "公共活动许可"),
            T("Hold a festival, concert, parade or market on public land.",
              "จัดเทศกาล คอนเสิร์ต ขบวนแห่ หรือตลาดนัดในที่สาธารณะ",
              "在公共场地举办节庆、音乐会、巡游或集市。"),
            T("Apply at least 30 days ahead; events of more than 500 people need a crowd "
              "safety plan.",
              "ยื่นล่วงหน้าอย่างน้อย 30 วัน งานที่มีผู้เข้าร่วมเกิน 500 คน ต้องมีแผนความปลอดภัย",
              "须至少提前30日申请；500人以上的活动须提交人群安全方案。"),
            T("event, festival, concert, parade, Loy Krathong, Songkran, public space",
              "จัดงาน, เทศกาล, คอนเสิร์ต, ขบวนแห่, ลอยกระทง, สงกรานต์",
              "活动, 节庆, 音乐会, 巡游, 水灯节, 泼水节"),
            ("culture", "environment"),
            form(("event_name", "starts_on", "expected_visitors"),
                 event_name=text("Event"), starts_on=day("Starts on"),
                 expected_visitors=number("Expected visitors", 1, 100000)),
            "Public Cleanliness and Orderliness Act B.E. 2535 (1992), s. 19",
            14 * DAY, for_businesses=True, manual_deadline=10 * DAY,
            evidence=(SITE_PLAN,),
        ),
        DemoService(
            "construction-noise-permit", "cm-municipality", CITY,
            T("Construction noise permit (evenings)", "ขออนุญาตก่อสร้างนอกเวลาที่มีเสียงดัง",
              "夜间施工噪声许可"),
            T("Permission for noisy building work after 20:00 or on public holidays.",
              "ขออนุญาตทำงานก่อสร้างที่มีเสียงดังหลังเวลา 20.00 น. หรือในวันหยุดราชการ",
              "20时以后或法定节假日进行噪声施工的许可。"),
            T("Neighbours within 100 metres are told three days ahead; permits last at most "
              "14 nights.",
              "ต้องแจ้งเพื่อนบ้านในระยะ 100 เมตรล่วงหน้า 3 วัน ใบอนุญาตมีผลไม่เกิน 14 คืน",
              "须提前三日告知100米内的邻居；许可最长14个夜晚。"),
            T("noise, construction, night work, concrete pour, building site",
              "เสียงดัง, ก่อสร้างกลางคืน, เทคอนกรีต, ไซต์ก่อสร้าง",
              "噪声, 夜间施工, 浇筑混凝土, 工地"),
            ("housing", "environment"),
            form(("site_address", "first_night", "nights"),
                 site_address=text("Site address"), first_night=day("First night"),
                 nights=number("Nights", 1, 14)),
            "Enhancement and Conservation of National Environmental Quality Act B.E. 2535, s. 55",
            5 * DAY, for_persons=False, for_businesses=True, level=SUBSTANTIAL,
            evidence=(BUSINESS_REGISTRATION, SITE_PLAN),
        ),
        DemoService(
            "tree-felling-permit", "cm-municipality", CITY,
            T("Tree felling permit", "ขออนุญาตตัดต้นไม้", "树木砍伐许可"),
            T("Cut down or heavily prune a large tree on your land or by the road.",
              "ขออนุญาตตัดหรือตัดแต่งกิ่งต้นไม้ใหญ่ในที่ดินของคุณหรือริมถนน",
              "砍伐或重度修剪自有土地上或路边的大树。"),
            T("Trees over 50 cm round are inspected by the city's arborist; a replacement "
              "tree may be required.",
              "ต้นไม้ที่มีเส้นรอบวงเกิน 50 ซม. รุกขกรของเทศบาลจะตรวจสอบ และอาจต้องปลูกทดแทน",
              "胸围超过50厘米的树木由市树艺师查勘，可能须补种。"),
            T("tree, felling, pruning, arborist, garden, dangerous tree",
              "ตัดต้นไม้, ตัดแต่งกิ่ง, ต้นไม้ใหญ่, รุกขกร",
              "砍树, 修剪, 大树, 树艺师, 危险树木"),
            ("environment",),
            form(("species", "girth_cm", "reason"),
                 species=text("Species", max_length=80), girth_cm=number("Girth (cm)", 1, 2000),
                 reason=choice("Reason", "dangerous", "diseased", "construction", "other")),
            "Chiang Mai Municipality Ordinance on Urban Trees B.E. 2564 (2021)",
            10 * DAY, channels=("app", "web", "phone"), evidence=(
                DemoEvidence("photos", T("Photos of the tree", "ภาพถ่ายต้นไม้", "树木照片")),),
        ),
        DemoService(
            "water-connection", "cm-waterworks", CITY,
            T("New water connection", "ขอติดตั้งประปาใหม่", "新装自来水"),
            T("Connect a house, shop or building to the city water supply.",
              "ขอติดตั้งน้ำประปาสำหรับบ้าน ร้านค้า หรืออาคาร",
              "为住宅、商铺或楼宇接通城市自来水。"),
            T("The fee covers a half-inch meter and up to 10 metres of pipe; the "
              "waterworks surveys the site and connects within 15 days.",
              "ค่าธรรมเนียมรวมมาตรวัดน้ำขนาด 1/2 นิ้ว และท่อไม่เกิน 10 เมตร การประปาจะสำรวจ"
              "และติดตั้งภายใน 15 วัน",
              "费用包括半英寸水表和10米以内管道；自来水厂查勘现场后15日内接通。"),
            T("water, tap water, water meter, connection, waterworks",
              "ประปา, น้ำประปา, มาตรวัดน้ำ, ติดตั้งประปา, การประปา",
              "自来水, 水表, 接水, 开户, 自来水厂"),
            ("housing",),
            form(("address", "meter_size"), address=text("Address"),
                 meter_size=choice("Meter", "half-inch", "three-quarter-inch", "one-inch")),
            "Provincial Waterworks Authority Regulation on Water Supply B.E. 2562",
            15 * DAY, life_events=("moving-house",), for_businesses=True, fee_minor=350000,
            evidence=(HOUSE_REGISTER,),
        ),
        DemoService(
            "marriage-registration", "cm-registration", PROVINCE,
            T("Marriage registration", "จดทะเบียนสมรส", "结婚登记"),
            T("Book an appointment to register your marriage at a district office.",
              "นัดหมายจดทะเบียนสมรสที่สำนักทะเบียนอำเภอ",
              "预约到区登记处办理结婚登记。"),
            T("Both partners come in person with their ID cards and two witnesses; the "
              "marriage certificate is issued the same day.",
              "คู่สมรสมาด้วยตนเองพร้อมบัตรประชาชนและพยาน 2 คน รับใบสำคัญการสมรสได้ในวันเดียวกัน",
              "双方须携带身份证和两名证人亲自到场，当天领取结婚证。"),
            T("marriage, wedding, register marriage, marriage certificate",
              "จดทะเบียนสมรส, แต่งงาน, ทะเบียนสมรส, ใบสำคัญการสมรส",
              "结婚登记, 结婚证, 领证, 婚姻"),
            ("family", "civil-status"),
            form(("partner_name", "appointment_date", "office"),
                 partner_name=text("Partner's full name"),
                 appointment_date=day("Appointment date"),
                 office=choice("Office", "mueang-chiang-mai", "san-sai", "hang-dong")),
            "Family Registration Act B.E. 2478 (1935), s. 10",
            DAY, channels=("web", "office"), level=SUBSTANTIAL, evidence=(ID_CARD,),
        ),
        DemoService(
            "household-move", "cm-registration", PROVINCE,
            T("Moving your household registration", "แจ้งย้ายที่อยู่ทะเบียนบ้าน", "户籍迁移登记"),
            T("Move your name from one house register to another when you move house.",
              "ย้ายชื่อออกจากทะเบียนบ้านเดิมเข้าทะเบียนบ้านใหม่เมื่อย้ายที่อยู่",
              "搬家后将户籍从原住址迁入新住址。"),
            T("Notify the move within 15 days. The owner of the new house consents in the "
              "app; the old register is updated at the same time.",
              "แจ้งย้ายภายใน 15 วัน เจ้าบ้านหลังใหม่ให้ความยินยอมผ่านแอป และทะเบียนบ้านเดิม"
              "จะได้รับการปรับปรุงพร้อมกัน",
              "请在搬家后15日内申报；新住所户主在应用内确认同意，原户籍同步更新。"),
            T("move house, change of address, house register, tabien baan, relocation",
              "ย้ายทะเบียนบ้าน, ย้ายที่อยู่, ทะเบียนบ้าน, ย้ายเข้า, ย้ายออก",
              "户口迁移, 迁户口, 地址变更, 搬家, 落户"),
            ("civil-status", "housing"),
            form(("new_house_number", "moved_on", "persons_moving"),
                 new_house_number=text("New house number (11 digits)", max_length=11,
                                       pattern="^[0-9]{11}$"),
                 moved_on=day("Moved on"), persons_moving=number("Persons moving", 1, 20)),
            "Civil Registration Act B.E. 2534 (1991), s. 30",
            3 * DAY, life_events=("moving-house",), level=SUBSTANTIAL, evidence=(ID_CARD,),
            prefill_legal=("legal_name_local", "residence", "national_id"),
        ),
        DemoService(
            "school-enrolment", "cm-education", CITY,
            T("Primary school enrolment", "สมัครเรียนชั้นประถมศึกษาปีที่ 1", "小学一年级入学报名"),
            T("Enrol your child in Prathom 1 at a municipal school.",
              "สมัครเรียนชั้น ป.1 ในโรงเรียนสังกัดเทศบาล",
              "为孩子报名就读市立小学一年级。"),
            T("Children who turn 6 this year have a place near home; name up to two schools "
              "in order of preference.",
              "เด็กที่อายุครบ 6 ปีในปีนี้มีสิทธิ์เข้าเรียนในโรงเรียนใกล้บ้าน เลือกได้ 2 โรงเรียน"
              "ตามลำดับ",
              "今年满6岁的儿童可就近入学，可按志愿填报两所学校。"),
            T("school, enrolment, admission, primary school, grade 1",
              "สมัครเรียน, ประถม, ป.1, โรงเรียนเทศบาล, รับนักเรียน",
              "入学, 报名, 小学, 一年级, 学位"),
            ("education", "family"),
            form(("child_name", "child_date_of_birth", "first_choice"),
                 child_name=CHILD_FIELDS["child_name"],
                 child_date_of_birth=CHILD_FIELDS["child_date_of_birth"],
                 first_choice=choice("First choice", "municipal-school-1", "municipal-school-2",
                                     "wat-ket-karam", "ban-wat-kate"),
                 second_choice=choice("Second choice", "municipal-school-1",
                                      "municipal-school-2", "wat-ket-karam", "ban-wat-kate")),
            "National Education Act B.E. 2542 (1999), s. 17",
            21 * DAY, life_events=("going-to-school",), manual_deadline=14 * DAY,
            evidence=(HOUSE_REGISTER, DemoEvidence("birth-certificate", T(
                "Birth certificate", "สูติบัตร", "出生证明"))),
        ),
        DemoService(
            "scholarship", "cm-education", CITY,
            T("Municipal scholarship", "ทุนการศึกษาเทศบาล", "市政奖学金"),
            T("Up to 10,000 baht a year for secondary and vocational students.",
              "ทุนการศึกษาสูงสุดปีละ 10,000 บาท สำหรับนักเรียนมัธยมและอาชีวศึกษา",
              "为中学生和职业院校学生提供每年最高1万泰铢的奖学金。"),
            T("For students of families earning under 200,000 baht a year, with a grade "
              "average of 2.5 or more.",
              "สำหรับนักเรียนจากครอบครัวที่มีรายได้ต่ำกว่า 200,000 บาทต่อปี และมีเกรดเฉลี่ย"
              "ตั้งแต่ 2.5 ขึ้นไป",
              "面向家庭年收入低于20万泰铢、平均绩点2.5及以上的学生。"),
            T("scholarship, grant, student, bursary, tuition",
              "ทุนการศึกษา, ทุนเรียน, นักเรียน, ค่าเล่าเรียน",
              "奖学金, 助学金, 学生, 学费"),
            ("education", "welfare"),
            form(("school", "grade_average", "family_income"),
                 school=text("School or college"),
                 grade_average={"type": "number", "title": "Grade average", "minimum": 0,
                                "maximum": 4},
                 family_income=number("Family income a year (THB)", 0, 10**8)),
            "Chiang Mai Municipality Scholarship Regulation B.E. 2566 (2023)",
            30 * DAY, life_events=("going-to-school",), manual_deadline=20 * DAY,
            evidence=(DemoEvidence("transcript", T("School transcript", "ใบแสดงผลการเรียน",
                      "成绩单")),),
        ),
        DemoService(
            "elderly-allowance", "cm-municipality", CITY,
            T("Old-age allowance", "เบี้ยยังชีพผู้สูงอายุ", "老年生活津贴"),
            T("A monthly allowance of 600 to 1,000 baht from the age of 60.",
              "เบี้ยยังชีพรายเดือน 600–1,000 บาท ตั้งแต่อายุ 60 ปี",
              "年满60岁起每月发放600至1000泰铢生活津贴。"),
            T("Register in the year before you turn 60; payments start the month after your "
              "birthday and rise with age.",
              "ลงทะเบียนในปีก่อนอายุครบ 60 ปี จะได้รับเงินตั้งแต่เดือนถัดจากวันเกิด "
              "และเพิ่มขึ้นตามช่วงอายุ",
              "请在年满60岁的前一年登记，津贴自生日次月起发放，并随年龄增加。"),
            T("old-age allowance, pension, elderly, senior, 60, monthly allowance",
              "เบี้ยยังชีพ, ผู้สูงอายุ, เบี้ยคนชรา, เงินผู้สูงอายุ",
              "老年津贴, 养老金, 老人, 高龄津贴"),
            ("welfare",),
            form(("full_name", "date_of_birth", "bank_account"),
                 full_name=text("Full name"), date_of_birth=day("Date of birth"),
                 bank_account=CHILD_FIELDS["bank_account"]),
            "Older Persons Act B.E. 2546 (2003), s. 11(11)",
            20 * DAY, life_events=("retiring",), level=SUBSTANTIAL, evidence=(ID_CARD, BANK_BOOK),
            prefill=NAME_AND_BIRTH, prefill_legal=("legal_name_local", "date_of_birth"),
        ),
        DemoService(
            "disability-card", "cm-social-security", PROVINCE,
            T("Disability ID card", "บัตรประจำตัวคนพิการ", "残疾人证"),
            T("The card that gives access to disability allowance, care and free travel.",
              "บัตรสำหรับรับเบี้ยความพิการ บริการดูแล และโดยสารฟรี",
              "凭证享受残疾人津贴、照护服务和免费乘车。"),
            T("A doctor's assessment of the disability is attached; the card is valid for "
              "eight years.",
              "แนบผลการประเมินความพิการจากแพทย์ บัตรมีอายุ 8 ปี",
              "须附医生出具的残疾评定，证件有效期八年。"),
            T("disability, disabled, handicap, allowance, accessibility",
              "คนพิการ, บัตรคนพิการ, เบี้ยความพิการ, ผู้พิการ",
              "残疾人, 残疾证, 残疾津贴, 无障碍"),
            ("welfare", "health"),
            form(("disability_type",),
                 disability_type=choice("Kind of disability", "visual", "hearing", "physical",
                                        "intellectual", "psychosocial", "autism", "learning")),
            "Persons with Disabilities Empowerment Act B.E. 2550 (2007), s. 19",
            15 * DAY, level=SUBSTANTIAL,
            evidence=(ID_CARD, DemoEvidence("medical-assessment", T(
                "Doctor's disability assessment", "ใบรับรองความพิการ", "残疾评定证明"))),
        ),
        DemoService(
            "unemployment-benefit", "cm-social-security", PROVINCE,
            T("Unemployment benefit", "เงินทดแทนกรณีว่างงาน", "失业保险金"),
            T("Half your last wage for up to 180 days after losing your job.",
              "รับเงินทดแทนร้อยละ 50 ของค่าจ้างสูงสุด 180 วันเมื่อถูกเลิกจ้าง",
              "失业后最长180天领取原工资一半的失业保险金。"),
            T("For insured employees who paid contributions for six of the last 15 months; "
              "register with the employment office within 30 days.",
              "สำหรับผู้ประกันตนที่จ่ายเงินสมทบ 6 เดือนภายใน 15 เดือน ต้องขึ้นทะเบียนผู้ว่างงาน"
              "ภายใน 30 วัน",
              "适用于过去15个月内缴费满6个月的参保职工，须在30日内办理失业登记。"),
            T("unemployment, jobless, benefit, laid off, redundancy, social security",
              "ว่างงาน, เงินทดแทน, ถูกเลิกจ้าง, ประกันสังคม, ตกงาน",
              "失业, 失业金, 裁员, 社保, 失业登记"),
            ("welfare", "business"),
            form(("last_employer", "last_day", "reason"),
                 last_employer=text("Last employer"), last_day=day("Last day of work"),
                 reason=choice("Reason", "dismissed", "resigned", "contract-ended")),
            "Social Security Act B.E. 2533 (1990), s. 78–79",
            10 * DAY, level=SUBSTANTIAL,
            evidence=(DemoEvidence("social-insurance", T("Social-insurance card",
                      "บัตรประกันสังคม", "社保卡"), "social_insurance"),),
            prefill_legal=("legal_name_local", "national_id"),
        ),
        DemoService(
            "tax-certificate", "cm-revenue", CITY,
            T("Tax clearance certificate", "หนังสือรับรองการชำระภาษี", "完税证明"),
            T("A certificate that no local tax is owed, for tenders, loans or a sale.",
              "หนังสือรับรองว่าไม่มีภาษีท้องถิ่นค้างชำระ ใช้ประกอบการประมูล สินเชื่อ หรือการซื้อขาย",
              "证明无地方税欠缴，用于投标、贷款或房产交易。"),
            T("Covers land and building tax and signboard tax; issued as a signed PDF.",
              "ครอบคลุมภาษีที่ดินและสิ่งปลูกสร้างและภาษีป้าย ออกเป็นไฟล์ PDF ที่ลงลายมือชื่อดิจิทัล",
              "涵盖土地及建筑物税和招牌税，以电子签名PDF出具。"),
            T("tax certificate, tax clearance, no tax owed, land tax",
              "หนังสือรับรองภาษี, ภาษีที่ดิน, ภาษีป้าย, ปลอดภาระภาษี",
              "完税证明, 纳税证明, 无欠税证明, 土地税"),
            ("business",),
            form(("purpose",), purpose=choice("Needed for", "tender", "loan", "sale", "other")),
            "Land and Building Tax Act B.E. 2562 (2019), s. 7",
            2 * DAY, channels=("app", "web"), for_businesses=True, fee_minor=2000,
        ),
        DemoService(
            "food-shop-licence", "cm-municipality", CITY,
            T("Food shop hygiene licence", "ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร", "食品经营卫生许可证"),
            T("The licence a restaurant, café or food shop over 200 m² needs to open.",
              "ใบอนุญาตที่ร้านอาหาร ร้านกาแฟ หรือสถานที่จำหน่ายอาหารพื้นที่เกิน 200 ตร.ม. ต้องมี",
              "200平方米以上的餐厅、咖啡馆或食品店开业所需的许可证。"),
            T("A health officer inspects the kitchen, water and waste; the licence is "
              "renewed yearly.",
              "เจ้าพนักงานสาธารณสุขจะตรวจครัว น้ำใช้ และการจัดการขยะ ใบอนุญาตต่ออายุทุกปี",
              "卫生人员将检查厨房、用水和垃圾处理，许可证每年续期。"),
            T("food shop, restaurant, café, hygiene, health licence, kitchen",
              "ร้านอาหาร, สถานที่จำหน่ายอาหาร, สุขาภิบาลอาหาร, ร้านกาแฟ",
              "餐饮, 食品经营许可, 卫生许可证, 餐厅, 咖啡馆"),
            ("business", "health"),
            form(("shop_name", "floor_area_m2", "seats"),
                 shop_name=text("Shop name"), floor_area_m2=number("Floor area (m²)", 1, 10000),
                 seats=number("Seats", 0, 2000)),
            "Public Health Act B.E. 2535 (1992), s. 38",
            15 * DAY, life_events=("starting-a-business",), for_persons=False,
            for_businesses=True, fee_minor=50000, level=SUBSTANTIAL,
            evidence=(BUSINESS_REGISTRATION, SITE_PLAN),
        ),
        DemoService(
            "sports-venue-booking", "cm-municipality", CITY,
            T("Sports venue booking", "จองสนามกีฬาเทศบาล", "市政体育场馆预订"),
            T("Book a football pitch, badminton court or the pool for a club or event.",
              "จองสนามฟุตบอล คอร์ตแบดมินตัน หรือสระว่ายน้ำสำหรับชมรมหรือกิจกรรม",
              "为俱乐部或活动预订足球场、羽毛球场或游泳池。"),
            T("Bookings are confirmed by the venue manager; the fee is for a two-hour slot.",
              "ผู้จัดการสนามจะยืนยันการจอง ค่าธรรมเนียมคิดต่อช่วงเวลา 2 ชั่วโมง",
              "预订由场馆管理员确认，费用按两小时计。"),
            T("sports, football, badminton, swimming pool, booking, stadium",
              "กีฬา, สนามฟุตบอล, แบดมินตัน, สระว่ายน้ำ, จองสนาม",
              "体育, 足球场, 羽毛球, 游泳池, 订场, 体育馆"),
            ("culture",),
            form(("venue", "date", "slot"),
                 venue=choice("Venue", "football-pitch", "badminton-court", "swimming-pool"),
                 date=day("Date"), slot=choice("Slot", "08-10", "10-12", "14-16", "16-18",
                                               "18-20")),
            "Chiang Mai Municipality Sports Facilities Regulation B.E. 2565",
            2 * DAY, channels=("app", "web", "phone"), fee_minor=20000, for_businesses=True,
        ),
        DemoService(
            "dog-registration", "cm-municipality", CITY,
            T("Dog registration", "ขึ้นทะเบียนสุนัข", "犬只登记"),
            T("Register your dog and get its microchip number recorded.",
              "ขึ้นทะเบียนสุนัขและบันทึกหมายเลขไมโครชิป",
              "为您的狗办理登记并记录芯片编号。"),
            T("Every dog over four months old is registered within 30 days, with proof of a "
              "rabies vaccination.",
              "สุนัขอายุเกิน 4 เดือนต้องขึ้นทะเบียนภายใน 30 วัน พร้อมหลักฐานการฉีดวัคซีนพิษสุนัขบ้า",
              "四个月以上的犬只须在30日内登记，并提供狂犬病疫苗接种证明。"),
            T("dog, pet, microchip, rabies, dog licence, animal",
              "สุนัข, สัตว์เลี้ยง, ไมโครชิป, พิษสุนัขบ้า, ขึ้นทะเบียนสัตว์",
              "狗, 宠物, 犬证, 芯片, 狂犬疫苗, 养犬登记"),
            ("environment",),
            form(("dog_name", "microchip", "vaccinated_on"),
                 dog_name=text("Dog's name", max_length=50),
                 microchip=text("Microchip number (15 digits)", max_length=15,
                                pattern="^[0-9]{15}$"),
                 vaccinated_on=day("Rabies vaccination date")),
            "Chiang Mai Municipality Ordinance on Pet Control B.E. 2561 (2018)",
            5 * DAY, channels=("app", "web"),
            evidence=(DemoEvidence("vaccination", T("Rabies vaccination certificate",
                      "ใบรับรองการฉีดวัคซีนพิษสุนัขบ้า", "狂犬病疫苗接种证明")),),
        ),
        DemoService(
            "covid-vaccination-certificate", "cm-health-insurance", PROVINCE,
            T("COVID-19 vaccination certificate", "ใบรับรองการฉีดวัคซีนโควิด-19", "新冠疫苗接种证明"),
            T("No longer issued: vaccinations are in your health record.",
              "ยกเลิกการออกแล้ว ข้อมูลการฉีดวัคซีนอยู่ในประวัติสุขภาพของคุณ",
              "已停止办理：接种记录可在个人健康档案中查看。"),
            T("Retired in 2024; kept in the catalogue so old links explain what happened.",
              "ยกเลิกเมื่อปี 2567 ยังคงแสดงในรายการบริการเพื่ออธิบายให้ผู้ใช้ลิงก์เดิมทราบ",
              "已于2024年停办，保留于目录中以便旧链接说明情况。"),
            T("covid, vaccination, certificate, vaccine passport",
              "โควิด, วัคซีน, ใบรับรองวัคซีน, วัคซีนพาสปอร์ต",
              "新冠, 疫苗, 接种证明, 疫苗护照"),
            ("health",), form(()), "Communicable Diseases Act B.E. 2558 (2015)",
            DAY, channels=("app",), status=Service.Status.RETIRED,
        ),
        DemoService(
            "ev-charger-permit", "cm-municipality", CITY,
            T("Home EV charger permit", "ขออนุญาตติดตั้งเครื่องชาร์จรถยนต์ไฟฟ้าที่บ้าน",
              "家用电动汽车充电桩许可"),
            T("Install a wall charger of more than 7 kW at home.",
              "ติดตั้งเครื่องชาร์จติดผนังขนาดเกิน 7 กิโลวัตต์ที่บ้าน",
              "在家中安装7千瓦以上的壁挂式充电桩。"),
            T("In preparation with the electricity authority; opens in 2027.",
              "อยู่ระหว่างจัดเตรียมร่วมกับการไฟฟ้า เปิดให้บริการในปี 2570",
              "正与电力部门筹备，预计2027年开通。"),
            T("electric vehicle, EV, charger, wallbox, electricity",
              "รถยนต์ไฟฟ้า, อีวี, เครื่องชาร์จ, ไฟฟ้า",
              "电动汽车, 充电桩, 新能源车, 用电"),
            ("housing", "transport"),
            form(("charger_kw",), charger_kw=number("Charger power (kW)", 1, 50)),
            "Building Control Act B.E. 2522 (1979), s. 21",
            10 * DAY, fee_minor=50000, status=Service.Status.DRAFT,
        ),
    )  # fmt: skip


def _services_of_shenzhen() -> tuple[DemoService, ...]:
    return (
        DemoService(
            "residence-permit", "sz-public-security", SHENZHEN,
            T("Shenzhen residence permit", "ใบอนุญาตพำนักเซินเจิ้น", "深圳经济特区居住证"),
            T("For people living in Shenzhen for six months without a Shenzhen hukou.",
              "สำหรับผู้ที่อาศัยในเซินเจิ้นครบ 6 เดือนโดยไม่มีทะเบียนบ้านเซินเจิ้น",
              "适用于在深圳居住满六个月、未落户深圳的人员。"),
            T("The permit gives access to school places, healthcare and other public services "
              "and is renewed every year; it is issued straight into your wallet.",
              "ใบอนุญาตพำนักใช้สิทธิ์เข้าเรียน การรักษาพยาบาล และบริการสาธารณะอื่น ต่ออายุทุกปี "
              "และออกให้ในกระเป๋าเอกสารดิจิทัลทันที",
              "持证可享受子女入学、医疗等基本公共服务，每年签注一次，"
              "居住证直接存入您的电子卡包。"),
            T("residence permit, residence card, hukou, Shenzhen, temporary residence",
              "ใบอนุญาตพำนัก, บัตรผู้พำนัก, เซินเจิ้น, ทะเบียนบ้าน, ที่อยู่อาศัย",
              "居住证, 深圳居住证, 暂住证, 户籍, 居住登记, 流动人口"),
            ("civil-status", "housing"),
            form(
                ("full_name", "date_of_birth", "district", "address", "months_in_city",
                 "basis", "address_type"),
                full_name=text("Full name"),
                date_of_birth=day("Date of birth"),
                district=choice("District", "futian", "luohu", "nanshan", "baoan", "longgang",
                                "longhua"),
                address=text("Address in Shenzhen"),
                months_in_city=number("Months lived in Shenzhen", 0, 1200),
                basis=choice("Living here for", "employment", "business", "study", "family"),
                address_type=choice("Home", "owned", "rented", "employer", "family"),
                rental_registered=flag("The tenancy is registered"),
            ),
            "Shenzhen Special Economic Zone Residence Permit Regulations (2014)",
            MINUTE, life_events=("moving-house",), level=SUBSTANTIAL,
            evidence=(
                ID_CARD,
                DemoEvidence("tenancy", T("Registered rental contract", "สัญญาเช่าที่จดทะเบียนแล้ว",
                             "已备案的租赁合同"), is_required=False),
            ),
            prefill=NAME_AND_BIRTH, prefill_legal=("legal_name_local", "date_of_birth"),
            mode=AUTOMATIC, output="residence_permit", output_validity=YEAR,
            rules=RESIDENCE_PERMIT_RULES,
        ),
        DemoService(
            "business-name-reservation", "sz-market-regulation", SHENZHEN,
            T("Company name reservation", "จองชื่อบริษัท", "企业名称自主申报"),
            T("Check and reserve a company name before registering the company.",
              "ตรวจสอบและจองชื่อบริษัทก่อนจดทะเบียนบริษัท",
              "在办理企业设立登记前查询并申报企业名称。"),
            T("A name without restricted words is reserved at once for 30 days; names with "
              "words such as 中国 or in regulated industries are reviewed by an officer.",
              "ชื่อที่ไม่มีคำต้องห้ามจะได้รับการจองทันทีเป็นเวลา 30 วัน ชื่อที่มีคำเช่น 中国 "
              "หรืออยู่ในธุรกิจที่มีการกำกับดูแลจะได้รับการพิจารณาโดยเจ้าหน้าที่",
              "不含限制性字词的名称可即时保留30天；含“中国”等字词或属于"
              "特殊监管行业的名称由工作人员审核。"),
            T("company name, business name, reservation, register company, name check",
              "จองชื่อ, ชื่อบริษัท, จดทะเบียนบริษัท, ตรวจชื่อ",
              "企业名称, 名称申报, 名称预先核准, 公司注册, 核名"),
            ("business",),
            form(
                ("proposed_name", "industry", "organisation_form"),
                proposed_name=text("Proposed name", max_length=50),
                industry=choice("Industry", "technology", "trade", "catering", "consulting",
                                "manufacturing", "finance"),
                organisation_form=choice("Form", "limited_company", "sole_proprietorship",
                                         "partnership"),
            ),
            "Regulations on the Administration of Enterprise Name Registration (2020)",
            MINUTE, life_events=("starting-a-business",), channels=("app", "web"),
            level=SUBSTANTIAL, mode=AUTOMATIC, rules=COMPANY_NAME_RULES,
        ),
        DemoService(
            "company-registration", "sz-market-regulation", SHENZHEN,
            T("Company registration (business licence)", "จดทะเบียนบริษัท (ใบอนุญาตประกอบธุรกิจ)",
              "企业设立登记（营业执照）"),
            T("Register a new company and receive its business licence and credit code.",
              "จดทะเบียนบริษัทใหม่และรับใบอนุญาตประกอบธุรกิจพร้อมเลขทะเบียน",
              "设立新企业，领取营业执照和统一社会信用代码。"),
            T("Uses a reserved name; the electronic business licence is issued within three "
              "working days and no fee is charged.",
              "ใช้ชื่อที่จองไว้ ใบอนุญาตประกอบธุรกิจอิเล็กทรอนิกส์ออกภายใน 3 วันทำการ ไม่มีค่าธรรมเนียม",
              "使用已申报的企业名称，三个工作日内发放电子营业执照，不收取费用。"),
            T("business licence, company registration, credit code, incorporate, start-up",
              "ใบอนุญาตประกอบธุรกิจ, จดทะเบียนบริษัท, ตั้งบริษัท, เปิดบริษัท",
              "营业执照, 企业设立, 公司注册, 统一社会信用代码, 开公司"),
            ("business",),
            form(("reserved_name", "registered_capital", "address"),
                 reserved_name=text("Reserved name", max_length=50),
                 registered_capital=number("Registered capital (CNY)", 1, 10**10),
                 address=text("Registered address")),
            "Regulations on the Registration of Market Entities (2022), art. 21",
            3 * DAY, life_events=("starting-a-business",), level=HIGH,
            evidence=(ID_CARD, DemoEvidence("articles", T("Articles of association",
                      "ข้อบังคับบริษัท", "公司章程"))),
        ),
        DemoService(
            "public-rental-housing", "sz-housing", SHENZHEN,
            T("Public rental housing", "บ้านเช่าสาธารณะ", "公共租赁住房申请"),
            T("Apply for a rent-controlled flat for households without a home in Shenzhen.",
              "ยื่นขอเช่าห้องชุดราคาควบคุมสำหรับครัวเรือนที่ไม่มีที่อยู่อาศัยในเซินเจิ้น",
              "无房家庭申请租金受控的公共租赁住房。"),
            T("Applicants join the waiting list in order of social-insurance years; rent is "
              "about a third of the market rate.",
              "ผู้สมัครจะเข้าคิวตามจำนวนปีที่ส่งประกันสังคม ค่าเช่าประมาณหนึ่งในสามของราคาตลาด",
              "按社保缴纳年限轮候，租金约为市场价的三分之一。"),
            T("public housing, rental housing, affordable housing, flat, waiting list",
              "บ้านเช่าสาธารณะ, ที่อยู่อาศัย, ห้องเช่าราคาถูก, การเคหะ",
              "公租房, 保障性住房, 公共租赁住房, 轮候, 住房保障"),
            ("housing", "welfare"),
            form(("household_size", "district", "social_insurance_years"),
                 household_size=number("Household members", 1, 10),
                 district=choice("District", "futian", "luohu", "nanshan", "baoan",
                                 "longgang", "longhua"),
                 social_insurance_years=number("Years of social insurance in Shenzhen", 0, 50)),
            "Shenzhen Measures for the Administration of Public Rental Housing (2023)",
            60 * DAY, life_events=("moving-house",), level=SUBSTANTIAL,
            manual_deadline=30 * DAY,
            evidence=(ID_CARD, DemoEvidence("residence-permit", T(
                "Shenzhen residence permit", "ใบอนุญาตพำนักเซินเจิ้น", "深圳经济特区居住证"),
                "residence_permit")),
            prefill_legal=("legal_name_local",),
        ),
    )  # fmt: skip


def demo_services() -> tuple[DemoService, ...]:
    return _services_of_chiang_mai() + _services_of_shenzhen()


BUNDLE = (
    "having-a-baby",
    "having-a-baby",
    T("Having a baby", "มีลูก", "生育一件事"),
    T(
        "One form for the birth registration, the baby's health insurance and the child "
        "support grant; each is decided on its own, most of them in seconds.",
        "กรอกแบบฟอร์มเดียวสำหรับการแจ้งเกิด สิทธิหลักประกันสุขภาพของลูก และเงินอุดหนุน"
        "เพื่อการเลี้ยงดูเด็กแรกเกิด แต่ละบริการพิจารณาแยกกัน ส่วนใหญ่ได้ผลในไม่กี่วินาที",
        "一张表格同时办理出生登记、新生儿医保和育儿津贴，各事项分别审批，大多数几秒内办结。",
    ),
    ("birth-registration", "newborn-health-insurance", "child-allowance"),
)


# Seeding ----------------------------------------------------------------------------------


def seed_services(*, staff: User | None = None) -> dict[str, Service]:
    """The demo catalogue, its rule sets and the bundle; returns the services by code."""
    categories = {
        code: Category.objects.update_or_create(
            code=code, defaults={"position": position, **translated("name", name)}
        )[0]
        for position, (code, name) in enumerate(CATEGORIES)
    }
    life_events = {
        code: LifeEvent.objects.update_or_create(
            code=code,
            defaults={
                "audience": audience,
                "position": position,
                **translated("name", name),
                **translated("description", description),
            },
        )[0]
        for position, (code, audience, name, description) in enumerate(LIFE_EVENTS)
    }
    jurisdictions = {
        j.code: j for j in Jurisdiction.objects.filter(code__in=[CITY, PROVINCE, SHENZHEN])
    }
    for code, where, names in AGENCIES:
        Agency.objects.update_or_create(
            code=code, defaults={"jurisdiction": jurisdictions[where], **translated("name", names)}
        )
    agencies = {agency.code: agency for agency in Agency.objects.all()}
    for code, issuer, names in CREDENTIAL_TYPES:
        CredentialType.objects.update_or_create(
            code=code, defaults={"issuer": agencies[issuer], **translated("name", names)}
        )
    credential_types = {kind.code: kind for kind in CredentialType.objects.all()}
    billers = {}
    for code, agency, currency, prefix, names in FEE_BILLERS:
        biller, _ = Biller.objects.update_or_create(
            code=code,
            defaults={
                "kind": Biller.Kind.SERVICE_FEES,
                "agency": agencies[agency],
                "currency": currency,
                "receipt_prefix": prefix,
                "account_check": Biller.AccountCheck.NONE,
                **translated("name", names),
            },
        )
        billers[currency] = biller
    services = {}
    for spec in demo_services():
        service = _seed_service(
            spec,
            agency=agencies[spec.agency],
            jurisdiction=jurisdictions[spec.jurisdiction],
            biller=billers[spec.currency],
            credential_types=credential_types,
        )
        service.categories.set([categories[code] for code in spec.categories])
        service.life_events.set([life_events[code] for code in spec.life_events])
        if spec.rules is not None:
            _seed_rule_set(service, spec.rules, staff=staff)
        services[spec.code] = service
    _seed_bundle(life_events, services)
    reindex_services(Service.objects.filter(pk__in=[s.pk for s in services.values()]))
    return services


def _seed_service(
    spec: DemoService,
    *,
    agency: Agency,
    jurisdiction: Jurisdiction,
    biller: Biller,
    credential_types: Mapping[str, CredentialType],
) -> Service:
    service, _ = Service.objects.update_or_create(
        jurisdiction=jurisdiction,
        code=spec.code,
        defaults={
            "agency": agency,
            **translated("name", spec.name),
            **translated("summary", spec.summary),
            **translated("description", spec.description),
            **translated("keywords", spec.keywords),
            "for_persons": spec.for_persons,
            "for_businesses": spec.for_businesses,
            "channels": list(spec.channels),
            "processing_time": spec.processing,
            "legal_basis": spec.legal_basis,
            "minimum_level_of_assurance": spec.level,
            "approval_mode": spec.mode,
            "input_schema": spec.form,
            "manual_deadline": spec.manual_deadline,
            "prefill": spec.prefill,
            "prefill_legal_attributes": list(spec.prefill_legal),
            "fee_biller": biller if spec.fee_minor else None,
            "output_credential_type": credential_types[spec.output] if spec.output else None,
            "output_validity": spec.output_validity,
            "status": spec.status,
        },
    )
    fee = T("Fee", "ค่าธรรมเนียม", "费用") if spec.fee_minor else T("No fee", "ไม่มีค่าธรรมเนียม", "免费")
    Fee.objects.update_or_create(
        service=service,
        valid_from=FEES_FROM,
        defaults={
            "amount_minor": spec.fee_minor,
            "currency": spec.currency,
            **translated("description", fee),
        },
    )
    for position, evidence in enumerate(spec.evidence):
        EvidenceRequirement.objects.update_or_create(
            service=service,
            code=evidence.code,
            defaults={
                "position": position,
                "credential_type": credential_types[evidence.credential_type]
                if evidence.credential_type
                else None,
                "accepts_upload": evidence.accepts_upload,
                "is_required": evidence.is_required,
                **translated("name", evidence.name),
            },
        )
    return service


def _seed_rule_set(service: Service, spec: DemoRules, *, staff: User | None) -> RuleSet:
    """Version 1 of the service's rules, published through the admin's action (which refuses
    an invalid check or a failing test case). Left as it is once it exists."""
    rule_set, created = RuleSet.objects.get_or_create(
        service=service, version=1, defaults={"notes": spec.notes or "Demo rules."}
    )
    if not created:
        return rule_set
    Check.objects.bulk_create(
        Check(
            rule_set=rule_set,
            position=position,
            code=check.code,
            expression=check.expression,
            on_fail=check.on_fail,
            legal_basis=check.legal_basis,
            **translated("title", check.title),
            **translated("reason_template", check.reason),
        )
        for position, check in enumerate(spec.checks)
    )
    RuleTestCase.objects.bulk_create(
        RuleTestCase(
            rule_set=rule_set,
            name=case.name,
            data=case.data,
            facts=case.facts,
            expected_outcome=case.expected,
        )
        for case in spec.cases
    )
    return publish_rule_set(rule_set=rule_set, by=staff)


def _seed_bundle(life_events: Mapping[str, LifeEvent], services: Mapping[str, Service]) -> Bundle:
    code, life_event, name, description, codes = BUNDLE
    bundled = [services[code] for code in codes]
    bundle, _ = Bundle.objects.update_or_create(
        code=code,
        defaults={
            "life_event": life_events[life_event],
            "status": Bundle.Status.ACTIVE,
            "input_schema": union_form(*(service.input_schema for service in bundled)),
            **translated("name", name),
            **translated("description", description),
        },
    )
    for position, service in enumerate(bundled):
        BundleItem.objects.update_or_create(
            bundle=bundle, service=service, defaults={"position": position}
        )
    return bundle

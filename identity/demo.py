"""Identity demo data (called by `manage.py seed_demo`; safe to run again): a Thai province with
cities and districts and a Chinese one, agencies, credential types, a population registry, three
citizens at the three levels of assurance, a business with its representative, a parent-child
mandate, cards in the wallets, and an integrator for the transit agency."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from identity.actions.clients import create_api_client
from identity.actions.persons import add_registry_record, register_person
from identity.adapters import mark_email_verified
from identity.crypto import blind_index
from identity.models import (
    Agency,
    ApiClient,
    AssuranceChange,
    Business,
    Credential,
    CredentialType,
    Jurisdiction,
    LevelOfAssurance,
    Mandate,
    Membership,
    Person,
    User,
)
from identity.national_id import mask, parse
from identity.registry import national_id_index

DEMO_PASSWORD = "cityportal-demo-citizen"  # noqa: S105 - printed on purpose, demo only
TRANSIT_CLIENT_ID = "cp_demo_transit"
TRANSIT_SECRET = "demo-transit-secret-not-for-production"  # noqa: S105 - printed, demo only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    note: str


def _names(en: str, th: str, zh: str) -> dict[str, str]:
    return {"name": en, "name_en": en, "name_th": th, "name_zh_hans": zh}


def _jurisdiction(
    code: str, level: str, parent: Jurisdiction | None, names: dict[str, str], **extra: Any
) -> Jurisdiction:
    jurisdiction, _ = Jurisdiction.objects.update_or_create(
        code=code, defaults={"level": level, "parent": parent, **names, **extra}
    )
    return jurisdiction


def seed_jurisdictions() -> dict[str, Jurisdiction]:
    th = {
        "time_zone": "Asia/Bangkok",
        "languages": ["th", "en"],
        "national_id_scheme": "th_citizen",
    }
    cn = {
        "time_zone": "Asia/Shanghai",
        "languages": ["zh-hans", "en"],
        "national_id_scheme": "cn_resident",
    }
    cm = _jurisdiction(
        "th-chiang-mai",
        "province",
        None,
        _names("Chiang Mai Province", "จังหวัดเชียงใหม่", "清迈府"),
        **th,
    )
    city = _jurisdiction(
        "th-chiang-mai-city",
        "city",
        cm,
        _names("Chiang Mai City", "เทศบาลนครเชียงใหม่", "清迈市"),
        **th,
    )
    san = _jurisdiction("th-san-sai", "city", cm, _names("San Sai", "สันทราย", "山赛"), **th)
    _jurisdiction(
        "th-chang-phueak", "district", city, _names("Chang Phueak", "ช้างเผือก", "昌普克"), **th
    )
    _jurisdiction("th-si-phum", "district", city, _names("Si Phum", "ศรีภูมิ", "西蓬"), **th)
    _jurisdiction("th-nong-han", "district", san, _names("Nong Han", "หนองหาร", "农汉"), **th)
    gd = _jurisdiction(
        "cn-guangdong", "province", None, _names("Guangdong Province", "มณฑลกวางตุ้ง", "广东省"), **cn
    )
    sz = _jurisdiction("cn-shenzhen", "city", gd, _names("Shenzhen", "เซินเจิ้น", "深圳市"), **cn)
    _jurisdiction(
        "cn-futian", "district", sz, _names("Futian District", "เขตฝูเถียน", "福田区"), **cn
    )
    _jurisdiction(
        "cn-nanshan", "district", sz, _names("Nanshan District", "เขตหนานซาน", "南山区"), **cn
    )
    return {"city": city, "province": cm, "shenzhen": sz}


def _agency(code: str, jurisdiction: Jurisdiction, names: dict[str, str]) -> Agency:
    agency, _ = Agency.objects.update_or_create(
        code=code, defaults={"jurisdiction": jurisdiction, **names}
    )
    return agency


def seed_agencies(places: dict[str, Jurisdiction]) -> dict[str, Agency]:
    city, province, sz = places["city"], places["province"], places["shenzhen"]
    return {
        "registry": _agency(
            "cm-registration",
            province,
            _names("Civil Registration Office", "สำนักทะเบียนราษฎร", "民事登记处"),
        ),
        "transit": _agency(
            "cm-transit", city, _names("Chiang Mai Transit", "ขนส่งมวลชนเชียงใหม่", "清迈公交")
        ),
        "library": _agency("cm-library", city, _names("City Library", "ห้องสมุดเมือง", "市图书馆")),
        "transport": _agency(
            "cm-land-transport",
            province,
            _names("Land Transport Office", "สำนักงานขนส่ง", "陆路交通办公室"),
        ),
        "health": _agency(
            "cm-health-insurance",
            province,
            _names("Health Insurance Office", "สำนักงานหลักประกันสุขภาพ", "医疗保险办公室"),
        ),
        "social": _agency(
            "cm-social-security",
            province,
            _names("Social Security Office", "สำนักงานประกันสังคม", "社会保障办公室"),
        ),
        "sz-services": _agency(
            "sz-government-services",
            sz,
            _names("Shenzhen Government Services", "ศูนย์บริการรัฐเซินเจิ้น", "深圳市政务服务"),
        ),
    }


def seed_credential_types(agencies: dict[str, Agency]) -> dict[str, CredentialType]:
    rows = [
        ("id_card", "registry", _names("National ID card", "บัตรประจำตัวประชาชน", "居民身份证")),
        ("driving_licence", "transport", _names("Driving licence", "ใบอนุญาตขับขี่", "驾驶证")),
        ("health_insurance", "health", _names("Health-insurance card", "บัตรประกันสุขภาพ", "医保卡")),
        ("social_insurance", "social", _names("Social-insurance card", "บัตรประกันสังคม", "社保卡")),
        ("transit_card", "transit", _names("Transit card", "บัตรโดยสาร", "交通卡")),
        ("library_card", "library", _names("Library card", "บัตรห้องสมุด", "借书证")),
    ]
    types = {}
    for code, issuer, names in rows:
        types[code], _ = CredentialType.objects.update_or_create(
            code=code, defaults={"issuer": agencies[issuer], **names}
        )
    return types


# (username, Thai name, Latin name, birth date, level) — numbers are derived, valid and fixed.
CITIZENS = [
    ("citizen", "สมชาย ใจดี", "Somchai Jaidee", datetime.date(1985, 4, 12), LevelOfAssurance.BASIC),
    (
        "verified",
        "สมหญิง รักไทย",
        "Somying Rakthai",
        datetime.date(1990, 8, 3),
        LevelOfAssurance.SUBSTANTIAL,
    ),
    (
        "inperson",
        "ประเสริฐ มั่นคง",
        "Prasert Mankong",
        datetime.date(1978, 1, 25),
        LevelOfAssurance.HIGH,
    ),
]
CHILD = ("เด็กชายภูมิ รักไทย", "Phum Rakthai", datetime.date(2016, 6, 1))


def _th_id(serial: int) -> str:
    from identity.national_id import th_check_digit

    first12 = f"15099{serial:07d}"
    return first12 + th_check_digit(first12)


def _user(username: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@demo.cityportal.local"}
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    mark_email_verified(user)
    return user


def _verify(
    person: Person, *, number: str, level: str, city: Jurisdiction, officer: User | None
) -> None:
    parsed = parse("th_citizen", number)
    person.national_id_scheme = "th_citizen"
    person.national_id = parsed.number
    person.national_id_index = national_id_index(parsed.number)
    person.national_id_masked = parsed.masked
    person.residence = city
    now = timezone.now().isoformat()
    person.attribute_sources = {
        name: {"source": "registry", "at": now}
        for name in (
            "legal_name_local",
            "legal_name_latin",
            "date_of_birth",
            "residence",
            "national_id",
        )
    }
    if person.level_of_assurance != level:
        AssuranceChange.objects.create(
            person=person,
            from_level=person.level_of_assurance,
            to_level=level,
            method="in_person" if level == LevelOfAssurance.HIGH else "registry_match",
            officer=officer if level == LevelOfAssurance.HIGH else None,
        )
        person.level_of_assurance = level
    person.save()


def _card(holder: Person, kind: CredentialType, number: str, *, origin: str = "issuer") -> None:
    index = blind_index(number, purpose="credential_number")
    Credential.objects.update_or_create(
        type=kind, number_index=index,
        defaults={
            "holder": holder, "issuer": kind.issuer, "number": number,
            "number_masked": mask(number, visible=kind.visible_digits),
            "issued_on": datetime.date(2024, 1, 15), "valid_from": datetime.date(2024, 1, 15),
            "valid_until": datetime.date(2029, 1, 14), "status": Credential.Status.ACTIVE,
            "origin": origin,
            "verification": "verified" if origin == "issuer" else "unverified",
        },
    )  # fmt: skip


def seed_identity(*, staff: User) -> list[DemoLogin]:
    places = seed_jurisdictions()
    agencies = seed_agencies(places)
    types = seed_credential_types(agencies)
    Membership.objects.get_or_create(
        user=staff, agency=agencies["registry"], role=Membership.Role.SUPERVISOR
    )
    city = places["city"]
    people = {}
    for serial, (username, local, latin, born, level) in enumerate(CITIZENS, start=1):
        number = _th_id(serial)
        add_registry_record(
            scheme="th_citizen", number=number, legal_name_local=local, legal_name_latin=latin,
            date_of_birth=born, address=f"{serial} Nimmanhaemin Rd, Chiang Mai",
            household_id=f"HH-{serial:04d}", jurisdiction=city,
        )  # fmt: skip
        person = register_person(user=_user(username))
        person.legal_name_local, person.legal_name_latin, person.date_of_birth = local, latin, born
        person.save()
        if level != LevelOfAssurance.BASIC:
            _verify(person, number=number, level=level, city=city, officer=staff)
        people[username] = person
    # A child on the registry, in the "verified" parent's household, with no account of its own.
    local, latin, born = CHILD
    child_number = _th_id(90)
    add_registry_record(
        scheme="th_citizen", number=child_number, legal_name_local=local, legal_name_latin=latin,
        date_of_birth=born, household_id="HH-0002", jurisdiction=city,
    )  # fmt: skip
    child = Person.objects.filter(national_id_index=national_id_index(child_number)).first()
    if child is None:
        child = Person.objects.create(
            legal_name_local=local, legal_name_latin=latin, date_of_birth=born
        )
        _verify(
            child, number=child_number, level=LevelOfAssurance.SUBSTANTIAL, city=city, officer=None
        )
    parent = people["verified"]
    Mandate.objects.get_or_create(
        representative=parent, for_person=child,
        defaults={"scope": ["*"], "legal_basis": "Parental responsibility (household HH-0002)"},
    )  # fmt: skip
    business, _ = Business.objects.get_or_create(
        registration_scheme=Business.RegistrationScheme.REGISTRATION,
        registration_number="0505561000123",
        defaults={"name": "Doi Suthep Coffee Co., Ltd.", "jurisdiction": city},
    )
    Mandate.objects.get_or_create(
        representative=people["inperson"], for_business=business,
        defaults={"scope": ["applications", "payments"], "legal_basis": "Managing director"},
    )  # fmt: skip
    _card(parent, types["id_card"], _th_id(2))
    _card(parent, types["transit_card"], "CMT-0000-4521-7788")
    _card(parent, types["library_card"], "LIB-20240115-0042", origin="holder")
    _card(people["inperson"], types["driving_licence"], "DL-65-0012345")
    _card(people["inperson"], types["health_insurance"], "HI-1234567890")
    transit = ApiClient.objects.filter(client_id=TRANSIT_CLIENT_ID).first()
    if transit is None:
        transit = create_api_client(
            agency=agencies["transit"], name="Chiang Mai Transit gates",
            scopes=["one-code:verify", "credentials:write"],
            client_id=TRANSIT_CLIENT_ID, secret=TRANSIT_SECRET,
        ).client  # fmt: skip
    transit.credential_types.set([types["transit_card"]])
    return seed_identity_logins()


def seed_identity_logins() -> list[DemoLogin]:
    """The demo citizens' logins, as printed by `make demo` (no database access)."""
    return [
        DemoLogin(f"{username}@demo.cityportal.local", DEMO_PASSWORD, note)
        for username, note in (
            ("citizen", "basic assurance"),
            ("verified", "substantial; a parent with a mandate for a child; cards"),
            ("inperson", "high; represents Doi Suthep Coffee Co., Ltd."),
        )
    ]


def transit_integrator_token() -> str:
    return f"{TRANSIT_CLIENT_ID}.{TRANSIT_SECRET}"

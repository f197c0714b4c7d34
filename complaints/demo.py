"""Demo working calendars: Chiang Mai (Thailand) and Guangdong (China), inherited by their
cities and districts, with the public holidays of 2026 and 2027. Safe to run again.

The dates are the official lists as best known when written. Holidays that follow the lunar
calendar (Thailand's Buddhist days; China's Spring Festival, Qingming, Dragon Boat and
Mid-Autumn) and China's whole holiday arrangement are announced year by year — the Thai
Cabinet and China's State Council publish them, China's usually in November for the next year —
so the 2027 dates are a projection to be checked against the announcement. China also moves
some weekends to working days ("调休" make-up days, e.g. Saturday 28 February 2026); those are
seeded as make-up working days.
"""

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.hashers import make_password

from complaints.geojson import import_districts
from complaints.models import (
    ComplaintCategory,
    DeadlineUnit,
    District,
    EscalationLevel,
    PublicHoliday,
    Question,
    QuestionChoice,
    RoutingRule,
    WorkingCalendar,
)
from identity.adapters import mark_email_verified
from identity.models import Agency, Jurisdiction, Membership, User

Names = tuple[str, str, str]  # English, Thai, Simplified Chinese

NEW_YEAR_TH: Names = ("New Year's Day", "วันขึ้นปีใหม่", "元旦")
MAKHA: Names = ("Makha Bucha Day", "วันมาฆบูชา", "万佛节")
CHAKRI: Names = ("Chakri Memorial Day", "วันจักรี", "却克里王朝纪念日")
SONGKRAN: Names = ("Songkran Festival", "วันสงกรานต์", "宋干节")
LABOUR_TH: Names = ("National Labour Day", "วันแรงงานแห่งชาติ", "劳动节")
CORONATION: Names = ("Coronation Day", "วันฉัตรมงคล", "加冕纪念日")
VISAKHA: Names = ("Visakha Bucha Day", "วันวิสาขบูชา", "卫塞节")
QUEEN: Names = (
    "Queen Suthida's Birthday",
    "วันเฉลิมพระชนมพรรษาสมเด็จพระนางเจ้าสุทิดา พัชรสุธาพิมลลักษณ พระบรมราชินี",
    "素提达王后诞辰",
)
ASANHA: Names = ("Asanha Bucha Day", "วันอาสาฬหบูชา", "三宝佛节")
LENT: Names = ("Buddhist Lent Day", "วันเข้าพรรษา", "守夏节")
KING: Names = (
    "King Vajiralongkorn's Birthday",
    "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว",
    "玛哈·哇集拉隆功国王诞辰",
)
QUEEN_MOTHER: Names = (
    "Queen Mother's Birthday and Mother's Day",
    "วันเฉลิมพระชนมพรรษาสมเด็จพระบรมราชชนนีพันปีหลวง และวันแม่แห่งชาติ",
    "诗丽吉王太后诞辰暨母亲节",
)
BHUMIBOL_MEMORIAL: Names = (
    "King Bhumibol Memorial Day",
    "วันคล้ายวันสวรรคต พระบาทสมเด็จพระบรมชนกาธิเบศร มหาภูมิพลอดุลยเดชมหาราช บรมนาถบพิตร",
    "普密蓬国王纪念日",
)
CHULALONGKORN: Names = ("Chulalongkorn Day", "วันปิยมหาราช", "朱拉隆功大帝纪念日")
BHUMIBOL_BIRTHDAY: Names = (
    "King Bhumibol's Birthday, National Day and Father's Day",
    "วันคล้ายวันพระบรมราชสมภพ พระบาทสมเด็จพระบรมชนกาธิเบศร มหาภูมิพลอดุลยเดชมหาราช "
    "บรมนาถบพิตร วันชาติ และวันพ่อแห่งชาติ",
    "普密蓬国王诞辰暨国庆日、父亲节",
)
CONSTITUTION: Names = ("Constitution Day", "วันรัฐธรรมนูญ", "宪法日")
NEW_YEARS_EVE: Names = ("New Year's Eve", "วันสิ้นปี", "除夕（新年前夜）")


def _thai_year(year: int, *, makha: date, visakha: date, asanha: date) -> dict[date, Names]:
    """Thailand's government holidays of a year; the three Buddhist days follow the moon."""
    return {
        date(year, 1, 1): NEW_YEAR_TH,
        makha: MAKHA,
        date(year, 4, 6): CHAKRI,
        date(year, 4, 13): SONGKRAN,
        date(year, 4, 14): SONGKRAN,
        date(year, 4, 15): SONGKRAN,
        date(year, 5, 1): LABOUR_TH,
        date(year, 5, 4): CORONATION,
        visakha: VISAKHA,
        date(year, 6, 3): QUEEN,
        asanha: ASANHA,
        asanha + timedelta(days=1): LENT,
        date(year, 7, 28): KING,
        date(year, 8, 12): QUEEN_MOTHER,
        date(year, 10, 13): BHUMIBOL_MEMORIAL,
        date(year, 10, 23): CHULALONGKORN,
        date(year, 12, 5): BHUMIBOL_BIRTHDAY,
        date(year, 12, 10): CONSTITUTION,
        date(year, 12, 31): NEW_YEARS_EVE,
    }


def _with_thai_substitution_days(holidays: dict[date, Names]) -> dict[date, Names]:
    """Thailand gives the next working weekday off for a holiday that falls on a weekend."""
    days = dict(holidays)
    for day, (en, th, zh) in sorted(holidays.items()):
        if day.weekday() < 5:
            continue
        substitute = day + timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in days:
            substitute += timedelta(days=1)
        days[substitute] = (f"Substitution day for {en}", f"วันหยุดชดเชย{th}", f"{zh}补假")
    return days


THAILAND_HOLIDAYS = _with_thai_substitution_days(
    _thai_year(2026, makha=date(2026, 3, 3), visakha=date(2026, 5, 31), asanha=date(2026, 7, 29))
    | _thai_year(2027, makha=date(2027, 2, 20), visakha=date(2027, 5, 20), asanha=date(2027, 7, 18))
)

NEW_YEAR_CN: Names = ("New Year's Day", "วันขึ้นปีใหม่", "元旦")
SPRING: Names = ("Spring Festival", "ตรุษจีน", "春节")
QINGMING: Names = ("Qingming Festival", "เทศกาลเช็งเม้ง", "清明节")
LABOUR_CN: Names = ("Labour Day", "วันแรงงาน", "劳动节")
DRAGON_BOAT: Names = ("Dragon Boat Festival", "เทศกาลไหว้บ๊ะจ่าง", "端午节")
MID_AUTUMN: Names = ("Mid-Autumn Festival", "เทศกาลไหว้พระจันทร์", "中秋节")
NATIONAL_DAY: Names = ("National Day", "วันชาติจีน", "国庆节")


def _days(first: date, last: date, names: Names) -> dict[date, Names]:
    return {first + timedelta(days=n): names for n in range((last - first).days + 1)}


CHINA_HOLIDAYS: dict[date, Names] = (
    # 2026, as the State Council announced it
    _days(date(2026, 1, 1), date(2026, 1, 3), NEW_YEAR_CN)
    | _days(date(2026, 2, 15), date(2026, 2, 23), SPRING)
    | _days(date(2026, 4, 4), date(2026, 4, 6), QINGMING)
    | _days(date(2026, 5, 1), date(2026, 5, 5), LABOUR_CN)
    | _days(date(2026, 6, 19), date(2026, 6, 21), DRAGON_BOAT)
    | _days(date(2026, 9, 25), date(2026, 9, 27), MID_AUTUMN)
    | _days(date(2026, 10, 1), date(2026, 10, 7), NATIONAL_DAY)
    # 2027, projected from the statutory days until the announcement
    | _days(date(2027, 1, 1), date(2027, 1, 3), NEW_YEAR_CN)
    | _days(date(2027, 2, 5), date(2027, 2, 12), SPRING)
    | _days(date(2027, 4, 3), date(2027, 4, 5), QINGMING)
    | _days(date(2027, 5, 1), date(2027, 5, 5), LABOUR_CN)
    | _days(date(2027, 6, 9), date(2027, 6, 9), DRAGON_BOAT)
    | _days(date(2027, 9, 15), date(2027, 9, 15), MID_AUTUMN)
    | _days(date(2027, 10, 1), date(2027, 10, 7), NATIONAL_DAY)
)
# Weekends worked in exchange ("调休上班").
CHINA_MAKE_UP_WORKING_DAYS = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]

# Jurisdiction code → (weekdays, working hours, holidays); cities and districts below inherit.
MAKE_UP_NAME: Names = ("Make-up working day", "วันทำงานชดเชย", "调休上班")
DEMO_MAKE_UP_DAYS: dict[str, list[date]] = {"cn-guangdong": CHINA_MAKE_UP_WORKING_DAYS}
DEMO_CALENDARS: dict[str, tuple[list[int], tuple[time, time], dict[date, Names]]] = {
    "th-chiang-mai": ([0, 1, 2, 3, 4], (time(8, 30), time(16, 30)), THAILAND_HOLIDAYS),
    "cn-guangdong": ([0, 1, 2, 3, 4], (time(9), time(18)), CHINA_HOLIDAYS),
}


def seed_calendars() -> dict[str, WorkingCalendar]:
    """Create or refresh the demo calendars and their holidays."""
    calendars: dict[str, WorkingCalendar] = {}
    for code, (weekdays, (starts, ends), holidays) in DEMO_CALENDARS.items():
        jurisdiction = Jurisdiction.objects.get(code=code)
        calendar, _ = WorkingCalendar.objects.update_or_create(
            jurisdiction=jurisdiction,
            defaults={"working_weekdays": weekdays, "day_starts": starts, "day_ends": ends},
        )
        for day, (en, th, zh) in sorted(holidays.items()):
            PublicHoliday.objects.update_or_create(
                calendar=calendar,
                date=day,
                defaults={"name_en": en, "name_th": th, "name_zh_hans": zh},
            )
        en, th, zh = MAKE_UP_NAME
        for day in DEMO_MAKE_UP_DAYS.get(code, []):
            PublicHoliday.objects.update_or_create(
                calendar=calendar,
                date=day,
                defaults={
                    "kind": PublicHoliday.Kind.WORKING_DAY,
                    "name_en": en,
                    "name_th": th,
                    "name_zh_hans": zh,
                },
            )
        calendars[code] = calendar
    return calendars


# The complaints catalogue ------------------------------------------------------------------
#
# Chiang Mai City and Shenzhen get the same category tree (names, descriptions and keywords in
# English, Thai and Simplified Chinese), their districts, the agencies that handle each kind of
# report (with a supervisor and an officer each, and a dispatcher per city), routing rules by
# category, district, time of day and answer, and a two-level escalation ladder. Everything is
# keyed by code, so a second run updates in place.


class T(NamedTuple):
    """One text in English, Thai and Simplified Chinese."""

    en: str
    th: str
    zh: str


def translated(name: str, text: T) -> dict[str, str]:
    return {f"{name}_en": text.en, f"{name}_th": text.th, f"{name}_zh_hans": text.zh}


CITIES = {"cm": "th-chiang-mai-city", "sz": "cn-shenzhen"}


@dataclass(frozen=True)
class DemoQuestion:
    code: str
    datatype: str
    text: T
    hint: T | None = None
    is_required: bool = False
    choices: tuple[tuple[str, T], ...] = ()


@dataclass(frozen=True)
class DemoCategory:
    """A node of the tree; a leaf (no children) carries the reporting settings. `handler`
    names the kind of agency that handles it by default (AGENCY_FOR), None: the dispatcher."""

    code: str
    name: T
    description: T
    keywords: T
    children: tuple["DemoCategory", ...] = ()
    handler: str | None = None
    deadline: tuple[int, str] = (5, DeadlineUnit.WORKING_DAYS)
    first_contact_hours: int = 24
    allows_anonymous: bool = False
    is_public: bool = True
    duplicate_radius_m: int = 50
    duplicate_window_days: int = 14
    questions: tuple[DemoQuestion, ...] = ()


DAYS, HOURS = DeadlineUnit.WORKING_DAYS, DeadlineUnit.WORKING_HOURS
ONE_CHOICE, SHORT_TEXT = Question.Datatype.SINGLE, Question.Datatype.STRING

POLE_NUMBER = DemoQuestion(
    "pole_number",
    SHORT_TEXT,
    T("The number on the pole, if you can see it", "หมายเลขบนเสาไฟ (ถ้ามองเห็น)",
      "灯杆上的编号（如能看到）"),
    hint=T("Painted on the pole or on a small metal plate, e.g. 0412",
           "มักพ่นสีไว้ที่เสาหรือติดแผ่นโลหะเล็ก ๆ เช่น 0412",
           "通常喷涂在灯杆上或钉有小铁牌，例如 0412"),
)  # fmt: skip

CATALOGUE: tuple[DemoCategory, ...] = (
    DemoCategory(
        "roads",
        T("Roads and footpaths", "ถนนและทางเท้า", "道路与人行道"),
        T("Holes, cracks and damage on roads and footpaths.",
          "หลุม รอยแตก และความเสียหายบนถนนและทางเท้า",
          "道路和人行道上的坑洞、裂缝及其他损坏。"),
        T("road, street, footpath, pavement", "ถนน, ทางเท้า, ฟุตบาท", "道路, 马路, 人行道"),
        children=(
            DemoCategory(
                "roads-potholes",
                T("Potholes", "ถนนเป็นหลุมเป็นบ่อ", "路面坑洼"),
                T("A hole or sunken patch in the road surface.", "ผิวถนนเป็นหลุมหรือยุบตัว",
                  "路面出现坑洞或塌陷。"),
                T("pothole, hole, crater, sunken road, asphalt",
                  "หลุม, หลุมบ่อ, ถนนพัง, ถนนยุบ, ยางมะตอย", "坑, 坑洼, 坑洞, 塌陷, 沥青"),
                handler="roads", deadline=(3, DAYS), duplicate_radius_m=30,
                questions=(
                    DemoQuestion(
                        "size", ONE_CHOICE,
                        T("How big is the hole?", "หลุมมีขนาดใหญ่แค่ไหน", "坑洞有多大？"),
                        is_required=True,
                        choices=(
                            ("small", T("Smaller than a plate", "เล็กกว่าจานข้าว", "比盘子小")),
                            ("medium", T("About a car tyre", "ประมาณยางรถยนต์",
                                         "和汽车轮胎差不多")),
                            ("large", T("Wider than a car tyre, or deep",
                                        "ใหญ่กว่ายางรถยนต์หรือลึกมาก", "比汽车轮胎还大，或很深")),
                        ),
                    ),
                ),
            ),
            DemoCategory(
                "roads-footpath",
                T("Damaged footpath", "ทางเท้าชำรุด", "人行道破损"),
                T("Broken, loose or uneven paving, kerbs or covers on a footpath.",
                  "แผ่นปูทางเท้าแตก หลุด หรือไม่เรียบ ขอบทางหรือฝาท่อบนทางเท้าชำรุด",
                  "人行道地砖破碎、松动或不平，路缘石或井盖损坏。"),
                T("footpath, pavement, paving, kerb, tiles, trip",
                  "ทางเท้า, ฟุตบาท, แผ่นปู, ขอบทาง, สะดุด", "人行道, 地砖, 路缘石, 井盖, 绊倒"),
                handler="roads", deadline=(10, DAYS),
            ),
        ),
    ),
    DemoCategory(
        "lighting",
        T("Street lighting", "ไฟฟ้าส่องสว่างสาธารณะ", "路灯照明"),
        T("Street lights that are out or faulty.", "ไฟถนนที่ดับหรือชำรุด", "不亮或有故障的路灯。"),
        T("street light, lamp, lighting", "ไฟถนน, เสาไฟ, ไฟส่องสว่าง", "路灯, 灯杆, 照明"),
        children=(
            DemoCategory(
                "lighting-out",
                T("Street light out", "ไฟถนนดับ", "路灯不亮"),
                T("A street light that stays dark at night.", "ไฟถนนไม่ติดในเวลากลางคืน",
                  "路灯夜间不亮。"),
                T("light out, dark, broken lamp, no light", "ไฟดับ, มืด, หลอดขาด, ไฟไม่ติด",
                  "路灯不亮, 灯坏了, 黑, 没有灯"),
                handler="lighting", deadline=(5, DAYS), duplicate_radius_m=30,
                questions=(POLE_NUMBER,),
            ),
            DemoCategory(
                "lighting-flickering",
                T("Flickering street light", "ไฟถนนกะพริบ", "路灯闪烁"),
                T("A street light that flickers, buzzes or stays on in daytime.",
                  "ไฟถนนกะพริบ มีเสียงดัง หรือเปิดค้างในเวลากลางวัน",
                  "路灯闪烁、有嗡嗡声或白天常亮。"),
                T("flicker, flashing, buzzing, on in daytime",
                  "กะพริบ, ติดๆดับๆ, เสียงหึ่ง, เปิดค้าง", "闪烁, 忽明忽暗, 嗡嗡, 白天亮"),
                handler="lighting", deadline=(5, DAYS), duplicate_radius_m=30,
                questions=(POLE_NUMBER,),
            ),
        ),
    ),
    DemoCategory(
        "noise",
        T("Noise", "เสียงรบกวน", "噪音扰民"),
        T("Noise that disturbs residents.", "เสียงดังรบกวนผู้อยู่อาศัย", "影响居民生活的噪音。"),
        T("noise, loud, sound", "เสียงดัง, เสียงรบกวน, หนวกหู", "噪音, 吵, 声音大"),
        children=(
            DemoCategory(
                "noise-construction",
                T("Construction at night", "เสียงก่อสร้างยามวิกาล", "夜间施工噪音"),
                T("Building or road works making noise late at night or early in the morning.",
                  "งานก่อสร้างหรืองานถนนส่งเสียงดังในเวลากลางคืนหรือเช้ามืด",
                  "深夜或清晨的建筑或道路施工噪音。"),
                T("construction, building site, drilling, pile driver, night works",
                  "ก่อสร้าง, ไซต์งาน, เครื่องเจาะ, ตอกเสาเข็ม, ทำงานกลางคืน",
                  "施工, 工地, 电钻, 打桩, 夜间施工"),
                handler="construction_noise", deadline=(2, DAYS), first_contact_hours=12,
                allows_anonymous=True, duplicate_radius_m=150, duplicate_window_days=3,
                questions=(
                    DemoQuestion(
                        "still_going", ONE_CHOICE,
                        T("Is the noise still going on?", "ตอนนี้ยังมีเสียงอยู่หรือไม่",
                          "噪音现在还在持续吗？"),
                        is_required=True,
                        choices=(
                            ("yes", T("Yes", "ใช่ ยังมีเสียงอยู่", "是，还在持续")),
                            ("no", T("No, it has stopped", "ไม่ หยุดแล้ว", "没有，已经停了")),
                        ),
                    ),
                ),
            ),
            DemoCategory(
                "noise-neighbours",
                T("Neighbours and entertainment venues", "เสียงดังจากเพื่อนบ้านและสถานบันเทิง",
                  "邻里及娱乐场所噪音"),
                T("Loud music, parties, bars or karaoke.",
                  "เสียงเพลงดัง งานเลี้ยง บาร์ หรือคาราโอเกะ",
                  "音乐声过大、聚会、酒吧或卡拉OK噪音。"),
                T("music, party, bar, karaoke, neighbour",
                  "เพลง, ปาร์ตี้, บาร์, คาราโอเกะ, เพื่อนบ้าน", "音乐, 派对, 酒吧, 卡拉OK, 邻居"),
                handler="neighbour_noise", deadline=(5, DAYS), allows_anonymous=True,
                # About neighbours: never published as open data.
                is_public=False, duplicate_radius_m=100, duplicate_window_days=7,
            ),
        ),
    ),
    DemoCategory(
        "sanitation",
        T("Rubbish and cleanliness", "ขยะและความสะอาด", "垃圾与环境卫生"),
        T("Rubbish collection and clean streets.", "การเก็บขยะและความสะอาดของถนน",
          "垃圾清运与街道清洁。"),
        T("rubbish, garbage, waste, litter", "ขยะ, มูลฝอย, ความสะอาด", "垃圾, 废物, 卫生"),
        children=(
            DemoCategory(
                "sanitation-missed",
                T("Rubbish not collected", "ขยะไม่ได้รับการจัดเก็บ", "垃圾未清运"),
                T("Bins or bags not collected on the usual day.",
                  "ขยะไม่ถูกเก็บตามวันที่กำหนด", "垃圾桶或垃圾袋未按时清运。"),
                T("bins, collection, overflowing, bin day, recycling",
                  "ถังขยะ, เก็บขยะ, ขยะล้น, รถขยะ, รีไซเคิล", "垃圾桶, 清运, 满溢, 垃圾车, 回收"),
                handler="sanitation", deadline=(2, DAYS), duplicate_radius_m=100,
                duplicate_window_days=3,
                questions=(
                    DemoQuestion(
                        "bin_type", ONE_CHOICE,
                        T("Which rubbish was not collected?", "ขยะประเภทใดที่ไม่ได้รับการจัดเก็บ",
                          "哪类垃圾没有清运？"),
                        choices=(
                            ("general", T("General waste", "ขยะทั่วไป", "其他垃圾")),
                            ("recyclable", T("Recyclables", "ขยะรีไซเคิล", "可回收物")),
                            ("food", T("Food waste", "ขยะเศษอาหาร", "厨余垃圾")),
                        ),
                    ),
                ),
            ),
            DemoCategory(
                "sanitation-dumping",
                T("Illegal dumping", "ลักลอบทิ้งขยะ", "乱倒垃圾"),
                T("Rubbish, rubble or furniture left in a public place.",
                  "มีการทิ้งขยะ เศษวัสดุก่อสร้าง หรือเฟอร์นิเจอร์ในที่สาธารณะ",
                  "公共场所被丢弃垃圾、建筑废料或旧家具。"),
                T("dumping, fly-tipping, rubble, mattress, sofa",
                  "ทิ้งขยะ, ลักลอบทิ้ง, เศษวัสดุ, ที่นอน, โซฟา", "乱倒, 乱扔, 建筑垃圾, 床垫, 沙发"),
                handler="sanitation", deadline=(5, DAYS), allows_anonymous=True,
            ),
        ),
    ),
    DemoCategory(
        "water",
        T("Water supply", "น้ำประปา", "供水"),
        T("Mains water supply and leaks.", "ระบบน้ำประปาและท่อรั่ว", "自来水供应与漏水。"),
        T("water, tap, pipe, mains", "น้ำประปา, ก๊อกน้ำ, ท่อ", "自来水, 水龙头, 水管"),
        children=(
            DemoCategory(
                "water-leak",
                T("Water leak", "ท่อประปารั่ว", "水管漏水"),
                T("Water leaking from a pipe, valve or hydrant in the street.",
                  "น้ำรั่วจากท่อ วาล์ว หรือหัวดับเพลิงริมถนน",
                  "街道上的水管、阀门或消防栓漏水。"),
                T("leak, burst pipe, flooding, hydrant, water running",
                  "รั่ว, ท่อแตก, น้ำท่วมขัง, หัวดับเพลิง, น้ำไหล", "漏水, 爆管, 积水, 消防栓, 冒水"),
                handler="water", deadline=(16, HOURS), first_contact_hours=6,
                allows_anonymous=True, duplicate_radius_m=80, duplicate_window_days=3,
                questions=(
                    DemoQuestion(
                        "leak_size", ONE_CHOICE,
                        T("How much water is coming out?", "น้ำรั่วออกมามากแค่ไหน",
                          "漏水量有多大？"),
                        is_required=True,
                        choices=(
                            ("drip", T("Dripping", "ซึมหรือหยด", "滴漏")),
                            ("flow", T("Flowing steadily", "ไหลต่อเนื่อง", "持续流水")),
                            ("burst", T("Gushing, a burst pipe", "พุ่งแรง ท่อแตก",
                                        "喷涌，水管爆裂")),
                        ),
                    ),
                ),
            ),
            DemoCategory(
                "water-outage",
                T("No water", "น้ำประปาไม่ไหล", "停水"),
                T("No water or very low pressure at the tap.", "น้ำประปาไม่ไหลหรือไหลอ่อนมาก",
                  "家中停水或水压过低。"),
                T("no water, low pressure, outage, dry tap",
                  "น้ำไม่ไหล, น้ำไหลอ่อน, น้ำประปาหยุด", "停水, 没水, 水压低, 断水"),
                handler="water", deadline=(8, HOURS), first_contact_hours=4,
                duplicate_radius_m=500, duplicate_window_days=2,
            ),
        ),
    ),
    DemoCategory(
        "parks",
        T("Parks and trees", "สวนสาธารณะและต้นไม้", "公园与绿化"),
        T("Public parks, playgrounds and street trees.",
          "สวนสาธารณะ สนามเด็กเล่น และต้นไม้ริมทาง", "公园、儿童游乐场和行道树。"),
        T("park, playground, tree, garden", "สวนสาธารณะ, สนามเด็กเล่น, ต้นไม้",
          "公园, 游乐场, 树木, 绿化"),
        children=(
            DemoCategory(
                "parks-equipment",
                T("Damaged park equipment", "อุปกรณ์ในสวนสาธารณะชำรุด", "公园设施损坏"),
                T("Broken swings, benches, exercise machines or fences in a park.",
                  "ชิงช้า ม้านั่ง เครื่องออกกำลังกาย หรือรั้วในสวนสาธารณะชำรุด",
                  "公园内秋千、长椅、健身器材或围栏损坏。"),
                T("swing, slide, bench, exercise machine, fence",
                  "ชิงช้า, สไลเดอร์, ม้านั่ง, เครื่องออกกำลังกาย, รั้ว",
                  "秋千, 滑梯, 长椅, 健身器材, 围栏"),
                handler="parks", deadline=(10, DAYS),
            ),
            DemoCategory(
                "parks-tree",
                T("Fallen tree", "ต้นไม้ล้ม", "树木倒伏"),
                T("A tree or large branch that has fallen or is about to.",
                  "ต้นไม้หรือกิ่งไม้ใหญ่หักโค่นหรือกำลังจะล้ม", "树木或大树枝倒伏或有倒伏危险。"),
                T("fallen tree, branch, storm, leaning tree",
                  "ต้นไม้ล้ม, กิ่งไม้หัก, พายุ, ต้นไม้เอียง", "倒树, 树枝, 暴风雨, 树木倾斜"),
                handler="parks", deadline=(8, HOURS), first_contact_hours=4,
                duplicate_window_days=3,
                questions=(
                    DemoQuestion(
                        "blocking", ONE_CHOICE,
                        T("Is it blocking the way?", "กีดขวางทางสัญจรหรือไม่", "是否阻挡通行？"),
                        is_required=True,
                        choices=(
                            ("road", T("Blocking the road", "ขวางถนน", "挡住车行道")),
                            ("footpath", T("Blocking the footpath", "ขวางทางเท้า",
                                           "挡住人行道")),
                            ("none", T("Not blocking anything", "ไม่กีดขวาง", "未阻挡通行")),
                        ),
                    ),
                ),
            ),
        ),
    ),
    DemoCategory(
        "traffic",
        T("Traffic", "การจราจร", "交通"),
        T("Traffic signals and parking.", "สัญญาณไฟจราจรและการจอดรถ", "交通信号灯与停车。"),
        T("traffic, junction, car, parking", "จราจร, สี่แยก, รถยนต์, ที่จอดรถ",
          "交通, 路口, 汽车, 停车"),
        children=(
            DemoCategory(
                "traffic-signal",
                T("Traffic signal not working", "สัญญาณไฟจราจรขัดข้อง", "交通信号灯故障"),
                T("Traffic lights that are dark, stuck or flashing.",
                  "สัญญาณไฟจราจรดับ ค้าง หรือกะพริบ", "交通信号灯不亮、卡住或一直闪烁。"),
                T("traffic light, signal, junction, red light",
                  "ไฟจราจร, สัญญาณไฟ, สี่แยก, ไฟแดง", "红绿灯, 信号灯, 路口, 红灯"),
                handler="traffic", deadline=(8, HOURS), first_contact_hours=2,
                duplicate_window_days=2,
                questions=(
                    DemoQuestion(
                        "signal_state", ONE_CHOICE,
                        T("What are the lights doing?", "สัญญาณไฟเป็นอย่างไร",
                          "信号灯现在是什么状态？"),
                        is_required=True,
                        choices=(
                            ("dark", T("All dark", "ดับทั้งหมด", "全部不亮")),
                            ("stuck", T("Stuck on one colour", "ค้างอยู่สีเดียว",
                                        "一直停在同一种颜色")),
                            ("flashing", T("Flashing", "กะพริบตลอด", "一直闪烁")),
                        ),
                    ),
                ),
            ),
            DemoCategory(
                "traffic-parking",
                T("Illegal parking", "จอดรถผิดกฎหมาย", "违章停车"),
                T("Vehicles blocking footpaths, driveways or no-parking zones.",
                  "รถจอดกีดขวางทางเท้า ทางเข้าออก หรือจอดในที่ห้ามจอด",
                  "车辆占用人行道、堵塞出入口或在禁停区停放。"),
                T("parking, parked car, blocking, driveway, footpath parking",
                  "จอดรถ, จอดขวาง, ทางเข้าออก, จอดบนทางเท้า, ห้ามจอด",
                  "违停, 乱停车, 堵门, 占用人行道, 禁停"),
                handler="traffic", deadline=(1, DAYS), allows_anonymous=True,
                duplicate_radius_m=30, duplicate_window_days=1,
            ),
        ),
    ),
    DemoCategory(
        "transport",
        T("Public transport", "ขนส่งสาธารณะ", "公共交通"),
        T("Buses and bus stops.", "รถโดยสารประจำทางและป้ายรถประจำทาง", "公交车与公交站。"),
        T("bus, public transport, stop", "รถเมล์, รถประจำทาง, ขนส่งสาธารณะ",
          "公交, 公共交通, 车站"),
        children=(
            DemoCategory(
                "transport-stop",
                T("Damaged bus stop", "ป้ายรถประจำทางชำรุด", "公交站台损坏"),
                T("A damaged shelter, seat, sign or timetable at a bus stop.",
                  "หลังคา ที่นั่ง ป้าย หรือตารางเวลาที่ป้ายรถประจำทางชำรุด",
                  "公交站的候车亭、座椅、站牌或时刻表损坏。"),
                T("bus stop, shelter, timetable, sign", "ป้ายรถเมล์, ที่พักผู้โดยสาร, ตารางเวลา",
                  "公交站, 候车亭, 站牌, 时刻表"),
                handler="transport", deadline=(10, DAYS),
            ),
            DemoCategory(
                "transport-late",
                T("Buses late or missing", "รถประจำทางล่าช้าหรือไม่มาตามเวลา",
                  "公交晚点或不到站"),
                T("Buses that are late, skip stops or do not come.",
                  "รถประจำทางมาช้า ไม่จอดป้าย หรือไม่มาเลย", "公交车晚点、过站不停或迟迟不来。"),
                T("late bus, waiting, skipped stop, timetable, route",
                  "รถเมล์มาช้า, รอนาน, ไม่จอดป้าย, สายรถ", "晚点, 等车, 过站不停, 线路"),
                handler="transport", deadline=(15, DAYS), duplicate_radius_m=200,
                duplicate_window_days=1,
                questions=(
                    DemoQuestion(
                        "route", SHORT_TEXT,
                        T("Which bus route?", "รถประจำทางสายใด", "哪一路公交车？"),
                        hint=T("The route number, e.g. R1", "หมายเลขสาย เช่น R1",
                               "线路编号，例如 M390"),
                        is_required=True,
                    ),
                ),
            ),
        ),
    ),
    DemoCategory(
        "other",
        T("Something else", "เรื่องอื่น ๆ", "其他问题"),
        T("Anything else about public space or city services; a dispatcher sends it to the "
          "right agency.",
          "เรื่องอื่น ๆ เกี่ยวกับพื้นที่สาธารณะหรือบริการของเมือง เจ้าหน้าที่จะส่งต่อให้หน่วยงาน"
          "ที่รับผิดชอบ",
          "其他涉及公共空间或城市服务的问题，由调度员转交责任部门。"),
        T("other, something else, stray dogs, sign, graffiti",
          "อื่น ๆ, สุนัขจรจัด, ป้าย, กราฟฟิตี", "其他, 流浪狗, 招牌, 涂鸦"),
        deadline=(10, DAYS),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoAgency:
    code: str
    jurisdiction: str
    name: T


# The agencies complaints go to. Those the identity and services demos make are looked up by
# code and made here only when missing (seeding complaints alone, as the tests do).
AGENCIES: tuple[DemoAgency, ...] = (
    DemoAgency("cm-municipality", CITIES["cm"],
               T("Chiang Mai City Municipality", "เทศบาลนครเชียงใหม่", "清迈市政府")),
    DemoAgency("cm-public-works", CITIES["cm"],
               T("Public Works Division, Chiang Mai City", "กองช่าง เทศบาลนครเชียงใหม่",
                 "清迈市政府工务处")),
    DemoAgency("cm-environment", CITIES["cm"],
               T("Public Health and Environment Division, Chiang Mai City",
                 "กองสาธารณสุขและสิ่งแวดล้อม เทศบาลนครเชียงใหม่", "清迈市政府公共卫生与环境处")),
    DemoAgency("cm-kawila-office", CITIES["cm"],
               T("Kawila District Office", "สำนักงานแขวงกาวิละ", "清迈市卡威拉区办事处")),
    DemoAgency("cm-nakhon-ping-office", CITIES["cm"],
               T("Nakhon Ping District Office", "สำนักงานแขวงนครพิงค์", "清迈市那空滨区办事处")),
    DemoAgency("cm-law-enforcement", CITIES["cm"],
               T("Municipal Law Enforcement (night duty)", "ฝ่ายเทศกิจ เทศบาลนครเชียงใหม่ (เวรกลางคืน)",
                 "清迈市城管执法队（夜间值班）")),
    DemoAgency("cm-waterworks", CITIES["cm"],
               T("Provincial Waterworks Authority, Chiang Mai Branch",
                 "การประปาส่วนภูมิภาคสาขาเชียงใหม่", "泰国地方自来水管理局清迈分局")),
    DemoAgency("cm-traffic-police", CITIES["cm"],
               T("Mueang Chiang Mai Traffic Police", "งานจราจร สถานีตำรวจภูธรเมืองเชียงใหม่",
                 "清迈直辖县警察局交通科")),
    DemoAgency("cm-electricity", CITIES["cm"],
               T("Provincial Electricity Authority, Chiang Mai", "การไฟฟ้าส่วนภูมิภาคจังหวัดเชียงใหม่",
                 "泰国地方电力局清迈府分局")),
    DemoAgency("cm-transit", CITIES["cm"],
               T("Chiang Mai Transit", "ขนส่งมวลชนเชียงใหม่", "清迈公交")),
    DemoAgency("cm-damrongdham", "th-chiang-mai",
               T("Chiang Mai Damrongdham Centre", "ศูนย์ดำรงธรรมจังหวัดเชียงใหม่",
                 "清迈府民众投诉受理中心")),
    DemoAgency("sz-government-services", CITIES["sz"],
               T("Shenzhen Government Services", "ศูนย์บริการรัฐเซินเจิ้น", "深圳市政务服务")),
    DemoAgency("sz-urban-management", CITIES["sz"],
               T("Shenzhen Urban Management and Law Enforcement Bureau",
                 "สำนักงานบริหารจัดการเมืองและบังคับใช้กฎหมายเซินเจิ้น",
                 "深圳市城市管理和综合执法局")),
    DemoAgency("sz-transport", CITIES["sz"],
               T("Shenzhen Transport Bureau", "สำนักงานการขนส่งเซินเจิ้น", "深圳市交通运输局")),
    DemoAgency("sz-traffic-police", CITIES["sz"],
               T("Shenzhen Traffic Police", "ตำรวจจราจรเซินเจิ้น", "深圳市公安局交通警察局")),
    DemoAgency("sz-ecology-environment", CITIES["sz"],
               T("Shenzhen Ecology and Environment Bureau",
                 "สำนักงานนิเวศวิทยาและสิ่งแวดล้อมเซินเจิ้น", "深圳市生态环境局")),
    DemoAgency("sz-public-security", CITIES["sz"],
               T("Shenzhen Public Security Bureau", "สำนักงานความมั่นคงสาธารณะเซินเจิ้น",
                 "深圳市公安局")),
    DemoAgency("sz-water", CITIES["sz"],
               T("Shenzhen Water Group", "บริษัทน้ำประปาเซินเจิ้น", "深圳市水务集团")),
    DemoAgency("sz-futian-urban-management", "cn-futian",
               T("Futian District Urban Management Bureau",
                 "สำนักงานบริหารจัดการเมืองเขตฝูเถียน", "福田区城市管理和综合执法局")),
    DemoAgency("sz-nanshan-urban-management", "cn-nanshan",
               T("Nanshan District Urban Management Bureau",
                 "สำนักงานบริหารจัดการเมืองเขตหนานซาน", "南山区城市管理和综合执法局")),
    DemoAgency("sz-supervision", CITIES["sz"],
               T("Shenzhen Government Supervision Office", "สำนักงานตรวจราชการรัฐบาลนครเซินเจิ้น",
                 "深圳市人民政府督查室")),
)  # fmt: skip
EXISTING_AGENCIES = frozenset(
    {"cm-municipality", "cm-transit", "sz-government-services", "sz-public-security"}
)
# Which agency handles each kind of report by default, per city.
AGENCY_FOR: dict[str, dict[str, str]] = {
    "cm": {
        "roads": "cm-public-works", "lighting": "cm-public-works",
        "construction_noise": "cm-environment", "neighbour_noise": "cm-environment",
        "sanitation": "cm-environment", "water": "cm-waterworks", "parks": "cm-environment",
        "traffic": "cm-traffic-police", "transport": "cm-transit",
    },
    "sz": {
        "roads": "sz-transport", "lighting": "sz-urban-management",
        "construction_noise": "sz-ecology-environment", "neighbour_noise": "sz-public-security",
        "sanitation": "sz-urban-management", "water": "sz-water", "parks": "sz-urban-management",
        "traffic": "sz-traffic-police", "transport": "sz-transport",
    },
}  # fmt: skip
DISPATCHERS = {"cm": "cm-municipality", "sz": "sz-government-services"}
OVERSIGHT = {"cm": "cm-damrongdham", "sz": "sz-supervision"}


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


# Districts as simple polygons around the real ones (WGS 84 longitude, latitude). Chiang Mai
# City's four municipal districts (แขวง) meet near the old city; the Ping river is Kawila's
# western edge. Shenzhen's central districts run west to east along the bay.
DISTRICTS: dict[str, tuple[tuple[str, T, dict[str, Any]], ...]] = {
    "cm": (
        ("srivijaya", T("Srivijaya", "แขวงศรีวิชัย", "斯里威差区"),
         _box(98.940, 18.750, 98.975, 18.835)),
        ("nakhon-ping", T("Nakhon Ping", "แขวงนครพิงค์", "那空滨区"),
         _box(98.975, 18.795, 99.000, 18.835)),
        ("mengrai", T("Mengrai", "แขวงเม็งราย", "孟莱区"), _box(98.975, 18.750, 99.000, 18.795)),
        ("kawila", T("Kawila", "แขวงกาวิละ", "卡威拉区"), _box(99.000, 18.750, 99.030, 18.835)),
    ),
    "sz": (
        ("nanshan", T("Nanshan", "เขตหนานซาน", "南山区"), _box(113.880, 22.480, 114.000, 22.600)),
        ("futian", T("Futian", "เขตฝูเถียน", "福田区"), _box(114.000, 22.500, 114.100, 22.590)),
        ("luohu", T("Luohu", "เขตหลัวหู", "罗湖区"), _box(114.100, 22.530, 114.200, 22.620)),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DemoRule:
    priority: int
    name: str
    agency: str
    categories: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    hours: tuple[time, time] | None = None
    answers: dict[str, Any] = field(default_factory=dict)


RULES: dict[str, tuple[DemoRule, ...]] = {
    "cm": (
        DemoRule(10, "Noise at night to the night duty", "cm-law-enforcement",
                 categories=("noise",), hours=(time(22), time(6))),
        DemoRule(15, "Large potholes to the road crew", "cm-public-works",
                 categories=("roads-potholes",), answers={"size": "large"}),
        DemoRule(16, "Trees blocking a road to the road crew", "cm-public-works",
                 categories=("parks-tree",), answers={"blocking": "road"}),
        DemoRule(20, "Roads and lights in Kawila to the Kawila office", "cm-kawila-office",
                 categories=("roads", "lighting"), districts=("kawila",)),
        DemoRule(30, "Roads and lights in Nakhon Ping to the Nakhon Ping office",
                 "cm-nakhon-ping-office", categories=("roads", "lighting"),
                 districts=("nakhon-ping",)),
    ),
    "sz": (
        DemoRule(10, "Construction noise at night to urban management", "sz-urban-management",
                 categories=("noise-construction",), hours=(time(22), time(7))),
        DemoRule(20, "Streets in Futian to the Futian bureau", "sz-futian-urban-management",
                 categories=("roads", "lighting", "sanitation"), districts=("futian",)),
        DemoRule(30, "Streets in Nanshan to the Nanshan bureau", "sz-nanshan-urban-management",
                 categories=("roads", "lighting", "sanitation"), districts=("nanshan",)),
    ),
}  # fmt: skip
# Level 1: the handling agency's supervisors at the missed deadline; level 2: the city's
# oversight a working day (8 working hours) later.
LADDER_DELAY_HOURS = (0, 8)

STAFF_DOMAIN = "demo.cityportal.local"


def staff_username(agency_code: str, role: str) -> str:
    return f"{agency_code}.{role}"


# Agencies that take over what another refuses or passes on (complaints/demo_stories.py).
TAKING_OVER = ("cm-electricity", "cm-law-enforcement")


def _handling_agencies() -> list[str]:
    codes = {code for city in AGENCY_FOR.values() for code in city.values()}
    codes |= {rule.agency for city in RULES.values() for rule in city}
    return sorted(codes | set(OVERSIGHT.values()) | set(TAKING_OVER))


@dataclass
class DemoCatalogue:
    """What the complaints demo made, by city key ("cm", "sz") and code."""

    jurisdictions: dict[str, Jurisdiction]
    categories: dict[str, dict[str, ComplaintCategory]]
    districts: dict[str, dict[str, District]]
    agencies: dict[str, Agency]
    staff: dict[tuple[str, str], User]  # (agency code, role) → user


def seed_complaints_catalogue(*, staff_password: str) -> DemoCatalogue:
    """The complaints catalogue of both demo cities, their agencies with staff accounts
    (`staff_password` for all), routing rules and escalation ladders. Safe to run again."""
    jurisdictions = {key: Jurisdiction.objects.get(code=code) for key, code in CITIES.items()}
    agencies = _seed_agencies()
    staff = _seed_staff(agencies, password=staff_password)
    categories = {
        key: _seed_tree(jurisdictions[key], CATALOGUE, agencies, AGENCY_FOR[key]) for key in CITIES
    }
    districts = {key: _seed_districts(jurisdictions[key], DISTRICTS[key]) for key in CITIES}
    for key in CITIES:
        _seed_rules(jurisdictions[key], RULES[key], categories[key], districts[key], agencies)
        for level, delay in enumerate(LADDER_DELAY_HOURS, start=1):
            oversight = agencies[OVERSIGHT[key]] if level > 1 else None
            EscalationLevel.objects.update_or_create(
                jurisdiction=jurisdictions[key],
                level=level,
                defaults={
                    "target": EscalationLevel.Target.OVERSIGHT
                    if oversight
                    else EscalationLevel.Target.AGENCY_SUPERVISORS,
                    "oversight_agency": oversight,
                    "delay_hours": delay,
                },
            )
    return DemoCatalogue(jurisdictions, categories, districts, agencies, staff)


def _seed_agencies() -> dict[str, Agency]:
    places = {j.code: j for j in Jurisdiction.objects.all()}
    agencies = {}
    for spec in AGENCIES:
        names = translated("name", spec.name)
        if spec.code in EXISTING_AGENCIES:
            agency, _ = Agency.objects.get_or_create(
                code=spec.code,
                defaults={"jurisdiction": places[spec.jurisdiction], "name": spec.name.en, **names},
            )
        else:
            agency, _ = Agency.objects.update_or_create(
                code=spec.code,
                defaults={"jurisdiction": places[spec.jurisdiction], "name": spec.name.en, **names},
            )
        agencies[spec.code] = agency
    return agencies


def _seed_staff(agencies: dict[str, Agency], *, password: str) -> dict[tuple[str, str], User]:
    """A supervisor and an officer for every agency complaints go to (and the oversight), a
    dispatcher per city. One password hash for all: hashing is slow on purpose."""
    hashed = make_password(password)
    roles = [(code, role) for code in _handling_agencies() for role in ("supervisor", "officer")]
    roles += [(code, "dispatcher") for code in DISPATCHERS.values()]
    staff = {}
    for code, role in roles:
        username = staff_username(code, role)
        user, _ = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@{STAFF_DOMAIN}"}
        )
        user.is_staff = True
        user.password = hashed
        user.save()
        mark_email_verified(user)
        Membership.objects.get_or_create(user=user, agency=agencies[code], role=role)
        staff[(code, role)] = user
    return staff


def _seed_tree(
    jurisdiction: Jurisdiction,
    nodes: tuple[DemoCategory, ...],
    agencies: dict[str, Agency],
    handlers: dict[str, str],
    parent: ComplaintCategory | None = None,
) -> dict[str, ComplaintCategory]:
    seeded: dict[str, ComplaintCategory] = {}
    for order, node in enumerate(nodes, start=1):
        amount, unit = node.deadline
        category, _ = ComplaintCategory.objects.update_or_create(
            jurisdiction=jurisdiction,
            code=node.code,
            defaults={
                "parent": parent,
                "order": order,
                "name": node.name.en,
                **translated("name", node.name),
                **translated("description", node.description),
                **translated("keywords", node.keywords),
                "default_agency": agencies[handlers[node.handler]] if node.handler else None,
                "resolution_amount": amount,
                "resolution_unit": unit,
                "first_contact_hours": node.first_contact_hours,
                "allows_anonymous": node.allows_anonymous,
                "is_public": node.is_public,
                "duplicate_radius_m": node.duplicate_radius_m,
                "duplicate_window_days": node.duplicate_window_days,
                "is_active": True,
            },
        )
        seeded[node.code] = category
        for position, spec in enumerate(node.questions, start=1):
            _seed_question(category, spec, position)
        seeded |= _seed_tree(jurisdiction, node.children, agencies, handlers, parent=category)
    return seeded


def _seed_question(category: ComplaintCategory, spec: DemoQuestion, order: int) -> None:
    hint = spec.hint or T("", "", "")
    question, _ = Question.objects.update_or_create(
        category=category,
        code=spec.code,
        defaults={
            "datatype": spec.datatype,
            "is_required": spec.is_required,
            "order": order,
            "description": spec.text.en,
            **translated("description", spec.text),
            "datatype_description": hint.en,
            **translated("datatype_description", hint),
        },
    )
    for position, (key, name) in enumerate(spec.choices, start=1):
        QuestionChoice.objects.update_or_create(
            question=question,
            key=key,
            defaults={"order": position, "name": name.en, **translated("name", name)},
        )


def _seed_districts(
    jurisdiction: Jurisdiction, areas: tuple[tuple[str, T, dict[str, Any]], ...]
) -> dict[str, District]:
    """Through the admin's GeoJSON import, as an administrator would load them."""
    import_districts(
        jurisdiction=jurisdiction,
        data={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": code, **translated("name", names)},
                    "geometry": boundary,
                }
                for code, names, boundary in areas
            ],
        },
    )
    return {d.code: d for d in District.objects.filter(jurisdiction=jurisdiction)}


def _seed_rules(
    jurisdiction: Jurisdiction,
    rules: tuple[DemoRule, ...],
    categories: dict[str, ComplaintCategory],
    districts: dict[str, District],
    agencies: dict[str, Agency],
) -> None:
    for spec in rules:
        starts, ends = spec.hours or (None, None)
        rule, _ = RoutingRule.objects.update_or_create(
            jurisdiction=jurisdiction,
            priority=spec.priority,
            defaults={
                "name": spec.name,
                "agency": agencies[spec.agency],
                "time_from": starts,
                "time_to": ends,
                "answers": spec.answers,
                "is_active": True,
            },
        )
        rule.categories.set([categories[code] for code in spec.categories])
        rule.districts.set([districts[code] for code in spec.districts])


def seed_complaints(*, staff_password: str) -> DemoCatalogue:
    """The complaints demo: the catalogue, then about two hundred complaints replayed through
    the actions (complaints/demo_stories.py, seeded once)."""
    # The stories read this module's catalogue, so they are imported here, not at the top.
    from complaints.demo_stories import seed_demo_complaints

    catalogue = seed_complaints_catalogue(staff_password=staff_password)
    seed_demo_complaints(catalogue)
    return catalogue

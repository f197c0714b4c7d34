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

from datetime import date, time, timedelta

from complaints.models import PublicHoliday, WorkingCalendar
from identity.models import Jurisdiction

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

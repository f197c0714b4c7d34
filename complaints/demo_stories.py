"""The complaints demo's complaints: about two hundred, in Chiang Mai City and Shenzhen, over the
last sixty days, in every state a complaint can be in — waiting for the dispatcher, routed,
accepted, in progress (some waiting for the reporter), resolved and awaiting a rating, closed
(rated, unrated, or with nobody to rate it), rejected, transferred, duplicate, reopened for
rework and withdrawn — reported by the demo citizens, anonymously, and by phone to the city
hotline, in Thai, English and Chinese.

Each complaint is a story: its submission and the handling steps after it, at plausible times
(staff act in working hours, deadlines are sometimes missed). The stories are replayed in time
order through the same actions the API and admin use — intake, routing, handling, rating,
withdrawal — with the escalation and unrated-closing sweeps running every few simulated hours,
so histories, deadlines, escalations and closures come out as the system itself makes them.

Two things differ from a live system, on purpose:
- The replay runs under a demo clock: `django.utils.timezone.now` answers the replayed time,
  so each history entry carries the moment it happened in the story.
- What the actions queue after commit for the present (routing tasks, the reporter's inbox
  notices, escalation messages) is not queued: routing runs at once, and two months of past
  updates are not news to anybody.

Stories are generated from a fixed seed, so the demo is the same every time (up to the weekday
it is run on). They are seeded once: a second run finds complaints in the demo cities and adds
none.
"""

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from complaints.actions import intake, notifications
from complaints.actions.citizen import withdraw_complaint
from complaints.actions.escalation import escalate_overdue_complaints
from complaints.actions.handling import (
    accept_complaint,
    add_progress_note,
    dispatch_to_agency,
    mark_duplicate,
    pause_clock,
    reject_complaint,
    resolve_complaint,
    resume_clock,
    start_work,
    transfer_complaint,
)
from complaints.actions.intake import submit_complaint
from complaints.actions.routing import route_complaint
from complaints.actions.satisfaction import close_unrated_complaints, rate_resolution
from complaints.demo import AGENCY_FOR, CATALOGUE, DISPATCHERS, DemoCatalogue, T
from complaints.escalation_tasks import notify_escalation_task
from complaints.models import Complaint, DeadlineUnit, PendingAnnouncement
from complaints.sla import Calendar, add_working_hours, current_calendar
from identity.models import Person

Language = Literal["en", "th", "zh"]
SEED = 20260601
REPLAY_DAYS = 60
# The sweeps run once a simulated day, at the start of the working day in both cities (the live
# ones run every minute; once a day is enough for a history, and much quicker to replay).
SWEEP_EVERY = timedelta(days=1)
SWEEP_AT = time(1, 30)  # UTC: 08:30 in Chiang Mai, 09:30 in Shenzhen
JITTER = 0.0012  # degrees, about 130 m: reports around a spot, all inside its district
DEMO_CITIZENS = ("citizen", "verified", "inperson")


CITY_LANGUAGE: dict[str, Language] = {"cm": "th", "sz": "zh"}


def say(text: T, language: Language) -> str:
    return str(getattr(text, language))


def staff_language(story: "Story") -> Language:
    """Staff answer in the reporter's language when it is the city's own or English."""
    return story.language if story.language in {CITY_LANGUAGE[story.city], "en"} else "en"


# Where things happen ------------------------------------------------------------------------


@dataclass(frozen=True)
class Spot:
    district: str
    latitude: float
    longitude: float
    address: T


SPOTS: dict[str, tuple[Spot, ...]] = {
    "cm": (
        Spot("srivijaya", 18.7990, 98.9680,
             T("Nimmanhaemin Rd, Soi 7", "ถนนนิมมานเหมินท์ ซอย 7", "宁曼路7巷")),
        Spot("srivijaya", 18.7962, 98.9695,
             T("Huay Kaew Rd, near Kad Suan Kaew", "ถนนห้วยแก้ว ใกล้กาดสวนแก้ว",
               "Huay Kaew路，Kad Suan Kaew商场附近")),
        Spot("srivijaya", 18.7880, 98.9560,
             T("Suthep Rd, near Chiang Mai University", "ถนนสุเทพ ใกล้มหาวิทยาลัยเชียงใหม่",
               "素贴路，清迈大学附近")),
        Spot("srivijaya", 18.7780, 98.9650,
             T("Suan Dok Rd, near Wat Suan Dok", "ถนนสวนดอก ใกล้วัดสวนดอก",
               "松达寺附近的Suan Dok路")),
        Spot("nakhon-ping", 18.8010, 98.9840,
             T("Chang Phueak market", "ตลาดช้างเผือก", "白象门市场")),
        Spot("nakhon-ping", 18.8150, 98.9850, T("Chotana Rd", "ถนนโชตนา", "Chotana路")),
        Spot("nakhon-ping", 18.7995, 98.9900,
             T("Manee Noparat Rd", "ถนนมณีนพรัตน์", "Manee Noparat路（护城河北侧）")),
        Spot("nakhon-ping", 18.8130, 98.9870,
             T("Khuang Sing junction", "แยกข่วงสิงห์", "Khuang Sing路口")),
        Spot("mengrai", 18.7790, 98.9870, T("Wua Lai Rd", "ถนนวัวลาย", "Wualai路")),
        Spot("mengrai", 18.7810, 98.9890,
             T("Chiang Mai Gate market", "ตลาดประตูเชียงใหม่", "清迈门市场")),
        Spot("mengrai", 18.7700, 98.9840, T("Thipanet Rd", "ถนนทิพย์เนตร", "Thipanet路")),
        Spot("mengrai", 18.7877, 98.9930, T("Tha Phae Gate", "ประตูท่าแพ", "塔佩门")),
        Spot("kawila", 18.7880, 99.0100,
             T("Charoen Muang Rd", "ถนนเจริญเมือง", "Charoen Muang路")),
        Spot("kawila", 18.7850, 99.0170,
             T("Near Chiang Mai railway station", "ใกล้สถานีรถไฟเชียงใหม่", "清迈火车站附近")),
        Spot("kawila", 18.7960, 99.0080,
             T("Kaeo Nawarat Rd", "ถนนแก้วนวรัฐ", "Kaeo Nawarat路")),
        Spot("kawila", 18.7770, 99.0060,
             T("Chiang Mai–Lamphun Rd", "ถนนเชียงใหม่–ลำพูน", "清迈—南奔路")),
    ),
    "sz": (
        Spot("futian", 22.5410, 114.0590,
             T("Civic Centre, Fuzhong 3rd Rd", "ศูนย์พลเมือง ถนนฝูจงซาน", "福中三路市民中心")),
        Spot("futian", 22.5450, 114.0850,
             T("Huaqiangbei Rd", "ถนนหัวเฉียงเป่ย", "华强北路")),
        Spot("futian", 22.5370, 114.0230,
             T("Chegongmiao, Shennan Blvd", "เชอกงเมี่ยว ถนนเซินหนาน", "深南大道车公庙")),
        Spot("futian", 22.5560, 114.0580,
             T("Lianhuashan Park", "สวนเหลียนฮวาซาน", "莲花山公园")),
        Spot("luohu", 22.5470, 114.1180,
             T("Dongmen pedestrian street", "ถนนคนเดินตงเหมิน", "东门步行街")),
        Spot("luohu", 22.5370, 114.1170,
             T("Luohu railway station", "สถานีรถไฟหลัวหู", "罗湖火车站")),
        Spot("luohu", 22.5600, 114.1250, T("Cuizhu Rd", "ถนนชุ่ยจู๋", "翠竹路")),
        Spot("nanshan", 22.5350, 113.9360,
             T("Shenzhen University, Nanhai Blvd", "มหาวิทยาลัยเซินเจิ้น ถนนหนานไห่",
               "南海大道深圳大学")),
        Spot("nanshan", 22.5140, 113.9430,
             T("Houhai, Keyuan South Rd", "โฮ่วไห่ ถนนเคอย่วนใต้", "科苑南路后海")),
        Spot("nanshan", 22.5420, 113.9530,
             T("Science Park, Gaoxin South 4th Rd", "สวนวิทยาศาสตร์ ถนนเกาซินใต้สาย 4",
               "高新南四道科技园")),
        Spot("nanshan", 22.4900, 113.9150,
             T("Shekou Sea World", "ซีเวิลด์ เซอโข่ว", "蛇口海上世界")),
    ),
}  # fmt: skip


# What people write ---------------------------------------------------------------------------

DESCRIPTIONS: dict[str, tuple[T, ...]] = {
    "roads-potholes": (
        T("There is a deep pothole in the left lane; motorbikes swerve to avoid it and it fills "
          "with water when it rains.",
          "มีหลุมลึกบนช่องทางซ้าย รถจักรยานยนต์ต้องหักหลบ และเวลาฝนตกน้ำขังจนมองไม่เห็นหลุม",
          "左侧车道有一个很深的坑，电动车经过都要绕开，下雨时积水根本看不出来。"),
        T("Several potholes have opened up after the heavy rain. A car tyre burst here yesterday "
          "evening.",
          "หลังฝนตกหนักถนนเป็นหลุมหลายจุด เมื่อวานตอนเย็นมีรถยนต์ยางแตกตรงนี้",
          "大雨过后路面出现好几个坑，昨天傍晚还有一辆车在这里爆胎。"),
        T("The road has sunk around a drain cover and there is now a hole about half a metre "
          "wide.",
          "ผิวถนนรอบฝาท่อระบายน้ำยุบลง ตอนนี้เป็นหลุมกว้างประมาณครึ่งเมตร",
          "井盖周围的路面塌陷，现在已经形成一个半米宽的坑。"),
    ),
    "roads-footpath": (
        T("Paving stones are loose and tilted along this stretch of footpath; an elderly "
          "neighbour tripped here last week.",
          "แผ่นปูทางเท้าช่วงนี้หลวมและกระดก เมื่อสัปดาห์ที่แล้วมีผู้สูงอายุในซอยสะดุดล้ม",
          "这段人行道的地砖松动翘起，上周有位老人在这里绊倒了。"),
        T("The footpath is broken up by tree roots and people walk in the road instead.",
          "รากไม้ดันทางเท้าจนแตกเป็นแนว คนเดินต้องลงไปเดินบนถนนแทน",
          "人行道被树根顶得四分五裂，行人只能走到机动车道上。"),
        T("A drain cover on the footpath is cracked and rocks when you step on it.",
          "ฝาท่อบนทางเท้าแตกร้าว เหยียบแล้วโยกไปมา อันตรายมาก",
          "人行道上的井盖裂了，踩上去会晃动，很危险。"),
    ),
    "lighting-out": (
        T("The street light outside the school has been out for a week, and the lane is "
          "completely dark at night.",
          "ไฟถนนหน้าโรงเรียนดับมาหนึ่งสัปดาห์แล้ว กลางคืนซอยมืดสนิท",
          "学校门口的路灯已经坏了一个星期，晚上整条小路一片漆黑。"),
        T("Three lights in a row are out along this road; it feels unsafe walking home after "
          "work.",
          "ไฟถนนดับติดกันสามต้นตลอดแนวถนนเส้นนี้ เดินกลับบ้านหลังเลิกงานรู้สึกไม่ปลอดภัย",
          "这条路上连续三盏路灯不亮，下班走回家觉得很不安全。"),
        T("The lamp at the corner went out after the storm and has not come back on.",
          "เสาไฟหัวมุมดับตั้งแต่พายุเข้า จนตอนนี้ยังไม่ติด",
          "路口那盏灯在暴雨后就灭了，到现在还没修好。"),
    ),
    "lighting-flickering": (
        T("The street light in front of our building flickers all night and shines into the "
          "bedrooms.",
          "ไฟถนนหน้าอาคารกะพริบทั้งคืน แสงส่องเข้าห้องนอน นอนไม่หลับ",
          "楼下的路灯整晚一闪一闪，光直接照进卧室。"),
        T("This lamp switches on and off every few seconds and makes a buzzing noise.",
          "ไฟต้นนี้ติด ๆ ดับ ๆ ทุกไม่กี่วินาที และมีเสียงหึ่งตลอด",
          "这盏路灯每隔几秒就忽明忽灭，还发出嗡嗡声。"),
        T("The street light has been on all day for the past three days.",
          "ไฟถนนเปิดค้างทั้งวันมาสามวันแล้ว เปลืองไฟ",
          "这盏路灯已经连续三天白天也一直亮着。"),
    ),
    "noise-construction": (
        T("Concrete trucks and a pile driver have been working on the building site since 11 pm. "
          "It is past 1 am now.",
          "ไซต์ก่อสร้างมีรถโม่ปูนและเครื่องตอกเสาเข็มทำงานตั้งแต่ห้าทุ่ม ตอนนี้ตีหนึ่งแล้วยังไม่หยุด",
          "工地从晚上11点开始就有混凝土车和打桩机作业，现在已经过了凌晨1点还没停。"),
        T("Road works with a jackhammer started at midnight right under our windows; the baby "
          "cannot sleep.",
          "มีงานซ่อมถนนใช้เครื่องเจาะตั้งแต่เที่ยงคืนใต้หน้าต่างบ้าน ลูกเล็กนอนไม่ได้เลย",
          "半夜12点楼下开始用风镐修路，孩子根本睡不着。"),
        T("The site next door runs machinery every night until 3 am.",
          "ไซต์ก่อสร้างข้างบ้านเปิดเครื่องจักรทุกคืนจนถึงตีสาม",
          "隔壁工地每天晚上机器一直开到凌晨3点。"),
    ),
    "noise-neighbours": (
        T("The bar on the corner plays live music until 2 am every night, far louder than the "
          "law allows.",
          "บาร์หัวมุมเปิดดนตรีสดเสียงดังถึงตีสองทุกคืน ดังเกินกว่าที่กฎหมายกำหนดมาก",
          "街角的酒吧每晚现场演奏到凌晨两点，音量远超规定。"),
        T("A neighbour holds karaoke parties several nights a week until very late.",
          "เพื่อนบ้านร้องคาราโอเกะเสียงดังหลายคืนต่อสัปดาห์จนดึกมาก",
          "邻居每周好几个晚上在家唱卡拉OK，一直闹到很晚。"),
        T("A party in the house opposite has had the speakers at full volume since 9 pm.",
          "บ้านฝั่งตรงข้ามจัดปาร์ตี้ เปิดลำโพงเสียงดังสุดตั้งแต่สามทุ่ม",
          "对面那户从晚上9点开始开派对，音响开到最大。"),
    ),
    "sanitation-missed": (
        T("Rubbish has not been collected on our street since Monday and the bins are "
          "overflowing.",
          "ขยะในซอยไม่ได้รับการจัดเก็บตั้งแต่วันจันทร์ ถังล้นจนส่งกลิ่นเหม็น",
          "我们这条街从周一开始就没人来收垃圾，垃圾桶都满出来了。"),
        T("The recycling was skipped again this week; bags are piling up by the gate.",
          "สัปดาห์นี้รถเก็บขยะรีไซเคิลไม่มาอีกแล้ว ถุงขยะกองอยู่หน้าประตู",
          "这周的可回收物又没有清运，袋子都堆到门口了。"),
        T("The collection truck passed by but did not empty the bins at this end of the street.",
          "รถเก็บขยะผ่านมาแต่ไม่ได้เก็บถังขยะท้ายซอย",
          "垃圾车经过了，但没有清运街道尽头的垃圾桶。"),
    ),
    "sanitation-dumping": (
        T("Someone has dumped a pile of building rubble and old tiles on the empty lot.",
          "มีคนนำเศษอิฐและกระเบื้องเก่ามาทิ้งกองไว้ในที่ดินว่างเปล่า",
          "有人把一堆建筑垃圾和旧瓷砖倒在了空地上。"),
        T("An old sofa and a mattress have been left on the footpath for over a week.",
          "มีโซฟาเก่ากับที่นอนถูกทิ้งไว้บนทางเท้ามากว่าหนึ่งสัปดาห์แล้ว",
          "一张旧沙发和床垫被扔在人行道上一个多星期了。"),
        T("Bags of household rubbish are thrown into the canal from the bridge at night.",
          "มีคนโยนถุงขยะลงคลองจากบนสะพานตอนกลางคืน",
          "晚上有人从桥上往河里扔生活垃圾。"),
    ),
    "water-leak": (
        T("Clean water has been running from a crack in the road for two days, and the street "
          "is flooded.",
          "มีน้ำประปาไหลออกจากรอยแตกบนถนนมาสองวันแล้ว ถนนมีน้ำท่วมขัง",
          "路面裂缝处已经连续两天往外冒清水，整条街都积水了。"),
        T("A pipe next to the footpath is leaking; water bubbles up from the ground.",
          "ท่อประปาข้างทางเท้ารั่ว มีน้ำผุดขึ้นมาจากพื้น",
          "人行道旁的水管漏水，水从地面冒出来。"),
        T("The fire hydrant on the corner is leaking all the time.",
          "หัวดับเพลิงตรงหัวมุมมีน้ำรั่วไหลตลอดเวลา",
          "路口的消防栓一直在漏水。"),
    ),
    "water-outage": (
        T("We have had no water since this morning and there was no notice of any works.",
          "บ้านน้ำไม่ไหลตั้งแต่เช้า ไม่มีประกาศแจ้งว่าจะมีการซ่อมท่อ",
          "从今天早上开始就停水了，之前没有收到任何施工通知。"),
        T("The water pressure has been very low for three days; nothing comes out upstairs.",
          "น้ำไหลอ่อนมากมาสามวันแล้ว ชั้นบนแทบไม่มีน้ำเลย",
          "水压连续三天都很低，楼上基本没水。"),
        T("The whole building has had no water since last night.",
          "ทั้งอาคารไม่มีน้ำใช้ตั้งแต่เมื่อคืน",
          "整栋楼从昨晚开始停水。"),
    ),
    "parks-equipment": (
        T("One of the swings in the playground has a broken chain and hangs from one side.",
          "ชิงช้าในสนามเด็กเล่นโซ่ขาดไปข้างหนึ่ง ห้อยอยู่ อันตรายต่อเด็ก",
          "游乐场有一个秋千链条断了，只挂着一边。"),
        T("Two of the exercise machines by the lake are broken and have sharp edges.",
          "เครื่องออกกำลังกายริมบึงเสียสองเครื่อง มีขอบเหล็กแหลมคม",
          "湖边有两台健身器材坏了，边缘很锋利。"),
        T("The bench near the park gate has lost its seat boards.",
          "ม้านั่งใกล้ประตูสวน ไม้พื้นที่นั่งหลุดหายไป",
          "公园门口附近的长椅座板掉了。"),
    ),
    "parks-tree": (
        T("A large branch came down in last night's storm and is lying across the road.",
          "กิ่งไม้ใหญ่หักลงมาขวางถนนจากพายุเมื่อคืน",
          "昨晚暴风雨吹断了一根大树枝，横在马路上。"),
        T("A tree is leaning badly over the footpath after the rain; the roots are lifting.",
          "หลังฝนตกต้นไม้เอนลงมาเหนือทางเท้ามาก รากเริ่มยกตัว",
          "雨后一棵树严重倾斜压向人行道，树根都翘起来了。"),
        T("A fallen tree is blocking half of the footpath next to the market.",
          "ต้นไม้ล้มขวางทางเท้าครึ่งหนึ่งข้างตลาด",
          "市场旁一棵倒下的树挡住了半条人行道。"),
    ),
    "traffic-signal": (
        T("The traffic lights at this junction are completely dark and cars are crossing from "
          "every side.",
          "สัญญาณไฟจราจรที่สี่แยกนี้ดับทั้งหมด รถวิ่งตัดกันทุกทิศทาง",
          "这个路口的红绿灯全部不亮，车辆从各个方向抢行。"),
        T("The signal has been stuck on red for the side road for twenty minutes.",
          "ไฟแดงฝั่งถนนซอยค้างมายี่สิบนาทีแล้ว",
          "支路方向的信号灯已经卡在红灯二十分钟了。"),
        T("All the lights at the crossing are flashing yellow in the rush hour.",
          "สัญญาณไฟที่ทางข้ามกะพริบเหลืองตลอดในชั่วโมงเร่งด่วน",
          "早高峰时人行横道的信号灯一直闪黄灯。"),
    ),
    "traffic-parking": (
        T("Cars park on the footpath outside the shops every day, so pushchairs and "
          "wheelchairs have to use the road.",
          "มีรถยนต์จอดบนทางเท้าหน้าร้านค้าทุกวัน รถเข็นเด็กและรถเข็นผู้พิการต้องลงไปใช้ถนน",
          "商铺门口每天都有车停在人行道上，婴儿车和轮椅只能走机动车道。"),
        T("A van has been parked across our driveway since yesterday.",
          "มีรถตู้จอดขวางทางเข้าออกบ้านตั้งแต่เมื่อวาน",
          "一辆面包车从昨天开始就堵在我家车库出入口。"),
        T("Tour buses wait in the no-parking zone with their engines running.",
          "รถบัสนำเที่ยวจอดรอในเขตห้ามจอดและติดเครื่องทิ้งไว้",
          "旅游大巴在禁停区等客，还一直不熄火。"),
    ),
    "transport-stop": (
        T("The roof of the bus shelter is broken and the seat is missing.",
          "หลังคาที่พักผู้โดยสารพัง ที่นั่งก็หายไป",
          "候车亭的顶棚坏了，座椅也不见了。"),
        T("The timetable at this stop has been torn off and the sign is bent.",
          "ตารางเวลาเดินรถที่ป้ายถูกฉีกออก ป้ายก็งอ",
          "这个站的时刻表被撕掉了，站牌也被撞弯了。"),
        T("A glass panel of the bus shelter is smashed and there is broken glass on the ground.",
          "กระจกของที่พักผู้โดยสารแตก มีเศษกระจกอยู่บนพื้น",
          "候车亭的一块玻璃被砸碎，地上全是碎玻璃。"),
    ),
    "transport-late": (
        T("The morning bus has not come on time once this week; we waited forty minutes today.",
          "รถประจำทางรอบเช้าไม่เคยมาตรงเวลาเลยตลอดสัปดาห์นี้ วันนี้รอสี่สิบนาที",
          "这周早班车没有一次准点，今天等了四十分钟。"),
        T("The last bus of the evening went past our stop without stopping.",
          "รถเที่ยวสุดท้ายตอนค่ำวิ่งผ่านป้ายไปโดยไม่จอด",
          "晚上末班车过站不停，直接开走了。"),
        T("Buses on this route come three at a time and then not at all for an hour.",
          "รถสายนี้มาทีเดียวสามคันติดกัน แล้วก็ไม่มาอีกเลยเป็นชั่วโมง",
          "这路车经常三辆一起来，然后一个小时都没有车。"),
    ),
    "other": (
        T("A pack of stray dogs gathers by the school gate in the mornings and chases children.",
          "มีสุนัขจรจัดหลายตัวรวมกลุ่มอยู่หน้าประตูโรงเรียนตอนเช้า และไล่กัดเด็ก",
          "每天早上学校门口都聚着一群流浪狗，会追着孩子跑。"),
        T("A large shop sign is hanging loose over the footpath and swings in the wind.",
          "ป้ายร้านค้าขนาดใหญ่หลุดห้อยอยู่เหนือทางเท้า แกว่งไปมาเวลาลมแรง",
          "一块很大的店铺招牌松脱，悬在人行道上方，风一吹就晃。"),
        T("Someone has spray-painted graffiti all over the wall of the public toilet.",
          "มีคนพ่นสีกราฟฟิตีเต็มผนังห้องน้ำสาธารณะ",
          "公共厕所的外墙被人喷满了涂鸦。"),
    ),
}  # fmt: skip
# Who the dispatcher sends each "something else" report to (same order as its descriptions).
OTHER_HANDLERS = ("sanitation", "roads", "sanitation")
# Where a report the first agency refuses or passes on belongs instead: the hole is over a
# leaking water main, the street light is the electricity authority's, the car on the footpath
# is for the law enforcers. Only these kinds of report are refused or passed on in the demo.
REDIRECT: dict[str, dict[str, str]] = {
    "cm": {
        "roads-potholes": "cm-waterworks", "roads-footpath": "cm-waterworks",
        "lighting-out": "cm-electricity", "lighting-flickering": "cm-electricity",
        "sanitation-dumping": "cm-law-enforcement", "traffic-parking": "cm-law-enforcement",
        "noise-neighbours": "cm-law-enforcement", "water-leak": "cm-public-works",
        "parks-tree": "cm-public-works", "transport-stop": "cm-public-works",
    },
    "sz": {
        "roads-potholes": "sz-water", "roads-footpath": "sz-water",
        "lighting-out": "sz-transport", "lighting-flickering": "sz-transport",
        "sanitation-dumping": "sz-ecology-environment", "traffic-parking": "sz-urban-management",
        "noise-neighbours": "sz-urban-management", "water-leak": "sz-transport",
        "parks-tree": "sz-transport", "transport-stop": "sz-urban-management",
    },
}  # fmt: skip
REDIRECTED_KINDS = frozenset(
    {"rejected", "transferred", "in_progress_after_transfer", "closed_after_dispatch"}
)

RESOLUTIONS: dict[str, T] = {
    "roads-potholes": T("The pothole was filled with asphalt and compacted.",
                        "ซ่อมหลุมด้วยยางมะตอยและบดอัดเรียบร้อยแล้ว", "已用沥青填补坑洞并压实。"),
    "roads-footpath": T("The loose paving was relaid and the broken slabs replaced.",
                        "ปูแผ่นทางเท้าที่หลวมใหม่และเปลี่ยนแผ่นที่แตกเรียบร้อยแล้ว",
                        "已重新铺设松动地砖并更换破损地砖。"),
    "lighting-out": T("The lamp and its starter were replaced; the light works again.",
                      "เปลี่ยนหลอดไฟและอุปกรณ์ควบคุมแล้ว ไฟกลับมาใช้งานได้ตามปกติ",
                      "已更换灯泡和启辉器，路灯恢复正常。"),
    "lighting-flickering": T("The faulty driver was replaced and the light sensor adjusted.",
                             "เปลี่ยนบัลลาสต์ที่ชำรุดและปรับเซนเซอร์แสงแล้ว",
                             "已更换故障驱动器并调整光控开关。"),
    "noise-construction": T(
        "Inspectors visited at night and ordered the site to stop noisy work between 10 pm "
        "and 6 am; the contractor was warned in writing.",
        "เจ้าหน้าที่ลงตรวจในเวลากลางคืน สั่งให้หยุดงานที่มีเสียงดังระหว่างเวลา 22.00–06.00 น. "
        "และออกหนังสือเตือนผู้รับเหมาแล้ว",
        "执法人员夜间到场检查，责令工地晚上10点至早上6点停止高噪音作业，并向施工单位发出书面警告。"),
    "noise-neighbours": T(
        "Officers spoke to the owner, who agreed to turn the volume down and close the doors "
        "after 10 pm.",
        "เจ้าหน้าที่เข้าพูดคุยกับเจ้าของแล้ว รับปากจะลดเสียงและปิดประตูหลังเวลา 22.00 น.",
        "工作人员已与当事人沟通，对方承诺晚上10点后降低音量并关闭门窗。"),
    "sanitation-missed": T("The missed bins were emptied and the crew reminded of the route.",
                           "เก็บขยะตกค้างเรียบร้อยแล้ว และกำชับพนักงานให้เก็บตามเส้นทางทุกจุด",
                           "已清运遗漏的垃圾，并提醒清运班组按线路逐点收运。"),
    "sanitation-dumping": T("The dumped waste was removed and a warning sign put up.",
                            "ขนย้ายขยะที่ถูกทิ้งออกแล้ว และติดป้ายห้ามทิ้งขยะ",
                            "已清理被倾倒的垃圾，并设置了禁止倾倒的警示牌。"),
    "water-leak": T("The cracked pipe was repaired and the road surface made good.",
                    "ซ่อมท่อที่แตกและปรับผิวถนนคืนสภาพเรียบร้อยแล้ว",
                    "已修复破裂的水管并恢复路面。"),
    "water-outage": T("A valve had failed after work on the main; it was replaced and the "
                      "supply is back.",
                      "วาล์วชำรุดหลังการซ่อมท่อเมน เปลี่ยนวาล์วแล้ว น้ำไหลตามปกติ",
                      "主管道维修后一处阀门故障，已更换，供水已恢复。"),
    "parks-equipment": T("The broken equipment was repaired and checked for safety.",
                         "ซ่อมอุปกรณ์ที่ชำรุดและตรวจความปลอดภัยเรียบร้อยแล้ว",
                         "已修复损坏的设施并完成安全检查。"),
    "parks-tree": T("The tree was cut up and taken away; the way is clear.",
                    "ตัดและขนย้ายต้นไม้ออกแล้ว ทางสัญจรได้ตามปกติ",
                    "倒伏树木已切割清运，道路恢复通行。"),
    "traffic-signal": T("The controller was reset and a failed power unit replaced; the lights "
                        "work normally.",
                        "รีเซ็ตตู้ควบคุมและเปลี่ยนชุดจ่ายไฟที่เสียแล้ว สัญญาณไฟทำงานปกติ",
                        "已重启信号控制机并更换故障电源模块，信号灯恢复正常。"),
    "traffic-parking": T("Officers ticketed the vehicles and will patrol the street more often.",
                         "เจ้าหน้าที่ออกใบสั่งรถที่จอดผิดกฎหมาย และจะเพิ่มการตรวจตราในพื้นที่",
                         "执法人员已对违停车辆开具罚单，并将加强该路段巡查。"),
    "transport-stop": T("The shelter was repaired and the timetable replaced.",
                        "ซ่อมที่พักผู้โดยสารและติดตารางเวลาเดินรถใหม่แล้ว",
                        "已修复候车亭并重新张贴时刻表。"),
    "transport-late": T("The operator checked the GPS records, warned the drivers and added a "
                        "bus at peak times.",
                        "ผู้ให้บริการตรวจสอบข้อมูล GPS ตักเตือนพนักงานขับรถ และเพิ่มรถในช่วงเวลาเร่งด่วนแล้ว",
                        "运营单位核查了GPS记录，约谈了驾驶员，并在高峰时段加开一班车。"),
    "other": T("The responsible team dealt with it on site.",
               "หน่วยงานที่รับผิดชอบเข้าดำเนินการแก้ไขในพื้นที่แล้ว", "责任部门已到现场处理完毕。"),
}  # fmt: skip

ACCEPT_NOTES = (
    T("Called the reporter and confirmed the place; a team will inspect within the deadline.",
      "โทรติดต่อผู้แจ้งแล้ว ยืนยันจุดเกิดเหตุเรียบร้อย จะส่งเจ้าหน้าที่ลงพื้นที่ตรวจสอบภายในกำหนด",
      "已致电反映人并核实位置，将在时限内安排人员现场查看。"),
    T("Messaged the reporter; the case is with our field team.",
      "ส่งข้อความแจ้งผู้แจ้งแล้ว เรื่องอยู่ระหว่างทีมภาคสนามดำเนินการ",
      "已通过消息联系反映人，案件已转交外勤班组。"),
)  # fmt: skip
ANONYMOUS_ACCEPT = T(
    "Report received and checked on the map; updates will be posted here.",
    "รับเรื่องและตรวจสอบตำแหน่งบนแผนที่แล้ว จะแจ้งความคืบหน้าทางหน้านี้",
    "已受理并在地图上核实位置，处理进展将在此公布。",
)
START_NOTES = (
    T("The field team is on site.", "ทีมเจ้าหน้าที่ลงพื้นที่ดำเนินการแล้ว", "外勤班组已到达现场处理。"),
    T("An inspector has been assigned and will visit.",
      "มอบหมายเจ้าหน้าที่ตรวจสอบแล้ว จะลงพื้นที่เร็ว ๆ นี้", "已指派检查人员，将尽快到场。"),
)  # fmt: skip
REPAIR_START_NOTE = T(
    "Materials ordered; the work is planned for this week.",
    "สั่งวัสดุแล้ว กำหนดเข้าดำเนินการภายในสัปดาห์นี้",
    "材料已申领，本周内安排施工。",
)
# Reports fixed with materials and a crew (the others are inspections and enforcement).
REPAIRS = frozenset(
    {"roads-potholes", "roads-footpath", "lighting-out", "lighting-flickering", "water-leak",
     "parks-equipment", "transport-stop"}
)  # fmt: skip
PROGRESS = T(
    "Half of the work is done; the rest needs a second visit.",
    "ดำเนินการไปแล้วครึ่งหนึ่ง ต้องเข้าพื้นที่อีกครั้งเพื่อดำเนินการส่วนที่เหลือ",
    "已完成一半，剩余部分需再次到场处理。",
)
PAUSE_QUESTION = T(
    "Could you tell us the house number or a landmark nearby? We could not find the spot.",
    "รบกวนแจ้งบ้านเลขที่หรือจุดสังเกตใกล้เคียงเพิ่มเติม เจ้าหน้าที่ยังหาจุดเกิดเหตุไม่พบ",
    "请补充门牌号或附近的明显标志，工作人员未能找到具体位置。",
)
RESUMED = T(
    "Thank you, we have found the place.",
    "ขอบคุณสำหรับข้อมูล พบจุดเกิดเหตุแล้ว",
    "感谢补充，已找到具体位置。",
)
REJECT_REASONS = (
    T("Not ours: this spot is looked after by another agency. Back to the dispatcher.",
      "ไม่อยู่ในความรับผิดชอบของหน่วยงานเรา จุดนี้อยู่ในความดูแลของหน่วยงานอื่น ขอส่งคืนให้ศูนย์รับเรื่อง",
      "不属于本单位职责，该点位由其他单位管养，退回调度员重新分派。"),
    T("This stretch is a national highway, not a city street; please send it to the highways "
      "office.",
      "จุดนี้อยู่บนทางหลวงในความดูแลของแขวงทางหลวง ไม่ใช่ถนนของเทศบาล",
      "该路段属于国省道，由公路部门管养，不属于市政道路。"),
)  # fmt: skip
DISPATCHED = T(
    "Sent to the agency responsible for this.",
    "ส่งต่อให้หน่วยงานที่รับผิดชอบเรื่องนี้แล้ว",
    "已转派至责任单位。",
)
TRANSFER_REASON = T(
    "Passed to the agency responsible; this is outside our duties.",
    "ส่งต่อให้หน่วยงานที่รับผิดชอบโดยตรง เนื่องจากไม่อยู่ในอำนาจหน้าที่ของหน่วยงานเรา",
    "该事项不在本单位职责范围内，已移交直接责任单位。",
)
WITHDRAW_REASONS = (
    T("The owner of the building fixed it already.", "เจ้าของอาคารแก้ไขเองแล้ว", "业主已自行处理。"),
    T("Reported by mistake.", "แจ้งผิดเรื่อง", "误报，撤回。"),
    T("The problem has stopped.", "ปัญหาหมดไปแล้ว", "问题已经没有了。"),
)  # fmt: skip
SATISFIED = (
    T("Quick and well done, thank you!", "แก้ไขรวดเร็วมาก ขอบคุณครับ", "处理很及时，谢谢！"),
    T("Fixed properly, and the officer kept me informed.",
      "ซ่อมเรียบร้อยดี เจ้าหน้าที่แจ้งความคืบหน้าตลอด", "修得很好，工作人员一直及时反馈进展。"),
    T("", "", ""),
)  # fmt: skip
DISSATISFIED = (
    T("The problem is still there; nobody actually came to look.",
      "ปัญหายังอยู่เหมือนเดิม ไม่มีใครมาดูจริง ๆ", "问题依旧，根本没人来现场看过。"),
    T("Only half fixed; it happened again the next night.",
      "แก้ได้แค่ครึ่งเดียว คืนต่อมาก็เป็นอีก", "只解决了一半，第二天晚上又出现了。"),
)  # fmt: skip

# People who phone the city hotline (Chiang Mai 1555, Shenzhen 12345); staff enter the report.
HOTLINE_CALLERS: dict[str, tuple[tuple[str, str], ...]] = {
    "cm": (
        ("สมศักดิ์ แก้วมณี", "+66 81 555 0101"), ("วันเพ็ญ ศรีสุข", "+66 81 555 0102"),
        ("บุญมี อินทร์แก้ว", "+66 81 555 0103"), ("จันทร์เพ็ญ ทองดี", "+66 81 555 0104"),
        ("อนุชา ปัญญาดี", "+66 81 555 0105"), ("มาลี วงศ์ใหญ่", "+66 81 555 0106"),
        ("David Clarke", "+66 81 555 0107"),
    ),
    "sz": (
        ("张伟", "+86 138 0000 1201"), ("王芳", "+86 138 0000 1202"),
        ("李娜", "+86 138 0000 1203"), ("刘洋", "+86 138 0000 1204"),
        ("陈静", "+86 138 0000 1205"), ("杨磊", "+86 138 0000 1206"),
        ("Tom Baker", "+86 138 0000 1207"),
    ),
}  # fmt: skip
BUS_ROUTES = {"cm": ("R1", "R2", "R3", "B1", "B2"), "sz": ("M390", "B828", "26", "K113")}

# How many stories of each kind per city: about a hundred each.
PLAN: dict[str, tuple[tuple[str, int], ...]] = {
    "cm": (
        ("waiting_dispatch", 5), ("routed", 8), ("accepted", 7), ("in_progress", 12),
        ("in_progress_after_transfer", 2), ("resolved", 10), ("closed_rated", 20),
        ("closed_unrated", 12), ("rejected", 4), ("transferred", 4), ("rework", 4),
        ("withdrawn", 4), ("closed_after_rework", 2), ("closed_after_dispatch", 2),
        ("duplicate", 5),
    ),
    "sz": (
        ("waiting_dispatch", 4), ("routed", 8), ("accepted", 7), ("in_progress", 12),
        ("in_progress_after_transfer", 2), ("resolved", 10), ("closed_rated", 20),
        ("closed_unrated", 12), ("rejected", 4), ("transferred", 4), ("rework", 4),
        ("withdrawn", 4), ("closed_after_rework", 2), ("closed_after_dispatch", 2),
        ("duplicate", 5),
    ),
}  # fmt: skip
# Kinds whose complaint stays open: what a later report may duplicate.
OPEN_KINDS = frozenset(
    {"accepted", "in_progress", "in_progress_after_transfer", "resolved", "rework"}
)
# Kinds that need somebody who can rate or withdraw: a demo citizen or a token holder.
NEEDS_REPORTER = frozenset(
    {"closed_rated", "rework", "closed_after_rework", "closed_after_dispatch", "withdrawn"}
)
# How often each leaf is reported, relatively.
WEIGHTS = {
    "roads-potholes": 3, "roads-footpath": 2, "lighting-out": 3, "lighting-flickering": 1,
    "noise-construction": 2, "noise-neighbours": 2, "sanitation-missed": 3,
    "sanitation-dumping": 2, "water-leak": 2, "water-outage": 1, "parks-equipment": 1,
    "parks-tree": 1, "traffic-signal": 1, "traffic-parking": 2, "transport-stop": 1,
    "transport-late": 1,
}  # fmt: skip


# Stories -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Story:
    city: str
    kind: str
    category: str
    language: Language
    reporter: str  # a demo citizen's username, "anonymous" or "hotline"
    spot: Spot
    latitude: Decimal
    longitude: Decimal
    answers: dict[str, Any]
    description: str
    variant: int
    steps: list[Step] = field(default_factory=list)
    original: "Story | None" = None
    complaint: Complaint | None = None  # as the last action returned it
    tracking_token: str | None = None
    rejected_by: str | None = None  # the agency that refused it, not the one to send it back to

    @property
    def submitted_at(self) -> datetime:
        return self.steps[0].at


class _Timeline:
    """Steps one after another: staff steps in working time, the reporter's in clock time."""

    def __init__(self, start: datetime, calendar: Calendar) -> None:
        self.calendar = calendar
        self.steps: list[Step] = [
            Step(start, "submit"),
            Step(start + timedelta(seconds=3), "route"),
        ]
        self.at = self.steps[-1].at

    def staff(self, action: str, working_hours: float, **options: Any) -> None:
        self._add(add_working_hours(self.at, working_hours, self.calendar), action, options)

    def reporter(self, action: str, hours: float, **options: Any) -> None:
        self._add(self.at + timedelta(hours=hours), action, options)

    def _add(self, at: datetime, action: str, options: dict[str, Any]) -> None:
        at = max(at, self.at + timedelta(minutes=2))
        self.steps.append(Step(at, action, options))
        self.at = at


class StoryWriter:
    """Writes the stories of one city, deterministic for a given seed and `now`."""

    def __init__(self, city: str, *, catalogue: DemoCatalogue, now: datetime, rng: random.Random):
        self.city = city
        self.now = now
        self.rng = rng
        self.jurisdiction = catalogue.jurisdictions[city]
        self.calendar = current_calendar(self.jurisdiction)
        self.zone = ZoneInfo(self.jurisdiction.time_zone)
        self.categories = catalogue.categories[city]
        self.hours_per_day = self._hours_per_day()

    def write(self) -> list[Story]:
        stories: list[Story] = []
        for kind, count in PLAN[self.city]:
            for _ in range(count):
                story = self._duplicate(stories) if kind == "duplicate" else self._story(kind)
                if story is not None:
                    stories.append(story)
        return stories

    # One story ---------------------------------------------------------------------------

    def _story(self, kind: str) -> Story:
        rng = self.rng
        if kind == "waiting_dispatch" or (kind == "closed_after_dispatch" and rng.random() < 0.5):
            category = "other"
        else:
            leaves = list(REDIRECT[self.city] if kind in REDIRECTED_KINDS else WEIGHTS)
            category = rng.choices(leaves, weights=[WEIGHTS[leaf] for leaf in leaves])[0]
        reporter = self._reporter(kind, category)
        language = self._language(reporter)
        spot = rng.choice(SPOTS[self.city])
        variant = rng.randrange(len(DESCRIPTIONS[category]))
        story = Story(
            city=self.city, kind=kind, category=category, language=language, reporter=reporter,
            spot=spot, latitude=self._jitter(spot.latitude, JITTER),
            longitude=self._jitter(spot.longitude, JITTER), answers=self._answers(category),
            description=say(DESCRIPTIONS[category][variant], language), variant=variant,
        )  # fmt: skip
        self._schedule(story)
        return story

    def _duplicate(self, stories: list[Story]) -> Story | None:
        """A later report of something already reported and still open, close by."""
        rng = self.rng
        originals = [
            s
            for s in stories
            if s.kind in OPEN_KINDS and s.steps[1].at < self.now - timedelta(hours=12)
        ]
        if not originals:
            return None
        original = rng.choice(originals)
        reporter = self._reporter("duplicate", original.category)
        language = self._language(reporter)
        story = Story(
            city=self.city, kind="duplicate", category=original.category, language=language,
            reporter=reporter, spot=original.spot,
            latitude=self._jitter(float(original.latitude), 0.0002),
            longitude=self._jitter(float(original.longitude), 0.0002),
            answers=self._answers(original.category),
            description=say(DESCRIPTIONS[original.category][original.variant], language),
            variant=original.variant, original=original,
        )  # fmt: skip
        routed = original.steps[1].at
        start = min(routed + timedelta(hours=rng.uniform(3, 36)), self.now - timedelta(hours=4))
        delay = rng.uniform(0.3, 3)
        # Marked in the next working hours, which must have come already: else reported earlier.
        while start > routed + timedelta(hours=1):
            timeline = _Timeline(start, self.calendar)
            timeline.staff("duplicate", delay)
            if timeline.at < self.now:
                story.steps = timeline.steps
                return story
            start -= timedelta(days=1)
        return None

    def _reporter(self, kind: str, category: str) -> str:
        rng = self.rng
        anonymous_allowed = self.categories[category].allows_anonymous
        citizens_share = 0.6 if self.city == "cm" else 0.15
        if kind in NEEDS_REPORTER or (kind == "closed_unrated" and rng.random() < 0.6):
            if anonymous_allowed and rng.random() > citizens_share:
                return "anonymous"
            return rng.choice(DEMO_CITIZENS)
        roll = rng.random()
        if roll < citizens_share / 2:
            return rng.choice(DEMO_CITIZENS)
        if anonymous_allowed and roll < 0.55:
            return "anonymous"
        return "hotline"

    def _language(self, reporter: str) -> Language:
        roll = self.rng.random()
        if self.city == "cm":
            if reporter == "hotline":
                return "th" if roll < 0.9 else "en"
            if reporter == "anonymous":
                return "th" if roll < 0.6 else "en" if roll < 0.85 else "zh"
            return "th" if roll < 0.75 else "en"
        if reporter == "hotline":
            return "zh" if roll < 0.95 else "en"
        if reporter == "anonymous":
            return "zh" if roll < 0.8 else "en"
        return "en" if roll < 0.8 else "th"  # the Thai demo citizens, visiting

    def _answers(self, category: str) -> dict[str, Any]:
        rng = self.rng
        if category == "roads-potholes":
            return {"size": rng.choices(["small", "medium", "large"], weights=[3, 3, 2])[0]}
        if category.startswith("lighting-"):
            return {"pole_number": f"{rng.randint(100, 2999):04d}"} if rng.random() < 0.5 else {}
        if category == "noise-construction":
            return {"still_going": "yes" if rng.random() < 0.7 else "no"}
        if category == "sanitation-missed" and rng.random() < 0.8:
            return {"bin_type": rng.choice(["general", "recyclable", "food"])}
        if category == "water-leak":
            return {"leak_size": rng.choice(["drip", "flow", "burst"])}
        if category == "parks-tree":
            return {"blocking": rng.choice(["road", "footpath", "none"])}
        if category == "traffic-signal":
            return {"signal_state": rng.choice(["dark", "stuck", "flashing"])}
        if category == "transport-late":
            return {"route": rng.choice(BUS_ROUTES[self.city])}
        return {}

    def _jitter(self, value: float, spread: float) -> Decimal:
        return Decimal(f"{value + self.rng.uniform(-spread, spread):.6f}")

    # When things happen ------------------------------------------------------------------

    # The window (hours before now) in which a kind's last step falls.
    WINDOWS: dict[str, tuple[float, float]] = {
        "waiting_dispatch": (48, 1),
        "routed": (20, 0.5),
        "accepted": (96, 1),
        "in_progress": (240, 2),
        "in_progress_after_transfer": (240, 2),
        "resolved": (144, 2),
        "closed_rated": (55 * 24, 24),
        "closed_unrated": (50 * 24, 8 * 24 + 12),
        "rejected": (120, 1),
        "transferred": (72, 1),
        "rework": (240, 2),
        "withdrawn": (480, 1),
        "closed_after_rework": (40 * 24, 24),
        "closed_after_dispatch": (40 * 24, 24),
    }

    def _schedule(self, story: Story) -> None:
        """Pick the submission time so that the story's last step lands in its kind's window:
        try a day, move a day earlier or later, and again."""
        earliest, latest = (self.now - timedelta(hours=h) for h in self.WINDOWS[story.kind])
        hour = self._hour_of_day(story.category)
        target = earliest + (latest - earliest) * self.rng.random()
        day = target.astimezone(self.zone).date()
        plan = self._plan(story)
        for _ in range(30):
            start = datetime.combine(day, time(), tzinfo=self.zone) + timedelta(hours=hour)
            steps = plan(start)
            last = steps[-1].at
            if earliest <= last <= latest:
                break
            day += timedelta(days=-1 if last > latest else 1)
        else:
            # No day fits exactly (a long weekend): the latest start that ends before now.
            while steps[-1].at > latest:
                start -= timedelta(hours=6)
                steps = plan(start)
        story.steps = steps

    def _hour_of_day(self, category: str) -> float:
        rng = self.rng
        if category.startswith("noise-") and rng.random() < 0.65:
            return rng.uniform(22, 25.5)  # late evening to half past one
        return rng.uniform(7, 22)

    def _plan(self, story: Story) -> Callable[[datetime], list[Step]]:
        """The story's steps from a submission time."""
        rng_state = self.rng.getstate()

        def steps(start: datetime) -> list[Step]:
            # The same choices whatever the start, so moving the day moves the whole story.
            self.rng.setstate(rng_state)
            timeline = _Timeline(start, self.calendar)
            self._steps(story, timeline)
            return timeline.steps

        steps(self.now)  # draws the story's choices once, so the next story's differ
        return steps

    def _steps(self, story: Story, t: _Timeline) -> None:
        rng, kind = self.rng, story.kind
        if kind in {"waiting_dispatch", "routed"}:
            return
        if kind in {"rejected", "closed_after_dispatch"} and story.category != "other":
            reasons = REJECT_REASONS if story.category.startswith("roads-") else REJECT_REASONS[:1]
            t.staff("reject", rng.uniform(0.5, 4), reason=rng.choice(reasons))
            if kind == "rejected":
                return
        if kind == "closed_after_dispatch":
            t.staff("dispatch", rng.uniform(0.5, 6))
        if kind in {"transferred", "in_progress_after_transfer"}:
            if rng.random() < 0.4:
                self._accept(story, t)
            t.staff("transfer", rng.uniform(0.5, 6))
            if kind == "transferred":
                return
        if kind == "withdrawn":
            if rng.random() < 0.5:
                self._accept(story, t)
            t.reporter("withdraw", rng.uniform(2, 48), reason=rng.choice(WITHDRAW_REASONS))
            return
        self._accept(story, t, note=rng.choice(ACCEPT_NOTES))
        if kind == "accepted":
            return
        t.staff("start", rng.uniform(1, 10), note=self._start_note(story))
        if kind in {"in_progress", "in_progress_after_transfer"}:
            roll = rng.random()
            if roll < 0.15:
                t.staff("pause", rng.uniform(1, 4))  # still waiting for the reporter
            elif roll < 0.35:
                t.staff("pause", rng.uniform(1, 4))
                t.staff("resume", rng.uniform(2, 12))
            elif roll < 0.6:
                t.staff("progress", rng.uniform(2, 12))
            return
        self._resolve(story, t)
        if kind in {"resolved", "closed_unrated"}:
            return
        if kind in {"rework", "closed_after_rework"}:
            t.reporter("rate", rng.uniform(2, 72), **self._scores(satisfied=False))
            if kind == "rework" and rng.random() < 0.7:
                return
            t.staff("start", rng.uniform(1, 8), note=self._start_note(story))
            self._resolve(story, t)
            satisfied = kind == "closed_after_rework"
        else:
            satisfied = True
        t.reporter("rate", rng.uniform(2, 100), **self._scores(satisfied=satisfied))

    def _accept(self, story: Story, t: _Timeline, **options: Any) -> None:
        """First contact: within the working day for most categories, now and then far too
        late; on call, in clock hours, where the category promises contact within hours."""
        rng = self.rng
        late = rng.random() < 0.1
        promised = self.categories[story.category].first_contact_hours
        if promised < 24:
            share = rng.uniform(1.1, 2) if late else rng.uniform(0.1, 0.8)
            t.reporter("accept", promised * share, **options)  # the on-call team, any hour
        else:
            t.staff("accept", rng.uniform(8, 20) if late else rng.uniform(0.3, 5), **options)

    def _start_note(self, story: Story) -> T:
        notes = (*START_NOTES, REPAIR_START_NOTE) if story.category in REPAIRS else START_NOTES
        return self.rng.choice(notes)

    def _resolve(self, story: Story, t: _Timeline) -> None:
        rng = self.rng
        category = self.categories[story.category]
        budget = float(category.resolution_amount)
        if category.resolution_unit == DeadlineUnit.WORKING_DAYS:
            budget *= self.hours_per_day
        share = rng.uniform(1.05, 1.5) if rng.random() < 0.12 else rng.uniform(0.1, 0.6)
        t.staff("resolve", max(0.5, budget * share), by_supervisor=rng.random() < 0.25)

    def _scores(self, *, satisfied: bool) -> dict[str, Any]:
        rng = self.rng
        if satisfied:
            return {
                "speed": rng.randint(3, 5), "result": rng.randint(4, 5),
                "attitude": rng.randint(4, 5), "comment": rng.choice(SATISFIED),
            }  # fmt: skip
        return {
            "speed": rng.randint(1, 3), "result": rng.randint(1, 2),
            "attitude": rng.randint(2, 4), "comment": rng.choice(DISSATISFIED),
        }  # fmt: skip

    def _hours_per_day(self) -> float:
        calendar = self.calendar
        if calendar.day_starts is None or calendar.day_ends is None:
            return 24.0
        start = datetime.combine(datetime.min.date(), calendar.day_starts)
        end = datetime.combine(datetime.min.date(), calendar.day_ends)
        return (end - start).total_seconds() / 3600


# The replay ----------------------------------------------------------------------------------


class DemoClock:
    """What `timezone.now()` answers during the replay."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _not_now(*args: Any, **kwargs: Any) -> None:
    """Work queued for after commit that a replay of the past does not want (see the module)."""


@contextmanager
def replaying(clock: DemoClock) -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(timezone, "now", clock))
        stack.enter_context(mock.patch.object(intake, "request_routing", _not_now))
        stack.enter_context(mock.patch.object(notify_escalation_task, "delay_on_commit", _not_now))
        stack.enter_context(mock.patch.object(notifications, "schedule_announcements", _not_now))
        yield


class Replay:
    """Runs the stories' steps in time order through the actions."""

    def __init__(self, catalogue: DemoCatalogue, *, rng: random.Random) -> None:
        self.catalogue = catalogue
        self.rng = rng
        self.agency_codes = {agency.pk: code for code, agency in catalogue.agencies.items()}
        self.citizens = {
            username: person
            for person in Person.objects.filter(user__username__in=DEMO_CITIZENS).select_related(
                "user"
            )
            if person.user is not None and (username := person.user.username)
        }

    def run(self, stories: list[Story], *, now: datetime) -> None:
        events: list[tuple[datetime, int, Story | None, Step | None]] = []
        for number, story in enumerate(stories):
            for step in story.steps:
                events.append((step.at, number, story, step))
        first = min(step.at for story in stories for step in story.steps)
        sweep = datetime.combine(first.date(), SWEEP_AT, tzinfo=UTC)
        while sweep < now:
            sweep += SWEEP_EVERY
            events.append((min(sweep, now), len(stories), None, None))
        events.sort(key=lambda event: (event[0], event[1]))
        clock = DemoClock(events[0][0])
        with replaying(clock):
            for at, _, teller, event in events:
                clock.at = at
                if teller is None or event is None:
                    escalate_overdue_complaints(now=at)
                    close_unrated_complaints(now=at)
                else:
                    self._do(teller, event)
            # The past's history entries are not news: out of the outbox.
            replayed = [story.complaint.pk for story in stories if story.complaint is not None]
            PendingAnnouncement.objects.filter(event__complaint_id__in=replayed).delete()

    def _do(self, story: Story, step: Step) -> None:
        action = getattr(self, f"_{step.action}")
        complaint = action(story, step.options)
        if complaint is not None:
            story.complaint = complaint

    def _complaint(self, story: Story) -> Complaint:
        """The story's complaint as the last action left it: the actions lock and re-read the
        row themselves, and the sweeps never change its agency, which is all read here."""
        if story.complaint is None:
            raise LookupError(f"the story's complaint is not submitted yet: {story.description}")
        return story.complaint

    def _agency_code(self, complaint: Complaint) -> str:
        if complaint.agency_id is None:
            raise LookupError(f"{complaint} has no handling agency")
        return self.agency_codes[complaint.agency_id]

    def _staff(self, complaint: Complaint, role: str = "officer") -> Any:
        return self.catalogue.staff[(self._agency_code(complaint), role)]

    def _submit(self, story: Story, options: dict[str, Any]) -> Complaint:
        category = self.catalogue.categories[story.city][story.category]
        common: dict[str, Any] = {
            "category": category,
            "description": story.description,
            "latitude": story.latitude,
            "longitude": story.longitude,
            "address": say(story.spot.address, story.language),
            "answers": story.answers,
            "created_at": story.submitted_at,
        }
        if story.reporter == "anonymous":
            submitted = submit_complaint(
                **common, is_anonymous=True, contact_preference=Complaint.ContactPreference.NONE
            )
        elif story.reporter == "hotline":
            name, phone = self.rng.choice(HOTLINE_CALLERS[story.city])
            submitted = submit_complaint(
                **common, channel=Complaint.Channel.STAFF, contact_name=name,
                contact_phone=phone, contact_preference=Complaint.ContactPreference.PHONE,
            )  # fmt: skip
        else:
            submitted = submit_complaint(
                **common, reporter=self.citizens[story.reporter],
                contact_preference=Complaint.ContactPreference.INBOX,
            )  # fmt: skip
        story.tracking_token = submitted.tracking_token
        return submitted.complaint

    def _route(self, story: Story, options: dict[str, Any]) -> Complaint | None:
        return route_complaint(complaint_id=self._complaint(story).pk)

    def _accept(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        if story.reporter == "anonymous":
            note = ANONYMOUS_ACCEPT
        else:
            note = options.get("note") or ACCEPT_NOTES[0]
        return accept_complaint(
            complaint=complaint, by=self._staff(complaint), note=say(note, staff_language(story))
        )

    def _start(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        return start_work(
            complaint=complaint,
            by=self._staff(complaint),
            note=say(options["note"], staff_language(story)),
        )

    def _progress(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        return add_progress_note(
            complaint=complaint,
            by=self._staff(complaint),
            note=say(PROGRESS, staff_language(story)),
        )

    def _pause(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        return pause_clock(
            complaint=complaint,
            by=self._staff(complaint),
            question=say(PAUSE_QUESTION, staff_language(story)),
        )

    def _resume(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        return resume_clock(
            complaint=complaint, by=self._staff(complaint), note=say(RESUMED, staff_language(story))
        )

    def _resolve(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        role = "supervisor" if options.get("by_supervisor") else "officer"
        return resolve_complaint(
            complaint=complaint,
            by=self._staff(complaint, role),
            note=say(RESOLUTIONS[story.category], staff_language(story)),
        )

    def _reject(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        story.rejected_by = self._agency_code(complaint)
        return reject_complaint(
            complaint=complaint,
            by=self._staff(complaint),
            reason=say(options["reason"], staff_language(story)),
        )

    def _dispatch(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        if story.category == "other":
            target = AGENCY_FOR[story.city][OTHER_HANDLERS[story.variant]]
        else:
            target = self._elsewhere(story, story.rejected_by or "")
        dispatcher = self.catalogue.staff[(DISPATCHERS[story.city], "dispatcher")]
        return dispatch_to_agency(
            complaint=complaint,
            by=dispatcher,
            agency=self.catalogue.agencies[target],
            note=say(DISPATCHED, staff_language(story)),
        )

    def _transfer(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        target = self._elsewhere(story, self._agency_code(complaint))
        return transfer_complaint(
            complaint=complaint,
            by=self._staff(complaint),
            agency=self.catalogue.agencies[target],
            reason=say(TRANSFER_REASON, staff_language(story)),
        )

    def _elsewhere(self, story: Story, refused_by: str) -> str:
        """The agency a report goes to when `refused_by` will not handle it (REDIRECT), else
        the category's own agency."""
        handler = self._handler_of(story.category)
        target = REDIRECT[story.city][story.category]
        return target if target != refused_by else AGENCY_FOR[story.city][handler]

    def _duplicate(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        original = self._complaint(story.original or story)
        if complaint.agency_id is not None:
            by = self._staff(complaint)
        else:  # waiting for the dispatcher, who recognises it
            by = self.catalogue.staff[(DISPATCHERS[story.city], "dispatcher")]
        return mark_duplicate(complaint=complaint, by=by, original=original)

    def _rate(self, story: Story, options: dict[str, Any]) -> Complaint:
        complaint = self._complaint(story)
        comment = say(options["comment"], story.language)
        return rate_resolution(
            complaint=complaint,
            speed=options["speed"],
            result=options["result"],
            attitude=options["attitude"],
            comment=comment,
            **self._who(story),
        )

    def _withdraw(self, story: Story, options: dict[str, Any]) -> Complaint:
        return withdraw_complaint(
            complaint=self._complaint(story),
            reason=say(options["reason"], story.language),
            **self._who(story),
        )

    def _who(self, story: Story) -> dict[str, Any]:
        if story.reporter == "anonymous":
            return {"tracking_token": story.tracking_token}
        return {"reporter": self.citizens[story.reporter]}

    @staticmethod
    def _handler_of(category: str) -> str:
        for branch in CATALOGUE:
            for leaf in branch.children:
                if leaf.code == category and leaf.handler:
                    return leaf.handler
        raise LookupError(category)


def seed_demo_complaints(catalogue: DemoCatalogue) -> Counter[str]:
    """The demo complaints, once: nothing is added where the demo cities have complaints
    already. Returns how many complaints are in each state."""
    cities = [j.pk for j in catalogue.jurisdictions.values()]
    existing = Complaint.objects.filter(jurisdiction_id__in=cities)
    if not existing.exists():
        now = timezone.now().replace(microsecond=0)
        rng = random.Random(SEED)  # noqa: S311 - a repeatable demo, not a secret
        stories = [
            story
            for city in catalogue.jurisdictions
            for story in StoryWriter(city, catalogue=catalogue, now=now, rng=rng).write()
        ]
        with transaction.atomic():
            Replay(catalogue, rng=rng).run(stories, now=now)
    return Counter(existing.values_list("status", flat=True))

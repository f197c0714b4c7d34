"""Payments demo data (called by `manage.py seed_demo` after the identity demo; safe to run
again): six billers in Chiang Mai — water, electricity, gas, broadband, the city's tax office and
a school — each with its agency, bill types and an integrator; linked accounts and open bills for
the demo citizens (one overdue, one payable in part, a school bill for the "verified" parent's
child and a tax bill for the business "inperson" represents); and a water bill nobody has linked
yet, to try linking an account with its proof; and last month's water bill of "citizen", paid
through the sandbox provider, with its receipt.

Every bill goes through the same actions as the API, so the ledger holds their postings.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from identity.actions.clients import create_api_client
from identity.models import Agency, ApiClient, Business, Jurisdiction, Mandate, Person
from payments.actions.attempts import record_provider_status, start_payment
from payments.actions.bills import BillLineData, link_biller_account, push_bill
from payments.models import Bill, Biller, BillType
from payments.providers.base import ProviderStatus
from payments.queries import active_links

CITY = "th-chiang-mai-city"
DEMO_BUSINESS_REGISTRATION = "0505561000123"  # Doi Suthep Coffee Co., Ltd. (identity demo)


def _names(en: str, th: str, zh: str) -> dict[str, str]:
    return {"name": en, "name_en": en, "name_th": th, "name_zh_hans": zh}


@dataclass(frozen=True)
class DemoBiller:
    code: str
    kind: str
    agency_code: str
    names: tuple[str, str, str]  # en, th, zh-hans
    receipt_prefix: str
    bill_types: tuple[tuple[str, tuple[str, str, str]], ...]

    @property
    def client_id(self) -> str:
        return f"cp_demo_{self.kind}"

    @property
    def secret(self) -> str:
        return f"demo-{self.kind}-secret-not-for-production"


BILLERS = (
    DemoBiller(
        "cm-water", "water", "cm-waterworks",
        ("Chiang Mai Waterworks", "การประปาเชียงใหม่", "清迈自来水厂"), "WTR-",
        (("water", ("Water supply", "ค่าน้ำประปา", "自来水费")),),
    ),
    DemoBiller(
        "cm-electricity", "electricity", "cm-electricity",
        ("Chiang Mai Electricity", "การไฟฟ้าเชียงใหม่", "清迈电力"), "ELC-",
        (("electricity", ("Electricity", "ค่าไฟฟ้า", "电费")),),
    ),
    DemoBiller(
        "cm-gas", "gas", "cm-city-gas",
        ("Lanna City Gas", "ก๊าซเมืองล้านนา", "兰纳城市燃气"), "GAS-",
        (("piped_gas", ("Piped gas", "ค่าก๊าซ", "管道燃气费")),),
    ),
    DemoBiller(
        "cm-broadband", "broadband", "cm-broadband",
        ("Doi Net Broadband", "ดอยเน็ต บรอดแบนด์", "素贴网宽带"), "NET-",
        (("monthly_plan", ("Monthly plan", "ค่าบริการรายเดือน", "月费")),),
    ),
    DemoBiller(
        "cm-tax", "tax", "cm-revenue",
        ("Chiang Mai City Revenue Office", "กองรายได้ เทศบาลนครเชียงใหม่", "清迈市税务处"), "TAX-",
        (
            ("land_building", ("Land and building tax", "ภาษีที่ดินและสิ่งปลูกสร้าง", "土地及建筑物税")),
            ("signboard", ("Signboard tax", "ภาษีป้าย", "招牌税")),
        ),
    ),
    DemoBiller(
        "cm-school", "school", "cm-municipal-school-1",
        ("Chiang Mai Municipal School 1", "โรงเรียนเทศบาล 1 เชียงใหม่", "清迈市立第一学校"), "SCH-",
        (("term_fees", ("Term fees", "ค่าธรรมเนียมการศึกษา", "学杂费")),),
    ),
)  # fmt: skip

# The account to try linking in the demo: POST /api/v1/biller-accounts with
# {"biller": "cm-water", "account_number": "WA-100009", "proof": {"last_bill_amount_minor": 35675}}
LINKABLE_BILLER, LINKABLE_ACCOUNT_NUMBER, LINKABLE_AMOUNT_MINOR = "cm-water", "WA-100009", 35675


@dataclass(frozen=True)
class DemoBill:
    biller: str
    number: str
    account_number: str
    lines: tuple[tuple[str, str, str, int], ...]  # fee type, period, description, amount
    due_in_days: int
    holder: str = ""  # who links the account: a demo username, or "child"
    bill_type: str = ""
    minimum_payable_minor: int | None = None
    for_business: bool = False


# Paid in full through the sandbox provider by seed_paid_bill, with its receipt. First in BILLS,
# so that it is the older of the account's two bills.
PAID_BILL = DemoBill(
    "cm-water", "WTR-2025-090001", "WA-100001",
    (("water", "last month", "19 m³", 30375), ("meter", "last month", "Meter rent", 1500)),
    due_in_days=-20, holder="citizen", bill_type="water",
)  # fmt: skip

BILLS = (
    PAID_BILL,
    DemoBill(
        "cm-water", "WTR-2025-100001", "WA-100001",
        (("water", "this month", "18 m³", 28850), ("meter", "this month", "Meter rent", 1500)),
        due_in_days=12, holder="citizen", bill_type="water",
    ),
    DemoBill(
        "cm-electricity", "ELC-2025-200001", "EL-200001",
        (("energy", "last month", "312 kWh", 136480), ("ft", "last month", "Fuel tariff", 12480)),
        due_in_days=-5, holder="citizen", bill_type="electricity",
    ),
    DemoBill(
        "cm-gas", "GAS-2025-300001", "GS-300001",
        (("piped_gas", "this month", "21 m³", 41200),),
        due_in_days=20, holder="citizen", bill_type="piped_gas",
    ),
    DemoBill(
        "cm-water", "WTR-2025-100002", "WA-100002",
        (("water", "this month", "11 m³", 17625),),
        due_in_days=12, holder="verified", bill_type="water",
    ),
    DemoBill(
        "cm-broadband", "NET-2025-400002", "BB-400002",
        (("monthly_plan", "this month", "500/500 Mbps", 59900),
         ("router", "this month", "Router instalment 3 of 6", 25000)),
        due_in_days=8, holder="verified", bill_type="monthly_plan", minimum_payable_minor=59900,
    ),
    DemoBill(
        "cm-school", "SCH-2025-T2-0042", "STU-2016-0042",
        (("tuition", "term 2", "Term fees", 350000), ("lunch", "term 2", "School lunch", 120000)),
        due_in_days=30, holder="child", bill_type="term_fees",
    ),
    DemoBill(
        "cm-electricity", "ELC-2025-200003", "EL-200003",
        (("energy", "last month", "198 kWh", 86240),),
        due_in_days=10, holder="inperson", bill_type="electricity",
    ),
    DemoBill(
        "cm-tax", "TAX-2025-LB-0123", "BIZ-0505561000123",
        (("land_building", "2025", "Shop, 1 Huay Kaew Rd", 452000),),
        due_in_days=45, bill_type="land_building", for_business=True,
    ),
    DemoBill(
        LINKABLE_BILLER, "WTR-2025-100009", LINKABLE_ACCOUNT_NUMBER,
        (("water", "this month", "23 m³", LINKABLE_AMOUNT_MINOR),),
        due_in_days=12, bill_type="water",
    ),
)  # fmt: skip


def _agency(spec: DemoBiller, city: Jurisdiction) -> Agency:
    agency, _ = Agency.objects.update_or_create(
        code=spec.agency_code, defaults={"jurisdiction": city, **_names(*spec.names)}
    )
    return agency


def _integrator(spec: DemoBiller, agency: Agency) -> ApiClient:
    client = ApiClient.objects.filter(client_id=spec.client_id).first()
    if client is None:
        client = create_api_client(
            agency=agency,
            name=f"{spec.names[0]} billing",
            scopes=[ApiClient.Scope.BILLS_WRITE],
            client_id=spec.client_id,
            secret=spec.secret,
        ).client
    return client


def seed_billers() -> dict[str, Biller]:
    city = Jurisdiction.objects.get(code=CITY)  # made by identity.demo.seed_identity
    billers = {}
    for spec in BILLERS:
        agency = _agency(spec, city)
        biller, _ = Biller.objects.update_or_create(
            code=spec.code,
            defaults={
                "kind": spec.kind,
                "agency": agency,
                "api_client": _integrator(spec, agency),
                "currency": "THB",
                "receipt_prefix": spec.receipt_prefix,
                "account_check": Biller.AccountCheck.LAST_BILL_AMOUNT,
                **_names(*spec.names),
            },
        )
        for code, names in spec.bill_types:
            BillType.objects.update_or_create(biller=biller, code=code, defaults=_names(*names))
        billers[spec.code] = biller
    return billers


def _holders() -> dict[str, Person]:
    holders = {
        username: Person.objects.get(user__username=username, closed_at__isnull=True)
        for username in ("citizen", "verified", "inperson")
    }
    child_mandate = (
        Mandate.objects.filter(representative=holders["verified"], for_person__isnull=False)
        .select_related("for_person")
        .first()
    )
    if child_mandate is not None and child_mandate.for_person is not None:
        holders["child"] = child_mandate.for_person
    return holders


def _bill(spec: DemoBill, biller: Biller, today: datetime.date) -> Bill:
    existing = Bill.objects.filter(biller=biller, number=spec.number).first()
    if existing is not None:  # dates are relative to the first run: keep what is there
        return existing
    business = None
    if spec.for_business:
        business = Business.objects.filter(registration_number=DEMO_BUSINESS_REGISTRATION).first()
    return push_bill(
        biller=biller,
        number=spec.number,
        account_number=spec.account_number,
        lines=[
            BillLineData(fee_type=fee, period=period, description=text, amount_minor=amount)
            for fee, period, text, amount in spec.lines
        ],
        currency=biller.currency,
        due_date=today + datetime.timedelta(days=spec.due_in_days),
        minimum_payable_minor=spec.minimum_payable_minor,
        bill_type_code=spec.bill_type or None,
        payer_business=business,
    ).bill


def seed_payments() -> dict[str, Biller]:
    """Billers, their integrators, bills and the demo citizens' linked accounts."""
    billers = seed_billers()
    holders = _holders()
    today = timezone.localdate()
    for spec in BILLS:
        bill = _bill(spec, billers[spec.biller], today)
        holder = holders.get(spec.holder)
        if holder is None:
            continue
        linked = active_links().filter(
            person=holder, biller=bill.biller, account_number=bill.account_number
        )
        if not linked.exists():
            link_biller_account(
                person=holder,
                biller=bill.biller,
                account_number=bill.account_number,
                last_bill_amount_minor=bill.total_minor,
                label=str(bill.biller.kind).capitalize(),
            )
    seed_paid_bill()
    return billers


def seed_paid_bill() -> Bill:
    """The demo citizen's water bill of last month, paid in full through the sandbox provider
    (the same actions as a payment through the API: the capture posting, the receipt)."""
    bill = Bill.objects.select_related("biller").get(
        biller__code=PAID_BILL.biller, number=PAID_BILL.number
    )
    if bill.status == Bill.Status.PAID:
        return bill
    payer = Person.objects.get(user__username=PAID_BILL.holder, closed_at__isnull=True)
    # An attempt left open by an interrupted run is handed back, and finished here.
    attempt = start_payment(
        payer=payer,
        bill_ids=[bill.public_id],
        amount_minor=bill.outstanding_minor,
        currency=bill.currency,
        provider_name="sandbox",
    ).attempt
    record_provider_status(
        attempt=attempt,
        status=ProviderStatus(
            provider_ref=attempt.provider_ref,
            outcome="captured",
            captured_minor=attempt.amount_minor,
            currency=attempt.currency,
        ),
        source="demo",
        verified=True,
    )
    bill.refresh_from_db()
    return bill


def biller_integrator_tokens() -> dict[str, str]:
    """The demo billers' integrator credentials, as printed by `make demo` (no database access)."""
    return {spec.code: f"{spec.client_id}.{spec.secret}" for spec in BILLERS}

import datetime
import itertools
from decimal import Decimal

import factory
from django.utils import timezone

from complaints.models import (
    Complaint,
    ComplaintCategory,
    District,
    Question,
    QuestionChoice,
    RoutingRule,
)
from identity.models import (
    Agency,
    Business,
    Credential,
    CredentialType,
    Jurisdiction,
    Mandate,
    Membership,
    Person,
    User,
)
from identity.national_id import cn_check_character, mask, th_check_digit
from payments.models import Bill, Biller
from services.models import (
    Application,
    Category,
    Check,
    EvidenceRequirement,
    Fee,
    LifeEvent,
    RuleSet,
    RuleTestCase,
    Service,
)

_serial = itertools.count(1)


def make_th_id() -> str:
    """A fresh, valid 13-digit Thai identification number."""
    first12 = f"1{next(_serial):011d}"
    return first12 + th_check_digit(first12)


def make_cn_id(born: datetime.date = datetime.date(1990, 5, 17)) -> str:
    """A fresh, valid 18-character Chinese resident identity number (Beijing region)."""
    first17 = f"110105{born:%Y%m%d}{next(_serial) % 1000:03d}"
    return first17 + cn_check_character(first17)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"citizen{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct-horse-battery-staple")


class JurisdictionFactory(factory.django.DjangoModelFactory[Jurisdiction]):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"province-{n}")
    name = factory.Sequence(lambda n: f"Province {n}")
    level = Jurisdiction.Level.PROVINCE
    parent: object = None
    time_zone = "Asia/Bangkok"
    languages = factory.LazyFunction(lambda: ["th", "en"])


class CityFactory(JurisdictionFactory):
    code = factory.Sequence(lambda n: f"city-{n}")
    name = factory.Sequence(lambda n: f"City {n}")
    level = Jurisdiction.Level.CITY
    parent = factory.SubFactory(JurisdictionFactory)


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    jurisdiction = factory.SubFactory(CityFactory)


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    """A citizen: an account with its person record (basic assurance)."""

    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    legal_name_local = factory.Sequence(lambda n: f"สมชาย ทดสอบ{n}")
    legal_name_latin = factory.Sequence(lambda n: f"Somchai Test{n}")
    date_of_birth = datetime.date(1990, 5, 17)
    contact_email = factory.LazyAttribute(lambda p: p.user.email if p.user else "")


class VerifiedPersonFactory(PersonFactory):
    """A person matched against the registry, with a national ID on record."""

    level_of_assurance = "substantial"
    national_id_scheme = "th_citizen"
    national_id = factory.LazyFunction(make_th_id)
    national_id_index = factory.LazyAttribute(lambda p: _index(p.national_id))
    national_id_masked = factory.LazyAttribute(lambda p: mask(p.national_id))


def _index(number: str) -> str:
    from identity.registry import national_id_index

    return national_id_index(number)


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"officer{n}")
    is_staff = True


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(StaffFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Membership.Role.OFFICER


class BusinessFactory(factory.django.DjangoModelFactory[Business]):
    class Meta:
        model = Business

    name = factory.Sequence(lambda n: f"Business {n} Co., Ltd.")
    registration_scheme = Business.RegistrationScheme.REGISTRATION
    registration_number = factory.Sequence(lambda n: f"0105{n:09d}")
    jurisdiction = factory.SubFactory(CityFactory)


class MandateFactory(factory.django.DjangoModelFactory[Mandate]):
    class Meta:
        model = Mandate

    representative = factory.SubFactory(PersonFactory)
    for_person = factory.SubFactory(PersonFactory, user=None)
    for_business = None
    scope = factory.LazyFunction(lambda: ["*"])
    valid_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class CredentialTypeFactory(factory.django.DjangoModelFactory[CredentialType]):
    class Meta:
        model = CredentialType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"card-{n}")
    name = factory.Sequence(lambda n: f"Card {n}")
    issuer = factory.SubFactory(AgencyFactory)


class CredentialFactory(factory.django.DjangoModelFactory[Credential]):
    class Meta:
        model = Credential

    holder = factory.SubFactory(PersonFactory)
    type = factory.SubFactory(CredentialTypeFactory)
    issuer = factory.LazyAttribute(lambda c: c.type.issuer)
    number = factory.Sequence(lambda n: f"TC{n:010d}")
    number_index = factory.LazyAttribute(lambda c: _card_index(c.number))
    number_masked = factory.LazyAttribute(lambda c: mask(c.number))
    valid_from = datetime.date(2025, 1, 1)
    valid_until = datetime.date(2030, 12, 31)
    origin = Credential.Origin.ISSUER
    verification = Credential.Verification.VERIFIED


def _card_index(number: str) -> str:
    from identity.crypto import blind_index

    return blind_index(number, purpose="credential_number")


# --- payments -------------------------------------------------------------------------------


class BillerFactory(factory.django.DjangoModelFactory[Biller]):
    class Meta:
        model = Biller
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"biller-{n}")
    name = factory.Sequence(lambda n: f"Biller {n}")
    kind = "water"
    currency = "THB"
    receipt_prefix = factory.Sequence(lambda n: f"R{n}-")


class BillFactory(factory.django.DjangoModelFactory[Bill]):
    """An open bill of 500.00 THB owed by a citizen."""

    class Meta:
        model = Bill

    biller = factory.SubFactory(BillerFactory)
    number = factory.Sequence(lambda n: f"B{n:08d}")
    account_number = factory.Sequence(lambda n: f"ACC{n:06d}")
    payer = factory.SubFactory(PersonFactory)
    currency = "THB"
    total_minor = 50000
    minimum_payable_minor = factory.LazyAttribute(lambda bill: bill.total_minor)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))


# Services ----------------------------------------------------------------------------------


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    """An active service on automatic approval whose form asks for a number of children."""

    class Meta:
        model = "services.Service"

    code = factory.Sequence(lambda n: f"service-{n}")
    agency = factory.SubFactory(AgencyFactory)
    jurisdiction = factory.LazyAttribute(lambda s: s.agency.jurisdiction)
    name_en = factory.Sequence(lambda n: f"Service {n}")
    name_th = factory.Sequence(lambda n: f"บริการ {n}")
    name_zh_hans = factory.Sequence(lambda n: f"服务 {n}")
    summary_en = "A test service."
    status = "active"
    approval_mode = "automatic"
    channels = factory.LazyFunction(lambda: ["app", "web"])
    input_schema = factory.LazyFunction(
        lambda: {
            "type": "object",
            "properties": {
                "children": {"type": "integer", "minimum": 0, "maximum": 20},
                "reason": {"type": "string", "maxLength": 200},
            },
            "required": ["children"],
            "additionalProperties": False,
        }
    )


class RuleSetFactory(factory.django.DjangoModelFactory[RuleSet]):
    class Meta:
        model = "services.RuleSet"

    service = factory.SubFactory(ServiceFactory)
    version = factory.Sequence(lambda n: n + 1)
    status = "published"
    effective_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class CheckFactory(factory.django.DjangoModelFactory[Check]):
    """Adults only: rejects an applicant under 18."""

    class Meta:
        model = "services.Check"

    rule_set = factory.SubFactory(RuleSetFactory)
    position = factory.Sequence(lambda n: n)
    code = factory.Sequence(lambda n: f"check-{n}")
    title_en = "The applicant is an adult"
    title_th = "ผู้ยื่นคำขอเป็นผู้ใหญ่"
    title_zh_hans = "申请人已成年"
    expression = factory.LazyFunction(lambda: {">=": [{"var": "applicant.age"}, 18]})
    on_fail = "reject"
    reason_template_en = "The applicant is {{applicant.age}}; the minimum age is 18."
    reason_template_th = "ผู้ยื่นคำขออายุ {{applicant.age}} ปี อายุขั้นต่ำคือ 18 ปี"
    reason_template_zh_hans = "申请人年龄为 {{applicant.age}} 岁，最低年龄为 18 岁。"
    legal_basis = "Test Act s. 1"


class RuleTestCaseFactory(factory.django.DjangoModelFactory[RuleTestCase]):
    """An adult with one child: approved by CheckFactory's adult check."""

    class Meta:
        model = "services.RuleTestCase"

    rule_set = factory.SubFactory(RuleSetFactory)
    name = factory.Sequence(lambda n: f"Case {n}")
    data = factory.LazyFunction(lambda: {"children": 1})
    facts = factory.LazyFunction(lambda: {"applicant": {"age": 30}})
    expected_outcome = "approved"


class ApplicationFactory(factory.django.DjangoModelFactory[Application]):
    """An application waiting for an officer, due in two days."""

    class Meta:
        model = "services.Application"

    reference = factory.Sequence(lambda n: f"APP-F-{n:06d}")
    service = factory.SubFactory(ServiceFactory)
    applicant = factory.SubFactory(PersonFactory)
    submitted_by = factory.LazyAttribute(lambda a: a.applicant)
    status = "manual_review"
    data = factory.LazyFunction(lambda: {"children": 1})
    round = 1
    submitted_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))


# Catalogue ---------------------------------------------------------------------------------


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = "services.Category"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    name_th = factory.Sequence(lambda n: f"หมวด {n}")
    name_zh_hans = factory.Sequence(lambda n: f"类别 {n}")


class LifeEventFactory(factory.django.DjangoModelFactory[LifeEvent]):
    class Meta:
        model = "services.LifeEvent"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"life-event-{n}")
    name_en = factory.Sequence(lambda n: f"Life event {n}")
    name_th = factory.Sequence(lambda n: f"เหตุการณ์ {n}")
    name_zh_hans = factory.Sequence(lambda n: f"人生事件 {n}")


class FeeFactory(factory.django.DjangoModelFactory[Fee]):
    class Meta:
        model = "services.Fee"

    service = factory.SubFactory(ServiceFactory)
    amount_minor = 20000
    currency = "THB"
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


class EvidenceRequirementFactory(factory.django.DjangoModelFactory[EvidenceRequirement]):
    class Meta:
        model = "services.EvidenceRequirement"

    service = factory.SubFactory(ServiceFactory)
    code = factory.Sequence(lambda n: f"evidence-{n}")
    name_en = "Proof of address"
    name_th = "หลักฐานที่อยู่"
    name_zh_hans = "住址证明"
    accepts_upload = True
    is_required = True


# Complaints --------------------------------------------------------------------------------


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, object]:
    """A GeoJSON square with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


class ComplaintCategoryFactory(factory.django.DjangoModelFactory[ComplaintCategory]):
    """A leaf category handled by a default agency within 5 working days."""

    class Meta:
        model = ComplaintCategory

    jurisdiction = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    default_agency = factory.SubFactory(
        AgencyFactory, jurisdiction=factory.SelfAttribute("..jurisdiction")
    )
    allows_anonymous = True


class QuestionFactory(factory.django.DjangoModelFactory[Question]):
    class Meta:
        model = Question

    category = factory.SubFactory(ComplaintCategoryFactory)
    code = factory.Sequence(lambda n: f"question-{n}")
    datatype = Question.Datatype.STRING
    description = "What do you see?"


class QuestionChoiceFactory(factory.django.DjangoModelFactory[QuestionChoice]):
    class Meta:
        model = QuestionChoice

    question = factory.SubFactory(QuestionFactory, datatype=Question.Datatype.SINGLE)
    key = factory.Sequence(lambda n: f"choice-{n}")
    name = factory.Sequence(lambda n: f"Choice {n}")


class DistrictFactory(factory.django.DjangoModelFactory[District]):
    class Meta:
        model = District

    jurisdiction = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"district-{n}")
    name = factory.Sequence(lambda n: f"District {n}")
    boundary = factory.LazyFunction(lambda: square(100.0, 13.0, 1.0))


class RoutingRuleFactory(factory.django.DjangoModelFactory[RoutingRule]):
    class Meta:
        model = RoutingRule
        skip_postgeneration_save = True

    jurisdiction = factory.SubFactory(CityFactory)
    priority = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Rule {n}")
    agency = factory.SubFactory(AgencyFactory, jurisdiction=factory.SelfAttribute("..jurisdiction"))

    @factory.post_generation
    def categories(self, create: bool, extracted: list[ComplaintCategory] | None) -> None:
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def districts(self, create: bool, extracted: list[District] | None) -> None:
        if create and extracted:
            self.districts.set(extracted)


class ComplaintFactory(factory.django.DjangoModelFactory[Complaint]):
    """A complaint as submitted by a signed-in citizen, not yet routed."""

    class Meta:
        model = Complaint

    category = factory.SubFactory(ComplaintCategoryFactory)
    jurisdiction = factory.SelfAttribute("category.jurisdiction")
    reporter = factory.SubFactory(PersonFactory)
    description = "The street light outside number 12 has been dark for a week."
    latitude = factory.LazyFunction(lambda: Decimal("13.500000"))
    longitude = factory.LazyFunction(lambda: Decimal("100.500000"))
    status = Complaint.Status.SUBMITTED
    agency = None
    # What the database requires of a complaint made directly in a later state: a handling
    # agency has a deadline, a final state has its closing time.
    resolution_due = factory.LazyAttribute(
        lambda c: timezone.now() + datetime.timedelta(days=5) if c.agency else None
    )
    closed_at = factory.LazyAttribute(
        lambda c: timezone.now() if c.status in ("closed", "duplicate", "withdrawn") else None
    )

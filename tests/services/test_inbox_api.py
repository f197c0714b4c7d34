"""The services' notices in the citizen's inbox (GET /api/v1/inbox, /inbox/{id},
POST /inbox/{id}/read): offers and decisions reach the person in their language, only they
read them."""

import datetime
import uuid

import pytest

from cityportal.notifications.models import Message
from services import rules
from services.actions.offers import run_offers
from services.models import Application, Offer
from tests.conftest import client_for
from tests.factories import CheckFactory, PersonFactory, RuleSetFactory, ServiceFactory

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/inbox"
SENIOR = datetime.date(1950, 1, 1)


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    # Published rule sets are cached by primary key, and rolled-back tests reuse keys.
    rules._CACHE.clear()
    yield
    rules._CACHE.clear()


@pytest.fixture
def senior_card():
    service = ServiceFactory.create(
        code="senior-transit-card",
        approval_mode="proactive",
        name_en="Senior transit card",
        name_th="บัตรโดยสารผู้สูงอายุ",
        name_zh_hans="老年人交通卡",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
    )
    CheckFactory.create(
        rule_set=RuleSetFactory.create(service=service),
        code="aged-65",
        expression={">=": [{"var": "applicant.age"}, 65]},
    )
    return service


@pytest.fixture
def allowance():
    """An automatic service that rejects a monthly income above 20,000."""
    service = ServiceFactory.create(
        code="child-allowance",
        name_en="Child allowance",
        name_th="เงินอุดหนุนบุตร",
        name_zh_hans="育儿津贴",
        input_schema={
            "type": "object",
            "properties": {"monthly_income": {"type": "integer"}},
            "required": ["monthly_income"],
        },
    )
    CheckFactory.create(
        rule_set=RuleSetFactory.create(service=service),
        code="low-income",
        expression={"<=": [{"var": "data.monthly_income"}, 20000]},
        reason_template_en="A monthly income of {{data.monthly_income}} is above 20000.",
        reason_template_th="รายได้ต่อเดือน {{data.monthly_income}} บาท เกิน 20000 บาท",
        reason_template_zh_hans="月收入 {{data.monthly_income}} 超过 20000。",
    )
    return service


def _citizen(language: str, **fields):
    person = PersonFactory.create(preferred_language=language, **fields)
    return person, client_for(person.user)


def _inbox(client, **params):
    response = client.get(INBOX, params)
    assert response.status_code == 200
    return response.json()["results"]


class TestNotices:
    @pytest.mark.parametrize(
        ("language", "name_field"),
        [("en", "name_en"), ("th", "name_th"), ("zh-hans", "name_zh_hans")],
    )
    def test_an_offer_reaches_the_person_in_their_language(self, senior_card, language, name_field):
        # given
        person, client = _citizen(language, date_of_birth=SENIOR)
        # when
        run_offers(service=senior_card)
        # then
        offer = Offer.objects.get(person=person)
        (message,) = _inbox(client)
        assert message["kind"] == "offer.made"
        assert message["language"] == language
        assert getattr(senior_card, name_field) in message["title"]
        assert message["link"] == f"/api/v1/offers/{offer.public_id}"
        assert message["data"] == {
            "offer": str(offer.public_id),
            "service": "senior-transit-card",
        }
        assert message["is_read"] is False

    def test_an_accepted_offers_decision_follows_in_the_persons_language(
        self, senior_card, django_capture_on_commit_callbacks
    ):
        # given
        person, client = _citizen("zh-hans", date_of_birth=SENIOR)
        run_offers(service=senior_card)
        offer = Offer.objects.get(person=person)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"/api/v1/offers/{offer.public_id}/accept",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        # then
        application = Application.objects.get()
        decided, offered = _inbox(client)
        assert (decided["kind"], offered["kind"]) == ("application.approved", "offer.made")
        assert decided["language"] == "zh-hans"
        assert "老年人交通卡" in decided["title"]
        assert application.reference in decided["title"]
        assert decided["link"] == f"/api/v1/applications/{application.public_id}"

    def test_a_rejection_carries_the_reason_in_the_persons_language(
        self, allowance, django_capture_on_commit_callbacks
    ):
        # given
        _person, client = _citizen("th")
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/applications",
                {"service": "child-allowance", "data": {"monthly_income": 50000}},
                format="json",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        # then
        assert response.status_code == 201
        (message,) = _inbox(client)
        assert message["kind"] == "application.rejected"
        assert message["language"] == "th"
        assert "เงินอุดหนุนบุตร" in message["title"]
        assert "รายได้ต่อเดือน 50000 บาท เกิน 20000 บาท" in message["body"]


class TestInbox:
    @pytest.fixture
    def offered(self, senior_card, person):
        person.date_of_birth = SENIOR
        person.save()
        run_offers(service=senior_card)
        return Message.objects.get(recipient=person)

    def test_the_list_costs_the_same_queries_however_many_messages(
        self, offered, person, citizen_api, django_assert_num_queries
    ):
        # given
        for code in ("library-card", "parking-permit"):
            service = ServiceFactory.create(code=code, approval_mode="proactive")
            CheckFactory.create(rule_set=RuleSetFactory.create(service=service))
            run_offers(service=service)
        # when: the page of messages (the person comes with the account)
        with django_assert_num_queries(1):
            messages = _inbox(citizen_api)
        # then
        assert [m["data"]["service"] for m in messages] == [
            "parking-permit",
            "library-card",
            "senior-transit-card",
        ]

    def test_marking_a_message_read(self, offered, citizen_api):
        # when
        response = citizen_api.post(f"{INBOX}/{offered.public_id}/read")
        # then
        assert response.status_code == 200
        assert response.json()["is_read"] is True
        offered.refresh_from_db()
        first_read = offered.read_at
        assert first_read is not None
        assert _inbox(citizen_api, unread="true") == []
        # reading again keeps the first time
        citizen_api.post(f"{INBOX}/{offered.public_id}/read")
        offered.refresh_from_db()
        assert offered.read_at == first_read

    def test_the_unread_filter(self, offered, citizen_api):
        # when
        unread = _inbox(citizen_api, unread="true")
        # then
        assert [m["id"] for m in unread] == [str(offered.public_id)]

    def test_another_citizen_cannot_read_or_mark_it(self, offered, other_citizen_api):
        # when
        read = other_citizen_api.get(f"{INBOX}/{offered.public_id}")
        marked = other_citizen_api.post(f"{INBOX}/{offered.public_id}/read")
        # then
        assert (read.status_code, marked.status_code) == (404, 404)
        assert _inbox(other_citizen_api) == []
        offered.refresh_from_db()
        assert offered.read_at is None

    def test_the_recipient_reads_one_message(self, offered, citizen_api):
        # when
        response = citizen_api.get(f"{INBOX}/{offered.public_id}")
        # then
        assert response.status_code == 200
        assert response.json()["kind"] == "offer.made"

    def test_anonymous_is_refused(self, offered, api):
        # when / then
        assert api.get(INBOX).status_code == 401
        assert api.post(f"{INBOX}/{offered.public_id}/read").status_code == 401
        offered.refresh_from_db()
        assert offered.read_at is None

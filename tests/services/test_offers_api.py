"""GET /api/v1/offers, GET /api/v1/offers/{id}, POST /api/v1/offers/{id}/accept and
/decline: a citizen sees and answers only the offers made to them; accepting makes an
application decided by the rules at once."""

import datetime
import uuid

import pytest
from django.utils import timezone

from services import rules
from services.actions.offers import run_offers
from services.models import Application, Offer
from tests.factories import CheckFactory, PersonFactory, RuleSetFactory, ServiceFactory

pytestmark = pytest.mark.django_db

OFFERS = "/api/v1/offers"
SENIOR = datetime.date(1950, 1, 1)


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    # Published rule sets are cached by primary key, and rolled-back tests reuse keys.
    rules._CACHE.clear()
    yield
    rules._CACHE.clear()


def _proactive_service(code: str = "senior-transit-card"):
    service = ServiceFactory.create(
        code=code,
        approval_mode="proactive",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
    )
    CheckFactory.create(
        rule_set=RuleSetFactory.create(service=service),
        code="aged-65",
        expression={">=": [{"var": "applicant.age"}, 65]},
    )
    return service


@pytest.fixture
def senior_card():
    return _proactive_service()


@pytest.fixture
def offer(senior_card, person):
    person.date_of_birth = SENIOR
    person.save()
    run_offers(service=senior_card)
    return Offer.objects.get(person=person)


def _accept(client, offer, key=None):
    return client.post(
        f"{OFFERS}/{offer.public_id}/accept",
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


class TestList:
    def test_a_citizen_sees_their_own_offers_newest_first(
        self, offer, person, citizen_api, django_assert_num_queries
    ):
        # given: a second offer to the citizen, one to someone else
        library = _proactive_service("library-card")
        PersonFactory.create(date_of_birth=SENIOR)
        run_offers(service=library)
        newest = Offer.objects.get(person=person, service=library)
        # when: the page of offers with services and applications (the person comes with the
        # account)
        with django_assert_num_queries(1):
            response = citizen_api.get(OFFERS)
        # then
        assert response.status_code == 200
        body = response.json()
        assert [o["id"] for o in body["results"]] == [str(newest.public_id), str(offer.public_id)]
        assert body["results"][1] == {
            "id": str(offer.public_id),
            "service": {
                "code": "senior-transit-card",
                "name": offer.service.name_en,
                "summary": "A test service.",
            },
            "status": "offered",
            "created_at": offer.created_at.isoformat().replace("+00:00", "Z"),
            "expires_at": offer.expires_at.isoformat().replace("+00:00", "Z"),
            "responded_at": None,
            "application": None,
        }

    def test_the_service_name_is_in_the_language_asked_for(self, offer, citizen_api):
        # when
        response = citizen_api.get(OFFERS, headers={"Accept-Language": "th"})
        # then
        assert response.json()["results"][0]["service"]["name"] == offer.service.name_th

    def test_another_citizen_sees_none_of_them(self, offer, other_citizen_api):
        # when
        response = other_citizen_api.get(OFFERS)
        # then
        assert response.status_code == 200
        assert response.json()["results"] == []

    def test_anonymous_is_refused(self, offer, api):
        # when
        response = api.get(OFFERS)
        # then
        assert response.status_code == 401


class TestDetail:
    def test_the_citizen_reads_their_offer(self, offer, citizen_api):
        # when
        response = citizen_api.get(f"{OFFERS}/{offer.public_id}")
        # then
        assert response.status_code == 200
        assert response.json()["id"] == str(offer.public_id)

    @pytest.mark.parametrize("client", ["other_citizen_api", "officer_api"])
    def test_anyone_else_gets_not_found_or_forbidden(self, offer, client, request):
        # when
        response = request.getfixturevalue(client).get(f"{OFFERS}/{offer.public_id}")
        # then: another citizen is told it does not exist; staff have no citizen's inbox
        expected = {"other_citizen_api": (404, "offer_not_found"), "officer_api": (403, None)}
        status, code = expected[client]
        assert response.status_code == status
        if code:
            assert response.json()["code"] == code

    def test_an_unknown_offer_is_not_found(self, citizen_api):
        # when
        response = citizen_api.get(f"{OFFERS}/{uuid.uuid4()}")
        # then
        assert response.status_code == 404
        assert response.json()["code"] == "offer_not_found"


class TestAccept:
    def test_accepting_makes_an_application_decided_at_once(
        self, offer, person, citizen_api, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = _accept(citizen_api, offer)
        # then
        assert response.status_code == 201
        application = Application.objects.get()
        assert response.json() == {
            "id": str(application.public_id),
            "reference": application.reference,
            "status": "checking",
        }
        assert response["Location"] == f"/api/v1/applications/{application.public_id}"
        assert application.status == "approved"
        assert application.decided_by == "rules"
        assert application.offer == offer
        assert application.applicant == person
        assert application.submitted_by == person
        offer.refresh_from_db()
        assert offer.status == "accepted"
        # the offer shows the application made from it
        shown = citizen_api.get(f"{OFFERS}/{offer.public_id}").json()
        assert shown["status"] == "accepted"
        assert shown["application"] == {
            "id": str(application.public_id),
            "reference": application.reference,
            "status": "approved",
        }

    def test_the_same_key_makes_one_application(
        self, offer, citizen_api, django_capture_on_commit_callbacks
    ):
        # given
        key = str(uuid.uuid4())
        with django_capture_on_commit_callbacks(execute=True):
            first = _accept(citizen_api, offer, key)
        # when
        again = _accept(citizen_api, offer, key)
        # then
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert Application.objects.count() == 1

    def test_accepting_twice_is_refused(
        self, offer, citizen_api, django_capture_on_commit_callbacks
    ):
        # given
        with django_capture_on_commit_callbacks(execute=True):
            _accept(citizen_api, offer)
        # when
        response = _accept(citizen_api, offer)
        # then
        assert response.status_code == 409
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "offer_not_open"
        assert response.json()["offer_status"] == "accepted"
        assert Application.objects.count() == 1

    def test_the_key_is_required(self, offer, citizen_api):
        # when
        response = citizen_api.post(f"{OFFERS}/{offer.public_id}/accept")
        # then
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"
        assert not Application.objects.exists()

    def test_an_expired_offer_cannot_be_accepted(self, offer, citizen_api):
        # given
        Offer.objects.filter(pk=offer.pk).update(
            expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        # when
        response = _accept(citizen_api, offer)
        # then
        assert response.status_code == 409
        assert response.json()["code"] == "offer_not_open"
        assert response.json()["offer_status"] == "expired"
        assert not Application.objects.exists()

    def test_a_suspended_service_takes_no_application(self, offer, senior_card, citizen_api):
        # given
        senior_card.status = "suspended"
        senior_card.save()
        # when
        response = _accept(citizen_api, offer)
        # then
        assert response.status_code == 409
        assert response.json()["code"] == "service_not_open"
        offer.refresh_from_db()
        assert offer.status == "offered"
        assert not Application.objects.exists()

    @pytest.mark.parametrize(
        ("client", "status"),
        [("api", 401), ("other_citizen_api", 404), ("officer_api", 403)],
    )
    def test_only_the_person_offered_may_accept(self, offer, client, status, request):
        # when
        response = _accept(request.getfixturevalue(client), offer)
        # then
        assert response.status_code == status
        offer.refresh_from_db()
        assert offer.status == "offered"
        assert not Application.objects.exists()


class TestDecline:
    def test_declining_closes_the_offer(self, offer, citizen_api):
        # when
        response = citizen_api.post(f"{OFFERS}/{offer.public_id}/decline")
        # then
        assert response.status_code == 200
        assert response.json()["status"] == "declined"
        assert response.json()["responded_at"] is not None
        # and it cannot be accepted after
        refused = _accept(citizen_api, offer)
        assert refused.status_code == 409
        assert refused.json()["code"] == "offer_not_open"
        assert not Application.objects.exists()

    def test_another_citizen_cannot_decline(self, offer, other_citizen_api):
        # when
        response = other_citizen_api.post(f"{OFFERS}/{offer.public_id}/decline")
        # then
        assert response.status_code == 404
        offer.refresh_from_db()
        assert offer.status == "offered"
        assert offer.responded_at is None

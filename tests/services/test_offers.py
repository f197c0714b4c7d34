"""Proactive offers at the action level: a run over the population in chunks offers the service
to those the rules approve, records its progress, resumes after an interruption without
doubles, and an accepted offer becomes an application decided at once."""

import datetime
import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cityportal.notifications.models import Message
from identity.models import Person, User
from services import rules
from services.actions.offers import (
    OfferNotFound,
    OfferNotOpen,
    ServiceNotProactive,
    accept_offer,
    decline_offer,
    expire_offers,
    run_offers,
)
from services.models import Application, Offer, OfferRun
from services.offer_tasks import run_proactive_offers_task
from tests.conftest import sign_in_to_admin
from tests.factories import (
    CheckFactory,
    CityFactory,
    CredentialFactory,
    CredentialTypeFactory,
    MembershipFactory,
    PersonFactory,
    RuleSetFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    # Published rule sets are cached by primary key, and rolled-back tests reuse keys.
    rules._CACHE.clear()
    yield
    rules._CACHE.clear()


SENIOR = datetime.date(1950, 1, 1)
YOUNG = datetime.date(1995, 1, 1)


@pytest.fixture
def senior_card():
    """A proactive service for residents aged 65 or more: no form, facts only."""
    service = ServiceFactory.create(
        code="senior-transit-card",
        approval_mode="proactive",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
    )
    rule_set = RuleSetFactory.create(service=service)
    CheckFactory.create(
        rule_set=rule_set,
        code="aged-65",
        expression={">=": [{"var": "applicant.age"}, 65]},
        reason_template_en="The applicant is {{applicant.age}}; the card starts at 65.",
    )
    return service


def _population(count: int, *, senior_every: int = 5) -> list[Person]:
    """`count` citizens with accounts, every `senior_every`-th of them 65 or older."""
    first = Person.objects.count()
    users = User.objects.bulk_create(
        User(username=f"resident{n}") for n in range(first, first + count)
    )
    return Person.objects.bulk_create(
        Person(
            user=user,
            pseudonym=f"P-TEST{first + n:012d}",
            date_of_birth=SENIOR if n % senior_every == 0 else YOUNG,
        )
        for n, user in enumerate(users)
    )


class TestRuns:
    def test_a_run_offers_the_service_to_eligible_persons_only(self, senior_card):
        # given
        _population(2500)
        # when
        run = run_offers(service=senior_card, chunk_size=1000)
        # then
        assert run.status == "finished"
        assert run.finished_at is not None
        assert run.persons_checked == 2500
        assert run.offers_made == 500
        offers = Offer.objects.filter(service=senior_card)
        assert offers.count() == 500
        assert set(offers.values_list("person__date_of_birth", flat=True)) == {SENIOR}
        assert set(offers.values_list("status", flat=True)) == {"offered"}
        assert all(offer.data == {} for offer in offers)
        offer = offers.first()
        assert offer is not None
        assert offer.expires_at == offer.created_at + datetime.timedelta(days=90)
        assert offer.rule_set == run.rule_set
        assert Message.objects.filter(kind="offer.made").count() == 500

    def test_an_interrupted_run_resumes_where_it_stopped_without_doubles(self, senior_card):
        # given
        persons = _population(2500)
        # when: one chunk, as if the worker died after it
        first = run_offers(service=senior_card, chunk_size=1000, max_chunks=1)
        # then
        assert first.status == "running"
        assert first.persons_checked == 1000
        assert first.last_person_id == persons[999].pk
        assert first.offers_made == 200
        assert Offer.objects.count() == 200
        # when: the next call resumes the same run
        resumed = run_offers(service=senior_card, chunk_size=1000)
        # then
        assert resumed.pk == first.pk
        assert resumed.status == "finished"
        assert resumed.persons_checked == 2500
        assert resumed.offers_made == 500
        assert Offer.objects.count() == 500
        assert Message.objects.filter(kind="offer.made").count() == 500
        assert OfferRun.objects.count() == 1

    def test_a_new_pass_makes_no_duplicate_offers_or_messages(self, senior_card):
        # given
        _population(300)
        run_offers(service=senior_card, chunk_size=100)
        # when
        again = run_offers(service=senior_card, chunk_size=100)
        # then
        assert again.status == "finished"
        assert again.persons_checked == 300
        assert again.offers_made == 0
        assert OfferRun.objects.filter(service=senior_card).count() == 2
        assert Offer.objects.count() == 60
        assert Message.objects.filter(kind="offer.made").count() == 60

    def test_persons_closed_without_account_below_the_level_or_who_applied_are_not_offered(
        self, senior_card
    ):
        # given
        senior_card.minimum_level_of_assurance = "substantial"
        senior_card.save()
        offered = PersonFactory.create(date_of_birth=SENIOR, level_of_assurance="substantial")
        PersonFactory.create(date_of_birth=SENIOR, level_of_assurance="basic")
        PersonFactory.create(date_of_birth=SENIOR, level_of_assurance="high", user=None)
        PersonFactory.create(
            date_of_birth=SENIOR, level_of_assurance="high", closed_at=timezone.now()
        )
        applied = PersonFactory.create(date_of_birth=SENIOR, level_of_assurance="high")
        Application.objects.create(
            reference="APP-T-1",
            service=senior_card,
            applicant=applied,
            submitted_by=applied,
            status="manual_review",
        )
        # when
        run = run_offers(service=senior_card)
        # then
        assert list(Offer.objects.values_list("person", flat=True)) == [offered.pk]
        # closed persons and persons without an account (nobody to tell) are not checked
        assert run.persons_checked == 3
        assert run.offers_made == 1

    def test_residence_and_credentials_are_facts_the_rules_read(self, senior_card):
        # given: the card is for pensioners living in one province
        city = CityFactory.create(code="chiang-mai-city", parent__code="chiang-mai")
        pension = CredentialTypeFactory.create(code="pension")
        rule_set = senior_card.rule_sets.get()
        CheckFactory.create(
            rule_set=rule_set,
            code="resident",
            expression={"in": ["chiang-mai", {"var": "applicant.residence_in"}]},
        )
        CheckFactory.create(
            rule_set=rule_set,
            code="pensioner",
            expression={"==": [{"var": "applicant.credentials.pension"}, True]},
        )
        pensioner = PersonFactory.create(date_of_birth=SENIOR, residence=city)
        CredentialFactory.create(holder=pensioner, type=pension)
        PersonFactory.create(date_of_birth=SENIOR, residence=city)  # no pension card
        elsewhere = PersonFactory.create(date_of_birth=SENIOR, residence=CityFactory.create())
        CredentialFactory.create(holder=elsewhere, type=pension)
        # when
        run_offers(service=senior_card)
        # then
        assert list(Offer.objects.values_list("person", flat=True)) == [pensioner.pk]

    def test_a_chunk_costs_the_same_queries_however_many_persons_it_holds(self, senior_card):
        # given: nobody qualifies, so the count is the chunk's own work (no offer or message)
        _population(100, senior_every=10**6)
        Person.objects.update(date_of_birth=YOUNG)
        with CaptureQueriesContext(connection) as small:
            run_offers(service=senior_card, chunk_size=5000)
        _population(2000, senior_every=10**6)
        Person.objects.update(date_of_birth=YOUNG)
        rules._CACHE.clear()
        # when
        with CaptureQueriesContext(connection) as large:
            run = run_offers(service=senior_card, chunk_size=5000)
        # then
        assert run.persons_checked == 2100
        assert len(large) == len(small)

    @pytest.mark.parametrize(
        "changes",
        [
            {"approval_mode": "automatic"},
            {"status": "suspended"},
        ],
    )
    def test_only_an_active_proactive_service_is_offered(self, senior_card, changes):
        # given
        for name, value in changes.items():
            setattr(senior_card, name, value)
        senior_card.save()
        _population(10)
        # when / then
        with pytest.raises(ServiceNotProactive):
            run_offers(service=senior_card)
        assert not OfferRun.objects.exists()
        assert not Offer.objects.exists()

    def test_no_run_without_rules_in_force(self, senior_card):
        # given
        senior_card.rule_sets.update(status="retired")
        # when / then
        with pytest.raises(ServiceNotProactive):
            run_offers(service=senior_card)
        assert not OfferRun.objects.exists()


class TestTask:
    def test_the_periodic_task_makes_offers_once_a_day(self, senior_card):
        # given
        _population(50)
        # when
        queued = run_proactive_offers_task.delay().get()
        # then
        assert queued == 1
        assert Offer.objects.count() == 10
        assert OfferRun.objects.get().status == "finished"
        # when: an hour later, the day's pass is done
        assert run_proactive_offers_task.delay().get() == 0
        assert OfferRun.objects.count() == 1

    def test_a_new_rule_set_starts_a_new_pass(self, senior_card):
        # given
        _population(50)
        run_proactive_offers_task.delay().get()
        senior_card.rule_sets.update(status="retired")
        CheckFactory.create(
            rule_set=RuleSetFactory.create(service=senior_card),
            expression={">=": [{"var": "applicant.age"}, 18]},
        )
        # when
        assert run_proactive_offers_task.delay().get() == 1
        # then: everyone adult is now offered, the seniors were already
        assert Offer.objects.count() == 50
        assert Message.objects.filter(kind="offer.made").count() == 50


class TestAnswers:
    @pytest.fixture
    def offer(self, senior_card, person):
        person.date_of_birth = SENIOR
        person.save()
        run_offers(service=senior_card)
        return Offer.objects.get(person=person)

    def test_accepting_makes_an_application_decided_at_once(
        self, offer, person, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            application = accept_offer(offer=offer, by=person, language="en")
        # then
        application.refresh_from_db()
        offer.refresh_from_db()
        assert application.offer == offer
        assert application.applicant == person
        assert application.data == {}
        assert application.status == "approved"
        assert application.decided_by == "rules"
        assert offer.status == "accepted"
        assert offer.responded_at is not None

    def test_an_offer_is_accepted_once(self, offer, person, django_capture_on_commit_callbacks):
        # given
        with django_capture_on_commit_callbacks(execute=True):
            accept_offer(offer=offer, by=person, language="en")
        # when / then
        with pytest.raises(OfferNotOpen):
            accept_offer(offer=offer, by=person, language="en")
        assert Application.objects.count() == 1

    def test_only_the_person_offered_may_answer(self, offer):
        # given
        other = PersonFactory.create(date_of_birth=SENIOR)
        # when / then
        with pytest.raises(OfferNotFound):
            accept_offer(offer=offer, by=other, language="en")
        with pytest.raises(OfferNotFound):
            decline_offer(offer=offer, by=other)
        offer.refresh_from_db()
        assert offer.status == "offered"
        assert not Application.objects.exists()

    def test_a_declined_offer_cannot_be_accepted(self, offer, person):
        # when
        decline_offer(offer=offer, by=person)
        # then
        offer.refresh_from_db()
        assert offer.status == "declined"
        assert offer.responded_at is not None
        with pytest.raises(OfferNotOpen):
            accept_offer(offer=offer, by=person, language="en")
        assert not Application.objects.exists()

    def test_unanswered_offers_expire(self, offer, person):
        # given
        later = offer.expires_at + datetime.timedelta(seconds=1)
        # when
        expired = expire_offers(now=later)
        # then
        assert expired == 1
        offer.refresh_from_db()
        assert offer.status == "expired"
        with pytest.raises(OfferNotOpen):
            accept_offer(offer=offer, by=person, language="en")

    def test_an_offer_past_its_expiry_cannot_be_accepted_before_the_sweep(self, offer, person):
        # given
        Offer.objects.filter(pk=offer.pk).update(
            expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        # when / then
        with pytest.raises(OfferNotOpen) as refused:
            accept_offer(offer=offer, by=person, language="en")
        assert refused.value.extra == {"offer_status": "expired"}
        assert not Application.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_held_by_another_worker_is_left_to_it(senior_card):
    # given: another worker is in the middle of a chunk (it holds the run's row lock)
    _population(20)
    run = run_offers(service=senior_card, chunk_size=10, max_chunks=1)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            OfferRun.objects.select_for_update().get(pk=run.pk)
            locked.set()
            release.wait(timeout=10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        # when
        seen = run_offers(service=senior_card, chunk_size=10)
    finally:
        release.set()
        thread.join()
    # then: nothing done twice, the run as the other worker left it
    assert seen.pk == run.pk
    assert (seen.status, seen.persons_checked) == ("running", 10)
    assert Offer.objects.count() == 2


class TestAdmin:
    @pytest.fixture
    def runs(self, senior_card):
        _population(10)
        run_offers(service=senior_card)
        other = ServiceFactory.create(code="other-agencys-card", approval_mode="proactive")
        CheckFactory.create(rule_set=RuleSetFactory.create(service=other))
        run_offers(service=other)
        return senior_card, other

    @pytest.fixture
    def officer_browser(self, senior_card):
        officer = MembershipFactory.create(agency=senior_card.agency).user
        officer.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_offer", "view_offerrun"])
        )
        return sign_in_to_admin(Client(), officer)

    def test_an_officer_sees_the_progress_of_their_agencys_runs_only(self, runs, officer_browser):
        # when
        response = officer_browser.get("/admin/services/offerrun/")
        # then
        assert response.status_code == 200
        page = response.content.decode()
        senior_card, other = runs
        assert [run.service for run in response.context["cl"].result_list] == [senior_card]
        assert other.name not in page

    def test_an_officer_sees_their_agencys_offers_only(self, runs, officer_browser):
        # when
        response = officer_browser.get("/admin/services/offer/")
        # then
        assert response.status_code == 200
        shown = response.context["cl"].result_list
        assert {offer.service.code for offer in shown} == {"senior-transit-card"}
        assert len(shown) == 2

    def test_offers_cannot_be_changed_in_admin(self, runs, officer_browser):
        # given
        offer = Offer.objects.filter(service=runs[0]).first()
        assert offer is not None
        # when
        response = officer_browser.post(
            f"/admin/services/offer/{offer.pk}/change/", {"status": "accepted"}
        )
        # then
        assert response.status_code == 403
        offer.refresh_from_db()
        assert offer.status == "offered"

    def test_run_now_continues_the_selected_services(
        self, runs, officer_browser, django_capture_on_commit_callbacks
    ):
        # given: more people since the last pass
        senior_card = runs[0]
        run = OfferRun.objects.get(service=senior_card)
        OfferRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now() - datetime.timedelta(days=2)
        )
        _population(5, senior_every=1)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = officer_browser.post(
                "/admin/services/offerrun/",
                {"action": "continue_now", "_selected_action": [run.pk]},
            )
        # then
        assert response.status_code == 302
        assert OfferRun.objects.filter(service=senior_card).count() == 2
        assert Offer.objects.filter(service=senior_card).count() == 7

"""The benchmark generator: synthetic complaints that live by the transition table, routed by
the jurisdiction's real rules, with deadlines, history and ratings consistent with their state
(PostgreSQL COPY on PostgreSQL, bulk INSERTs elsewhere: this file runs on both)."""

import datetime
import itertools
import re
from collections import defaultdict
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from complaints import states
from complaints.management.commands.generate_complaints import tracking_number
from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    DeadlineUnit,
    District,
    Rating,
)
from complaints.routing import routing_table
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    DistrictFactory,
    PersonFactory,
    QuestionChoiceFactory,
    QuestionFactory,
    RoutingRuleFactory,
    square,
)

pytestmark = pytest.mark.django_db
S = Complaint.Status


@pytest.fixture
def catalogue():
    """A city with two districts, a road category whose reports in the east go to a second
    agency by rule, a noise category with a required question that allows anonymous reports,
    and three reporters."""
    city = CityFactory.create()
    west = DistrictFactory.create(jurisdiction=city, code="west", boundary=square(98.9, 18.7, 0.1))
    east = DistrictFactory.create(jurisdiction=city, code="east", boundary=square(99.0, 18.7, 0.1))
    works = AgencyFactory.create(jurisdiction=city)
    works_east = AgencyFactory.create(jurisdiction=city)
    environment = AgencyFactory.create(jurisdiction=city)
    roads = ComplaintCategoryFactory.create(jurisdiction=city, default_agency=None)
    potholes = ComplaintCategoryFactory.create(
        jurisdiction=city, parent=roads, default_agency=works, allows_anonymous=False
    )
    noise = ComplaintCategoryFactory.create(
        jurisdiction=city,
        default_agency=environment,
        resolution_amount=48,
        resolution_unit=DeadlineUnit.WORKING_HOURS,
    )
    source = QuestionFactory.create(category=noise, code="source", is_required=True,
                                    datatype="singlevaluelist")  # fmt: skip
    QuestionChoiceFactory.create(question=source, key="music")
    rule = RoutingRuleFactory.create(
        jurisdiction=city, priority=1, agency=works_east, categories=[roads], districts=[east]
    )
    reporters = PersonFactory.create_batch(3)
    return {
        "city": city, "west": west, "east": east, "works": works, "works_east": works_east,
        "environment": environment, "potholes": potholes, "noise": noise, "rule": rule,
        "reporters": reporters,
    }  # fmt: skip


def _histories() -> dict[int, list[ComplaintEvent]]:
    histories: dict[int, list[ComplaintEvent]] = defaultdict(list)
    for event in ComplaintEvent.objects.order_by("complaint_id", "at", "pk"):
        histories[event.complaint_id].append(event)
    return histories


def test_every_complaint_lives_by_the_transition_table(catalogue):
    # when
    call_command("generate_complaints", "600", "--seed", "3", "--batch", "250", "--quiet",
                 stdout=StringIO())  # fmt: skip

    # then every history starts with the submission and moves only as the table allows
    complaints = list(Complaint.objects.all())
    assert len(complaints) == 600
    histories = _histories()
    for complaint in complaints:
        events = histories[complaint.pk]
        first = events[0]
        assert (first.from_status, first.to_status) == ("", S.SUBMITTED)
        assert first.at == complaint.created_at
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status
            assert after.at >= before.at
            assert after.to_status == after.from_status or states.can_move(
                after.from_status, after.to_status, after.actor_kind
            ), (complaint.tracking_number, after.from_status, after.to_status, after.actor_kind)
        assert events[-1].to_status == complaint.status
        assert events[-1].at == complaint.updated_at
        assert events[-1].agency_id == complaint.agency_id


def test_states_come_out_as_in_a_two_year_old_service(catalogue):
    # when
    call_command("generate_complaints", "1000", "--seed", "4", "--quiet", stdout=StringIO())

    # then most are closed, a working set is still open, and nothing is in the future
    now = timezone.now()
    statuses = dict.fromkeys(S.values, 0)
    for status in Complaint.objects.values_list("status", flat=True):
        statuses[status] += 1
    assert statuses[S.CLOSED] > 850
    assert sum(statuses[status] for status in states.OPEN) >= 1
    assert statuses[S.DUPLICATE] >= 1
    assert Complaint.objects.filter(created_at__lt=now - datetime.timedelta(days=731)).count() == 0
    assert Complaint.objects.filter(updated_at__gt=now).count() == 0
    assert ComplaintEvent.objects.filter(at__gt=now).count() == 0


def test_timestamps_and_deadlines_agree_with_the_state(catalogue):
    # when
    call_command("generate_complaints", "600", "--seed", "5", "--quiet", stdout=StringIO())

    # then (first contact after a handover: see the next test)
    handed_over = set(
        ComplaintEvent.objects.filter(to_status__in=[S.TRANSFERRED, S.REJECTED]).values_list(
            "complaint_id", flat=True
        )
    )
    for complaint in Complaint.objects.all():
        if complaint.status in states.OPEN | {S.RESOLVED}:
            assert complaint.agency_id is not None
        if complaint.routed_at is not None:
            assert complaint.routed_at > complaint.created_at
            assert complaint.first_contact_due is not None
            assert complaint.resolution_due is not None
            if complaint.pk not in handed_over:
                assert complaint.first_contact_due - complaint.created_at == datetime.timedelta(
                    hours=complaint.category.first_contact_hours
                )
        if complaint.status in {S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}:
            assert complaint.accepted_at is not None
            assert complaint.routed_at is not None
            assert complaint.accepted_at > complaint.routed_at
        if complaint.status in {S.RESOLVED, S.CLOSED}:
            assert complaint.resolved_at is not None
            assert complaint.resolution_due is not None
            assert complaint.resolved_on_time == (complaint.resolved_at <= complaint.resolution_due)
            assert complaint.resolution_note != ""
        if complaint.status in states.FINAL:
            assert complaint.closed_at == complaint.updated_at
        else:
            assert complaint.closed_at is None
        if complaint.status == S.CLOSED:
            assert complaint.closure in {"rated", "unrated", "not_rateable"}
        else:
            assert complaint.closure == ""
        if complaint.status == S.DUPLICATE:
            assert complaint.duplicate_of is not None
            assert complaint.duplicate_of.category_id == complaint.category_id
            assert complaint.duplicate_of.pk < complaint.pk
            assert complaint.duplicate_of.duplicate_of_id is None


def test_an_agency_that_receives_a_complaint_again_owes_its_own_first_contact(catalogue):
    # when
    call_command("generate_complaints", "1500", "--seed", "9", "--quiet", stdout=StringIO())

    # then after a transfer, or routing again after a rejection, first contact is due from then
    handed_over = 0
    for complaint_id, events in _histories().items():
        handovers = [
            event
            for event in events
            if event.to_status == S.TRANSFERRED
            or (event.from_status == S.REJECTED and event.to_status == S.ROUTED)
        ]
        if not handovers:
            continue
        handed_over += 1
        complaint = Complaint.objects.select_related("category").get(pk=complaint_id)
        assert complaint.handovers == len(handovers)
        assert complaint.first_contact_due == handovers[-1].at + datetime.timedelta(
            hours=complaint.category.first_contact_hours
        )
        accepted = [event for event in events if event.to_status == S.ACCEPTED]
        if accepted:
            assert accepted[-1].at > handovers[-1].at
            assert complaint.accepted_at == accepted[-1].at
    assert handed_over > 0


def test_ratings_match_the_closures_and_the_rework_rounds(catalogue):
    # when
    call_command("generate_complaints", "800", "--seed", "6", "--quiet", stdout=StringIO())

    # then a rated closure has a satisfied rating in its last round, and a rework round
    # follows a dissatisfied one
    ratings: dict[int, list[Rating]] = defaultdict(list)
    for rating in Rating.objects.order_by("complaint_id", "round"):
        ratings[rating.complaint_id].append(rating)
    assert ratings
    threshold = settings.COMPLAINTS_REWORK_BELOW_RESULT
    for complaint in Complaint.objects.filter(pk__in=ratings):
        given = ratings[complaint.pk]
        assert [rating.round for rating in given] == list(range(len(given)))
        for rating in given:
            assert rating.is_satisfied == (rating.result >= threshold)
        assert all(not rating.is_satisfied for rating in given[:-1])
        assert complaint.rework_count == len(given) - (1 if given[-1].is_satisfied else 0)
    for complaint in Complaint.objects.filter(closure="rated"):
        assert ratings[complaint.pk][-1].is_satisfied
    # a complaint closed unrated may have had a dissatisfied rating in an earlier round
    assert not Rating.objects.filter(
        complaint__closure__in=["unrated", "not_rateable"], is_satisfied=True
    ).exists()
    assert not Rating.objects.filter(complaint__is_anonymous=True).exists()


def test_complaints_are_routed_by_the_real_rules_and_placed_inside_their_district(catalogue):
    # when
    call_command("generate_complaints", "500", "--seed", "7", "--quiet", stdout=StringIO())

    # then the first routing is the table's: the rule for roads in the east, else the
    # category's agency
    table = routing_table(catalogue["city"].pk)
    first_routing = {
        event.complaint_id: event.agency_id
        for event in ComplaintEvent.objects.filter(to_status=S.ROUTED, from_status=S.SUBMITTED)
    }
    east = catalogue["east"].pk
    for complaint in Complaint.objects.all():
        assert complaint.latitude is not None
        assert complaint.longitude is not None
        assert complaint.district_id == table.district_at(
            float(complaint.latitude), float(complaint.longitude)
        )
        assert complaint.district_id in {catalogue["west"].pk, east}
        if complaint.category == catalogue["potholes"] and complaint.district_id == east:
            expected = catalogue["works_east"].pk
        elif complaint.category == catalogue["potholes"]:
            expected = catalogue["works"].pk
        else:
            expected = catalogue["environment"].pk
            assert complaint.answers == {"source": "music"}
        assert first_routing[complaint.pk] == expected
    assert Complaint.objects.filter(routing_rule=catalogue["rule"]).exists()


def test_reporters_are_existing_persons_or_nobody_and_old_closures_are_anonymised(catalogue):
    # when
    call_command("generate_complaints", "600", "--seed", "8", "--quiet", stdout=StringIO())

    # then
    reporters = {person.pk for person in catalogue["reporters"]}
    cutoff = timezone.now() - settings.COMPLAINTS_ANONYMISE_AFTER
    for complaint in Complaint.objects.all():
        assert complaint.reporter_id is None or complaint.reporter_id in reporters
        assert (complaint.contact_email, complaint.contact_phone, complaint.contact_name) == (
            None, None, "",
        )  # fmt: skip
        if complaint.is_anonymous:
            assert complaint.category == catalogue["noise"]
            assert complaint.reporter_id is None
        elif complaint.closed_at is not None and complaint.closed_at < cutoff:
            assert complaint.anonymised_at is not None
            assert complaint.reporter_id is None
        else:
            assert complaint.anonymised_at is None
            assert complaint.reporter_id in reporters
    assert Complaint.objects.filter(anonymised_at__isnull=False).exists()
    assert Complaint.objects.filter(is_anonymous=True).exists()


def test_a_progress_bar_on_stderr_and_a_summary_on_stdout(catalogue):
    # given
    out, progress = StringIO(), StringIO()

    # when
    call_command("generate_complaints", "30", "--batch", "10", stdout=out, stderr=progress)

    # then
    assert "[##########--------------------] 10/30 complaints" in progress.getvalue()
    assert "[##############################] 30/30 complaints" in progress.getvalue()
    assert out.getvalue().startswith("Created 30 complaints with ")
    assert Complaint.objects.count() == 30


def test_quiet_means_no_progress_bar(catalogue):
    progress = StringIO()

    call_command("generate_complaints", "5", "--quiet", stdout=StringIO(), stderr=progress)

    assert progress.getvalue() == ""


def test_a_second_run_adds_more_with_distinct_tracking_numbers(catalogue):
    # when
    call_command("generate_complaints", "40", "--quiet", stdout=StringIO())
    call_command("generate_complaints", "40", "--quiet", stdout=StringIO())

    # then
    numbers = list(Complaint.objects.values_list("tracking_number", flat=True))
    assert len(numbers) == len(set(numbers)) == 80
    assert all(re.fullmatch(r"C-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", n) for n in numbers)


def test_tracking_numbers_from_keys_never_collide():
    numbers = {tracking_number(pk) for pk in range(1, 200_001)}

    assert len(numbers) == 200_000


def test_only_the_chosen_jurisdiction_reports(catalogue):
    # given another city with a category of its own
    other = CityFactory.create(code="other-city")
    ComplaintCategoryFactory.create(jurisdiction=other)

    # when
    call_command("generate_complaints", "50", "--jurisdiction", "other-city", "--quiet",
                 stdout=StringIO())  # fmt: skip

    # then
    assert set(Complaint.objects.values_list("jurisdiction_id", flat=True)) == {other.pk}
    assert Complaint.objects.filter(latitude__isnull=True).count() == 50  # no districts there
    assert not Complaint.objects.filter(address="").exists()


def test_without_a_catalogue_it_says_what_to_do_and_writes_nothing():
    with pytest.raises(CommandError, match="--with-catalogue"):
        call_command("generate_complaints", "10", "--quiet")

    assert Complaint.objects.count() == 0
    assert ComplaintCategory.objects.count() == 0


def test_with_catalogue_creates_a_small_one_once(db):
    # when
    call_command("generate_complaints", "60", "--with-catalogue", "--quiet", stdout=StringIO())
    call_command("generate_complaints", "60", "--with-catalogue", "--quiet", stdout=StringIO())

    # then
    leaves = ComplaintCategory.objects.filter(children__isnull=True)
    assert leaves.count() == 8
    assert ComplaintCategory.objects.count() == 12
    assert District.objects.filter(jurisdiction__code="gen-city").count() == 4
    assert Complaint.objects.count() == 120
    assert set(Complaint.objects.values_list("category__jurisdiction__code", flat=True)) == {
        "gen-city"
    }
    names = ComplaintCategory.objects.get(code="gen-pothole")
    assert (names.name_en, names.name_th, names.name_zh_hans) == ("Pothole", "หลุมบนถนน", "路面坑洼")

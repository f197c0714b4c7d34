"""Intake rules at the action level: what a complaint needs (an active leaf category, a
description, a place inside the jurisdiction, answers that fit the questions, a way to reach
the reporter, acceptable photos), anonymity, and that a refused report stores nothing."""

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints.actions.intake import questions_of, submit_complaint, validate_answers
from complaints.errors import AnonymousNotAllowed, InvalidComplaint
from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Photo,
    Question,
    hash_tracking_token,
)
from tests.factories import (
    CityFactory,
    ComplaintCategoryFactory,
    DistrictFactory,
    PersonFactory,
    QuestionChoiceFactory,
    QuestionFactory,
    square,
)

pytestmark = pytest.mark.django_db

BANGKOK_POINT: dict[str, Any] = {"latitude": Decimal("13.5"), "longitude": Decimal("100.5")}


@pytest.fixture
def category() -> ComplaintCategory:
    return ComplaintCategoryFactory.create()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png(size: tuple[int, int] = (20, 10)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile("pothole.png", buffer.getvalue(), content_type="image/png")


def _errors(refused: pytest.ExceptionInfo[InvalidComplaint]) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in refused.value.extra["errors"]]


def _refused(**fields: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidComplaint) as refused:
        submit_complaint(**fields)
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0
    return _errors(refused)


def test_a_citizen_reports_a_complaint(category, django_capture_on_commit_callbacks):
    # given
    reporter = PersonFactory.create()

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        submitted = submit_complaint(
            category=category,
            description="  A pothole in front of the school.  ",
            latitude=Decimal("13.7563309"),
            longitude=Decimal("100.5017651"),
            address="Soi 3",
            reporter=reporter,
        )

    # then
    complaint = Complaint.objects.get()
    assert submitted.complaint == complaint
    assert submitted.tracking_token is None
    assert complaint.status == Complaint.Status.SUBMITTED
    assert complaint.jurisdiction == category.jurisdiction
    assert complaint.description == "A pothole in front of the school."
    assert complaint.latitude == Decimal("13.756331")
    assert complaint.longitude == Decimal("100.501765")
    assert complaint.reporter == reporter
    assert complaint.contact_preference == Complaint.ContactPreference.INBOX
    assert complaint.channel == Complaint.Channel.APP
    assert complaint.district is None
    event = complaint.events.get()
    assert (event.from_status, event.to_status) == ("", "submitted")
    assert event.actor_kind == ComplaintEvent.ActorKind.REPORTER
    assert event.actor is None  # a reporter's moves carry no account link (anonymisation)
    # and routing is queued for after commit (tasks run eagerly in tests)
    assert len(callbacks) == 1
    callbacks[0]()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.ROUTED
    assert complaint.agency == category.default_agency


def test_an_address_alone_is_a_location(category):
    submitted = submit_complaint(
        category=category, description="Broken bench.", address="Lumphini Park, north gate",
        contact_preference="none",
    )  # fmt: skip

    assert submitted.complaint.latitude is None
    assert submitted.complaint.address == "Lumphini Park, north gate"


def test_the_district_of_the_point_is_stored():
    # given a jurisdiction with two districts
    city = CityFactory.create()
    DistrictFactory.create(jurisdiction=city, code="north", boundary=square(100.0, 14.0, 1))
    south = DistrictFactory.create(jurisdiction=city, code="south", boundary=square(100.0, 13.0, 1))
    category = ComplaintCategoryFactory.create(jurisdiction=city)

    # when
    submitted = submit_complaint(
        category=category, description="Flooding.", contact_preference="none", **BANGKOK_POINT
    )

    # then
    assert submitted.complaint.district == south


def test_a_point_outside_every_district_is_refused():
    city = CityFactory.create()
    DistrictFactory.create(jurisdiction=city, boundary=square(100.0, 14.0, 1))
    category = ComplaintCategoryFactory.create(jurisdiction=city)

    errors = _refused(
        category=category, description="Flooding.", contact_preference="none", **BANGKOK_POINT
    )

    assert errors == [("location", "outside_jurisdiction")]


def test_an_anonymous_report_gets_a_token_and_keeps_no_personal_data(category):
    # given a signed-in citizen who chooses to report anonymously
    reporter = PersonFactory.create()

    # when
    submitted = submit_complaint(
        category=category, description="Noise every night.", address="Soi 5",
        reporter=reporter, is_anonymous=True,
    )  # fmt: skip

    # then
    complaint = submitted.complaint
    assert submitted.tracking_token is not None
    assert len(submitted.tracking_token) == 32
    assert complaint.tracking_token_hash == hash_tracking_token(submitted.tracking_token)
    assert complaint.is_anonymous is True
    assert complaint.reporter is None
    assert complaint.contact_preference == Complaint.ContactPreference.NONE
    assert complaint.events.get().actor is None


def test_anonymous_reports_only_where_the_category_allows_them():
    category = ComplaintCategoryFactory.create(allows_anonymous=False)

    with pytest.raises(AnonymousNotAllowed):
        submit_complaint(
            category=category, description="Noise.", address="Soi 5", is_anonymous=True
        )

    assert Complaint.objects.count() == 0


def test_an_anonymous_report_takes_no_contact_details(category):
    errors = _refused(
        category=category, description="Noise.", address="Soi 5", is_anonymous=True,
        contact_email="me@example.org", contact_preference="email",
    )  # fmt: skip

    assert errors == [("contact_email", "anonymous"), ("contact_preference", "unreachable")]


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"has_children": True},
    ],
    ids=["inactive", "not-a-leaf"],
)
def test_only_active_leaf_categories_take_reports(change):
    category = ComplaintCategoryFactory.create(is_active=change.get("is_active", True))
    if change.get("has_children"):
        ComplaintCategoryFactory.create(jurisdiction=category.jurisdiction, parent=category)

    errors = _refused(category=category, description="Anything.", address="Soi 5")

    assert errors == [("category", "not_reportable")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"description": "   "}, [("description", "required")]),
        ({"description": "x" * 4001}, [("description", "max_length")]),
        ({"address": ""}, [("location", "required")]),
        ({"address": "y" * 301}, [("address", "max_length")]),
        ({"latitude": Decimal("13.5")}, [("longitude", "required")]),
        ({"longitude": Decimal("100.5")}, [("latitude", "required")]),
        (
            {"latitude": Decimal("91"), "longitude": Decimal("-181")},
            [("latitude", "out_of_range"), ("longitude", "out_of_range")],
        ),
        ({"latitude": Decimal("NaN"), "longitude": Decimal("1")}, [("latitude", "out_of_range")]),
        ({"contact_preference": "pigeon"}, [("contact_preference", "invalid_choice")]),
        ({"contact_email": "not-an-address"}, [("contact_email", "invalid")]),
        ({"contact_phone": "call me"}, [("contact_phone", "invalid")]),
        ({"contact_name": "n" * 201}, [("contact_name", "max_length")]),
        ({"answers": ["not", "an", "object"]}, [("answers", "invalid_type")]),
        ({"answers": {"colour": "red"}}, [("answers.colour", "unknown_question")]),
    ],
)
def test_bad_input_is_refused_field_by_field(category, fields, expected):
    given = {"category": category, "description": "Pothole.", "address": "", **fields}
    if "latitude" not in fields and "longitude" not in fields and "address" not in fields:
        given["address"] = "Soi 3"
    given.setdefault("reporter", PersonFactory.create())

    assert _refused(**given) == expected


@pytest.mark.parametrize(
    ("preference", "reporter_contact", "given", "accepted"),
    [
        ("email", {"contact_email": ""}, {}, False),
        ("email", {"contact_email": "me@example.org"}, {}, True),
        ("email", {"contact_email": ""}, {"contact_email": "me@example.org"}, True),
        ("sms", {"contact_phone": ""}, {}, False),
        ("sms", {"contact_phone": "+66812345678"}, {}, True),
        ("phone", {"contact_phone": ""}, {"contact_phone": "+66 81 234 5678"}, True),
        ("none", {"contact_email": ""}, {}, True),
    ],
)
def test_the_contact_preference_needs_a_way_to_reach_the_reporter(
    category, preference, reporter_contact, given, accepted
):
    reporter = PersonFactory.create(**reporter_contact)
    fields = {
        "category": category, "description": "Pothole.", "address": "Soi 3",
        "reporter": reporter, "contact_preference": preference, **given,
    }  # fmt: skip

    if accepted:
        assert submit_complaint(**fields).complaint.contact_preference == preference
    else:
        assert _refused(**fields) == [("contact_preference", "unreachable")]


def test_the_inbox_needs_an_account(category):
    errors = _refused(
        category=category, description="Pothole.", address="Soi 3", contact_preference="inbox"
    )

    assert errors == [("contact_preference", "unreachable")]


def test_contact_given_with_the_report_is_kept_for_the_agency(category):
    submitted = submit_complaint(
        category=category, description="Pothole.", address="Soi 3",
        contact_name="Malee", contact_email="malee@example.org", contact_phone="+66812345678",
        contact_preference="email", channel=Complaint.Channel.OPEN311,
    )  # fmt: skip

    complaint = Complaint.objects.get(pk=submitted.complaint.pk)
    assert complaint.contact_name == "Malee"
    assert complaint.contact_email == "malee@example.org"
    assert complaint.contact_phone == "+66812345678"
    assert complaint.reporter is None


# Answers ---------------------------------------------------------------------------------


@pytest.fixture
def questions(category):
    """One question of each Open311 datatype; only `size` is required."""
    QuestionFactory.create(category=category, code="size", datatype="number", is_required=True)
    QuestionFactory.create(category=category, code="seen", datatype="datetime")
    QuestionFactory.create(category=category, code="plate", datatype="string")
    QuestionFactory.create(category=category, code="story", datatype="text")
    kind = QuestionFactory.create(category=category, code="kind", datatype="singlevaluelist")
    QuestionChoiceFactory.create(question=kind, key="deep")
    QuestionChoiceFactory.create(question=kind, key="shallow")
    near = QuestionFactory.create(category=category, code="near", datatype="multivaluelist")
    for key in ("school", "hospital", "market"):
        QuestionChoiceFactory.create(question=near, key=key)
    return Question.objects.filter(category=category)


def test_answers_are_checked_and_normalised(
    category, questions, settings, django_assert_num_queries
):
    given = {
        "size": "12.50",
        "seen": "2026-11-18T09:30:00+07:00",
        "plate": "  กข 1234 ",
        "story": "It grew after the rain.",
        "kind": "deep",
        "near": ["school", "market", "school"],
    }

    # The questions come from the routing table, built once (with every question and choice
    # of the jurisdiction in one query) and then kept.
    settings.COMPLAINTS_CATALOGUE_RECHECK_SECONDS = 60
    questions_of(category)
    with django_assert_num_queries(0):
        answers = validate_answers(category, given)

    assert answers == {
        "size": 12.5,
        "seen": "2026-11-18T09:30:00+07:00",
        "plate": "กข 1234",
        "story": "It grew after the rain.",
        "kind": "deep",
        "near": ["school", "market"],
    }
    assert validate_answers(category, {"size": 3, "seen": "2026-11-18T02:30:00Z"}) == {
        "size": 3,
        "seen": "2026-11-18T02:30:00+00:00",
    }


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, [("answers.size", "required")]),
        ({"size": "  "}, [("answers.size", "required")]),
        ({"size": "twelve"}, [("answers.size", "invalid_number")]),
        ({"size": True}, [("answers.size", "invalid_number")]),
        ({"size": "Infinity"}, [("answers.size", "invalid_number")]),
        ({"size": 1, "seen": "2026-11-18T09:30:00"}, [("answers.seen", "invalid_datetime")]),
        ({"size": 1, "seen": "yesterday"}, [("answers.seen", "invalid_datetime")]),
        ({"size": 1, "plate": "p" * 301}, [("answers.plate", "max_length")]),
        ({"size": 1, "plate": 7}, [("answers.plate", "invalid_type")]),
        ({"size": 1, "story": "s" * 4001}, [("answers.story", "max_length")]),
        ({"size": 1, "kind": "bottomless"}, [("answers.kind", "invalid_choice")]),
        ({"size": 1, "kind": ["deep"]}, [("answers.kind", "invalid_choice")]),
        ({"size": 1, "near": ["school", "zoo"]}, [("answers.near", "invalid_choice")]),
        ({"size": 1, "near": {"school": True}}, [("answers.near", "invalid_choice")]),
        (
            {"size": 1, "colour": "red", "kind": "x"},
            [("answers.colour", "unknown_question"), ("answers.kind", "invalid_choice")],
        ),
    ],
)
def test_answers_that_do_not_fit_their_question_are_refused(category, questions, answers, expected):
    with pytest.raises(InvalidComplaint) as refused:
        validate_answers(category, answers)

    assert _errors(refused) == expected


def test_open311_names_the_answers_its_own_way(category, questions):
    with pytest.raises(InvalidComplaint) as refused:
        validate_answers(category, {}, field="attribute")

    assert _errors(refused) == [("attribute.size", "required")]


def test_every_bad_field_is_reported_at_once(category, questions):
    errors = _refused(
        category=category, description="", latitude=Decimal("13.5"),
        answers={"kind": "x"}, contact_preference="sms",
    )  # fmt: skip

    assert errors == [
        ("description", "required"),
        ("longitude", "required"),
        ("answers.kind", "invalid_choice"),
        ("answers.size", "required"),
        ("contact_preference", "unreachable"),
    ]


# Photos ----------------------------------------------------------------------------------


def test_photos_are_stored_with_the_complaint(category):
    submitted = submit_complaint(
        category=category, description="Pothole.", address="Soi 3",
        reporter=PersonFactory.create(), photos=[_png(), _png((8, 6))],
    )  # fmt: skip

    photos = list(Photo.objects.filter(complaint=submitted.complaint))
    assert [(p.content_type, p.width, p.height) for p in photos] == [
        ("image/png", 20, 10),
        ("image/png", 8, 6),
    ]
    assert all(p.image.name.startswith("complaints/") for p in photos)
    assert all(p.image.name.endswith(".png") for p in photos)
    assert all("pothole" not in p.image.name for p in photos)


def test_too_many_photos_are_refused(category, settings):
    settings.COMPLAINTS_PHOTOS_MAX = 2

    errors = _refused(
        category=category, description="Pothole.", address="Soi 3",
        reporter=PersonFactory.create(), photos=[_png()] * 3,
    )  # fmt: skip

    assert errors == [("photos", "too_many")]
    assert Photo.objects.count() == 0


def test_a_photo_too_large_is_refused(category, settings):
    settings.COMPLAINTS_PHOTO_MAX_BYTES = 50

    errors = _refused(
        category=category, description="Pothole.", address="Soi 3",
        reporter=PersonFactory.create(), photos=[_png()],
    )  # fmt: skip

    assert errors == [("photos.0", "too_large")]


def test_a_file_that_is_not_a_photo_is_refused(category):
    pdf = SimpleUploadedFile("scan.jpg", b"%PDF-1.7 pretending", content_type="image/jpeg")
    broken = SimpleUploadedFile("broken.png", b"\x89PNG\r\n\x1a\nbroken", content_type="image/png")

    errors = _refused(
        category=category, description="Pothole.", address="Soi 3",
        reporter=PersonFactory.create(), photos=[_png(), pdf, broken],
    )  # fmt: skip

    assert errors == [("photos.1", "unsupported_type"), ("photos.2", "unsupported_type")]
    assert Photo.objects.count() == 0

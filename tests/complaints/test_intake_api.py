"""POST /api/v1/complaints: a signed-in citizen or an anonymous caller reports a complaint, in
JSON or multipart with photos; every rule broken is a problem with a stable code and field
errors, and then nothing is stored and nothing is queued."""

import io
import json
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from PIL import Image
from rest_framework.test import APIClient

from complaints.api.serializers import ComplaintCreateInput, well_formed_report
from complaints.models import Complaint, ComplaintCategory, ComplaintEvent, Photo
from tests.complaints.test_photos import jpeg_with_gps
from tests.factories import (
    ComplaintCategoryFactory,
    DistrictFactory,
    QuestionChoiceFactory,
    QuestionFactory,
    square,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def category(agency) -> ComplaintCategory:
    """Potholes in the agency's city, two districts covering 13 to 15°N, 100 to 101°E."""
    city = agency.jurisdiction
    DistrictFactory.create(jurisdiction=city, code="north", boundary=square(100.0, 14.0, 1))
    DistrictFactory.create(jurisdiction=city, code="south", boundary=square(100.0, 13.0, 1))
    category = ComplaintCategoryFactory.create(
        jurisdiction=city, code="potholes", default_agency=agency
    )
    question = QuestionFactory.create(
        category=category, code="depth", datatype="singlevaluelist", is_required=True
    )
    QuestionChoiceFactory.create(question=question, key="deep")
    QuestionChoiceFactory.create(question=question, key="shallow")
    return category


def body(of: ComplaintCategory, /, **changes: Any) -> dict[str, Any]:
    given = {
        "jurisdiction": of.jurisdiction.code,
        "category": of.code,
        "description": "A deep pothole in front of the school.",
        "latitude": "13.756331",
        "longitude": "100.501765",
        "address": "Soi 3",
        "answers": {"depth": "deep"},
    }
    given.update(changes)
    return {name: value for name, value in given.items() if value is not None}


def report(client: APIClient, data: dict[str, Any], *, key: str | None = None, **extra: Any):
    return client.post(
        URL, data, format=extra.pop("format", "json"),
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()), **extra,
    )  # fmt: skip


def assert_problem(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    return problem


def assert_nothing_stored() -> None:
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0
    assert Photo.objects.count() == 0


def test_a_citizen_reports_a_complaint(
    citizen_api, person, category, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        response = report(citizen_api, body(category))

    # then
    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get()
    assert response.json() == {
        "tracking_number": complaint.tracking_number,
        "status": "submitted",
        "tracking_token": None,
        "links": {"self": f"/api/v1/complaints/{complaint.tracking_number}"},
    }
    assert response["Location"] == f"/api/v1/complaints/{complaint.tracking_number}"
    assert complaint.reporter == person
    assert complaint.is_anonymous is False
    assert complaint.district is not None
    assert complaint.district.code == "south"
    assert complaint.answers == {"depth": "deep"}
    assert complaint.events.get().actor is None  # the reporter by kind, not by account
    # and it is routed right after commit
    assert len(callbacks) == 1
    callbacks[0]()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.ROUTED
    assert complaint.agency == category.default_agency


def test_the_report_is_read_back_by_its_reporter(citizen_api, category):
    created = report(citizen_api, body(category)).json()

    detail = citizen_api.get(created["links"]["self"]).json()

    assert detail["tracking_number"] == created["tracking_number"]
    assert detail["category"] == {"code": "potholes", "name": category.name}
    assert detail["answers"] == {"depth": "deep"}
    assert detail["latitude"] == "13.756331"
    assert detail["is_reporter"] is True


def test_photos_and_answers_come_as_multipart_and_lose_their_location(citizen_api, category):
    # given a photo with a GPS position in its EXIF, and the answers as a JSON string
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg")
    png = io.BytesIO()
    Image.new("RGB", (6, 4), "white").save(png, format="PNG")
    second = SimpleUploadedFile("map.png", png.getvalue(), content_type="image/png")
    data = body(category, answers=json.dumps({"depth": "shallow"}))
    data["photos"] = [photo, second]

    # when
    response = report(citizen_api, data, format="multipart")

    # then
    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get()
    assert complaint.answers == {"depth": "shallow"}
    photos = list(complaint.photos.order_by("pk"))
    assert [(p.content_type, p.width, p.height) for p in photos] == [
        ("image/jpeg", 40, 20),
        ("image/png", 6, 4),
    ]
    with photos[0].image.open("rb") as stored:
        data_stored = stored.read()
    image = Image.open(io.BytesIO(data_stored))
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(0x8825) == {}
    assert b"SecretCam" not in data_stored
    assert "IMG_0001" not in photos[0].image.name
    # and the reporter sees them by URL
    detail = citizen_api.get(f"{URL}/{complaint.tracking_number}").json()
    assert [p["url"] for p in detail["photos"]] == [
        f"http://testserver/media/{p.image.name}" for p in photos
    ]


def test_an_anonymous_caller_reports_and_tracks_with_the_token(api, category):
    # when nobody is signed in
    response = report(api, body(category))

    # then
    assert response.status_code == 201, response.json()
    created = response.json()
    token = created["tracking_token"]
    assert len(token) == 32
    assert created["links"] == {"track": f"/api/v1/complaints/track/{token}"}
    assert not response.has_header("Location")
    complaint = Complaint.objects.get()
    assert complaint.is_anonymous is True
    assert complaint.reporter is None
    # and the token shows the report to whoever holds it
    detail = api.get(created["links"]["track"]).json()
    assert detail["tracking_number"] == created["tracking_number"]
    assert detail["is_anonymous"] is True
    assert detail["allowed_actions"] == ["withdraw"]


def test_a_signed_in_citizen_may_report_anonymously(citizen_api, category):
    response = report(citizen_api, body(category, is_anonymous=True))

    assert response.status_code == 201
    assert response.json()["tracking_token"] is not None
    complaint = Complaint.objects.get()
    assert (complaint.reporter, complaint.is_anonymous) == (None, True)
    assert citizen_api.get(URL).json()["results"] == []


def test_anonymous_reports_only_where_the_category_allows(api, citizen_api, category):
    category.allows_anonymous = False
    category.save()

    refused = report(api, body(category))
    refused_too = report(citizen_api, body(category, is_anonymous=True))

    assert_problem(refused, 403, "anonymous_not_allowed")
    assert_problem(refused_too, 403, "anonymous_not_allowed")
    assert_nothing_stored()


def test_staff_and_integrators_report_elsewhere(officer_api, integrator, category):
    for client in (officer_api, integrator("open311:write", "complaints:write")):
        response = report(client, body(category))

        assert_problem(response, 403, "citizens_only")
    assert_nothing_stored()


def test_an_idempotency_key_is_required(citizen_api, category):
    response = citizen_api.post(URL, body(category), format="json")

    assert_problem(response, 400, "idempotency_key_required")
    assert_nothing_stored()


def test_a_retried_report_is_one_complaint(citizen_api, category):
    key = str(uuid.uuid4())

    first = report(citizen_api, body(category), key=key)
    again = report(citizen_api, body(category), key=key)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"description": ""}, [("description", "required")]),
        ({"description": "d" * 4001}, [("description", "max_length")]),
        ({"latitude": None, "longitude": None, "address": ""}, [("location", "required")]),
        ({"longitude": None}, [("longitude", "required")]),
        ({"latitude": "95"}, [("latitude", "out_of_range")]),
        ({"latitude": "20.5"}, [("location", "outside_jurisdiction")]),
        ({"address": "a" * 301}, [("address", "max_length")]),
        ({"answers": {}}, [("answers.depth", "required")]),
        ({"answers": {"depth": "bottomless"}}, [("answers.depth", "invalid_choice")]),
        (
            {"answers": {"depth": "deep", "colour": "red"}},
            [("answers.colour", "unknown_question")],
        ),
        ({"contact_preference": "sms"}, [("contact_preference", "unreachable")]),
        ({"contact_email": "nobody"}, [("contact_email", "invalid")]),
    ],
)
def test_bad_reports_are_refused_field_by_field(
    citizen_api, category, changes, errors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = report(citizen_api, body(category, **changes))

    problem = assert_problem(response, 422, "invalid_complaint")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == errors
    assert all(e["pointer"] == "#/" + e["field"].replace(".", "/") for e in problem["errors"])
    assert_nothing_stored()
    assert callbacks == []


def test_photos_that_break_the_rules_are_refused(citizen_api, category, settings):
    settings.COMPLAINTS_PHOTOS_MAX = 1
    text = SimpleUploadedFile("note.jpg", b"just text", content_type="image/jpeg")
    photos = [
        SimpleUploadedFile(f"p{n}.jpg", jpeg_with_gps(), content_type="image/jpeg")
        for n in range(2)
    ]

    too_many = report(
        citizen_api, {**body(category, answers='{"depth": "deep"}'), "photos": photos},
        format="multipart",
    )  # fmt: skip
    not_a_photo = report(
        citizen_api, {**body(category, answers='{"depth": "deep"}'), "photos": [text]},
        format="multipart",
    )  # fmt: skip

    problem = assert_problem(too_many, 422, "invalid_complaint")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("photos", "too_many")]
    problem = assert_problem(not_a_photo, 422, "invalid_complaint")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("photos.0", "unsupported_type")
    ]
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"jurisdiction": None}, "jurisdiction"),
        ({"category": None}, "category"),
        ({"answers": "not json"}, "answers"),
        ({"answers": ["deep"]}, "answers"),
        ({"latitude": "north"}, "latitude"),
        ({"contact_preference": "pigeon"}, "contact_preference"),
    ],
)
def test_malformed_reports_are_refused(citizen_api, category, changes, field):
    response = report(citizen_api, body(category, **changes))

    problem = assert_problem(response, 400, "validation_error")
    assert [e["field"] for e in problem["errors"]] == [field]
    assert_nothing_stored()


def test_an_unknown_or_parent_category_is_refused(citizen_api, category):
    parent = ComplaintCategoryFactory.create(jurisdiction=category.jurisdiction, code="roads")
    category.parent = parent
    category.save()

    unknown = report(citizen_api, body(category, category="volcano"))
    not_a_leaf = report(citizen_api, body(category, category="roads", answers={}))

    problem = assert_problem(unknown, 404, "category_not_found")
    assert [e["field"] for e in problem["errors"]] == ["category"]
    problem = assert_problem(not_a_leaf, 422, "invalid_complaint")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("category", "not_reportable")]
    assert_nothing_stored()


def test_anonymous_reports_are_throttled_per_address(api, citizen_api, category):
    # given the rate for anonymous reports (10 an hour in the test settings)
    for _ in range(10):
        assert report(api, body(category)).status_code == 201

    # when
    throttled = report(api, body(category))
    signed_in = report(citizen_api, body(category))

    # then
    assert_problem(throttled, 429, "throttled")
    assert throttled.has_header("Retry-After")
    assert signed_in.status_code == 201
    assert Complaint.objects.count() == 11


@pytest.mark.postgres
def test_a_report_takes_a_handful_of_queries(
    citizen_api, category, settings, django_assert_num_queries
):
    # The routing table (with the category and its questions) is built once per process and
    # its version read at most once a second.
    settings.COMPLAINTS_CATALOGUE_RECHECK_SECONDS = 60
    report(citizen_api, body(category))

    # Four statements (the person comes with the account): the idempotency claim, the
    # complaint, its first history entry and the idempotency answer; and four savepoints (set
    # and released): the request's (a transaction of its own outside tests) and the insert's
    # (a clashing tracking number is drawn again).
    with django_assert_num_queries(8):
        response = report(citizen_api, body(category))

    assert response.status_code == 201


WELL_FORMED = {
    "jurisdiction": "bangkok",
    "category": "pothole",
    "description": "A hole. 深 ลึก",
    "latitude": "13.7563",
    "longitude": "100.5018",
    "address": "Sukhumvit 11",
    "answers": {"depth": "deep"},
    "contact_preference": "email",
    "is_anonymous": False,
    "contact_email": "somchai@example.org",
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"latitude": None, "longitude": None},
        {"latitude": "-7", "longitude": "120.123456789012345"},
        {"address": "", "contact_name": "", "contact_phone": "+66 81 234 5678"},
        {"is_anonymous": True, "contact_preference": "none", "unknown_key": "ignored"},
        {"photos": []},
    ],
)
def test_a_plainly_well_formed_report_is_read_as_the_serializer_reads_it(changes):
    data = {**WELL_FORMED, **changes}

    fast = well_formed_report(data)
    serializer = ComplaintCreateInput(data=data)

    assert serializer.is_valid(), serializer.errors
    assert fast == dict(serializer.validated_data)
    assert {name: type(value) for name, value in fast.items()} == {
        name: type(value) for name, value in serializer.validated_data.items()
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"jurisdiction": " bangkok"},
        {"category": None},
        {"description": 42},
        {"description": "nul \x00 inside"},
        {"latitude": 13.75},
        {"latitude": "north"},
        {"latitude": ""},
        {"address": " padded "},
        {"contact_name": None},
        {"answers": '{"depth": "deep"}'},
        {"contact_preference": "pigeon"},
        {"is_anonymous": "true"},
        {"photos": ["not a file"]},
        {"photos": ""},
        {"photos": None},
    ],
)
def test_anything_less_plain_is_left_to_the_serializer(changes):
    assert well_formed_report({**WELL_FORMED, **changes}) is None


def test_a_multipart_report_is_left_to_the_serializer():
    assert well_formed_report(QueryDict("jurisdiction=bangkok&category=pothole")) is None

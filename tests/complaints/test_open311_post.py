"""POST requests on the Open311 server: an integrator's key with the scope open311:write makes a
complaint that is routed like any other; a bad key, an unknown service, a missing location
or jurisdiction, or answers that do not fit the service's attributes are refused in Open311's
error format, and nothing is stored."""

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from defusedxml.ElementTree import fromstring
from django.test import Client

from complaints.models import Complaint, ComplaintCategory, ComplaintEvent, District, Question
from identity.actions.clients import create_api_client, revoke_api_client
from identity.models import Agency, ApiClient, Jurisdiction
from tests.factories import (
    AgencyFactory,
    CityFactory,
    ComplaintCategoryFactory,
    DistrictFactory,
    QuestionChoiceFactory,
    QuestionFactory,
    RoutingRuleFactory,
    square,
)

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
OPEN311_WRITE = ApiClient.Scope.OPEN311_WRITE


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def city() -> Jurisdiction:
    return CityFactory.create(code="chiang-mai", time_zone="Asia/Bangkok")


@pytest.fixture
def old_town(city) -> District:
    return DistrictFactory.create(
        jurisdiction=city, code="old-town", boundary=square(98.98, 18.79, 0.02)
    )


@pytest.fixture
def suburbs(city) -> District:
    return DistrictFactory.create(
        jurisdiction=city, code="suburbs", boundary=square(99.02, 18.79, 0.02)
    )


@pytest.fixture
def works(city) -> Agency:
    return AgencyFactory.create(jurisdiction=city, code="works", name="Public Works")


@pytest.fixture
def old_town_works(city) -> Agency:
    return AgencyFactory.create(jurisdiction=city, code="old-town-works")


@pytest.fixture
def potholes(city, works) -> ComplaintCategory:
    return ComplaintCategoryFactory.create(
        jurisdiction=city, code="potholes", name="Potholes", default_agency=works
    )


@pytest.fixture
def size(potholes) -> Question:
    question = QuestionFactory.create(
        category=potholes, code="size", datatype=Question.Datatype.SINGLE, is_required=True
    )
    QuestionChoiceFactory.create(question=question, key="small")
    QuestionChoiceFactory.create(question=question, key="large")
    return question


@pytest.fixture
def hazards(potholes) -> Question:
    question = QuestionFactory.create(
        category=potholes, code="hazards", datatype=Question.Datatype.MULTI
    )
    for key in ("water", "traffic", "school"):
        QuestionChoiceFactory.create(question=question, key=key)
    return question


@pytest.fixture
def rule(city, potholes, old_town, old_town_works):
    return RoutingRuleFactory.create(
        jurisdiction=city, agency=old_town_works, categories=[potholes], districts=[old_town]
    )


@pytest.fixture
def api_key(works) -> str:
    return create_api_client(agency=works, name="Citizen app", scopes=[OPEN311_WRITE]).token


def _form(**fields: Any) -> str:
    return urlencode(fields, doseq=True)


def _send(client: Client, body: str, fmt: str = "json") -> Any:
    return client.post(f"{URL}.{fmt}", body, content_type=FORM)


def _post(client: Client, fmt: str = "json", **fields: Any) -> Any:
    return _send(client, _form(**fields), fmt)


def _valid(api_key: str, **overrides: Any) -> dict[str, Any]:
    fields = {
        "api_key": api_key,
        "jurisdiction_id": "chiang-mai",
        "service_code": "potholes",
        "lat": "18.7905",
        "long": "98.9815",
        "attribute[size]": "large",
        "description": "A deep pothole at the north gate.",
        "email": "reporter@example.org",
        "first_name": "Malee",
        "last_name": "Jaidee",
        "phone": "+66 81 234 5678",
        "device_id": "phone-123",
        "account_id": "acct-9",
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def _errors(response: Any, status: int, fmt: str = "json") -> list[str]:
    assert response.status_code == status
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        body = json.loads(response.content)
        assert all(error["code"] == status for error in body)
        return [error["description"] for error in body]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = fromstring(response.content)
    assert root.tag == "errors"
    assert all([child.tag for child in error] == ["code", "description"] for error in root)
    assert all(error.findtext("code") == str(status) for error in root)
    return [str(error.findtext("description")) for error in root]


def _nothing_stored() -> None:
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0


# Accepted ----------------------------------------------------------------------------------


def test_a_posted_request_becomes_a_complaint_routed_to_the_right_agency(
    client, api_key, size, hazards, rule, old_town, suburbs, old_town_works,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # given
    body = _form(
        **_valid(api_key),
        **{"attribute[hazards][]": ["water", "school"]},
    )

    # when the routing task runs after commit (in-process in tests)
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, body)

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    complaint = Complaint.objects.get()
    assert json.loads(response.content) == [
        {
            "service_request_id": complaint.tracking_number,
            "service_notice": "The responsible agency makes first contact within 24 hours and "
            "resolves the request within 5 working days.",
            "account_id": None,
        }
    ]
    assert complaint.channel == Complaint.Channel.OPEN311
    assert complaint.api_client is not None
    assert complaint.api_client.name == "Citizen app"
    assert complaint.reporter is None
    assert complaint.is_anonymous is False
    assert complaint.description == "A deep pothole at the north gate."
    assert (complaint.latitude, complaint.longitude) == (Decimal("18.7905"), Decimal("98.9815"))
    assert complaint.answers == {"size": "large", "hazards": ["water", "school"]}
    assert complaint.contact_name == "Malee Jaidee"
    assert complaint.contact_email == "reporter@example.org"
    assert complaint.contact_phone == "+66 81 234 5678"
    assert complaint.contact_preference == Complaint.ContactPreference.EMAIL
    # routed by the rule for the old town
    assert complaint.status == Complaint.Status.ROUTED
    assert complaint.district == old_town
    assert complaint.agency == old_town_works
    assert complaint.routing_rule == rule
    submitted = complaint.events.get(to_status=Complaint.Status.SUBMITTED)
    assert submitted.actor_kind == ComplaintEvent.ActorKind.INTEGRATOR


def test_a_posted_request_answers_in_xml(client, api_key, size):
    response = _post(client, "xml", **_valid(api_key))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = fromstring(response.content)
    assert root.tag == "service_requests"
    assert [child.tag for child in root] == ["request"]
    assert [child.tag for child in root[0]] == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    assert root[0].findtext("service_request_id") == Complaint.objects.get().tracking_number
    assert root[0].findtext("account_id") == ""


def test_the_posted_request_can_be_read_back(client, api_key, size):
    number = json.loads(_post(client, **_valid(api_key)).content)[0]["service_request_id"]

    response = client.get(f"{URL}/{number}.json", {"jurisdiction_id": "chiang-mai"})

    assert response.status_code == 200
    assert json.loads(response.content)[0]["service_request_id"] == number


def test_html_is_stripped_from_the_description(client, api_key, size):
    _post(
        client,
        **_valid(api_key, description="<p>Hole &amp; <b>water</b></p><script>x()</script>"),
    )

    assert Complaint.objects.get().description == "Hole & waterx()"


def test_without_a_description_the_service_name_stands_for_it(client, api_key, size):
    _post(client, **_valid(api_key, description=None))

    assert Complaint.objects.get().description == "Potholes"


def test_an_address_alone_places_the_request(client, api_key, size):
    response = _post(client, **_valid(api_key, lat=None, long=None, address_string="Tha Phae Gate"))

    assert response.status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.address == "Tha Phae Gate"
    assert complaint.latitude is None


def test_an_address_id_is_kept_as_the_address(client, api_key, size):
    _post(client, **_valid(api_key, lat=None, long=None, address_id="545483"))

    assert Complaint.objects.get().address == "545483"


def test_without_email_or_phone_nobody_is_contacted(client, api_key, size):
    _post(client, **_valid(api_key, email=None, phone=None, first_name=None, last_name=None))

    complaint = Complaint.objects.get()
    assert complaint.contact_preference == Complaint.ContactPreference.NONE
    assert complaint.contact_name == ""
    assert complaint.contact_email is None


def test_a_media_url_is_kept_for_the_agency_not_fetched(client, api_key, size):
    # given (the test suite blocks the network: a fetch would fail the test)
    url = "https://photos.example.org/pothole.jpg"

    # when
    response = _post(client, **_valid(api_key, media_url=url))

    # then
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    note = complaint.events.get(note__contains=url)
    assert note.is_public is False
    assert note.actor_kind == ComplaintEvent.ActorKind.INTEGRATOR
    assert not complaint.photos.exists()


# Refused -----------------------------------------------------------------------------------


@pytest.fixture
def keys(works, api_key) -> dict[str, str]:
    """Keys that may not post: none, malformed, a wrong secret, revoked, without the scope."""
    revoked = create_api_client(agency=works, name="Old app", scopes=[OPEN311_WRITE])
    revoke_api_client(client=revoked.client)
    unscoped = create_api_client(agency=works, name="Reader", scopes=["complaints:read"])
    client_id = api_key.split(".")[0]
    return {
        "missing": "",
        "malformed": "not-a-key",
        "wrong secret": f"{client_id}.wrong",
        "revoked": revoked.token,
        "unscoped": unscoped.token,
    }


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("kind", ["missing", "malformed", "wrong secret", "revoked", "unscoped"])
def test_a_bad_key_is_forbidden(client, keys, size, kind, fmt):
    response = _post(client, fmt, **_valid(keys[kind]))

    descriptions = _errors(response, 403, fmt)
    assert descriptions == [
        "This api_key may not post service requests."
        if kind == "unscoped"
        else "A valid api_key is required to post a service request."
    ]
    _nothing_stored()


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("overrides", "status", "description"),
    [
        ({"service_code": "unknown"}, 404, "No service has the code unknown."),
        ({"service_code": None}, 400, "service_code is required."),
        (
            {"jurisdiction_id": None},
            400,
            "jurisdiction_id is required: this endpoint serves several.",
        ),
        ({"jurisdiction_id": "atlantis"}, 404, "No jurisdiction has the id atlantis."),
        (
            {"lat": None, "long": None},
            400,
            "Give a location: lat and long, address_string, or address_id.",
        ),
        ({"lat": "north"}, 400, "lat is not a number."),
        ({"media_url": "file:///etc/passwd"}, 400, "media_url is not an http or https URL."),
    ],
)
def test_bad_arguments_are_refused(client, api_key, size, overrides, status, description, fmt):
    response = _post(client, fmt, **_valid(api_key, **overrides))

    assert _errors(response, status, fmt) == [description]
    _nothing_stored()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_intake_refusals_name_the_open311_arguments(client, api_key, size, hazards, fmt):
    # given answers that do not fit, a latitude without longitude, a bad email
    fields = _valid(
        api_key,
        long=None,
        email="not-an-email",
        **{"attribute[size]": None, "attribute[colour]": "red"},
    )
    fields["attribute[hazards][]"] = ["lava"]

    # when
    response = _send(client, _form(**fields), fmt)

    # then
    assert sorted(_errors(response, 400, fmt)) == [
        "attribute[colour]: No such question.",
        "attribute[hazards]: Choose from the question's choices.",
        "attribute[size]: This question needs an answer.",
        "email: Enter a valid email address.",
        "long: Give latitude and longitude together.",
    ]
    _nothing_stored()


def test_a_place_outside_the_jurisdiction_is_refused(client, api_key, size, old_town):
    response = _post(client, **_valid(api_key, lat="13.75", long="100.5"))

    assert _errors(response, 400) == [
        "lat/long: This place lies outside the jurisdiction; report it to the authority there."
    ]
    _nothing_stored()


def test_a_description_over_4000_characters_is_refused(client, api_key, size):
    response = _post(client, **_valid(api_key, description="x" * 4001))

    assert _errors(response, 400) == ["description: Keep the description to 4000 characters."]
    _nothing_stored()


def test_get_is_still_the_list_and_put_is_not_allowed(client, city):
    response = client.put(f"{URL}.xml", "", content_type=FORM)

    assert _errors(response, 405, "xml") == ["This method answers only GET, POST."]
    assert response["Allow"] == "GET, POST"

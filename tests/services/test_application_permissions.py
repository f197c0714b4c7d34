"""The permission matrix of applications: who reads, withdraws and reviews an application, and
who applies for whom (services/permissions.py, services/api/applications.py).

The application is `person`'s, for a manual service of `agency`, waiting in manual review.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from identity.models import AccessLogEntry, Person
from services.models import Application
from tests.conftest import client_for
from tests.factories import MandateFactory, MembershipFactory, PersonFactory, ServiceFactory
from tests.services.applications_support import apply, detail_path, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(agency):
    return ServiceFactory.create(agency=agency, approval_mode="manual")


@pytest.fixture
def application(citizen_api, service) -> Application:
    response = apply(citizen_api, service)
    assert response.status_code == 201
    return Application.objects.get(public_id=response.json()["id"])


def _representative(person: Person, *, revoked: bool = False) -> Person:
    mandate = MandateFactory.create(for_person=person, scope=["applications"])
    if revoked:
        mandate.revoked_at = timezone.now() - datetime.timedelta(minutes=1)
        mandate.save()
    return mandate.representative


def _caller(request, who: str, person: Person) -> tuple[APIClient, dict[str, str]]:
    """The client for `who`, and the headers it sends."""
    acting = {"X-Acting-For": f"person:{person.pk}"}
    agency = request.getfixturevalue("agency")
    callers = {
        "anonymous": lambda: (APIClient(), {}),
        "applicant": lambda: (request.getfixturevalue("citizen_api"), {}),
        "other_citizen": lambda: (request.getfixturevalue("other_citizen_api"), {}),
        "officer": lambda: (request.getfixturevalue("officer_api"), {}),
        "other_officer": lambda: (request.getfixturevalue("other_officer_api"), {}),
        "supervisor": lambda: (
            client_for(MembershipFactory.create(agency=agency, role="supervisor").user),
            {},
        ),
        "representative": lambda: (client_for(_representative(person).user), acting),
        "representative_without_header": lambda: (client_for(_representative(person).user), {}),
        "revoked_representative": lambda: (
            client_for(_representative(person, revoked=True).user),
            acting,
        ),
        "revoked_representative_without_header": lambda: (
            client_for(_representative(person, revoked=True).user),
            {},
        ),
        "integrator": lambda: (request.getfixturevalue("integrator")(), {}),
    }
    return callers[who]()


READERS = [
    ("anonymous", 401, None),
    ("applicant", 200, None),
    ("other_citizen", 404, "application_not_found"),
    ("officer", 200, None),
    ("other_officer", 404, "application_not_found"),
    ("supervisor", 200, None),
    ("representative", 200, None),
    ("representative_without_header", 200, None),
    ("revoked_representative", 403, "no_mandate"),
    ("revoked_representative_without_header", 404, "application_not_found"),
    ("integrator", 403, None),
]


@pytest.mark.parametrize(("who", "status", "code"), READERS)
def test_reading_an_application(request, person, application, who, status, code):
    client, headers = _caller(request, who, person)
    response = client.get(detail_path(application), headers=headers)
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
    if status == 200:
        assert response.json()["id"] == str(application.public_id)
    staff_read = who in ("officer", "supervisor")
    assert AccessLogEntry.objects.filter(person=person, channel="api").exists() == staff_read


@pytest.mark.parametrize(("who", "status", "code"), READERS)
def test_listing_applications(request, person, application, who, status, code):
    client, headers = _caller(request, who, person)
    response = client.get("/api/v1/applications", headers=headers)
    if who in ("other_citizen", "other_officer", "revoked_representative_without_header"):
        assert response.status_code == 200
        assert response.json()["results"] == []
        return
    assert response.status_code == status
    if status == 200:
        assert [a["id"] for a in response.json()["results"]] == [str(application.public_id)]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("applicant", 200),
        ("other_citizen", 404),
        ("officer", 403),
        ("other_officer", 403),
        ("representative", 200),
        ("representative_without_header", 200),
        ("revoked_representative", 403),
        ("revoked_representative_without_header", 404),
        ("integrator", 403),
    ],
)
def test_withdrawing_an_application(request, person, application, who, status):
    client, headers = _caller(request, who, person)
    before = snapshot()
    response = client.post(detail_path(application, "/withdraw"), {}, format="json",
                           headers=headers)  # fmt: skip
    assert response.status_code == status
    application.refresh_from_db()
    if status == 200:
        assert application.status == "withdrawn"
        assert application.events.order_by("pk").last().actor_kind == "applicant"
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("applicant", 403),
        ("other_citizen", 403),
        ("officer", 200),
        ("other_officer", 404),
        ("supervisor", 200),
        ("representative", 403),
        ("integrator", 403),
    ],
)
def test_reviewing_an_application(request, person, application, who, status):
    client, headers = _caller(request, who, person)
    before = snapshot()
    response = client.post(
        detail_path(application, "/review"), {"outcome": "approve"}, format="json",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == status
    application.refresh_from_db()
    if status == 200:
        assert application.status == "approved"
        assert response.json()["allowed_actions"] == []
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("revoked", "status", "code"), [(False, 201, None), (True, 403, "no_mandate")]
)
def test_applying_for_someone_needs_an_active_mandate(service, revoked, status, code):
    child = PersonFactory.create(user=None)
    representative = _representative(child, revoked=revoked)
    response = apply(client_for(representative.user), service, acting_for=f"person:{child.pk}")
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
        assert Application.objects.count() == 0
    else:
        application = Application.objects.get()
        assert (application.applicant, application.submitted_by) == (child, representative)


def test_a_mandate_for_something_else_does_not_reach_applications(service):
    child = PersonFactory.create(user=None)
    mandate = MandateFactory.create(for_person=child, scope=["payments"])
    response = apply(
        client_for(mandate.representative.user), service, acting_for=f"person:{child.pk}"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "no_mandate"
    assert Application.objects.count() == 0


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("officer", 403),
                                             ("integrator", 403)])  # fmt: skip
def test_only_citizens_apply(request, person, service, who, status):
    client, _ = _caller(request, who, person)
    response = apply(client, service)
    assert response.status_code == status
    assert Application.objects.count() == 0


def test_an_officer_of_the_agency_reads_but_does_not_change_as_applicant(officer_api, application):
    response = officer_api.patch(detail_path(application), {"data": {}}, format="json")
    assert response.status_code == 403
    assert Application.objects.get().data == {"children": 1}

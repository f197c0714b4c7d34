"""Prefill: what government already knows for a service's form, only under the party's consent
or the service's legal basis, each value with its source; and what an application keeps of it
(services.actions.applications.prefill_for, GET /api/v1/services/{code}/prefill)."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from identity.models import AccessLogEntry, Consent
from services.models import Application
from tests.conftest import client_for
from tests.factories import (
    BusinessFactory,
    CredentialFactory,
    CredentialTypeFactory,
    MandateFactory,
    ServiceFactory,
)
from tests.services.applications_support import apply

pytestmark = pytest.mark.django_db

FORM = {
    "type": "object",
    "properties": {
        "full_name": {"type": "string"},
        "birth_date": {"type": "string", "format": "date"},
        "email": {"type": "string"},
        "licence": {"type": "object"},
        "shoe_size": {"type": "integer"},
    },
}


@pytest.fixture
def service(agency):
    return ServiceFactory.create(
        agency=agency,
        code="parking-permit",
        input_schema=FORM,
        legal_basis="Parking Act s. 4",
        prefill={
            "full_name": "legal_name_local",
            "birth_date": "date_of_birth",
            "email": "contact_email",
            "licence": "credential:driving_licence",
            "shoe_size": "shoe_size",
        },
        prefill_legal_attributes=["legal_name_local", "date_of_birth"],
    )


def _prefill(client, code="parking-permit", **headers):
    return client.get(f"/api/v1/services/{code}/prefill", headers=headers)


def test_only_what_the_legal_basis_allows_without_consent(citizen_api, person, service):
    # when
    response = _prefill(citizen_api)
    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": {"full_name": person.legal_name_local, "birth_date": "1990-05-17"},
        "fields": {
            "full_name": {
                "value": person.legal_name_local,
                "source": "self",
                "attribute": "legal_name_local",
            },
            "birth_date": {"value": "1990-05-17", "source": "self", "attribute": "date_of_birth"},
        },
        "missing": ["email", "licence", "shoe_size"],
    }
    entry = AccessLogEntry.objects.get(person=person)
    assert entry.channel == "system"
    assert entry.agency == service.agency
    assert entry.purpose == "service:parking-permit (Parking Act s. 4)"


def test_a_consent_for_this_service_adds_what_it_names(citizen_api, person, service):
    licence = CredentialFactory.create(
        holder=person, type=CredentialTypeFactory.create(code="driving_licence")
    )
    Consent.objects.create(
        person=person, agency=service.agency, purpose="service:parking-permit",
        attributes=["contact_email", "credential:driving_licence"],
        valid_until=timezone.now() + datetime.timedelta(days=30),
    )  # fmt: skip
    body = _prefill(citizen_api).json()
    assert body["missing"] == ["shoe_size"]
    assert body["data"]["email"] == person.contact_email
    assert body["fields"]["email"]["source"] == "self"
    assert body["fields"]["licence"] == {
        "value": {
            "number": licence.number_masked,
            "issuer": licence.issuer.code,
            "status": "active",
            "valid_from": "2025-01-01",
            "valid_until": "2030-12-31",
            "is_valid": True,
        },
        "source": "issuer",
        "attribute": "credential:driving_licence",
    }


def test_nothing_without_consent_or_legal_basis(citizen_api, person, service):
    service.prefill_legal_attributes = []
    service.save()
    body = _prefill(citizen_api).json()
    assert body == {
        "data": {},
        "fields": {},
        "missing": ["birth_date", "email", "full_name", "licence", "shoe_size"],
    }
    assert AccessLogEntry.objects.count() == 0


def test_a_representative_gets_the_childs_values(service):
    mandate = MandateFactory.create(scope=["applications"])
    child = mandate.for_person
    assert child is not None
    response = _prefill(
        client_for(mandate.representative.user), **{"X-Acting-For": f"person:{child.pk}"}
    )
    assert response.json()["data"]["full_name"] == child.legal_name_local
    assert AccessLogEntry.objects.get().person == child


def test_a_business_gets_nothing_filled(citizen_api, person, service):
    business = BusinessFactory.create()
    MandateFactory.create(representative=person, for_person=None, for_business=business)
    body = _prefill(citizen_api, **{"X-Acting-For": f"business:{business.pk}"}).json()
    assert body["data"] == {}
    assert len(body["missing"]) == 5


@pytest.mark.parametrize(
    ("status", "code", "http"),
    [("draft", "service_not_open", 409), ("retired", "service_not_open", 409)],
)
def test_a_service_not_open_has_no_prefill(citizen_api, service, status, code, http):
    service.status = status
    service.save()
    response = _prefill(citizen_api)
    assert response.status_code == http
    assert response.json()["code"] == code


def test_an_unknown_service_is_not_found(citizen_api, service):
    response = _prefill(citizen_api, code="nope")
    assert response.status_code == 404
    assert response.json()["code"] == "service_not_found"


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("officer", 403)])
def test_only_citizens_ask(request, service, who, status):
    client = APIClient() if who == "anonymous" else request.getfixturevalue("officer_api")
    assert _prefill(client).status_code == status
    assert AccessLogEntry.objects.count() == 0


def test_an_application_keeps_the_sources_of_the_values_left_as_prefilled(
    citizen_api, person, service
):
    # given the applicant keeps the name and corrects the birth date
    data = {"full_name": person.legal_name_local, "birth_date": "1990-05-18"}
    # when
    response = apply(citizen_api, service, data)
    # then
    assert response.status_code == 201, response.json()
    assert Application.objects.get().prefilled == {
        "full_name": {
            "value": person.legal_name_local,
            "source": "self",
            "attribute": "legal_name_local",
        }
    }

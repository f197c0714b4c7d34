"""The catalogue in admin: an agency's staff edit only their services; the form's JSON Schema
is checked on save; a save refreshes the search document; status changes go through actions."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from identity.models import Membership
from services.models import Service
from tests.conftest import sign_in_to_admin
from tests.factories import AgencyFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SERVICE_PERMISSIONS = ["view_service", "change_service", "add_service"]


@pytest.fixture
def own_agency():
    return AgencyFactory.create(code="library", name_en="City Library")


@pytest.fixture
def staff(own_agency):
    """An officer of the library with the permissions to edit services."""
    user = MembershipFactory.create(agency=own_agency, role=Membership.Role.OFFICER).user
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=SERVICE_PERMISSIONS))
    return sign_in_to_admin(Client(), user)


def _form(service, **changes):
    """The change form's data for a service, as the admin page posts it."""
    data = {
        "code": service.code,
        "agency": service.agency_id,
        "jurisdiction": service.jurisdiction_id,
        "name_en": service.name_en,
        "name_th": service.name_th or "",
        "name_zh_hans": service.name_zh_hans or "",
        "summary_en": "",
        "summary_th": "",
        "summary_zh_hans": "",
        "description_en": "",
        "description_th": "",
        "description_zh_hans": "",
        "keywords_en": "",
        "keywords_th": "",
        "keywords_zh_hans": "",
        "for_persons": "on",
        "channels": '["app"]',
        "minimum_level_of_assurance": "basic",
        "legal_basis": "",
        "approval_mode": "manual",
        "input_schema": '{"type": "object"}',
        "processing_time": "",
        "manual_deadline": "5 00:00:00",
        "prefill": "{}",
        "prefill_legal_attributes": "[]",
        "output_validity": "",
        "fees-TOTAL_FORMS": "0",
        "fees-INITIAL_FORMS": "0",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_staff_see_only_their_agencys_services(staff, own_agency):
    # given
    ServiceFactory.create(code="library-card", agency=own_agency)
    theirs = ServiceFactory.create(code="parking-permit")

    # when
    page = staff.get("/admin/services/service/")

    # then
    assert page.status_code == 200
    assert "library-card" in page.content.decode()
    assert "parking-permit" not in page.content.decode()
    assert staff.get(f"/admin/services/service/{theirs.pk}/change/").status_code == 302


def test_staff_cannot_give_a_service_to_another_agency(staff, own_agency):
    # given
    service = ServiceFactory.create(code="library-card", agency=own_agency, name_en="Card")
    other = AgencyFactory.create()

    # when
    response = staff.post(
        f"/admin/services/service/{service.pk}/change/",
        _form(service, agency=other.pk, name_en="Stolen"),
    )

    # then
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    service.refresh_from_db()
    assert (service.agency_id, service.name_en) == (own_agency.pk, "Card")


def test_an_invalid_schema_is_refused_with_the_problem_named(staff, own_agency):
    # given
    service = ServiceFactory.create(code="library-card", agency=own_agency)
    before = service.input_schema

    # when
    response = staff.post(
        f"/admin/services/service/{service.pk}/change/",
        _form(service, input_schema='{"type": "object", "properties": {"age": {"type": "int"}}}'),
    )

    # then
    assert response.status_code == 200
    assert "Not a valid JSON Schema at properties/age/type" in response.content.decode()
    service.refresh_from_db()
    assert service.input_schema == before


def test_saving_refreshes_the_search_document(staff, own_agency):
    # given
    service = ServiceFactory.create(code="library-card", agency=own_agency, name_en="Card")

    # when
    response = staff.post(
        f"/admin/services/service/{service.pk}/change/",
        _form(service, name_en="Library card", name_th="บัตรห้องสมุด", name_zh_hans="借书证"),
    )

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    service.refresh_from_db()
    assert service.name_en == "Library card"
    assert service.search_document.startswith("library card บัตรห้องสมุด บัตร ห้องสมุด 借 书 证")


def test_staff_add_a_service_only_for_their_agency(staff, own_agency):
    # given
    template = ServiceFactory.build(code="new-service", agency=own_agency, name_en="Book return")
    template.jurisdiction = own_agency.jurisdiction

    # when
    response = staff.post("/admin/services/service/add/", _form(template))

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Service.objects.get(code="new-service")
    assert created.status == "draft"
    assert created.search_document.startswith("book return")


def test_status_changes_through_the_admin_actions(staff, own_agency):
    # given
    draft = ServiceFactory.create(code="library-card", agency=own_agency, status="draft")
    retired = ServiceFactory.create(code="old-card", agency=own_agency, status="retired")

    # when
    staff.post(
        "/admin/services/service/",
        {"action": "open_selected", "_selected_action": [draft.pk, retired.pk]},
    )

    # then
    draft.refresh_from_db()
    retired.refresh_from_db()
    assert (draft.status, retired.status) == ("active", "retired")

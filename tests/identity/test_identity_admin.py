"""Staff screens for persons, organisations and API clients."""

import pytest
from django.contrib.auth.models import Permission

from identity.models import AccessLogEntry, ApiClient, AssuranceChange, Membership
from tests.conftest import sign_in_to_admin
from tests.factories import AgencyFactory, MembershipFactory, VerifiedPersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin(admin_client):
    return admin_client


def test_opening_a_person_in_admin_shows_in_their_access_log(staff_admin, admin_user):
    person = VerifiedPersonFactory.create()
    # when
    response = staff_admin.get(f"/admin/identity/person/{person.pk}/change/")
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert person.national_id_masked in page
    assert person.national_id not in page
    entry = AccessLogEntry.objects.get(person=person)
    assert (entry.channel, entry.actor, entry.what) == ("admin", admin_user, "full person record")


def test_person_list_shows_masked_numbers_only(staff_admin):
    person = VerifiedPersonFactory.create()
    page = staff_admin.get("/admin/identity/person/").content.decode()
    assert person.national_id_masked in page
    assert person.national_id not in page


def test_officer_raises_a_verified_person_to_high(staff_admin, admin_user):
    person = VerifiedPersonFactory.create()
    response = staff_admin.post(
        "/admin/identity/person/",
        {"action": "raise_to_high", "_selected_action": [person.pk]},
        follow=True,
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.level_of_assurance == "high"
    change = AssuranceChange.objects.get(person=person, to_level="high")
    assert (change.officer, change.method) == (admin_user, "in_person")


def test_creating_an_api_client_shows_its_secret_once(staff_admin):
    agency = AgencyFactory.create()
    response = staff_admin.post(
        "/admin/identity/apiclient/add/",
        {
            "agency": agency.pk,
            "name": "Metro gates",
            "scopes": ["one-code:verify"],
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    client = ApiClient.objects.get(name="Metro gates")
    assert client.scopes == ["one-code:verify"]
    shown = [str(m) for m in response.context["messages"]]
    assert any(client.client_id + "." in m for m in shown)
    secret = next(m for m in shown if client.client_id in m).rsplit(".", 1)[1]
    assert secret not in client.secret_hash


def test_rotating_a_secret_stops_the_old_one(staff_admin, integrator, api):
    caller = integrator("persons:read")
    client = caller.api_client
    assert caller.get("/api/v1/identity/me").status_code == 403  # authenticated, wrong kind
    staff_admin.post(
        "/admin/identity/apiclient/", {"action": "rotate_secret", "_selected_action": [client.pk]}
    )
    assert caller.get("/api/v1/identity/me").status_code == 401


def test_supervisor_sees_only_their_agencys_clients_and_members(client, integrator):
    own = AgencyFactory.create()
    supervisor = MembershipFactory.create(agency=own, role=Membership.Role.SUPERVISOR).user
    supervisor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_apiclient", "view_membership"])
    )
    mine = integrator("persons:read", for_agency=own).api_client
    theirs = integrator("persons:read").api_client
    sign_in_to_admin(client, supervisor)
    page = client.get("/admin/identity/apiclient/").content.decode()
    assert mine.client_id in page
    assert theirs.client_id not in page

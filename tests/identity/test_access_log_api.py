"""GET /api/v1/identity/me/access-log: who read my record, newest first; no way to change it."""

import datetime

import pytest
from django.utils import timezone

from identity.access import record_access
from identity.models import AccessLogEntry
from tests.factories import PersonFactory

ACCESS_LOG = "/api/v1/identity/me/access-log"

pytestmark = pytest.mark.django_db

CALLERS = {
    "anonymous": "api",
    "owner": "citizen_api",
    "other_citizen": "other_citizen_api",
    "officer": "officer_api",
    "other_officer": "other_officer_api",
}


@pytest.fixture
def caller(request, integrator):
    def make(name: str):
        if name == "integrator_with_scope":
            return integrator("persons:read")
        if name == "integrator_without_scope":
            return integrator()
        return request.getfixturevalue(CALLERS[name])

    return make


def entries_snapshot():
    return list(AccessLogEntry.objects.order_by("pk").values())


class TestReadAccessLog:
    def test_owner_reads_who_looked_newest_first(self, citizen_api, person, officer, agency):
        # given an officer's read in admin yesterday, one through the API and a prefill today,
        # and a read of someone else
        officer.first_name, officer.last_name = "Anong", "Officer"
        officer.save()
        old = AccessLogEntry.objects.create(
            person=person,
            channel="admin",
            actor=officer,
            actor_label="Anong Officer",
            agency=agency,
            what="person record",
            purpose="Complaint follow-up",
            at=timezone.now() - datetime.timedelta(days=1),
        )
        officer_read = record_access(
            person=person, channel="api", what="person record", purpose="Permit check",
            actor=officer,
        )  # fmt: skip
        system = record_access(
            person=person, channel="system", what="date_of_birth", purpose="Prefill"
        )
        record_access(
            person=PersonFactory.create(), channel="system", what="x", purpose="someone else"
        )
        # when
        response = citizen_api.get(ACCESS_LOG)
        # then
        assert response.status_code == 200
        body = response.json()
        assert body["next"] is None
        assert body["results"] == [
            {
                "id": system.pk,
                "when": system.at.isoformat().replace("+00:00", "Z"),
                "who": "CityPortal",
                "agency": None,
                "channel": "system",
                "what": "date_of_birth",
                "purpose": "Prefill",
            },
            {
                "id": officer_read.pk,
                "when": officer_read.at.isoformat().replace("+00:00", "Z"),
                "who": "Anong Officer",
                "agency": {"code": "transit", "name": "Transit Authority"},
                "channel": "api",
                "what": "person record",
                "purpose": "Permit check",
            },
            {
                "id": old.pk,
                "when": old.at.isoformat().replace("+00:00", "Z"),
                "who": "Anong Officer",
                "agency": {"code": "transit", "name": "Transit Authority"},
                "channel": "admin",
                "what": "person record",
                "purpose": "Complaint follow-up",
            },
        ]

    def test_pages_follow_each_other_by_cursor(self, citizen_api, person):
        now = timezone.now()
        entries = [
            AccessLogEntry.objects.create(
                person=person,
                channel="system",
                actor_label="CityPortal",
                what=f"read {n}",
                purpose="Prefill",
                at=now - datetime.timedelta(minutes=n),
            )
            for n in range(5)
        ]
        first = citizen_api.get(ACCESS_LOG, {"page_size": 2}).json()
        second = citizen_api.get(first["next"]).json()
        third = citizen_api.get(second["next"]).json()
        seen = [e["id"] for page in (first, second, third) for e in page["results"]]
        assert seen == [e.pk for e in entries]
        assert third["next"] is None

    def test_query_count_does_not_grow_with_the_log(
        self, citizen_api, person, agency, other_agency, integrator, django_assert_num_queries
    ):
        # given entries from several agencies and an integrator
        client = integrator("persons:read").api_client
        for n in range(15):
            record_access(
                person=person,
                channel="integrator" if n % 3 == 0 else "system",
                client=client if n % 3 == 0 else None,
                agency=other_agency if n % 2 else agency,
                what=f"read {n}",
                purpose="Prefill",
            )
        # then: one page with its agencies (the caller's person comes with the account)
        with django_assert_num_queries(1):
            response = citizen_api.get(ACCESS_LOG)
        assert len(response.json()["results"]) == 15

    @pytest.mark.parametrize(
        ("who", "status", "sees"),
        [
            ("anonymous", 401, None),
            ("owner", 200, 1),
            ("other_citizen", 200, 0),
            ("officer", 403, None),
            ("other_officer", 403, None),
            ("integrator_with_scope", 403, None),
            ("integrator_without_scope", 403, None),
        ],
    )
    def test_permission_matrix(self, caller, person, who, status, sees):
        record_access(person=person, channel="system", what="date_of_birth", purpose="Prefill")
        response = caller(who).get(ACCESS_LOG)
        assert response.status_code == status
        if sees is None:
            assert response["Content-Type"] == "application/problem+json"
        else:
            assert len(response.json()["results"]) == sees


class TestNobodyChangesTheLog:
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    @pytest.mark.parametrize("who", ["owner", "officer", "integrator_with_scope"])
    def test_there_is_no_write_endpoint(self, caller, person, method, who):
        # given
        record_access(person=person, channel="system", what="date_of_birth", purpose="Prefill")
        before = entries_snapshot()
        # when
        response = getattr(caller(who), method)(ACCESS_LOG, {"what": "nothing"})
        # then
        assert response.status_code == (405 if who == "owner" else 403)
        assert entries_snapshot() == before

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_no_single_entry_can_be_addressed(self, citizen_api, person, method):
        entry = record_access(
            person=person, channel="system", what="date_of_birth", purpose="Prefill"
        )
        before = entries_snapshot()
        response = getattr(citizen_api, method)(f"{ACCESS_LOG}/{entry.pk}", {"what": "x"})
        assert response.status_code == 404
        assert entries_snapshot() == before

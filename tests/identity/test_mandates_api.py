"""GET /api/v1/identity/mandates and the X-Acting-For header."""

import datetime

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import BusinessFactory, MandateFactory, PersonFactory

MANDATES = "/api/v1/identity/mandates"
ACTING = "/api/v1/identity/acting"

pytestmark = pytest.mark.django_db


def test_representative_and_represented_both_see_the_mandate(citizen_api, person):
    child = PersonFactory.create(user=None, legal_name_latin="Little One")
    mandate = MandateFactory.create(representative=person, for_person=child, scope=["applications"])
    given = MandateFactory.create(for_person=person)
    # when
    response = citizen_api.get(MANDATES)
    # then
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert rows[mandate.pk]["role"] == "representative"
    assert rows[mandate.pk]["represented"] == {
        "kind": "person",
        "id": child.pk,
        "name": "Little One",
        "acting_for": f"person:{child.pk}",
    }
    assert rows[mandate.pk]["is_active"] is True
    assert rows[given.pk]["role"] == "represented"


def test_others_mandates_are_not_listed(citizen_api):
    MandateFactory.create()
    assert citizen_api.get(MANDATES).json()["results"] == []


def test_list_is_not_n_plus_one(citizen_api, person, django_assert_num_queries):
    for _ in range(5):
        MandateFactory.create(representative=person)
        MandateFactory.create(
            representative=person, for_person=None, for_business=BusinessFactory.create()
        )
    # session auth is forced, the person comes with the account: 1 page
    with django_assert_num_queries(1):
        response = citizen_api.get(MANDATES)
    assert len(response.json()["results"]) == 10


@pytest.mark.parametrize("who", ["anonymous", "officer", "integrator"])
def test_only_citizens_list_mandates(api, officer_api, integrator, who):
    client = {"anonymous": api, "officer": officer_api, "integrator": integrator("persons:read")}[
        who
    ]
    assert client.get(MANDATES).status_code == (401 if who == "anonymous" else 403)


class TestActingFor:
    def test_without_the_header_a_citizen_acts_for_themself(self, citizen_api, person):
        body = citizen_api.get(ACTING).json()
        assert body["acting_for"] is None
        assert body["representative"]["id"] == person.pk

    def test_an_active_mandate_lets_a_parent_act_for_a_child(self, citizen_api, person):
        child = PersonFactory.create(user=None)
        mandate = MandateFactory.create(
            representative=person, for_person=child, scope=["applications"]
        )
        response = citizen_api.get(
            ACTING + "?scope=applications", HTTP_X_ACTING_FOR=f"person:{child.pk}"
        )
        assert response.status_code == 200
        assert response.json()["acting_for"]["id"] == child.pk
        assert response.json()["mandate_id"] == mandate.pk

    def test_a_representative_acts_for_a_business(self, citizen_api, person):
        business = BusinessFactory.create()
        MandateFactory.create(representative=person, for_person=None, for_business=business)
        response = citizen_api.get(
            ACTING + "?scope=payments", HTTP_X_ACTING_FOR=f"business:{business.pk}"
        )
        assert response.json()["acting_for"]["kind"] == "business"

    @pytest.mark.parametrize(
        "mandate_changes",
        [
            {"revoked_at": timezone.now()},
            {"valid_until": timezone.now() - datetime.timedelta(minutes=1)},
            {"valid_from": timezone.now() + datetime.timedelta(days=1), "valid_until": None},
            {"scope": ["payments"]},
        ],
    )
    def test_no_active_mandate_for_the_scope_is_a_403(self, citizen_api, person, mandate_changes):
        child = PersonFactory.create(user=None)
        MandateFactory.create(representative=person, for_person=child, **mandate_changes)
        response = citizen_api.get(
            ACTING + "?scope=applications", HTTP_X_ACTING_FOR=f"person:{child.pk}"
        )
        assert response.status_code == 403
        assert response.json()["code"] == "no_mandate"

    def test_someone_elses_mandate_does_not_count(self, citizen_api, other_citizen_api):
        mandate = MandateFactory.create()
        response = citizen_api.get(ACTING, HTTP_X_ACTING_FOR=f"person:{mandate.for_person_id}")
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "value", ["child", "person:", "person:abc", "company:1", "person:1;drop"]
    )
    def test_malformed_header_is_a_400(self, citizen_api, value):
        response = citizen_api.get(ACTING, HTTP_X_ACTING_FOR=value)
        assert response.status_code == 400
        assert response.json()["code"] == "acting_for_malformed"

    def test_the_represented_cannot_turn_it_around(self, person):
        parent = PersonFactory.create()
        MandateFactory.create(representative=parent, for_person=person)
        response = client_for(person.user).get(ACTING, HTTP_X_ACTING_FOR=f"person:{parent.pk}")
        assert response.status_code == 403

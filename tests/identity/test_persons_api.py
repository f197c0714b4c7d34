"""GET/PATCH /api/v1/identity/me and POST /api/v1/identity/verification."""

import datetime
import logging

import pytest
from django.db import connection

from identity.actions.persons import add_registry_record
from identity.models import AssuranceChange, Person
from tests.factories import (
    JurisdictionFactory,
    PersonFactory,
    VerifiedPersonFactory,
    make_cn_id,
    make_th_id,
)

ME = "/api/v1/identity/me"
VERIFY = "/api/v1/identity/verification"

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    """A registry record matching the person under test's claims."""
    number = make_th_id()
    add_registry_record(
        scheme="th_citizen",
        number=number,
        legal_name_local="สมหญิง ใจดี",
        legal_name_latin="Somying Jaidee",
        date_of_birth=datetime.date(1988, 2, 29),
        address="99 Sukhumvit Rd",
    )
    return number


def claims(number, **changes):
    body = {
        "national_id_scheme": "th_citizen",
        "national_id": number,
        "legal_name_local": "สมหญิง ใจดี",
        "date_of_birth": "1988-02-29",
    }
    return {**body, **changes}


class TestMe:
    def test_owner_reads_their_record(self, citizen_api, person):
        response = citizen_api.get(ME)
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == person.pk
        assert body["legal_name_latin"] == person.legal_name_latin
        assert body["level_of_assurance"] == "basic"
        assert body["national_id"] == ""
        assert body["read_only_fields"] == []

    def test_owner_updates_self_asserted_details(self, citizen_api, person):
        city = JurisdictionFactory.create(code="bangkok", name="Bangkok")
        response = citizen_api.patch(
            ME,
            {
                "legal_name_latin": "Somchai New",
                "contact_phone": "+66812345678",
                "residence": "bangkok",
            },
            format="json",
        )
        assert response.status_code == 200
        person.refresh_from_db()
        assert person.legal_name_latin == "Somchai New"
        assert person.contact_phone == "+66812345678"
        assert person.residence == city
        assert person.attribute_sources["legal_name_latin"]["source"] == "self"

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({"contact_phone": "0812345678"}, "contact_phone", "invalid_phone"),
            ({"contact_phone": "+6681"}, "contact_phone", "invalid_phone"),
            ({"date_of_birth": "2999-01-01"}, "date_of_birth", "invalid"),
            ({"preferred_language": "fr"}, "preferred_language", "invalid_choice"),
            ({"residence": "atlantis"}, "residence", "does_not_exist"),
            ({"contact_email": "not-an-email"}, "contact_email", "invalid"),
        ],
    )
    def test_bad_input_is_refused_field_by_field(self, citizen_api, person, body, field, code):
        before = Person.objects.values().get(pk=person.pk)
        response = citizen_api.patch(ME, body, format="json")
        assert response.status_code == 400
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
        assert Person.objects.values().get(pk=person.pk) == before

    def test_registry_confirmed_details_are_read_only(self, citizen_api):
        person = VerifiedPersonFactory.create(
            attribute_sources={
                "legal_name_local": {"source": "registry", "at": "2026-01-01T00:00:00Z"}
            }
        )
        citizen_api.force_authenticate(person.user)
        response = citizen_api.patch(ME, {"legal_name_local": "Someone Else"}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "attribute_locked"
        assert body["errors"][0]["field"] == "legal_name_local"
        person.refresh_from_db()
        assert person.legal_name_local != "Someone Else"
        assert citizen_api.get(ME).json()["read_only_fields"] == ["legal_name_local"]

    def test_anonymous_gets_401(self, api):
        assert api.get(ME).status_code == 401
        assert api.patch(ME, {}, format="json").status_code == 401

    def test_staff_without_a_person_record_get_403(self, officer_api):
        assert officer_api.get(ME).status_code == 403

    def test_integrator_gets_403(self, integrator):
        assert integrator("credentials:write").get(ME).status_code == 403


class TestVerification:
    def test_matching_claims_raise_the_level_to_substantial(self, citizen_api, person, registered):
        # when
        response = citizen_api.post(VERIFY, claims(registered), format="json")
        # then
        assert response.status_code == 200
        body = response.json()
        assert body["level_of_assurance"] == "substantial"
        assert body["national_id"] == "*********" + registered[-4:]
        assert body["legal_name_latin"] == "Somying Jaidee"
        assert set(body["read_only_fields"]) >= {"legal_name_local", "date_of_birth", "national_id"}
        change = AssuranceChange.objects.get(person=person)
        assert (change.from_level, change.to_level, change.method) == (
            "basic",
            "substantial",
            "registry_match",
        )

    def test_mismatch_names_the_fields_without_leaking_the_registry(
        self, citizen_api, person, registered
    ):
        response = citizen_api.post(
            VERIFY,
            claims(registered, legal_name_local="Wrong Name", date_of_birth="1988-03-01"),
            format="json",
        )
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "verification_mismatch"
        assert sorted(e["field"] for e in body["errors"]) == ["date_of_birth", "legal_name_local"]
        assert "สมหญิง" not in response.content.decode()
        assert "1988-02-29" not in response.content.decode()
        person.refresh_from_db()
        assert person.level_of_assurance == "basic"
        assert person.national_id is None

    def test_unknown_number_is_a_mismatch(self, citizen_api, person):
        response = citizen_api.post(VERIFY, claims(make_th_id()), format="json")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["national_id"]

    @pytest.mark.parametrize(
        ("scheme", "number", "reason"),
        [
            ("th_citizen", "123456789012", "length"),
            ("th_citizen", "1101700203451", "check_character"),
            ("th_citizen", "11017002034A1", "characters"),
            ("cn_resident", "11010519491231002", "length"),
            ("cn_resident", "110105194912310021", "check_character"),
            ("cn_resident", "110105194902300026", "birth_date"),  # 30 February
            ("cn_resident", "110105299901010023", "birth_date"),  # born in the future
            ("cn_resident", "000000194912310023", "region"),
        ],
    )
    def test_invalid_numbers_are_field_errors(self, citizen_api, person, scheme, number, reason):
        response = citizen_api.post(
            VERIFY, claims(number, national_id_scheme=scheme), format="json"
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert [(e["field"], e["code"]) for e in body["errors"]] == [("national_id", reason)]
        assert number not in response.content.decode()

    def test_a_valid_chinese_number_is_accepted_for_matching(self, citizen_api, person):
        number = make_cn_id(datetime.date(1988, 2, 29))
        add_registry_record(
            scheme="cn_resident",
            number=number,
            legal_name_local="王小明",
            date_of_birth=datetime.date(1988, 2, 29),
        )
        response = citizen_api.post(
            VERIFY,
            claims(number, national_id_scheme="cn_resident", legal_name_local="王小明"),
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["level_of_assurance"] == "substantial"

    def test_a_number_another_person_holds_is_a_409(self, citizen_api, person, registered):
        # given another verified person already holds this number
        other = PersonFactory.create()
        from tests.conftest import client_for

        assert (
            client_for(other.user).post(VERIFY, claims(registered), format="json").status_code
            == 200
        )
        # when
        response = citizen_api.post(VERIFY, claims(registered), format="json")
        # then
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "national_id_taken"
        assert body["errors"][0]["field"] == "national_id"
        person.refresh_from_db()
        assert person.level_of_assurance == "basic"

    def test_verifying_twice_is_a_409(self, citizen_api, registered):
        assert citizen_api.post(VERIFY, claims(registered), format="json").status_code == 200
        response = citizen_api.post(VERIFY, claims(registered), format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "already_verified"

    def test_anonymous_staff_and_integrators_cannot_verify(
        self, api, officer_api, integrator, registered
    ):
        assert api.post(VERIFY, claims(registered), format="json").status_code == 401
        assert officer_api.post(VERIFY, claims(registered), format="json").status_code == 403
        assert (
            integrator("persons:read").post(VERIFY, claims(registered), format="json").status_code
            == 403
        )


class TestNationalIdNeverInTheClear:
    def test_database_column_holds_only_ciphertext(self, citizen_api, person, registered):
        citizen_api.post(VERIFY, claims(registered), format="json")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT national_id, national_id_index FROM identity_person WHERE id = %s",
                [person.pk],
            )
            stored, index = cursor.fetchone()
            cursor.execute("SELECT national_id FROM identity_registryrecord")
            registry_stored = [row[0] for row in cursor.fetchall()]
        assert registered not in stored
        assert registered not in index
        assert all(registered not in value for value in registry_stored)
        person.refresh_from_db()
        assert person.national_id == registered  # decrypts for the code that needs it

    def test_national_id_never_reaches_the_logs(self, citizen_api, person, registered, caplog):
        with caplog.at_level(logging.DEBUG):
            citizen_api.post(VERIFY, claims(registered), format="json")
            citizen_api.post(VERIFY, claims(registered), format="json")
            citizen_api.get(ME)
        assert registered not in caplog.text

    def test_national_id_is_only_masked_in_responses(self, citizen_api, person, registered):
        responses = [
            citizen_api.post(VERIFY, claims(registered), format="json"),
            citizen_api.get(ME),
            citizen_api.patch(ME, {"contact_email": "x@example.org"}, format="json"),
        ]
        assert all(registered not in r.content.decode() for r in responses)

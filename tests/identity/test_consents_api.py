"""Consents: GET/POST /api/v1/identity/consents, GET/DELETE /api/v1/identity/consents/{id}; and
the prefill that reads only what a consent or a stated legal basis allows (identity.prefill)."""

import datetime

import pytest
from django.utils import timezone

from identity.models import AccessLogEntry, Consent
from identity.prefill import LegalBasis, attributes_for
from tests.factories import (
    AgencyFactory,
    CityFactory,
    CredentialFactory,
    CredentialTypeFactory,
    PersonFactory,
    VerifiedPersonFactory,
)

CONSENTS = "/api/v1/identity/consents"

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
    """caller(name) → the APIClient of one row of the permission matrix."""

    def make(name: str):
        if name == "integrator_with_scope":
            return integrator("persons:read")
        if name == "integrator_without_scope":
            return integrator()
        return request.getfixturevalue(CALLERS[name])

    return make


def in_days(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def consent_body(**changes):
    body = {
        "agency": "transit",
        "attributes": ["legal_name_latin", "date_of_birth"],
        "purpose": "Senior transit card application",
        "valid_until": in_days(365).isoformat(),
    }
    return {**body, **changes}


def make_consent(person, agency, **changes) -> Consent:
    fields = {
        "attributes": ["legal_name_latin", "date_of_birth"],
        "purpose": "Senior transit card application",
        "valid_until": in_days(365),
        **changes,
    }
    return Consent.objects.create(person=person, agency=agency, **fields)


def consent_snapshot():
    return list(
        Consent.objects.order_by("pk").values_list("pk", "person_id", "attributes", "revoked_at")
    )


class TestGiveConsent:
    def test_owner_gives_a_consent(self, citizen_api, person, agency):
        # given
        valid_until = in_days(90)
        CredentialTypeFactory.create(code="driving_licence")
        # when
        response = citizen_api.post(
            CONSENTS,
            consent_body(
                attributes=["legal_name_latin", "residence", "credential:driving_licence"],
                valid_until=valid_until.isoformat(),
            ),
        )
        # then
        assert response.status_code == 201, response.json()
        consent = Consent.objects.get()
        assert response["Location"] == f"{CONSENTS}/{consent.pk}"
        assert response.json() == {
            "id": consent.pk,
            "agency": {"code": "transit", "name": "Transit Authority"},
            "attributes": ["legal_name_latin", "residence", "credential:driving_licence"],
            "purpose": "Senior transit card application",
            "valid_until": valid_until.isoformat().replace("+00:00", "Z"),
            "created_at": consent.created_at.isoformat().replace("+00:00", "Z"),
            "revoked_at": None,
            "status": "active",
        }
        assert consent.person == person
        assert consent.agency == agency

    def test_repeated_attributes_are_kept_once(self, citizen_api, agency):
        response = citizen_api.post(
            CONSENTS, consent_body(attributes=["date_of_birth", "date_of_birth", "national_id"])
        )
        assert response.status_code == 201
        assert Consent.objects.get().attributes == ["date_of_birth", "national_id"]

    @pytest.mark.parametrize(
        ("changes", "field", "code"),
        [
            ({"agency": "no-such-agency"}, "agency", "does_not_exist"),
            (
                {"attributes": ["legal_name_latin", "shoe_size"]},
                "attributes.1",
                "unknown_attribute",
            ),
            ({"attributes": ["credential:no-such-card"]}, "attributes.0", "unknown_attribute"),
            ({"attributes": ["residence", "residence", "x"]}, "attributes.2", "unknown_attribute"),
            ({"attributes": []}, "attributes", "required"),
            ({"attributes": "legal_name_latin"}, "attributes", "not_a_list"),
            ({"purpose": ""}, "purpose", "blank"),
            ({"valid_until": "2001-01-01T00:00:00Z"}, "valid_until", "in_past"),
            ({"valid_until": "next week"}, "valid_until", "invalid"),
        ],
    )
    def test_bad_input_is_a_problem_with_field_errors(
        self, citizen_api, agency, changes, field, code
    ):
        # when
        response = citizen_api.post(CONSENTS, consent_body(**changes))
        # then
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["code"] in ("validation_error", "invalid_consent")
        assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
        assert Consent.objects.count() == 0

    def test_valid_until_more_than_five_years_ahead_is_refused(self, citizen_api, agency):
        response = citizen_api.post(
            CONSENTS, consent_body(valid_until=in_days(5 * 366 + 2).isoformat())
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid_consent"
        assert body["errors"] == [
            {
                "field": "valid_until",
                "pointer": "#/valid_until",
                "code": "too_far",
                "detail": "A consent lasts at most five years.",
            }
        ]
        assert Consent.objects.count() == 0

    def test_several_problems_are_reported_together(self, citizen_api, agency):
        response = citizen_api.post(
            CONSENTS,
            consent_body(attributes=["eye_colour"], valid_until="2001-01-01T00:00:00Z"),
        )
        assert response.status_code == 400
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("attributes.0", "unknown_attribute"),
            ("valid_until", "in_past"),
        ]

    def test_an_agency_that_no_longer_operates_cannot_be_given_consent(self, citizen_api):
        AgencyFactory.create(code="closed-office", is_active=False)
        response = citizen_api.post(CONSENTS, consent_body(agency="closed-office"))
        assert response.status_code == 400
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("agency", "inactive")
        ]
        assert Consent.objects.count() == 0

    def test_a_retry_with_the_same_idempotency_key_gives_one_consent(self, citizen_api, agency):
        body = consent_body()
        first = citizen_api.post(CONSENTS, body, HTTP_IDEMPOTENCY_KEY="consent-key-0001")
        again = citizen_api.post(CONSENTS, body, HTTP_IDEMPOTENCY_KEY="consent-key-0001")
        assert first.status_code == again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert Consent.objects.count() == 1

    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("anonymous", 401),
            ("owner", 201),
            ("other_citizen", 201),  # gives a consent of their own
            ("officer", 403),
            ("other_officer", 403),
            ("integrator_with_scope", 403),
            ("integrator_without_scope", 403),
        ],
    )
    def test_permission_matrix(self, caller, person, agency, who, status):
        # when
        response = caller(who).post(CONSENTS, consent_body())
        # then
        assert response.status_code == status
        if status == 201:
            # each citizen gives consents for themselves only
            assert (Consent.objects.get().person == person) == (who == "owner")
        else:
            assert response["Content-Type"] == "application/problem+json"
            assert Consent.objects.count() == 0


class TestListConsents:
    def test_owner_lists_their_consents_newest_first_with_their_status(
        self, citizen_api, person, agency, other_agency
    ):
        # given
        expired = make_consent(person, agency, purpose="Old", valid_until=in_days(1))
        Consent.objects.filter(pk=expired.pk).update(valid_until=in_days(-1))
        revoked = make_consent(person, other_agency, purpose="Library", revoked_at=in_days(-2))
        active = make_consent(person, agency, purpose="Transit")
        make_consent(PersonFactory.create(), agency, purpose="Someone else's")
        # when
        response = citizen_api.get(CONSENTS)
        # then
        assert response.status_code == 200
        body = response.json()
        assert [(c["id"], c["status"]) for c in body["results"]] == [
            (active.pk, "active"),
            (revoked.pk, "revoked"),
            (expired.pk, "expired"),
        ]
        assert body["next"] is None

    def test_the_list_is_paginated_by_cursor(self, citizen_api, person, agency):
        consents = [make_consent(person, agency, purpose=f"Purpose {n}") for n in range(5)]
        first = citizen_api.get(CONSENTS, {"page_size": 2}).json()
        second = citizen_api.get(first["next"]).json()
        assert [c["id"] for c in first["results"] + second["results"]] == [
            c.pk for c in reversed(consents)
        ][:4]
        assert "cursor=" in first["next"]

    def test_query_count_does_not_grow_with_the_list(
        self, citizen_api, person, agency, other_agency, django_assert_num_queries
    ):
        # given many consents to several agencies
        for n in range(12):
            make_consent(person, agency if n % 2 else other_agency, purpose=f"P{n}")
        # then: one page with its agencies (the caller's person comes with the account)
        with django_assert_num_queries(1):
            response = citizen_api.get(CONSENTS)
        assert len(response.json()["results"]) == 12

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
    def test_permission_matrix(self, caller, person, agency, who, status, sees):
        make_consent(person, agency)
        response = caller(who).get(CONSENTS)
        assert response.status_code == status
        if sees is not None:
            assert len(response.json()["results"]) == sees


class TestRevokeConsent:
    def test_owner_revokes_and_the_row_stays(self, citizen_api, person, agency):
        # given
        consent = make_consent(person, agency)
        # when
        response = citizen_api.delete(f"{CONSENTS}/{consent.pk}")
        # then
        assert response.status_code == 204
        consent.refresh_from_db()
        assert consent.revoked_at is not None
        assert citizen_api.get(f"{CONSENTS}/{consent.pk}").json()["status"] == "revoked"

    def test_revoking_twice_is_harmless(self, citizen_api, person, agency):
        consent = make_consent(person, agency)
        citizen_api.delete(f"{CONSENTS}/{consent.pk}")
        consent.refresh_from_db()
        first_revoked_at = consent.revoked_at
        response = citizen_api.delete(f"{CONSENTS}/{consent.pk}")
        assert response.status_code == 204
        consent.refresh_from_db()
        assert consent.revoked_at == first_revoked_at

    def test_an_unknown_consent_is_not_found(self, citizen_api):
        response = citizen_api.delete(f"{CONSENTS}/999999")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("anonymous", 401),
            ("owner", 204),
            ("other_citizen", 404),
            ("officer", 403),
            ("other_officer", 403),
            ("integrator_with_scope", 403),
            ("integrator_without_scope", 403),
        ],
    )
    def test_permission_matrix(self, caller, person, agency, who, status):
        # given
        consent = make_consent(person, agency)
        before = consent_snapshot()
        # when
        response = caller(who).delete(f"{CONSENTS}/{consent.pk}")
        # then
        assert response.status_code == status
        if status == 204:
            consent.refresh_from_db()
            assert consent.revoked_at is not None
        else:
            assert response["Content-Type"] == "application/problem+json"
            assert consent_snapshot() == before


class TestReadConsent:
    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("anonymous", 401),
            ("owner", 200),
            ("other_citizen", 404),
            ("officer", 403),
            ("other_officer", 403),
            ("integrator_with_scope", 403),
            ("integrator_without_scope", 403),
        ],
    )
    def test_permission_matrix(self, caller, person, agency, who, status):
        consent = make_consent(person, agency)
        response = caller(who).get(f"{CONSENTS}/{consent.pk}")
        assert response.status_code == status
        if status == 200:
            assert response.json()["id"] == consent.pk


class TestPrefill:
    """identity.prefill.attributes_for: what the next issues' application forms may read."""

    PURPOSE = "Senior transit card application"

    @pytest.fixture
    def verified(self):
        city = CityFactory.create(code="pathum-wan", name="Pathum Wan")
        return VerifiedPersonFactory.create(
            residence=city,
            contact_phone="+66812345678",
            attribute_sources={"legal_name_latin": {"source": "registry", "at": "2025-01-01"}},
        )

    def test_returns_only_what_an_active_consent_allows_and_logs_the_read(self, verified, agency):
        # given
        consent = make_consent(
            verified, agency, attributes=["legal_name_latin", "residence", "national_id"]
        )
        # when
        values = attributes_for(
            person=verified,
            agency=agency,
            purpose=self.PURPOSE,
            attributes=["legal_name_latin", "residence", "date_of_birth", "national_id"],
        )
        # then
        assert values == {
            "legal_name_latin": {"value": verified.legal_name_latin, "source": "registry"},
            "residence": {"value": {"code": "pathum-wan", "name": "Pathum Wan"}, "source": "self"},
            "national_id": {
                "value": {"scheme": "th_citizen", "number": verified.national_id_masked},
                "source": "self",
            },
        }
        entry = AccessLogEntry.objects.get()
        assert entry.person == verified
        assert entry.channel == "system"
        assert entry.agency == agency
        assert entry.what == "legal_name_latin, residence, national_id"
        assert entry.purpose == f"{self.PURPOSE} (consent #{consent.pk})"

    def test_without_consent_nothing_is_read_and_nothing_logged(self, verified, agency):
        assert attributes_for(person=verified, agency=agency, purpose=self.PURPOSE) == {}
        assert AccessLogEntry.objects.count() == 0

    @pytest.mark.parametrize(
        "make",
        [
            pytest.param(lambda p, a, o: make_consent(p, o), id="another agency"),
            pytest.param(
                lambda p, a, o: make_consent(p, a, purpose="Marketing"), id="other purpose"
            ),
            pytest.param(lambda p, a, o: make_consent(p, a, revoked_at=in_days(-1)), id="revoked"),
            pytest.param(
                lambda p, a, o: Consent.objects.filter(pk=make_consent(p, a).pk).update(
                    valid_until=in_days(-1)
                ),
                id="expired",
            ),
            pytest.param(
                lambda p, a, o: make_consent(PersonFactory.create(), a), id="another person"
            ),
        ],
    )
    def test_a_consent_that_does_not_cover_the_read_allows_nothing(
        self, verified, agency, other_agency, make
    ):
        make(verified, agency, other_agency)
        assert attributes_for(person=verified, agency=agency, purpose=self.PURPOSE) == {}
        assert AccessLogEntry.objects.count() == 0

    def test_the_purpose_matches_regardless_of_case_and_spacing(self, verified, agency):
        make_consent(verified, agency, attributes=["date_of_birth"])
        values = attributes_for(
            person=verified, agency=agency, purpose="  senior TRANSIT card   application "
        )
        assert values == {"date_of_birth": {"value": verified.date_of_birth, "source": "self"}}

    def test_a_legal_basis_allows_what_it_lists(self, verified, agency):
        # given no consent, but a law naming two attributes
        basis = LegalBasis(reference="Transit Act s. 12", attributes=("legal_name_local",))
        # when
        values = attributes_for(
            person=verified,
            agency=agency,
            purpose="Fare evasion notice",
            attributes=["legal_name_local", "contact_phone"],
            legal_basis=basis,
        )
        # then
        assert values == {
            "legal_name_local": {"value": verified.legal_name_local, "source": "self"},
        }
        entry = AccessLogEntry.objects.get()
        assert entry.what == "legal_name_local"
        assert entry.purpose == "Fare evasion notice (Transit Act s. 12)"

    def test_an_integrator_read_is_logged_as_the_integrator(self, verified, agency, integrator):
        make_consent(verified, agency, attributes=["contact_phone"])
        client = integrator("persons:read").api_client
        values = attributes_for(person=verified, agency=agency, purpose=self.PURPOSE, client=client)
        assert values == {"contact_phone": {"value": "+66812345678", "source": "self"}}
        entry = AccessLogEntry.objects.get()
        assert entry.channel == "integrator"
        assert entry.client == client
        assert entry.actor_label == "Test integrator (Transit Authority)"

    def test_credentials_are_read_masked_with_their_validity(self, verified, agency):
        card_type = CredentialTypeFactory.create(code="transit_card", issuer=agency)
        card = CredentialFactory.create(holder=verified, type=card_type)
        make_consent(verified, agency, attributes=["credential:transit_card"])
        values = attributes_for(person=verified, agency=agency, purpose=self.PURPOSE)
        assert values == {
            "credential:transit_card": {
                "value": {
                    "number": card.number_masked,
                    "issuer": "transit",
                    "status": "active",
                    "valid_from": datetime.date(2025, 1, 1),
                    "valid_until": datetime.date(2030, 12, 31),
                    "is_valid": True,
                },
                "source": "issuer",
            }
        }
        assert card.number not in str(values)

    def test_an_unknown_attribute_is_a_programming_error(self, verified, agency):
        with pytest.raises(ValueError, match="shoe_size"):
            attributes_for(
                person=verified, agency=agency, purpose=self.PURPOSE, attributes=["shoe_size"]
            )

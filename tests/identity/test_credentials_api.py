"""The credentials wallet ("one card"): holders add cards, issuers issue, change, confirm,
reject, suspend and revoke them, and numbers never leave in the clear."""

import datetime
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test import RequestFactory
from rest_framework.test import APIClient

from identity.actions import credentials as credential_actions
from identity.admin.credentials import CredentialAdmin
from identity.models import AccessLogEntry, Credential
from tests.factories import (
    AgencyFactory,
    CredentialFactory,
    CredentialTypeFactory,
    MembershipFactory,
    PersonFactory,
    StaffFactory,
    VerifiedPersonFactory,
    make_th_id,
)

pytestmark = pytest.mark.django_db

CREDENTIALS = "/api/v1/identity/credentials"
WRITE = "credentials:write"

# Who calls: the permission matrix of every endpoint.
ANONYMOUS = "anonymous"
OWNER = "owner"
OTHER_CITIZEN = "other_citizen"
OFFICER = "officer"
OTHER_OFFICER = "other_officer"
INTEGRATOR = "integrator"  # of the issuing agency, with credentials:write
OTHER_INTEGRATOR = "other_agency_integrator"  # another agency's, with credentials:write
UNSCOPED_INTEGRATOR = "integrator_without_scope"


@pytest.fixture
def caller(request, api, integrator, other_agency):
    def make(name):
        if name == ANONYMOUS:
            return api
        if name == OWNER:
            return request.getfixturevalue("citizen_api")
        if name == OTHER_CITIZEN:
            return request.getfixturevalue("other_citizen_api")
        if name == OFFICER:
            return request.getfixturevalue("officer_api")
        if name == OTHER_OFFICER:
            return request.getfixturevalue("other_officer_api")
        if name == INTEGRATOR:
            return integrator(WRITE)
        if name == OTHER_INTEGRATOR:
            return integrator(WRITE, for_agency=other_agency)
        if name == UNSCOPED_INTEGRATOR:
            return integrator("one-code:verify")
        raise AssertionError(name)

    return make


@pytest.fixture
def transit_card(agency):
    return CredentialTypeFactory.create(
        code="transit_card", name="Transit card", issuer=agency, visible_digits=4
    )


@pytest.fixture
def library_card(other_agency):
    return CredentialTypeFactory.create(
        code="library_card", name="Library card", issuer=other_agency
    )


@pytest.fixture
def credential(person, transit_card):
    """Issued by the transit agency to the citizen under test."""
    return CredentialFactory.create(holder=person, type=transit_card, number="TC0000123456")


@pytest.fixture
def holder_added(person, transit_card):
    return CredentialFactory.create(
        holder=person,
        type=transit_card,
        number="TC0000999888",
        origin=Credential.Origin.HOLDER,
        verification=Credential.Verification.UNVERIFIED,
    )


def snapshot(credential):
    credential.refresh_from_db()
    return {
        field.name: getattr(credential, field.name)
        for field in Credential._meta.concrete_fields
        if field.name != "number"
    } | {"number": credential.number}


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def error_fields(response):
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


# Permission matrices ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "sees_card"),
    [
        (ANONYMOUS, 401, False),
        (OWNER, 200, True),
        (OTHER_CITIZEN, 200, False),
        (OFFICER, 403, False),
        (OTHER_OFFICER, 403, False),
        (INTEGRATOR, 403, False),
        (UNSCOPED_INTEGRATOR, 403, False),
    ],
)
def test_list_permissions(caller, credential, who, status, sees_card):
    # when
    response = caller(who).get(CREDENTIALS)
    # then
    assert response.status_code == status
    if status == 200:
        ids = [item["id"] for item in response.json()["results"]]
        assert ids == ([credential.pk] if sees_card else [])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 201),
        (OTHER_CITIZEN, 201),  # into their own wallet
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 403),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_add_permissions(caller, transit_card, who, status):
    # when
    response = caller(who).post(CREDENTIALS, {"type": "transit_card", "number": "TC77"})
    # then
    assert response.status_code == status
    assert Credential.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 200),
        (OTHER_CITIZEN, 404),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 200),
        (OTHER_INTEGRATOR, 404),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_detail_permissions(caller, credential, who, status):
    # when
    response = caller(who).get(f"{CREDENTIALS}/{credential.pk}")
    # then
    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == credential.pk
    # only the issuer's system reading it is an access to log; the owner's own read is not
    assert AccessLogEntry.objects.count() == (1 if who == INTEGRATOR else 0)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 403),
        (OTHER_CITIZEN, 403),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 200),
        (OTHER_INTEGRATOR, 404),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_update_permissions(caller, credential, who, status):
    # given
    before = snapshot(credential)
    # when
    response = caller(who).patch(
        f"{CREDENTIALS}/{credential.pk}", {"valid_until": "2031-06-30"}, format="json"
    )
    # then
    assert response.status_code == status
    if status == 200:
        assert response.json()["valid_until"] == "2031-06-30"
    else:
        assert snapshot(credential) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 204),
        (OTHER_CITIZEN, 404),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 403),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_remove_permissions(caller, holder_added, who, status):
    # when
    response = caller(who).delete(f"{CREDENTIALS}/{holder_added.pk}")
    # then
    assert response.status_code == status
    assert Credential.objects.filter(pk=holder_added.pk).exists() == (status != 204)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 403),
        (OTHER_CITIZEN, 403),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 201),
        (OTHER_INTEGRATOR, 403),  # authenticated and scoped, but not the issuer of this type
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_issue_permissions(caller, transit_card, who, status):
    # given
    holder = VerifiedPersonFactory.create()
    body = {
        "holder": {"national_id_scheme": "th_citizen", "national_id": holder.national_id},
        "type": "transit_card",
        "number": "TC55",
    }
    # when
    response = caller(who).post(f"{CREDENTIALS}/issue", body, format="json")
    # then
    assert response.status_code == status
    assert Credential.objects.count() == (1 if status == 201 else 0)
    if who == OTHER_INTEGRATOR:
        assert response.json()["code"] == "not_issuer_of_credential_type"


TRANSITIONS = {
    # endpoint → (credential fields before, status after, verification after)
    "revoke": ({}, "revoked", "unverified"),
    "suspend": ({}, "suspended", "unverified"),
    "reinstate": ({"status": "suspended"}, "active", "unverified"),
    "confirm": ({}, "active", "verified"),
    "reject": ({}, "revoked", "rejected"),
}


@pytest.mark.parametrize("endpoint", sorted(TRANSITIONS))
@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 403),
        (OTHER_CITIZEN, 403),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 200),
        (OTHER_INTEGRATOR, 404),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_issuer_transition_permissions(caller, person, transit_card, endpoint, who, status):
    # given: a card the holder added, not yet confirmed
    before_fields, status_after, verification_after = TRANSITIONS[endpoint]
    card = CredentialFactory.create(
        holder=person,
        type=transit_card,
        origin=Credential.Origin.HOLDER,
        verification=Credential.Verification.UNVERIFIED,
        **before_fields,
    )
    before = snapshot(card)
    # when
    response = caller(who).post(f"{CREDENTIALS}/{card.pk}/{endpoint}")
    # then
    assert response.status_code == status
    if status == 200:
        assert response.json()["status"] == status_after
        assert response.json()["verification"] == verification_after
        card.refresh_from_db()
        assert (card.status, card.verification) == (status_after, verification_after)
        (entry,) = AccessLogEntry.objects.all()
        assert (entry.person_id, entry.channel) == (person.pk, "integrator")
    else:
        assert snapshot(card) == before
        assert AccessLogEntry.objects.count() == 0


# Adding a card -----------------------------------------------------------------------------


def test_holder_adds_a_card_unverified_issued_by_the_types_agency(
    citizen_api, person, agency, transit_card
):
    # when
    response = citizen_api.post(
        CREDENTIALS,
        {
            "type": "transit_card",
            "number": "tc-1234 5678",
            "issued_on": "2025-01-02",
            "valid_from": "2025-01-02",
            "valid_until": "2099-01-01",
        },
    )
    # then
    assert response.status_code == 201
    card = Credential.objects.get()
    assert response.json() == {
        "id": card.pk,
        "type": {"code": "transit_card", "name": "Transit card"},
        "issuer": {"code": agency.code, "name": agency.name},
        "number_masked": "******5678",
        "issued_on": "2025-01-02",
        "valid_from": "2025-01-02",
        "valid_until": "2099-01-01",
        "status": "active",
        "origin": "holder",
        "verification": "unverified",
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    assert response["Location"] == f"{CREDENTIALS}/{card.pk}"
    assert (card.holder, card.issuer, card.number) == (person, agency, "TC12345678")
    assert card.number_index == credential_actions.credential_number_index("TC12345678")
    assert "12345678" not in response.content.decode()


def test_no_log_line_carries_the_plaintext_number(citizen_api, integrator, transit_card, caplog):
    # given
    caplog.set_level(logging.DEBUG)
    holder = VerifiedPersonFactory.create()
    # when
    citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": "TC27182818"})
    citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": "TC27182818"})  # taken
    issue(integrator(WRITE), holder, number="TC16180339")
    # then
    assert caplog.records
    assert "27182818" not in caplog.text
    assert "16180339" not in caplog.text
    assert holder.national_id not in caplog.text


def test_card_number_is_encrypted_in_the_database(citizen_api, transit_card):
    # given
    citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": "TC31415926"})
    # when
    with connection.cursor() as cursor:
        cursor.execute("SELECT number, number_index, number_masked FROM identity_credential")
        (raw_number, raw_index, raw_masked) = cursor.fetchone()
    # then
    assert "31415926" not in raw_number
    assert "31415926" not in raw_index
    assert raw_masked == "******5926"


def test_a_card_past_its_end_date_is_added_as_expired(citizen_api, transit_card):
    response = citizen_api.post(
        CREDENTIALS,
        {
            "type": "transit_card",
            "number": "TC1",
            "valid_from": "2020-01-01",
            "valid_until": "2020-12-31",
        },
    )
    assert response.status_code == 201
    assert response.json()["status"] == "expired"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"type": "transit_card", "number": "TC1", "valid_from": "2025-13-01"},
            {("valid_from", "invalid")},
        ),
        (
            {
                "type": "transit_card",
                "number": "TC1",
                "valid_from": "2025-06-01",
                "valid_until": "2025-05-31",
            },
            {("valid_until", "before_valid_from")},
        ),
        ({"type": "no_such_card", "number": "TC1"}, {("type", "does_not_exist")}),
        ({"type": "transit_card"}, {("number", "required")}),
        (
            {"number": "TC1", "issued_on": "yesterday"},
            {("type", "required"), ("issued_on", "invalid")},
        ),
    ],
)
def test_bad_input_is_a_problem_with_field_errors(citizen_api, transit_card, body, errors):
    # when
    response = citizen_api.post(CREDENTIALS, body, format="json")
    # then
    assert_problem(response, 400, "validation_error")
    assert error_fields(response) == errors
    assert Credential.objects.count() == 0


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("TC#12", id="symbol"),
        pytest.param("\u0422\u042112", id="Cyrillic look-alikes"),
        pytest.param("X" * 41, id="too long"),
        pytest.param(" - ", id="only separators"),
    ],
)
def test_malformed_number_is_refused_with_a_field_error(citizen_api, transit_card, number):
    response = citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": number})
    assert_problem(response, 400, "invalid_credential_number")
    assert error_fields(response) == {("number", "invalid")}
    assert Credential.objects.count() == 0


def test_a_type_no_agency_issues_cannot_be_added(citizen_api):
    CredentialTypeFactory.create(code="orphan_card", issuer=None)
    response = citizen_api.post(CREDENTIALS, {"type": "orphan_card", "number": "OC1"})
    assert_problem(response, 400, "credential_type_without_issuer")
    assert error_fields(response) == {("type", "without_issuer")}
    assert Credential.objects.count() == 0


def test_a_number_someone_else_holds_is_a_409(citizen_api, transit_card):
    # given
    CredentialFactory.create(type=transit_card, number="TC42")
    # when: the same number, written differently
    response = citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": "tc 42"})
    # then
    assert_problem(response, 409, "credential_number_taken")
    assert Credential.objects.count() == 1


def test_the_same_number_on_another_type_or_a_revoked_card_is_free(
    citizen_api, transit_card, library_card
):
    CredentialFactory.create(type=library_card, number="TC42")
    CredentialFactory.create(type=transit_card, number="TC42", status=Credential.Status.REVOKED)
    response = citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": "TC42"})
    assert response.status_code == 201


def test_losing_the_race_for_a_number_at_the_database_is_a_409(
    citizen_api, transit_card, monkeypatch
):
    # given: another request inserts the same number after our check and before our insert
    original = credential_actions._number_holder
    checks = []

    def racing_check(credential):
        checks.append(credential)
        if len(checks) == 1:
            CredentialFactory.create(type=transit_card, number="TC42")
            return None
        return original(credential)

    monkeypatch.setattr(credential_actions, "_number_holder", racing_check)
    # when
    response = citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": "TC42"})
    # then
    assert_problem(response, 409, "credential_number_taken")
    assert len(checks) == 2  # the pre-check passed; the constraint caught it, then re-checked
    # (the simulated rival ran inside our request's transaction, so it rolled back with it)
    assert Credential.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_citizens_adding_one_number_at_once_leave_one_card():
    # given
    card_type = CredentialTypeFactory.create(code="transit_card", issuer=AgencyFactory.create())
    users = [PersonFactory.create().user for _ in range(10)]
    start = threading.Barrier(len(users))

    def send(user):
        client = APIClient()
        client.force_authenticate(user)
        start.wait()
        try:
            return client.post(CREDENTIALS, {"type": card_type.code, "number": "TC42"})
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        responses = list(pool.map(send, users))
    # then: one wins, the others get the problem, nobody a server error
    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "credential_number_taken"
    }
    assert Credential.objects.count() == 1


def test_adding_with_an_idempotency_key_replays(citizen_api, transit_card):
    key = str(uuid.uuid4())
    first = citizen_api.post(
        CREDENTIALS, {"type": "transit_card", "number": "TC9"}, HTTP_IDEMPOTENCY_KEY=key
    )
    again = citizen_api.post(
        CREDENTIALS, {"type": "transit_card", "number": "TC9"}, HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Credential.objects.count() == 1


# Reading the wallet ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_list_costs_the_same_queries_however_many_cards(
    citizen_api, person, count, django_assert_num_queries
):
    # given
    for _ in range(count):
        CredentialFactory.create(holder=person, type=CredentialTypeFactory.create())
    # when: one page of cards with types and issuers (the person comes with the account)
    with django_assert_num_queries(1):
        response = citizen_api.get(CREDENTIALS)
    # then
    assert response.status_code == 200
    assert len(response.json()["results"]) == count


def test_list_is_newest_first_and_cursor_paginated(citizen_api, person, transit_card):
    cards = [CredentialFactory.create(holder=person, type=transit_card) for _ in range(3)]
    first = citizen_api.get(CREDENTIALS, {"page_size": 2}).json()
    second = citizen_api.get(first["next"]).json()
    assert [c["id"] for c in first["results"]] == [cards[2].pk, cards[1].pk]
    assert [c["id"] for c in second["results"]] == [cards[0].pk]
    assert second["next"] is None


def test_no_response_carries_the_plaintext_number(citizen_api, integrator, credential):
    responses = [
        citizen_api.get(CREDENTIALS),
        citizen_api.get(f"{CREDENTIALS}/{credential.pk}"),
        integrator(WRITE).get(f"{CREDENTIALS}/{credential.pk}"),
        integrator(WRITE).post(f"{CREDENTIALS}/{credential.pk}/suspend"),
    ]
    for response in responses:
        assert response.status_code == 200
        assert "0000123456" not in response.content.decode()
        assert "******3456" in response.content.decode()


def test_an_issuer_reading_a_card_shows_in_the_holders_access_log(
    integrator, person, agency, credential
):
    # given
    client = integrator(WRITE)
    # when
    client.get(f"{CREDENTIALS}/{credential.pk}")
    # then
    (entry,) = AccessLogEntry.objects.all()
    assert entry.person == person
    assert entry.channel == AccessLogEntry.Channel.INTEGRATOR
    assert entry.client == client.api_client
    assert entry.agency == agency
    assert entry.what == "credential transit_card ********3456"
    assert entry.purpose == "reading a credential"


# Issuing -----------------------------------------------------------------------------------


def issue(client, holder, number="TC-2024-0001", **extra):
    body = {
        "holder": {"national_id_scheme": "th_citizen", "national_id": holder.national_id},
        "type": "transit_card",
        "number": number,
        "issued_on": "2025-01-01",
        "valid_from": "2025-01-01",
        "valid_until": "2099-12-31",
        **extra,
    }
    return client.post(f"{CREDENTIALS}/issue", body, format="json")


def test_issuer_puts_a_verified_card_in_the_holders_wallet(integrator, agency, transit_card):
    # given
    holder = VerifiedPersonFactory.create()
    client = integrator(WRITE)
    # when
    response = issue(client, holder)
    # then
    assert response.status_code == 201
    card = Credential.objects.get()
    assert (card.holder, card.issuer, card.origin, card.verification, card.status) == (
        holder,
        agency,
        "issuer",
        "verified",
        "active",
    )
    assert card.number == "TC20240001"
    assert response.json()["number_masked"] == "******0001"
    assert response["Location"] == f"{CREDENTIALS}/{card.pk}"
    assert "20240001" not in response.content.decode()
    assert holder.national_id not in response.content.decode()
    (entry,) = AccessLogEntry.objects.all()
    assert (entry.person, entry.channel, entry.client, entry.purpose) == (
        holder,
        "integrator",
        client.api_client,
        "issuing a credential",
    )


def test_issuing_to_an_unknown_national_id_is_a_404(integrator, transit_card):
    response = issue(integrator(WRITE), VerifiedPersonFactory.build(national_id=make_th_id()))
    assert_problem(response, 404, "holder_not_found")
    assert Credential.objects.count() == 0


def test_issuing_with_a_malformed_national_id_names_the_field(integrator, transit_card):
    holder = VerifiedPersonFactory.build(national_id="1234567890123")  # wrong check digit
    response = issue(integrator(WRITE), holder)
    assert_problem(response, 400, "validation_error")
    assert error_fields(response) == {("holder.national_id", "check_character")}


def test_issuing_the_card_the_holder_already_added_confirms_it(integrator, transit_card):
    # given
    holder = VerifiedPersonFactory.create()
    added = CredentialFactory.create(
        holder=holder,
        type=transit_card,
        number="TC20240001",
        origin=Credential.Origin.HOLDER,
        verification=Credential.Verification.UNVERIFIED,
    )
    # when
    response = issue(integrator(WRITE), holder, number="tc 2024 0001")
    # then
    assert response.status_code == 200
    assert response.json()["id"] == added.pk
    added.refresh_from_db()
    assert (added.verification, added.valid_until) == ("verified", datetime.date(2099, 12, 31))
    assert Credential.objects.count() == 1


def test_issuing_a_number_another_person_holds_is_a_409(integrator, transit_card):
    CredentialFactory.create(type=transit_card, number="TC20240001")
    response = issue(integrator(WRITE), VerifiedPersonFactory.create())
    assert_problem(response, 409, "credential_number_taken")
    assert Credential.objects.count() == 1


def test_issuing_with_dates_the_wrong_way_round_names_the_field(integrator, transit_card):
    response = issue(integrator(WRITE), VerifiedPersonFactory.create(), valid_until="2024-12-31")
    assert_problem(response, 400, "validation_error")
    assert error_fields(response) == {("valid_until", "before_valid_from")}


# Changing, revoking, confirming ------------------------------------------------------------


def test_renewing_an_expired_card_makes_it_active(integrator, person, transit_card):
    card = CredentialFactory.create(
        holder=person,
        type=transit_card,
        valid_from=datetime.date(2023, 1, 1),
        valid_until=datetime.date(2024, 1, 1),
        status="expired",
    )
    response = integrator(WRITE).patch(
        f"{CREDENTIALS}/{card.pk}", {"valid_until": "2099-01-01"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "active"


def test_changing_the_end_before_the_stored_start_is_refused(integrator, credential):
    # given: the card is valid from 2025-01-01
    before = snapshot(credential)
    # when
    response = integrator(WRITE).patch(
        f"{CREDENTIALS}/{credential.pk}", {"valid_until": "2024-06-30"}, format="json"
    )
    # then
    assert_problem(response, 400, "invalid_validity_period")
    assert error_fields(response) == {("valid_until", "before_valid_from")}
    assert snapshot(credential) == before


def test_an_empty_change_is_refused(integrator, credential):
    response = integrator(WRITE).patch(f"{CREDENTIALS}/{credential.pk}", {}, format="json")
    assert_problem(response, 400, "validation_error")


def test_changing_the_number_to_one_taken_is_a_409(integrator, credential, transit_card):
    CredentialFactory.create(type=transit_card, number="TC77")
    before = snapshot(credential)
    response = integrator(WRITE).patch(
        f"{CREDENTIALS}/{credential.pk}", {"number": "TC77"}, format="json"
    )
    assert_problem(response, 409, "credential_number_taken")
    assert snapshot(credential) == before


def test_changing_the_number_re_masks_it(integrator, credential):
    response = integrator(WRITE).patch(
        f"{CREDENTIALS}/{credential.pk}", {"number": "TC-99-8877"}, format="json"
    )
    assert response.json()["number_masked"] == "****8877"
    credential.refresh_from_db()
    assert credential.number_index == credential_actions.credential_number_index("TC998877")


def test_a_revoked_card_cannot_change(integrator, credential):
    integrator(WRITE).post(f"{CREDENTIALS}/{credential.pk}/revoke")
    before = snapshot(credential)
    response = integrator(WRITE).patch(
        f"{CREDENTIALS}/{credential.pk}", {"valid_until": "2031-01-01"}, format="json"
    )
    assert_problem(response, 409, "credential_revoked")
    assert snapshot(credential) == before


def test_revoking_twice_changes_nothing_and_frees_the_number(integrator, citizen_api, credential):
    client = integrator(WRITE)
    first = client.post(f"{CREDENTIALS}/{credential.pk}/revoke")
    again = client.post(f"{CREDENTIALS}/{credential.pk}/revoke")
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "revoked"
    readded = citizen_api.post(CREDENTIALS, {"type": "transit_card", "number": "TC0000123456"})
    assert readded.status_code == 201


def test_only_a_card_the_holder_added_can_be_rejected(integrator, credential):
    before = snapshot(credential)
    response = integrator(WRITE).post(f"{CREDENTIALS}/{credential.pk}/reject")
    assert_problem(response, 409, "credential_not_pending")
    assert snapshot(credential) == before


def test_a_revoked_card_cannot_be_confirmed(integrator, holder_added):
    client = integrator(WRITE)
    client.post(f"{CREDENTIALS}/{holder_added.pk}/revoke")
    response = client.post(f"{CREDENTIALS}/{holder_added.pk}/confirm")
    assert_problem(response, 409, "credential_revoked")


def test_an_expired_card_cannot_be_suspended_nor_an_active_one_reinstated(
    integrator, person, transit_card
):
    expired = CredentialFactory.create(holder=person, type=transit_card, status="expired")
    active = CredentialFactory.create(holder=person, type=transit_card)
    client = integrator(WRITE)
    refused = client.post(f"{CREDENTIALS}/{expired.pk}/suspend")
    assert_problem(refused, 409, "credential_not_active")
    assert refused.json()["credential_status"] == "expired"
    assert_problem(
        client.post(f"{CREDENTIALS}/{expired.pk}/reinstate"), 409, "credential_not_suspended"
    )
    assert client.post(f"{CREDENTIALS}/{active.pk}/reinstate").json()["status"] == "active"


def test_the_holder_cannot_remove_a_card_its_issuer_confirmed(citizen_api, credential):
    response = citizen_api.delete(f"{CREDENTIALS}/{credential.pk}")
    assert_problem(response, 409, "credential_not_removable")
    assert Credential.objects.filter(pk=credential.pk).exists()


# Admin -------------------------------------------------------------------------------------


def admin_request(user, method="get", path="/admin/identity/credential/", data=None):
    request = getattr(RequestFactory(), method)(path, data or {})
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.fixture
def credential_admin():
    return CredentialAdmin(Credential, admin.site)


@pytest.fixture
def admin_officer(agency):
    user = MembershipFactory.create(agency=agency).user
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="identity",
            codename__in=["view_credential", "change_credential"],
        )
    )
    return type(user).objects.get(pk=user.pk)  # drop the permission cache


def test_officers_see_only_the_cards_their_agencies_issue(
    credential_admin, admin_officer, credential, library_card
):
    # given
    CredentialFactory.create(type=library_card)
    superuser = StaffFactory.create(is_superuser=True)
    # when
    seen_by_officer = credential_admin.get_queryset(admin_request(admin_officer))
    seen_by_superuser = credential_admin.get_queryset(admin_request(superuser))
    # then
    assert list(seen_by_officer) == [credential]
    assert seen_by_superuser.count() == 2


def test_opening_a_card_in_admin_shows_in_the_holders_log_and_shows_no_number(
    credential_admin, admin_officer, person, agency, credential
):
    # when
    response = credential_admin.change_view(admin_request(admin_officer), str(credential.pk))
    response.render()
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "********3456" in html
    assert "0000123456" not in html
    (entry,) = AccessLogEntry.objects.all()
    assert (entry.person, entry.channel, entry.actor, entry.agency) == (
        person,
        "admin",
        admin_officer,
        agency,
    )
    assert entry.purpose == "viewing a credential in admin"


def test_another_agencys_card_cannot_be_opened_nor_logged(
    credential_admin, admin_officer, library_card
):
    other = CredentialFactory.create(type=library_card)
    response = credential_admin.change_view(admin_request(admin_officer), str(other.pk))
    assert response.status_code == 302
    assert AccessLogEntry.objects.count() == 0


def test_admin_actions_confirm_and_revoke_through_the_actions(
    credential_admin, admin_officer, holder_added, credential
):
    # when
    credential_admin.confirm_selected(
        admin_request(admin_officer, "post"), Credential.objects.filter(pk=holder_added.pk)
    )
    credential_admin.revoke_selected(
        admin_request(admin_officer, "post"), Credential.objects.filter(pk=credential.pk)
    )
    # then
    holder_added.refresh_from_db()
    credential.refresh_from_db()
    assert holder_added.verification == "verified"
    assert credential.status == "revoked"
    assert set(AccessLogEntry.objects.values_list("channel", "actor", "purpose")) == {
        ("admin", admin_officer.pk, "confirming a credential"),
        ("admin", admin_officer.pk, "revoking a credential"),
    }


def test_the_admin_form_changes_nothing(credential_admin, admin_officer, credential):
    request = admin_request(admin_officer)
    assert credential_admin.has_change_permission(request) is True  # for the list's actions
    assert credential_admin.has_change_permission(request, credential) is False
    assert credential_admin.has_add_permission(request) is False
    assert credential_admin.has_delete_permission(request, credential) is False


def test_a_person_factory_without_national_id_is_not_found_by_issuers(integrator, transit_card):
    # a citizen who never verified has no national ID on record, so issuers cannot reach them
    PersonFactory.create()
    response = issue(integrator(WRITE), VerifiedPersonFactory.build(national_id=make_th_id()))
    assert_problem(response, 404, "holder_not_found")

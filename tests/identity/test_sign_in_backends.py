"""The sign-in backends read the account with its person record (identity/backends.py), so a
citizen's request finds its person without a query of its own."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from identity.backends import AuthenticationBackend, ModelBackend
from identity.queries import person_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def session_token_for(user) -> str:
    browser = Client()
    browser.force_login(user)  # through the first backend, as a sign-in
    return str(browser.session.session_key)


def test_a_citizen_request_reads_the_account_and_its_person_in_one_statement(person):
    app = APIClient()
    app.credentials(HTTP_X_SESSION_TOKEN=session_token_for(person.user))
    with CaptureQueriesContext(connection) as queries:
        response = app.get("/api/v1/inbox")
    assert response.status_code == 200
    reading_person = [q["sql"] for q in queries if '"identity_person"' in q["sql"]]
    assert len(reading_person) == 1
    assert 'FROM "identity_user"' in reading_person[0]


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_the_person_read_with_the_account_is_the_accounts(backend, person):
    user = backend().get_user(person.user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert person_of(user) == person
    assert len(queries) == 0


def test_a_closed_person_is_nobody_to_act_for(person):
    person.closed_at = timezone.now()
    person.save(update_fields=["closed_at"])
    user = ModelBackend().get_user(person.user.pk)
    assert person_of(user) is None


def test_an_account_without_a_person_has_none_and_asks_no_more(db):
    staff = UserFactory.create(is_staff=True)
    user = ModelBackend().get_user(staff.pk)
    with CaptureQueriesContext(connection) as queries:
        assert person_of(user) is None
    assert len(queries) == 0


def test_an_inactive_account_is_not_signed_in(person):
    person.user.is_active = False
    person.user.save(update_fields=["is_active"])
    assert ModelBackend().get_user(person.user.pk) is None
    assert ModelBackend().get_user(10**9) is None


def test_the_account_and_person_are_read_as_the_orm_reads_them(person):
    # given a person with an encrypted number, a JSON column, a date and time stamps
    person.national_id = "1101700203451"
    person.attribute_sources = {"legal_name_local": "registry"}
    person.save()
    expected_user = type(person.user).objects.select_related("person").get(pk=person.user.pk)
    # when
    user = ModelBackend().get_user(str(person.user.pk))  # as the session stores it
    # then every column has the value and the type the ORM gives
    assert user is not None
    for field in type(user)._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(expected_user, field.attname), field.name
    for field in type(person)._meta.concrete_fields:
        value, orm_value = (
            getattr(user.person, field.attname),
            getattr(expected_user.person, field.attname),
        )
        assert (value, type(value)) == (orm_value, type(orm_value)), field.name
    assert user.person.national_id == "1101700203451"
    assert user.person.user is user
    assert user.person._state.adding is False
    assert user.person._state.db == "default"


def test_a_malformed_account_id_is_nobody(db):
    assert ModelBackend().get_user("not-a-number") is None

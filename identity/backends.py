"""Sign-in backends: Django's and allauth's, unchanged but for one thing: the account is read
with its person record, in the one query every signed-in request makes, so that
`identity.queries.person_of` (asked by nearly every citizen endpoint) needs no second.

That query runs on every signed-in request, and building it through the ORM (compiling a
two-table SELECT of some thirty columns) cost five times what running it did: about 1 ms of a
citizen request's CPU. So its SQL is written once per process from the two models' metadata,
and the rows become model instances with Django's own converters and `Model.from_db`, exactly
as `select_related("person")` would give them (tests/identity/test_sign_in_backends.py)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import backends
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from identity.models import Person, User

Converters = list[tuple[int, list[Any]]]


@dataclass(frozen=True)
class _AccountQuery:
    """The SELECT of an account by primary key with its person (LEFT JOIN: staff may have
    none), and how each column becomes a Python value on this connection."""

    sql: str
    user_converters: Converters
    person_converters: Converters


_USER_FIELDS: list[Field[Any, Any]] = list(User._meta.concrete_fields)
_PERSON_FIELDS: list[Field[Any, Any]] = list(Person._meta.concrete_fields)
_USER_NAMES = [field.attname for field in _USER_FIELDS]
_PERSON_NAMES = [field.attname for field in _PERSON_FIELDS]
# One plan per connection object (a connection belongs to one thread), dropped with it.
_plans: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _AccountQuery] = weakref.WeakKeyDictionary()


def _converters(fields: list[Field[Any, Any]], alias: str, connection: Any) -> Converters:
    """What SQLCompiler.get_converters would apply to these columns: the backend's, then the
    field's own (an encrypted number is decrypted here, as in any query)."""
    found = []
    for index, field in enumerate(fields):
        column = field.get_col(alias)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((index, converters))
    return found


def _plan(connection: Any) -> _AccountQuery:
    plan = _plans.get(connection)
    if plan is None:
        quote = connection.ops.quote_name
        columns = [f"u.{quote(field.column)}" for field in _USER_FIELDS] + [
            f"p.{quote(field.column)}" for field in _PERSON_FIELDS
        ]
        user_pk = quote(User._meta.pk.column)
        # Names from the models' metadata, quoted by the backend; the id is a parameter.
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(User._meta.db_table)} u "  # noqa: S608
            f"LEFT JOIN {quote(Person._meta.db_table)} p "
            f"ON p.{quote(Person._meta.get_field('user').column)} = u.{user_pk} "
            f"WHERE u.{user_pk} = %s"
        )
        plan = _AccountQuery(
            sql=sql,
            user_converters=_converters(_USER_FIELDS, "u", connection),
            person_converters=_converters(_PERSON_FIELDS, "p", connection),
        )
        _plans[connection] = plan
    return plan


def _converted(values: list[Any], converters: Converters, connection: Any) -> list[Any]:
    for index, functions in converters:
        value = values[index]
        for convert in functions:
            value = convert(value, None, connection)
        values[index] = value
    return values


def account_with_person(user_id: Any) -> User | None:
    """The account with this primary key, its person read with it (`user.person`, or None
    cached as "has none"); None when there is no such account."""
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    database = User.objects.db
    connection = connections[database]
    plan = _plan(connection)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_USER_FIELDS)
    user = User.from_db(
        database, _USER_NAMES, _converted(list(row[:split]), plan.user_converters, connection)
    )
    person = None
    if row[split] is not None:  # the person's primary key: NULL when the join found none
        person = Person.from_db(
            database,
            _PERSON_NAMES,
            _converted(list(row[split:]), plan.person_converters, connection),
        )
        person._state.fields_cache["user"] = user
    user._state.fields_cache[User.person.related.cache_name] = person
    return user


class _ReadsPersonWithAccount:
    def get_user(self, user_id: Any) -> Any:
        user = account_with_person(user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_ReadsPersonWithAccount, backends.ModelBackend):
    """Django's username-and-password backend (the admin's sign-in)."""


class AuthenticationBackend(_ReadsPersonWithAccount, AllauthBackend):
    """allauth's backend (email, phone and code sign-in of the API)."""

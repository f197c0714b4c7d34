"""Key rotation: values re-encrypted under the newest key; the old key can then be dropped."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from identity import crypto
from identity.models import Person
from tests.factories import CredentialFactory, VerifiedPersonFactory

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_rotation_moves_every_value_to_the_new_key(settings):
    # given values written under the old key
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    person = VerifiedPersonFactory.create()
    card = CredentialFactory.create()
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    # when
    call_command("rotate_field_keys")
    # then the new key alone reads everything
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Person.objects.get(pk=person.pk).national_id == person.national_id
    assert Fernet(new_key.encode()).decrypt(
        raw("identity_person", "national_id", person.pk).encode()
    )
    assert crypto.decrypt(raw("identity_credential", "number", card.pk)) == card.number


def test_reindex_rebuilds_blind_indexes(settings):
    person = VerifiedPersonFactory.create()
    settings.BLIND_INDEX_KEY = "a-brand-new-index-key"
    call_command("rotate_field_keys", "--reindex")
    person.refresh_from_db()
    assert person.national_id_index == crypto.blind_index(person.national_id, purpose="national_id")

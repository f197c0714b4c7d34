"""Encryption of sensitive numbers at rest, and keyed blind indexes to find them.

- Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under
  FIELD_ENCRYPTION_KEYS, newest first: the first key encrypts, every key decrypts, so keys rotate
  by prepending a new one and re-saving rows (`manage.py rotate_field_keys`).
- A blind index is an HMAC-SHA256 of the normalised value under BLIND_INDEX_KEY, with a purpose
  prefix so that the same number in two columns gives unrelated digests. It supports equality
  lookups and unique constraints without storing the number in the clear.
"""

import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from error


def rotate(token: str) -> str:
    """Re-encrypt under the newest key."""
    return fernet().rotate(token.encode()).decode()


def blind_index(value: str, *, purpose: str) -> str:
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column that holds only Fernet ciphertext; Python sees the plaintext."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value in (None, "") else decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value in (None, "") else encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        # Ciphertext is randomised: only isnull makes sense; search through the blind index.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

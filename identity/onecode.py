"""The one code: a short-lived signed token a holder shows as a QR code, and a verifier scans.

Two kinds share one format and one salt, told apart inside the signed payload:

- `person`: "this is me" — valid ONE_CODE_TTL seconds; the verifier learns the holder's level of
  assurance, their name only if it may, and the status of the credential types it may see.
- `credential`: the holder shares one card for up to MAX_SHARE_TTL seconds.

The token is `django.core.signing` output (HMAC-SHA256 under SECRET_KEY with a dedicated salt),
so it cannot be altered or forged, and carries nothing secret: an opaque subject (the person's
pseudonym or the credential's id), a random nonce that makes every token unique, and its expiry.
Nothing is stored: a token may be verified again within its lifetime (a gate re-scanning a
phone); each verification is written to the holder's access log by the caller.
"""

import datetime
import io
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import segno
from django.core import signing
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError

SALT = "cityportal.identity.one-code"
ONE_CODE_TTL = 60
MAX_SHARE_TTL = 600
# Real tokens are ~140 characters; refuse anything far longer before checking its signature.
MAX_TOKEN_LENGTH = 512

Kind = Literal["person", "credential"]
_KIND_TAGS: dict[str, Kind] = {"p": "person", "c": "credential"}


class OneCodeExpired(DomainError):
    status = 410
    code = "one_code_expired"
    title = _("This code has expired.")


class OneCodeInvalid(DomainError):
    status = 400
    code = "one_code_invalid"
    title = _("This code is not valid.")


@dataclass(frozen=True)
class SignedCode:
    token: str
    expires_at: datetime.datetime
    ttl_seconds: int


@dataclass(frozen=True)
class CodeClaims:
    kind: Kind
    subject: str
    expires_at: datetime.datetime


def _as_datetime(epoch: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)


def _sign(tag: str, subject: str, ttl: int) -> SignedCode:
    expires = int(time.time()) + ttl
    payload = {"k": tag, "s": subject, "n": secrets.token_urlsafe(6), "x": expires}
    token = signing.dumps(payload, salt=SALT, compress=True)
    return SignedCode(token=token, expires_at=_as_datetime(expires), ttl_seconds=ttl)


def sign_person_code(pseudonym: str) -> SignedCode:
    return _sign("p", pseudonym, ONE_CODE_TTL)


def sign_credential_code(credential_id: int, ttl: int) -> SignedCode:
    if not 1 <= ttl <= MAX_SHARE_TTL:
        raise ValueError(f"A share lasts 1 to {MAX_SHARE_TTL} seconds.")
    return _sign("c", str(credential_id), ttl)


def read_code(token: str) -> CodeClaims:
    """The claims of a genuine, unexpired token; OneCodeInvalid or OneCodeExpired otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise OneCodeInvalid()
    try:
        # max_age bounds every kind by the longest lifetime; the payload's own expiry is exact.
        payload = signing.loads(token.strip(), salt=SALT, max_age=MAX_SHARE_TTL)
    except signing.SignatureExpired:
        raise OneCodeExpired() from None
    except signing.BadSignature:
        raise OneCodeInvalid() from None
    if not isinstance(payload, dict):
        raise OneCodeInvalid()
    kind = _KIND_TAGS.get(payload.get("k", ""))
    subject, expires = payload.get("s"), payload.get("x")
    if kind is None or not isinstance(subject, str) or not isinstance(expires, int):
        raise OneCodeInvalid()
    if time.time() > expires:
        raise OneCodeExpired()
    return CodeClaims(kind=kind, subject=subject, expires_at=_as_datetime(expires))


def qr_svg(token: str) -> str:
    """A standalone SVG document of the token's QR code."""
    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False
    )
    return buffer.getvalue().decode()


def qr_png_data_uri(token: str) -> str:
    """The same QR code as a PNG in a `data:image/png;base64,…` URI."""
    return str(segno.make(token, error="m", micro=False).png_data_uri(scale=4, border=2))

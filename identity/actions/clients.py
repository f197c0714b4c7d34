"""Integrator credentials: create, rotate, revoke, authenticate."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from identity.models import Agency, ApiClient

# last_used_at is written at most this often per client, to keep authentication read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedSecret:
    client: ApiClient
    token: str  # "<client_id>.<secret>": shown once, never stored


def _hash(secret: str) -> str:
    # The secret is 256 random bits: a fast hash is as strong as a slow one here, and keeps
    # every API request from spending 100 ms in PBKDF2.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_client(
    *,
    agency: Agency,
    name: str,
    scopes: list[str],
    reveals_name: bool = False,
    client_id: str | None = None,
    secret: str | None = None,
) -> IssuedSecret:
    """Register an integrator for an agency; returns the only copy of its secret. (`client_id`
    and `secret` are chosen by the caller only for the printed demo integrator.)"""
    secret = secret or secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        agency=agency,
        name=name,
        client_id=client_id or f"cp_{secrets.token_hex(8)}",
        secret_hash=_hash(secret),
        scopes=sorted(set(scopes)),
        reveals_name=reveals_name,
    )
    return IssuedSecret(client=client, token=f"{client.client_id}.{secret}")


@transaction.atomic
def rotate_api_client_secret(*, client: ApiClient) -> IssuedSecret:
    """Replace the secret; the old one stops working at once."""
    secret = secrets.token_urlsafe(32)
    ApiClient.objects.filter(pk=client.pk).update(
        secret_hash=_hash(secret), rotated_at=timezone.now()
    )
    client.refresh_from_db()
    return IssuedSecret(client=client, token=f"{client.client_id}.{secret}")


def revoke_api_client(*, client: ApiClient) -> None:
    """Stop a client for good."""
    ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), is_active=False
    )


def authenticate_client(*, token: str) -> ApiClient | None:
    client_id, _, secret = token.partition(".")
    if not client_id or not secret:
        return None
    client = (
        ApiClient.objects.select_related("agency")
        .filter(client_id=client_id, is_active=True, revoked_at__isnull=True)
        .first()
    )
    if client is None or not hmac.compare_digest(client.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client

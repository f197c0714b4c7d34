"""Integrator credentials: hashed at rest, scoped, rotated and revoked."""

import pytest
from django.db import connection

from identity.actions.clients import (
    authenticate_client,
    create_api_client,
    revoke_api_client,
    rotate_api_client_secret,
)
from identity.models import ApiClient

pytestmark = pytest.mark.django_db

ME = "/api/v1/identity/me"


def test_secret_is_stored_only_as_a_hash(agency):
    issued = create_api_client(agency=agency, name="Gate", scopes=["one-code:verify"])
    secret = issued.token.split(".", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_hash FROM identity_apiclient WHERE id = %s", [issued.client.pk]
        )
        (stored,) = cursor.fetchone()
    assert secret not in stored
    assert authenticate_client(token=issued.token) == issued.client


def test_authentication_records_last_use(agency):
    issued = create_api_client(agency=agency, name="Gate", scopes=[])
    assert issued.client.last_used_at is None
    authenticate_client(token=issued.token)
    issued.client.refresh_from_db()
    assert issued.client.last_used_at is not None


@pytest.mark.parametrize(
    "token",
    ["", "no-dot", "cp_unknown.secret", "{client_id}.wrong-secret", "{client_id}."],
)
def test_wrong_credentials_are_a_401(api, agency, token):
    issued = create_api_client(agency=agency, name="Gate", scopes=["persons:read"])
    api.credentials(HTTP_AUTHORIZATION="Bearer " + token.format(client_id=issued.client.client_id))
    response = api.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'X-Session-Token realm="api"'


def test_rotation_replaces_the_secret(agency):
    issued = create_api_client(agency=agency, name="Gate", scopes=[])
    rotated = rotate_api_client_secret(client=issued.client)
    assert authenticate_client(token=issued.token) is None
    assert authenticate_client(token=rotated.token) == issued.client
    assert ApiClient.objects.get().rotated_at is not None


def test_revoked_client_is_refused(agency):
    issued = create_api_client(agency=agency, name="Gate", scopes=["one-code:verify"])
    revoke_api_client(client=issued.client)
    assert authenticate_client(token=issued.token) is None
    issued.client.refresh_from_db()
    assert issued.client.has_scope("one-code:verify") is False


def test_idempotency_keys_of_integrators_are_their_own(integrator):
    from cityportal.api.idempotency import caller_scope

    class FakeRequest:
        auth = integrator("one-code:verify").api_client
        user = None

    assert caller_scope(FakeRequest()) == f"client:{FakeRequest.auth.client_id}"  # type: ignore[arg-type]

"""The Idempotency-Key convention (cityportal/api/idempotency.py, cityportal/idempotency.py)."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from cityportal.idempotency import purge_expired_idempotency_keys
from cityportal.models import IdempotencyKey
from tests.conventions.models import Gadget
from tests.factories import UserFactory

GADGETS = "/api/v1/conventions/gadgets"


def post(client, body, key, path=GADGETS):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
class TestReplay:
    def test_same_key_and_body_replays_the_first_answer(self, citizen_api):
        # given
        key = str(uuid.uuid4())
        first = post(citizen_api, {"name": "lamp", "size": 3}, key)
        # when
        again = post(citizen_api, {"size": 3, "name": "lamp"}, key)  # same body, other order
        # then
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again["Location"] == first["Location"]
        assert again["Idempotent-Replayed"] == "true"
        assert not first.has_header("Idempotent-Replayed")
        assert Gadget.objects.count() == 1

    def test_same_key_with_another_body_is_a_409(self, citizen_api):
        key = str(uuid.uuid4())
        post(citizen_api, {"name": "lamp", "size": 3}, key)
        # when
        response = post(citizen_api, {"name": "lamp", "size": 4}, key)
        # then
        assert response.status_code == 409
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "idempotency_key_reused"
        assert Gadget.objects.count() == 1

    def test_same_key_on_another_endpoint_is_a_409(self, citizen_api):
        key = str(uuid.uuid4())
        post(citizen_api, {"name": "lamp", "size": 3}, key)
        response = post(citizen_api, {"name": "lamp", "size": 3}, key, GADGETS + "/strict")
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_reused"

    @pytest.mark.parametrize(
        "key", ["short", "has space in it", "x" * 256, "ключ-12345678", "semi;colon1"]
    )
    def test_malformed_key_is_a_422(self, citizen_api, key):
        response = citizen_api.post(
            GADGETS, {"name": "lamp", "size": 3}, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_malformed"
        assert Gadget.objects.count() == 0
        assert IdempotencyKey.objects.count() == 0

    def test_endpoint_that_requires_a_key_refuses_a_request_without_one(self, citizen_api):
        response = citizen_api.post(GADGETS + "/strict", {}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"
        assert Gadget.objects.count() == 0

    def test_optional_key_may_be_left_out(self, citizen_api):
        response = citizen_api.post(GADGETS, {"name": "lamp", "size": 3}, format="json")
        assert response.status_code == 201
        assert IdempotencyKey.objects.count() == 0

    def test_keys_belong_to_their_caller(self, citizen_api):
        # given one citizen used a key
        key = str(uuid.uuid4())
        post(citizen_api, {"name": "lamp", "size": 3}, key)
        other = APIClient()
        other.force_authenticate(UserFactory.create())
        # when another citizen sends the same key and body
        response = post(other, {"name": "lamp", "size": 3}, key)
        # then it is a new request of theirs, not a replay of someone else's answer
        assert response.status_code == 201
        assert not response.has_header("Idempotent-Replayed")
        assert Gadget.objects.count() == 2

    def test_refused_request_frees_its_key_for_a_corrected_retry(self, citizen_api):
        key = str(uuid.uuid4())
        refused = post(citizen_api, {"name": "lamp"}, key)
        assert refused.status_code == 400
        # when the client corrects the body and retries with the same key
        retried = post(citizen_api, {"name": "lamp", "size": 3}, key)
        # then
        assert retried.status_code == 201
        assert Gadget.objects.count() == 1

    def test_domain_refusal_is_not_stored_and_rolls_back(self, citizen_api):
        key = str(uuid.uuid4())
        response = post(citizen_api, {"name": "lamp", "size": 99}, key)
        assert response.status_code == 409
        assert response.json()["code"] == "gadget_too_big"
        assert IdempotencyKey.objects.count() == 0

    def test_key_older_than_a_day_may_be_used_afresh(self, citizen_api):
        key = str(uuid.uuid4())
        post(citizen_api, {"name": "lamp", "size": 3}, key)
        IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        # when
        response = post(citizen_api, {"name": "desk", "size": 5}, key)
        # then
        assert response.status_code == 201
        assert response.json()["name"] == "desk"
        assert Gadget.objects.count() == 2

    def test_answer_is_kept_for_24_hours_then_purged(self, citizen_api):
        before = timezone.now()
        post(citizen_api, {"name": "lamp", "size": 3}, str(uuid.uuid4()))
        record = IdempotencyKey.objects.get()
        assert timedelta(hours=24) <= record.expires_at - before < timedelta(hours=24, seconds=5)
        assert purge_expired_idempotency_keys(now=before + timedelta(hours=23)) == 0
        assert purge_expired_idempotency_keys(now=before + timedelta(hours=25)) == 1
        assert IdempotencyKey.objects.count() == 0

    def test_claim_left_by_a_dead_request_is_taken_over(self, citizen_api, settings):
        # given a claim whose request died long ago (its writes rolled back with it)
        key = str(uuid.uuid4())
        post(citizen_api, {"name": "lamp", "size": 3}, key)
        Gadget.objects.all().delete()
        IdempotencyKey.objects.update(
            status=IdempotencyKey.Status.IN_PROGRESS,
            response_status=None,
            response_body=None,
            locked_at=timezone.now() - settings.IDEMPOTENCY_LOCK_TIMEOUT - timedelta(seconds=1),
        )
        # when the client retries
        response = post(citizen_api, {"name": "lamp", "size": 3}, key)
        # then the request runs once more
        assert response.status_code == 201
        assert Gadget.objects.count() == 1

    def test_retry_while_the_first_request_runs_is_a_409_with_retry_after(self, citizen_api):
        key = str(uuid.uuid4())
        post(citizen_api, {"name": "lamp", "size": 3}, key)
        IdempotencyKey.objects.update(
            status=IdempotencyKey.Status.IN_PROGRESS, response_status=None, response_body=None
        )
        response = post(citizen_api, {"name": "lamp", "size": 3}, key)
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_request_in_progress"
        assert response["Retry-After"] == "1"
        assert Gadget.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_with_one_key_have_one_effect():
    # given one citizen and one key, sent 50 times at once
    user = UserFactory.create()
    key = str(uuid.uuid4())
    start = threading.Barrier(50)

    def send(_: int):
        client = APIClient()
        client.force_authenticate(user)
        start.wait()
        try:
            # the first request holds its key for 0.2 s, so the others overlap with it
            return post(client, {"name": "lamp", "size": 3}, key, GADGETS + "?delay=0.2")
        finally:
            connection.close()

    # when
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(send, range(50)))
    # then exactly one gadget exists, and nobody saw a server error
    assert Gadget.objects.count() == 1
    statuses = sorted({r.status_code for r in responses})
    assert set(statuses) <= {201, 409}
    created = [r for r in responses if r.status_code == 201]
    assert created
    assert all(r.json() == created[0].json() for r in created)
    conflicts = [r for r in responses if r.status_code == 409]
    assert all(r.json()["code"] == "idempotency_request_in_progress" for r in conflicts)
    # and a retry after the dust settles replays the one answer
    client = APIClient()
    client.force_authenticate(user)
    replay = post(client, {"name": "lamp", "size": 3}, key, GADGETS + "?delay=0.2")
    assert replay.status_code == 201
    assert replay.json() == created[0].json()
    assert replay["Idempotent-Replayed"] == "true"

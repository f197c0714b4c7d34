"""Data rights: POST /api/v1/identity/me/export builds a JSON copy of everything held on the
person in a task (GET /me/exports, /me/exports/{id}, /me/exports/{id}/download); POST
/api/v1/identity/me/close closes the account, anonymising the person but keeping the records
the law requires under the pseudonym."""

import datetime
import json
import logging
import time

import pytest
from allauth.account.models import EmailAddress
from celery.exceptions import Retry
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from identity.access import record_access
from identity.actions import privacy
from identity.models import (
    AccessLogEntry,
    AssuranceChange,
    Consent,
    DataExport,
    Mandate,
    Person,
)
from identity.privacy_tasks import (
    build_data_export_task,
    purge_expired_data_exports_task,
    requeue_stuck_data_exports_task,
)
from tests.factories import (
    CityFactory,
    CredentialFactory,
    CredentialTypeFactory,
    MandateFactory,
    PersonFactory,
    VerifiedPersonFactory,
)

EXPORT = "/api/v1/identity/me/export"
EXPORTS = "/api/v1/identity/me/exports"
CLOSE = "/api/v1/identity/me/close"
PASSWORD = "correct-horse-battery-staple"  # tests/factories.py UserFactory

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
    def make(name: str):
        if name == "integrator_with_scope":
            return integrator("persons:read")
        if name == "integrator_without_scope":
            return integrator()
        return request.getfixturevalue(CALLERS[name])

    return make


@pytest.fixture
def person(db):
    """The citizen under test, verified against the registry, with a national ID on record."""
    city = CityFactory.create(code="pathum-wan", name="Pathum Wan")
    return VerifiedPersonFactory.create(
        residence=city,
        contact_phone="+66812345678",
        attribute_sources={
            "legal_name_local": {"source": "registry", "at": "2025-03-01T10:00:00+00:00"},
            "national_id": {"source": "registry", "at": "2025-03-01T10:00:00+00:00"},
        },
    )


@pytest.fixture
def held(person, agency, officer):
    """Something of every kind held on the person."""
    card_type = CredentialTypeFactory.create(
        code="transit_card", name="Transit card", issuer=agency
    )
    card = CredentialFactory.create(holder=person, type=card_type, number="TC0000123456")
    consent = Consent.objects.create(
        person=person,
        agency=agency,
        attributes=["legal_name_latin"],
        purpose="Senior transit card",
        valid_until=timezone.now() + datetime.timedelta(days=30),
    )
    child = PersonFactory.create(user=None, legal_name_latin="Little One")
    held_mandate = MandateFactory.create(representative=person, for_person=child)
    given_mandate = MandateFactory.create(for_person=person)
    entry = record_access(
        person=person, channel="api", what="person record", purpose="Permit", actor=officer
    )
    change = AssuranceChange.objects.create(
        person=person, from_level="basic", to_level="substantial", method="registry_match"
    )
    return {
        "card": card,
        "consent": consent,
        "held_mandate": held_mandate,
        "given_mandate": given_mandate,
        "entry": entry,
        "change": change,
    }


def request_export(api_client, django_capture_on_commit_callbacks):
    """POST /me/export, running the task queued on commit (in-process, as tests have no
    worker)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(EXPORT)
    return response


def exports_snapshot():
    return list(DataExport.objects.order_by("pk").values("pk", "person_id", "status", "ready_at"))


class TestRequestExport:
    def test_the_export_is_built_in_a_task_and_offered_for_download(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks() as queued:
            response = citizen_api.post(EXPORT)
        # then: it is accepted, pending, with its task queued for after the commit
        assert response.status_code == 202
        export = DataExport.objects.get()
        assert response["Location"] == f"{EXPORTS}/{export.pk}"
        body = response.json()
        assert body["id"] == export.pk
        assert body["status"] == "pending"
        assert body["download_url"] is None
        assert export.person == person
        assert len(queued) == 1
        # when the task runs
        queued[0]()
        # then the export is ready, for seven days
        export.refresh_from_db()
        assert export.status == "ready"
        assert export.ready_at is not None
        assert export.expires_at == export.ready_at + datetime.timedelta(days=7)
        shown = citizen_api.get(f"{EXPORTS}/{export.pk}").json()
        assert shown["status"] == "ready"
        assert shown["download_url"] == f"{EXPORTS}/{export.pk}/download"

    def test_the_download_holds_everything_about_the_person(
        self, citizen_api, person, held, django_capture_on_commit_callbacks
    ):
        # given
        export_id = request_export(citizen_api, django_capture_on_commit_callbacks).json()["id"]
        # when
        response = citizen_api.get(f"{EXPORTS}/{export_id}/download")
        # then
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="cityportal-')
        assert response["Cache-Control"] == "no-store"
        document = json.loads(response.content)
        assert document["format_version"] == 1
        assert document["person"]["pseudonym"] == person.pseudonym
        assert document["person"]["legal_name_local"] == {
            "value": person.legal_name_local,
            "source": "registry",
            "at": "2025-03-01T10:00:00+00:00",
        }
        assert document["person"]["date_of_birth"]["value"] == "1990-05-17"
        assert document["person"]["residence"]["value"] == {
            "code": "pathum-wan",
            "name": "Pathum Wan",
        }
        assert document["person"]["contact_phone"] == {
            "value": "+66812345678",
            "source": "self",
            "at": None,
        }
        # the national ID masked, as in every API response
        assert document["person"]["national_id"] == {
            "scheme": "th_citizen",
            "value": person.national_id_masked,
            "source": "registry",
            "at": "2025-03-01T10:00:00+00:00",
        }
        assert document["account"]["email"] == person.user.email
        assert document["credentials"] == [
            {
                "type": {"code": "transit_card", "name": "Transit card"},
                "issuer": {"code": "transit", "name": "Transit Authority"},
                "number": "********3456",
                "status": "active",
                "origin": "issuer",
                "verification": "verified",
                "issued_on": None,
                "valid_from": "2025-01-01",
                "valid_until": "2030-12-31",
            }
        ]
        assert "TC0000123456" not in response.content.decode()
        assert [c["purpose"] for c in document["consents"]] == ["Senior transit card"]
        assert [(m["role"], m["represented"]) for m in document["mandates"]] == [
            ("representative", "Little One"),
            ("represented", str(person)),
        ]
        assert [(e["channel"], e["what"]) for e in document["access_log"]] == [
            ("api", "person record")
        ]
        assert [(c["from_level"], c["to_level"]) for c in document["assurance_changes"]] == [
            ("basic", "substantial")
        ]

    def test_the_national_id_is_never_stored_or_logged_in_plaintext(
        self, citizen_api, person, caplog, django_capture_on_commit_callbacks
    ):
        # when the export is built and downloaded, with every log line captured
        caplog.set_level(logging.DEBUG)
        export_id = request_export(citizen_api, django_capture_on_commit_callbacks).json()["id"]
        download = citizen_api.get(f"{EXPORTS}/{export_id}/download")
        # then neither the download, the stored row nor the logs hold it in full
        assert person.national_id not in download.content.decode()
        assert person.national_id_masked in download.content.decode()
        with connection.cursor() as cursor:
            cursor.execute("SELECT content FROM identity_dataexport WHERE id = %s", [export_id])
            (raw,) = cursor.fetchone()
        assert person.national_id not in str(raw)
        assert person.national_id not in caplog.text

    def test_asking_again_while_one_is_being_built_returns_that_one(self, citizen_api, person):
        first = citizen_api.post(EXPORT)  # its task never runs: no commit in this test
        again = citizen_api.post(EXPORT)
        assert first.status_code == again.status_code == 202
        assert again.json()["id"] == first.json()["id"]
        assert DataExport.objects.count() == 1

    def test_a_new_export_can_be_asked_for_once_one_is_ready(
        self, citizen_api, person, django_capture_on_commit_callbacks
    ):
        first = request_export(citizen_api, django_capture_on_commit_callbacks).json()
        second = request_export(citizen_api, django_capture_on_commit_callbacks).json()
        assert second["id"] != first["id"]
        listed = citizen_api.get(EXPORTS).json()["results"]
        assert [(e["id"], e["status"]) for e in listed] == [
            (second["id"], "ready"),
            (first["id"], "ready"),
        ]

    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("anonymous", 401),
            ("owner", 202),
            ("other_citizen", 202),  # an export of their own
            ("officer", 403),
            ("other_officer", 403),
            ("integrator_with_scope", 403),
            ("integrator_without_scope", 403),
        ],
    )
    def test_permission_matrix(self, caller, person, who, status):
        response = caller(who).post(EXPORT)
        assert response.status_code == status
        if status == 202:
            assert (DataExport.objects.get().person == person) == (who == "owner")
        else:
            assert response["Content-Type"] == "application/problem+json"
            assert DataExport.objects.count() == 0


@pytest.fixture
def ready_export(person):
    privacy_export = DataExport.objects.create(
        person=person, expires_at=timezone.now() + datetime.timedelta(days=7)
    )
    privacy.build_data_export(export_id=privacy_export.pk)
    privacy_export.refresh_from_db()
    return privacy_export


class TestReadExports:
    def test_a_pending_export_cannot_be_downloaded_yet(self, citizen_api, person):
        export = DataExport.objects.create(
            person=person, expires_at=timezone.now() + datetime.timedelta(days=7)
        )
        response = citizen_api.get(f"{EXPORTS}/{export.pk}/download")
        assert response.status_code == 409
        assert response.json()["code"] == "export_not_ready"
        assert response.json()["export_status"] == "pending"

    def test_an_expired_export_is_gone(self, citizen_api, ready_export):
        # given seven days passed and the sweeper ran
        DataExport.objects.filter(pk=ready_export.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        assert purge_expired_data_exports_task.delay().get() == 1
        # then
        ready_export.refresh_from_db()
        assert ready_export.content is None
        response = citizen_api.get(f"{EXPORTS}/{ready_export.pk}/download")
        assert response.status_code == 410
        assert response.json()["code"] == "export_expired"
        shown = citizen_api.get(f"{EXPORTS}/{ready_export.pk}").json()
        assert shown["status"] == "expired"
        assert shown["download_url"] is None

    def test_the_list_does_not_grow_in_queries(
        self, citizen_api, person, django_assert_num_queries
    ):
        for _ in range(6):
            DataExport.objects.create(
                person=person, expires_at=timezone.now() + datetime.timedelta(days=7)
            )
        with django_assert_num_queries(1):  # the page (the person comes with the account)
            response = citizen_api.get(EXPORTS)
        assert len(response.json()["results"]) == 6

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
    @pytest.mark.parametrize("suffix", ["", "/download"])
    def test_permission_matrix(self, caller, ready_export, who, status, suffix):
        response = caller(who).get(f"{EXPORTS}/{ready_export.pk}{suffix}")
        assert response.status_code == status
        if status == 200 and suffix:
            assert json.loads(response.content)["person"]["pseudonym"]
        elif status == 200:
            assert response.json()["id"] == ready_export.pk

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
    def test_list_permission_matrix(self, caller, ready_export, who, status, sees):
        response = caller(who).get(EXPORTS)
        assert response.status_code == status
        if sees is not None:
            assert len(response.json()["results"]) == sees


class TestExportTask:
    def test_running_the_task_again_changes_nothing(self, ready_export):
        before = (ready_export.content, ready_export.ready_at, ready_export.expires_at)
        assert build_data_export_task.delay(export_id=ready_export.pk).get() == "ready"
        ready_export.refresh_from_db()
        assert (ready_export.content, ready_export.ready_at, ready_export.expires_at) == before

    def test_an_export_deleted_meanwhile_is_skipped(self, person):
        assert build_data_export_task.delay(export_id=987654).get() == "gone"

    def test_the_sweeper_requeues_exports_whose_task_was_lost(self, person):
        # given an export pending for ten minutes, and one just asked for
        lost = DataExport.objects.create(
            person=person,
            requested_at=timezone.now() - datetime.timedelta(minutes=10),
            expires_at=timezone.now() + datetime.timedelta(days=7),
        )
        fresh = DataExport.objects.create(
            person=PersonFactory.create(), expires_at=timezone.now() + datetime.timedelta(days=7)
        )
        # when
        assert requeue_stuck_data_exports_task.delay().get() == 1
        # then
        lost.refresh_from_db()
        fresh.refresh_from_db()
        assert (lost.status, fresh.status) == ("ready", "pending")

    def test_a_failing_build_is_retried_then_marked_failed(self, person, monkeypatch):
        # given a build that keeps failing
        export = DataExport.objects.create(
            person=person, expires_at=timezone.now() + datetime.timedelta(days=7)
        )

        def broken(**_):
            raise RuntimeError("disk full")

        monkeypatch.setattr(privacy, "build_data_export", broken)
        # when the first attempt fails, it is retried and the export stays pending
        with pytest.raises(Retry):
            build_data_export_task.apply(kwargs={"export_id": export.pk})
        export.refresh_from_db()
        assert export.status == "pending"
        # when the last attempt fails, the export is marked failed (the citizen may ask again)
        last = build_data_export_task.apply(kwargs={"export_id": export.pk}, retries=3)
        assert last.get() == "failed"
        export.refresh_from_db()
        assert export.status == "failed"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_export(celery_worker):
    # given
    person = VerifiedPersonFactory.create()
    owner = APIClient()
    owner.force_authenticate(person.user)
    # when the export is asked for (the task goes through Redis to the worker process)
    response = owner.post(EXPORT)
    assert response.status_code == 202
    export_id = response.json()["id"]
    # then the worker builds it
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if DataExport.objects.get(pk=export_id).status != "pending":
            break
        time.sleep(0.05)
    export = DataExport.objects.get(pk=export_id)
    assert export.status == "ready"
    download = owner.get(f"{EXPORTS}/{export_id}/download")
    assert (
        json.loads(download.content)["person"]["national_id"]["value"] == person.national_id_masked
    )


# --- account closure --------------------------------------------------------------------------


def session_token_for(user) -> str:
    """A session as allauth's app login leaves it; its key is the X-Session-Token."""
    browser = Client()
    browser.force_login(user)
    token = browser.session.session_key
    assert token
    return token


class TestCloseAccount:
    def test_closing_anonymises_the_person_and_keeps_what_the_law_requires(
        self, person, held, django_capture_on_commit_callbacks
    ):
        # given a session token, an address verified with allauth and an export
        user = person.user
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        app = APIClient()
        app.credentials(HTTP_X_SESSION_TOKEN=session_token_for(user))
        assert app.get("/api/v1/identity/me/access-log").status_code == 200
        request_export(app, django_capture_on_commit_callbacks)
        pseudonym = person.pseudonym
        # when
        response = app.post(CLOSE, {"password": PASSWORD})
        # then
        assert response.status_code == 200
        person.refresh_from_db()
        assert response.json() == {
            "closed_at": person.closed_at.isoformat().replace("+00:00", "Z"),
            "pseudonym": pseudonym,
        }
        # the person's personal fields are gone; the row stays under its pseudonym
        assert person.pseudonym == pseudonym
        assert (
            person.legal_name_local,
            person.legal_name_latin,
            person.date_of_birth,
            person.contact_email,
            person.contact_phone,
            person.residence,
            person.national_id,
            person.national_id_index,
            person.national_id_masked,
            person.attribute_sources,
        ) == ("", "", None, "", "", None, None, None, "", {})
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT national_id, national_id_index FROM identity_person WHERE id = %s",
                [person.pk],
            )
            assert cursor.fetchone() == (None, None)
        # consents and mandates end; the export (a copy of it all) goes
        held["consent"].refresh_from_db()
        assert held["consent"].revoked_at == person.closed_at
        assert set(
            Mandate.objects.filter(
                pk__in=[held["held_mandate"].pk, held["given_mandate"].pk]
            ).values_list("revoked_at", flat=True)
        ) == {person.closed_at}
        assert DataExport.objects.filter(person=person).count() == 0
        # the access log and assurance changes stay
        assert list(AccessLogEntry.objects.filter(person=person)) == [held["entry"]]
        assert list(AssuranceChange.objects.filter(person=person)) == [held["change"]]
        # the login is gone
        user.refresh_from_db()
        assert (user.username, user.email, user.phone, user.is_active) == (
            pseudonym,
            "",
            None,
            False,
        )
        assert not user.has_usable_password()
        assert not EmailAddress.objects.filter(user=user).exists()
        # and the old session token no longer works
        after = app.get("/api/v1/identity/me/access-log")
        assert after.status_code == 401
        assert after.json()["code"] == "authentication_failed"

    def test_a_wrong_password_changes_nothing(self, citizen_api, person, held):
        # given
        before = Person.objects.filter(pk=person.pk).values().get()
        consents_before = list(Consent.objects.values("pk", "revoked_at"))
        # when
        response = citizen_api.post(CLOSE, {"password": "not-my-password"})
        # then
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "reauthentication_failed"
        assert [(e["field"], e["code"]) for e in body["errors"]] == [("password", "wrong_password")]
        assert Person.objects.filter(pk=person.pk).values().get() == before
        assert list(Consent.objects.values("pk", "revoked_at")) == consents_before
        person.user.refresh_from_db()
        assert person.user.is_active

    def test_the_password_is_required(self, citizen_api, person):
        response = citizen_api.post(CLOSE, {})
        assert response.status_code == 400
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("password", "required")
        ]
        person.refresh_from_db()
        assert person.closed_at is None

    def test_guessing_the_password_is_throttled(self, citizen_api, person):
        statuses = [
            citizen_api.post(CLOSE, {"password": f"guess-{n}"}).status_code for n in range(11)
        ]
        assert statuses == [403] * 10 + [429]
        person.refresh_from_db()
        assert person.closed_at is None

    def test_closing_twice_changes_nothing(self, person):
        closed = privacy.close_account(person=person, password=PASSWORD)
        again = privacy.close_account(person=person, password="anything")
        assert again.closed_at == closed.closed_at
        assert again.pseudonym == closed.pseudonym

    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("anonymous", 401),
            ("owner", 200),
            ("other_citizen", 403),  # their own password is not this one
            ("officer", 403),
            ("other_officer", 403),
            ("integrator_with_scope", 403),
            ("integrator_without_scope", 403),
        ],
    )
    def test_permission_matrix(self, caller, person, who, status):
        response = caller(who).post(CLOSE, {"password": PASSWORD if who == "owner" else "x"})
        assert response.status_code == status
        person.refresh_from_db()
        assert (person.closed_at is not None) == (who == "owner")
        assert Person.objects.exclude(pk=person.pk).filter(closed_at__isnull=False).count() == 0

"""Applications through the API: applying (decided by the rules, or sent to an officer), drafts,
the refusals (form, service status, level of assurance, audience, evidence, idempotency), the
list and the detail, withdrawing, asking for a human review, and officers' reviews with a
resubmission (services/api/applications.py, services/actions/applications.py)."""

import datetime
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityportal.notifications.models import Message
from identity.models import AccessLogEntry
from services.models import Application, DecisionRecord, EvidenceRequirement, Upload
from tests.conftest import client_for
from tests.factories import (
    BusinessFactory,
    CredentialFactory,
    CredentialTypeFactory,
    MandateFactory,
    MembershipFactory,
    PersonFactory,
    ServiceFactory,
)
from tests.services.applications_support import (
    APPLICATIONS,
    PDF,
    apply,
    automatic_service,
    detail_path,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(agency):
    return automatic_service(agency)


@pytest.fixture
def manual_service(agency):
    return ServiceFactory.create(agency=agency, approval_mode="manual")


def _minor(person):
    person.date_of_birth = datetime.date.today().replace(year=datetime.date.today().year - 10)
    person.save()
    return person


class TestApply:
    def test_an_application_meeting_the_rules_is_approved_with_its_decision(
        self, citizen_api, person, service, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = apply(citizen_api, service, {"children": 2, "reason": "school"})
        # then
        assert response.status_code == 201, response.json()
        created = response.json()
        application = Application.objects.get()
        assert created["id"] == str(application.public_id)
        assert created["reference"] == application.reference
        assert created["reference"].startswith("APP-")
        assert created["status"] == "checking"  # the answer is written before the decision
        assert created["service"] == {
            "code": service.code,
            "name": service.name,
            "jurisdiction": service.jurisdiction.code,
        }
        assert created["party"] == {"kind": "person", "id": person.pk, "name": str(person)}
        assert response["Location"] == detail_path(application)
        application.refresh_from_db()
        assert application.status == "approved"
        assert application.decided_by == "rules"
        assert (application.applicant, application.submitted_by) == (person, person)
        assert application.round == 1
        assert application.data == {"children": 2, "reason": "school"}
        detail = citizen_api.get(detail_path(application)).json()
        assert detail["status"] == "approved"
        assert [(e["from"], e["to"], e["actor_kind"]) for e in detail["history"]] == [
            ("draft", "submitted", "applicant"),
            ("submitted", "checking", "system"),
            ("checking", "approved", "system"),
        ]
        assert detail["decision"]["outcome"] == "approved"
        assert detail["decision"]["round"] == 1
        assert detail["decision"]["reasons"] == []
        assert [(c["code"], c["result"]) for c in detail["decision"]["checks"]] == [
            ("adult", "pass"),
            ("few-children", "pass"),
        ]
        assert detail["decision"]["checks"][1]["values"] == {"data.children": 2}
        assert detail["allowed_actions"] == []
        assert Message.objects.get(recipient=person).kind == "application.approved"

    def test_a_failed_reject_check_rejects_with_the_reason(
        self, citizen_api, person, service, django_capture_on_commit_callbacks
    ):
        _minor(person)
        with django_capture_on_commit_callbacks(execute=True):
            response = apply(citizen_api, service)
        detail = citizen_api.get(detail_path(response.json()["id"])).json()
        assert detail["status"] == "rejected"
        assert detail["decision"]["reasons"] == ["The applicant is 10; the minimum age is 18."]
        assert detail["decision_reason"] == "The applicant is 10; the minimum age is 18."
        assert detail["allowed_actions"] == ["request_review"]

    def test_a_manual_service_goes_to_an_officer(
        self, citizen_api, person, manual_service, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = apply(citizen_api, manual_service)
        assert response.status_code == 201
        assert response.json()["status"] == "manual_review"
        application = Application.objects.get()
        assert application.deadline is not None
        assert DecisionRecord.objects.count() == 0
        assert list(application.events.values_list("to_status", flat=True)) == [
            "submitted",
            "manual_review",
        ]
        assert Message.objects.get(recipient=person).kind == "application.manual_review"

    def test_the_same_key_makes_one_application(self, citizen_api, service):
        key = str(uuid.uuid4())
        first = apply(citizen_api, service, key=key)
        again = apply(citizen_api, service, key=key)
        assert first.status_code == again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert Application.objects.count() == 1

    def test_a_key_is_required(self, citizen_api, service):
        response = citizen_api.post(
            APPLICATIONS, {"service": service.code, "data": {"children": 1}}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"
        assert Application.objects.count() == 0

    def test_a_draft_is_stored_then_submitted(
        self, citizen_api, service, django_capture_on_commit_callbacks
    ):
        # given a draft with half a form
        response = apply(citizen_api, service, {"reason": "later"}, draft=True)
        assert response.status_code == 201
        draft = response.json()
        assert draft["status"] == "draft"
        assert draft["allowed_actions"] == ["edit", "submit", "withdraw"]
        # when it is completed and submitted
        changed = citizen_api.patch(
            detail_path(draft["id"]), {"data": {"children": 1}}, format="json"
        )
        assert changed.status_code == 200
        assert changed.json()["data"] == {"children": 1}
        with django_capture_on_commit_callbacks(execute=True):
            submitted = citizen_api.post(detail_path(draft["id"], "/submit"), {}, format="json")
        # then
        assert submitted.status_code == 200, submitted.json()
        assert submitted.json()["round"] == 1
        assert citizen_api.get(detail_path(draft["id"])).json()["status"] == "approved"

    def test_an_incomplete_draft_is_not_submitted(self, citizen_api, service):
        draft = apply(citizen_api, service, {"reason": "later"}, draft=True).json()
        before = snapshot()
        response = citizen_api.post(detail_path(draft["id"], "/submit"), {}, format="json")
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_application_data"
        assert [e["field"] for e in response.json()["errors"]] == ["children"]
        assert snapshot() == before

    def test_a_representative_applies_for_a_child(
        self, citizen_api, person, service, django_capture_on_commit_callbacks
    ):
        mandate = MandateFactory.create(representative=person, scope=["applications"])
        child = mandate.for_person
        assert child is not None
        with django_capture_on_commit_callbacks(execute=True):
            response = apply(citizen_api, service, acting_for=f"person:{child.pk}")
        assert response.status_code == 201
        application = Application.objects.get()
        assert (application.applicant, application.submitted_by) == (child, person)
        assert application.mandate == mandate
        assert response.json()["party"]["id"] == child.pk

    def test_a_director_applies_for_their_business(self, citizen_api, person, agency):
        service = automatic_service(agency, for_persons=False, for_businesses=True)
        business = BusinessFactory.create()
        MandateFactory.create(representative=person, for_person=None, for_business=business)
        response = apply(citizen_api, service, acting_for=f"business:{business.pk}")
        assert response.status_code == 201
        assert response.json()["party"] == {
            "kind": "business",
            "id": business.pk,
            "name": business.name,
        }
        assert Application.objects.get().business == business


class TestRefusals:
    def test_data_against_the_form_lists_every_field(self, citizen_api, service):
        before = snapshot()
        response = apply(citizen_api, service, {"children": -1, "reason": "x" * 201, "pets": 2})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_application_data"
        assert [(e["field"], e["code"]) for e in body["errors"]] == [
            ("children", "minimum"),
            ("pets", "additionalProperties"),
            ("reason", "maxLength"),
        ]
        assert body["errors"][0]["pointer"] == "#/children"
        assert snapshot() == before

    def test_missing_and_mistyped_fields(self, citizen_api, agency):
        service = automatic_service(
            agency,
            input_schema={
                "type": "object",
                "properties": {
                    "address": {
                        "type": "object",
                        "properties": {"street": {"type": "string"}, "no": {"type": "integer"}},
                        "required": ["street", "no"],
                    },
                    "children": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["address"],
            },
        )
        response = apply(citizen_api, service, {"address": {"no": "five"}, "children": [1, "two"]})
        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("address.no", "type"),
            ("address.street", "required"),
            ("children.1", "type"),
        ]

    @pytest.mark.parametrize("status", ["draft", "retired", "suspended"])
    def test_a_service_not_open_is_refused(self, citizen_api, agency, status):
        service = automatic_service(agency, status=status)
        response = apply(citizen_api, service)
        assert response.status_code == 409
        assert response.json()["code"] == "service_not_open"
        assert response.json()["service_status"] == status
        assert Application.objects.count() == 0

    def test_a_process_reuses_the_service_it_read_within_the_recheck_interval(
        self, citizen_api, service, settings
    ):
        settings.SERVICES_CATALOGUE_RECHECK_SECONDS = 60
        assert apply(citizen_api, service).status_code == 201
        with CaptureQueriesContext(connection) as queries:
            assert apply(citizen_api, service).status_code == 201
        read = [q["sql"] for q in queries if 'FROM "services_service"' in q["sql"]]
        assert read == []  # neither the service nor its evidence requirements again

    def test_a_suspension_reaches_submissions_once_the_interval_has_passed(
        self, citizen_api, service, settings, monkeypatch
    ):
        settings.SERVICES_CATALOGUE_RECHECK_SECONDS = 60
        assert apply(citizen_api, service).status_code == 201
        service.status = "suspended"
        service.save()
        clock = time.monotonic() + 61
        monkeypatch.setattr(time, "monotonic", lambda: clock)

        response = apply(citizen_api, service)

        assert response.status_code == 409
        assert response.json()["code"] == "service_not_open"

    def test_a_required_evidence_added_in_admin_is_asked_for_after_the_interval(
        self, citizen_api, service, settings
    ):
        settings.SERVICES_CATALOGUE_RECHECK_SECONDS = 0  # as every process does, a second on
        assert apply(citizen_api, service).status_code == 201
        EvidenceRequirement.objects.create(service=service, code="photo", name="A photo")

        response = apply(citizen_api, service)

        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("evidence", "required")
        ]

    def test_a_level_of_assurance_too_low_is_refused_with_the_level_needed(
        self, citizen_api, agency
    ):
        service = automatic_service(agency, minimum_level_of_assurance="substantial")
        response = apply(citizen_api, service)
        assert response.status_code == 403
        assert response.json()["code"] == "loa_too_low"
        assert response.json()["required_level"] == "substantial"
        assert Application.objects.count() == 0

    def test_a_business_service_refuses_a_person(self, citizen_api, agency):
        service = automatic_service(agency, for_persons=False, for_businesses=True)
        response = apply(citizen_api, service)
        assert response.status_code == 403
        assert response.json()["code"] == "wrong_audience"
        assert Application.objects.count() == 0

    def test_an_unknown_service_is_not_found(self, citizen_api, service):
        response = apply(citizen_api, "no-such-service")
        assert response.status_code == 404
        assert response.json()["code"] == "service_not_found"

    def test_a_code_offered_in_two_jurisdictions_needs_the_jurisdiction(self, citizen_api, service):
        other = ServiceFactory.create(code=service.code)
        assert apply(citizen_api, service).json()["code"] == "service_ambiguous"
        response = apply(citizen_api, service, jurisdiction=other.jurisdiction.code)
        assert response.status_code == 201
        assert Application.objects.get().service == other

    def test_malformed_bodies_are_validation_errors(self, citizen_api, service):
        response = citizen_api.post(
            APPLICATIONS,
            {"service": service.code, "data": [1], "evidence": [{"requirement": "id"}]},
            format="json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 400
        assert {e["field"] for e in response.json()["errors"]} == {
            "data",
            "evidence.0",
        }


class TestEvidence:
    @pytest.fixture
    def card_type(self):
        return CredentialTypeFactory.create(code="id_card")

    @pytest.fixture
    def service(self, agency, card_type):
        service = automatic_service(agency)
        EvidenceRequirement.objects.create(
            service=service, code="identity", name="Identity card", credential_type=card_type
        )
        EvidenceRequirement.objects.create(service=service, code="photo", name="Photo")
        return service

    def _upload(self, api):
        response = api.post(
            "/api/v1/uploads", {"file": _file("photo.pdf", PDF)}, format="multipart"
        )
        assert response.status_code == 201
        return response.json()["id"]

    def test_an_upload_and_a_wallet_credential(
        self, citizen_api, person, service, card_type, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        card = CredentialFactory.create(holder=person, type=card_type)
        upload = self._upload(citizen_api)
        response = apply(
            citizen_api,
            service,
            evidence=[
                {"requirement": "identity", "credential": card.pk},
                {"requirement": "photo", "upload": upload},
            ],
        )
        assert response.status_code == 201, response.json()
        detail = citizen_api.get(detail_path(response.json()["id"])).json()
        given = [
            (e["requirement"], bool(e["upload"]), bool(e["credential"])) for e in detail["evidence"]
        ]
        assert given == [("identity", False, True), ("photo", True, False)]
        assert detail["evidence"][0]["credential"]["number_masked"] == card.number_masked
        assert detail["evidence"][1]["upload"]["id"] == upload

    def test_missing_evidence_is_refused(self, citizen_api, service):
        response = apply(citizen_api, service)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_evidence"
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("evidence", "required"),
            ("evidence", "required"),
        ]
        assert Application.objects.count() == 0

    def test_wrong_evidence_is_pointed_at(
        self, citizen_api, other_citizen_api, person, service, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        foreign_upload = self._upload(other_citizen_api)
        other_card = CredentialFactory.create(holder=person)
        expired = CredentialFactory.create(
            holder=person, type=service.evidence.get(code="identity").credential_type,
            valid_until=datetime.date(2020, 1, 1), valid_from=datetime.date(2019, 1, 1),
        )  # fmt: skip
        before = snapshot()
        response = apply(
            citizen_api,
            service,
            evidence=[
                {"requirement": "passport", "upload": foreign_upload},
                {"requirement": "photo", "upload": foreign_upload},
                {"requirement": "identity", "credential": other_card.pk},
            ],
        )
        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("evidence.0.requirement", "unknown_requirement"),
            ("evidence.1.upload", "not_found"),
            ("evidence.2.credential", "wrong_type"),
        ]
        assert snapshot() == before
        response = apply(
            citizen_api, service, evidence=[{"requirement": "identity", "credential": expired.pk}]
        )
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("evidence.0.credential", "not_valid")
        ]

    def test_an_upload_is_evidence_of_one_application_only(
        self, citizen_api, person, service, card_type, settings, tmp_path
    ):
        settings.MEDIA_ROOT = tmp_path
        card = CredentialFactory.create(holder=person, type=card_type)
        upload = self._upload(citizen_api)
        evidence = [
            {"requirement": "identity", "credential": card.pk},
            {"requirement": "photo", "upload": upload},
        ]
        assert apply(citizen_api, service, evidence=evidence).status_code == 201
        response = apply(citizen_api, service, evidence=evidence)
        assert response.status_code == 422
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("evidence.1.upload", "already_used")
        ]
        assert Upload.objects.count() == 1


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


class TestListAndDetail:
    def test_the_list_has_mine_newest_first_with_filters(
        self, citizen_api, other_citizen_api, person, service, manual_service
    ):
        first = apply(citizen_api, service).json()
        second = apply(citizen_api, manual_service).json()
        apply(other_citizen_api, service)
        listed = citizen_api.get(APPLICATIONS).json()["results"]
        assert [a["id"] for a in listed] == [second["id"], first["id"]]
        by_service = citizen_api.get(APPLICATIONS, {"service": manual_service.code}).json()
        assert [a["id"] for a in by_service["results"]] == [second["id"]]
        by_status = citizen_api.get(APPLICATIONS, {"status": "manual_review"}).json()
        assert [a["id"] for a in by_status["results"]] == [second["id"]]
        assert citizen_api.get(APPLICATIONS, {"status": "nonsense"}).status_code == 400

    def test_the_list_costs_the_same_for_more_applications(self, citizen_api, person, service):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert citizen_api.get(APPLICATIONS).status_code == 200
            return len(captured)

        apply(citizen_api, service)
        few = queries()
        for _ in range(4):
            apply(citizen_api, service)
        assert queries() == few == 2  # mandates, the page (the person comes with the account)

    def test_the_detail_costs_a_fixed_number_of_queries(
        self, citizen_api, service, django_assert_num_queries, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            created = apply(citizen_api, service).json()
        # mandates, the application, events, evidence, decisions (the person comes with the
        # account)
        with django_assert_num_queries(5):
            assert citizen_api.get(detail_path(created["id"])).status_code == 200

    def test_officers_list_their_agencys_applications(
        self, citizen_api, officer_api, other_officer_api, service
    ):
        created = apply(citizen_api, service).json()
        listed = officer_api.get(APPLICATIONS).json()["results"]
        assert [a["id"] for a in listed] == [created["id"]]
        assert other_officer_api.get(APPLICATIONS).json()["results"] == []

    def test_an_officer_reading_an_application_is_in_the_applicants_log(
        self, citizen_api, officer_api, officer, person, service
    ):
        created = apply(citizen_api, service).json()
        response = officer_api.get(detail_path(created["id"]))
        assert response.status_code == 200
        entry = AccessLogEntry.objects.get(person=person)
        assert (entry.channel, entry.actor) == ("api", officer)
        assert entry.what == f"application {created['reference']}"


class TestWithdraw:
    @pytest.mark.parametrize(
        ("status", "allowed"),
        [
            ("draft", True),
            ("submitted", True),
            ("manual_review", True),
            ("returned", True),
            ("checking", False),
            ("approved", False),
            ("rejected", False),
            ("withdrawn", False),
        ],
    )
    def test_only_before_a_decision(self, citizen_api, person, service, status, allowed):
        application = Application.objects.create(
            reference=f"APP-T-{status}", service=service, applicant=person,
            submitted_by=person, status=status, data={"children": 1},
        )  # fmt: skip
        response = citizen_api.post(
            detail_path(application, "/withdraw"), {"reason": "moved away"}, format="json"
        )
        application.refresh_from_db()
        if allowed:
            assert response.status_code == 200
            assert application.status == "withdrawn"
            event = application.events.get()
            assert (event.from_status, event.actor_kind, event.reason) == (
                status,
                "applicant",
                "moved away",
            )
        else:
            assert response.status_code == 409
            assert response.json()["code"] == "invalid_transition"
            assert application.status == status
            assert application.events.count() == 0


class TestHumanReview:
    def test_an_automatic_rejection_goes_to_an_officer_once(
        self, citizen_api, person, service, django_capture_on_commit_callbacks
    ):
        # given an automatic rejection
        _minor(person)
        with django_capture_on_commit_callbacks(execute=True):
            created = apply(citizen_api, service).json()
        path = detail_path(created["id"], "/review-request")
        # when the applicant asks for a human review
        response = citizen_api.post(path, {"reason": "I turned 18 last week"}, format="json")
        # then
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "manual_review"
        assert body["review_requested"] is True
        assert body["deadline"] is not None
        assert body["history"][-1] == {
            "from": "rejected",
            "to": "manual_review",
            "at": body["history"][-1]["at"],
            "actor_kind": "applicant",
            "reason": "I turned 18 last week",
        }
        # and not twice
        again = citizen_api.post(path, {"reason": "again"}, format="json")
        assert again.status_code == 409
        assert again.json()["code"] == "review_not_allowed"

    def test_an_officers_rejection_is_not_reviewed_again(
        self, citizen_api, officer_api, manual_service, django_capture_on_commit_callbacks
    ):
        created = apply(citizen_api, manual_service).json()
        officer_api.post(
            detail_path(created["id"], "/review"),
            {"outcome": "reject", "reason": "Not eligible."},
            format="json",
        )
        response = citizen_api.post(
            detail_path(created["id"], "/review-request"), {"reason": "please"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "review_not_allowed"
        assert Application.objects.get().status == "rejected"

    def test_a_reason_is_needed(self, citizen_api, person, service):
        application = Application.objects.create(
            reference="APP-T-1", service=service, applicant=person, submitted_by=person,
            status="rejected", decided_by="rules",
        )  # fmt: skip
        response = citizen_api.post(detail_path(application, "/review-request"), {}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "reason"


class TestOfficerReview:
    @pytest.fixture
    def in_review(self, citizen_api, manual_service):
        return apply(citizen_api, manual_service).json()

    def test_approve(self, officer_api, person, in_review):
        response = officer_api.post(
            detail_path(in_review["id"], "/review"), {"outcome": "approve"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["status"] == "approved"
        application = Application.objects.get()
        assert application.decided_by == "officer"
        last = application.events.order_by("pk").last()
        assert last is not None
        assert last.actor_kind == "officer"
        assert Message.objects.filter(recipient=person, kind="application.approved").exists()

    def test_a_rejection_needs_a_reason(self, officer_api, in_review):
        path = detail_path(in_review["id"], "/review")
        response = officer_api.post(path, {"outcome": "reject"}, format="json")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "reason"
        assert Application.objects.get().status == "manual_review"
        response = officer_api.post(
            path, {"outcome": "reject", "reason": "Not eligible."}, format="json"
        )
        assert response.json()["status"] == "rejected"
        assert response.json()["decision_reason"] == "Not eligible."
        assert response.json()["history"][-1]["actor_kind"] == "officer"

    def test_a_supervisor_reviews(self, agency, in_review):
        supervisor = MembershipFactory.create(agency=agency, role="supervisor").user
        response = client_for(supervisor).post(
            detail_path(in_review["id"], "/review"), {"outcome": "approve"}, format="json"
        )
        assert response.status_code == 200
        assert Application.objects.get().status == "approved"

    def test_a_returned_application_is_resubmitted_and_decided_again(
        self, citizen_api, officer_api, agency, django_capture_on_commit_callbacks
    ):
        # given an automatic decision that sent many children to an officer
        service = automatic_service(agency)
        with django_capture_on_commit_callbacks(execute=True):
            created = apply(citizen_api, service, {"children": 5}).json()
        assert Application.objects.get().status == "manual_review"
        # when the officer returns it and the applicant corrects it
        returned = officer_api.post(
            detail_path(created["id"], "/review"),
            {"outcome": "return", "reason": "Count only children under 18."},
            format="json",
        )
        assert returned.json()["status"] == "returned"
        with django_capture_on_commit_callbacks(execute=True):
            response = citizen_api.post(
                detail_path(created["id"], "/submit"), {"data": {"children": 2}}, format="json"
            )
        # then it is decided afresh in a second round
        assert response.status_code == 200, response.json()
        body = citizen_api.get(detail_path(created["id"])).json()
        assert body["status"] == "approved"
        assert body["round"] == 2
        assert body["decision"]["round"] == 2
        assert list(DecisionRecord.objects.order_by("round").values_list("round", "outcome")) == [
            (1, "manual_review"),
            (2, "approved"),
        ]

    def test_only_in_manual_review(self, citizen_api, officer_api, service):
        created = apply(citizen_api, service).json()  # checking (the task runs after commit)
        response = officer_api.post(
            detail_path(created["id"], "/review"), {"outcome": "approve"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"
        assert Application.objects.get().status == "checking"

    def test_citizens_cannot_review(self, citizen_api, in_review):
        response = citizen_api.post(
            detail_path(in_review["id"], "/review"), {"outcome": "approve"}, format="json"
        )
        assert response.status_code == 403
        assert Application.objects.get().status == "manual_review"

    def test_a_non_member_cannot_see_anything(self, in_review):
        stranger = PersonFactory.create()
        response = client_for(stranger.user).get(detail_path(in_review["id"]))
        assert response.status_code == 404
        assert response.json()["code"] == "application_not_found"

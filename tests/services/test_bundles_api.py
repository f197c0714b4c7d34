"""Bundles ("one thing"): GET /api/v1/bundles, GET /api/v1/bundles/{code},
POST /api/v1/bundles/{code}/applications, GET /api/v1/bundle-applications(/{id}). One
submission makes one application per bundled service, each decided by its own rules; the
bundle shows the combined status."""

import uuid

import pytest
from django.test import Client

from services import rules
from services.actions.bundles import bundle_status
from services.models import Application, Bundle, BundleApplication, BundleItem, Service
from tests.conftest import sign_in_to_admin
from tests.factories import (
    CheckFactory,
    LifeEventFactory,
    MandateFactory,
    RuleSetFactory,
    ServiceFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

BUNDLES = "/api/v1/bundles"
BUNDLE_APPLICATIONS = "/api/v1/bundle-applications"
DATA = {"child_name": "Mali", "child_birth_date": "2026-10-01", "monthly_income": 50000}


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    # Published rule sets are cached by primary key, and rolled-back tests reuse keys.
    rules._CACHE.clear()
    yield
    rules._CACHE.clear()


def _service(code, properties, required, check):
    service = ServiceFactory.create(
        code=code,
        input_schema={
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    )
    CheckFactory.create(rule_set=RuleSetFactory.create(service=service), **check)
    return service


@pytest.fixture
def baby():
    """Having a baby: birth registration (approved for any named child) and a child allowance
    (rejected above a monthly income of 20,000)."""
    birth = _service(
        "birth-registration",
        {"child_name": {"type": "string", "minLength": 1}, "child_birth_date": {"type": "string"}},
        ["child_name"],
        {"code": "named", "expression": {"!!": [{"var": "data.child_name"}]}},
    )
    allowance = _service(
        "child-allowance",
        {"child_name": {"type": "string"}, "monthly_income": {"type": "integer", "minimum": 0}},
        ["monthly_income"],
        {
            "code": "low-income",
            "expression": {"<=": [{"var": "data.monthly_income"}, 20000]},
            "reason_template_en": "A monthly income of {{data.monthly_income}} is above 20000.",
        },
    )
    bundle = Bundle.objects.create(
        code="having-a-baby",
        life_event=LifeEventFactory.create(code="baby", name_en="Having a baby"),
        name_en="Having a baby",
        name_th="มีลูก",
        name_zh_hans="生孩子",
        status="active",
        input_schema={
            "type": "object",
            "properties": {
                "child_name": {"type": "string"},
                "child_birth_date": {"type": "string"},
                "monthly_income": {},
            },
            "required": ["child_name", "monthly_income"],
        },
    )
    BundleItem.objects.create(bundle=bundle, service=allowance, position=2)
    BundleItem.objects.create(bundle=bundle, service=birth, position=1)
    return bundle


def _apply(client, bundle="having-a-baby", data=None, *, key=None, acting_for=None):
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    if acting_for:
        headers["X-Acting-For"] = acting_for
    return client.post(
        f"{BUNDLES}/{bundle}/applications",
        {"data": DATA if data is None else data},
        format="json",
        headers=headers,
    )


def _nothing_made():
    return not BundleApplication.objects.exists() and not Application.objects.exists()


class TestCatalogue:
    def test_active_bundles_are_listed_with_their_services_in_order(
        self, baby, api, django_assert_num_queries
    ):
        # given
        Bundle.objects.create(code="draft", life_event=baby.life_event, name_en="Draft")
        # when: the page count, the bundles with life events, the items with services
        with django_assert_num_queries(3):
            response = api.get(BUNDLES)
        # then
        assert response.status_code == 200
        assert response.json()["results"] == [
            {
                "code": "having-a-baby",
                "name": "Having a baby",
                "description": "",
                "life_event": {"code": "baby", "name": "Having a baby"},
                "services": [
                    {
                        "code": "birth-registration",
                        "name": baby.items.get(position=1).service.name_en,
                        "approval_mode": "automatic",
                    },
                    {
                        "code": "child-allowance",
                        "name": baby.items.get(position=2).service.name_en,
                        "approval_mode": "automatic",
                    },
                ],
            }
        ]

    def test_names_are_in_the_language_asked_for(self, baby, api):
        # when
        response = api.get(f"{BUNDLES}/having-a-baby", headers={"Accept-Language": "zh-hans"})
        # then
        assert response.json()["name"] == "生孩子"

    def test_a_bundle_shows_its_shared_form(self, baby, api):
        # when
        response = api.get(f"{BUNDLES}/having-a-baby")
        # then
        assert response.status_code == 200
        assert response.json()["input_schema"] == baby.input_schema

    def test_without_a_form_of_its_own_the_services_forms_are_merged(self, baby, api):
        # given
        baby.input_schema = {}
        baby.save()
        # when
        response = api.get(f"{BUNDLES}/having-a-baby")
        # then
        assert response.json()["input_schema"] == {
            "type": "object",
            "properties": {
                "child_name": {"type": "string", "minLength": 1},
                "child_birth_date": {"type": "string"},
                "monthly_income": {"type": "integer", "minimum": 0},
            },
            "required": ["child_name", "monthly_income"],
        }

    @pytest.mark.parametrize("code", ["no-such-bundle", "draft"])
    def test_unknown_and_draft_bundles_are_not_found(self, baby, api, code):
        # given
        Bundle.objects.create(code="draft", life_event=baby.life_event, name_en="Draft")
        # when
        response = api.get(f"{BUNDLES}/{code}")
        # then
        assert response.status_code == 404
        assert response.json()["code"] == "bundle_not_found"


class TestSubmit:
    def test_one_submission_makes_one_application_per_service_each_decided_by_its_rules(
        self, baby, person, citizen_api, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = _apply(citizen_api)
        # then
        assert response.status_code == 201
        bundle_application = BundleApplication.objects.get()
        birth = Application.objects.get(service__code="birth-registration")
        allowance = Application.objects.get(service__code="child-allowance")
        assert response.json() == {
            "id": str(bundle_application.public_id),
            "bundle": "having-a-baby",
            "status": "in_progress",
            "applications": [
                {
                    "id": str(birth.public_id),
                    "reference": birth.reference,
                    "service": "birth-registration",
                    "status": "checking",
                },
                {
                    "id": str(allowance.public_id),
                    "reference": allowance.reference,
                    "service": "child-allowance",
                    "status": "checking",
                },
            ],
            "created_at": bundle_application.created_at.isoformat().replace("+00:00", "Z"),
        }
        assert response["Location"] == f"{BUNDLE_APPLICATIONS}/{bundle_application.public_id}"
        # each service received the fields its own form declares
        assert birth.data == {"child_name": "Mali", "child_birth_date": "2026-10-01"}
        assert allowance.data == {"child_name": "Mali", "monthly_income": 50000}
        assert {a.applicant for a in (birth, allowance)} == {person}
        assert bundle_application.data == DATA
        # each was decided by its own rules
        assert (birth.status, allowance.status) == ("approved", "rejected")
        assert allowance.decision_reason == "A monthly income of 50000 is above 20000."
        shown = citizen_api.get(f"{BUNDLE_APPLICATIONS}/{bundle_application.public_id}").json()
        assert shown["status"] == "partially_approved"
        assert [a["status"] for a in shown["applications"]] == ["approved", "rejected"]

    def test_the_shared_data_is_checked_against_the_bundles_form(self, baby, citizen_api):
        # when
        response = _apply(citizen_api, data={"child_birth_date": 5, "monthly_income": 1})
        # then
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_application_data"
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
            ("child_birth_date", "type"),
            ("child_name", "required"),
        ]
        assert _nothing_made()

    def test_all_or_nothing_when_one_service_refuses_the_data(
        self, baby, citizen_api, django_capture_on_commit_callbacks
    ):
        # given: the bundle's form accepts any income, the allowance's form a whole number
        # when
        with django_capture_on_commit_callbacks(execute=True) as queued:
            response = _apply(citizen_api, data={**DATA, "monthly_income": "lots"})
        # then
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_application_data"
        assert body["service"] == "child-allowance"
        assert [(e["field"], e["code"], e["pointer"]) for e in body["errors"]] == [
            ("child-allowance.monthly_income", "type", "#/child-allowance/monthly_income")
        ]
        assert _nothing_made()
        assert queued == []

    def test_all_or_nothing_when_one_service_is_closed(self, baby, citizen_api):
        # given
        Service.objects.filter(code="child-allowance").update(status="suspended")
        # when
        response = _apply(citizen_api)
        # then
        assert response.status_code == 409
        assert response.json()["code"] == "service_not_open"
        assert response.json()["service"] == "child-allowance"
        assert _nothing_made()

    def test_the_same_key_makes_one_bundle_application(
        self, baby, citizen_api, django_capture_on_commit_callbacks
    ):
        # given
        key = str(uuid.uuid4())
        with django_capture_on_commit_callbacks(execute=True):
            first = _apply(citizen_api, key=key)
        # when
        again = _apply(citizen_api, key=key)
        # then
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert BundleApplication.objects.count() == 1
        assert Application.objects.count() == 2

    def test_the_key_is_required(self, baby, citizen_api):
        # when
        response = citizen_api.post(
            f"{BUNDLES}/having-a-baby/applications", {"data": DATA}, format="json"
        )
        # then
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_required"
        assert _nothing_made()

    def test_data_must_be_an_object(self, baby, citizen_api):
        # when
        response = _apply(citizen_api, data=["not", "an", "object"])
        # then
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "data"
        assert _nothing_made()

    @pytest.mark.parametrize("code", ["no-such-bundle", "draft"])
    def test_unknown_and_draft_bundles_take_no_submission(self, baby, citizen_api, code):
        # given
        Bundle.objects.create(code="draft", life_event=baby.life_event, name_en="Draft")
        # when
        response = _apply(citizen_api, bundle=code)
        # then
        assert response.status_code == 404
        assert response.json()["code"] == "bundle_not_found"
        assert _nothing_made()

    def test_anonymous_is_refused(self, baby, api):
        # when
        response = _apply(api)
        # then
        assert response.status_code == 401
        assert _nothing_made()

    def test_staff_without_a_citizen_account_are_refused(self, baby, officer_api):
        # when
        response = _apply(officer_api)
        # then
        assert response.status_code == 403
        assert _nothing_made()

    def test_a_parent_applies_for_their_child_under_a_mandate(
        self, baby, person, citizen_api, other_citizen_api, django_capture_on_commit_callbacks
    ):
        # given
        mandate = MandateFactory.create(representative=person, scope=["applications"])
        child = mandate.for_person
        assert child is not None
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = _apply(citizen_api, acting_for=f"person:{child.pk}")
        # then
        assert response.status_code == 201
        bundle_application = BundleApplication.objects.get()
        assert (bundle_application.applicant, bundle_application.submitted_by) == (child, person)
        assert {(a.applicant, a.submitted_by, a.mandate) for a in Application.objects.all()} == {
            (child, person, mandate)
        }
        # the parent sees it; another citizen does not
        assert citizen_api.get(BUNDLE_APPLICATIONS).json()["results"][0]["id"] == str(
            bundle_application.public_id
        )
        assert other_citizen_api.get(BUNDLE_APPLICATIONS).json()["results"] == []

    def test_without_a_mandate_nobody_applies_for_another(self, baby, citizen_api):
        # given: a mandate the citizen does not hold
        child = MandateFactory.create().for_person
        assert child is not None
        # when
        response = _apply(citizen_api, acting_for=f"person:{child.pk}")
        # then
        assert response.status_code == 403
        assert response.json()["code"] == "no_mandate"
        assert _nothing_made()


class TestRead:
    @pytest.fixture
    def submitted(self, baby, citizen_api, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            _apply(citizen_api)
        return BundleApplication.objects.get()

    def test_the_list_costs_the_same_queries_however_many_bundle_applications(
        self, submitted, citizen_api, django_assert_num_queries, django_capture_on_commit_callbacks
    ):
        # given
        with django_capture_on_commit_callbacks(execute=True):
            _apply(citizen_api)
            _apply(citizen_api)
        # when: mandates, bundle applications with bundles, applications with services (the
        # person comes with the account)
        with django_assert_num_queries(3):
            response = citizen_api.get(BUNDLE_APPLICATIONS)
        # then
        assert response.status_code == 200
        assert [b["status"] for b in response.json()["results"]] == ["partially_approved"] * 3

    def test_another_citizen_cannot_read_it(self, submitted, other_citizen_api):
        # when
        response = other_citizen_api.get(f"{BUNDLE_APPLICATIONS}/{submitted.public_id}")
        # then
        assert response.status_code == 404
        assert response.json()["code"] == "bundle_application_not_found"

    def test_staff_and_anonymous_cannot_read_it(self, submitted, officer_api, api):
        # when / then
        assert officer_api.get(f"{BUNDLE_APPLICATIONS}/{submitted.public_id}").status_code == 403
        assert api.get(f"{BUNDLE_APPLICATIONS}/{submitted.public_id}").status_code == 401
        assert api.get(BUNDLE_APPLICATIONS).status_code == 401


class TestCombinedStatus:
    @pytest.mark.parametrize(
        ("statuses", "combined"),
        [
            (["approved", "approved"], "approved"),
            (["approved", "rejected"], "partially_approved"),
            (["rejected", "rejected"], "rejected"),
            (["approved", "checking"], "in_progress"),
            (["approved", "manual_review"], "in_progress"),
            (["submitted", "rejected"], "in_progress"),
            (["returned", "checking"], "needs_action"),
            (["awaiting_payment", "approved"], "needs_action"),
            (["approved", "withdrawn"], "approved"),
            (["rejected", "withdrawn"], "rejected"),
            (["withdrawn", "withdrawn"], "withdrawn"),
        ],
    )
    def test_the_combined_status(self, baby, person, statuses, combined):
        # given
        bundle_application = BundleApplication.objects.create(
            bundle=baby, applicant=person, submitted_by=person
        )
        for n, (item, status) in enumerate(zip(baby.items.all(), statuses, strict=True)):
            Application.objects.create(
                reference=f"APP-T-{n}",
                service=item.service,
                applicant=person,
                submitted_by=person,
                status=status,
                bundle_application=bundle_application,
            )
        # when / then
        assert bundle_status(bundle_application) == combined


class TestAdmin:
    @pytest.fixture
    def browser(self):
        user = StaffFactory.create(is_superuser=True)
        return sign_in_to_admin(Client(), user)

    def _form(self, baby, schema):
        return {
            "code": "having-a-baby",
            "life_event": baby.life_event.pk,
            "name_en": "Having a baby",
            "name_th": "",
            "name_zh_hans": "",
            "description_en": "",
            "description_th": "",
            "description_zh_hans": "",
            "input_schema": schema,
            "status": "active",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
        }

    def test_an_invalid_json_schema_is_refused_on_save(self, baby, browser):
        # when
        response = browser.post(
            f"/admin/services/bundle/{baby.pk}/change/",
            self._form(baby, '{"type": "no-such-type"}'),
        )
        # then
        assert response.status_code == 200
        assert "This is not a valid JSON Schema" in response.content.decode()
        baby.refresh_from_db()
        assert baby.input_schema["type"] == "object"

    def test_a_valid_schema_is_saved(self, baby, browser):
        # when
        response = browser.post(
            f"/admin/services/bundle/{baby.pk}/change/",
            self._form(baby, '{"type": "object", "properties": {"child_name": {}}}'),
        )
        # then
        assert response.status_code == 302
        baby.refresh_from_db()
        assert baby.input_schema == {"type": "object", "properties": {"child_name": {}}}

    def test_a_bundle_application_shows_its_applications(
        self, baby, browser, citizen_api, django_capture_on_commit_callbacks
    ):
        # given
        with django_capture_on_commit_callbacks(execute=True):
            _apply(citizen_api)
        bundle_application = BundleApplication.objects.get()
        # when
        response = browser.get(f"/admin/services/bundleapplication/{bundle_application.pk}/change/")
        # then
        assert response.status_code == 200
        page = response.content.decode()
        for application in Application.objects.all():
            assert application.reference in page

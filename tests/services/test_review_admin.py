"""The manual review queue in admin: the competent agency's applications, earliest deadline
first; the decision record beside the data; approve, reject and return with a reason; the
access log; and nothing at all for other agencies."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from cityportal.notifications.models import Message
from identity.models import AccessLogEntry, Membership
from services.models import Application, ApplicationEvent, DecisionRecord
from tests.conftest import sign_in_to_admin
from tests.factories import ApplicationFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/services/application/"


def _staff(agency, role=Membership.Role.OFFICER):
    user = MembershipFactory.create(agency=agency, role=role).user
    user.user_permissions.add(Permission.objects.get(codename="view_application"))
    return sign_in_to_admin(Client(), user), user


@pytest.fixture
def service():
    return ServiceFactory.create()


@pytest.fixture
def officer(service):
    return _staff(service.agency)


@pytest.fixture
def browser(officer):
    return officer[0]


def _page(application, suffix="change/"):
    return f"{QUEUE}{application.pk}/{suffix}"


def _in(days):
    return timezone.now() + datetime.timedelta(days=days)


def _references(response):
    return [a.reference for a in response.context["cl"].result_list]


# The queue -------------------------------------------------------------------------------


def test_the_queue_shows_waiting_applications_first_by_deadline_and_only_the_agencys(
    browser, service
):
    # given
    late = ApplicationFactory.create(service=service, reference="A-LATE", deadline=_in(-1))
    soon = ApplicationFactory.create(service=service, reference="A-SOON", deadline=_in(1))
    later = ApplicationFactory.create(service=service, reference="A-LATER", deadline=_in(4))
    ApplicationFactory.create(
        service=service, reference="A-DONE", status="approved", deadline=_in(-3)
    )
    ApplicationFactory.create(reference="A-OTHER", deadline=_in(-9))  # another agency's service
    # when
    response = browser.get(QUEUE)
    # then
    assert response.status_code == 200
    assert _references(response) == [late.reference, soon.reference, later.reference, "A-DONE"]
    page = response.content.decode()
    assert late.applicant is not None
    assert late.applicant.pseudonym in page
    assert str(late.applicant) not in page  # no names in the queue


def test_the_queue_is_not_n_plus_one(browser, service, django_assert_max_num_queries):
    ApplicationFactory.create_batch(8, service=service)

    with django_assert_max_num_queries(14):
        assert browser.get(QUEUE).status_code == 200


def test_supervisors_see_what_is_overdue(service):
    browser, _supervisor = _staff(service.agency, Membership.Role.SUPERVISOR)
    late = ApplicationFactory.create(service=service, deadline=_in(-1))
    ApplicationFactory.create(service=service, deadline=_in(1))
    ApplicationFactory.create(service=service, status="rejected", deadline=_in(-2))

    response = browser.get(QUEUE, {"overdue": "yes"})

    assert _references(response) == [late.reference]
    assert "color:#ba2121" in response.content.decode()  # the red flag


def test_the_overdue_filter_is_for_supervisors(browser, service):
    ApplicationFactory.create(service=service, deadline=_in(-1))

    page = browser.get(QUEUE).content.decode()

    assert "?overdue=yes" not in page


# The application's page ------------------------------------------------------------------


def test_the_page_shows_the_decision_record_beside_the_data_and_logs_the_read(officer, service):
    browser, user = officer
    application = ApplicationFactory.create(service=service, data={"children": 4})
    DecisionRecord.objects.create(
        application=application,
        round=1,
        rule_set_version=3,
        checks=[
            {
                "code": "few-children",
                "title": "Few children",
                "result": "fail",
                "on_fail": "manual_review",
                "values": {"data.children": 4},
                "sources": {"data.children": "application"},
            }
        ],
        outcome="manual_review",
        reasons=["4 children need an officer's look."],
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    # when
    response = browser.get(_page(application))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "field-data_pretty field-decision_records" in page  # one row: side by side
    assert "<code>few-children</code>" in page
    assert "<code>data.children</code> = 4" in page
    assert "4 children need an officer&#x27;s look." in page
    assert "Round 1: manual review by rule set v3" in page
    assert 'value="reject"' in page
    entry = AccessLogEntry.objects.get(person=application.applicant)
    assert (entry.channel, entry.actor, entry.agency) == ("admin", user, service.agency)
    assert entry.what == f"application {application.reference}"


def test_an_officer_of_another_agency_gets_not_found(service):
    application = ApplicationFactory.create(service=service)
    browser, _user = _staff(ServiceFactory.create().agency)

    listing = browser.get(QUEUE)
    page = browser.get(_page(application))
    decide = browser.post(_page(application, "decide/"), {"outcome": "approve", "reason": ""})

    assert _references(listing) == []
    assert (page.status_code, decide.status_code) == (404, 404)
    application.refresh_from_db()
    assert application.status == "manual_review"
    assert not AccessLogEntry.objects.filter(person=application.applicant).exists()


def test_nothing_is_edited_added_or_deleted_in_admin(browser, service):
    application = ApplicationFactory.create(service=service)

    page = browser.get(_page(application)).content.decode()

    assert 'name="_save"' not in page
    assert browser.get(f"{QUEUE}add/").status_code == 403
    assert browser.post(_page(application, "delete/"), {"post": "yes"}).status_code == 403
    assert Application.objects.filter(pk=application.pk).exists()


# Deciding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "reason", "status", "decided_by", "kind"),
    [
        ("approve", "", "approved", "officer", "application.approved"),
        ("reject", "Income above the limit.", "rejected", "officer", "application.rejected"),
        # A return is not a decision yet: the applicant adds something and submits again.
        ("return", "Add your tenancy contract.", "returned", "", "application.returned"),
    ],
)
def test_an_officer_decides_from_the_page(
    officer, service, outcome, reason, status, decided_by, kind
):
    # given
    browser, user = officer
    application = ApplicationFactory.create(service=service)
    # when
    response = browser.post(
        _page(application, "decide/"), {"outcome": outcome, "reason": reason}, follow=True
    )
    # then
    assert response.status_code == 200
    application.refresh_from_db()
    assert (application.status, application.decided_by) == (status, decided_by)
    event = ApplicationEvent.objects.get(application=application)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "manual_review",
        status,
        user,
        reason,
    )
    message = Message.objects.get(recipient=application.applicant)
    assert message.kind == kind
    assert reason in message.body
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_a_rejection_without_a_reason_is_refused(browser, service):
    application = ApplicationFactory.create(service=service)

    response = browser.post(
        _page(application, "decide/"), {"outcome": "reject", "reason": "  "}, follow=True
    )

    assert [(m.level_tag, str(m)) for m in response.context["messages"]] == [
        ("error", "Say why, in words the applicant reads.")
    ]
    application.refresh_from_db()
    assert application.status == "manual_review"
    assert not application.events.exists()
    assert not Message.objects.exists()


def test_an_application_no_longer_in_review_is_not_decided_again(browser, service):
    application = ApplicationFactory.create(service=service, status="approved")

    response = browser.post(
        _page(application, "decide/"), {"outcome": "reject", "reason": "No."}, follow=True
    )

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    application.refresh_from_db()
    assert application.status == "approved"


def test_deciding_needs_a_post(browser, service):
    application = ApplicationFactory.create(service=service)

    assert browser.get(_page(application, "decide/")).status_code == 405


def test_deciding_needs_the_csrf_token(officer, service):
    _browser, user = officer
    strict = sign_in_to_admin(Client(enforce_csrf_checks=True), user)
    application = ApplicationFactory.create(service=service)

    response = strict.post(_page(application, "decide/"), {"outcome": "approve", "reason": ""})

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == "manual_review"


def test_assign_to_me(officer, service):
    browser, user = officer
    waiting = ApplicationFactory.create(service=service)
    decided = ApplicationFactory.create(service=service, status="approved")

    response = browser.post(
        QUEUE,
        {"action": "assign_to_me", "_selected_action": [waiting.pk, decided.pk]},
        follow=True,
    )

    waiting.refresh_from_db()
    decided.refresh_from_db()
    assert (waiting.assigned_to, decided.assigned_to) == (user, None)
    assert sorted(m.level_tag for m in response.context["messages"]) == ["error", "success"]

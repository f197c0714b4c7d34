"""Complaints in admin (complaints/admin/complaints.py): the officer's queue of their agency's
complaints by deadline, the read-only page with photos, map, history and (for the handling
agency only) the reporter's contact, the buttons that call the handling actions, the
dispatcher's queue, the supervisor's escalations — and nothing at all for other agencies."""

import datetime
import html
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from complaints.actions import handling
from complaints.models import Complaint, ComplaintEvent, Escalation, Photo
from identity.models import AccessLogEntry, Jurisdiction, Membership
from tests.complaints.handling_support import (
    category_of,
    complaint_of,
    dispatch_centre,
    staff,
    waiting_for_dispatch,
)
from tests.conftest import sign_in_to_admin
from tests.factories import (
    AgencyFactory,
    ComplaintCategoryFactory,
    DistrictFactory,
    JurisdictionFactory,
)

pytestmark = pytest.mark.django_db

S = Complaint.Status
R = Membership.Role
QUEUE = "/admin/complaints/complaint/"
DISPATCH = "/admin/complaints/dispatchqueuecomplaint/"
ESCALATIONS = "/admin/complaints/escalation/"
RED = "color:#ba2121"


def browser_for(user: Any) -> Client:
    return sign_in_to_admin(Client(), user)


def page(complaint: Complaint, suffix: str = "change/", base: str = QUEUE) -> str:
    return f"{base}{complaint.pk}/{suffix}"


def handle(complaint: Complaint, action: str, base: str = QUEUE) -> str:
    return page(complaint, f"handle/{action}/", base)


def listed(response: Any) -> list[str]:
    return [c.tracking_number for c in response.context["cl"].result_list]


def due_in(complaint: Complaint, hours: float) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(
        resolution_due=timezone.now() + datetime.timedelta(hours=hours)
    )
    complaint.refresh_from_db()
    return complaint


def snapshot(complaint: Complaint) -> tuple[Any, ...]:
    complaint = Complaint.objects.get(pk=complaint.pk)
    return (complaint.status, complaint.agency_id, complaint.paused_at, complaint.events.count())


@pytest.fixture
def browser(officer) -> Client:
    return browser_for(officer)


@pytest.fixture
def complaint(agency):
    return complaint_of(agency, contact_email="noi@example.org", contact_name="Noi")


# The queue -----------------------------------------------------------------------------------


def test_the_queue_shows_the_agencys_open_complaints_overdue_first(browser, agency, other_agency):
    # given
    category = category_of(agency)
    later = due_in(complaint_of(agency, S.ACCEPTED, category=category), 30)
    overdue = due_in(complaint_of(agency, category=category), -3)
    soon = due_in(complaint_of(agency, S.IN_PROGRESS, category=category), 2)
    closed = due_in(complaint_of(agency, S.CLOSED, category=category), -50)
    due_in(complaint_of(other_agency), -90)  # another agency's
    # when
    response = browser.get(QUEUE)
    everything = browser.get(QUEUE, {"queue": "all"})
    # then
    assert response.status_code == 200
    assert listed(response) == [overdue.tracking_number, soon.tracking_number,
                                later.tracking_number]  # fmt: skip
    assert listed(everything) == [closed.tracking_number, *listed(response)]
    html = response.content.decode()
    assert RED in html
    assert html.count(">overdue</strong>") == 1
    assert category.name in html


def test_supervisors_filter_what_is_overdue(agency):
    # given
    supervisor = browser_for(staff(agency, R.SUPERVISOR))
    late = due_in(complaint_of(agency), -1)
    due_in(complaint_of(agency), 5)
    # when
    response = supervisor.get(QUEUE, {"overdue": "yes"})
    # then
    assert listed(response) == [late.tracking_number]
    assert "?overdue=yes" in response.content.decode()


def test_the_overdue_filter_is_for_supervisors(browser, agency):
    due_in(complaint_of(agency), -1)

    assert "?overdue=yes" not in browser.get(QUEUE).content.decode()


def test_the_queue_reads_as_many_rows_for_two_complaints_as_for_twelve(browser, agency):
    # given
    category = category_of(agency)
    counts = []
    for batch in (2, 10):
        for _ in range(batch):
            complaint_of(agency, category=category)
        # when
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(QUEUE).status_code == 200
        counts.append(len(queries))
    # then
    assert counts[0] == counts[1]


def test_a_page_of_the_queue_reads_a_fixed_number_of_queries(browser, agency, other_agency):
    """The account and its second factor, its permissions, its roles, the jurisdictions
    around its agency, the filters' categories and districts (whose names the rows show),
    the capped count and the page: nothing per row, nothing per model in the sidebar."""
    # given: a full page and more, of several categories and districts, and another
    # agency's complaints
    districts = DistrictFactory.create_batch(3, jurisdiction=agency.jurisdiction)
    categories = [category_of(agency) for _ in range(3)]
    for n in range(55):
        complaint = complaint_of(agency, category=categories[n % 3])
        Complaint.objects.filter(pk=complaint.pk).update(district=districts[n % 3])
    elsewhere = complaint_of(other_agency, category=category_of(other_agency))
    Complaint.objects.filter(pk=elsewhere.pk).update(district=districts[0])
    browser.get(QUEUE)  # the session and the account's first read
    for url in (QUEUE, f"{QUEUE}?p=2", f"{QUEUE}?queue=all&category={categories[0].pk}"):
        # when
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(url)
        # then
        assert response.status_code == 200
        read = [q["sql"] for q in queries if "django_session" not in q["sql"]]
        assert len(read) == 11, "\n".join(read)
        assert elsewhere.tracking_number not in response.content.decode()


def test_the_queue_never_counts_the_whole_table(browser, agency):
    complaint_of(agency)

    with CaptureQueriesContext(connection) as queries:
        response = browser.get(QUEUE)

    assert response.context["cl"].show_full_result_count is False
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the paginator counts the page range"
    assert all("LIMIT 10000" in sql for sql in counts if "complaints_complaint" in sql)


def test_the_filters_offer_the_catalogue_of_the_jurisdictions_above_and_beneath(agency):
    # given: an agency five levels down a province, a category at each level and at the one
    # beneath, and one of a neighbouring district
    province = agency.jurisdiction.parent
    levels = [province, agency.jurisdiction]
    for n in range(4):
        levels.append(JurisdictionFactory.create(
            code=f"level-{n}", level=Jurisdiction.Level.DISTRICT, parent=levels[-1]
        ))  # fmt: skip
    neighbour = JurisdictionFactory.create(
        code="neighbour", level=Jurisdiction.Level.DISTRICT, parent=levels[2]
    )
    for n, jurisdiction in enumerate([*levels, neighbour]):
        ComplaintCategoryFactory.create(jurisdiction=jurisdiction, name=f"Category at {n}")
    officer = staff(AgencyFactory.create(jurisdiction=levels[4]))
    # when
    html = browser_for(officer).get(QUEUE).content.decode()
    # then
    assert [n for n in range(7) if f"Category at {n}<" in html] == [0, 1, 2, 3, 4, 5]


def djangos_rows(response: Any, language: str) -> list[str]:
    """The page's rows as Django's own `items_for_result` writes them."""
    changelist = response.context["cl"]
    with translation.override(language):
        return [
            f"<tr>{''.join(items_for_result(changelist, row, None))}</tr>"
            for row in changelist.result_list
        ]


@pytest.mark.parametrize("language", ["en", "th", "zh-hans"])
def test_the_queues_rows_are_written_as_django_writes_them(browser, agency, language):
    # given: names to escape and translate (none in Chinese: English is the fallback), an
    # overdue complaint, one waiting for the reporter, one with no district
    category = category_of(agency, name='Potholes & "ruts" <deep>', name_th="หลุมบนถนน")
    district = DistrictFactory.create(
        jurisdiction=agency.jurisdiction, name="Old <Town>", name_th="เมืองเก่า"
    )
    overdue = due_in(complaint_of(agency, category=category), -3)
    paused = due_in(complaint_of(agency, S.ACCEPTED, category=category), 8)
    placeless = due_in(complaint_of(agency, S.IN_PROGRESS, category=category), 30)
    Complaint.objects.filter(pk__in=[overdue.pk, paused.pk]).update(district=district)
    Complaint.objects.filter(pk=placeless.pk).update(district=None)
    Complaint.objects.filter(pk=paused.pk).update(paused_at=timezone.now())
    # when: filtered, so that each row's link carries the filters
    response = browser.get(QUEUE, {"category": category.pk}, HTTP_ACCEPT_LANGUAGE=language)
    # then
    html = response.content.decode()
    rows = djangos_rows(response, language)
    assert len(rows) == 3
    assert all(row in html for row in rows), (rows, html)
    assert html.count('class="action-select"') == 3
    assert ("หลุมบนถนน" in html, "เมืองเก่า" in html) == (language == "th", language == "th")
    assert "_changelist_filters=category%3D" in html


def test_the_dispatch_queues_rows_are_written_as_django_writes_them(agency, dispatcher):
    # given
    waiting = waiting_for_dispatch(agency.jurisdiction)
    Complaint.objects.filter(pk=waiting.pk).update(
        district=DistrictFactory.create(jurisdiction=agency.jurisdiction, name_th="เมืองเก่า")
    )
    waiting_for_dispatch(agency.jurisdiction)
    # when
    response = browser_for(dispatcher).get(DISPATCH, HTTP_ACCEPT_LANGUAGE="th")
    # then
    rows = djangos_rows(response, "th")
    assert len(rows) == 2
    assert all(row in response.content.decode() for row in rows)


def test_a_tracking_number_finds_the_complaint(browser, agency, complaint):
    complaint_of(agency)

    response = browser.get(QUEUE, {"q": complaint.tracking_number.lower()})

    assert listed(response) == [complaint.tracking_number]


# The complaint's page ------------------------------------------------------------------------


def test_the_page_shows_photos_map_history_and_the_contact_and_logs_the_read(
    officer, browser, complaint, agency
):
    # given
    Photo.objects.create(
        complaint=complaint, image="complaints/2026/11/lamp.jpg", content_type="image/jpeg",
        width=40, height=20, size=1200,
    )  # fmt: skip
    ComplaintEvent.objects.create(
        complaint=complaint, from_status="routed", to_status="routed", actor_kind="officer",
        actor=officer, agency=agency, note="Crew lead is on leave.", is_public=False,
    )  # fmt: skip
    # when
    response = browser.get(page(complaint))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert '<img src="/media/complaints/2026/11/lamp.jpg"' in html
    assert '<a href="/media/complaints/2026/11/lamp.jpg"' in html
    assert "https://www.openstreetmap.org/?mlat=13.500000&amp;mlon=100.500000" in html
    assert "Crew lead is on leave." in html
    assert "noi@example.org" in html
    assert f"{complaint.pk}/handle/accept/" in html
    assert 'name="_save"' not in html
    entry = AccessLogEntry.objects.get(person=complaint.reporter)
    assert (entry.channel, entry.actor, entry.agency, entry.what) == (
        "admin",
        officer,
        agency,
        f"complaint {complaint.tracking_number}",
    )


def test_a_dispatcher_reads_the_page_without_the_contact(agency, complaint):
    dispatcher = browser_for(staff(dispatch_centre(agency.jurisdiction), R.DISPATCHER))

    response = dispatcher.get(page(complaint))

    assert response.status_code == 200
    html = response.content.decode()
    assert "noi@example.org" not in html
    assert "Reporter&#x27;s contact" not in html
    assert f"{complaint.pk}/handle/accept/" not in html


def test_another_agencys_complaints_are_not_found(complaint, other_agency):
    # given
    stranger = browser_for(staff(other_agency))
    before = snapshot(complaint)
    # when
    listing = stranger.get(QUEUE, {"queue": "all"})
    shown = stranger.get(page(complaint))
    form = stranger.get(handle(complaint, "accept"))
    posted = stranger.post(handle(complaint, "accept"), {"note": "Phoned."})
    # then
    assert listed(listing) == []
    assert (shown.status_code, form.status_code, posted.status_code) == (404, 404, 404)
    assert snapshot(complaint) == before
    assert not AccessLogEntry.objects.filter(person=complaint.reporter).exists()


def test_nothing_is_added_edited_or_deleted_in_admin(browser, complaint):
    assert browser.get(f"{QUEUE}add/").status_code == 403
    assert browser.post(page(complaint, "delete/"), {"post": "yes"}).status_code == 403
    assert browser.post(page(complaint), {"description": "Changed"}).status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).description == complaint.description


# The buttons ---------------------------------------------------------------------------------


def _ready(action: str, agency: Any, officer: Any) -> tuple[Complaint, dict[str, Any]]:
    """A complaint the action applies to, and the form to send."""
    complaint = complaint_of(agency, S.ACCEPTED if action in ("start", "resolve", "pause",
                                                              "resume") else S.ROUTED)  # fmt: skip
    if action == "resume":
        handling.pause_clock(complaint=complaint, by=officer, question="Where?")
    forms: dict[str, dict[str, Any]] = {
        "accept": {"note": "Phoned at 10:05."},
        "start": {"note": ""},
        "resolve": {"note": "Lamp replaced."},
        "reject": {"reason": "Private road."},
        "transfer": {
            "agency": AgencyFactory.create(jurisdiction=agency.jurisdiction).pk,
            "reason": "Roads.",
        },
        "duplicate": {"original": complaint_of(agency).tracking_number.lower(), "note": ""},
        "pause": {"question": "Which side of the road?"},
        "resume": {"note": ""},
        "notes": {"note": "Parts ordered."},
    }
    return complaint, forms[action]


@pytest.mark.parametrize(
    ("action", "status", "stays"),
    [
        ("accept", S.ACCEPTED, True),
        ("start", S.IN_PROGRESS, True),
        ("resolve", S.RESOLVED, True),
        ("reject", S.REJECTED, False),
        ("transfer", S.TRANSFERRED, False),
        ("duplicate", S.DUPLICATE, True),
        ("pause", S.ACCEPTED, True),
        ("resume", S.ACCEPTED, True),
        ("notes", S.ROUTED, True),
    ],
)
def test_each_button_calls_the_action_and_writes_the_history(
    browser, officer, agency, action, status, stays
):
    # given
    complaint, form = _ready(action, agency, officer)
    events = complaint.events.count()
    # when
    shown = browser.get(handle(complaint, action))
    done = browser.post(handle(complaint, action), form)
    # then
    assert shown.status_code == 200
    assert done.status_code == 302
    assert done["Location"] == (page(complaint) if stays else QUEUE)
    complaint.refresh_from_db()
    assert complaint.status == status
    assert complaint.events.count() > events
    last = complaint.events.latest("pk")
    assert (last.actor, last.actor_kind) == (officer, "officer")


def test_a_missing_note_is_shown_on_the_form_and_changes_nothing(browser, complaint):
    before = snapshot(complaint)

    response = browser.post(handle(complaint, "accept"), {"note": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {"note": ["This field is required."]}
    assert snapshot(complaint) == before


def test_a_refusal_by_the_action_is_shown_on_the_form(browser, agency):
    # given a complaint of another jurisdiction as the "original"
    complaint = complaint_of(agency)
    elsewhere = complaint_of(AgencyFactory.create())
    before = snapshot(complaint)
    # when
    response = browser.post(handle(complaint, "duplicate"), {"original": elsewhere.tracking_number})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["original"] == [
        "Choose another complaint of this jurisdiction that is still open and not itself a "
        "duplicate."
    ]
    assert snapshot(complaint) == before


def test_a_button_not_offered_now_leads_back_to_the_page(browser, agency):
    complaint = complaint_of(agency, S.RESOLVED)

    response = browser.get(handle(complaint, "accept"))
    posted = browser.post(handle(complaint, "accept"), {"note": "Phoned."})

    assert (response.status_code, response["Location"]) == (302, page(complaint))
    assert posted.status_code == 200
    assert "cannot move to that status" in posted.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).status == S.RESOLVED


def test_work_starts_on_the_selected_complaints(browser, agency, officer):
    accepted = complaint_of(agency, S.ACCEPTED)
    routed = complaint_of(agency)

    response = browser.post(
        QUEUE, {"action": "start_work", "_selected_action": [accepted.pk, routed.pk]}, follow=True
    )

    assert response.status_code == 200
    accepted.refresh_from_db()
    routed.refresh_from_db()
    assert (accepted.status, routed.status) == (S.IN_PROGRESS, S.ROUTED)
    assert accepted.events.latest("pk").actor == officer
    texts = [str(m) for m in response.context["messages"]]
    assert f"{accepted.tracking_number}: work has started." in texts
    assert any(t.startswith(f"{routed.tracking_number}: ") for t in texts)


# The dispatch queue --------------------------------------------------------------------------


@pytest.fixture
def dispatcher(agency):
    return staff(dispatch_centre(agency.jurisdiction.parent), R.DISPATCHER)


def test_the_dispatch_queue_holds_the_unrouted_and_the_rejected_across_the_jurisdiction(
    agency, officer, dispatcher
):
    # given
    unrouted = waiting_for_dispatch(agency.jurisdiction)
    rejected = complaint_of(agency)
    handling.reject_complaint(complaint=rejected, by=officer, reason="Private road.")
    complaint_of(agency)  # routed: not waiting
    waiting_for_dispatch(AgencyFactory.create().jurisdiction)  # another province's
    # when
    response = browser_for(dispatcher).get(DISPATCH)
    # then
    assert response.status_code == 200
    assert listed(response) == [unrouted.tracking_number, rejected.tracking_number]


def test_officers_have_no_dispatch_queue(browser):
    assert browser.get(DISPATCH).status_code == 403


def test_the_dispatcher_routes_from_the_page(agency, dispatcher):
    # given
    waiting = waiting_for_dispatch(agency.jurisdiction)
    browser = browser_for(dispatcher)
    # when
    shown = browser.get(page(waiting, base=DISPATCH))
    form = browser.get(handle(waiting, "dispatch", DISPATCH))
    done = browser.post(handle(waiting, "dispatch", DISPATCH), {"agency": agency.pk, "note": ""})
    # then
    assert f"{waiting.pk}/handle/dispatch/" in shown.content.decode()
    assert agency.name in form.content.decode()
    assert (done.status_code, done["Location"]) == (302, DISPATCH)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.agency, waiting.dispatch_since) == (S.ROUTED, agency, None)
    assert waiting.events.latest("pk").actor == dispatcher


def test_the_dispatcher_routes_several_through_an_intermediate_page(agency, dispatcher):
    # given
    first = waiting_for_dispatch(agency.jurisdiction)
    second = waiting_for_dispatch(agency.jurisdiction)
    browser = browser_for(dispatcher)
    selected = {"action": "route_to_agency", "_selected_action": [first.pk, second.pk]}
    # when
    asked = browser.post(DISPATCH, selected)
    done = browser.post(DISPATCH, {**selected, "apply": "1", "agency": agency.pk, "note": ""})
    # then
    assert asked.status_code == 200
    assert "Route 2 complaints" in asked.content.decode()
    assert done.status_code == 302
    for complaint in (first, second):
        complaint.refresh_from_db()
        assert (complaint.status, complaint.agency) == (S.ROUTED, agency)


# Escalations ---------------------------------------------------------------------------------


def _escalate(complaint: Complaint, agency: Any) -> Escalation:
    return Escalation.objects.create(
        complaint=complaint, reason="resolution", level=1, target="agency_supervisors",
        agency=agency, deadline=complaint.resolution_due,
    )  # fmt: skip


def test_supervisors_see_their_agencys_escalations(agency, other_agency):
    # given
    mine = _escalate(complaint_of(agency), agency)
    _escalate(complaint_of(other_agency), other_agency)
    supervisor = browser_for(staff(agency, R.SUPERVISOR))
    # when
    response = supervisor.get(ESCALATIONS)
    # then
    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [mine.pk]
    assert f'href="{page(mine.complaint)}"' in response.content.decode()
    assert supervisor.get(f"{ESCALATIONS}add/").status_code == 403


def test_officers_see_no_escalations(browser, agency):
    _escalate(complaint_of(agency), agency)

    assert browser.get(ESCALATIONS).status_code == 403


def test_each_row_of_the_queue_has_the_selection_checkbox(browser, agency, officer):
    complaint = complaint_of(agency)

    page_html = browser.get(QUEUE).content.decode()

    assert (
        f'<input type="checkbox" name="_selected_action" value="{complaint.pk}" '
        f'class="action-select" aria-label="Select this object for an action - {complaint}">'
    ) in page_html
    assert 'id="action-toggle"' in page_html


def test_each_row_links_to_its_page_keeping_the_queues_filters(browser, agency):
    complaint = complaint_of(agency)
    filters = urlencode({"q": complaint.tracking_number})
    expected = f"{page(complaint)}?{urlencode({'_changelist_filters': filters})}"

    filtered = browser.get(f"{QUEUE}?{filters}").content.decode()
    unfiltered = browser.get(QUEUE).content.decode()

    assert f'href="{html.escape(expected)}"' in filtered
    assert f'href="{page(complaint)}"' in unfiltered

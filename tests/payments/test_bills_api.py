"""Bills: billers push them (idempotent on biller and number) and cancel them; services raise fee
bills; citizens list and read the bills they may see; a sweep marks them overdue or expired; the
ledger follows every step (the payments conftest checks it balances after each test)."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from identity.actions.clients import create_api_client
from identity.models import AccessLogEntry
from payments.actions.bills import (
    BillLineData,
    BillNumberConflict,
    apply_payment_to_bill,
    mark_overdue_and_expired_bills,
    push_bill,
    raise_service_fee_bill,
    service_fee_bill_number,
)
from payments.bill_tasks import mark_overdue_and_expired_bills_task
from payments.models import (
    Bill,
    BillerAccount,
    BillLine,
    BillType,
    LedgerEntry,
    LedgerTransaction,
    PaymentAllocation,
    PaymentAttempt,
)
from tests.conftest import client_for, sign_in_to_admin
from tests.factories import (
    BillerFactory,
    BusinessFactory,
    MandateFactory,
    MembershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

BILLS = "/api/v1/bills"

ANONYMOUS = "anonymous"
OWNER = "owner"
OTHER_CITIZEN = "other_citizen"
OFFICER = "officer"
OTHER_OFFICER = "other_officer"
INTEGRATOR = "integrator"  # the biller's own, with bills:write
OTHER_BILLER_INTEGRATOR = "other_biller_integrator"  # with bills:write, for another biller
UNSCOPED_INTEGRATOR = "integrator_without_scope"


@pytest.fixture
def water_client(integrator):
    return integrator("bills:write")


@pytest.fixture
def water(agency, water_client):
    biller = BillerFactory.create(
        code="water",
        name="Waterworks",
        kind="water",
        agency=agency,
        api_client=water_client.api_client,
    )
    BillType.objects.create(biller=biller, code="water", name="Water supply")
    return biller


@pytest.fixture
def gas_client(integrator, other_agency):
    return integrator("bills:write", for_agency=other_agency)


@pytest.fixture
def gas(other_agency, gas_client):
    return BillerFactory.create(
        code="gas",
        name="City Gas",
        kind="gas",
        agency=other_agency,
        api_client=gas_client.api_client,
    )


@pytest.fixture
def caller(request, api, integrator, water_client, gas):
    def make(name):
        return {
            ANONYMOUS: lambda: api,
            OWNER: lambda: request.getfixturevalue("citizen_api"),
            OTHER_CITIZEN: lambda: request.getfixturevalue("other_citizen_api"),
            OFFICER: lambda: request.getfixturevalue("officer_api"),
            OTHER_OFFICER: lambda: request.getfixturevalue("other_officer_api"),
            INTEGRATOR: lambda: water_client,
            OTHER_BILLER_INTEGRATOR: lambda: request.getfixturevalue("gas_client"),
            UNSCOPED_INTEGRATOR: lambda: integrator("one-code:verify"),
        }[name]()

    return make


def push_url(code="water"):
    return f"/api/v1/billers/{code}/bills"


def cancel_url(number, code="water"):
    return f"/api/v1/billers/{code}/bills/{number}/cancel"


def bill_body(**changes):
    body = {
        "number": "W-2025-0001",
        "bill_type": "water",
        "account_number": "WA100001",
        "lines": [
            {
                "fee_type": "water",
                "period": "2025-05",
                "description": "18 m3",
                "amount_minor": 28850,
            },
            {"fee_type": "meter", "period": "2025-05", "amount_minor": 1500},
        ],
        "currency": "THB",
        "due_date": "2030-06-30",
    }
    return {**body, **changes}


def bill_for(biller, *, payer=None, account_number="", amount_minor=50000, number=None, **extra):
    """A bill as its biller pushes it (through the action, so the ledger posts it)."""
    bill = push_bill(
        biller=biller,
        number=number or f"N-{Bill.objects.count() + 1:05d}",
        account_number=account_number or f"ACC-{Bill.objects.count() + 1}",
        lines=[BillLineData(fee_type="fee", amount_minor=amount_minor)],
        currency=biller.currency,
        due_date=extra.pop("due_date", timezone.localdate() + datetime.timedelta(days=14)),
        **extra,
    ).bill
    if payer is not None:
        Bill.objects.filter(pk=bill.pk).update(payer=payer)
        bill.refresh_from_db()
    return bill


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def error_fields(response):
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


def balance(code):
    """The balance of a ledger account, e.g. "receivable:water:THB"."""
    return (
        LedgerEntry.objects.filter(account__code=code).aggregate(total=Sum("amount_minor"))["total"]
        or 0
    )


def receivable_matches_bills(biller):
    """What receivable holds for a biller is exactly what its payable bills still owe (in these
    tests nothing is captured, so nothing else moves receivable)."""
    owed = sum(
        bill.outstanding_minor
        for bill in Bill.objects.filter(biller=biller, status__in=Bill.PAYABLE)
    )
    return balance(f"receivable:{biller.code}:{biller.currency}") == owed


def nothing_stored():
    return (Bill.objects.count(), BillLine.objects.count(), LedgerTransaction.objects.count()) == (
        0,
        0,
        0,
    )


# Pushing bills -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 403),
        (OTHER_CITIZEN, 403),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 201),
        (OTHER_BILLER_INTEGRATOR, 404),  # scoped, but not this biller's: no such biller for it
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_push_permissions(caller, water, who, status):
    # when
    response = caller(who).post(push_url(), bill_body())
    # then
    assert response.status_code == status, response.content
    assert Bill.objects.count() == (1 if status == 201 else 0)


def test_a_pushed_bill_is_stored_with_its_lines_and_posted(water_client, water):
    # when
    response = water_client.post(push_url(), bill_body(minimum_payable_minor=10000))
    # then
    assert response.status_code == 201, response.content
    bill = Bill.objects.get()
    assert response.json() == {
        "id": str(bill.public_id),
        "number": "W-2025-0001",
        "biller": {"code": "water", "name": "Waterworks"},
        "bill_type": {"code": "water", "name": "Water supply"},
        "account_number": "WA100001",
        "source": "biller",
        "reference": "",
        "currency": "THB",
        "total_minor": 30350,
        "paid_minor": 0,
        "outstanding_minor": 30350,
        "minimum_payable_minor": 10000,
        "due_date": "2030-06-30",
        "expires_at": None,
        "status": "open",
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
        "lines": [
            {
                "fee_type": "water",
                "period": "2025-05",
                "description": "18 m3",
                "amount_minor": 28850,
            },
            {"fee_type": "meter", "period": "2025-05", "description": "", "amount_minor": 1500},
        ],
    }
    assert bill.payer is None
    txn = LedgerTransaction.objects.get()
    assert txn.kind == "bill"
    assert sorted(txn.entries.values_list("account__code", "amount_minor")) == [
        ("billed:water:THB", -30350),
        ("receivable:water:THB", 30350),
    ]


def test_the_minimum_payable_defaults_to_the_total(water_client, water):
    # when
    response = water_client.post(push_url(), bill_body())
    # then
    assert response.json()["minimum_payable_minor"] == 30350


def test_the_same_bill_pushed_again_is_the_stored_one(water_client, water):
    # given
    first = water_client.post(push_url(), bill_body())
    # when
    again = water_client.post(push_url(), bill_body())
    # then
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (Bill.objects.count(), LedgerTransaction.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    "changes",
    [
        {"due_date": "2030-07-31"},
        {"account_number": "WA100002"},
        {"minimum_payable_minor": 100},
        {"lines": [{"fee_type": "water", "period": "2025-05", "amount_minor": 28850}]},
        {"bill_type": None},
    ],
)
def test_other_content_under_a_used_number_is_a_conflict(water_client, water, changes):
    # given
    first = water_client.post(push_url(), bill_body()).json()
    # when
    response = water_client.post(push_url(), bill_body(**changes))
    # then
    assert_problem(response, 409, "bill_number_conflict")
    assert error_fields(response) == {("number", "conflict")}
    assert (Bill.objects.count(), LedgerTransaction.objects.count()) == (1, 1)
    assert water_client.post(push_url(), bill_body()).json() == first  # unchanged


def test_another_biller_may_use_the_same_number(water_client, gas_client, water, gas):
    # when
    response = gas_client.post(push_url("gas"), bill_body(bill_type=None))
    water_client.post(push_url(), bill_body())
    # then
    assert response.status_code == 201
    assert Bill.objects.filter(number="W-2025-0001").count() == 2


@pytest.mark.parametrize(
    ("changes", "status", "code", "errors"),
    [
        (
            {"lines": [{"fee_type": "water", "amount_minor": -100}]},
            400,
            "validation_error",
            {("lines.0.amount_minor", "min_value")},
        ),
        (
            {
                "lines": [
                    {"fee_type": "water", "amount_minor": 100},
                    {"fee_type": "x", "amount_minor": 0},
                ]
            },
            400,
            "validation_error",
            {("lines.1.amount_minor", "min_value")},
        ),
        ({"lines": []}, 400, "validation_error", {("lines", "empty")}),
        ({"currency": "thb"}, 400, "validation_error", {("currency", "malformed_currency")}),
        ({"currency": "TH1"}, 400, "validation_error", {("currency", "malformed_currency")}),
        ({"currency": "BAHT"}, 400, "validation_error", {("currency", "max_length")}),
        ({"currency": "USD"}, 422, "currency_mismatch", {("currency", "not_biller_currency")}),
        (
            {"minimum_payable_minor": 30351},
            422,
            "minimum_payable_above_total",
            {("minimum_payable_minor", "above_total")},
        ),
        (
            {"minimum_payable_minor": 0},
            400,
            "validation_error",
            {("minimum_payable_minor", "min_value")},
        ),
        ({"bill_type": "sewage"}, 422, "unknown_bill_type", {("bill_type", "does_not_exist")}),
        (
            {"expires_at": "2020-01-01T00:00:00Z"},
            422,
            "invalid_expiry",
            {("expires_at", "in_the_past")},
        ),
        ({"number": "W/2025/1"}, 400, "validation_error", {("number", "invalid_bill_number")}),
        ({"due_date": "soon"}, 400, "validation_error", {("due_date", "invalid")}),
        ({"account_number": " "}, 400, "validation_error", {("account_number", "blank")}),
    ],
)
def test_bad_bills_are_refused_with_a_clear_code(
    water_client, water, changes, status, code, errors
):
    # when
    response = water_client.post(push_url(), bill_body(**changes))
    # then
    assert_problem(response, status, code)
    assert error_fields(response) == errors
    assert nothing_stored()


def test_missing_fields_are_named(water_client, water):
    # when
    response = water_client.post(push_url(), {})
    # then
    assert_problem(response, 400, "validation_error")
    assert error_fields(response) == {
        ("number", "required"),
        ("account_number", "required"),
        ("lines", "required"),
        ("currency", "required"),
        ("due_date", "required"),
    }
    assert nothing_stored()


def test_an_unknown_or_inactive_biller_is_not_found(water_client, water):
    # given
    water.is_active = False
    water.save()
    # when
    unknown = water_client.post(push_url("sewage"), bill_body())
    inactive = water_client.post(push_url(), bill_body())
    # then
    assert_problem(unknown, 404, "not_found")
    assert_problem(inactive, 404, "not_found")
    assert nothing_stored()


def test_a_bill_goes_to_the_one_person_who_linked_its_account(water_client, water, person):
    # given
    BillerAccount.objects.create(person=person, biller=water, account_number="WA100001")
    BillerAccount.objects.create(
        person=PersonFactory.create(),
        biller=water,
        account_number="WA100001",
        unlinked_at=timezone.now(),
    )
    # when
    water_client.post(push_url(), bill_body(account_number="wa100001"))
    # then
    assert Bill.objects.get().payer == person


def test_a_bill_of_an_account_several_people_linked_has_no_payer_and_all_see_it(
    water_client, water, person, citizen_api
):
    # given
    housemate = PersonFactory.create()
    for who in (person, housemate):
        BillerAccount.objects.create(person=who, biller=water, account_number="WA100001")
    stranger = PersonFactory.create()
    # when
    public_id = water_client.post(push_url(), bill_body()).json()["id"]
    # then
    assert Bill.objects.get().payer is None
    assert citizen_api.get(f"{BILLS}/{public_id}").status_code == 200
    assert client_for(housemate.user).get(f"{BILLS}/{public_id}").status_code == 200
    assert client_for(stranger.user).get(f"{BILLS}/{public_id}").status_code == 404


# Cancelling --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 403),
        (OTHER_CITIZEN, 403),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 200),
        (OTHER_BILLER_INTEGRATOR, 404),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_cancel_permissions(caller, water, person, who, status):
    # given
    bill = bill_for(water, payer=person, number="W-1")
    # when
    response = caller(who).post(cancel_url("W-1"), {"reason": "meter misread"})
    # then
    assert response.status_code == status
    bill.refresh_from_db()
    assert bill.status == ("cancelled" if status == 200 else "open")
    assert LedgerTransaction.objects.count() == (2 if status == 200 else 1)


def test_cancelling_writes_the_bill_off(water_client, water):
    # given
    bill = bill_for(water, number="W-1", amount_minor=30350)
    # when
    response = water_client.post(cancel_url("W-1"))
    again = water_client.post(cancel_url("W-1"))
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert again.json() == response.json()
    writeoff = LedgerTransaction.objects.get(kind="bill_writeoff")
    assert sorted(writeoff.entries.values_list("account__code", "amount_minor")) == [
        ("billed:water:THB", 30350),
        ("receivable:water:THB", -30350),
    ]
    assert balance("receivable:water:THB") == 0
    assert receivable_matches_bills(water)
    # the cancelled bill cannot be pushed again with other content; a new number is the way
    assert_problem(
        water_client.post(push_url(), bill_body(number="W-1")), 409, "bill_number_conflict"
    )
    bill.refresh_from_db()
    assert bill.status == "cancelled"


def test_a_bill_with_something_paid_cannot_be_cancelled(water_client, water):
    # given
    bill = bill_for(water, number="W-1", amount_minor=30000)
    Bill.objects.filter(pk=bill.pk).update(paid_minor=1000, status="partially_paid")
    # when
    response = water_client.post(cancel_url("W-1"))
    # then
    assert_problem(response, 409, "bill_not_cancellable")
    bill.refresh_from_db()
    assert bill.status == "partially_paid"
    assert LedgerTransaction.objects.count() == 1


def test_a_bill_being_paid_cannot_be_cancelled(water_client, water, person):
    # given
    bill = bill_for(water, payer=person, number="W-1")
    attempt = PaymentAttempt.objects.create(
        biller=water,
        payer=person,
        currency="THB",
        amount_minor=bill.total_minor,
        provider="sandbox",
        expires_at=timezone.now() + datetime.timedelta(minutes=90),
    )
    PaymentAllocation.objects.create(attempt=attempt, bill=bill, amount_minor=bill.total_minor)
    # when
    response = water_client.post(cancel_url("W-1"))
    # then
    assert_problem(response, 409, "bill_payment_in_progress")
    bill.refresh_from_db()
    assert bill.status == "open"


def test_cancelling_an_unknown_number_is_not_found(water_client, water, gas):
    # given: the number exists, at another biller
    bill_for(gas, number="G-1")
    # when
    response = water_client.post(cancel_url("G-1"))
    # then
    assert_problem(response, 404, "not_found")


# Service fee bills -------------------------------------------------------------------------


def test_a_service_raises_a_fee_bill_once_per_reference(citizen_api, person):
    # given
    fees = BillerFactory.create(code="fees", name="Service fees", kind="service_fees")
    due = timezone.localdate() + datetime.timedelta(days=7)
    raise_fee = lambda amount: raise_service_fee_bill(  # noqa: E731
        biller=fees,
        payer=person,
        reference="application:42",
        fee_type="application_fee",
        amount_minor=amount,
        currency="THB",
        due_date=due,
    )
    # when
    bill = raise_fee(25000)
    again = raise_fee(25000)
    # then
    assert again.pk == bill.pk
    assert (bill.source, bill.payer, bill.reference, bill.total_minor, bill.number) == (
        "service",
        person,
        "application:42",
        25000,
        service_fee_bill_number("application:42"),
    )
    assert LedgerTransaction.objects.filter(kind="bill").count() == 1
    with pytest.raises(BillNumberConflict):
        raise_fee(30000)
    body = citizen_api.get(f"{BILLS}/{bill.public_id}").json()
    assert (body["source"], body["reference"], body["lines"]) == (
        "service",
        "application:42",
        [
            {
                "fee_type": "application_fee",
                "period": "",
                "description": "application:42",
                "amount_minor": 25000,
            }
        ],
    )


# Citizens' reads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "sees"),
    [
        (ANONYMOUS, 401, False),
        (OWNER, 200, True),
        (OTHER_CITIZEN, 200, False),
        (OFFICER, 403, False),
        (OTHER_OFFICER, 403, False),
        (INTEGRATOR, 403, False),
        (UNSCOPED_INTEGRATOR, 403, False),
    ],
)
def test_list_permissions(caller, water, person, who, status, sees):
    # given
    bill = bill_for(water, payer=person)
    # when
    response = caller(who).get(BILLS)
    # then
    assert response.status_code == status
    if status == 200:
        assert [item["id"] for item in response.json()["results"]] == (
            [str(bill.public_id)] if sees else []
        )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 200),
        (OTHER_CITIZEN, 404),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 403),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_detail_permissions(caller, water, person, who, status):
    # given
    bill = bill_for(water, payer=person)
    # when
    response = caller(who).get(f"{BILLS}/{bill.public_id}")
    # then
    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == str(bill.public_id)


def test_i_see_my_bills_my_accounts_and_those_of_whom_i_represent(citizen_api, person, water, gas):
    # given
    mine = bill_for(water, payer=person)
    BillerAccount.objects.create(person=person, biller=gas, account_number="GS-1")
    linked = bill_for(gas, account_number="GS-1")
    child = PersonFactory.create(user=None)
    MandateFactory.create(representative=person, for_person=child, scope=["payments"])
    childs = bill_for(water, payer=child)
    BillerAccount.objects.create(person=child, biller=water, account_number="SCHOOL-7")
    childs_account = bill_for(water, account_number="SCHOOL-7")
    business = BusinessFactory.create()
    MandateFactory.create(
        representative=person, for_person=None, for_business=business, scope=["*"]
    )
    businesses = bill_for(water, payer_business=business)
    # not visible: another's bill, another account at the same biller, the same account number at
    # another biller, a mandate without the payments scope, an expired mandate, an unlinked account
    bill_for(water, payer=PersonFactory.create())
    bill_for(gas, account_number="GS-2")
    bill_for(water, account_number="GS-1")
    stranger = PersonFactory.create(user=None)
    MandateFactory.create(representative=person, for_person=stranger, scope=["applications"])
    bill_for(water, payer=stranger)
    former = PersonFactory.create(user=None)
    MandateFactory.create(
        representative=person,
        for_person=former,
        valid_until=timezone.now() - datetime.timedelta(minutes=1),
        valid_from=timezone.now() - datetime.timedelta(days=2),
    )
    bill_for(water, payer=former)
    BillerAccount.objects.create(
        person=person, biller=water, account_number="OLD-1", unlinked_at=timezone.now()
    )
    bill_for(water, account_number="OLD-1")
    # when
    response = citizen_api.get(BILLS)
    # then: newest first
    assert [item["id"] for item in response.json()["results"]] == [
        str(bill.public_id) for bill in (businesses, childs_account, childs, linked, mine)
    ]


def test_the_list_is_filtered_by_status_and_biller(citizen_api, person, water, gas):
    # given
    open_water = bill_for(water, payer=person)
    paid_water = bill_for(water, payer=person)
    Bill.objects.filter(pk=paid_water.pk).update(status="paid", paid_minor=paid_water.total_minor)
    open_gas = bill_for(gas, payer=person)

    def ids(query):
        return [item["id"] for item in citizen_api.get(f"{BILLS}?{query}").json()["results"]]

    # then
    assert ids("status=open") == [str(open_gas.public_id), str(open_water.public_id)]
    assert ids("biller=water") == [str(paid_water.public_id), str(open_water.public_id)]
    assert ids("biller=water&status=paid") == [str(paid_water.public_id)]
    assert ids("biller=nobody") == []


def test_an_unknown_status_filter_is_refused(citizen_api, person):
    # when
    response = citizen_api.get(f"{BILLS}?status=unpaid")
    # then
    assert_problem(response, 400, "validation_error")
    assert error_fields(response) == {("status", "invalid_choice")}


def test_the_list_is_paginated_by_cursor_in_fixed_queries(
    citizen_api, person, water, gas, django_assert_num_queries
):
    # given: bills of many kinds of visibility
    MandateFactory.create(representative=person, scope=["payments"])
    BillerAccount.objects.create(person=person, biller=gas, account_number="GS-1")
    for _ in range(4):
        bill_for(water, payer=person)
        bill_for(gas, account_number="GS-1")
    bill_type = BillType.objects.get(biller=water)
    bill_for(water, payer=person, bill_type_code=bill_type.code)
    # when: 1 mandates + 1 page (the person comes with the account)
    with django_assert_num_queries(2):
        response = citizen_api.get(f"{BILLS}?page_size=5")
    # then
    body = response.json()
    assert len(body["results"]) == 5
    assert body["next"] is not None
    assert len(citizen_api.get(body["next"]).json()["results"]) == 4


def test_a_bill_reads_with_its_lines_in_fixed_queries(
    citizen_api, person, water, django_assert_num_queries
):
    # given
    bill = push_bill(
        biller=water,
        number="W-9",
        account_number="WA1",
        lines=[
            BillLineData(fee_type="water", period="2025-05", amount_minor=1000),
            BillLineData(fee_type="meter", period="2025-05", amount_minor=200),
        ],
        currency="THB",
        due_date=datetime.date(2030, 1, 31),
    ).bill
    BillerAccount.objects.create(person=person, biller=water, account_number="WA1")
    # when: mandates, bill, lines (the person comes with the account)
    with django_assert_num_queries(3):
        response = citizen_api.get(f"{BILLS}/{bill.public_id}")
    # then
    body = response.json()
    assert (body["total_minor"], body["outstanding_minor"], body["biller"]) == (
        1200,
        1200,
        {"code": "water", "name": "Waterworks"},
    )
    assert [line["amount_minor"] for line in body["lines"]] == [1000, 200]


def test_an_unknown_bill_is_not_found(citizen_api, person):
    response = citizen_api.get(f"{BILLS}/00000000-0000-4000-8000-000000000000")
    assert_problem(response, 404, "not_found")


# Overdue and expired -----------------------------------------------------------------------


def test_the_sweep_marks_overdue_and_expires_bills_once(water, person):
    # given
    now = timezone.now()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    past_due = bill_for(water, payer=person, due_date=tomorrow)
    partly_paid = bill_for(water, payer=person, due_date=tomorrow)
    Bill.objects.filter(pk=partly_paid.pk).update(paid_minor=10000, status="partially_paid")
    current = bill_for(water, payer=person)
    expiring = bill_for(water, payer=person, expires_at=now + datetime.timedelta(hours=1))
    being_paid = bill_for(water, payer=person, expires_at=now + datetime.timedelta(hours=1))
    attempt = PaymentAttempt.objects.create(
        biller=water,
        payer=person,
        currency="THB",
        amount_minor=being_paid.total_minor,
        provider="sandbox",
        expires_at=now + datetime.timedelta(minutes=90),
    )
    PaymentAllocation.objects.create(
        attempt=attempt, bill=being_paid, amount_minor=being_paid.total_minor
    )
    later = now + datetime.timedelta(days=2)
    # when
    first = mark_overdue_and_expired_bills(now=later)
    second = mark_overdue_and_expired_bills(now=later)
    # then
    assert (first.overdue, first.expired) == (2, 1)
    assert (second.overdue, second.expired) == (0, 0)
    statuses = {
        bill.pk: bill.status
        for bill in Bill.objects.filter(
            pk__in=[past_due.pk, partly_paid.pk, current.pk, expiring.pk, being_paid.pk]
        )
    }
    assert statuses == {
        past_due.pk: "overdue",
        partly_paid.pk: "overdue",
        current.pk: "open",
        expiring.pk: "expired",
        being_paid.pk: "open",  # waits for its payment to finish
    }
    writeoff = LedgerTransaction.objects.get(kind="bill_writeoff")
    assert sorted(writeoff.entries.values_list("account__code", "amount_minor")) == [
        ("billed:water:THB", 50000),
        ("receivable:water:THB", -50000),
    ]


def test_an_expired_partly_paid_bill_writes_off_what_it_still_owes(water, person):
    # given: 10 000 of 50 000 paid (the capture took it out of receivable)
    bill = bill_for(water, payer=person, expires_at=timezone.now() + datetime.timedelta(hours=1))
    Bill.objects.filter(pk=bill.pk).update(paid_minor=10000, status="partially_paid")
    # when
    mark_overdue_and_expired_bills(now=timezone.now() + datetime.timedelta(hours=2))
    # then
    bill.refresh_from_db()
    assert bill.status == "expired"
    assert (
        LedgerEntry.objects.get(
            transaction__kind="bill_writeoff", account__code="receivable:water:THB"
        ).amount_minor
        == -40000
    )


def test_the_periodic_task_runs_the_sweep(water, person):
    # given
    bill = bill_for(water, payer=person, due_date=datetime.date(2020, 1, 1))
    Bill.objects.filter(pk=bill.pk).update(status="open")
    # when
    result = mark_overdue_and_expired_bills_task.delay().get()
    # then
    assert result == {"overdue": 1, "expired": 0}
    bill.refresh_from_db()
    assert bill.status == "overdue"


def test_a_bill_due_in_the_past_is_overdue_from_the_start(water_client, water):
    # when
    response = water_client.post(push_url(), bill_body(due_date="2020-01-31"))
    # then
    assert response.json()["status"] == "overdue"


# Payments applied to bills -----------------------------------------------------------------


def test_payments_make_a_bill_partially_paid_then_paid(water, person):
    # given
    bill = bill_for(water, payer=person, amount_minor=50000)
    # when
    partly = apply_payment_to_bill(bill=bill, amount_minor=20000)
    partly_status = partly.status
    paid = apply_payment_to_bill(bill=bill, amount_minor=40000)  # more than owed: capped
    # then
    assert (partly_status, paid.status, paid.paid_minor, paid.outstanding_minor) == (
        "partially_paid",
        "paid",
        50000,
        0,
    )


def test_a_late_payment_of_an_expired_bill_is_booked_back_into_receivable(water, person):
    # given
    bill = bill_for(water, payer=person, expires_at=timezone.now() + datetime.timedelta(hours=1))
    mark_overdue_and_expired_bills(now=timezone.now() + datetime.timedelta(hours=2))
    # when
    bill = apply_payment_to_bill(bill=bill, amount_minor=50000)
    # then
    assert (bill.status, bill.paid_minor) == ("paid", 50000)
    reinstated = LedgerTransaction.objects.get(kind="bill_reinstatement")
    assert sorted(reinstated.entries.values_list("account__code", "amount_minor")) == [
        ("billed:water:THB", -50000),
        ("receivable:water:THB", 50000),
    ]


# Admin -------------------------------------------------------------------------------------


def test_admin_cancels_bills_through_the_action(admin_client, water, person):
    # given
    open_bill = bill_for(water, payer=person)
    paid = bill_for(water, payer=person)
    Bill.objects.filter(pk=paid.pk).update(status="paid", paid_minor=paid.total_minor)
    # when
    response = admin_client.post(
        "/admin/payments/bill/",
        {"action": "cancel_selected", "_selected_action": [open_bill.pk, paid.pk]},
        follow=True,
    )
    # then
    page = response.content.decode()
    assert "1 cancelled." in page
    assert "Only a bill nothing has been paid of can be cancelled." in page
    open_bill.refresh_from_db()
    paid.refresh_from_db()
    assert (open_bill.status, paid.status) == ("cancelled", "paid")
    assert LedgerTransaction.objects.filter(kind="bill_writeoff").count() == 1


def test_opening_a_bill_in_admin_shows_in_the_payers_access_log(
    admin_client, admin_user, water, person
):
    # given
    bill = bill_for(water, payer=person)
    # when
    response = admin_client.get(f"/admin/payments/bill/{bill.pk}/change/")
    # then
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get(person=person)
    assert (entry.channel, entry.actor, entry.what) == (
        "admin",
        admin_user,
        f"bill water {bill.number}",
    )


def test_officers_see_only_their_agencys_billers_bills(client, water, gas, person):
    # given
    mine = bill_for(water, payer=person)
    theirs = bill_for(gas, payer=person)
    officer = MembershipFactory.create(agency=water.agency).user
    officer.user_permissions.add(Permission.objects.get(codename="view_bill"))
    sign_in_to_admin(client, officer)
    # when
    page = client.get("/admin/payments/bill/").content.decode()
    # then
    assert mine.number in page
    assert theirs.number not in page


# Concurrency (PostgreSQL) ------------------------------------------------------------------


def _push_concurrently(token, bodies):
    start = threading.Barrier(len(bodies))

    def send(body):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        start.wait()
        try:
            return client.post(push_url(), body, format="json")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_pushes_of_one_bill_store_it_once(agency):
    # given
    issued = create_api_client(agency=agency, name="Waterworks", scopes=["bills:write"])
    biller = BillerFactory.create(code="water", agency=agency, api_client=issued.client)
    BillType.objects.create(biller=biller, code="water", name="Water supply")
    # when
    responses = _push_concurrently(issued.token, [bill_body()] * 20)
    # then
    assert sorted({response.status_code for response in responses}) == [200, 201]
    assert [response.status_code for response in responses].count(201) == 1
    assert len({response.json()["id"] for response in responses}) == 1
    assert (Bill.objects.count(), BillLine.objects.count()) == (1, 2)
    assert LedgerTransaction.objects.filter(kind="bill").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_pushes_of_different_bills_under_one_number_keep_one(agency):
    # given
    issued = create_api_client(agency=agency, name="Waterworks", scopes=["bills:write"])
    BillerFactory.create(code="water", agency=agency, api_client=issued.client)
    bodies = [
        bill_body(bill_type=None, lines=[{"fee_type": "water", "amount_minor": 1000 + n}])
        for n in range(20)
    ]
    # when
    responses = _push_concurrently(issued.token, bodies)
    # then
    statuses = [response.status_code for response in responses]
    assert (statuses.count(201), statuses.count(409)) == (1, 19)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"bill_number_conflict"}
    winner = bodies[statuses.index(201)]["lines"][0]["amount_minor"]
    assert list(Bill.objects.values_list("total_minor", flat=True)) == [winner]
    assert LedgerTransaction.objects.filter(kind="bill").count() == 1

"""Billers and linked accounts: a citizen links their account number at a biller, proved by the
amount of the account's last bill, and then sees its bills; the admin screens; the demo data."""

import datetime

import pytest
from django.utils import timezone

from identity.demo import seed_identity
from identity.models import Person
from payments.actions.bills import BillLineData, cancel_bill, push_bill
from payments.demo import (
    BILLERS,
    LINKABLE_ACCOUNT_NUMBER,
    LINKABLE_AMOUNT_MINOR,
    LINKABLE_BILLER,
    PAID_BILL,
    biller_integrator_tokens,
    seed_payments,
)
from payments.models import Bill, Biller, BillerAccount, BillType, LedgerTransaction, Receipt
from tests.conftest import client_for
from tests.factories import BillerFactory, PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/biller-accounts"
BILLERS_URL = "/api/v1/billers"
BILLS = "/api/v1/bills"

ANONYMOUS = "anonymous"
OWNER = "owner"
OTHER_CITIZEN = "other_citizen"
OFFICER = "officer"
OTHER_OFFICER = "other_officer"
INTEGRATOR = "integrator"  # the biller's own, with bills:write
UNSCOPED_INTEGRATOR = "integrator_without_scope"


@pytest.fixture
def caller(request, api, integrator):
    def make(name):
        return {
            ANONYMOUS: lambda: api,
            OWNER: lambda: request.getfixturevalue("citizen_api"),
            OTHER_CITIZEN: lambda: request.getfixturevalue("other_citizen_api"),
            OFFICER: lambda: request.getfixturevalue("officer_api"),
            OTHER_OFFICER: lambda: request.getfixturevalue("other_officer_api"),
            INTEGRATOR: lambda: integrator("bills:write"),
            UNSCOPED_INTEGRATOR: lambda: integrator("one-code:verify"),
        }[name]()

    return make


@pytest.fixture
def water(agency):
    biller = BillerFactory.create(
        code="water", name="Waterworks", name_th="การประปา", kind="water", agency=agency
    )
    BillType.objects.create(biller=biller, code="water", name="Water supply")
    return biller


def bill_for(biller, account_number, amount_minor, *, number=None, due_in_days=14):
    """A bill as the biller pushes it (through the action, so the ledger posts it)."""
    return push_bill(
        biller=biller,
        number=number or f"B-{Bill.objects.count() + 1:05d}",
        account_number=account_number,
        lines=[BillLineData(fee_type="water", period="2025-06", amount_minor=amount_minor)],
        currency=biller.currency,
        due_date=timezone.localdate() + datetime.timedelta(days=due_in_days),
    ).bill


def link_body(account_number="WA100001", amount_minor=35675, biller="water", **extra):
    return {
        "biller": biller,
        "account_number": account_number,
        "proof": {"last_bill_amount_minor": amount_minor},
        **extra,
    }


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def error_fields(response):
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


# Linking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 201),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 403),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_link_permissions(caller, water, who, status):
    # given
    bill_for(water, "WA100001", 35675)
    # when
    response = caller(who).post(ACCOUNTS, link_body())
    # then
    assert response.status_code == status
    assert BillerAccount.objects.count() == (1 if status == 201 else 0)


def test_linking_with_the_last_bill_amount_adopts_the_accounts_bills(citizen_api, person, water):
    # given: two bills nobody was billed for, and another account's
    older = bill_for(water, "WA100001", 41000)
    last = bill_for(water, "WA100001", 35675)
    other = bill_for(water, "WA100002", 35675)
    # when
    response = citizen_api.post(ACCOUNTS, link_body(label="Home"))
    # then
    assert response.status_code == 201, response.content
    account = BillerAccount.objects.get()
    assert response.json() == {
        "id": account.pk,
        "biller": {"code": "water", "name": "Waterworks"},
        "account_number": "WA100001",
        "label": "Home",
        "linked_at": account.linked_at.isoformat().replace("+00:00", "Z"),
    }
    assert response["Location"] == f"{ACCOUNTS}/{account.pk}"
    assert (account.person, account.unlinked_at) == (person, None)
    assert [bill.payer for bill in Bill.objects.filter(pk__in=[older.pk, last.pk])] == [
        person,
        person,
    ]
    other.refresh_from_db()
    assert other.payer is None


def test_the_account_number_is_compared_without_spaces_and_case(citizen_api, water):
    # given
    bill_for(water, "WA-100001", 35675)
    # when
    response = citizen_api.post(ACCOUNTS, link_body(account_number=" wa-100 001 "))
    # then
    assert response.status_code == 201
    assert response.json()["account_number"] == "WA-100001"


@pytest.mark.parametrize(
    "amount_minor",
    [
        35600,  # wrong
        41000,  # an older bill's amount: only the most recent bill proves the account
    ],
)
def test_a_wrong_proof_is_refused_without_telling_the_amount(citizen_api, water, amount_minor):
    # given
    bill_for(water, "WA100001", 41000)
    bill_for(water, "WA100001", 35675)
    # when
    response = citizen_api.post(ACCOUNTS, link_body(amount_minor=amount_minor))
    # then
    assert_problem(response, 422, "account_proof_mismatch")
    assert error_fields(response) == {("proof.last_bill_amount_minor", "mismatch")}
    assert "35675" not in response.content.decode()
    assert "356.75" not in response.content.decode()
    assert BillerAccount.objects.count() == 0
    assert set(Bill.objects.values_list("payer", flat=True)) == {None}


def test_an_account_without_bills_gets_the_same_answer_as_a_wrong_proof(citizen_api, water):
    # when
    response = citizen_api.post(ACCOUNTS, link_body(account_number="WA999999"))
    # then
    assert_problem(response, 422, "account_proof_mismatch")
    assert BillerAccount.objects.count() == 0


def test_a_cancelled_bill_is_no_proof(citizen_api, water):
    # given
    bill_for(water, "WA100001", 41000)
    cancel_bill(bill=bill_for(water, "WA100001", 35675))
    # when
    wrong = citizen_api.post(ACCOUNTS, link_body(amount_minor=35675))
    right = citizen_api.post(ACCOUNTS, link_body(amount_minor=41000))
    # then
    assert_problem(wrong, 422, "account_proof_mismatch")
    assert right.status_code == 201


def test_too_many_wrong_proofs_are_throttled_even_the_right_one_then(citizen_api, water):
    # given: five wrong tries
    bill_for(water, "WA100001", 35675)
    for amount in range(1, 6):
        assert citizen_api.post(ACCOUNTS, link_body(amount_minor=amount)).status_code == 422
    # when
    response = citizen_api.post(ACCOUNTS, link_body())
    # then
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert BillerAccount.objects.count() == 0
    # listing is not a guess: it still works
    assert citizen_api.get(ACCOUNTS).status_code == 200


def test_right_proofs_do_not_use_up_the_budget(citizen_api, other_citizen_api, water):
    # given
    bill_for(water, "WA100001", 35675)
    for _ in range(6):
        assert citizen_api.post(ACCOUNTS, link_body()).status_code in (200, 201)
    # when: another citizen's wrong tries do not count against this one either
    for amount in range(1, 6):
        other_citizen_api.post(ACCOUNTS, link_body(amount_minor=amount))
    response = citizen_api.post(ACCOUNTS, link_body())
    # then
    assert response.status_code == 200


def test_linking_again_answers_the_existing_link(citizen_api, water):
    # given
    bill_for(water, "WA100001", 35675)
    first = citizen_api.post(ACCOUNTS, link_body())
    # when
    again = citizen_api.post(ACCOUNTS, link_body())
    # then
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert BillerAccount.objects.count() == 1


def test_a_second_household_member_links_the_same_account_and_adopts_nothing(
    citizen_api, other_citizen_api, person, water
):
    # given
    bill = bill_for(water, "WA100001", 35675)
    citizen_api.post(ACCOUNTS, link_body())
    # when
    response = other_citizen_api.post(ACCOUNTS, link_body())
    # then: both see the bill, which stays billed to the first
    assert response.status_code == 201
    bill.refresh_from_db()
    assert bill.payer == person
    assert [item["id"] for item in other_citizen_api.get(BILLS).json()["results"]] == [
        str(bill.public_id)
    ]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (link_body(biller="gas"), "biller", "does_not_exist"),
        (link_body(account_number="   "), "account_number", "blank"),
        (link_body(amount_minor=0), "proof.last_bill_amount_minor", "min_value"),
        (link_body(amount_minor=-5), "proof.last_bill_amount_minor", "min_value"),
        ({"biller": "water", "account_number": "WA100001"}, "proof", "required"),
    ],
)
def test_invalid_link_requests(citizen_api, water, body, field, code):
    # when
    response = citizen_api.post(ACCOUNTS, body)
    # then
    assert_problem(response, 400, "validation_error")
    assert (field, code) in error_fields(response)
    assert BillerAccount.objects.count() == 0


def test_an_inactive_biller_is_unknown(citizen_api, water):
    # given
    bill_for(water, "WA100001", 35675)
    Biller.objects.filter(pk=water.pk).update(is_active=False)
    # when
    response = citizen_api.post(ACCOUNTS, link_body())
    # then
    assert_problem(response, 400, "validation_error")
    assert error_fields(response) == {("biller", "does_not_exist")}


def test_a_biller_that_links_accounts_itself_refuses_citizens(citizen_api, water):
    # given
    bill_for(water, "WA100001", 35675)
    Biller.objects.filter(pk=water.pk).update(account_check=Biller.AccountCheck.NONE)
    # when
    response = citizen_api.post(ACCOUNTS, link_body())
    # then
    assert_problem(response, 422, "account_linking_not_offered")
    assert BillerAccount.objects.count() == 0


# Listing, reading, unlinking ---------------------------------------------------------------


def make_link(person, biller, account_number, **fields):
    return BillerAccount.objects.create(
        person=person, biller=biller, account_number=account_number, **fields
    )


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
def test_list_permissions(caller, person, water, who, status, sees):
    # given
    account = make_link(person, water, "WA100001")
    # when
    response = caller(who).get(ACCOUNTS)
    # then
    assert response.status_code == status
    if status == 200:
        assert [item["id"] for item in response.json()["results"]] == ([account.pk] if sees else [])


def test_the_list_shows_active_links_newest_first_in_fixed_queries(
    citizen_api, person, water, django_assert_num_queries
):
    # given
    gas = BillerFactory.create(code="gas", name="Gas")
    make_link(person, water, "OLD", unlinked_at=timezone.now())
    accounts = [make_link(person, biller, f"A{n}") for n in range(3) for biller in (water, gas)]
    # when: 1 page (the person comes with the account)
    with django_assert_num_queries(1):
        response = citizen_api.get(ACCOUNTS)
    # then
    assert [item["id"] for item in response.json()["results"]] == [
        account.pk for account in reversed(accounts)
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 200),
        (OTHER_CITIZEN, 404),
        (OFFICER, 403),
        (INTEGRATOR, 403),
    ],
)
def test_detail_permissions(caller, person, water, who, status):
    # given
    account = make_link(person, water, "WA100001")
    # when
    response = caller(who).get(f"{ACCOUNTS}/{account.pk}")
    # then
    assert response.status_code == status
    if status == 200:
        assert response.json()["account_number"] == "WA100001"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 204),
        (OTHER_CITIZEN, 404),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (INTEGRATOR, 403),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_unlink_permissions(caller, person, water, who, status):
    # given
    account = make_link(person, water, "WA100001")
    # when
    response = caller(who).delete(f"{ACCOUNTS}/{account.pk}")
    # then
    assert response.status_code == status
    account.refresh_from_db()
    assert (account.unlinked_at is not None) == (status == 204)


def test_unlinking_hides_the_accounts_bills_but_keeps_those_billed_to_me(
    citizen_api, person, water
):
    # given: linked, adopting one bill; then a second member linked, so the next bill has no payer
    adopted = bill_for(water, "WA100001", 35675)
    account_id = citizen_api.post(ACCOUNTS, link_body()).json()["id"]
    make_link(PersonFactory.create(), water, "WA100001")
    shared = bill_for(water, "WA100001", 29000)
    assert {item["id"] for item in citizen_api.get(BILLS).json()["results"]} == {
        str(adopted.public_id),
        str(shared.public_id),
    }
    # when
    response = citizen_api.delete(f"{ACCOUNTS}/{account_id}")
    # then
    assert response.status_code == 204
    assert [item["id"] for item in citizen_api.get(BILLS).json()["results"]] == [
        str(adopted.public_id)
    ]
    assert citizen_api.get(f"{BILLS}/{shared.public_id}").status_code == 404
    # unlinking twice is harmless, and the unlinked account is gone from the list
    assert citizen_api.get(f"{ACCOUNTS}/{account_id}").status_code == 404
    assert citizen_api.get(ACCOUNTS).json()["results"] == []


def test_unlinked_accounts_can_be_linked_again(citizen_api, water):
    # given
    bill_for(water, "WA100001", 35675)
    first = citizen_api.post(ACCOUNTS, link_body()).json()["id"]
    citizen_api.delete(f"{ACCOUNTS}/{first}")
    # when
    response = citizen_api.post(ACCOUNTS, link_body())
    # then
    assert response.status_code == 201
    assert response.json()["id"] != first


# The biller catalogue ----------------------------------------------------------------------


def test_billers_are_listed_in_the_callers_language(citizen_api, water):
    # given
    BillerFactory.create(code="closed", is_active=False)
    # when
    response = citizen_api.get(BILLERS_URL, HTTP_ACCEPT_LANGUAGE="th")
    # then
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "water",
            "name": "การประปา",
            "kind": "water",
            "currency": "THB",
            "account_check": "last_bill_amount",
        }
    ]


def test_the_biller_catalogue_needs_a_login(api, water):
    assert api.get(BILLERS_URL).status_code == 401


# Admin -------------------------------------------------------------------------------------


def test_admin_creates_a_biller_with_translated_names_and_bill_types(admin_client, integrator):
    # given
    client = integrator("bills:write").api_client
    # when
    response = admin_client.post(
        "/admin/payments/biller/add/",
        {
            "code": "school",
            "name_en": "City School",
            "name_th": "โรงเรียนเทศบาล",
            "name_zh_hans": "市立学校",
            "kind": "school",
            "api_client": client.pk,
            "currency": "thb",
            "receipt_prefix": "SCH-",
            "account_check": "last_bill_amount",
            "is_active": "on",
            "bill_types-TOTAL_FORMS": "1",
            "bill_types-INITIAL_FORMS": "0",
            "bill_types-0-code": "term_fees",
            "bill_types-0-name_en": "Term fees",
            "bill_types-0-name_th": "ค่าธรรมเนียมการศึกษา",
            "bill_types-0-name_zh_hans": "学杂费",
        },
    )
    # then
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Biller.objects.filter(code="school").values_list(
        "name_th", "currency", "api_client"
    ).get() == ("โรงเรียนเทศบาล", "THB", client.pk)
    biller = Biller.objects.get(code="school")
    assert list(biller.bill_types.values_list("code", "name_zh_hans")) == [("term_fees", "学杂费")]


def test_admin_refuses_an_integrator_without_bills_write(admin_client, integrator):
    # given
    client = integrator("one-code:verify").api_client
    # when
    response = admin_client.post(
        "/admin/payments/biller/add/",
        {
            "code": "school",
            "name_en": "City School",
            "kind": "school",
            "api_client": client.pk,
            "currency": "THB",
            "receipt_prefix": "SCH-",
            "account_check": "last_bill_amount",
            "bill_types-TOTAL_FORMS": "0",
            "bill_types-INITIAL_FORMS": "0",
        },
    )
    # then
    assert response.status_code == 200
    assert "bills:write" in response.content.decode()
    assert not Biller.objects.filter(code="school").exists()


def test_admin_unlinks_accounts_through_the_action(admin_client, person, water):
    # given
    account = make_link(person, water, "WA100001")
    # when
    response = admin_client.post(
        "/admin/payments/billeraccount/",
        {"action": "unlink_selected", "_selected_action": [account.pk]},
    )
    # then
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.unlinked_at is not None
    assert (
        admin_client.get(f"/admin/payments/billeraccount/{account.pk}/change/").status_code == 200
    )


# Demo data ---------------------------------------------------------------------------------


def test_seed_payments_is_idempotent_and_gives_each_demo_citizen_bills(api):
    # given
    seed_identity(staff=StaffFactory.create(is_superuser=True))
    seed_payments()
    counts = (
        Biller.objects.count(),
        Bill.objects.count(),
        BillerAccount.objects.count(),
        LedgerTransaction.objects.count(),
    )
    # when
    seed_payments()
    # then
    assert (
        Biller.objects.count(),
        Bill.objects.count(),
        BillerAccount.objects.count(),
        LedgerTransaction.objects.count(),
    ) == counts
    assert set(Biller.objects.values_list("kind", flat=True)) == {
        "water",
        "electricity",
        "gas",
        "broadband",
        "tax",
        "school",
    }
    assert all(
        all(names) for names in Biller.objects.values_list("name_th", "name_zh_hans", "api_client")
    )
    seen = {}
    for username in ("citizen", "verified", "inperson"):
        person = Person.objects.get(user__username=username)
        results = client_for(person.user).get(BILLS).json()["results"]
        seen[username] = {item["biller"]["code"] for item in results}
        assert {item["status"] for item in results} <= {"open", "overdue", "paid"}
    assert seen == {
        "citizen": {"cm-water", "cm-electricity", "cm-gas"},
        "verified": {"cm-water", "cm-broadband", "cm-school"},  # the school bill is the child's
        "inperson": {"cm-electricity", "cm-tax"},  # the tax bill is the business's
    }
    # the printed integrator tokens push bills, and the spare water account can be linked
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {biller_integrator_tokens()['cm-water']}")
    pushed = api.post(
        f"{BILLERS_URL}/cm-water/bills",
        {
            "number": "WTR-TRY-1",
            "account_number": "WA-100005",
            "lines": [{"fee_type": "water", "amount_minor": 12000}],
            "currency": "THB",
            "due_date": "2030-01-31",
        },
    )
    assert pushed.status_code == 201, pushed.content
    citizen = client_for(Person.objects.get(user__username="citizen").user)
    linked = citizen.post(
        ACCOUNTS,
        link_body(
            biller=LINKABLE_BILLER,
            account_number=LINKABLE_ACCOUNT_NUMBER,
            amount_minor=LINKABLE_AMOUNT_MINOR,
        ),
    )
    assert linked.status_code == 201
    assert len(BILLERS) == 6
    # last month's water bill is paid, with its receipt, and the books balance
    paid = Bill.objects.get(number=PAID_BILL.number)
    assert (paid.status, paid.paid_minor) == ("paid", paid.total_minor)
    receipt = Receipt.objects.get(attempt__allocations__bill=paid)
    assert (receipt.amount_minor, receipt.biller.code) == (paid.total_minor, "cm-water")
    assert Bill.objects.filter(status="paid").count() == 1

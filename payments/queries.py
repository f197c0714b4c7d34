"""Reads of the payments app that carry a rule: which bills and linked accounts a person may see,
which billers an integrator may push bills to.

Who sees a bill: the person it is billed to, anyone with an active link to its account at its
biller (proving the account is what lets a household see its water bill), and anyone holding an
active mandate covering payments for the person or business it is billed to, or for a person
linked to its account. Everything else is "not found".
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from identity.models import ApiClient, Person
from identity.queries import parties_represented_by
from payments.models import Bill, Biller, BillerAccount

MANDATE_SCOPE = "payments"


def represented_parties(person: Person) -> tuple[list[int], list[int]]:
    """Ids of the persons (`person` first) and businesses whose bills `person` may see."""
    return parties_represented_by(person, scope=MANDATE_SCOPE)


def active_links() -> QuerySet[BillerAccount]:
    return BillerAccount.objects.filter(unlinked_at__isnull=True)


def biller_accounts_of(person: Person) -> QuerySet[BillerAccount]:
    """The person's own active linked accounts, newest first."""
    return (
        active_links().filter(person=person).select_related("biller").order_by("-linked_at", "-pk")
    )


def bills_visible_to(person: Person) -> QuerySet[Bill]:
    """Bills billed to the person or those they represent, and bills of accounts any of them
    linked. One query for the mandates; the bills are then one query however many there are."""
    person_ids, business_ids = represented_parties(person)
    linked_account = active_links().filter(
        person_id__in=person_ids,
        biller_id=OuterRef("biller_id"),
        account_number=OuterRef("account_number"),
    )
    # No select_related here: callers that lock the rows (select_for_update) cannot lock the
    # nullable side of an outer join (bill_type) on PostgreSQL; readers add what they show.
    return Bill.objects.filter(
        Q(payer_id__in=person_ids)
        | Q(payer_business_id__in=business_ids)
        | (~Q(account_number="") & Exists(linked_account))
    )


def payable_bills_visible_to(person: Person) -> QuerySet[Bill]:
    """What the person may pay now: visible, and open, partially paid or overdue."""
    return bills_visible_to(person).filter(status__in=Bill.PAYABLE)


def billers_pushed_by(client: ApiClient) -> QuerySet[Biller]:
    """The billers whose integrator `client` is: another biller's code is "not found" to it."""
    return Biller.objects.filter(api_client=client, is_active=True)


def active_billers() -> QuerySet[Biller]:
    return Biller.objects.filter(is_active=True).order_by("code")

"""Proactive offers: for a service in `proactive` mode, the rules in force are evaluated over all
persons in set-based chunks and those who qualify are offered the service in their inbox; an
accepted offer becomes an application decided by the rules at once.

A run walks persons in primary-key order and records, in the same transaction as each chunk,
the last person it checked: a worker that dies mid-run leaves the run `running`, and the next
call resumes after the last committed chunk, so nobody is offered twice (and the unique
constraint on service and person would refuse it anyway).

Eligibility is the rule set's outcome on the facts identity holds about the person and an
empty form: an offer carries no form data, so a proactive service's checks read facts only
(a check that reads the form finds nothing and sends the case to an officer, which is not an
offer). Persons below the service's level of assurance, without an account, closed, or who
already applied are not offered.
"""

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import Conflict, NotFound
from identity.models import Credential, Jurisdiction, Person
from services import notices, rules
from services.actions.applications import prefill_for, prefilled_kept, submit_application
from services.actions.decisions import rule_set_in_force
from services.models import Application, Offer, OfferRun, RuleSet, Service

OFFER_VALIDITY = datetime.timedelta(days=90)
CHUNK_SIZE = 1000


class OfferNotFound(NotFound):
    code = "offer_not_found"
    title = _("No such offer.")


class OfferNotOpen(Conflict):
    code = "offer_not_open"
    title = _("This offer has already been answered or has expired.")


class ServiceNotProactive(Conflict):
    code = "service_not_proactive"
    title = _("This service is not offered proactively now.")


def offers_of(person: Person) -> QuerySet[Offer]:
    """The offers made to `person`, with their service and any application made from them."""
    return Offer.objects.filter(person=person).select_related("service", "application")


def lock_offer(pk: int) -> Offer:
    """SELECT … FOR UPDATE of one offer (and its service, read with it)."""
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("service")
        .filter(pk=pk)
        .first()
    )
    if offer is None:
        raise OfferNotFound()
    return offer


# Runs --------------------------------------------------------------------------------------


def proactive_services() -> QuerySet[Service]:
    """Active services in proactive mode (whether a rule set is in force is checked per run)."""
    return Service.objects.filter(
        status=Service.Status.ACTIVE,
        approval_mode=Service.ApprovalMode.PROACTIVE,
        for_persons=True,
    )


def run_offers(
    *, service: Service, chunk_size: int = CHUNK_SIZE, max_chunks: int | None = None
) -> OfferRun:
    """Check persons for `service` chunk by chunk, resuming its running pass or starting one,
    and offer the service to those the rules approve. Stops after `max_chunks` chunks (the run
    stays `running`) or when every person was checked (the run is `finished`)."""
    now = timezone.now()
    if (
        service.status != Service.Status.ACTIVE
        or service.approval_mode != Service.ApprovalMode.PROACTIVE
        or not service.for_persons
    ):
        raise ServiceNotProactive()
    rule_set = rule_set_in_force(service, now)
    if rule_set is None:
        raise ServiceNotProactive(_("No rules are in force for this service now."))
    run = _running_run(service, rule_set)
    chains: dict[int, list[str]] = {}
    chunks = 0
    while run.status == OfferRun.Status.RUNNING and (max_chunks is None or chunks < max_chunks):
        locked = _run_chunk(run_id=run.pk, rule_set=rule_set, chunk_size=chunk_size, chains=chains)
        if locked is None:  # another worker is on this run's next chunk; it carries on
            return OfferRun.objects.get(pk=run.pk)
        run = locked
        chunks += 1
    return run


def _running_run(service: Service, rule_set: RuleSet) -> OfferRun:
    """The service's running pass; one made with another rule set is closed and a new pass
    starts from the first person (offers already made stay: one per person)."""
    run = OfferRun.objects.filter(service=service, status=OfferRun.Status.RUNNING).first()
    if run is not None and run.rule_set_id != rule_set.pk:
        OfferRun.objects.filter(pk=run.pk, status=OfferRun.Status.RUNNING).update(
            status=OfferRun.Status.FINISHED, finished_at=timezone.now()
        )
        run = None
    if run is None:
        try:
            with transaction.atomic():
                run = OfferRun.objects.create(service=service, rule_set=rule_set)
        except IntegrityError:  # another worker started one a moment ago: join it
            run = OfferRun.objects.get(service=service, status=OfferRun.Status.RUNNING)
    return run


@transaction.atomic
def _run_chunk(
    *, run_id: int, rule_set: RuleSet, chunk_size: int, chains: dict[int, list[str]]
) -> OfferRun | None:
    """One chunk: the persons after the run's last one, checked and offered, and the run's
    progress, in one transaction. None when another worker holds the run."""
    run = (
        OfferRun.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("service")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        return None
    if run.status != OfferRun.Status.RUNNING:
        return run
    service = run.service
    now = timezone.now()
    today = timezone.localdate(now)
    persons = list(
        Person.objects.filter(
            pk__gt=run.last_person_id, closed_at__isnull=True, user__isnull=False
        ).order_by("pk")[:chunk_size]
    )
    eligible = _eligible(service, rule_set, persons, today=today, chains=chains)
    offers = _make_offers(service, rule_set, eligible, now=now)
    for offer in offers:
        notices.offer_made(offer)
    if persons:
        run.last_person_id = persons[-1].pk
    run.persons_checked += len(persons)
    run.offers_made += len(offers)
    fields = ["last_person_id", "persons_checked", "offers_made", "updated_at"]
    if len(persons) < chunk_size:
        run.status = OfferRun.Status.FINISHED
        run.finished_at = now
        fields += ["status", "finished_at"]
    run.save(update_fields=fields)
    return run


def _eligible(
    service: Service,
    rule_set: RuleSet,
    persons: list[Person],
    *,
    today: datetime.date,
    chains: dict[int, list[str]],
) -> list[Person]:
    """The persons of a chunk the rules approve: credentials in one query, residence chains
    once per jurisdiction, persons who already applied left out."""
    candidates = [p for p in persons if p.meets(service.minimum_level_of_assurance)]
    if not candidates:
        return []
    ids = [p.pk for p in candidates]
    applied = set(
        Application.objects.filter(service=service, applicant_id__in=ids).values_list(
            "applicant_id", flat=True
        )
    )
    credentials: dict[int, list[Credential]] = {}
    for credential in Credential.objects.filter(holder_id__in=ids).select_related("type"):
        credentials.setdefault(credential.holder_id, []).append(credential)
    _load_chains(chains, {p.residence_id for p in candidates if p.residence_id is not None})
    checks = rules.checks_of(rule_set)
    eligible = []
    for person in candidates:
        if person.pk in applied:
            continue
        facts = rules.facts_of_person(
            person,
            credentials=credentials.get(person.pk, []),
            residence_chain=chains.get(person.residence_id, []) if person.residence_id else [],
            today=today,
        )
        evaluation = rules.evaluate(checks, data={}, facts=facts, language="en")
        if evaluation.outcome == rules.APPROVED:
            eligible.append(person)
    return eligible


def _load_chains(chains: dict[int, list[str]], jurisdiction_ids: Iterable[int]) -> None:
    """Residence chains (district → city → province codes) of jurisdictions not seen yet."""
    missing = [pk for pk in jurisdiction_ids if pk not in chains]
    if not missing:
        return
    for jurisdiction in Jurisdiction.objects.filter(pk__in=missing).select_related(
        "parent__parent"
    ):
        chains[jurisdiction.pk] = [j.code for j in jurisdiction.ancestors_and_self()]


def _make_offers(
    service: Service, rule_set: RuleSet, persons: list[Person], *, now: datetime.datetime
) -> list[Offer]:
    """Offers to the persons not offered this service before; returns the new ones only."""
    if not persons:
        return []
    by_id = {p.pk: p for p in persons}
    offered = set(
        Offer.objects.filter(service=service, person_id__in=by_id).values_list(
            "person_id", flat=True
        )
    )
    new_ids = [pk for pk in by_id if pk not in offered]
    if not new_ids:
        return []
    Offer.objects.bulk_create(
        [
            Offer(
                service=service,
                person_id=pk,
                rule_set=rule_set,
                data={},
                created_at=now,
                expires_at=now + OFFER_VALIDITY,
            )
            for pk in new_ids
        ],
        ignore_conflicts=True,
    )
    offers = list(
        Offer.objects.filter(service=service, person_id__in=new_ids, created_at=now).order_by("pk")
    )
    for offer in offers:  # what the notice reads, without a query per offer
        offer.service = service
        offer.person = by_id[offer.person_id]
    return offers


# Answers -----------------------------------------------------------------------------------


def _open_offer_of(offer: Offer, by: Person, now: datetime.datetime) -> Offer:
    offer = lock_offer(offer.pk)
    if offer.person_id != by.pk:
        raise OfferNotFound()
    if offer.status != Offer.Status.OFFERED:
        raise OfferNotOpen(offer_status=offer.status)
    if offer.expires_at is not None and offer.expires_at <= now:
        raise OfferNotOpen(_("This offer has expired."), offer_status=Offer.Status.EXPIRED)
    return offer


@transaction.atomic
def accept_offer(*, offer: Offer, by: Person, language: str) -> Application:
    """The person offered the service accepts: an application is made with the offer's data,
    pre-filled with what government already knows for the form (under the person's consent or
    the service's legal basis), and decided by the rules at once. An offer is accepted once,
    before it expires."""
    now = timezone.now()
    offer = _open_offer_of(offer, by, now)
    service = offer.service
    data = dict(offer.data)
    prefilled = None
    if service.prefill:
        known = prefill_for(service=service, party=by)
        data = {**known["data"], **data}
        prefilled = prefilled_kept(known, data)
    application = submit_application(
        service=service,
        submitted_by=by,
        applicant=by,
        business=None,
        mandate=None,
        data=data,
        language=language,
        prefilled=prefilled,
        offer=offer,
    )
    offer.status = Offer.Status.ACCEPTED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    return application


@transaction.atomic
def decline_offer(*, offer: Offer, by: Person) -> Offer:
    """The person offered the service declines; they are not offered it again."""
    now = timezone.now()
    offer = _open_offer_of(offer, by, now)
    offer.status = Offer.Status.DECLINED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    return offer


@transaction.atomic
def expire_offers(*, now: datetime.datetime | None = None) -> int:
    """Offers nobody answered before they expired; returns how many expired."""
    now = now or timezone.now()
    return Offer.objects.filter(status=Offer.Status.OFFERED, expires_at__lte=now).update(
        status=Offer.Status.EXPIRED
    )

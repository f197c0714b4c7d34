"""Deciding applications: automatically by the rule set in force (decide_application, run by a
worker on the `approvals` queue), or by an officer (services.actions.applications.review_…),
and what each outcome does — the credential issued on approval, the deadline of a manual review,
the notice to the applicant."""

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext, override

from cityportal.runs import DrainRun
from identity.actions.credentials import issue_credential_on_decision
from services import notices, rules
from services.actions.transitions import transition
from services.models import Application, ApplicationEvent, DecisionRecord, RuleSet, Service

logger = logging.getLogger(__name__)
S = Application.Status
SYSTEM = ApplicationEvent.ActorKind.SYSTEM

DECIDING_RUN = DrainRun(
    key="services:deciding-requested", task="services.tasks.decide_waiting_applications_task"
)

# The columns a decision reads (and its outcome and notice): building the locking query over
# these alone, not the hundred-odd columns of the four rows, halves its cost.
_READ_TO_DECIDE = [
    *(
        f"{name}"
        for name in (
            "public_id", "reference", "service", "applicant", "business", "submitted_by",
            "status", "data", "language", "round", "updated_at", "issued_credential",
            "decided_by", "decided_at", "decision_reason", "deadline",
        )
    ),
    *(
        f"service__{name}"
        for name in (
            "code", "agency", "approval_mode", "manual_deadline", "output_credential_type",
            "output_validity", "name", "name_en", "name_th", "name_zh_hans",
        )
    ),
    *(
        f"applicant__{name}"
        for name in (
            "user", "date_of_birth", "residence", "level_of_assurance", "attribute_sources",
            "preferred_language", "pseudonym",
        )
    ),
    "business__jurisdiction",
]  # fmt: skip


def rule_sets_in_force(at: datetime.datetime) -> QuerySet[RuleSet]:
    """The published rule sets effective at `at`, newest version first (publishing keeps at
    most one per service)."""
    return (
        RuleSet.objects.filter(status=RuleSet.Status.PUBLISHED, effective_from__lte=at)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gt=at))
        .order_by("-version")
    )


def rule_set_in_force(service: Service, at: datetime.datetime) -> RuleSet | None:
    """The published rule set of `service` effective at `at`."""
    return rule_sets_in_force(at).filter(service=service).first()


def facts_of_application(application: Application, today: datetime.date) -> rules.Facts:
    if application.business_id is not None:
        business = application.business
        assert business is not None  # noqa: S101 - business_id is set
        return rules.facts_of_business(rules.jurisdiction_chain(business.jurisdiction_id), today)
    person = application.applicant
    if person is None:
        raise ValueError("An application's party is a person or a business.")
    # Only what validity needs: the card numbers stay encrypted (not even decrypted here).
    credentials = person.credentials.select_related("type").only(
        "holder", "type__code", "status", "valid_from", "valid_until"
    )
    return rules.facts_of_person(
        person,
        credentials=credentials,
        residence_chain=rules.jurisdiction_chain(person.residence_id),
        today=today,
    )


def decide_application(*, application_id: int) -> Application | None:
    """Decide an application in `checking` by the rule set in force and write its decision
    record. Nothing to do when it is no longer checking (a task run twice, a withdrawal)."""
    return _decide(lambda found: found.filter(pk=application_id))


_WAITING = Q(status=S.CHECKING)


def waiting_applications() -> QuerySet[Application]:
    """Applications in `checking`: waiting for the rules to decide them."""
    return Application.objects.filter(_WAITING)


def decide_next_waiting_application(*, after: int = 0) -> Application | None:
    """Decide the longest-waiting application in `checking` above id `after` that no other run
    holds; None when none waits. Parallel runs share them (SKIP LOCKED), and each is decided
    once."""
    return _decide(
        lambda found: found.filter(_WAITING, pk__gt=after).order_by("pk")[:1],
        skip_locked=True,
    )


def decide_waiting_applications() -> int:
    """One deciding run (queue `approvals`): every application in `checking`, oldest first."""
    return DECIDING_RUN.drain(lambda after: decide_next_waiting_application(after=after))


def request_decisions() -> None:
    """After an application reaches `checking` and commits: a deciding run, unless one is
    already on its way."""
    DECIDING_RUN.request()


def _decide(
    pick: Callable[[QuerySet[Application]], QuerySet[Application]], *, skip_locked: bool = False
) -> Application | None:
    started = timezone.now()
    with transaction.atomic():
        # Which rule set is in force is asked in the same statement; the rule set itself (a
        # published one never changes) comes from memory after its first decision.
        in_force = rule_sets_in_force(started).filter(service=OuterRef("service_id"))
        found = pick(
            Application.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .select_related("service", "applicant", "business")
            .only(*_READ_TO_DECIDE)
            .annotate(rule_set_in_force=Subquery(in_force.values("pk")[:1]))
        )
        application = next(iter(found), None)
        if application is None or application.status != S.CHECKING:
            return application
        queued_ms = max(0, round((started - application.updated_at).total_seconds() * 1000))
        # The annotation of the locking query above (the type of `pick` does not carry it).
        rule_set_id: int | None = application.rule_set_in_force  # type: ignore[attr-defined]
        rule_set = rules.published_rule_set(rule_set_id) if rule_set_id is not None else None
        today = timezone.localdate(started)
        if rule_set is None:
            evaluation = _no_rule_set(application.language)
            inputs: dict[str, Any] = {"data": application.data}
        else:
            facts = facts_of_application(application, today)
            evaluation = rules.evaluate(
                rules.checks_of(rule_set),
                data=application.data,
                facts=facts,
                language=application.language,
            )
            inputs = {
                "data": application.data,
                "applicant": facts.values["applicant"],
                "today": facts.values["today"],
                "sources": facts.sources,
            }
        finished = timezone.now()
        DecisionRecord.objects.create(
            application=application,
            round=application.round,
            rule_set=rule_set,
            rule_set_version=rule_set.version if rule_set else None,
            inputs=inputs,
            checks=evaluation.checks,
            outcome=evaluation.outcome,
            language=application.language,
            reasons=evaluation.reasons,
            started_at=started,
            finished_at=finished,
            queued_ms=queued_ms,
            duration_ms=round((finished - started).total_seconds() * 1000),
        )
        reason = " ".join(evaluation.reasons)
        if evaluation.outcome == rules.APPROVED:
            approve(application, actor_kind=SYSTEM, reason=reason, decided_by="rules")
        elif evaluation.outcome == rules.REJECTED:
            reject(application, actor_kind=SYSTEM, reason=reason, decided_by="rules")
        elif evaluation.outcome == rules.RETURNED:
            return_to_applicant(application, actor_kind=SYSTEM, reason=reason)
        else:
            send_to_manual_review(application, actor_kind=SYSTEM, reason=reason)
        notices.application_decided(application, reasons=evaluation.reasons)
    return application


def _no_rule_set(language: str) -> rules.Evaluation:
    with override(language):
        reason = gettext("No rules are in force for this service now; an officer will decide.")
    return rules.Evaluation(outcome=rules.MANUAL_REVIEW, checks=[], reasons=[reason], duration_ms=0)


# Outcomes, shared by the rules and by officers ---------------------------------------------


def approve(
    application: Application,
    *,
    actor_kind: str,
    reason: str = "",
    actor: Any = None,
    decided_by: str = "officer",
) -> Application:
    """Approve a locked application; a service with an output puts it in the wallet."""
    now = timezone.now()
    credential = _issue_output(application, now)
    return transition(
        application,
        S.APPROVED,
        actor_kind=actor_kind,
        actor=actor,
        reason=reason,
        decided_by=decided_by,
        decided_at=now,
        decision_reason=reason,
        issued_credential=credential,
    )


def reject(
    application: Application,
    *,
    actor_kind: str,
    reason: str,
    actor: Any = None,
    decided_by: str = "officer",
) -> Application:
    return transition(
        application,
        S.REJECTED,
        actor_kind=actor_kind,
        actor=actor,
        reason=reason,
        decided_by=decided_by,
        decided_at=timezone.now(),
        decision_reason=reason,
    )


def return_to_applicant(
    application: Application, *, actor_kind: str, reason: str, actor: Any = None
) -> Application:
    return transition(
        application,
        S.RETURNED,
        actor_kind=actor_kind,
        actor=actor,
        reason=reason,
        decision_reason=reason,
        deadline=None,
    )


def send_to_manual_review(
    application: Application, *, actor_kind: str, reason: str, actor: Any = None
) -> Application:
    """Into an officer's queue, with the service's deadline for manual handling."""
    return transition(
        application,
        S.MANUAL_REVIEW,
        actor_kind=actor_kind,
        actor=actor,
        reason=reason,
        deadline=timezone.now() + application.service.manual_deadline,
    )


def _issue_output(application: Application, now: datetime.datetime) -> Any:
    service = application.service
    if service.output_credential_type_id is None or application.applicant_id is None:
        return None
    if application.issued_credential_id is not None:
        return application.issued_credential
    assert application.applicant is not None  # noqa: S101 - checked just above
    valid_from = timezone.localdate(now)
    valid_until = (
        timezone.localdate(now + service.output_validity) if service.output_validity else None
    )
    return issue_credential_on_decision(
        issuer=service.agency,
        holder=application.applicant,
        type=service.output_credential_type,  # type: ignore[arg-type]
        number=application.reference,
        valid_from=valid_from,
        valid_until=valid_until,
    )

"""Deciding applications: automatically by the rule set in force (decide_application, run by a
worker on the `approvals` queue), or by an officer (services.actions.applications.review_…),
and what each outcome does — the credential issued on approval, the deadline of a manual review,
the notice to the applicant."""

import datetime
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, override

from cityportal.runs import DrainRun, handle_batch
from identity.actions.credentials import issue_credential_on_decision
from identity.models import Credential
from services import notices, rules
from services.actions.transitions import transition, transition_many
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


def credentials_of_applicants(applications: Iterable[Application]) -> dict[int, list[Credential]]:
    """The wallet credentials of the applicants, by person id, in one query."""
    people = {a.applicant_id for a in applications if a.business_id is None and a.applicant_id}
    held: dict[int, list[Credential]] = {pk: [] for pk in people}
    if people:
        for credential in rules.credentials_for_facts().filter(holder_id__in=people):
            held[credential.holder_id].append(credential)
    return held


def decide_application(*, application_id: int) -> Application | None:
    """Decide an application in `checking` by the rule set in force and write its decision
    record. Nothing to do when it is no longer checking (a task run twice, a withdrawal)."""
    decided = _decide(lambda found: found.filter(pk=application_id))
    return decided[0] if decided else None


_WAITING = Q(status=S.CHECKING)
DECIDING_BATCH = 20
"""Applications a deciding run claims and decides in one transaction: the claim, the
credentials, the decision records, the moves and the notices are each one statement for the
batch. Under a steady load a batch holds the one to three applications then waiting; under a
backlog, twenty commit within a few tens of milliseconds."""


def waiting_applications() -> QuerySet[Application]:
    """Applications in `checking`: waiting for the rules to decide them."""
    return Application.objects.filter(_WAITING)


def decide_next_waiting_applications(
    *, after: int = 0, batch: int = DECIDING_BATCH
) -> list[Application]:
    """Decide the longest-waiting applications in `checking` above id `after` that no other
    run holds, up to `batch` of them, oldest first; none when none waits. Parallel runs share
    them (SKIP LOCKED), and each is decided once.

    When deciding the batch fails, its applications are decided one at a time, and one whose
    decision fails again goes to an officer (cityportal.runs.handle_batch)."""
    return handle_batch(
        lambda pick, by_rules: _decide(
            lambda found: pick(found.filter(_WAITING)), skip_locked=True, by_rules=by_rules
        ),
        waiting_applications(),
        after=after,
        batch=batch,
        noun="application",
    )


def decide_waiting_applications() -> int:
    """One deciding run (queue `approvals`): every application in `checking`, oldest first."""
    return DECIDING_RUN.drain(
        lambda after: decide_next_waiting_applications(after=after, batch=DECIDING_BATCH),
        batch=DECIDING_BATCH,
    )


def request_decisions() -> None:
    """After an application reaches `checking` and commits: a deciding run, unless one is
    already on its way."""
    DECIDING_RUN.request()


def _decide(
    pick: Callable[[QuerySet[Application]], QuerySet[Application]],
    *,
    skip_locked: bool = False,
    by_rules: bool = True,
) -> list[Application]:
    """Decide the applications `pick` finds in `checking`, in one transaction: by the rule set
    in force, or (`by_rules` False, after the rules failed on them) by sending them to an
    officer. Returns those decided."""
    claimed = timezone.now()
    with transaction.atomic():
        # Which rule set is in force is asked in the same statement; the rule set itself (a
        # published one never changes) comes from memory after its first decision.
        # The claim locks ids alone: a run's last looks, which find nothing, cost little.
        claimed_ids = list(
            pick(Application.objects.select_for_update(skip_locked=skip_locked)).values_list(
                "pk", flat=True
            )
        )
        if not claimed_ids:
            return []
        in_force = rule_sets_in_force(claimed).filter(service=OuterRef("service_id"))
        found = (
            Application.objects.filter(pk__in=claimed_ids, status=S.CHECKING)
            .select_related("service", "applicant", "business")
            .only(*_READ_TO_DECIDE)
            .annotate(rule_set_in_force=Subquery(in_force.values("pk")[:1]))
            .order_by("pk")
        )
        applications: list[Application] = list(found)
        if not applications:
            return []
        today = timezone.localdate(claimed)
        held = credentials_of_applicants(applications) if by_rules else {}
        records: list[DecisionRecord] = []
        outcomes: list[tuple[Application, rules.Evaluation]] = []
        for application in applications:
            started = timezone.now()
            # The annotation of the read above.
            rule_set_id: int | None = application.rule_set_in_force  # type: ignore[attr-defined]
            rule_set = rules.published_rule_set(rule_set_id) if rule_set_id and by_rules else None
            inputs: dict[str, Any] = {"data": application.data}
            if not by_rules:
                evaluation = _to_an_officer(application.language, _RULES_FAILED)
            elif rule_set is None:
                evaluation = _to_an_officer(application.language, _NO_RULES)
            else:
                facts = rules.facts_for(
                    person=application.applicant,
                    business=application.business,
                    today=today,
                    credentials=held.get(application.applicant_id or 0, []),
                )
                evaluation = rules.evaluate(
                    rules.checks_of(rule_set),
                    data=application.data,
                    facts=facts,
                    language=application.language,
                )
                inputs |= {
                    "applicant": facts.values["applicant"],
                    "today": facts.values["today"],
                    "sources": facts.sources,
                }
            finished = timezone.now()
            records.append(
                DecisionRecord(
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
                    queued_ms=max(0, _ms(started - application.updated_at)),
                    duration_ms=_ms(finished - started),
                )
            )
            outcomes.append((application, evaluation))
        DecisionRecord.objects.bulk_create(records)
        decided = timezone.now()
        moves = []
        for application, evaluation in outcomes:
            reason = " ".join(evaluation.reasons)
            status = _STATUS_OF_OUTCOME.get(evaluation.outcome, S.MANUAL_REVIEW)
            changes = changes_on(
                application, status, reason=reason, decided_by="rules", now=decided
            )
            moves.append((application, status, reason, changes))
        transition_many(moves, actor_kind=SYSTEM)
        notices.applications_decided(
            [(application, evaluation.reasons) for application, evaluation in outcomes]
        )
    return applications


def _ms(elapsed: datetime.timedelta) -> int:
    return round(elapsed.total_seconds() * 1000)


_STATUS_OF_OUTCOME = {
    rules.APPROVED: S.APPROVED,
    rules.REJECTED: S.REJECTED,
    rules.RETURNED: S.RETURNED,
    rules.MANUAL_REVIEW: S.MANUAL_REVIEW,
}
_NO_RULES = gettext_noop("No rules are in force for this service now; an officer will decide.")
_RULES_FAILED = gettext_noop("The automatic check could not be completed; an officer will decide.")


def _to_an_officer(language: str, why: str) -> rules.Evaluation:
    with override(language):
        reason = gettext(why)
    return rules.Evaluation(outcome=rules.MANUAL_REVIEW, checks=[], reasons=[reason], duration_ms=0)


# Outcomes, shared by the rules and by officers ---------------------------------------------


def changes_on(
    application: Application, status: str, *, reason: str, decided_by: str, now: datetime.datetime
) -> dict[str, Any]:
    """What else changes when a (locked) application moves to the outcome `status`: who
    decided and why, the credential issued on approval, the deadline of a manual review."""
    if status == S.APPROVED:
        return {
            "decided_by": decided_by,
            "decided_at": now,
            "decision_reason": reason,
            "issued_credential": _issue_output(application, now),
        }
    if status == S.REJECTED:
        return {"decided_by": decided_by, "decided_at": now, "decision_reason": reason}
    if status == S.RETURNED:
        return {"decision_reason": reason, "deadline": None}
    return {"deadline": now + application.service.manual_deadline}


def approve(
    application: Application,
    *,
    actor_kind: str,
    reason: str = "",
    actor: Any = None,
    decided_by: str = "officer",
) -> Application:
    """Approve a locked application; a service with an output puts it in the wallet."""
    return _move_to(S.APPROVED, application, actor_kind, actor, reason, decided_by)


def reject(
    application: Application,
    *,
    actor_kind: str,
    reason: str,
    actor: Any = None,
    decided_by: str = "officer",
) -> Application:
    return _move_to(S.REJECTED, application, actor_kind, actor, reason, decided_by)


def return_to_applicant(
    application: Application, *, actor_kind: str, reason: str, actor: Any = None
) -> Application:
    return _move_to(S.RETURNED, application, actor_kind, actor, reason)


def send_to_manual_review(
    application: Application, *, actor_kind: str, reason: str, actor: Any = None
) -> Application:
    """Into an officer's queue, with the service's deadline for manual handling."""
    return _move_to(S.MANUAL_REVIEW, application, actor_kind, actor, reason)


def _move_to(
    status: str,
    application: Application,
    actor_kind: str,
    actor: Any,
    reason: str,
    decided_by: str = "officer",
) -> Application:
    changes = changes_on(
        application, status, reason=reason, decided_by=decided_by, now=timezone.now()
    )
    return transition(
        application, status, actor_kind=actor_kind, actor=actor, reason=reason, **changes
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

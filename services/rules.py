"""Seconds approval: JsonLogic checks evaluated against an application's data and facts from
identity, with an explanation of every check.

Variables a check may read:

    data.<field>                   the application form (its JSON Schema names the fields)
    applicant.age                  whole years, from the date of birth
    applicant.residence            code of the jurisdiction of residence
    applicant.residence_in         that code and the codes of every jurisdiction above it
    applicant.level_of_assurance   basic | substantial | high
    applicant.loa_rank             0 (basic), 1 (substantial) or 2 (high), for comparisons
    applicant.is_business          true when a business applies
    applicant.credentials.<type>   true when the applicant holds a valid card of that type
    today                          the date of the decision, YYYY-MM-DD

A variable read without a default (`{"var": "data.income"}`, not `{"var": ["data.income", 0]}`)
that has no value makes the check `missing`; an evaluation that raises makes it `error`. Either
sends the application to an officer: missing data is never a silent rejection.

The evaluator is maykin-json-logic-py (the one Open Forms uses); expressions are checked on save
(validate_expression) for structure, known operators and known variables.
"""

import datetime
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import json_logic
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identity.models import LOA_ORDER, Business, Credential, Jurisdiction, LevelOfAssurance, Person

FACT_VARIABLES = frozenset(
    {
        "applicant.age",
        "applicant.residence",
        "applicant.residence_in",
        "applicant.level_of_assurance",
        "applicant.loa_rank",
        "applicant.is_business",
        "today",
    }
)
CREDENTIAL_PREFIX = "applicant.credentials."
OPERATORS = frozenset(json_logic.operations) | frozenset(
    {"var", "missing", "missing_some", "reduce", "map"}
)
# Outcomes in the order they win: missing data or an error first, then the harshest failure.
PASS, FAIL, MISSING, ERROR = "pass", "fail", "missing", "error"
APPROVED, REJECTED, MANUAL_REVIEW, RETURNED = "approved", "rejected", "manual_review", "returned"
_ON_FAIL_OUTCOME = {
    "reject": REJECTED,
    "manual_review": MANUAL_REVIEW,
    "request_evidence": RETURNED,
}
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
_UNSET = object()


# Expressions -------------------------------------------------------------------------------


def _var_name(arguments: Any) -> tuple[str, bool]:
    """The name a `var` reads and whether it has a default."""
    if isinstance(arguments, list):
        if not arguments:
            return "", False
        return str(arguments[0]) if arguments[0] is not None else "", len(arguments) > 1
    return str(arguments) if arguments is not None else "", False


def variables_of(expression: Any) -> dict[str, bool]:
    """{variable: has_default} for every variable the expression reads."""
    found: dict[str, bool] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict) and len(node) == 1:
            ((operator, arguments),) = node.items()
            if operator == "var":
                name, has_default = _var_name(arguments)
                if name:
                    found[name] = found.get(name, True) and has_default
                if isinstance(arguments, list):
                    for child in arguments[1:]:
                        walk(child)
                return
            if operator in ("missing", "missing_some"):
                names = arguments[-1] if operator == "missing_some" else arguments
                for name in names if isinstance(names, list) else [names]:
                    if isinstance(name, str):
                        found.setdefault(name, True)
                return
            if operator in ("map", "reduce"):
                # Their second argument reads the items of the first, not the application.
                walk(arguments[0] if isinstance(arguments, list) and arguments else None)
                return
            walk(arguments)

    walk(expression)
    return found


def schema_variables(input_schema: Mapping[str, Any]) -> set[str]:
    """`data.<field>` names a form's JSON Schema declares, nested objects included."""
    names: set[str] = set()

    def walk(schema: Any, prefix: str) -> None:
        if not isinstance(schema, Mapping):
            return
        for name, sub in (schema.get("properties") or {}).items():
            path = f"{prefix}.{name}"
            names.add(path)
            walk(sub, path)

    walk(input_schema, "data")
    return names


def is_known_variable(name: str, known_data: set[str]) -> bool:
    if name in FACT_VARIABLES or name in known_data:
        return True
    if name.startswith(CREDENTIAL_PREFIX):
        return bool(re.fullmatch(r"[-a-zA-Z0-9_]+", name.removeprefix(CREDENTIAL_PREFIX)))
    return False


def validate_expression(expression: Any, *, known_data: set[str]) -> None:
    """Refuse an expression that is not JsonLogic, uses an unknown operator or reads an unknown
    variable; the message names the problem."""
    problems: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}[{index}]")
        elif isinstance(node, dict):
            if len(node) != 1:
                problems.append(
                    gettext("%(path)s: an operation has exactly one operator, not %(count)d.")
                    % {"path": path or "/", "count": len(node)}
                )
                return
            ((operator, arguments),) = node.items()
            if operator not in OPERATORS:
                problems.append(
                    gettext('%(path)s: unknown operator "%(operator)s".')
                    % {"path": path or "/", "operator": operator}
                )
                return
            if operator in ("map", "reduce"):
                walk(arguments[0] if isinstance(arguments, list) and arguments else None, path)
                return
            walk(arguments, f"{path}/{operator}")

    if not isinstance(expression, dict):
        raise ValidationError(
            _('A check must be a JsonLogic operation (an object such as {">=": [...]}).'),
            code="invalid_expression",
        )
    walk(expression, "")
    for name in sorted(variables_of(expression)):
        if not is_known_variable(name, known_data):
            problems.append(gettext('Unknown variable "%(name)s".') % {"name": name})
    if problems:
        raise ValidationError(problems, code="invalid_expression")


# Facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What identity knows about the applicant, each value with its source."""

    values: dict[str, Any]
    sources: dict[str, str]


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def facts_of_person(
    person: Person,
    *,
    credentials: Iterable[Credential],
    residence_chain: Sequence[str],
    today: datetime.date,
) -> Facts:
    """Facts from rows already loaded (so a batch over many persons costs a few queries)."""
    valid = {c.type.code: True for c in credentials if c.is_valid_on(today)}
    values: dict[str, Any] = {
        "applicant": {
            "age": age_on(person.date_of_birth, today) if person.date_of_birth else None,
            "residence": residence_chain[0] if residence_chain else None,
            "residence_in": list(residence_chain),
            "level_of_assurance": person.level_of_assurance,
            "loa_rank": LOA_ORDER[LevelOfAssurance(person.level_of_assurance)],
            "is_business": False,
            "credentials": valid,
        },
        "today": today.isoformat(),
    }
    sources = {
        "applicant.age": person.source_of("date_of_birth"),
        "applicant.residence": person.source_of("residence"),
        "applicant.residence_in": person.source_of("residence"),
        "applicant.level_of_assurance": "identity",
        "applicant.loa_rank": "identity",
        "applicant.is_business": "identity",
        "applicant.credentials": "wallet",
        "today": "system",
    }
    return Facts(values=values, sources=sources)


# Jurisdictions change rarely; their chains (district → city → province) are kept per process.
_CHAINS: dict[int, tuple[float, list[str]]] = {}
_CHAIN_TTL_SECONDS = 300.0


def jurisdiction_chain(jurisdiction_id: int | None) -> list[str]:
    """The codes of a jurisdiction and of every one above it, nearest first (cached)."""
    if jurisdiction_id is None:
        return []
    now = time.monotonic()
    cached = _CHAINS.get(jurisdiction_id)
    if cached is None or cached[0] < now:
        jurisdiction = Jurisdiction.objects.select_related("parent__parent").get(pk=jurisdiction_id)
        cached = (now + _CHAIN_TTL_SECONDS, [j.code for j in jurisdiction.ancestors_and_self()])
        _CHAINS[jurisdiction_id] = cached
    return cached[1]


def credentials_for_facts() -> QuerySet[Credential]:
    """Wallet credentials as facts read them: only what validity needs (the card numbers stay
    encrypted, not even decrypted here)."""
    return Credential.objects.select_related("type").only(
        "holder", "type__code", "status", "valid_from", "valid_until"
    )


def facts_for(
    *,
    person: Person | None,
    business: Business | None,
    today: datetime.date,
    credentials: Iterable[Credential] | None = None,
) -> Facts:
    """Facts about the party of an application (a person, or a business); `credentials`: the
    person's, when already read (a deciding run reads a whole batch's at once)."""
    if business is not None:
        return facts_of_business(jurisdiction_chain(business.jurisdiction_id), today)
    if person is None:
        raise ValueError("An application's party is a person or a business.")
    if credentials is None:
        credentials = credentials_for_facts().filter(holder=person)
    return facts_of_person(
        person,
        credentials=credentials,
        residence_chain=jurisdiction_chain(person.residence_id),
        today=today,
    )


def facts_of_business(chain: Sequence[str], today: datetime.date) -> Facts:
    """Facts about a business: where it is registered (`chain`: its jurisdiction and those
    above)."""
    return Facts(
        values={
            "applicant": {
                "age": None,
                "residence": chain[0] if chain else None,
                "residence_in": list(chain),
                "level_of_assurance": None,
                "loa_rank": None,
                "is_business": True,
                "credentials": {},
            },
            "today": today.isoformat(),
        },
        sources={"applicant.residence": "business register", "today": "system"},
    )


# Evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckSpec:
    """A check as the evaluator needs it: plain values, so a published rule set can be cached."""

    code: str
    titles: dict[str, str]
    expression: Any
    on_fail: str
    reasons: dict[str, str]
    legal_basis: str
    variables: dict[str, bool] = field(default_factory=dict)


@dataclass
class Evaluation:
    outcome: str
    checks: list[dict[str, Any]]
    reasons: list[str]
    duration_ms: int


def _lookup(context: Mapping[str, Any], name: str) -> Any:
    node: Any = context
    for part in name.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            # Not holding a card is a fact (false), not missing data.
            return False if name.startswith(CREDENTIAL_PREFIX) else _UNSET
    return node


def _in_language(texts: Mapping[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def render_reason(template: str, values: Mapping[str, Any]) -> str:
    """Fill `{{variable}}` placeholders with the values the check read."""

    def value_of(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(value_of, template)


def evaluate(
    checks: Sequence[CheckSpec], *, data: Mapping[str, Any], facts: Facts, language: str
) -> Evaluation:
    """Run every check in order and combine the results: missing data or an error → manual
    review; otherwise the harshest failure (reject, then manual review, then a request for
    evidence); no failure → approved."""
    started = time.perf_counter()
    context = {**facts.values, "data": dict(data)}
    results: list[dict[str, Any]] = []
    reasons: list[str] = []
    worst: set[str] = set()
    for check in checks:
        read = {name: _lookup(context, name) for name in check.variables}
        values = {name: (None if value is _UNSET else value) for name, value in read.items()}
        missing = sorted(
            name
            for name, has_default in check.variables.items()
            if not has_default and read[name] in (_UNSET, None)
        )
        entry: dict[str, Any] = {
            "code": check.code,
            "title": _in_language(check.titles, language),
            "on_fail": check.on_fail,
            "legal_basis": check.legal_basis,
            "values": values,
            "sources": {
                name: facts.sources.get(_source_key(name), "application") for name in values
            },
        }
        if missing:
            entry.update(result=MISSING, missing=missing)
            worst.add(MISSING)
        else:
            try:
                passed = bool(json_logic.jsonLogic(check.expression, context))
            except Exception as error:
                entry.update(result=ERROR, error=f"{type(error).__name__}: {error}"[:300])
                worst.add(ERROR)
            else:
                entry["result"] = PASS if passed else FAIL
                if not passed:
                    worst.add(_ON_FAIL_OUTCOME[check.on_fail])
                    reasons.append(render_reason(_in_language(check.reasons, language), values))
        results.append(entry)
    if MISSING in worst or ERROR in worst:
        outcome = MANUAL_REVIEW
        with translation.override(language):
            missing_names = sorted({n for r in results for n in r.get("missing", [])})
            if missing_names:
                reasons.append(
                    gettext("Some information is missing (%(names)s); an officer will decide.")
                    % {"names": ", ".join(missing_names)}
                )
            if ERROR in worst:
                reasons.append(gettext("A check could not be completed; an officer will decide."))
    else:
        outcome = next((o for o in (REJECTED, MANUAL_REVIEW, RETURNED) if o in worst), APPROVED)
    return Evaluation(
        outcome=outcome,
        checks=results,
        reasons=reasons,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


def _source_key(name: str) -> str:
    if name.startswith(CREDENTIAL_PREFIX):
        return "applicant.credentials"
    return name


# Rule sets ---------------------------------------------------------------------------------

_CACHE: dict[int, list[CheckSpec]] = {}
_RULE_SETS: dict[int, Any] = {}
_CACHE_SIZE = 512


def specs_of(checks: Iterable[Any]) -> list[CheckSpec]:
    """CheckSpecs from Check rows (or unsaved ones, in admin), titles and reasons per language."""
    from django.conf import settings
    from modeltranslation.utils import build_localized_fieldname

    languages = [code for code, _name in settings.LANGUAGES]
    specs = []
    for check in checks:
        specs.append(
            CheckSpec(
                code=check.code,
                titles={
                    lang: getattr(check, build_localized_fieldname("title", lang)) or ""
                    for lang in languages
                },
                expression=check.expression,
                on_fail=check.on_fail,
                reasons={
                    lang: getattr(check, build_localized_fieldname("reason_template", lang)) or ""
                    for lang in languages
                },
                legal_basis=check.legal_basis,
                variables=variables_of(check.expression),
            )
        )
    return specs


def published_rule_set(pk: int) -> Any:
    """The published RuleSet `pk` (the caller found it in force), kept in memory: a published
    rule set never changes but for its status, which the caller's query has just checked."""
    from services.models import RuleSet

    return _kept(
        _RULE_SETS, pk, lambda: RuleSet.objects.only("service", "version", "status").get(pk=pk)
    )


def _kept(store: dict[int, Any], key: int, read: Callable[[], Any]) -> Any:
    """store[key], read on first use; a full store starts afresh (at most _CACHE_SIZE)."""
    if key not in store:
        if len(store) >= _CACHE_SIZE:
            store.clear()
        store[key] = read()
    return store[key]


def clear_cache() -> None:
    """Forget cached rule sets, checks and jurisdiction chains (tests, whose rolled-back rows
    may reuse an id)."""
    _CACHE.clear()
    _RULE_SETS.clear()
    _CHAINS.clear()


def checks_of(rule_set: Any) -> list[CheckSpec]:
    """The checks of a rule set. A published rule set never changes, so its checks are kept in
    memory; a draft one is read afresh each time."""
    if rule_set.status != "published":
        return specs_of(rule_set.checks.order_by("position", "pk"))
    return _kept(_CACHE, rule_set.pk, lambda: specs_of(rule_set.checks.order_by("position", "pk")))

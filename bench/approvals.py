"""Seconds approval: POST /api/v1/applications through gunicorn → a real Celery worker decides
the application by its published rule set → the decision record is committed.

    .venv/bin/python bench/approvals.py                      # 50/s for 60 s, then saturation
    .venv/bin/python bench/approvals.py --rate 50 --duration 60 --saturate 30 --drain 5000

How it measures (nothing in the project changes):

- The stack is production settings, gunicorn (4 sync workers) and one Celery worker
  (concurrency 2) on Redis and PostgreSQL, all on this machine's cores with the load generator.
- A bench-only trigger, created in the throwaway database only, sends NOTIFY with the
  application's id when its decision record is inserted; PostgreSQL delivers it when the worker's
  transaction commits, i.e. when the decision is visible. A LISTEN connection timestamps each.
- Each request carries its sequence number in the form (`client_ref`), so every decision is
  matched to the request that caused it. The open loop makes requests due at a fixed rate; the
  latency of an application is counted from when its request was *due* to when its decision was
  visible: HTTP queueing, the request, the broker, the worker and the commit all count.
- The rule set is six checks over the form, the applicant's age, residence, level of assurance and
  a wallet credential, as the demo services have; every decision writes its full record (values
  read, sources, reasons), its history event and an inbox message, and queues the email/SMS task.
- Saturation: 32 connections submit as fast as answers come (closed loop); decisions committed
  per second are counted in the window. `--drain N` then stores N applications in `checking`
  and queues one deciding run (a burst of submissions queues no more: they share the run asked
  for), and times how fast the worker alone decides them, the second process joining once the
  first run sees a backlog.

Exits 1 if a request failed or a decision never arrived.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, loadgen

CHANNEL = "bench_decided"
USERS = 256
SERVICE = "bench-permit"

PROBE_SQL = f"""
CREATE FUNCTION bench_notify_decided() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.application_id::text);
    RETURN NEW;
END $$;
CREATE TRIGGER bench_notify_decided AFTER INSERT ON services_decisionrecord
    FOR EACH ROW EXECUTE FUNCTION bench_notify_decided();
"""


def seed() -> list[str]:
    """A city, an agency, the bench service with a published rule set, and USERS citizens with
    an ID card in their wallet, each signed in: returns their X-Session-Token values."""
    import datetime
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.utils import timezone

    from identity.models import (
        Agency,
        Credential,
        CredentialType,
        Jurisdiction,
        Person,
        User,
    )
    from services.actions.catalogue import index_service
    from services.models import Check, RuleSet, RuleTestCase, Service

    province = Jurisdiction.objects.create(code="bench-province", name="Bench", level="province")
    city = Jurisdiction.objects.create(
        code="bench-city", name="Bench City", level="city", parent=province
    )
    agency = Agency.objects.create(code="bench-agency", name="Bench Agency", jurisdiction=city)
    id_card = CredentialType.objects.create(code="bench-id-card", name="ID card", issuer=agency)
    service = Service.objects.create(
        code=SERVICE,
        agency=agency,
        jurisdiction=city,
        name_en="Bench permit",
        name_th="ใบอนุญาตทดสอบ",
        name_zh_hans="测试许可证",
        status="active",
        approval_mode="automatic",
        input_schema={
            "type": "object",
            "properties": {
                "children": {"type": "integer", "minimum": 0, "maximum": 20},
                "purpose": {"type": "string", "enum": ["work", "study", "family"]},
                "client_ref": {"type": "integer", "minimum": 0},
            },
            "required": ["children", "purpose", "client_ref"],
            "additionalProperties": False,
        },
    )
    index_service(service)
    rule_set = RuleSet.objects.create(
        service=service,
        version=1,
        status="published",
        effective_from=timezone.now() - timedelta(days=1),
        published_at=timezone.now(),
    )
    checks = [
        ("adult", {">=": [{"var": "applicant.age"}, 18]}, "reject", "Age {{applicant.age}} < 18"),
        ("resident", {"in": ["bench-city", {"var": "applicant.residence_in"}]}, "reject",
         "Not a resident ({{applicant.residence}})"),
        ("assured", {">=": [{"var": "applicant.loa_rank"}, 0]}, "manual_review", "LoA"),
        ("id-card", {"var": "applicant.credentials.bench-id-card"}, "request_evidence",
         "Add your ID card"),
        ("children", {"<=": [{"var": "data.children"}, 10]}, "manual_review",
         "{{data.children}} children"),
        ("purpose", {"in": [{"var": "data.purpose"}, ["work", "study", "family"]]}, "reject",
         "Purpose {{data.purpose}}"),
    ]  # fmt: skip
    for position, (code, expression, on_fail, reason) in enumerate(checks):
        Check.objects.create(
            rule_set=rule_set,
            position=position,
            code=code,
            title_en=code,
            expression=expression,
            on_fail=on_fail,
            reason_template_en=reason,
            reason_template_th=reason,
            reason_template_zh_hans=reason,
        )
    RuleTestCase.objects.create(
        rule_set=rule_set,
        name="adult resident",
        data={"children": 1, "purpose": "work", "client_ref": 0},
        facts={"applicant": {"age": 30, "residence_in": ["bench-city"], "loa_rank": 0,
                             "credentials": {"bench-id-card": True}}},
        expected_outcome="approved",
    )  # fmt: skip

    tokens = []
    request = RequestFactory().get("/")
    from django.contrib.auth import login

    for n in range(USERS):
        user = User.objects.create(username=f"bench{n}", email=f"bench{n}@example.org")
        user.set_unusable_password()
        user.save()
        person = Person.objects.create(
            user=user,
            legal_name_local=f"Bench {n}",
            date_of_birth=datetime.date(1980, 1, 1) + timedelta(days=n),
            residence=city,
            preferred_language=("en", "th", "zh-hans")[n % 3],
        )
        Credential.objects.create(
            holder=person,
            type=id_card,
            issuer=agency,
            number=f"ID{n:08d}",
            number_index=f"bench-{n}",
            number_masked=f"******{n % 100:02d}",
            origin="issuer",
            verification="verified",
        )
        request.session = SessionStore()
        request.user = user
        login(request, user, backend="identity.backends.ModelBackend")
        request.session.save()
        tokens.append(request.session.session_key)
    return tokens


def make_requests(tokens: list[str], starts: dict[str, int]) -> loadgen.RequestMaker:
    def make(number: int) -> bytes:
        if number == 0:
            starts.setdefault("wall0", time.time_ns())
        body = orjson.dumps(
            {"service": SERVICE, "data": {"children": 1, "purpose": "work", "client_ref": number}}
        )
        return loadgen.build_request(
            "POST",
            "/api/v1/applications",
            headers={
                "Content-Type": "application/json",
                "Accept-Language": "en",
                "X-Session-Token": tokens[number % len(tokens)],
                "Idempotency-Key": str(uuid.uuid4()),
            },
            body=body,
        )

    return make


def client_refs(application_ids: list[int]) -> dict[int, int]:
    from services.models import Application

    rows = Application.objects.filter(pk__in=application_ids).values_list("pk", "data")
    return {pk: int(data["client_ref"]) for pk, data in rows}


def outcomes() -> dict[str, int]:
    from django.db.models import Count

    from services.models import DecisionRecord

    return dict(
        DecisionRecord.objects.values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )


def open_phase(
    stack: harness.Stack, listener: harness.Listener, tokens: list[str], args: Any
) -> dict:
    starts: dict[str, int] = {}
    first = listener.count
    result = loadgen.run_open_loop(
        "POST /applications",
        stack.web_address,
        make_requests(tokens, starts),
        rate=args.rate,
        duration=args.duration,
        warmup=args.warmup,
        ok=(201,),
        sessions=stack.cpu_sessions,
    )
    accepted = result.statuses.get(201, 0)
    total = int(args.rate * (args.warmup + args.duration))
    arrived = listener.wait_for(first + total, timeout=60)
    arrivals = [(int(pk), seen) for pk, seen in listener.arrivals[first:]]
    refs = client_refs([pk for pk, _ in arrivals])
    interval_ns = 1e9 / args.rate
    measured_from = int(args.rate * args.warmup)
    latencies = sorted(
        (seen - (starts["wall0"] + int(refs[pk] * interval_ns))) / 1e6
        for pk, seen in arrivals
        if refs.get(pk, -1) >= measured_from
    )
    summary = result.summary()
    return {
        "phase": f"open {args.rate:g}/s for {args.duration:g} s",
        "requests_measured": summary["requests"],
        "http_p50_ms": summary["p50_ms"],
        "http_p95_ms": summary["p95_ms"],
        "http_p99_ms": summary["p99_ms"],
        "http_errors": summary["errors"],
        "statuses": summary["statuses"],
        "decisions": len(arrivals),
        "decisions_measured": len(latencies),
        "missing": 0 if arrived else total - len(arrivals),
        "submit_to_decision_p50_ms": round(loadgen.percentile(latencies, 50), 2),
        "submit_to_decision_p95_ms": round(loadgen.percentile(latencies, 95), 2),
        "submit_to_decision_p99_ms": round(loadgen.percentile(latencies, 99), 2),
        "submit_to_decision_max_ms": round(latencies[-1], 2) if latencies else None,
        "accepted": accepted,
        "cpu_cores": summary["cpu_cores"],
        "stack_cpu_ms_per_application": summary["stack_cpu_ms_per_req"],
    }


def saturate_phase(
    stack: harness.Stack, listener: harness.Listener, tokens: list[str], args: Any
) -> dict:
    starts: dict[str, int] = {}
    first = listener.count
    window_start = time.time_ns() + int(args.warmup * 1e9)
    result = loadgen.run_closed_loop(
        "POST /applications",
        stack.web_address,
        make_requests(tokens, starts),
        connections=args.connections,
        duration=args.saturate,
        warmup=args.warmup,
        ok=(201,),
        sessions=stack.cpu_sessions,
    )
    window_end = window_start + int(args.saturate * 1e9)
    summary = result.summary()
    submitted = sum(summary["statuses"].get(k, 0) for k in ("201",))
    # Everything accepted must be decided; then count decisions inside the measured window.
    listener.wait_for(first + submitted, timeout=120)
    drained_at = listener.arrivals[-1][1] if listener.arrivals else window_end
    in_window = sum(
        1 for _pk, seen in listener.arrivals[first:] if window_start <= seen < window_end
    )
    return {
        "phase": f"saturate {args.connections} connections for {args.saturate:g} s",
        "submitted_per_s": summary["req_per_s"],
        "http_p50_ms": summary["p50_ms"],
        "http_p99_ms": summary["p99_ms"],
        "http_errors": summary["errors"],
        "decisions_per_s": round(in_window / args.saturate, 1),
        "backlog_drained_after_s": round(max(0, drained_at - window_end) / 1e9, 2),
        "cpu_cores": summary["cpu_cores"],
    }


def drain_phase(stack: harness.Stack, listener: harness.Listener, count: int) -> dict:
    """`count` applications in `checking` at once and one deciding run queued, the worker paused:
    its own rate, the runs sharing the backlog as a burst of submissions would leave them
    (cityportal/runs.py)."""
    from django.db import transaction
    from django.utils import timezone

    from identity.models import Person
    from services.models import Application, Service
    from services.tasks import decide_waiting_applications_task

    service = Service.objects.get(code=SERVICE)
    persons = list(Person.objects.filter(user__username__startswith="bench")[:USERS])
    now = timezone.now()
    rows = [
        Application(
            reference=f"BENCH-{uuid.uuid4().hex[:12]}",
            service=service,
            applicant=persons[n % len(persons)],
            submitted_by=persons[n % len(persons)],
            status="checking",
            data={"children": 1, "purpose": "study", "client_ref": n},
            round=1,
            submitted_at=now,
        )
        for n in range(count)
    ]
    # Pause the consumer first, so that no run starts before the clock; then let it go and time
    # the decisions alone.
    from cityportal.celery import app

    first = listener.count
    app.control.cancel_consumer("approvals", reply=True)
    with transaction.atomic():
        created = Application.objects.bulk_create(rows, batch_size=1000)
    assert len(created) == count
    decide_waiting_applications_task.delay()
    meter = loadgen.CpuMeter(stack.cpu_sessions)
    meter.start()
    began = time.time_ns()
    app.control.add_consumer("approvals", reply=True)
    done = listener.wait_for(first + count, timeout=300)
    cpu = meter.stop()
    arrivals = [seen for _pk, seen in listener.arrivals[first:]]
    seconds = (max(arrivals) - began) / 1e9 if arrivals else float("nan")
    rate = len(arrivals) / seconds if arrivals else 0.0
    return {
        "phase": f"drain {count} queued decisions",
        "decided": len(arrivals),
        "missing": 0 if done else count - len(arrivals),
        "seconds": round(seconds, 2),
        "decisions_per_s": round(rate, 1),
        "worker_cpu_ms_per_decision": round(cpu.get("worker", 0) * 1000 / rate, 2)
        if rate
        else None,
        "postgres_cpu_ms_per_decision": round(cpu.get("postgres", 0) * 1000 / rate, 2)
        if rate
        else None,
        "cpu_cores": cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--saturate", type=float, default=30.0, help="seconds; 0 to skip")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--drain", type=int, default=3000, help="applications; 0 to skip")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()

    overrides = {"THROTTLE_USER_RATE": "1000000/min"}
    results: list[dict[str, Any]] = []
    with harness.bench_stack(
        prepare_database=lambda url: harness.execute_sql(url, PROBE_SQL),
        worker_concurrency=args.worker_concurrency,
        overrides=overrides,
        keep_logs=args.keep_logs,
    ) as stack:
        harness.setup_django(stack.env)
        tokens = seed()
        header = harness.print_header("Seconds approval: submit → decision", stack)
        listener = harness.Listener(stack.database_url, CHANNEL)
        listener.start()
        try:
            results.append(open_phase(stack, listener, tokens, args))
            print(json.dumps(results[-1], indent=2), flush=True)
            stack.ensure_running()
            if args.saturate > 0:
                results.append(saturate_phase(stack, listener, tokens, args))
                print(json.dumps(results[-1], indent=2), flush=True)
                stack.ensure_running()
            if args.drain > 0:
                results.append(drain_phase(stack, listener, args.drain))
                print(json.dumps(results[-1], indent=2), flush=True)
                stack.ensure_running()
            results.append({"phase": "outcomes", **outcomes()})
            print(json.dumps(results[-1]), flush=True)
        finally:
            listener.stop()
    if args.json:
        args.json.write_text(json.dumps({"header": header, "results": results}, indent=2))
    failed = [r for r in results if r.get("http_errors") or r.get("missing")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

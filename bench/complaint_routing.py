"""Complaint routing: POST /api/v1/complaints through gunicorn → the routing task on a real
Celery worker (queue `routing`) → the complaint committed as `routed` to an agency.

    .venv/bin/python bench/complaint_routing.py                  # 50/s for 60 s, saturation, drain
    .venv/bin/python bench/complaint_routing.py --rate 40 --duration 30 --saturate 0 --drain 0

Target (PRODUCT.md): submission → routed p95 under 250 ms at 50 complaints per second.

How it measures (nothing in the project changes):

- Production settings, gunicorn (4 sync workers) and one Celery worker (concurrency 2, every
  queue, as docker-compose runs it) on Redis and PostgreSQL, on this machine's cores together
  with the load generator.
- The catalogue is the generator's synthetic one plus a working calendar with holidays and
  nine rules that are tried and fail before the one that matches (bench/complaint_common.py),
  so routing does its real work: the compiled table (its version rechecked once a second), the
  rule ladder, the district, the deadlines counted on the calendar, the transition with its
  history row and its outbox row, and the reporter's notice, written by the batched
  announcement runs on the same worker.
- A bench-only trigger, created in the throwaway database only (dropped with it), sends NOTIFY
  with the complaint's address when its status goes from `submitted` to `routed`; PostgreSQL
  delivers it when the worker's transaction commits, i.e. when the routing is visible. A
  LISTEN connection timestamps each. Each request carries its sequence number in the address,
  so every routing is matched to its own request, and latency runs from when the request was
  *due* (open loop: queueing, the HTTP request, the broker, the worker, the commit all count).
- `--saturate S`: a closed loop (`--connections`, default 32) for S seconds; complaints routed
  per second are counted in the window, with submissions and routings sharing the cores.
- `--drain N`: N complaints are stored as submitted and one routing run is queued while the
  worker's `routing` consumer is paused (a burst of submissions leaves no more: they share the
  run already asked for), then it is resumed and timed until the last is routed: the worker's
  own rate, the second process joining once the first run sees a backlog, with its CPU per
  routing, which counts the announcement runs that tell the reporters meanwhile (queue
  `notifications`, the same worker).

Exits 1 if a request failed or a complaint was never routed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import complaint_common, harness, loadgen

CHANNEL = "bench_routed"
USERS = 256
PROBE = "Bench "
DRAINED = "Drain "

PROBE_SQL = f"""
CREATE FUNCTION bench_notify_routed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'routed' AND OLD.status = 'submitted' THEN
        PERFORM pg_notify('{CHANNEL}', NEW.address);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bench_notify_routed AFTER UPDATE OF status ON complaints_complaint
    FOR EACH ROW EXECUTE FUNCTION bench_notify_routed();
"""


def _ref(payload: str, prefix: str = PROBE) -> int:
    return int(payload.removeprefix(prefix)) if payload.startswith(prefix) else -1


def open_phase(
    stack: harness.Stack,
    listener: harness.Listener,
    make: Any,
    starts: dict[str, int],
    args: Any,
) -> dict[str, Any]:
    first = listener.count
    result = loadgen.run_open_loop(
        "POST /complaints",
        stack.web_address,
        make,
        rate=args.rate,
        duration=args.duration,
        warmup=args.warmup,
        ok=(201,),
        sessions=stack.cpu_sessions,
    )
    accepted = result.statuses.get(201, 0)
    total = int(args.rate * (args.warmup + args.duration))
    arrived = listener.wait_for(total, timeout=60, matching=lambda p: 0 <= _ref(p) < total)
    arrivals = [(_ref(payload), seen) for payload, seen in listener.arrivals[first:]]
    arrivals = [(ref, seen) for ref, seen in arrivals if 0 <= ref < total]
    interval_ns = 1e9 / args.rate
    measured_from = int(args.rate * args.warmup)
    latencies = sorted(
        (seen - (starts["wall0"] + int(ref * interval_ns))) / 1e6
        for ref, seen in arrivals
        if measured_from <= ref < total
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
        "routed": len(arrivals),
        "routed_measured": len(latencies),
        "missing": 0 if arrived else total - len(arrivals),
        "submit_to_routed_p50_ms": round(loadgen.percentile(latencies, 50), 2),
        "submit_to_routed_p95_ms": round(loadgen.percentile(latencies, 95), 2),
        "submit_to_routed_p99_ms": round(loadgen.percentile(latencies, 99), 2),
        "submit_to_routed_max_ms": round(latencies[-1], 2) if latencies else None,
        "accepted": accepted,
        "cpu_cores": summary["cpu_cores"],
        "stack_cpu_ms_per_complaint": summary["stack_cpu_ms_per_req"],
    }


def saturate_phase(
    stack: harness.Stack, listener: harness.Listener, make: Any, base: int, args: Any
) -> dict[str, Any]:
    from complaints.models import Complaint

    first = listener.count
    window_start = time.time_ns() + int(args.warmup * 1e9)
    result = loadgen.run_closed_loop(
        "POST /complaints",
        stack.web_address,
        make,
        connections=args.connections,
        duration=args.saturate,
        warmup=args.warmup,
        ok=(201,),
        sessions=stack.cpu_sessions,
    )
    window_end = window_start + int(args.saturate * 1e9)
    summary = result.summary()

    # Everything stored (in the window, and during warm-up and grace) must be routed; count
    # those routed inside the window.
    def ours(payload: str) -> bool:
        return _ref(payload) >= base

    digits = len(str(base))  # every saturation request's number has at least these digits
    stored = Complaint.objects.filter(address__regex=rf"^{PROBE}\d{{{digits},}}$").count()
    arrived = listener.wait_for(stored, timeout=120, matching=ours)
    mine = [seen for payload, seen in listener.arrivals[first:] if ours(payload)]
    drained_at = max(mine) if mine else window_end
    in_window = sum(1 for seen in mine if window_start <= seen < window_end)
    return {
        "phase": f"saturate {args.connections} connections for {args.saturate:g} s",
        "submitted_per_s": summary["req_per_s"],
        "http_p50_ms": summary["p50_ms"],
        "http_p99_ms": summary["p99_ms"],
        "http_errors": summary["errors"],
        "routed_per_s": round(in_window / args.saturate, 1),
        "stored": stored,
        "missing": 0 if arrived else stored - len(mine),
        "backlog_drained_after_s": round(max(0, drained_at - window_end) / 1e9, 2),
        "cpu_cores": summary["cpu_cores"],
    }


def drain_phase(
    stack: harness.Stack,
    listener: harness.Listener,
    catalogue: complaint_common.Catalogue,
    citizens: list[tuple[int, str]],
    count: int,
) -> dict[str, Any]:
    """`count` complaints waiting at once and one routing run queued, the worker paused: its
    own routing rate, the runs sharing the backlog as a burst of submissions would leave them
    (cityportal/runs.py)."""
    from django.db import transaction
    from django.utils import timezone

    from cityportal.celery import app
    from complaints.models import Complaint, ComplaintCategory, new_tracking_number
    from complaints.tasks import route_waiting_complaints_task

    leaves = ComplaintCategory.objects.filter(
        jurisdiction__code=catalogue.jurisdiction, code__in=catalogue.categories
    )
    categories = dict(leaves.values_list("code", "pk"))
    jurisdiction_id = leaves[0].jurisdiction_id
    now = timezone.now()
    rows = []
    for n in range(count):
        lat, lon, district = catalogue.points[n % len(catalogue.points)]
        rows.append(
            Complaint(
                tracking_number=new_tracking_number(),
                jurisdiction_id=jurisdiction_id,
                category_id=categories[catalogue.categories[n % len(catalogue.categories)]],
                district_id=district,
                description="Drained complaint",
                latitude=lat,
                longitude=lon,
                address=f"{DRAINED}{n}",
                reporter_id=citizens[n % len(citizens)][0],
                created_at=now,
                updated_at=now,
            )
        )
    # Pause the consumer first, so that no run starts before the clock; then let it go and time
    # the routings alone.
    first = listener.count
    app.control.cancel_consumer("routing", reply=True)
    with transaction.atomic():
        created = Complaint.objects.bulk_create(rows, batch_size=1000)
    assert len(created) == count
    route_waiting_complaints_task.delay()
    meter = loadgen.CpuMeter(stack.cpu_sessions)
    meter.start()
    began = time.time_ns()
    app.control.add_consumer("routing", reply=True)
    done = listener.wait_for(count, timeout=300, matching=lambda p: p.startswith(DRAINED))
    cpu = meter.stop()
    arrivals = [seen for payload, seen in listener.arrivals[first:] if payload.startswith(DRAINED)]
    seconds = (max(arrivals) - began) / 1e9 if arrivals else float("nan")
    rate = len(arrivals) / seconds if arrivals else 0.0
    return {
        "phase": f"drain {count} queued routings",
        "routed": len(arrivals),
        "missing": 0 if done else count - len(arrivals),
        "seconds": round(seconds, 2),
        "routed_per_s": round(rate, 1),
        "worker_cpu_ms_per_routing": round(cpu.get("worker", 0) * 1000 / rate, 2) if rate else None,
        "postgres_cpu_ms_per_routing": round(cpu.get("postgres", 0) * 1000 / rate, 2)
        if rate
        else None,
        "cpu_cores": cpu,
    }


def agencies() -> dict[str, int]:
    """Where the complaints went: routed (and later states) by agency, and the dispatch queue."""
    from django.db.models import Count

    from complaints.models import Complaint

    rows = (
        Complaint.objects.values_list("agency__code")
        .annotate(n=Count("pk"))
        .values_list("agency__code", "n")
    )
    return {code or "dispatch queue": n for code, n in rows}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--saturate", type=float, default=20.0, help="seconds; 0 to skip")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--drain", type=int, default=3000, help="complaints; 0 to skip")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    if not 0 < args.rate <= 500 or not 0 < args.duration <= 300 or args.drain > 50_000:
        parser.error("--rate in (0, 500], --duration in (0, 300], --drain up to 50000")

    overrides = {"THROTTLE_USER_RATE": "1000000/min"}
    results: list[dict[str, Any]] = []
    with harness.bench_stack(
        prepare_database=lambda url: harness.execute_sql(url, PROBE_SQL),
        worker_concurrency=args.worker_concurrency,
        overrides=overrides,
        keep_logs=args.keep_logs,
    ) as stack:
        harness.setup_django(stack.env)
        catalogue = complaint_common.seed_catalogue()
        citizens = complaint_common.seed_citizens(USERS)
        listener = harness.Listener(stack.database_url, CHANNEL)
        listener.start()
        try:
            path = complaint_common.intake_path(stack.web_address, catalogue, citizens[0])
            if not listener.wait_for(1, timeout=30):
                raise RuntimeError("the first complaint was not routed within 30 s")
            header = harness.print_header("Complaint routing: submit → routed", stack)
            starts: dict[str, int] = {}
            make = complaint_common.intake_requests(catalogue, citizens, starts, path)
            results.append(open_phase(stack, listener, make, starts, args))
            print(json.dumps(results[-1], indent=2), flush=True)
            stack.ensure_running()
            if args.saturate > 0:
                # Numbers far above the open phase's, so that no address repeats.
                base = 10_000_000
                bulk = complaint_common.intake_requests(catalogue, citizens, None, path)
                results.append(
                    saturate_phase(stack, listener, lambda n: bulk(base + n), base, args)
                )
                print(json.dumps(results[-1], indent=2), flush=True)
                stack.ensure_running()
            if args.drain > 0:
                results.append(drain_phase(stack, listener, catalogue, citizens, args.drain))
                print(json.dumps(results[-1], indent=2), flush=True)
                stack.ensure_running()
            results.append({"phase": "where they went", **agencies()})
            print(json.dumps(results[-1]), flush=True)
        finally:
            listener.stop()
    print_summary(results, args)
    if args.json:
        args.json.write_text(json.dumps({"header": header, "results": results}, indent=2))
    failed = [r for r in results if r.get("http_errors") or r.get("missing")]
    return 1 if failed else 0


def print_summary(results: list[dict[str, Any]], args: Any) -> None:
    """A Markdown table to paste into docs/benchmarks.md."""
    print("\n| phase | rate | submit → routed p50 / p95 / p99 | HTTP p95 | cores web / worker / "
          "PostgreSQL / busy / other |")  # fmt: skip
    print("|---|---|---|---|---|")
    for result in results:
        cores = result.get("cpu_cores") or {}
        load = (
            f"{cores.get('web', 0):.2f} / {cores.get('worker', 0):.2f} / "
            f"{cores.get('postgres', 0):.2f} / {cores.get('busy', 0):.2f} / "
            f"{cores.get('other', 0):.2f}"
        )
        if "submit_to_routed_p95_ms" in result:
            print(
                f"| {result['phase']} | {args.rate:g}/s | {result['submit_to_routed_p50_ms']:,.0f}"
                f" / **{result['submit_to_routed_p95_ms']:,.0f}** / "
                f"{result['submit_to_routed_p99_ms']:,.0f} ms | {result['http_p95_ms']:,.0f} ms "
                f"| {load} |"
            )
        elif "submitted_per_s" in result:
            print(
                f"| {result['phase']} | {result['submitted_per_s']:g} submitted/s | "
                f"**{result['routed_per_s']:g} routed/s** sustained | p99 "
                f"{result['http_p99_ms']:,.0f} ms | {load} |"
            )
        elif "seconds" in result:
            print(
                f"| {result['phase']} | — | **{result['routed_per_s']:g} routed/s** "
                f"({result['seconds']:g} s), {result['worker_cpu_ms_per_routing']} ms worker "
                f"CPU per routing | — | {load} |"
            )
    opened = [r for r in results if "submit_to_routed_p95_ms" in r]
    if opened:
        p95 = opened[0]["submit_to_routed_p95_ms"]
        verdict = "meets" if p95 < 250 and args.rate >= 50 else "does not meet"
        print(
            f"\nsubmit → routed p95 {p95:,.0f} ms at {args.rate:g}/s: {verdict} the target "
            "(p95 < 250 ms at 50/s). Check `other` (cores used outside the benchmark) first."
        )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[bench] interrupted")
        sys.exit(130)

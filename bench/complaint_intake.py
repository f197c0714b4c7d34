"""Complaint intake: POST /api/v1/complaints beside a bare Django JSON view, a minimal view
that inserts the same Complaint row, and the same view queuing the routing task on commit, on
the same gunicorn in the same run.

    .venv/bin/python bench/complaint_intake.py                    # 4 endpoints, 2 rounds: ~3 min
    .venv/bin/python bench/complaint_intake.py --rounds 1 --duration 5 --connections 16

Target (PRODUCT.md): intake at least half the request rate of the minimal insert view.

  hello     POST /bench/hello: a bare Django view answering a constant JSON (the request
            floor through the project's middleware)
  floor     POST /bench/complaints: plain Django view, orjson, hand-written checks of the same
            body, one Complaint INSERT with the same fields (reporter and district in the body)
            and nothing else (bench/complaint_floor.py)
  floor+task  POST /bench/complaints-queued: the floor, its INSERT in a transaction that
            queues the routing task on commit (what the queue alone adds)
  intake    POST /api/v1/complaints as signed-in citizens (X-Session-Token, 256 in rotation),
            a fresh Idempotency-Key each: DRF, authentication, the per-user throttle (limit
            raised, still counting), the idempotency claim, the serializer, the category
            lookup, the district of the point, the checks, the INSERT, the submission's
            history row and the routing task queued on commit

Every endpoint gets the same body (categories and points in rotation) and the same closed loop
(`--connections`, default 32), endpoints interleaved round by round so drift in the machine's
load touches all of them alike. By default no Celery worker runs: the routing tasks the intake
queues wait in Redis, so the figure is intake alone, as in production where workers have their
own machines (`--worker` starts one on the same cores). After the load every answered 201 is
checked against the rows stored. Exits 1 if a request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import orjson

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import complaint_common, harness, loadgen

SETTINGS = "bench.complaint_settings"
USERS = 256


def floor_requests(
    catalogue: complaint_common.Catalogue, citizens: list[tuple[int, str]], path: str
) -> loadgen.RequestMaker:
    """The same bodies as the intake's, with the reporter and the district the intake would
    find from the session and the point."""

    def make(number: int) -> bytes:
        body = complaint_common.intake_body(catalogue, number)
        body["reporter"] = citizens[number % len(citizens)][0]
        body["district"] = catalogue.points[number % len(catalogue.points)][2]
        return loadgen.build_request(
            "POST",
            path,
            headers={"Content-Type": "application/json", "Accept-Language": "en"},
            body=orjson.dumps(body),
        )

    return make


def stored() -> dict[str, int]:
    from complaints.models import Complaint, ComplaintEvent

    return {
        "complaints": Complaint.objects.count(),
        "with_history": ComplaintEvent.objects.values("complaint_id").distinct().count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=32, help="closed loop (32)")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds (10)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds first (2)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over the endpoints (2)")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--worker", action="store_true", help="run a Celery worker too")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    if not 0 < args.duration <= 120 or not 0 <= args.warmup <= 30 or not 1 <= args.rounds <= 5:
        parser.error("--duration in (0, 120], --warmup in [0, 30], --rounds in [1, 5]")

    overrides = {"THROTTLE_USER_RATE": "1000000/min"}
    results: list[dict[str, Any]] = []
    with harness.bench_stack(
        settings_module=SETTINGS,
        web=True,
        worker=args.worker,
        web_workers=args.web_workers,
        overrides=overrides,
        keep_logs=args.keep_logs,
    ) as stack:
        harness.setup_django(stack.env)
        catalogue = complaint_common.seed_catalogue()
        citizens = complaint_common.seed_citizens(USERS)
        path = complaint_common.intake_path(stack.web_address, catalogue, citizens[0])
        header = harness.print_header("Complaint intake beside its floors", stack)
        scenarios = [
            ("hello", floor_requests(catalogue, citizens, "/bench/hello"), (200,)),
            ("floor", floor_requests(catalogue, citizens, "/bench/complaints"), (201,)),
            ("floor+task", floor_requests(catalogue, citizens, "/bench/complaints-queued"), (201,)),
            ("intake", complaint_common.intake_requests(catalogue, citizens, path=path), (201,)),
        ]
        created = 0
        print("\n" + loadgen.TABLE_HEADER)
        for round_number in range(1, args.rounds + 1):
            for name, make, ok in scenarios:
                result = loadgen.run_closed_loop(
                    name,
                    stack.web_address,
                    make,
                    connections=args.connections,
                    duration=args.duration,
                    warmup=args.warmup,
                    ok=ok,
                    sessions=stack.cpu_sessions,
                )
                summary = result.summary()
                answered_ok = sum(result.statuses.get(status, 0) for status in ok)
                summary["round"] = round_number
                summary["ok_per_s"] = round(answered_ok / args.duration, 1)
                results.append(summary)
                if name != "hello":
                    created += result.statuses.get(201, 0)
                print(loadgen.table_row(summary), flush=True)
                stack.ensure_running()
        counts = stored()
    # Requests answered during warm-up and grace are stored too: at least as many rows as
    # counted 201s, and every complaint the intake stored has its history row.
    print(f"\nstored: {counts}; 201s counted in the measured windows: {created}")
    consistent = counts["complaints"] >= created
    print_summary(results, args)
    if args.json:
        args.json.write_text(
            json.dumps({"header": header, "results": results, "stored": counts}, indent=2)
        )
    failed = [r for r in results if r["errors"]]
    for result in failed:
        print(f"errors in {result['name']} round {result['round']}: {result['errors']}")
    return 1 if failed or not consistent else 0


def print_summary(results: list[dict[str, Any]], args: Any) -> None:
    """A Markdown table to paste into docs/benchmarks.md: each endpoint's figures per round,
    and the intake's rate as a share of the insert floor's in the same round."""
    print(
        f"\n#### Complaint intake, closed loop, {args.connections} connections, "
        f"{args.duration:g} s per endpoint per round\n"
    )
    print("| round | endpoint | OK/s | p50 ms | p95 ms | p99 ms | server CPU ms/req | vs floor |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for result in results:
        same_round = {r["name"]: r for r in results if r["round"] == result["round"]}
        floor = same_round.get("floor", {}).get("ok_per_s") or 0
        share = f"{result['ok_per_s'] / floor:.0%}" if floor else "—"
        print(
            f"| {result['round']} | {result['name']} | {result['ok_per_s']:,.0f} | "
            f"{result['p50_ms']:.1f} | {result['p95_ms']:.1f} | {result['p99_ms']:.1f} | "
            f"{result['stack_cpu_ms_per_req'] or 0:.2f} | {share} |"
        )
    intake = [r for r in results if r["name"] == "intake"]
    floors = {r["round"]: r["ok_per_s"] for r in results if r["name"] == "floor"}
    shares = [r["ok_per_s"] / floors[r["round"]] for r in intake if floors.get(r["round"])]
    if shares:
        verdict = "meets" if min(shares) >= 0.5 else "misses"
        print(
            f"\nIntake at {', '.join(f'{s:.0%}' for s in shares)} of the insert floor's rate "
            f"(target ≥ 50 %): {verdict} the target. cores: {os.cpu_count()}; compare the "
            "`other` column (processes outside the benchmark) before trusting a figure."
        )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[bench] interrupted")
        sys.exit(130)

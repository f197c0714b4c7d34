"""Catalogue search latency over 10,000 services (target: p95 under 30 ms).

    .venv/bin/python bench/catalogue_search.py                        # ~2 min
    .venv/bin/python bench/catalogue_search.py --services 2000 --duration 5 --explain

Loads `--services` synthetic services (manage.py generate_services: names in English, Thai and
Chinese from real catalogue words) plus a few real ones into a throwaway PostgreSQL database,
then measures a mix of queries in the three languages, with English typos:

  db          the database work of one GET /api/v1/services?q=… page, in this process, one
              query at a time: the search (and the typo lookup when nothing matches as
              typed), the ETag/count aggregate, the ranked page of 20, and its categories,
              life events and fees (no HTTP, no serializers)
  http        GET /api/v1/services?q=… through gunicorn (4 sync workers, production settings),
              closed loop at `--connections` (default 2) and open loop at `--rate` (default
              20/s); queries and Accept-Language rotate, so after the first round most
              answers come from the page cache (the ETag's count query, then the cached
              page); with `--uncached` every request is a new URL and is read in full

The throttles stay on with their limits raised (THROTTLE_ANON_RATE, THROTTLE_USER_RATE: DRF's
user throttle keys anonymous requests by address too), so they do their real work (cache reads
and writes) without refusing the load. Exits 1 if a request
failed or a search missed its service.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, loadgen

QUERIES = [
    "居住证",
    "ใบขับขี่",
    "driving licence",
    "drivng licence",
    "营业执照",
    "business licence",
    "ห้องสมุด",
    "libary card",
    "residence permit",
    "驾驶证续期",
    "ต่ออายุใบขับขี่",
    "senior transit card",
    "医疗保险",
    "wrok permit",
    "permit",
    "child allowance Nanshan",
]
LANGUAGES = ("en", "th", "zh-hans")
REAL_SERVICES = [
    # code, (en, th, zh) names, summaries in three languages
    (
        "residence-permit",
        ("Residence permit", "ใบอนุญาตพำนัก", "居住证"),
        ("Live and work in the city.", "อาศัยและทำงานในเมือง", "在本市居住和工作。"),
    ),
    (
        "driving-licence-renewal",
        ("Driving licence renewal", "ต่ออายุใบขับขี่", "驾驶证换证"),
        ("Renew before it expires.", "ต่ออายุก่อนหมดอายุ", "到期前换证。"),
    ),
    (
        "business-licence",
        ("Business licence", "ใบอนุญาตประกอบธุรกิจ", "营业执照"),
        ("Open a shop or company.", "เปิดร้านหรือบริษัท", "开店或开公司。"),
    ),
    (
        "library-card",
        ("Library card", "บัตรห้องสมุด", "借书证"),
        ("Borrow books.", "ยืมหนังสือ", "借阅图书。"),
    ),
]
EXPECTED_FIRST = {
    "居住证": "residence-permit",
    "driving licence": "driving-licence-renewal",
    "drivng licence": "driving-licence-renewal",
    "营业执照": "business-licence",
    "business licence": "business-licence",
    "libary card": "library-card",
}


def load_catalogue(count: int) -> None:
    """The real services first, then the synthetic ones, then fresh planner statistics."""
    from django.core.management import call_command
    from django.db import connection

    from identity.models import Agency, Jurisdiction
    from services.actions.catalogue import index_service
    from services.models import Service

    city = Jurisdiction.objects.create(code="bench-province", name="Bench", level="province")
    agency = Agency.objects.create(code="bench-city", name="Bench City Hall", jurisdiction=city)
    for code, names, summaries in REAL_SERVICES:
        service = Service.objects.create(
            code=code,
            agency=agency,
            jurisdiction=agency.jurisdiction,
            name_en=names[0],
            name_th=names[1],
            name_zh_hans=names[2],
            summary_en=summaries[0],
            summary_th=summaries[1],
            summary_zh_hans=summaries[2],
            status="active",
        )
        index_service(service)
    started = time.monotonic()
    call_command("generate_services", str(count))
    print(f"[bench] generated {count} services in {time.monotonic() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE services_service")


def page_of(q: str) -> tuple[list[str], int]:
    """What the list view asks the database for one page of a search."""
    from services.api.catalogue import _for_list, lists_of, public_services
    from services.search import search

    found = search(public_services(), q)
    total = found.state().total
    page = found.page(0, 20, _for_list)
    lists_of(page)
    return [service.code for service in page], total


def measure_db(rounds: int) -> dict[str, Any]:
    """Each query `rounds` times (after one unmeasured round), one at a time."""
    latencies: list[float] = []
    per_query: dict[str, dict[str, Any]] = {}
    for q in QUERIES:
        page_of(q)
    misses = []
    for q in QUERIES:
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            codes, total = page_of(q)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        latencies.extend(timings)
        expected = EXPECTED_FIRST.get(q)
        if expected and (not codes or codes[0] != expected):
            misses.append(f"{q!r}: first {codes[:1]}, expected {expected}")
        per_query[q] = {
            "matches": total,
            "first": codes[0] if codes else None,
            "p50_ms": round(loadgen.percentile(timings, 50), 2),
            "p95_ms": round(loadgen.percentile(timings, 95), 2),
        }
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50_ms": round(loadgen.percentile(latencies, 50), 2),
        "p95_ms": round(loadgen.percentile(latencies, 95), 2),
        "p99_ms": round(loadgen.percentile(latencies, 99), 2),
        "max_ms": round(latencies[-1], 2),
        "per_query": per_query,
        "misses": misses,
    }


def explain(q: str) -> str:
    """The plans of the first page: from the name matches (when there are enough), and from
    all matches ranked."""
    from django.db import connection

    from services.api.catalogue import _for_list, public_services
    from services.search import search

    found = search(public_services(), q)
    plans = []
    for label, services in (("name matches", found.name_matches), ("all matches", found.matches)):
        if services is None:
            continue
        sql, params = _for_list(services)[:20].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plans.append(f"- {label}:\n" + "\n".join(row[0] for row in cursor.fetchall()))
    return "\n".join(plans)


def requests(*, uncached: bool = False) -> Any:
    """The request to send n-th: the load rotates over every query and language. `uncached`
    adds a parameter the API ignores, different for every request, so that no answer comes
    from the page cache (nor is a 304)."""
    combinations = [(q, language) for q in QUERIES for language in LANGUAGES]

    def build(n: int) -> bytes:
        q, language = combinations[n % len(combinations)]
        query = {"q": q, "fresh": n} if uncached else {"q": q}
        return loadgen.build_request(
            "GET",
            "/api/v1/services?" + urlencode(query),
            headers={"Accept": "application/json", "Accept-Language": language},
        )

    if uncached:
        return build
    built = [build(n) for n in range(len(combinations))]
    return lambda n: built[n % len(built)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30, help="db: runs of each query (30)")
    parser.add_argument("--connections", type=int, default=2, help="closed loop (default 2)")
    parser.add_argument("--rate", type=float, default=20, help="open loop, requests/s (20)")
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds first")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--explain", action="store_true", help="print query plans")
    parser.add_argument("--db-only", action="store_true", help="no gunicorn, no HTTP load")
    parser.add_argument(
        "--uncached", action="store_true", help="http: every request a new URL (no page cache)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    if not 0 < args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be in (0, 120] and --warmup in [0, 30]")
    if not 0 < args.services <= 100_000:
        parser.error("--services must be in (0, 100000]")

    # Anonymous requests pass both DRF throttles (the user throttle keys them by address).
    overrides = {"THROTTLE_ANON_RATE": "1000000/min", "THROTTLE_USER_RATE": "1000000/min"}
    with harness.bench_stack(
        settings_module=harness.PRODUCTION_SETTINGS,
        web=not args.db_only,
        worker=False,
        web_workers=args.web_workers,
        overrides=overrides,
        keep_logs=args.keep_logs,
    ) as stack:
        harness.setup_django(stack.env)
        load_catalogue(args.services)
        header = harness.print_header(f"Catalogue search ({args.services} services)", stack)
        if args.explain:
            for q in ("drivng licence", "居住证", "permit"):
                print(f"\n-- EXPLAIN {q!r}\n{explain(q)}")
        db = measure_db(args.rounds)
        print(f"\n{'query':<26} {'matches':>8} {'p50 ms':>8} {'p95 ms':>8}  first")
        for q, figures in db["per_query"].items():
            print(
                f"{q:<26} {figures['matches']:>8} {figures['p50_ms']:>8.2f} "
                f"{figures['p95_ms']:>8.2f}  {figures['first']}"
            )
        print(
            f"\ndb, all queries: {db['requests']} pages, p50 {db['p50_ms']} ms, "
            f"p95 {db['p95_ms']} ms, p99 {db['p99_ms']} ms, max {db['max_ms']} ms"
        )
        results: list[dict[str, Any]] = []
        make = requests(uncached=args.uncached)
        runs = (
            lambda: loadgen.run_closed_loop(
                "search",
                stack.web_address,
                make,
                connections=args.connections,
                duration=args.duration,
                warmup=args.warmup,
                sessions=stack.cpu_sessions,
            ),
            lambda: loadgen.run_open_loop(
                "search",
                stack.web_address,
                make,
                rate=args.rate,
                duration=args.duration,
                warmup=args.warmup,
                sessions=stack.cpu_sessions,
            ),
        )
        if not args.db_only:
            print("\n" + loadgen.TABLE_HEADER)
        for run in () if args.db_only else runs:
            summary = run().summary()
            results.append(summary)
            print(loadgen.table_row(summary), flush=True)
            stack.ensure_running()
    failed = [r for r in results if r["errors"]]
    for result in failed:
        print(f"errors in {result['name']} ({result['mode']}): {result['errors']}")
    for miss in db["misses"]:
        print(f"search miss: {miss}")
    print(
        f"\nbusy = cores busy out of {os.cpu_count()}; client = cores used by the load generator; "
        "other = cores used by processes outside the benchmark (should be ~0)."
    )
    if args.json:
        args.json.write_text(
            json.dumps({"header": header, "db": db, "http": results}, indent=2, default=str)
        )
    return 1 if failed or db["misses"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[bench] interrupted")
        sys.exit(130)

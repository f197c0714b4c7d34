"""The staff complaint list with 100,000 and then 1,000,000 complaints stored: p95 per page.

    .venv/bin/python bench/staff_list.py                         # 100k, then 1M: ~15 min
    .venv/bin/python bench/staff_list.py --sizes 20000,100000 --walks 5 --duration 10

Target (PRODUCT.md): p95 under 50 ms per page, flat as the table grows.

For each size the table is filled with `manage.py generate_complaints` (a two-year-old
service: nearly everything closed, the open working set a few days of reports; one officer per
agency of the synthetic catalogue, which the generator also names in the history), then
`VACUUM ANALYZE`, and measured through gunicorn (production settings, 4 sync workers, no
Celery worker):

  api     GET /api/v1/complaints/agency as each agency's officer (X-Session-Token): the first
          page, then `next` page after page (cursor pages of 50, by resolution deadline);
  admin   GET the admin changelist of complaints (the officer's queue, open ones by default, 50
          a page) and its pages ?p=2, 3, …, signed in with a second factor as staff must be.

After two unmeasured walks (every worker loads its code and templates), each endpoint is
measured twice: `--walks` sequential walks by every officer through the first
`--pages` pages (a member of staff paging alone: the latency of a page), then an open loop over
the same page URLs for `--duration` seconds, at `--rate` (API) or `--admin-rate` pages per
second (pages asked while others are). Before the HTTP runs, the SQL of one API page and one
admin page is captured in-process, with every query the page issued, and shown with EXPLAIN
(ANALYZE, BUFFERS). Exits 1 if a request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import complaint_common, harness, loadgen

ADMIN_LIST = "/admin/complaints/complaint/"
API_LIST = "/api/v1/complaints/agency"
PAGE = 50  # both lists' page size


# --- who reads ----------------------------------------------------------------------------------


def seed_officers() -> list[dict[str, Any]]:
    """One officer per agency that handles complaints in the synthetic catalogue, signed in
    with a second factor: {agency, user, session}. The session key is both the API's
    X-Session-Token and the admin's session cookie."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from identity.models import Agency, Membership, User

    officers = []
    request = RequestFactory().get("/")
    for agency in Agency.objects.filter(code__startswith="gen-").order_by("code"):
        user = User.objects.create(
            username=f"officer-{agency.code}", email=f"{agency.code}@example.org", is_staff=True
        )
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, agency=agency, role=Membership.Role.OFFICER)
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
        request.session = SessionStore()
        request.user = user
        login(request, user, backend="identity.backends.ModelBackend")
        now = time.time()
        request.session["account_authentication_methods"] = [
            {"method": "password", "at": now},
            {"method": "mfa", "type": "totp", "at": now},
        ]
        request.session["account_authentication_methods_user"] = str(user.pk)
        request.session.save()
        officers.append(
            {"agency": agency.code, "user": user.pk, "session": str(request.session.session_key)}
        )
    return officers


def headers_for(officer: dict[str, Any], kind: str) -> dict[str, str]:
    if kind == "api":
        return {"Accept": "application/json", "X-Session-Token": officer["session"]}
    return {"Accept": "text/html", "Cookie": f"sessionid={officer['session']}"}


# --- filling the table ----------------------------------------------------------------------------


def fill_to(size: int) -> dict[str, Any]:
    """Generate complaints until `size` are stored; then fresh statistics for the planner."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from complaints.models import Complaint
    from complaints.states import OPEN

    have = Complaint.objects.count()
    started = time.monotonic()
    if size > have:
        call_command("generate_complaints", str(size - have), "--seed", str(size))
    generated = time.monotonic() - started
    with connection.cursor() as cursor:
        for table in ("complaints_complaint", "complaints_complaintevent", "complaints_rating"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    open_by_agency = dict(
        Complaint.objects.filter(status__in=sorted(OPEN))
        .values_list("agency__code")
        .annotate(n=Count("pk"))
        .values_list("agency__code", "n")
    )
    return {
        "complaints": Complaint.objects.count(),
        "generated_seconds": round(generated, 1),
        "open_by_agency": open_by_agency,
    }


# --- plans ----------------------------------------------------------------------------------------


def explain(officer: dict[str, Any]) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the list query of an API first page, an API next page and
    an admin page, as the views issue them (captured in-process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    plans = {}

    def capture(url: str, headers: dict[str, str], *markers: str) -> tuple[str, Any]:
        """The first query of the page holding every marker; every query is listed too."""
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        issued = [q["sql"] for q in queries.captured_queries]
        plans[f"queries of {url}"] = "\n".join(
            f"{float(q['time']) * 1000:7.2f} ms  {q['sql'][:160]}" for q in queries.captured_queries
        )
        found = [sql for sql in issued if all(marker in sql for marker in markers)]
        if not found:
            raise RuntimeError(f"no list query among those of {url}:\n" + "\n".join(issued))
        return found[0], response

    api = {"X-Session-Token": officer["session"]}
    keyset = ('"resolution_due"', f"LIMIT {PAGE + 1}")  # the page's keys, one more than a page
    first_sql, response = capture(API_LIST, api, *keyset)
    plans["api first page"] = _plan(first_sql)
    following = response.json().get("next")
    if following:
        parts = urlsplit(following)
        next_sql, _response = capture(f"{parts.path}?{parts.query}", api, *keyset)
        plans["api next page"] = _plan(next_sql)
    client.cookies["sessionid"] = officer["session"]
    # The second page if the queue fills one (a single page is read without LIMIT).
    page = 2 if officer["open"] > PAGE else 1
    ordered = 'ORDER BY "complaints_complaint"."resolution_due" ASC'
    admin_sql, _response = capture(f"{ADMIN_LIST}?p={page}", {}, ordered)
    plans[f"admin page {page}"] = _plan(admin_sql)
    return plans


def _plan(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


# --- HTTP -----------------------------------------------------------------------------------------


def get(address: tuple[str, int], path: str, headers: dict[str, str]) -> tuple[int, float, bytes]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection(*address, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return response.status, (time.perf_counter() - started) * 1000, body


def walk(
    address: tuple[str, int],
    officers: list[dict[str, Any]],
    kind: str,
    pages: int,
    walks: int,
    open_by_agency: dict[str, int],
) -> tuple[list[float], list[tuple[str, dict[str, str]]], dict[str, int], list[str]]:
    """Every officer pages through the first `pages` pages (as many as their open queue
    fills), `walks` times, one request at a time. Returns the latencies, the page URLs met (for
    the open loop), statuses, failures."""
    latencies: list[float] = []
    urls: list[tuple[str, dict[str, str]]] = []
    statuses: dict[str, int] = {}
    failures: list[str] = []
    for round_number in range(walks):
        for officer in officers:
            headers = headers_for(officer, kind)
            path: str | None = API_LIST if kind == "api" else ADMIN_LIST
            filled = -(-open_by_agency.get(officer["agency"], 0) // PAGE)  # pages, rounded up
            for page in range(1, min(pages, max(filled, 1)) + 1):
                if path is None:
                    break
                status, ms, body = get(address, path, headers)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status != 200:
                    failures.append(f"{kind} {officer['agency']} {path}: {status}")
                    break
                latencies.append(ms)
                if round_number == 0:
                    urls.append((path, headers))
                if kind == "api":
                    following = json.loads(body).get("next")
                    path = None
                    if following:
                        parts = urlsplit(following)
                        path = f"{parts.path}?{parts.query}"
                else:
                    path = f"{ADMIN_LIST}?p={page + 1}"
    return latencies, urls, statuses, failures


def figures(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "pages": len(ordered),
        "p50_ms": round(loadgen.percentile(ordered, 50), 2),
        "p95_ms": round(loadgen.percentile(ordered, 95), 2),
        "p99_ms": round(loadgen.percentile(ordered, 99), 2),
        "max_ms": round(ordered[-1], 2) if ordered else None,
    }


def measure(
    stack: harness.Stack,
    officers: list[dict[str, Any]],
    size: int,
    open_by_agency: dict[str, int],
    args: Any,
) -> list[dict[str, Any]]:
    rows = []
    for kind in ("api", "admin"):
        # Unmeasured: every gunicorn worker loads its templates and code paths once.
        walk(stack.web_address, officers, kind, args.pages, 2, open_by_agency)
        latencies, urls, statuses, failures = walk(
            stack.web_address, officers, kind, args.pages, args.walks, open_by_agency
        )
        rows.append(
            {"size": size, "endpoint": kind, "mode": f"sequential walks of {args.pages} pages",
             "statuses": statuses, "failures": failures[:5], "errors": len(failures),
             **figures(latencies)}
        )  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
        built = [loadgen.build_request("GET", path, headers=headers) for path, headers in urls]
        rate = args.rate if kind == "api" else args.admin_rate
        result = loadgen.run_open_loop(
            f"{kind} pages",
            stack.web_address,
            lambda n, built=built: built[n % len(built)],
            rate=rate,
            duration=args.duration,
            warmup=args.warmup,
            sessions=stack.cpu_sessions,
        )
        summary = result.summary()
        rows.append(
            {"size": size, "endpoint": kind, "mode": f"open loop {rate:g}/s",
             "statuses": summary["statuses"], "errors": sum(summary["errors"].values()),
             "pages": summary["requests"], "p50_ms": summary["p50_ms"],
             "p95_ms": summary["p95_ms"], "p99_ms": summary["p99_ms"],
             "max_ms": summary["max_ms"], "cpu_cores": summary["cpu_cores"],
             "stack_cpu_ms_per_page": summary["stack_cpu_ms_per_req"]}
        )  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
        stack.ensure_running()
    return rows


def collect_static(directory: Path) -> None:
    """The admin's pages need the manifest of static files that production settings use."""
    env = harness.bench_environ(
        settings_module=harness.PRODUCTION_SETTINGS,
        database_url="postgres://127.0.0.1/unused",
        redis_url=harness.REDIS_URL,
        prefix=harness.run_id(),
        overrides={"STATIC_ROOT": str(directory)},
    )
    subprocess.run(  # noqa: S603
        [harness.PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=harness.ROOT,
        env=env,
        check=True,
        timeout=300,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000", help="complaints stored, in turn")
    parser.add_argument("--pages", type=int, default=5, help="pages per walk (5)")
    parser.add_argument("--walks", type=int, default=10, help="walks per officer (10)")
    parser.add_argument("--rate", type=float, default=20, help="API open loop, pages/s (20)")
    parser.add_argument("--admin-rate", type=float, default=5, help="admin open loop, pages/s (5)")
    parser.add_argument("--duration", type=float, default=20, help="open loop seconds (20)")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if sizes != sorted(sizes) or not all(0 < size <= 2_000_000 for size in sizes):
        parser.error("--sizes: increasing, each up to 2000000")

    static = Path(tempfile.mkdtemp(prefix="cityportal-bench-static-"))
    results: list[dict[str, Any]] = []
    plans: dict[int, dict[str, str]] = {}
    tables: dict[int, dict[str, Any]] = {}
    try:
        collect_static(static)
        with harness.bench_stack(
            settings_module=harness.PRODUCTION_SETTINGS,
            web=True,
            worker=False,
            web_workers=args.web_workers,
            overrides={"STATIC_ROOT": str(static), "THROTTLE_USER_RATE": "1000000/min"},
            keep_logs=args.keep_logs,
        ) as stack:
            harness.setup_django(stack.env)
            complaint_common.seed_catalogue()
            complaint_common.seed_citizens(20)  # the reporters
            officers = seed_officers()
            header = harness.print_header("Staff complaint list", stack)
            for size in sizes:
                print(f"\n[bench] filling the table to {size:,} complaints", flush=True)
                tables[size] = fill_to(size)
                print(json.dumps(tables[size]), flush=True)
                opened = tables[size]["open_by_agency"]
                busiest = max(officers, key=lambda o: opened.get(o["agency"], 0))
                plans[size] = explain({**busiest, "open": opened.get(busiest["agency"], 0)})
                for label, plan in plans[size].items():
                    print(f"\n-- {size:,} complaints, {label} ({busiest['agency']}):\n{plan}")
                results.extend(measure(stack, officers, size, tables[size]["open_by_agency"], args))
    finally:
        shutil.rmtree(static, ignore_errors=True)
    print_summary(results, tables)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"header": header, "tables": tables, "plans": plans, "results": results},
                indent=2,
                default=str,
            )
        )
    return 1 if any(r["errors"] for r in results) else 0


def print_summary(results: list[dict[str, Any]], tables: dict[int, dict[str, Any]]) -> None:
    print("\n| complaints stored | open (all agencies) | endpoint | mode | pages | p50 ms | "
          "p95 ms | p99 ms | max ms |")  # fmt: skip
    print("|---:|---:|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        opened = sum(tables[r["size"]]["open_by_agency"].values())
        print(
            f"| {r['size']:,} | {opened:,} | {r['endpoint']} | {r['mode']} | {r['pages']} | "
            f"{r['p50_ms']:.1f} | **{r['p95_ms']:.1f}** | {r['p99_ms']:.1f} | "
            f"{r['max_ms'] or 0:.1f} |"
        )
    worst = max((r["p95_ms"] for r in results), default=0)
    verdict = "meets" if worst < 50 else "does not meet"
    print(f"\nworst p95 per page {worst:.1f} ms: {verdict} the target (p95 < 50 ms per page).")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[bench] interrupted")
        sys.exit(130)

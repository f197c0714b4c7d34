"""Request rate and latency of the HTTP conventions on the production stack.

    .venv/bin/python bench/http_conventions.py                     # every scenario, both modes
    .venv/bin/python bench/http_conventions.py --duration 5 --scenarios healthz,gadget-key

Scenarios (all against gunicorn, 4 sync workers, bench.settings = production settings plus the
test-only convention endpoints and the floor view):

  healthz        GET /healthz: the framework floor through the project's middleware
  readyz         GET /readyz: + a database query, a broker connection, the heartbeat row
  ping-auth      GET /api/v1/conventions/ping with X-Session-Token: DRF + session-token auth +
                 per-user throttle, no other database work
  insert-floor   POST /bench/gadgets: plain Django view, hand validation, one INSERT (the floor
                 PRODUCT.md compares write endpoints with)
  gadget         POST /api/v1/conventions/gadgets, authenticated, no Idempotency-Key
  gadget-key     the same with a fresh Idempotency-Key on every request
  gadget-replay  the same key and body again: every request after each user's first is a replay

Each scenario runs closed-loop (N connections, as fast as the server answers) and open-loop
(a fixed rate), unless --modes says otherwise. Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, loadgen

USERS = 256
BODY = b'{"name": "bench", "size": 5}'


def create_users_and_tokens(count: int) -> list[tuple[int, str]]:
    """Users with unusable passwords, each logged in once: (user id, X-Session-Token).

    allauth's app-client session token is the Django session key (its sessions token
    strategy), so a session made by django.contrib.auth.login is a valid token.
    """
    from django.contrib.auth import login
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpRequest

    from identity.models import User

    User.objects.bulk_create(
        User(username=f"bench{n}", email=f"bench{n}@example.org", password=make_password(None))
        for n in range(count)
    )
    tokens = []
    for user in User.objects.filter(username__startswith="bench").order_by("pk"):
        request = HttpRequest()
        request.session = SessionStore()
        login(request, user, backend="identity.backends.ModelBackend")
        request.session.save()
        tokens.append((user.pk, request.session.session_key))
    return tokens


def check_token(address: tuple[str, int], token: str) -> None:
    """One authenticated request must pass before any load is sent."""
    conn = http.client.HTTPConnection(*address, timeout=10)
    try:
        conn.request("GET", "/api/v1/conventions/gadgets", headers={"X-Session-Token": token})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise SystemExit(f"session token refused: {response.status} {body[:300]!r}")


def scenarios(
    tokens: list[tuple[int, str]],
) -> dict[str, tuple[Callable[[int], bytes], tuple[int, ...]]]:
    """name -> (request maker, statuses that count as success)."""
    get = loadgen.build_request
    healthz = get("GET", "/healthz")
    readyz = get("GET", "/readyz")
    json_type = {"Content-Type": "application/json"}
    ping = [
        get("GET", "/api/v1/conventions/ping", headers={"X-Session-Token": t}) for _, t in tokens
    ]
    plain = [
        get(
            "POST",
            "/api/v1/conventions/gadgets",
            headers={**json_type, "X-Session-Token": t},
            body=BODY,
        )
        for _, t in tokens
    ]
    floor = [
        get(
            "POST",
            "/bench/gadgets",
            headers=json_type,
            body=json.dumps({"name": "bench", "size": 5, "owner": pk}).encode(),
        )
        for pk, _ in tokens
    ]
    replay = [
        get(
            "POST",
            "/api/v1/conventions/gadgets",
            headers={**json_type, "X-Session-Token": t, "Idempotency-Key": f"bench-replay-{pk}"},
            body=BODY,
        )
        for pk, t in tokens
    ]
    users = len(tokens)

    def gadget_key(n: int) -> bytes:
        _pk, token = tokens[n % users]
        return get(
            "POST",
            "/api/v1/conventions/gadgets",
            headers={**json_type, "X-Session-Token": token, "Idempotency-Key": str(uuid.uuid4())},
            body=BODY,
        )

    return {
        "healthz": (lambda n: healthz, (200,)),
        "readyz": (lambda n: readyz, (200,)),
        "ping-auth": (lambda n: ping[n % users], (200,)),
        "insert-floor": (lambda n: floor[n % users], (201,)),
        "gadget": (lambda n: plain[n % users], (201,)),
        "gadget-key": (gadget_key, (201,)),
        "gadget-replay": (lambda n: replay[n % users], (201,)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenarios", default="all", help="comma-separated names, or all")
    parser.add_argument("--modes", default="closed,open", help="closed, open or both (default)")
    parser.add_argument("--connections", type=int, default=32, help="closed loop (default 32)")
    parser.add_argument("--rate", type=float, default=50, help="open loop, requests/s (default 50)")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds first")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument(
        "--max-requests", type=int, default=0, help="gunicorn --max-requests (0: off)"
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        help="web server LOG_LEVEL (default WARNING; INFO adds production's access log line)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    if not 0 < args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be in (0, 120] and --warmup in [0, 30]")

    overrides = {
        # Throttling stays on, with room for the load: 256 users in rotation keep each user's
        # throttle history to a few hundred timestamps, as for an active real user.
        "THROTTLE_USER_RATE": "1000000/min",
        "LOG_LEVEL": args.log_level,
    }
    modes = {mode.strip() for mode in args.modes.split(",")}
    with harness.bench_stack(
        settings_module=harness.BENCH_SETTINGS,
        web=True,
        worker=False,
        web_workers=args.web_workers,
        max_requests=args.max_requests,
        overrides=overrides,
        keep_logs=args.keep_logs,
    ) as stack:
        harness.setup_django(stack.env)
        tokens = create_users_and_tokens(USERS)
        check_token(stack.web_address, tokens[0][1])
        header = harness.print_header("HTTP conventions", stack)
        available = scenarios(tokens)
        chosen = list(available) if args.scenarios == "all" else args.scenarios.split(",")
        unknown = [name for name in chosen if name not in available]
        if unknown:
            parser.error(f"unknown scenarios: {', '.join(unknown)}")
        print("\n" + loadgen.TABLE_HEADER)
        results = []
        for name in chosen:
            make, ok = available[name]
            runs = []
            if "closed" in modes:
                runs.append(
                    lambda name=name, make=make, ok=ok: loadgen.run_closed_loop(
                        name,
                        stack.web_address,
                        make,
                        connections=args.connections,
                        duration=args.duration,
                        warmup=args.warmup,
                        ok=ok,
                        sessions=stack.cpu_sessions,
                    )
                )
            if "open" in modes:
                runs.append(
                    lambda name=name, make=make, ok=ok: loadgen.run_open_loop(
                        name,
                        stack.web_address,
                        make,
                        rate=args.rate,
                        duration=args.duration,
                        warmup=args.warmup,
                        ok=ok,
                        sessions=stack.cpu_sessions,
                    )
                )
            for run in runs:
                summary = run().summary()
                results.append(summary)
                print(loadgen.table_row(summary), flush=True)
                stack.ensure_running()
    failed = [r for r in results if r["errors"]]
    for result in failed:
        print(f"errors in {result['name']} ({result['mode']}): {result['errors']}")
    print(
        f"\nbusy = cores busy out of {os.cpu_count()}; client = cores used by the load generator; "
        "other = cores used by processes outside the benchmark (should be ~0)."
    )
    if args.json:
        args.json.write_text(
            json.dumps({"header": header, "results": results}, indent=2, default=str)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[bench] interrupted")
        sys.exit(130)

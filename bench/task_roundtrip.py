"""Task round trip: a committed transaction queues a task → a real Celery worker runs it → its
write is visible in the database. The baseline under the 250 ms approval and routing targets.

    .venv/bin/python bench/task_roundtrip.py --rate 50 --duration 20
    .venv/bin/python bench/task_roundtrip.py --rate 50,100,200 --duration 10 --saturate 10
    .venv/bin/python bench/task_roundtrip.py --db-reuse-max 0      # Celery closes per task

How it measures (nothing in the project changes):

- Each submit is `with transaction.atomic(): INSERT a bench row; record_heartbeat_task
  .delay_on_commit()`, run by this process against the production settings, at a fixed rate
  (open loop): the latency of a submit is counted from when it was *due*, so a slow pipeline
  cannot hide its queueing.
- The worker's task updates the WorkerHeartbeat row (beats + 1). A bench-only trigger, created in
  the throwaway database only, sends NOTIFY on every write to that row; PostgreSQL delivers it
  when the worker's transaction commits, i.e. when its write becomes visible. A LISTEN
  connection in this process timestamps each one.
- The heartbeat task carries no id, so the k-th write is matched to the k-th submit. With two
  worker processes two neighbouring tasks can finish in either order; the pair's latencies may
  then be swapped between them, which leaves the distribution almost unchanged at these rates.
  An exact probe would need a task that writes a token it is given (see docs/benchmarks.md).
- The saturation phase keeps a fixed number of submits in flight (closed loop) and counts
  completed round trips per second: the sustained rate of the whole pipeline on this machine
  (submitter, Redis, worker, PostgreSQL all on the same cores).

Exits 1 if a round trip never completed or the worker died.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, loadgen

CHANNEL = "bench_task_done"

PROBE_SQL = f"""
CREATE TABLE bench_submission (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE FUNCTION bench_notify_task_done() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.beats::text);
    RETURN NEW;
END $$;
CREATE TRIGGER bench_notify_task_done AFTER INSERT OR UPDATE ON cityportal_workerheartbeat
    FOR EACH ROW EXECUTE FUNCTION bench_notify_task_done();
"""


def submit() -> None:
    """What an application submit does at its end: commit a row, queue a task on commit."""
    from django.db import connection, transaction

    from cityportal.tasks import record_heartbeat_task

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_submission (created_at) VALUES (now())")
        record_heartbeat_task.delay_on_commit()


class Submitters:
    """Threads that submit, each on its own database connection, as several web processes
    would; fed with due times (wall-clock ns, as the listener's) through a queue."""

    def __init__(self, count: int) -> None:
        self.queue: queue.Queue[int | None] = queue.Queue()
        self.done: list[tuple[int, int, int]] = []  # (due, started, finished)
        self.failures: list[str] = []
        self.threads = [
            threading.Thread(target=self._run, name=f"bench-submitter-{n}", daemon=True)
            for n in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        from django.db import connection

        try:
            while (due := self.queue.get()) is not None:
                started = time.time_ns()
                try:
                    submit()
                except Exception as error:  # counted, and the run fails
                    self.failures.append(repr(error))
                    continue
                self.done.append((due, started, time.time_ns()))
        finally:
            connection.close()

    def stop(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join(timeout=10)


def open_loop(
    listener: harness.Listener,
    submitters: Submitters,
    *,
    rate: float,
    duration: float,
    grace: float,
) -> dict[str, Any]:
    """`rate` submits per second for `duration` seconds; latency from each one's due time."""
    total = int(rate * duration)
    interval_ns = 1e9 / rate
    first = listener.count
    first_done = len(submitters.done)
    meter = loadgen.CpuMeter(SESSIONS)
    meter.start()
    begin = time.time_ns()
    for number in range(total):
        when = begin + int(number * interval_ns)
        delay = when - time.time_ns()
        if delay > 0:
            time.sleep(delay / 1e9)
        submitters.queue.put(when)
    completed = listener.wait_for(first + total, timeout=grace)
    cpu = meter.stop()
    done = sorted(submitters.done[first_done:])
    # The listener's clock is the wall clock (time_ns), as the due times here.
    arrivals = [seen for _beats, seen in listener.arrivals[first : first + total]]
    # The k-th visible write is matched with the k-th due submit (the task carries no id).
    latencies = sorted(
        (seen - due) / 1e6 for (due, _s, _f), seen in zip(done, arrivals, strict=False)
    )
    lags = sorted((started - due) / 1e6 for due, started, _f in done)
    submit_ms = sorted((finished - started) / 1e6 for _d, started, finished in done)
    return {
        "phase": f"open {rate:g}/s",
        "submitted": len(done),
        "completed": len(arrivals),
        "missing": 0 if completed else total - len(arrivals),
        "achieved_rate": round(len(arrivals) / ((arrivals[-1] - begin) / 1e9), 1)
        if arrivals
        else 0,
        "p50_ms": round(loadgen.percentile(latencies, 50), 2),
        "p95_ms": round(loadgen.percentile(latencies, 95), 2),
        "p99_ms": round(loadgen.percentile(latencies, 99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "submit_p50_ms": round(loadgen.percentile(submit_ms, 50), 2),
        "submit_p99_ms": round(loadgen.percentile(submit_ms, 99), 2),
        "send_lag_p99_ms": round(loadgen.percentile(lags, 99), 2),
        "worker_cpu_ms_per_task": _per_task(cpu, "worker", len(arrivals) / duration),
        "cpu_cores": cpu,
        "other_processes": meter.other_commands,
    }


def saturate(
    listener: harness.Listener,
    submitters: Submitters,
    *,
    in_flight: int,
    duration: float,
    grace: float,
) -> dict[str, Any]:
    """Keep `in_flight` submits outstanding for `duration` seconds; count completions per second
    after the first second (which fills the pipeline)."""
    first = listener.count
    first_done = len(submitters.done)
    sent = 0
    begin = time.perf_counter()
    end = begin + duration
    meter = loadgen.CpuMeter(SESSIONS)
    measured_from_count: int | None = None
    measured_from = begin
    while (now := time.perf_counter()) < end:
        if measured_from_count is None and now >= begin + 1:
            measured_from_count, measured_from = listener.count, now
            meter.start()
        if sent - (listener.count - first) >= in_flight:
            with listener.changed:
                listener.changed.wait(0.05)
            continue
        submitters.queue.put(time.time_ns())
        sent += 1
    if measured_from_count is None:
        raise SystemExit("--saturate must be longer than 1 s")
    measured = listener.count - measured_from_count
    window = time.perf_counter() - measured_from
    cpu = meter.stop()
    completed = listener.wait_for(first + sent, timeout=grace)
    rate = measured / window
    done = submitters.done[first_done:]
    # Waiting for a free submitter: if this grows, the submitters, not the worker, are the limit.
    waits = sorted((started - queued) / 1e6 for queued, started, _f in done)
    submit_ms = sorted((finished - started) / 1e6 for _q, started, finished in done)
    return {
        "phase": f"saturate {in_flight} in flight",
        "submitted": sent,
        "completed": listener.count - first,
        "missing": 0 if completed else sent - (listener.count - first),
        "sustained_rate": round(rate, 1),
        "submit_wait_p50_ms": round(loadgen.percentile(waits, 50), 2),
        "submit_p50_ms": round(loadgen.percentile(submit_ms, 50), 2),
        "worker_cpu_ms_per_task": _per_task(cpu, "worker", rate),
        "cpu_cores": cpu,
        "other_processes": meter.other_commands,
    }


def _per_task(cpu: dict[str, float], label: str, rate: float) -> float | None:
    """Milliseconds of CPU the worker (all its processes) spent per task."""
    return round(cpu.get(label, 0.0) * 1000 / rate, 3) if rate else None


SESSIONS: dict[int, str] = {}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", default="50", help="submits/s; a comma list runs several phases")
    parser.add_argument("--duration", type=float, default=20, help="seconds per rate (max 120)")
    parser.add_argument(
        "--saturate", type=float, default=10, help="seconds at full speed (0: skip)"
    )
    parser.add_argument(
        "--in-flight", type=int, default=50, help="outstanding submits when saturating"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--submitters", type=int, default=4, help="submitting threads")
    parser.add_argument(
        "--db-reuse-max", type=int, help="CELERY_DB_REUSE_MAX for the worker (default: settings)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rate.split(",")]
    if not all(0 < rate <= 2000 for rate in rates) or not 0 < args.duration <= 120:
        parser.error("rates must be in (0, 2000] and --duration in (0, 120]")
    if not 0 <= args.saturate <= 60:
        parser.error("--saturate must be in [0, 60]")

    overrides = {}
    if args.db_reuse_max is not None:
        overrides["CELERY_DB_REUSE_MAX"] = str(args.db_reuse_max)
    results: list[dict[str, Any]] = []
    with harness.bench_stack(
        settings_module=harness.PRODUCTION_SETTINGS,
        web=False,
        worker=True,
        worker_concurrency=args.concurrency,
        overrides=overrides,
        prepare_database=lambda url: harness.execute_sql(url, PROBE_SQL),
        keep_logs=args.keep_logs,
    ) as stack:
        harness.setup_django(stack.env)
        from cityportal.celery import app

        if app.conf.task_always_eager:
            raise SystemExit("tasks would run eagerly: the benchmark needs a broker and a worker")
        SESSIONS.update(stack.cpu_sessions)
        header = harness.print_header("Task round trip (commit → worker write visible)", stack)
        listener = harness.Listener(stack.database_url, CHANNEL)
        listener.start()
        submitters = Submitters(args.submitters)
        try:
            # The first task creates the heartbeat row; run it alone, then warm both worker
            # processes and every connection up.
            submitters.queue.put(time.time_ns())
            if not listener.wait_for(1, timeout=30):
                raise SystemExit("the worker never wrote its heartbeat: is it consuming?")
            warm = open_loop(listener, submitters, rate=50, duration=2, grace=10)
            if warm["missing"]:
                raise SystemExit(f"warm-up lost round trips: {warm}")
            for rate in rates:
                results.append(
                    open_loop(listener, submitters, rate=rate, duration=args.duration, grace=30)
                )
                _print(results[-1])
                stack.ensure_running()
            if args.saturate:
                results.append(
                    saturate(
                        listener,
                        submitters,
                        in_flight=args.in_flight,
                        duration=args.saturate,
                        grace=30,
                    )
                )
                _print(results[-1])
                stack.ensure_running()
        finally:
            submitters.stop()
            listener.stop()
            stats = _worker_task_counts(stack)
        if submitters.failures:
            print(f"{len(submitters.failures)} submits failed, first: {submitters.failures[0]}")
    if stats:
        print(f"\nworker log: {stats}")
    missing = sum(result["missing"] for result in results) + len(submitters.failures)
    if args.json:
        args.json.write_text(
            json.dumps({"header": header, "results": results}, indent=2, default=str)
        )
    if missing:
        print(f"{missing} round trips never completed")
        return 1
    return 0


def _print(result: dict[str, Any]) -> None:
    cpu = result["cpu_cores"]
    shown = {
        key: value for key, value in result.items() if key not in {"cpu_cores", "other_processes"}
    }
    print(" ".join(f"{key}={value}" for key, value in shown.items()))
    print(f"   cpu (cores): {cpu}; other processes: {result['other_processes']}", flush=True)


def _worker_task_counts(stack: harness.Stack) -> dict[str, int]:
    if stack.worker is None:
        return {}
    text = stack.worker.log_text()
    counts = Counter()
    for word in ("succeeded", "raised", "retry", "ERROR", "WARNING"):
        counts[word] = text.count(word)
    return dict(counts)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("[bench] interrupted")
        sys.exit(130)

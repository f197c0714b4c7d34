"""The benchmark stack: a throwaway PostgreSQL database, gunicorn and a Celery worker started as
subprocesses with production-like settings, and everything torn down again at the end.

    with bench_stack(web=True, worker=True) as stack:
        setup_django(stack.env)          # only if the script itself needs the ORM or Celery
        host, port = stack.web_address   # only traffic to 127.0.0.1
        ...

Teardown runs on normal exit, on exceptions, on Ctrl-C and on SIGTERM: the web server and the
worker are stopped (SIGTERM to the process we started, SIGKILL to its process group if it does
not go), the run's Redis keys are deleted and the database is dropped. Process logs are kept under
var/bench/<run id>/ when something fails (or with keep_logs) and removed otherwise.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import platform
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

PRODUCTION_SETTINGS = "cityportal.settings.production"
# Production plus the test-only convention endpoints and the floor views (bench/settings.py).
BENCH_SETTINGS = "bench.settings"

QUEUES = ("approvals", "routing", "payments", "notifications", "default")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_loopback(url: str) -> str:
    """Benchmarks only ever talk to services on this machine."""
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"refusing to benchmark against {host!r}: only 127.0.0.1 is allowed")
    return url


def run_id() -> str:
    return f"cityportal_bench_{os.getpid()}"


# --- database ---------------------------------------------------------------------------------


def _admin_execute(admin_url: str, *statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(require_loopback(admin_url))
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextlib.contextmanager
def throwaway_database(name: str, admin_url: str = POSTGRES_URL) -> Iterator[str]:
    """Create an empty database, yield its URL, drop it (closing any connection left on it)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"unsafe database name {name!r}")
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    _admin_execute(admin_url, drop, f'CREATE DATABASE "{name}"')
    try:
        yield database_url(admin_url, name)
    finally:
        _admin_execute(admin_url, drop)


def execute_sql(url: str, sql: str) -> None:
    """Run bench-only SQL (probe tables, triggers) in the throwaway database."""
    if not urlsplit(url).path.lstrip("/").startswith("cityportal_bench_"):
        raise ValueError("bench SQL runs only in a throwaway cityportal_bench_* database")
    _admin_execute(url, sql)


def purge_redis_keys(redis_url: str, prefix: str) -> int:
    """Delete this run's broker, result and cache keys (all start with the run id)."""
    import redis

    client = redis.Redis.from_url(require_loopback(redis_url))
    try:
        deleted = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch.clear()
        if batch:
            deleted += client.delete(*batch)
        return deleted
    finally:
        client.close()


# --- environment ------------------------------------------------------------------------------


def project_variables() -> set[str]:
    """Every variable the settings read (the names listed in .env.example)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def bench_environ(
    *,
    settings_module: str,
    database_url: str,
    redis_url: str,
    prefix: str,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every process in one run: production-like, isolated by `prefix`.

    Project variables inherited from the shell are dropped first, so a developer's exported
    DATABASE_URL or CELERY_BROKER_URL cannot leak into a run; pass deliberate changes as
    `overrides` (they are printed with the results).
    """
    env = {name: value for name, value in os.environ.items() if name not in project_variables()}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "SECRET_KEY": f"bench-only-{secrets.token_urlsafe(32)}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1rZXktbm90LWZvci1hbnktZGF0YSE=",
            "BLIND_INDEX_KEY": f"bench-only-{secrets.token_urlsafe(16)}",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": require_loopback(redis_url),
            "LOG_LEVEL": "WARNING",
            "CELERY_KEY_PREFIX": f"{prefix}:",
            "CACHE_KEY_PREFIX": prefix,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides or {})
    return env


def migrate(env: Mapping[str, str], log_dir: Path) -> None:
    log = log_dir / "migrate.log"
    with log.open("wb") as out:
        result = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed ({result.returncode}):\n{_tail(log)}")


def setup_django(env: Mapping[str, str]) -> None:
    """Configure Django in this process with the run's environment (for the ORM and Celery)."""
    os.environ.update(env)
    import django

    django.setup()


def _close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()


# --- processes --------------------------------------------------------------------------------


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class ManagedProcess:
    """A child process in its own session, logging to a file, stopped by its id."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path):
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own session: a Ctrl-C in the terminal reaches only the bench script, which
                # then stops the children in order.
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            raise RuntimeError(f"{self.name} exited ({code}):\n{_tail(self.log_path)}")

    def stop(self, timeout: float = 20) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f"[bench] {self.name} ignored SIGTERM for {timeout}s: killing it")
        # Whatever is left in the session we created (orphaned workers) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(port: int, path: str, process: ManagedProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        process.ensure_running()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
            last_error = f"HTTP {response.status}"
        except OSError as error:
            last_error = repr(error)
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} not answering {path} in {timeout}s ({last_error})")


def start_gunicorn(
    env: Mapping[str, str],
    log_dir: Path,
    *,
    workers: int = 4,
    max_requests: int = 0,
    timeout: float = 60,
) -> tuple[ManagedProcess, int]:
    """gunicorn with sync workers on a free loopback port, as the Docker image runs it."""
    port = free_port()
    argv = [
        PYTHON,
        "-m",
        "gunicorn",
        "cityportal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "30",
        "--graceful-timeout",
        "10",
    ]
    # As in the Dockerfile: worker heartbeat files in memory, not on a disk that may stall.
    if Path("/dev/shm").is_dir():  # noqa: S108
        argv += ["--worker-tmp-dir", "/dev/shm"]  # noqa: S108
    if max_requests:
        argv += ["--max-requests", str(max_requests), "--max-requests-jitter", "200"]
    process = ManagedProcess("gunicorn", argv, env, log_dir)
    process.start()
    try:
        wait_for_http(port, "/healthz", process, timeout=timeout)
        # Every worker imports Django lazily on its first request; give each a few requests
        # so the first measured ones do not pay for it.
        for _ in range(workers * 4):
            wait_for_http(port, "/healthz", process, timeout=timeout)
    except BaseException:
        process.stop()
        raise
    return process, port


def start_celery_worker(
    env: Mapping[str, str],
    log_dir: Path,
    *,
    name: str,
    concurrency: int = 2,
    queues: Sequence[str] = QUEUES,
    log_level: str = "INFO",
    timeout: float = 90,
) -> ManagedProcess:
    """A Celery worker on every queue, as docker-compose runs it; returns once it says ready.

    The worker logs at INFO, as in docker-compose (LOG_LEVEL and --loglevel): the " ready."
    line it is waited for is an INFO line, and so are the two lines per task production writes.
    Gossip and mingle are off (as in tests/conftest.py) so that the worker never talks to
    workers of other runs sharing the same Redis.
    """
    env = {**env, "LOG_LEVEL": log_level}
    argv = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "cityportal",
        "worker",
        "-Q",
        ",".join(queues),
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        log_level,
    ]
    process = ManagedProcess("celery-worker", argv, env, log_dir)
    process.start()
    deadline = time.monotonic() + timeout
    try:
        while " ready." not in process.log_text():
            process.ensure_running()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Celery worker not ready in {timeout}s:\n{_tail(process.log_path)}"
                )
            time.sleep(0.1)
    except BaseException:
        process.stop()
        raise
    return process


# --- the whole stack --------------------------------------------------------------------------


@dataclass
class Stack:
    run_id: str
    env: dict[str, str]
    database_url: str
    log_dir: Path
    web: ManagedProcess | None = None
    web_port: int | None = None
    worker: ManagedProcess | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def web_address(self) -> tuple[str, int]:
        assert self.web_port is not None, "started without web=True"
        return ("127.0.0.1", self.web_port)

    @property
    def cpu_sessions(self) -> dict[int, str]:
        """Session id -> label, for loadgen.CpuMeter (each child runs in its own session)."""
        sessions = {}
        if self.web is not None:
            sessions[self.web.pid] = "web"
        if self.worker is not None:
            sessions[self.worker.pid] = "worker"
        return sessions

    def ensure_running(self) -> None:
        for process in (self.web, self.worker):
            if process is not None:
                process.ensure_running()


def _raise_system_exit(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def bench_stack(
    *,
    settings_module: str = PRODUCTION_SETTINGS,
    web: bool = True,
    worker: bool = True,
    web_workers: int = 4,
    worker_concurrency: int = 2,
    max_requests: int = 0,
    overrides: Mapping[str, str] | None = None,
    prepare_database: Callable[[str], None] | None = None,
    keep_logs: bool = False,
) -> Iterator[Stack]:
    """Database, migrations, then gunicorn and/or a Celery worker; all undone on the way out.

    `prepare_database(url)` runs after migrate and before the processes start (bench-only
    tables and triggers go there).
    """
    previous_sigint = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, _raise_system_exit)
    signal.signal(signal.SIGHUP, _raise_system_exit)
    name = run_id()
    log_dir = ROOT / "var" / "bench" / name
    log_dir.mkdir(parents=True, exist_ok=True)
    ok = False
    try:
        with contextlib.ExitStack() as undo:
            print(f"[bench] run {name}: creating database, migrating ({settings_module})")
            url = undo.enter_context(throwaway_database(name))
            undo.callback(_close_django_connections)
            undo.callback(purge_redis_keys, REDIS_URL, name)
            env = bench_environ(
                settings_module=settings_module,
                database_url=url,
                redis_url=REDIS_URL,
                prefix=name,
                overrides=overrides,
            )
            migrate(env, log_dir)
            if prepare_database is not None:
                prepare_database(url)
            stack = Stack(run_id=name, env=env, database_url=url, log_dir=log_dir)
            stack.settings = {
                "settings_module": settings_module,
                "gunicorn_workers": web_workers if web else None,
                "gunicorn_max_requests": max_requests if web else None,
                "celery_concurrency": worker_concurrency if worker else None,
                "overrides": dict(overrides or {}),
            }
            if worker:
                print(f"[bench] starting Celery worker (concurrency {worker_concurrency})")
                stack.worker = start_celery_worker(
                    env, log_dir, name=name, concurrency=worker_concurrency
                )
                undo.callback(stack.worker.stop)
            if web:
                print(f"[bench] starting gunicorn ({web_workers} sync workers)")
                stack.web, stack.web_port = start_gunicorn(
                    env, log_dir, workers=web_workers, max_requests=max_requests
                )
                undo.callback(stack.web.stop)
            # Runs first on the way out: a second Ctrl-C must not cut the teardown short.
            undo.callback(signal.signal, signal.SIGINT, signal.SIG_IGN)
            yield stack
            stack.ensure_running()
            ok = True
    finally:
        signal.signal(signal.SIGINT, previous_sigint)
        if ok and not keep_logs:
            shutil.rmtree(log_dir, ignore_errors=True)
        elif ok:
            print(f"[bench] process logs kept in {log_dir}")
        else:
            print(f"[bench] stopped early; everything started was stopped; logs in {log_dir}")


# --- what the results were measured on --------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), flags=re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), flags=re.MULTILINE)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    load = _read("/proc/loadavg").split()[:3]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu.group(1).strip() if cpu else "unknown",
        "memory_gib": round(int(memory.group(1)) / 1024 / 1024, 1) if memory else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": commit + ("+local changes" if dirty else ""),
        "load_average_before": " ".join(load),
    }


def service_versions(database_url: str, redis_url: str = REDIS_URL) -> dict[str, str]:
    import psycopg2
    import redis

    conn = psycopg2.connect(database_url)
    try:
        postgres = str(conn.server_version)
    finally:
        conn.close()
    client = redis.Redis.from_url(redis_url)
    try:
        redis_version = str(client.info("server").get("redis_version"))
    finally:
        client.close()
    major, minor = int(postgres) // 10000, int(postgres) % 10000
    return {"postgresql": f"{major}.{minor}", "redis": redis_version}


def print_header(title: str, stack: Stack) -> dict[str, Any]:
    """Print (and return) what a result needs next to it: machine, commit, settings."""
    from django.conf import settings as django_settings

    info = machine_info()
    info.update(service_versions(stack.database_url))
    info.update(stack.settings)
    if django_settings.configured:
        db = django_settings.DATABASES["default"]
        info["CONN_MAX_AGE"] = db.get("CONN_MAX_AGE")
        info["CONN_HEALTH_CHECKS"] = db.get("CONN_HEALTH_CHECKS")
        info["CELERY_DB_REUSE_MAX"] = getattr(django_settings, "CELERY_DB_REUSE_MAX", None)
    print(f"\n== {title}")
    for key, value in info.items():
        print(f"   {key}: {value}")
    return info


class Listener(threading.Thread):
    """(payload, wall-clock ns) of every NOTIFY on `channel`, as its commit becomes visible."""

    def __init__(self, database_url: str, channel: str) -> None:
        super().__init__(name="bench-listener", daemon=True)
        import psycopg2

        self.conn = psycopg2.connect(database_url)
        self.conn.autocommit = True
        with self.conn.cursor() as cursor:
            cursor.execute(f"LISTEN {channel}")
        self.arrivals: list[tuple[str, int]] = []
        self.changed = threading.Condition()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            if select.select([self.conn], [], [], 0.2)[0]:
                self.conn.poll()
                now = time.time_ns()
                if self.conn.notifies:
                    with self.changed:
                        self.arrivals.extend((n.payload, now) for n in self.conn.notifies)
                        self.conn.notifies.clear()
                        self.changed.notify_all()

    @property
    def count(self) -> int:
        return len(self.arrivals)

    def wait_for(
        self, count: int, timeout: float, matching: Callable[[str], bool] | None = None
    ) -> bool:
        """Until `count` notifications (only those whose payload is `matching`, if given)
        have arrived; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.matching(matching) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def matching(self, matching: Callable[[str], bool] | None) -> int:
        if matching is None:
            return len(self.arrivals)
        return sum(1 for payload, _seen in self.arrivals if matching(payload))

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.conn.close()

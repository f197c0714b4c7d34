"""A dependency-free HTTP/1.1 load generator: asyncio on raw sockets, one process, one thread.

Two modes:

- closed loop (`run_closed_loop`): N connections, each sends its next request as soon as the last
  answer arrived — the maximum rate the server sustains at that concurrency;
- open loop (`run_open_loop`): requests are due at a fixed rate whatever the server does; latency
  is measured from when a request was *due*, so a slow server cannot hide its queueing
  (no "coordinated omission").

Keep-alive is used when the server allows it; gunicorn's sync workers close every connection, and
the generator then reconnects for each request, as a real client would.

The generator runs on the same cores as the server: every result says where the CPU went during
the measured window (`CpuMeter`: web server, worker, PostgreSQL, Redis, the generator itself,
anything else), so a result can be read for what it is.
Only loopback addresses are accepted.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

RequestMaker = Callable[[int], bytes]
"""Given the request's sequence number, return the raw request bytes (see `build_request`)."""

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def build_request(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    host: str = "127.0.0.1",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class ConnectionClosed(Exception):
    pass


class _Connection:
    """One client connection; reopened transparently when the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.reconnects = 0

    async def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await loop.sock_connect(sock, (self.host, self.port))
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.buffer = b""
        self.reconnects += 1

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.buffer = b""

    async def exchange(self, loop: asyncio.AbstractEventLoop, raw: bytes) -> int:
        """Send one request, read the whole answer, return its status."""
        reused = self.sock is not None
        try:
            return await self._exchange(loop, raw)
        except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
        # The server dropped an idle keep-alive connection: one retry on a fresh one.
        return await self._exchange(loop, raw)

    async def _recv(self, loop: asyncio.AbstractEventLoop) -> bytes:
        assert self.sock is not None
        chunk = await loop.sock_recv(self.sock, 65536)
        if not chunk:
            raise ConnectionClosed
        return chunk

    async def _exchange(self, loop: asyncio.AbstractEventLoop, raw: bytes) -> int:
        if self.sock is None:
            await self._open(loop)
        assert self.sock is not None
        await loop.sock_sendall(self.sock, raw)
        data = self.buffer
        end = data.find(b"\r\n\r\n")
        while end < 0:
            data += await self._recv(loop)
            end = data.find(b"\r\n\r\n")
        head = data[:end].decode("latin-1").split("\r\n")
        rest = data[end + 4 :]
        version, status_text = head[0].split(" ", 2)[:2]
        status = int(status_text)
        length: int | None = None
        chunked = False
        close = version == "HTTP/1.0"
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection":
                close = value.strip().lower() == "close"
        if chunked:
            rest = await self._skip_chunked(loop, rest)
        elif length is not None:
            while len(rest) < length:
                rest += await self._recv(loop)
            rest = rest[length:]
        else:
            # No length: the body ends when the server closes the connection.
            with _suppress_closed():
                while True:
                    await self._recv(loop)
            close = True
        if close:
            self.close()
        else:
            self.buffer = rest
        return status

    async def _skip_chunked(self, loop: asyncio.AbstractEventLoop, data: bytes) -> bytes:
        while True:
            while (line_end := data.find(b"\r\n")) < 0:
                data += await self._recv(loop)
            size = int(data[:line_end].split(b";")[0], 16)
            needed = line_end + 2 + size + 2
            while len(data) < needed:
                data += await self._recv(loop)
            data = data[needed:]
            if size == 0:
                return data  # no trailers expected from our servers


class _suppress_closed:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, _value: Any, _tb: Any) -> bool:
        return kind is ConnectionClosed


# --- measuring --------------------------------------------------------------------------------


def _proc_stat() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores together."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


_TICKS = os.sysconf("SC_CLK_TCK")
_COMMAND_GROUPS = {"postgres": "postgres", "redis-server": "redis"}
# Kernel threads: mostly work the benchmark causes (loopback networking, PostgreSQL's writes).
_KERNEL_PREFIXES = ("kworker/", "ksoftirqd/", "kswapd", "jbd2/", "kdamond", "rcu_")


def _process_ticks() -> dict[int, tuple[str, int, int]]:
    """pid -> (command, session id, user + system ticks) for every process we may read."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        command = text[text.index("(") + 1 : text.rindex(")")]
        rest = text[text.rindex(")") + 2 :].split()
        found[int(entry.name)] = (command, int(rest[3]), int(rest[11]) + int(rest[12]))
    return found


class CpuMeter:
    """Where the CPU went over a window, in cores (1.0 = one core busy all the time).

    `sessions` names the process sessions started by the harness (gunicorn, the Celery worker:
    each runs in its own session, children included). PostgreSQL and Redis are recognised by
    their command name; this process is "client"; kernel threads are "kernel" and CPU time no
    process accounts for (interrupt handling, mostly loopback networking) is "unattributed";
    every other process is "other". A large "other" means something outside the benchmark
    was competing for the cores.
    """

    def __init__(self, sessions: dict[int, str] | None = None) -> None:
        self.sessions = sessions or {}
        self.other_commands: dict[str, float] = {}

    def _label(self, pid: int, command: str, session: int) -> str:
        if pid == os.getpid():
            return "client"
        if session in self.sessions:
            return self.sessions[session]
        if command.startswith(_KERNEL_PREFIXES):
            return "kernel"
        return _COMMAND_GROUPS.get(command, "other")

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._stat = _proc_stat()
        self._ticks = _process_ticks()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self._wall
        busy, total = _proc_stat()
        ticks = _process_ticks()
        groups: Counter[str] = Counter()
        others: Counter[str] = Counter()
        for pid, (command, session, used) in ticks.items():
            before = self._ticks.get(pid)
            # A process that started inside the window counts from zero.
            delta = used - before[2] if before and before[0] == command else used
            label = self._label(pid, command, session)
            groups[label] += delta
            if label == "other" and delta:
                others[command] += delta
        self.other_commands = {
            command: round(value / _TICKS / wall, 2) for command, value in others.most_common(3)
        }
        seconds = {label: value / _TICKS for label, value in groups.items()}
        cores = {label: round(value / wall, 2) for label, value in seconds.items() if value}
        all_cores = os.cpu_count() or 1
        busy_cores = (busy - self._stat[0]) / max(1, total - self._stat[1]) * all_cores
        cores["unattributed"] = round(max(0.0, busy_cores - sum(seconds.values()) / wall), 2)
        cores["busy"] = round(busy_cores, 2)
        return cores


def percentile(sorted_values: list[int] | list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


@dataclass
class LoadResult:
    name: str
    mode: str  # "closed 32 conns" / "open 50/s"
    window_seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int | str] = field(default_factory=Counter)
    errors: Counter[int | str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.count / self.window_seconds if self.window_seconds else 0.0

    @property
    def stack_cpu_ms_per_request(self) -> float | None:
        """CPU the server side spent per answered request (web, worker, PostgreSQL, Redis), in
        milliseconds: unlike req/s, it does not depend on how much CPU the generator took."""
        if not self.count:
            return None
        cores = sum(self.cpu.get(label, 0.0) for label in ("web", "worker", "postgres", "redis"))
        return round(cores * 1000 / self.rate, 3)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "name": self.name,
            "mode": self.mode,
            "requests": self.count,
            "req_per_s": round(self.rate, 1),
            "p50_ms": round(percentile(ordered, 50), 2),
            "p95_ms": round(percentile(ordered, 95), 2),
            "p99_ms": round(percentile(ordered, 99), 2),
            "max_ms": round(ordered[-1], 2) if ordered else None,
            "errors": dict(self.errors),
            "statuses": {str(key): value for key, value in self.statuses.items()},
            "stack_cpu_ms_per_req": self.stack_cpu_ms_per_request,
            "cpu_cores": self.cpu,
            **self.extra,
        }


TABLE_HEADER = (
    f"{'scenario':<28} {'mode':<16} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'p99 ms':>8} {'max ms':>8} {'errors':>7} {'cpu/req':>7} {'busy':>5} {'client':>6} "
    f"{'other':>5}"
)


def table_row(summary: dict[str, Any]) -> str:
    errors = sum(summary["errors"].values())
    cpu = summary["cpu_cores"]
    return (
        f"{summary['name']:<28} {summary['mode']:<16} {summary['requests']:>8} "
        f"{summary['req_per_s']:>8.1f} {summary['p50_ms']:>8.2f} {summary['p95_ms']:>8.2f} "
        f"{summary['p99_ms']:>8.2f} {summary['max_ms'] or 0:>8.1f} {errors:>7} "
        f"{summary['stack_cpu_ms_per_req'] or 0:>7.2f} {cpu.get('busy', 0):>5.2f} "
        f"{cpu.get('client', 0):>6.2f} {cpu.get('other', 0):>5.2f}"
    )


# --- the two modes ----------------------------------------------------------------------------


def _check_target(host: str) -> None:
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to send load to {host!r}: only loopback addresses")


def _record(
    result: LoadResult, outcome: int | str, started_ns: int, done_ns: int, ok: Collection[int]
) -> None:
    result.latencies_ms.append((done_ns - started_ns) / 1e6)
    result.statuses[outcome] += 1
    if outcome not in ok:
        result.errors[outcome] += 1


async def _one(conn: _Connection, loop: asyncio.AbstractEventLoop, raw: bytes) -> int | str:
    try:
        return await conn.exchange(loop, raw)
    except (OSError, ConnectionClosed, ValueError, IndexError) as error:
        conn.close()
        return type(error).__name__


def run_closed_loop(
    name: str,
    address: tuple[str, int],
    make_request: RequestMaker,
    *,
    connections: int = 32,
    duration: float = 10.0,
    warmup: float = 2.0,
    max_requests: int = 2_000_000,
    ok: Collection[int] = (200,),
    grace: float = 30.0,
    sessions: dict[int, str] | None = None,
) -> LoadResult:
    """Each of `connections` clients loops request → answer → next request for `warmup` +
    `duration` seconds (at most `max_requests` in all). Requests completing inside the
    `duration` window are counted; requests still unanswered `grace` seconds after the window
    are counted as errors ("unanswered")."""
    _check_target(address[0])
    return asyncio.run(
        _closed_loop(
            name,
            address,
            make_request,
            connections,
            duration,
            warmup,
            max_requests,
            ok,
            grace,
            sessions,
        )
    )


async def _closed_loop(
    name: str,
    address: tuple[str, int],
    make_request: RequestMaker,
    connections: int,
    duration: float,
    warmup: float,
    max_requests: int,
    ok: Collection[int],
    grace: float,
    sessions: dict[int, str] | None,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    result = LoadResult(name=name, mode=f"closed {connections} conns", window_seconds=duration)
    meter = CpuMeter(sessions)
    sequence = itertools.count()
    begin = time.perf_counter_ns()
    window_start = begin + int(warmup * 1e9)
    window_end = window_start + int(duration * 1e9)
    in_flight = 0
    opened: list[_Connection] = []

    async def client() -> None:
        nonlocal in_flight
        conn = _Connection(*address)
        opened.append(conn)
        try:
            while True:
                number = next(sequence)
                started = time.perf_counter_ns()
                if number >= max_requests or started >= window_end:
                    return
                in_flight += 1
                outcome = await _one(conn, loop, make_request(number))
                in_flight -= 1
                done = time.perf_counter_ns()
                if window_start <= done < window_end:
                    _record(result, outcome, started, done, ok)
        finally:
            conn.close()

    async def window() -> None:
        await asyncio.sleep(warmup)
        meter.start()
        await asyncio.sleep(duration)
        result.cpu = meter.stop()
        result.extra["other_processes"] = meter.other_commands

    clients = [asyncio.create_task(client()) for _ in range(connections)]
    clock = asyncio.create_task(window())
    _done, pending = await asyncio.wait([*clients, clock], timeout=warmup + duration + grace)
    for task in pending:
        task.cancel()
    if pending:
        result.errors["unanswered"] += in_flight
    # Sync gunicorn closes every connection: about one TCP connect per request is expected.
    result.extra["tcp_connects"] = sum(conn.reconnects for conn in opened)
    return result


def run_open_loop(
    name: str,
    address: tuple[str, int],
    make_request: RequestMaker,
    *,
    rate: float = 50.0,
    duration: float = 10.0,
    warmup: float = 2.0,
    connections: int = 64,
    ok: Collection[int] = (200,),
    grace: float = 30.0,
    sessions: dict[int, str] | None = None,
) -> LoadResult:
    """`rate` requests per second are due for `warmup` + `duration` seconds, whatever the server
    does; up to `connections` may be outstanding (more wait, and their wait counts as latency).
    Requests due inside the `duration` window are measured; any not answered `grace` seconds
    after the last was due count as errors ("unanswered")."""
    _check_target(address[0])
    return asyncio.run(
        _open_loop(
            name, address, make_request, rate, duration, warmup, connections, ok, grace, sessions
        )
    )


async def _open_loop(
    name: str,
    address: tuple[str, int],
    make_request: RequestMaker,
    rate: float,
    duration: float,
    warmup: float,
    connections: int,
    ok: Collection[int],
    grace: float,
    sessions: dict[int, str] | None,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    result = LoadResult(name=name, mode=f"open {rate:g}/s", window_seconds=duration)
    meter = CpuMeter(sessions)
    queue: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
    interval_ns = 1e9 / rate
    total = int(rate * (warmup + duration))
    measured_from = int(rate * warmup)
    begin = time.perf_counter_ns()
    lags_ms: list[float] = []
    answered = 0

    async def schedule() -> None:
        for number in range(total):
            if number == measured_from:
                meter.start()
            due = begin + int(number * interval_ns)
            delay = due - time.perf_counter_ns()
            if delay > 0:
                await asyncio.sleep(delay / 1e9)
            queue.put_nowait((number, due))
        for _ in range(connections):
            queue.put_nowait(None)

    async def client() -> None:
        nonlocal answered
        conn = _Connection(*address)
        try:
            while (item := await queue.get()) is not None:
                number, due = item
                sent = time.perf_counter_ns()
                outcome = await _one(conn, loop, make_request(number))
                done = time.perf_counter_ns()
                answered += 1
                if number >= measured_from:
                    _record(result, outcome, due, done, ok)
                    lags_ms.append((sent - due) / 1e6)
        finally:
            conn.close()

    tasks = [asyncio.create_task(schedule())] + [
        asyncio.create_task(client()) for _ in range(connections)
    ]
    _done, pending = await asyncio.wait(tasks, timeout=warmup + duration + grace)
    result.cpu = meter.stop()
    result.extra["other_processes"] = meter.other_commands
    for task in pending:
        task.cancel()
    if answered < total:
        result.errors["unanswered"] += total - answered
    lags_ms.sort()
    result.extra["send_lag_p99_ms"] = round(percentile(lags_ms, 99), 2)
    return result

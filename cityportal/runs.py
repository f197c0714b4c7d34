"""One task run for many commits: the pattern behind routing complaints and deciding
applications under load.

A submission commits its row, then asks for a run (`request`): it sets a flag in the cache and
queues the task only if the flag was not set already. A run handles the waiting rows in id
order, one or a batch at a time, claimed with SKIP LOCKED, for as long as any is waiting; then
it clears the flag and looks once more from the start. So a submission that found the flag set
is seen by that last look, and one that comes after it queues a new run: no row is left
waiting, and while a run is busy, the submissions meanwhile queue nothing. Until that last
look, each claim starts after the last row the run handled, not over the index entries of the
rows it already handled.
Runs may overlap (SKIP LOCKED shares the rows between them): a run that finds a backlog queues
a second one for another worker process.

Why: a Celery message costs the worker about as much CPU as a routing itself (receiving it, the
pool's pipe, the broker's acknowledgement), and the web a publish. Under load the rows share
runs, so the cost per row falls as the load rises instead of a backlog growing; at low load
each submission still gets its own run at once.

A run that has taken everything waiting lingers a moment (DRAIN_RUN_LINGER_SECONDS) before it
clears the flag, looking again every `poll` seconds: under a steady load the next submissions
arrive meanwhile, find the flag set and are handled by the same run, so neither they (a
publish) nor the worker (a Celery message) pay for a new run. A run stops after `max_seconds`
or `limit` rows and queues its successor, so that no run holds a worker process for long.

If a run is lost (a worker killed between queueing and starting), the flag expires after `ttl`
seconds and the next submission queues a new run; each app's minute sweep queues a run for
rows left waiting longer than that.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.db.models import QuerySet
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Row(Protocol):
    pk: Any


R = TypeVar("R", bound=Row)
Pick = Callable[[QuerySet[Any]], QuerySet[Any]]


def flags() -> BaseCache:
    """Where the runs' requests are kept: the `runs` cache, which every web and worker process
    shares (Redis; without it, files under var/runs, as the demo's web and worker are two
    processes)."""
    return caches["runs"]


@dataclass(frozen=True)
class DrainRun:
    key: str
    """The cache key of the pending request."""
    task: str
    """The Celery task whose run calls `drain`, by its import path (a web process has not
    imported the task modules)."""
    ttl: int = 30
    limit: int = 500
    """Rows per run at most; a run that reaches it asks for the next run and stops, so no run
    outlasts the task time limit under a steady flood."""
    backlog: int = 10
    """A run that has handled this many, and whose last claim came back full (more wait),
    queues a second run, so that a free worker process shares the backlog; below it, one run
    is cheaper than two."""
    max_seconds: float = 5.0
    """How long a run goes on at most before it hands over to its successor (well inside the
    task time limit, and short enough not to hold a worker process from other queues)."""
    poll: float = 0.025
    """While lingering, how often the run looks for new rows."""

    def request(self) -> None:
        """Ask for a run unless one is on its way or busy (call after commit)."""
        if flags().add(self.key, 1, timeout=self.ttl):
            self._queue()

    def drain(self, handle_next: Callable[[int], Sequence[Row]], *, batch: int = 1) -> int:
        """Call `handle_next(after)` until it finds nothing for DRAIN_RUN_LINGER_SECONDS, clear
        the request and look once more; about `limit` rows or `max_seconds` at most, then a
        new run goes on. `handle_next` handles the first waiting rows whose ids are above
        `after`, up to `batch` of them, and returns them in id order. A claim that found fewer
        than `batch` found all there was to take. Returns how many rows the run handled."""
        linger = settings.DRAIN_RUN_LINGER_SECONDS
        handled = after = 0
        shared = False
        started = idle_since = time.monotonic()
        while handled < self.limit and time.monotonic() - started < self.max_seconds:
            done = handle_next(after)
            handled += len(done)
            if done:
                after = done[-1].pk
                idle_since = time.monotonic()
            if len(done) == batch:  # more may wait
                if handled >= self.backlog and not shared:
                    shared = True
                    self._queue()
                continue
            if time.monotonic() - idle_since < linger:
                time.sleep(self.poll)
                continue
            flags().delete(self.key)
            # A row committed before the flag was cleared may have found it set, with an id
            # below `after` (ids are taken before commit): look again from the start.
            done = handle_next(0)
            if not done:
                return handled
            handled += len(done)
            after = done[-1].pk
            idle_since = time.monotonic()
        self._queue()
        return handled

    def sweep(self, stuck: QuerySet[Any]) -> int:
        """The minute sweep: queue a run, whatever the flag says, when rows have waited too
        long (`stuck`: those waiting since before the cut-off). Returns how many."""
        count = stuck.count()
        if count:
            self._queue()
        return count

    def _queue(self) -> None:
        import_string(self.task).delay()


def handle_batch(
    handle: Callable[[Pick, bool], list[R]],
    waiting: QuerySet[Any],
    *,
    after: int,
    batch: int,
    noun: str,
) -> list[R]:
    """A run's claim: the first `batch` waiting rows above id `after`, handled in one go by
    `handle(pick, True)`, where `pick` narrows the caller's locking queryset to them. If that
    fails, the rows of `waiting` are handled one at a time, and one that fails again by the
    caller's fallback, `handle(pick, False)` (a person takes it over), each failure logged: a
    fault in one row holds back no other. Returns the rows handled."""
    try:
        return handle(lambda rows: rows.filter(pk__gt=after).order_by("pk")[:batch], True)
    except Exception:
        logger.exception("Handling a batch of %ss above id %s failed; one by one now", noun, after)
    handled: list[R] = []
    for pk in waiting.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch]:
        one = _only(pk)
        try:
            handled += handle(one, True)
        except Exception:
            logger.exception("Handling %s %s failed; it goes to a person", noun, pk)
            handled += handle(one, False)
    return handled


def _only(pk: int) -> Pick:
    return lambda rows: rows.filter(pk=pk)

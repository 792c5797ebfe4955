"""Ingest: one writer task that group-commits every submitter's call events.

`Ingestor.submit(events)` queues the events and waits. The writer takes everything queued, up
to `settings.writer_batch` events (a larger submission goes alone), applies it in ONE
transaction (`store.apply_batch`), commits, publishes `traffic.delta`, and only then resolves
each submitter with its own accepted/duplicate counts — so an answer means "committed". When
the transaction fails, every submitter of that batch gets the exception (nothing was
acknowledged) and the writer goes on with the next batch.

`run_ingest(ctx)` (the app lifespan enters it): loads the persisted numbers and lines, follows
`tollfree.numbers` and `outbound.lines` (publishing `tollfree.numbers-wanted` and
`outbound.lines-wanted` once subscribed), runs the writer, the evapi clients
(`settings.evapi_peers`) and the stale-call sweeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resources.kit.db import unit_of_work
from resources.kit.events import Event, EventBus
from resources.kit.follow import follow
from resources.traffic.calls import summary
from resources.traffic.evapi import EvapiClient, parse_peers
from resources.traffic.model import CallEvent, Key, Rejection
from resources.traffic.numbers import NumberDirectory, PayloadError, parse_lines_payload, parse_payload
from resources.traffic.settings import TrafficSettings
from resources.traffic.store import (
    BatchResult,
    apply_batch,
    close_stale_calls,
    load_lines,
    load_numbers,
    save_lines,
    save_numbers,
)

log = logging.getLogger("resources.traffic")

DELTA = "traffic.delta"
NUMBERS = "tollfree.numbers"
NUMBERS_WANTED = "tollfree.numbers-wanted"
LINES = (
    "outbound.lines"  # the outbound resource's calling lines: {"lines": [{number, customer_id, resellers}]}
)
LINES_WANTED = "outbound.lines-wanted"
WANTED = (NUMBERS_WANTED, LINES_WANTED)  # asked for once subscribed (again after a broken subscription)
SWEEP_INTERVAL = 60.0
RECENT_REJECTIONS = 50
ATTEMPTS = 3  # a PostgreSQL deadlock / serialization failure is retried this many times in all
RETRYABLE = frozenset({"40P01", "40001"})


class IngestClosed(RuntimeError):
    """submit() while the writer is not running (starting up or shutting down)."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    duplicates: int
    unknown: tuple[int, ...] = ()  # indices of submitted events whose number is unknown (new calls)


@dataclass(slots=True)
class _Job:
    events: Sequence[CallEvent]
    future: asyncio.Future[IngestResult]


@dataclass(slots=True)
class _ElementStats:
    accepted: int = 0
    duplicates: int = 0
    unknown: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    last_seen: float | None = None


def delta_payload(result: BatchResult) -> dict[str, Any]:
    """`traffic.delta`: contributions summed per (key, second, field), and the changed calls."""
    sums: dict[tuple[Key, int, int], int] = {}
    get = sums.get
    for key, second, index, amount in result.contributions:
        slot = (key, second, index)
        sums[slot] = get(slot, 0) + amount
    return {
        "c": [[k.customer_id, k.number, k.site, k.carrier, s, f, a] for (k, s, f), a in sums.items() if a],
        "calls": [summary(r) for r in result.calls],
    }


def _fail(jobs: Sequence[_Job], exc: BaseException) -> None:
    for job in jobs:
        if not job.future.done():
            job.future.set_exception(exc)


def _retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in RETRYABLE


class Ingestor:
    def __init__(
        self,
        *,
        settings: TrafficSettings,
        maker: async_sessionmaker[AsyncSession],
        bus: EventBus,
        numbers: NumberDirectory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.maker = maker
        self.bus = bus
        self.numbers = numbers
        self.clock = clock
        self.sweep_interval = SWEEP_INTERVAL
        self._queue: deque[_Job] = deque()
        self._queued = 0
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one write transaction at a time (writer and sweeper)
        self._running = False
        self._elements: dict[str, _ElementStats] = {}
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_REJECTIONS)
        self.peers: dict[str, EvapiClient] = {}  # the evapi clients run_ingest started
        self.batches = 0
        self.errors = 0
        self.swept = 0
        self.last_batch_ms: float | None = None
        self.last_batch_events = 0

    # --- submitters -------------------------------------------------------------------------

    async def submit(self, events: Sequence[CallEvent]) -> IngestResult:
        """Wait until `events` are committed; their counts. Raises the transaction's error."""
        if not events:
            return IngestResult(0, 0)
        if not self._running:
            raise IngestClosed("ingest is not running")
        future: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(events, future))
        self._queued += len(events)
        self._wake.set()
        return await future

    def count_rejected(self, element: str, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        stats = self._element(element)
        now = self.clock()
        stats.last_seen = now
        for r in rejections:
            stats.rejected[r.reason] += 1
            self._recent.append(
                {
                    "element": element,
                    "at": now,
                    "index": r.index,
                    "reason": r.reason,
                    "field": r.field,
                    "message": r.message,
                }
            )

    def stats(self) -> dict[str, Any]:
        rejected: Counter[str] = Counter()
        for s in self._elements.values():
            rejected.update(s.rejected)
        return {
            "accepted": sum(s.accepted for s in self._elements.values()),
            "duplicates": sum(s.duplicates for s in self._elements.values()),
            "unknown": sum(s.unknown for s in self._elements.values()),
            "rejected": dict(sorted(rejected.items())),
            "batches": self.batches,
            "errors": self.errors,
            "swept": self.swept,
            "last_batch_ms": self.last_batch_ms,
            "last_batch_events": self.last_batch_events,
            "queue_depth": self._queued,
            "elements": {
                name: {
                    "accepted": s.accepted,
                    "duplicates": s.duplicates,
                    "unknown": s.unknown,
                    "rejected": dict(sorted(s.rejected.items())),
                    "last_seen": s.last_seen,
                }
                for name, s in sorted(self._elements.items())
            },
            "evapi": {name: client.stats() for name, client in sorted(self.peers.items())},
            "recent_rejections": list(self._recent),
        }

    def _element(self, name: str) -> _ElementStats:
        stats = self._elements.get(name)
        if stats is None:
            stats = self._elements[name] = _ElementStats()
        return stats

    # --- the writer ---------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the writer; on exit it finishes what is queued, then stops."""
        self._running = True
        task = asyncio.create_task(self._writer(), name="traffic-writer")
        try:
            yield
        finally:
            self._running = False
            self._wake.set()
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                raise
            finally:
                _fail(list(self._queue), IngestClosed("ingest stopped"))
                self._queue.clear()
                self._queued = 0

    async def _writer(self) -> None:
        while True:
            if not self._queue:
                if not self._running:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            jobs = self._take()
            try:
                await self._run(jobs)
            except Exception as exc:  # a bug after the commit: never leave a submitter waiting
                log.exception("ingest: the writer failed after a batch")
                _fail(jobs, exc)

    def _take(self) -> list[_Job]:
        jobs = [self._queue.popleft()]
        total = len(jobs[0].events)
        while self._queue and total + len(self._queue[0].events) <= self.settings.writer_batch:
            job = self._queue.popleft()
            jobs.append(job)
            total += len(job.events)
        self._queued -= total
        return jobs

    async def _apply(self, events: Sequence[CallEvent]) -> BatchResult:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with unit_of_work(self.maker, write=True) as session:
                    return await apply_batch(
                        session,
                        events,
                        self.numbers,
                        now=self.clock(),
                        bucket_seconds=self.settings.bucket_seconds,
                    )
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not _retryable(exc):
                    raise
                log.warning("ingest: batch of %s events retried (%s)", len(events), exc.orig)
        raise AssertionError("unreachable")

    async def _run(self, jobs: list[_Job]) -> None:
        events = [e for job in jobs for e in job.events]
        started = time.perf_counter()
        try:
            async with self._lock:
                result = await self._apply(events)
        except Exception as exc:
            self.errors += 1
            log.exception("ingest: a batch of %s events failed; its submitters get the error", len(events))
            _fail(jobs, exc)
            return
        self.batches += 1
        self.last_batch_ms = round((time.perf_counter() - started) * 1000, 3)
        self.last_batch_events = len(events)
        await self._publish(result)
        now = self.clock()
        offset = 0
        for job in jobs:
            outcomes = result.outcomes[offset : offset + len(job.events)]
            for event, outcome in zip(job.events, outcomes, strict=True):
                stats = self._element(event.element)
                stats.last_seen = now
                if outcome == "accepted":
                    stats.accepted += 1
                elif outcome == "duplicate":
                    stats.duplicates += 1
                else:
                    stats.unknown += 1
            offset += len(job.events)
            if not job.future.done():
                job.future.set_result(
                    IngestResult(
                        accepted=outcomes.count("accepted"),
                        duplicates=outcomes.count("duplicate"),
                        unknown=tuple(i for i, o in enumerate(outcomes) if o == "unknown"),
                    )
                )

    async def _publish(self, result: BatchResult) -> None:
        if not result.contributions and not result.calls:
            return
        try:
            await self.bus.publish(DELTA, delta_payload(result))
        except Exception:
            log.exception("ingest: publishing %s failed (the batch is committed)", DELTA)

    async def sweep(self) -> int:
        """Close calls open longer than `max_call_seconds` (lost end reports); how many."""
        async with self._lock, unit_of_work(self.maker, write=True) as session:
            result = await close_stale_calls(
                session,
                now=self.clock(),
                max_call_seconds=self.settings.max_call_seconds,
                bucket_seconds=self.settings.bucket_seconds,
                limit=self.settings.writer_batch,
            )
        self.swept += len(result.calls)
        await self._publish(result)
        return len(result.calls)


# --- run_ingest ---------------------------------------------------------------------------------


async def apply_numbers(ctx: Any, payload: Any) -> bool:
    """A `tollfree.numbers` payload: replace the directory and persist it; False when it is
    the current picture already (nothing written)."""
    numbers, sites = parse_payload(payload)
    directory: NumberDirectory = ctx.numbers
    if directory.same_as(numbers, sites):
        return False
    directory.replace(numbers, sites)
    async with unit_of_work(ctx.maker, write=True) as session:
        await save_numbers(session, numbers, sites)
    return True


async def apply_lines(ctx: Any, payload: Any) -> bool:
    """An `outbound.lines` payload: replace the directory's lines and persist them; False when
    they are the current lines already (nothing written)."""
    lines = parse_lines_payload(payload)
    directory: NumberDirectory = ctx.numbers
    if directory.same_lines_as(lines):
        return False
    directory.replace_lines(lines)
    async with unit_of_work(ctx.maker, write=True) as session:
        await save_lines(session, lines)
    return True


async def _ask(ctx: Any) -> None:
    """Ask toll-free and outbound for their current pictures."""
    for topic in WANTED:
        await ctx.bus.publish(topic, {})


def _follow_numbers(ctx: Any, subscribed: asyncio.Event) -> Coroutine[Any, Any, None]:
    """Follow `tollfree.numbers` and `outbound.lines`; after a broken subscription, resubscribe
    and ask again."""

    async def on_subscribed(first_time: bool) -> None:
        if not first_time:
            await _ask(ctx)

    async def on_event(event: Event) -> None:
        try:
            if event.topic == LINES:
                await apply_lines(ctx, event.payload)
            else:
                await apply_numbers(ctx, event.payload)
        except PayloadError as exc:
            log.warning("traffic: ignored a %s payload: %s", event.topic, exc)

    return follow(
        ctx.bus,
        (NUMBERS, LINES),
        on_event=on_event,
        on_subscribed=on_subscribed,
        subscribed=subscribed,
        log=log,
        what=f"traffic: {NUMBERS}, {LINES}",
    )


async def _sweeper(ingestor: Ingestor) -> None:
    while True:
        await asyncio.sleep(ingestor.sweep_interval)
        try:
            while await ingestor.sweep() >= ingestor.settings.writer_batch:
                pass  # more than one batch was stale: go on
        except Exception:
            log.exception("traffic: the stale-call sweep failed")


async def _load_numbers(ctx: Any) -> None:
    try:
        async with unit_of_work(ctx.maker, write=False) as session:
            numbers, sites = await load_numbers(session)
            lines = await load_lines(session)
    except Exception:
        log.exception("traffic: loading the persisted numbers and lines failed")
        return
    if numbers or sites:
        ctx.numbers.replace(numbers, sites)
    if lines:
        ctx.numbers.replace_lines(lines)


async def _stop(tasks: Sequence[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@asynccontextmanager
async def run_ingest(ctx: Any) -> AsyncIterator[None]:
    """`ctx` is the resource Context (settings, maker, bus, numbers, ingestor, clock)."""
    ingestor: Ingestor = ctx.ingestor
    peers = parse_peers(ctx.settings.evapi_peers)
    await _load_numbers(ctx)
    subscribed = asyncio.Event()
    follower = [asyncio.create_task(_follow_numbers(ctx, subscribed), name="traffic-numbers")]
    try:
        await subscribed.wait()
        await _ask(ctx)
        async with ingestor.running():
            tasks = [asyncio.create_task(_sweeper(ingestor), name="traffic-sweeper")]
            for peer in peers:
                client = EvapiClient(peer.name, peer.host, peer.port, ingestor, ctx.numbers, ctx.clock)
                ingestor.peers[peer.name] = client
                tasks.append(asyncio.create_task(client.run(), name=f"traffic-evapi-{peer.name}"))
            try:
                yield
            finally:
                await _stop(tasks)
    finally:
        await _stop(follower)

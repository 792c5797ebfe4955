"""Keeping this process's `LiveState` and `Hub` going while the resource runs.

`run_live(ctx)` (entered by the app lifespan after `run_ingest`):

* subscribes to `traffic.delta` and `directory.changed` first, then backfills the live state from
  the store (`repository.calls_since(now - window - 60 s)`: every call seized since, and every
  call still open, re-counted with `contributions_of`). A delta heard while the backfill was read
  may already be in it: one whose calls the backfill holds at the same or a newer `updated` is
  skipped (a batch commits as a whole, so one call tells for the batch);
* applies each `traffic.delta` to the live state; closes the websockets of the users named by
  `directory.changed` (4401; `null` = everyone);
* runs the hub's flush loop;
* every `PEAK_INTERVAL` seconds writes the peak concurrency of the buckets that changed (and the
  current one) with `store.record_peaks` in one write transaction.

A broken subscription is re-made after a pause, with a fresh backfill (events may have been
missed meanwhile). A failure inside a loop is logged (logger `resources.traffic`) and the loop
goes on; leaving the context cancels and awaits every task.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from resources.kit.db import unit_of_work
from resources.kit.events import Event
from resources.kit.follow import every, follow
from resources.traffic.calls import contributions_of, summary
from resources.traffic.hub import Hub
from resources.traffic.live import LiveState
from resources.traffic.model import (
    NFIELDS,
    CallRecord,
    Contribution,
    Key,
)

log = logging.getLogger("resources.traffic")

DELTA = "traffic.delta"
DIRECTORY_CHANGED = "directory.changed"
PEAK_INTERVAL = 5.0  # seconds between writes of peak concurrency
RESUBSCRIBE_DELAY = 1.0  # seconds before subscribing (and backfilling) again
BACKFILL_GRACE = 30.0  # seconds after a backfill during which deltas are checked against it
UPDATED_TOLERANCE = 1e-5  # seconds: a stored `updated_at` may lose sub-microsecond digits

Peaks = Mapping[tuple[int, Key], int]


class Source(Protocol):
    """The database as the live side sees it (the boundary tests replace)."""

    async def calls_since(self, since: float) -> list[CallRecord]: ...

    async def record_peaks(self, peaks: Peaks) -> None: ...


@dataclass(frozen=True)
class DbSource:
    """The real one: the web helper's repository and the store helper's writer over `ctx`."""

    ctx: Any

    async def calls_since(self, since: float) -> list[CallRecord]:
        from resources.traffic.repository import calls_since

        async with unit_of_work(self.ctx.maker, write=False) as session:
            return list(await calls_since(session, since=datetime.fromtimestamp(since, UTC)))

    async def record_peaks(self, peaks: Peaks) -> None:
        from resources.traffic.store import record_peaks

        async with unit_of_work(self.ctx.maker, write=True) as session:
            await record_peaks(session, peaks)


class DeltaError(ValueError):
    """A `traffic.delta` payload that does not have the contract's shape."""


def parse_delta(payload: Any) -> tuple[list[Contribution], list[dict[str, Any]]]:
    """`{"c": [[customer_id, number, site, carrier, second, field, amount], …], "calls": [...]}`."""
    if not isinstance(payload, Mapping):
        raise DeltaError("the payload must be an object")
    rows, calls = payload.get("c", []), payload.get("calls", [])
    if not isinstance(rows, list) or not isinstance(calls, list):
        raise DeltaError("c and calls must be lists")
    out: list[Contribution] = []
    for i, row in enumerate(rows):
        if (
            not isinstance(row, list)
            or len(row) != 7
            or not all(isinstance(x, str) for x in row[:4])
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in row[4:])
            or not 0 <= row[5] < NFIELDS
        ):
            raise DeltaError(f"c[{i}] must be [customer_id, number, site, carrier, second, field, amount]")
        out.append(Contribution(Key(row[0], row[1], row[2], row[3]), row[4], row[5], row[6]))
    if not all(isinstance(c, dict) and isinstance(c.get("call_id"), str) for c in calls):
        raise DeltaError("calls must be CallSummary objects")
    return out, calls


@dataclass
class Backfilled:
    """What the last backfill read (call id → updated), for telling already-counted deltas apart."""

    updated: dict[str, float] = field(default_factory=dict)
    until: float = 0.0

    def covers(self, calls: list[dict[str, Any]], now: float) -> bool:
        if not self.updated:
            return False
        if now > self.until:
            self.updated = {}
            return False
        for call in calls:
            known = self.updated.get(str(call.get("call_id")))
            value = call.get("updated")
            if known is not None and isinstance(value, int | float):
                return known >= float(value) - UPDATED_TOLERANCE
        return False


def stamp_of(clock: Callable[[], float]) -> int:
    return math.floor(clock() * 1000)


async def backfill(live: LiveState, source: Source, clock: Callable[[], float]) -> Backfilled:
    """Refill `live` from the store (replacing what it held)."""
    now = clock()
    records = await source.calls_since(now - live.span)
    contributions = [c for r in records for c in contributions_of(r)]
    live.clear()
    live.apply(contributions, [summary(r) for r in records], stamp_ms=stamp_of(clock))
    log.info("live: backfilled %s calls (%s contributions)", len(records), len(contributions))
    return Backfilled({r.call_id: r.updated_at for r in records}, until=clock() + BACKFILL_GRACE)


def handle(
    event: Event, *, live: LiveState, hub: Hub, backfilled: Backfilled, clock: Callable[[], float]
) -> None:
    if event.topic == DELTA:
        contributions, calls = parse_delta(event.payload)
        if backfilled.covers(calls, clock()):
            return
        live.apply(contributions, calls, stamp_ms=stamp_of(clock))
    elif event.topic == DIRECTORY_CHANGED:
        ids = event.payload.get("user_ids") if isinstance(event.payload, Mapping) else None
        hub.disconnect_users([str(i) for i in ids] if isinstance(ids, list) else None)


def _follow(ctx: Any, source: Source, loaded: asyncio.Event) -> Coroutine[Any, Any, None]:
    """Subscribe, backfill, follow; after a broken subscription (or a failed backfill), do it
    all again."""
    backfilled = Backfilled({}, until=0.0)

    async def on_subscribed(_first_time: bool) -> None:
        nonlocal backfilled
        backfilled = await backfill(ctx.live, source, ctx.clock)

    async def on_event(event: Event) -> None:
        handle(event, live=ctx.live, hub=ctx.hub, backfilled=backfilled, clock=ctx.clock)

    return follow(
        ctx.bus,
        (DELTA, DIRECTORY_CHANGED),
        on_event=on_event,
        on_subscribed=on_subscribed,
        subscribed=loaded,
        log=log,
        what="live",
        delay=RESUBSCRIBE_DELAY,
    )


class PeakWriter:
    """Writes the peak concurrency of the buckets touched since the last write (and of the
    current bucket), skipping values already written."""

    def __init__(self, live: LiveState, source: Source, *, bucket_seconds: int, clock: Callable[[], float]):
        self.live = live
        self.source = source
        self.bucket_seconds = bucket_seconds
        self.clock = clock
        self.written: dict[tuple[int, Key], int] = {}
        self._since_ms: int | None = None

    async def write(self) -> int:
        """One round; returns how many (bucket, key) peaks were written."""
        size = self.bucket_seconds
        now = math.floor(self.clock())
        stamp = self.live.stamp_ms
        buckets = {now - now % size}
        if self._since_ms is not None:
            buckets |= {s - s % size for s in self.live.touched_since(self._since_ms)}
        peaks = self.live.peaks(size, buckets)
        higher = {k: v for k, v in peaks.items() if v > self.written.get(k, 0)}
        if higher:
            await self.source.record_peaks(higher)
            self.written.update(higher)
        self._since_ms = stamp
        oldest = self.live.ring_start(now) - size
        self.written = {k: v for k, v in self.written.items() if k[0] >= oldest}
        return len(higher)


@asynccontextmanager
async def run_live(
    ctx: Any, *, source: Source | None = None, peak_interval: float = PEAK_INTERVAL
) -> AsyncIterator[None]:
    """`ctx` is the resource Context (settings, maker, bus, live, hub, clock); `source` replaces
    the database in tests. Yields once the first backfill has been tried."""
    src: Source = source if source is not None else DbSource(ctx)
    loaded = asyncio.Event()
    peaks = PeakWriter(ctx.live, src, bucket_seconds=ctx.settings.bucket_seconds, clock=ctx.clock)
    follower = asyncio.create_task(_follow(ctx, src, loaded), name="traffic-live-follow")
    tasks = [follower]
    try:
        waiter = asyncio.create_task(loaded.wait())
        await asyncio.wait({waiter, follower}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        tasks.append(
            asyncio.create_task(
                every(peak_interval, peaks.write, log=log, what="live: writing peaks"), name="traffic-peaks"
            )
        )
        async with ctx.hub.running():
            yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await peaks.write()
        except Exception:
            log.exception("live: writing peaks at shutdown failed")

"""Keeping the SCP's table (`ScpStore`) in step with the database while the resource runs.

`run_scp(ctx)` (entered by the app lifespan):

* loads the origin data and every ACTIVE/PENDING version into ``ctx.scp``;
* follows the bus: ``tollfree.plans-changed`` ``{"targets": [...]}`` reloads those targets,
  ``tollfree.origin-changed`` reloads the origin data;
* every ``settings.scheduler_interval`` seconds activates what came due
  (``service.activate_due`` in a write transaction) and reloads those targets — the store has
  already switched at the instant by its own clock; this writes it down;
* every ``settings.resync_interval`` seconds reloads everything (the safety net for a missed
  event; unchanged versions are not recompiled).

A failure inside a loop is logged (logger ``resources.tollfree``) and the loop goes on; leaving
the context cancels and awaits every task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from resources.kit.db import unit_of_work
from resources.kit.events import Event
from resources.kit.follow import every, follow
from resources.tollfree.origin import OriginData
from resources.tollfree.scp import ScpRow, ScpStore

log = logging.getLogger("resources.tollfree")

PLANS_CHANGED = "tollfree.plans-changed"
ORIGIN_CHANGED = "tollfree.origin-changed"


class Source(Protocol):
    """The database as the SCP sees it (the boundary tests replace)."""

    async def rows(self, targets: Sequence[str] | None) -> list[ScpRow]: ...

    async def origin(self) -> OriginData: ...

    async def activate_due(self, now: datetime) -> list[str]: ...


@dataclass(frozen=True)
class DbSource:
    """The real one: the store helper's repository and service over `ctx`."""

    ctx: Any

    async def rows(self, targets: Sequence[str] | None) -> list[ScpRow]:
        from resources.tollfree.repository import scp_rows

        async with unit_of_work(self.ctx.maker, write=False) as session:
            return list(await scp_rows(session, targets))

    async def origin(self) -> OriginData:
        from resources.tollfree.repository import origin_rows

        async with unit_of_work(self.ctx.maker, write=False) as session:
            rows = await origin_rows(session)
        return OriginData.build(rows)

    async def activate_due(self, now: datetime) -> list[str]:
        from resources.tollfree.context import transaction
        from resources.tollfree.service import activate_due

        async with transaction(self.ctx, write=True) as tx:
            return list(await activate_due(tx, now=now))


async def reload_all(store: ScpStore, source: Source) -> None:
    """Origin first (plans evaluate against it), then every plan."""
    store.set_origin(await source.origin())
    store.load(await source.rows(None))


async def reload_targets(store: ScpStore, source: Source, targets: Sequence[str]) -> None:
    if targets:
        store.replace(targets, await source.rows(list(targets)))


async def handle(event: Event, store: ScpStore, source: Source) -> None:
    """One bus event. A plans-changed payload without a target list reloads everything."""
    if event.topic == ORIGIN_CHANGED:
        store.set_origin(await source.origin())
        return
    if event.topic != PLANS_CHANGED:
        return
    targets = event.payload.get("targets") if isinstance(event.payload, dict) else None
    if isinstance(targets, list) and all(isinstance(t, str) for t in targets):
        await reload_targets(store, source, targets)
    else:
        log.warning("SCP: %s without a target list (%r): full reload", event.topic, event.payload)
        store.load(await source.rows(None))


@asynccontextmanager
async def run_scp(ctx: Any, *, source: Source | None = None) -> AsyncIterator[None]:
    """`ctx` is the resource Context (settings, maker, bus, scp, clock); `source` replaces the
    database in tests."""
    store: ScpStore = ctx.scp
    src: Source = source if source is not None else DbSource(ctx)
    settings = ctx.settings

    async def activate() -> None:
        await reload_targets(store, src, await src.activate_due(ctx.clock()))

    async def resync() -> None:
        await reload_all(store, src)

    async def on_event(event: Event) -> None:
        await handle(event, store, src)

    async def on_subscribed(first_time: bool) -> None:
        if not first_time:  # events may have been missed while the subscription was down
            await reload_all(store, src)

    subscribed = asyncio.Event()
    listen = follow(
        ctx.bus,
        (PLANS_CHANGED, ORIGIN_CHANGED),
        on_event=on_event,
        on_subscribed=on_subscribed,
        subscribed=subscribed,
        log=log,
        what="SCP",
    )
    tasks = [asyncio.create_task(listen, name="scp-listen")]
    try:
        await subscribed.wait()
        try:
            await reload_all(store, src)
        except Exception:
            log.exception("SCP: initial load failed; retrying every %ss", settings.resync_interval)
        tasks += [
            asyncio.create_task(
                every(settings.scheduler_interval, activate, log=log, what="SCP: activation"),
                name="scp-scheduler",
            ),
            asyncio.create_task(
                every(settings.resync_interval, resync, log=log, what="SCP: resync"), name="scp-resync"
            ),
        ]
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

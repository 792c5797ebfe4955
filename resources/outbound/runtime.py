"""What the outbound resource runs while it serves:

* the decision cache's bus listener: `outbound.changed` `{"customer_id"}` → read that customer
  again (all of them at start and after a broken subscription);
* usage for the minute caps: `traffic.delta` `{"calls": [CallSummary…]}` → the ended calls of
  our lines are recorded once and counted (usage.py, `Decider.record`);
* the lines publisher (`outbound.lines`, lines.py);
* the in-memory replica of the directory's tenancy tree (reseller staff's reach, access.py; the
  lines' reseller chains).

Each listener has its own subscription, so a burst of traffic deltas cannot crowd a change out
of the bus queue."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from resources.kit.events import Event
from resources.kit.follow import following
from resources.kit.tenancy import follow_tenancy
from resources.outbound.context import CHANGED, Context
from resources.outbound.lines import run_lines_publisher
from resources.outbound.usage import TRAFFIC_DELTA

log = logging.getLogger("resources.outbound")


async def handle(ctx: Context, event: Event) -> None:
    if event.topic == TRAFFIC_DELTA:
        await ctx.decider.record(event.payload)
        return
    customer_id = event.payload.get("customer_id")
    await ctx.decider.reload(customer_id if isinstance(customer_id, str) and customer_id else None)


@asynccontextmanager
async def run_decider(ctx: Context) -> AsyncIterator[None]:
    async def on_event(event: Event) -> None:
        await handle(ctx, event)

    async def on_subscribed(first_time: bool) -> None:
        await ctx.decider.reload()  # at start, and after a broken subscription (events were missed)

    async with (
        following(ctx.bus, (CHANGED,), on_event=on_event, on_subscribed=on_subscribed, log=log, what=CHANGED),
        following(ctx.bus, (TRAFFIC_DELTA,), on_event=on_event, log=log, what=TRAFFIC_DELTA),
        run_lines_publisher(ctx),  # first: it hears the tree the replica asks for
        follow_tenancy(ctx.bus, ctx.tenancy, log=log),
    ):
        yield

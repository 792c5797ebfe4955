"""What the outbound resource runs while it serves: the decision cache's bus listener
(`outbound.changed` `{"customer_id"}` → read that customer again) and the in-memory replica of
the directory's tenancy tree (reseller staff's reach, access.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from resources.kit.events import Event
from resources.kit.follow import following
from resources.kit.tenancy import follow_tenancy
from resources.outbound.context import CHANGED, Context

log = logging.getLogger("resources.outbound")


async def handle(ctx: Context, event: Event) -> None:
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
        follow_tenancy(ctx.bus, ctx.tenancy, log=log),
    ):
        yield

"""What the callcenter resource runs while it serves: the router's bus listener, and the
in-memory replica of the directory's tenancy tree (reseller staff's reach, access.py).

* `callcenter.changed` `{"customer_id"}`: the router reads that customer's configuration again,
  and the distribution names go out again (below).
* `traffic.delta` `{"calls": [...]}`: live calls per site (live.py).
* `callcenter.distributions-wanted` (the tollfree replica asks when it (re)subscribes): publish
  `callcenter.distributions` `{"customers": {customer id: [names]}}`, the distributions in effect
  now or scheduled, of every customer. It also goes out at start, after every change and every
  `NAMES_INTERVAL` seconds (a scheduled removal takes effect without an event).
* sites near their capacity → `events.condition` for the event monitor (capacity.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from resources.callcenter import service
from resources.callcenter.capacity import CHECK_SECONDS, CONDITION_TOPIC, CapacityWatch
from resources.callcenter.context import CHANGED, Context, transaction
from resources.kit.events import Event
from resources.kit.follow import every, follow
from resources.kit.tenancy import follow_tenancy

log = logging.getLogger("resources.callcenter")

TRAFFIC_DELTA = "traffic.delta"
DISTRIBUTIONS = "callcenter.distributions"
DISTRIBUTIONS_WANTED = "callcenter.distributions-wanted"
NAMES_INTERVAL = 60.0


async def publish_names(ctx: Context) -> None:
    async with transaction(ctx, write=False) as tx:
        names = await service.distribution_names(tx, at=tx.now)
    await ctx.bus.publish(DISTRIBUTIONS, {"customers": names})


async def handle(ctx: Context, event: Event) -> None:
    if event.topic == TRAFFIC_DELTA:
        calls = event.payload.get("calls")
        if isinstance(calls, list):
            ctx.router.occupancy.reported(c for c in calls if isinstance(c, dict))
    elif event.topic == CHANGED:
        customer_id = event.payload.get("customer_id")
        ctx.router.forget(customer_id if isinstance(customer_id, str) else None)
        await publish_names(ctx)
    elif event.topic == DISTRIBUTIONS_WANTED:
        await publish_names(ctx)


async def check_capacity(ctx: Context, watch: CapacityWatch) -> None:
    now = ctx.clock().timestamp()
    occupancy = ctx.router.occupancy
    conditions = watch.check(
        ctx.router.loaded(),
        live=lambda customer_id, site: occupancy.live(customer_id=customer_id, site=site, now=now),
        resellers=ctx.tenancy.current.resellers_of,
        now=now,
    )
    for condition in conditions:
        await ctx.bus.publish(CONDITION_TOPIC, condition)


@asynccontextmanager
async def run_router(ctx: Context) -> AsyncIterator[None]:
    async def on_event(event: Event) -> None:
        await handle(ctx, event)

    async def on_subscribed(first_time: bool) -> None:
        ctx.router.forget()  # events may have been missed while the subscription was down
        await publish_names(ctx)

    watch = CapacityWatch()
    subscribed = asyncio.Event()
    listen = follow(
        ctx.bus,
        (TRAFFIC_DELTA, CHANGED, DISTRIBUTIONS_WANTED),
        on_event=on_event,
        on_subscribed=on_subscribed,
        subscribed=subscribed,
        log=log,
        what="callcenter router",
    )
    tasks = [
        asyncio.create_task(listen, name="callcenter-listen"),
        asyncio.create_task(
            every(NAMES_INTERVAL, lambda: publish_names(ctx), log=log, what="callcenter: distribution names"),
            name="callcenter-names",
        ),
        asyncio.create_task(
            every(CHECK_SECONDS, lambda: check_capacity(ctx, watch), log=log, what="callcenter: capacity"),
            name="callcenter-capacity",
        ),
    ]
    try:
        await subscribed.wait()
        async with follow_tenancy(ctx.bus, ctx.tenancy, log=log):
            yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

"""The tenancy tree, told to the other resources (`directory.tenancy`).

Toll-free number pools (and later reports, billing) must know which customers are below which
reseller and which orgs are suspended, but never read the directory's tables (DESIGN.md §4). So
the directory publishes the whole tree on the bus:

* when it starts, every `TENANCY_INTERVAL` seconds (the safety net for a missed event),
* whenever it hears `directory.tenancy-wanted` — which a commit that created, suspended or
  resumed an org publishes (`Tx.mark_tenancy`), and which a replica publishes when it starts.

Payload: `{"orgs": [{"id", "kind", "parent_id", "chain": [resellers top-first], "suspended"}]}`
by id; `chain` holds the org itself when it is a reseller; `suspended` is true when the org or
an org above it is suspended. Several directory processes may all answer; the picture is
complete each time, so a duplicate is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from resources.directory import repository as repo
from resources.directory.context import TENANCY_WANTED, Context
from resources.directory.tenancy import OrgTree
from resources.kit.db import unit_of_work
from resources.kit.events import Event
from resources.kit.follow import every, follow

log = logging.getLogger("resources.directory")

TENANCY = "directory.tenancy"
TENANCY_INTERVAL = 60.0


def tenancy_snapshot(tree: OrgTree) -> dict[str, Any]:
    return {
        "orgs": [
            {
                "id": o.id,
                "kind": o.kind,
                "parent_id": o.parent_id,
                "chain": list(tree.reseller_chain(o.id)),
                "suspended": tree.suspended(o.id),
            }
            for o in sorted(tree.nodes.values(), key=lambda o: o.id)
        ]
    }


async def publish_tenancy(ctx: Context) -> None:
    async with unit_of_work(ctx.maker, write=False) as session:
        tree = await repo.load_tree(session)
    await ctx.bus.publish(TENANCY, tenancy_snapshot(tree))


@asynccontextmanager
async def run_tenancy_publisher(ctx: Context, *, interval: float = TENANCY_INTERVAL) -> AsyncIterator[None]:
    """Entered by the app lifespan: publishes once subscribed to `directory.tenancy-wanted`
    (so a request racing the start is not missed), then on every request and every `interval`."""

    async def on_request(_event: Event) -> None:
        await publish_tenancy(ctx)

    async def on_subscribed(_first: bool) -> None:
        await publish_tenancy(ctx)

    subscribed = asyncio.Event()
    answer = follow(
        ctx.bus, (TENANCY_WANTED,), on_event=on_request, on_subscribed=on_subscribed,
        subscribed=subscribed, log=log, what=TENANCY,
    )  # fmt: skip
    tasks = [
        asyncio.create_task(answer, name="directory-tenancy-wanted"),
        asyncio.create_task(
            every(interval, lambda: publish_tenancy(ctx), log=log, what=f"{TENANCY}: resync"),
            name="directory-tenancy-resync",
        ),
    ]
    try:
        await subscribed.wait()
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

"""Who owns which toll-free number, told to the other resources (`tollfree.numbers`).

Traffic (and later reports, billing) must know a number's customer and reseller chain to count
and scope its calls, but never reads toll-free's tables (DESIGN.md §4). So the toll-free resource
publishes the whole picture — every assigned number with its customer and reseller chain, every
call-center site — on the bus:

* when it starts, every ``resync_interval`` seconds (the safety net for a missed event),
* whenever it hears ``tollfree.numbers-wanted`` — which a commit that changed assignments or
  sites publishes (``Tx.mark_numbers``), and which a replica publishes when it starts.

Several toll-free processes may all answer; the picture is complete each time, so a duplicate
is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resources.kit.db import unit_of_work
from resources.kit.events import Event
from resources.kit.follow import follow
from resources.tollfree import repository as repo
from resources.tollfree.context import NUMBERS_WANTED

log = logging.getLogger("resources.tollfree")

NUMBERS = "tollfree.numbers"


async def numbers_snapshot(session: AsyncSession) -> dict[str, Any]:
    """``{"numbers": [{"number", "customer_id", "resellers"}], "sites": [{"customer_id", "name",
    "uri"}]}`` for every assigned number and every site."""
    numbers = await repo.list_numbers(session)
    sites = await repo.list_sites(session)
    return {
        "numbers": [
            {"number": n.tfn, "customer_id": n.customer_id, "resellers": list(n.reseller_chain or ())}
            for n in numbers
        ],
        "sites": [{"customer_id": s.customer_id, "name": s.name, "uri": s.uri} for s in sites],
    }


async def publish_numbers(ctx: Any) -> None:
    async with unit_of_work(ctx.maker, write=False) as session:
        snapshot = await numbers_snapshot(session)
    await ctx.bus.publish(NUMBERS, snapshot)


async def _periodically(ctx: Any) -> None:
    while True:
        try:
            await publish_numbers(ctx)
        except Exception:
            log.exception("tollfree.numbers: publishing failed")
        await asyncio.sleep(ctx.settings.resync_interval)


@asynccontextmanager
async def run_numbers_publisher(ctx: Any) -> AsyncIterator[None]:
    """Entered by the app lifespan next to the SCP runtime."""

    async def on_request(_event: Event) -> None:
        await publish_numbers(ctx)

    subscribed = asyncio.Event()
    answer = follow(
        ctx.bus, (NUMBERS_WANTED,), on_event=on_request, subscribed=subscribed, log=log, what=NUMBERS
    )
    tasks = [asyncio.create_task(answer, name="tollfree-numbers-wanted")]
    try:
        await subscribed.wait()
        tasks.append(asyncio.create_task(_periodically(ctx), name="tollfree-numbers-resync"))
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

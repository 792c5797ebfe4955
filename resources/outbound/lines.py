"""Which customer has which user line, told to the other resources (`outbound.lines`).

Traffic counts an outbound call under its calling line, so it must know each line's customer and
reseller chain, but never reads outbound's tables (DESIGN.md §4). So the outbound resource
publishes the whole picture,

    {"lines": [{"number": "+13125550142", "customer_id": "globex",
                "resellers": ["acme-reseller", …]}, …]}

every line of every customer, sorted by number; `resellers` is the customer's reseller chain,
top-most first, from the tenancy replica ([] while the tree is not known yet). It goes out

* when the runtime starts, and every `lines_interval` seconds (`SWITCHBOARD_OUTBOUND_LINES_INTERVAL`,
  default 60: the safety net for a missed event),
* whenever it hears `outbound.lines-wanted` `{}` — which a commit that created or deleted a line
  publishes (`Tx.lines_changed`; a line's number is its key, so a new number is a new line), and
  which a replica publishes when it starts,
* when a `directory.tenancy` picture changes a reseller chain of a published line (so the first
  tree, once it arrives, fills in the chains published as [] before it).

Several outbound processes may all answer; the picture is complete each time, so a duplicate is
harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.kit.events import Event
from resources.kit.follow import every, follow
from resources.kit.tenancy import TENANCY, Tenancy, parse_tenancy
from resources.outbound.context import LINES_WANTED, Context, transaction
from resources.outbound.models import LINE, ObjectRow

log = logging.getLogger("resources.outbound")

LINES = "outbound.lines"


def resellers_of(tenancy: Tenancy, customer_id: str) -> list[str]:
    """The customer's resellers, top-most first ([] for a customer the tree does not know)."""
    return list(tenancy.resellers_of(customer_id))


async def lines_snapshot(session: AsyncSession, tenancy: Tenancy) -> dict[str, Any]:
    """`{"lines": [{"number", "customer_id", "resellers"}]}` for every line, sorted by number."""
    rows = await session.execute(
        select(ObjectRow.line_number, ObjectRow.customer_id)
        .where(ObjectRow.kind == LINE, ObjectRow.line_number.is_not(None))
        .order_by(ObjectRow.line_number)
    )
    return {
        "lines": [
            {"number": number, "customer_id": customer, "resellers": resellers_of(tenancy, customer)}
            for number, customer in rows.all()
        ]
    }


class LinesPublisher:
    """Publishes the picture. It follows `directory.tenancy` itself, in the one subscription it
    answers requests on, so a request right after a new tree is answered with that tree (the
    replica, `ctx.tenancy`, takes each picture in its own listener, maybe later); until it has
    heard a picture it uses the replica's. It remembers the last picture it published: a tree
    that changes nothing in it is not passed on."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tenancy: Tenancy | None = None
        self.last: dict[str, Any] | None = None

    async def publish(self, *, only_if_changed: bool = False) -> None:
        tenancy = self.tenancy if self.tenancy is not None else self.ctx.tenancy.current
        async with transaction(self.ctx, write=False) as tx:
            snapshot = await lines_snapshot(tx.session, tenancy)
        if only_if_changed and snapshot == self.last:
            return
        self.last = snapshot
        await self.ctx.bus.publish(LINES, snapshot)

    async def on_event(self, event: Event) -> None:
        if event.topic != TENANCY:
            await self.publish()
            return
        try:
            self.tenancy = Tenancy(parse_tenancy(event.payload))
        except ValueError:
            return  # the last good tree stays; the replica logs the problem
        await self.publish(only_if_changed=True)


@asynccontextmanager
async def run_lines_publisher(ctx: Context) -> AsyncIterator[None]:
    """Entered by the runtime before the tenancy replica's listener (which asks for a tree once
    subscribed), so this one hears the first tree too."""
    publisher = LinesPublisher(ctx)
    subscribed = asyncio.Event()
    answer = follow(
        ctx.bus,
        (LINES_WANTED, TENANCY),
        on_event=publisher.on_event,
        subscribed=subscribed,
        log=log,
        what=LINES,
    )
    tasks = [asyncio.create_task(answer, name="outbound-lines-wanted")]
    try:
        await subscribed.wait()
        try:
            await publisher.publish()
        except Exception:
            log.exception("%s: publishing failed", LINES)
        tasks.append(
            asyncio.create_task(
                every(ctx.lines_interval, publisher.publish, log=log, what=f"{LINES}: publishing"),
                name="outbound-lines-resync",
            )
        )
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

"""The toll-free resource's replica of the directory's tenancy tree (`directory.tenancy`).

Number pools need to know which customers are below a reseller and whether one is suspended,
but toll-free never reads the directory's tables (DESIGN.md §4). The directory publishes the
whole tree — `{"orgs": [{"id", "kind", "parent_id", "chain", "suspended"}]}` — at start, after
org changes, every 60 s and whenever it hears `directory.tenancy-wanted`, which this replica
publishes each time it (re)subscribes. Each picture that differs from the stored one replaces
the table `tollfree_tenancy` in one transaction, so every toll-free process reads the same tree
inside its own transactions and a restart knows it before the directory answers. A malformed
picture is logged and ignored (the last good one stays).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resources.kit.db import unit_of_work
from resources.kit.errors import ProblemError
from resources.kit.events import Event
from resources.kit.follow import following
from resources.kit.tenancy import TENANCY, TENANCY_WANTED, Org, Tenancy, parse_tenancy
from resources.tollfree import repository_pool as repo
from resources.tollfree.models import TenancyOrg

log = logging.getLogger("resources.tollfree")


def _from_row(row: TenancyOrg) -> Org:
    return Org(
        id=row.id,
        kind=row.kind,
        parent_id=row.parent_id,
        chain=tuple(row.chain or ()),
        suspended=bool(row.suspended),
    )


async def load_tenancy(session: AsyncSession) -> Tenancy:
    """The stored replica, as the pool service reads it inside its transaction."""
    return Tenancy(_from_row(r) for r in await repo.tenancy_rows(session))


async def require_tenancy(session: AsyncSession) -> Tenancy:
    """The stored replica; 503 while it is still empty (the directory has not answered yet)."""
    tenancy = await load_tenancy(session)
    if not len(tenancy):
        raise ProblemError(
            503, detail="the tenancy tree has not arrived from the directory yet; try again shortly"
        )
    return tenancy


async def store_tenancy(session: AsyncSession, orgs: list[Org]) -> bool:
    """Replace the replica with `orgs` unless it already says exactly that; True when written."""
    current = [_from_row(r) for r in await repo.tenancy_rows(session)]
    if current == orgs:
        return False
    rows = [
        TenancyOrg(id=o.id, kind=o.kind, parent_id=o.parent_id, chain=list(o.chain), suspended=o.suspended)
        for o in orgs
    ]
    await repo.replace_tenancy(session, rows)
    return True


async def apply_tenancy(ctx: Any, payload: Any) -> bool:
    """Store one `directory.tenancy` picture; False when it was malformed or nothing changed."""
    try:
        orgs = parse_tenancy(payload)
    except ValueError as exc:
        log.warning("%s: ignoring a malformed picture: %s", TENANCY, exc)
        return False
    async with unit_of_work(ctx.maker, write=True) as session:
        return await store_tenancy(session, orgs)


@asynccontextmanager
async def run_tenancy_replica(ctx: Any) -> AsyncIterator[None]:
    """Entered by the app lifespan: follow `directory.tenancy`, asking for a picture each time
    the subscription (re)starts."""

    async def on_event(event: Event) -> None:
        await apply_tenancy(ctx, event.payload)

    async def ask(_first_time: bool) -> None:
        await ctx.bus.publish(TENANCY_WANTED, {})

    async with following(ctx.bus, (TENANCY,), on_event=on_event, on_subscribed=ask, log=log, what=TENANCY):
        yield

"""What every callcenter service function runs with: dependencies (`Context`) and one
transaction (`Tx`) that publishes `callcenter.changed` only after it committed (whoever answers
the switch reloads that customer's sites and distributions when it hears it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.callcenter.settings import CallcenterSettings
from resources.kit.db import open_engine, unit_of_work
from resources.kit.events import EventBus
from resources.kit.tenancy import TenancyReplica

if TYPE_CHECKING:
    from resources.callcenter.router import Router

CHANGED = "callcenter.changed"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Context:
    maker: async_sessionmaker[AsyncSession]
    bus: EventBus
    clock: Callable[[], datetime] = utcnow
    audit_page: int = 100
    pending_seconds: float = 30.0  # an offered call counts as live this long before traffic reports it
    refresh_seconds: float = 30.0  # the router reads a customer's configuration again at least this often
    announce_uri: str | None = None  # media server for announcement treatments ("{treatment}")
    pstn_uri: str = "sip:{number}@pstn.invalid"  # ring-to treatments ("{number}")
    tenancy: TenancyReplica = field(default_factory=TenancyReplica)  # the directory's tree (resellers)

    @cached_property
    def router(self) -> Router:
        """The network plane's router (one per process; it keeps live state)."""
        from resources.callcenter.router import Router

        return Router(self, pending_seconds=self.pending_seconds, refresh_seconds=self.refresh_seconds)


@asynccontextmanager
async def open_context(
    settings: CallcenterSettings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[tuple[Context, AsyncEngine]]:
    """Engine + Context for the app lifespan or the CLI; disposes the engine on exit."""
    async with open_engine(url=settings.database_url, schema=settings.db_schema) as (engine, maker):
        yield (
            Context(
                maker=maker,
                bus=settings.bus,
                clock=clock,
                audit_page=settings.audit_page,
                pending_seconds=settings.pending_seconds,
                refresh_seconds=settings.refresh_seconds,
                announce_uri=settings.announce_uri,
                pstn_uri=settings.pstn_uri,
            ),
            engine,
        )


@dataclass
class Tx:
    session: AsyncSession
    ctx: Context
    now: datetime
    changed: set[str] = field(default_factory=set)  # customers whose configuration changed


@asynccontextmanager
async def transaction(ctx: Context, *, write: bool) -> AsyncIterator[Tx]:
    """One unit of work; events go out only when it committed (never for a rolled-back one)."""
    async with unit_of_work(ctx.maker, write=write) as session:
        tx = Tx(session=session, ctx=ctx, now=ctx.clock())
        yield tx
    for customer_id in sorted(tx.changed):
        await ctx.bus.publish(CHANGED, {"customer_id": customer_id})

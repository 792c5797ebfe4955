"""What every outbound service function runs with: dependencies (`Context`) and one transaction
(`Tx`) that publishes `outbound.changed` `{"customer_id"}` only after it committed (the switch's
decision cache reads that customer again), and `outbound.lines-wanted` `{}` when it created or
deleted a line (lines.py publishes the lines again)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.kit.db import open_engine, unit_of_work
from resources.kit.events import EventBus
from resources.kit.tenancy import TenancyReplica
from resources.outbound.settings import OutboundSettings

if TYPE_CHECKING:
    from resources.outbound.decision import Decider

CHANGED = "outbound.changed"
LINES_WANTED = "outbound.lines-wanted"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Context:
    maker: async_sessionmaker[AsyncSession]
    bus: EventBus
    hasher: PasswordHasher
    clock: Callable[[], datetime] = utcnow
    audit_page: int = 100
    max_failures: int = 5
    lock_minutes: int = 15
    refresh_seconds: float = 30.0
    lines_interval: float = 60.0
    tenancy: TenancyReplica = field(default_factory=TenancyReplica)  # the directory's tree (resellers)

    @cached_property
    def decider(self) -> Decider:
        """The network plane's decision cache (one per process)."""
        from resources.outbound.decision import Decider

        return Decider(self)


def hasher_for(settings: OutboundSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


@asynccontextmanager
async def open_context(
    settings: OutboundSettings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[tuple[Context, AsyncEngine]]:
    """Engine + Context for the app lifespan or the CLI; disposes the engine on exit."""
    async with open_engine(url=settings.database_url, schema=settings.db_schema) as (engine, maker):
        yield (
            Context(
                maker=maker,
                bus=settings.bus,
                hasher=hasher_for(settings),
                clock=clock,
                audit_page=settings.audit_page,
                max_failures=settings.max_failures,
                lock_minutes=settings.lock_minutes,
                refresh_seconds=settings.refresh_seconds,
                lines_interval=settings.lines_interval,
            ),
            engine,
        )


@dataclass
class Tx:
    session: AsyncSession
    ctx: Context
    now: datetime
    changed: set[str] = field(default_factory=set)  # customers whose configuration changed
    lines_changed: bool = False  # a line was created or deleted (`outbound.lines` is stale)


@asynccontextmanager
async def transaction(ctx: Context, *, write: bool) -> AsyncIterator[Tx]:
    """One unit of work; events go out only when it committed (never for a rolled-back one)."""
    async with unit_of_work(ctx.maker, write=write) as session:
        tx = Tx(session=session, ctx=ctx, now=ctx.clock())
        yield tx
    for customer_id in sorted(tx.changed):
        await ctx.bus.publish(CHANGED, {"customer_id": customer_id})
    if tx.lines_changed:
        await ctx.bus.publish(LINES_WANTED, {})

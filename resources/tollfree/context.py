"""What every toll-free service function runs with: dependencies (`Context`) and one
transaction (`Tx`) that publishes `tollfree.plans-changed` / `tollfree.origin-changed` only
after it committed (the SCP reloads those targets from the database when it hears them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.kit.db import open_engine, unit_of_work
from resources.kit.events import EventBus
from resources.tollfree.compiler import CompileSettings
from resources.tollfree.distributions import DistributionNames
from resources.tollfree.scp import ScpStore
from resources.tollfree.settings import TollfreeSettings

PLANS_CHANGED = "tollfree.plans-changed"
ORIGIN_CHANGED = "tollfree.origin-changed"
# number assignments or sites changed: whoever serves `tollfree.numbers` publishes a fresh picture
NUMBERS_WANTED = "tollfree.numbers-wanted"


def utcnow() -> datetime:
    return datetime.now(UTC)


def compile_settings(settings: TollfreeSettings) -> CompileSettings:
    return CompileSettings(pstn_uri=settings.pstn_uri, ring_timeout=settings.ring_timeout)


@dataclass(frozen=True, kw_only=True)
class Context:
    settings: TollfreeSettings
    maker: async_sessionmaker[AsyncSession]
    bus: EventBus
    scp: ScpStore
    clock: Callable[[], datetime] = utcnow
    distributions: DistributionNames = field(default_factory=DistributionNames)  # callcenter's, replicated

    @property
    def compile_settings(self) -> CompileSettings:
        return compile_settings(self.settings)

    @classmethod
    def build(
        cls,
        *,
        settings: TollfreeSettings,
        maker: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
        scp: ScpStore | None = None,
    ) -> Context:
        """`scp` defaults to an empty store on the real clock (the runtime fills it)."""
        store = scp if scp is not None else ScpStore(settings=compile_settings(settings))
        return cls(settings=settings, maker=maker, bus=settings.bus, scp=store, clock=clock)


@asynccontextmanager
async def open_context(
    settings: TollfreeSettings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[tuple[Context, AsyncEngine]]:
    """Engine + Context for the app lifespan or the CLI; disposes the engine on exit."""
    async with open_engine(url=settings.database_url, schema=settings.db_schema) as (engine, maker):
        yield Context.build(settings=settings, maker=maker, clock=clock), engine


@dataclass
class Tx:
    session: AsyncSession
    ctx: Context
    now: datetime
    targets: set[str] = field(default_factory=set)
    origin_changed: bool = False
    numbers_changed: bool = False

    def plans_changed(self, *targets: str) -> None:
        """What the SCP serves for these targets changed (ACTIVE or PENDING rows)."""
        self.targets.update(targets)

    def mark_origin(self) -> None:
        self.origin_changed = True

    def mark_numbers(self) -> None:
        """Number assignments or sites changed (other resources replicate them)."""
        self.numbers_changed = True


@asynccontextmanager
async def transaction(ctx: Context, *, write: bool) -> AsyncIterator[Tx]:
    """One unit of work; events go out only when it committed (never for a rolled-back one)."""
    async with unit_of_work(ctx.maker, write=write) as session:
        tx = Tx(session=session, ctx=ctx, now=ctx.clock())
        yield tx
    if tx.targets:
        await ctx.bus.publish(PLANS_CHANGED, {"targets": sorted(tx.targets)})
    if tx.origin_changed:
        await ctx.bus.publish(ORIGIN_CHANGED, {})
    if tx.numbers_changed:
        await ctx.bus.publish(NUMBERS_WANTED, {})

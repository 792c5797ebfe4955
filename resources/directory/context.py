"""What every directory service function runs with: dependencies (`Context`) and one
transaction (`Tx`) that publishes `directory.changed` only after it committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.directory.crypto import SecretBox, make_hasher
from resources.directory.settings import DirectorySettings
from resources.kit.db import open_engine, unit_of_work
from resources.kit.events import EventBus
from resources.kit.versions import counter_for

CHANGED = "directory.changed"
# orgs were created, suspended or resumed: whoever serves `directory.tenancy` publishes a fresh one
TENANCY_WANTED = "directory.tenancy-wanted"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Context:
    settings: DirectorySettings
    maker: async_sessionmaker[AsyncSession]
    bus: EventBus
    hasher: PasswordHasher
    box: SecretBox
    clock: Callable[[], datetime] = utcnow

    @cached_property
    def dummy_hash(self) -> str:
        """Verified against when the username is unknown, so both cases cost one argon2 run."""
        return self.hasher.hash("not-a-real-password-" + datetime.now(UTC).isoformat())

    @classmethod
    def build(
        cls,
        *,
        settings: DirectorySettings,
        maker: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> Context:
        hasher = make_hasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        return cls(
            settings=settings,
            maker=maker,
            bus=settings.bus,
            hasher=hasher,
            box=SecretBox(settings.secret_key_path),
            clock=clock,
        )


@asynccontextmanager
async def open_context(settings: DirectorySettings) -> AsyncIterator[tuple[Context, AsyncEngine]]:
    """Engine + Context for the app lifespan or the CLI; disposes the engine on exit."""
    async with open_engine(url=settings.database_url, schema=settings.db_schema) as (engine, maker):
        yield Context.build(settings=settings, maker=maker), engine


@dataclass
class Tx:
    session: AsyncSession
    ctx: Context
    now: datetime
    changed: set[str] = field(default_factory=set)
    everyone_changed: bool = False
    tenancy_changed: bool = False

    def mark_changed(self, *user_ids: str) -> None:
        self.changed.update(user_ids)

    def mark_everyone(self) -> None:
        self.everyone_changed = True

    def mark_tenancy(self) -> None:
        """The tenancy tree changed (other resources replicate it from `directory.tenancy`)."""
        self.tenancy_changed = True


@asynccontextmanager
async def transaction(ctx: Context, *, write: bool) -> AsyncIterator[Tx]:
    async with unit_of_work(ctx.maker, write=write) as session:
        tx = Tx(session=session, ctx=ctx, now=ctx.clock())
        yield tx
    if tx.everyone_changed or tx.changed or tx.tenancy_changed:
        await counter_for(ctx.bus).bump()  # before the event: the gateway's cache checks it
    if tx.everyone_changed:
        await ctx.bus.publish(CHANGED, {"user_ids": None})
    elif tx.changed:
        await ctx.bus.publish(CHANGED, {"user_ids": sorted(tx.changed)})
    if tx.tenancy_changed:
        await ctx.bus.publish(TENANCY_WANTED, {})

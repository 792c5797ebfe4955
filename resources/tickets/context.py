"""What every tickets service function runs with: dependencies (`Context`) and one transaction
(`Tx`) that publishes `tickets.changed` `{"id", "customer_id", "status", "related"}` for every
ticket it changed, only after it committed (never for a rolled-back one)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.kit.db import open_engine, unit_of_work
from resources.kit.events import EventBus
from resources.kit.tenancy import TenancyReplica
from resources.tickets.chat_hub import ChatHub
from resources.tickets.settings import MB, TicketsSettings

CHANGED = "tickets.changed"
DEFAULT_SLA = {"critical": 4, "major": 8, "minor": 24, "low": 72}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Context:
    maker: async_sessionmaker[AsyncSession]
    bus: EventBus
    clock: Callable[[], datetime] = utcnow
    number_prefix: str = "T"
    sla_hours: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA))
    reopen_days: int = 7
    max_attachment_bytes: int = 5 * MB
    page_size: int = 50
    max_page_size: int = 200
    tenancy: TenancyReplica = field(default_factory=TenancyReplica)  # the directory's tree (resellers)
    chat: ChatHub = field(default_factory=ChatHub)  # this process's chat websockets (chat_hub.py)


def context_of(settings: TicketsSettings, maker: async_sessionmaker[AsyncSession], **extra: Any) -> Context:
    return Context(
        maker=maker,
        bus=settings.bus,
        number_prefix=settings.number_prefix,
        sla_hours=settings.sla_hours(),
        reopen_days=settings.reopen_days,
        max_attachment_bytes=settings.max_attachment_bytes,
        page_size=settings.page_size,
        max_page_size=settings.max_page_size,
        **extra,
    )


@asynccontextmanager
async def open_context(
    settings: TicketsSettings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[tuple[Context, AsyncEngine]]:
    """Engine + Context for the app lifespan or the CLI; disposes the engine on exit."""
    async with open_engine(url=settings.database_url, schema=settings.db_schema) as (engine, maker):
        yield context_of(settings, maker, clock=clock), engine


@dataclass
class Tx:
    session: AsyncSession
    ctx: Context
    now: datetime
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticket id -> tickets.changed


@asynccontextmanager
async def transaction(ctx: Context, *, write: bool) -> AsyncIterator[Tx]:
    """One unit of work; events go out only when it committed."""
    async with unit_of_work(ctx.maker, write=write) as session:
        tx = Tx(session=session, ctx=ctx, now=ctx.clock())
        yield tx
    for ticket_id in sorted(tx.changed):
        await ctx.bus.publish(CHANGED, tx.changed[ticket_id])

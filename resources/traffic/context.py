"""What every traffic function runs with (`Context`): settings, the database, the bus, the
number directory (replicated from toll-free), the ingest writer, the live counters and the hub."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.kit.db import open_engine
from resources.kit.events import EventBus
from resources.traffic.hub import Hub
from resources.traffic.ingest import Ingestor
from resources.traffic.live import LiveState
from resources.traffic.numbers import NumberDirectory
from resources.traffic.settings import TrafficSettings


@dataclass(frozen=True, kw_only=True)
class Context:
    settings: TrafficSettings
    maker: async_sessionmaker[AsyncSession]
    bus: EventBus
    numbers: NumberDirectory
    ingestor: Ingestor
    live: LiveState
    hub: Hub
    clock: Callable[[], float] = time.time  # epoch seconds

    @classmethod
    def build(
        cls,
        *,
        settings: TrafficSettings,
        maker: async_sessionmaker[AsyncSession],
        clock: Callable[[], float] = time.time,
        bus: EventBus | None = None,
    ) -> Context:
        """Every part wired to the same directory, live state and clock; `bus` defaults to the
        settings' bus."""
        the_bus = settings.bus if bus is None else bus
        numbers = NumberDirectory()
        live = LiveState(window=settings.live_window, clock=clock)
        return cls(
            settings=settings,
            maker=maker,
            bus=the_bus,
            numbers=numbers,
            ingestor=Ingestor(settings=settings, maker=maker, bus=the_bus, numbers=numbers, clock=clock),
            live=live,
            hub=Hub(live=live, numbers=numbers, settings=settings, clock=clock),
            clock=clock,
        )


@asynccontextmanager
async def open_context(
    settings: TrafficSettings, *, clock: Callable[[], float] = time.time
) -> AsyncIterator[tuple[Context, AsyncEngine]]:
    """Engine + Context for the app lifespan; disposes the engine on exit."""
    async with open_engine(url=settings.database_url, schema=settings.db_schema) as (engine, maker):
        yield Context.build(settings=settings, maker=maker, clock=clock), engine

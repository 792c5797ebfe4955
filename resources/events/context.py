"""What every events function runs with: dependencies (`Context`) and one transaction (`Tx`)
whose side effects go out only after it committed:

* `events.alarm` `{"seq", "kind", "customer_id", "alarm_id", "at", "actor", "alarm"}` — one per
  log row the transaction wrote, in seq order (the live pages and any follower);
* `events.thresholds` `{"thresholds": [...]}` — every threshold, when one changed.

Notifications are not side effects of the commit: the deliveries are rows written in the
transaction itself (notify.py, from engine.transition), which the sender (deliver.py) sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.events.models import LogRow, SubscriptionRow
from resources.events.probes import ProbeTargets
from resources.events.settings import EventsSettings
from resources.kit.db import open_engine, unit_of_work
from resources.kit.events import EventBus
from resources.kit.tenancy import TenancyReplica

ALARM_TOPIC = "events.alarm"
THRESHOLDS_TOPIC = "events.thresholds"
THRESHOLDS_WANTED = "events.thresholds-wanted"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Outbound:
    """Where notifications go (settings.py has the knobs)."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_sink: bool = False
    deliver_interval: float = 1.0
    webhook_timeout: float = 5.0
    portal_url: str = "https://localhost:8443"


@dataclass(frozen=True, kw_only=True)
class Context:
    maker: async_sessionmaker[AsyncSession]
    bus: EventBus
    clock: Callable[[], datetime] = utcnow
    clear_after: float = 10.0
    update_interval: float = 60.0
    flap_window: float = 120.0
    sweep_interval: float = 1.0
    audit_page: int = 100
    tenancy: TenancyReplica = field(default_factory=TenancyReplica)  # the directory's tree (resellers)
    probes: ProbeTargets = field(default_factory=ProbeTargets)  # sites by SIP URI (tollfree.numbers)
    failures_in_a_row: int = 5  # failed calls in a row at a site that raise consecutiveCallFailures
    outbound: Outbound = field(default_factory=Outbound)
    brands: Any = None  # branding.BrandRegistry for mails; None: the built-in brands


@asynccontextmanager
async def open_context(
    settings: EventsSettings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[tuple[Context, AsyncEngine]]:
    """Engine + Context for the app lifespan or the CLI; disposes the engine on exit."""
    async with open_engine(url=settings.database_url, schema=settings.db_schema) as (engine, maker):
        yield (
            Context(
                maker=maker,
                bus=settings.bus,
                clock=clock,
                clear_after=settings.clear_after,
                update_interval=settings.update_interval,
                flap_window=settings.flap_window,
                sweep_interval=settings.sweep_interval,
                failures_in_a_row=settings.failures_in_a_row,
                audit_page=settings.audit_page,
                outbound=Outbound(
                    smtp_host=settings.smtp_host,
                    smtp_port=settings.smtp_port,
                    smtp_sink=bool(settings.smtp_sink),
                    deliver_interval=settings.deliver_interval,
                    webhook_timeout=settings.webhook_timeout,
                    portal_url=settings.portal_url,
                ),
                brands=_brands(settings),
            ),
            engine,
        )


def _brands(settings: EventsSettings) -> Any:
    from branding import BUILTIN_BRANDS_DIR, BrandRegistry

    return BrandRegistry.load([BUILTIN_BRANDS_DIR, *([settings.brands_dir] if settings.brands_dir else [])])


@dataclass
class Tx:
    session: AsyncSession
    ctx: Context
    now: datetime
    logged: list[LogRow] = field(default_factory=list)  # log rows written (published after commit)
    log_locked: bool = False  # PostgreSQL: this transaction holds the log's append lock
    thresholds_changed: bool = False
    subscriptions: dict[str, list[SubscriptionRow]] = field(default_factory=dict)  # notify.py's cache


@asynccontextmanager
async def transaction(ctx: Context, *, write: bool) -> AsyncIterator[Tx]:
    """One unit of work; events go out only when it committed (never for a rolled-back one)."""
    async with unit_of_work(ctx.maker, write=write) as session:
        tx = Tx(session=session, ctx=ctx, now=ctx.clock())
        yield tx
    from resources.events.schemas import entry_json

    for row in sorted(tx.logged, key=lambda r: r.seq):
        await ctx.bus.publish(ALARM_TOPIC, entry_json(row))
    if tx.thresholds_changed:
        from resources.events.thresholds import publish_thresholds

        await publish_thresholds(ctx)

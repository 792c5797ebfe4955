"""Queries of the notification tables: subscriptions, deliveries (the outbox), the sink's mail.
Nothing here decides anything (notify.py, deliver.py, subscriptions.py do)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from resources.events.models import DeliveryRow, MailRow, SubscriptionRow


async def subscriptions(session: AsyncSession, *, customer_id: str) -> list[SubscriptionRow]:
    rows = await session.execute(
        select(SubscriptionRow)
        .where(SubscriptionRow.customer_id == customer_id)
        .order_by(
            SubscriptionRow.kind, SubscriptionRow.address, SubscriptionRow.created_at, SubscriptionRow.id
        )
    )
    return list(rows.scalars())


async def subscriptions_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, SubscriptionRow]:
    if not ids:
        return {}
    rows = await session.execute(select(SubscriptionRow).where(SubscriptionRow.id.in_(ids)))
    return {r.id: r for r in rows.scalars()}


async def fail_pending(session: AsyncSession, *, subscription_id: str, reason: str) -> None:
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.subscription_id == subscription_id, DeliveryRow.state == "pending")
        .values(state="failed", last_error=reason[:500])
    )


async def any_due(session: AsyncSession, *, now: datetime) -> bool:
    rows = await session.execute(
        select(DeliveryRow.id)
        .where(DeliveryRow.state == "pending", DeliveryRow.next_attempt_at <= now)
        .limit(1)
    )
    return rows.first() is not None


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, skip_locked: bool
) -> list[DeliveryRow]:
    """The due pending deliveries that head their subscription's queue (no pending row of the
    same subscription comes before them), oldest due first. `skip_locked` (PostgreSQL): `FOR
    UPDATE SKIP LOCKED`, so a row another sender is claiming is passed over."""
    earlier = aliased(DeliveryRow)
    blocked = exists().where(
        earlier.subscription_id == DeliveryRow.subscription_id,
        earlier.state == "pending",
        or_(earlier.seq < DeliveryRow.seq, and_(earlier.seq == DeliveryRow.seq, earlier.id < DeliveryRow.id)),
    )
    query = (
        select(DeliveryRow)
        .where(DeliveryRow.state == "pending", DeliveryRow.next_attempt_at <= now, ~blocked)
        .order_by(DeliveryRow.next_attempt_at, DeliveryRow.seq, DeliveryRow.id)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=DeliveryRow)
    rows = await session.execute(query.execution_options(populate_existing=True))
    return list(rows.scalars())


async def deliveries(
    session: AsyncSession, *, customer_id: str | None = None, subscription_id: str | None = None
) -> list[DeliveryRow]:
    query = select(DeliveryRow)
    if customer_id is not None:
        query = query.where(DeliveryRow.customer_id == customer_id)
    if subscription_id is not None:
        query = query.where(DeliveryRow.subscription_id == subscription_id)
    rows = await session.execute(query.order_by(DeliveryRow.id))
    return list(rows.scalars())


async def add_mail(session: AsyncSession, row: MailRow, *, keep: int) -> None:
    """Store one received mail and forget all but the newest `keep`."""
    session.add(row)
    await session.flush()
    await session.execute(delete(MailRow).where(MailRow.id <= row.id - keep))


async def mails(session: AsyncSession, *, customers: Sequence[str] | None, limit: int) -> list[MailRow]:
    query = select(MailRow)
    if customers is not None:
        query = query.where(MailRow.customer_id.in_(customers))
    rows = await session.execute(query.order_by(MailRow.id.desc()).limit(limit))
    return list(rows.scalars())


async def mail_count(session: AsyncSession, *, customers: Sequence[str] | None) -> int:
    query = select(func.count()).select_from(MailRow)
    if customers is not None:
        query = query.where(MailRow.customer_id.in_(customers))
    return (await session.execute(query)).scalar_one()
